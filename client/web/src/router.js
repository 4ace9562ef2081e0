// History routing: paths such as /rooms/{slug} are the app's own; the server answers every one
// of them with index.html. `navigate` changes the page without reloading it.
const routes = [];
let current = null;
let onRender = null;

/** `pattern` like "/rooms/:slug"; `screen(container, params)` returns an optional dispose(). */
export function route(pattern, screen, { public: open = false } = {}) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  routes.push({ regex: new RegExp(`^${source}/?$`), names, screen, open });
}

export function match(path) {
  for (const entry of routes) {
    const found = entry.regex.exec(path);
    if (found) {
      const params = Object.fromEntries(entry.names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
      return { ...entry, params };
    }
  }
  return null;
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  onRender?.();
}

export function start(render) {
  onRender = render;
  addEventListener("popstate", () => render());
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a[href]");
    if (!link || link.target || link.hasAttribute("download") || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  render();
}

export function setCurrent(dispose) {
  if (current) current();
  current = dispose || null;
}
