// Small helpers shared by the screens. Everything a person wrote reaches the page through lit
// templates (which escape text) or through `markdown()` (rendered by marked, then sanitized).
import DOMPurify from "dompurify";
import { Marked, marked } from "marked";

marked.setOptions({ gfm: true, breaks: false });

const escapes = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const escapeHtml = (text) => String(text).replace(/[&<>"]/g, (char) => escapes[char]);

// Discussion messages: raw HTML in a message is shown as the text it is, never interpreted.
const literalHtml = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
  },
});

/** Rendered Markdown → HTML without scripts, handlers, styles, forms, frames or images. */
const sanitized = (html) =>
  DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "iframe", "img"],
    FORBID_ATTR: ["style", "class", "id"],
  });

/** A discussion message's Markdown → sanitized HTML, with any raw HTML shown as text. */
export const messageHtml = (source) =>
  sanitized(literalHtml.parse(String(source ?? ""), { async: false }));

/** Markdown source → sanitized HTML string (no scripts, handlers, styles or raw frames). */
export const markdownHtml = (source) =>
  sanitized(marked.parse(String(source ?? ""), { async: false }));

/** A stable colour for a name (for cursors, avatars). */
export function colourFor(name) {
  let hash = 0;
  for (const char of String(name)) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  const hue = hash % 360;
  return { colour: `hsl(${hue} 70% 38%)`, light: `hsl(${hue} 70% 38% / 0.2)` };
}

/** Announces a short text to screen readers and shows it as a toast. */
export function notify(text, kind = "info") {
  let region = document.getElementById("toasts");
  if (!region) {
    region = document.createElement("div");
    region.id = "toasts";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.body.append(region);
  }
  const toast = document.createElement("p");
  toast.className = `toast toast-${kind}`;
  toast.textContent = text;
  region.append(toast);
  setTimeout(() => toast.remove(), 6000);
}

/** The text of an error for people: the problem's detail, or a generic message. */
export function errorText(error, fallback) {
  return error?.problem?.detail || error?.message || fallback;
}

/** Empties `parent` and returns a new element in it to render into. lit remembers what it
 * rendered into a container, so a container emptied by other means must not be reused. */
export function fresh(parent, tag = "div") {
  const element = document.createElement(tag);
  parent.replaceChildren(element);
  return element;
}
