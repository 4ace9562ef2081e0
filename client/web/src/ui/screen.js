// A screen that re-renders itself with lit whenever its state or the language changes.
import { render } from "lit";
import { onLocale } from "../i18n/index.js";

/** `view()` returns a lit template; call the returned `redraw()` after changing state. */
export function mountView(container, view) {
  const redraw = () => render(view(), container);
  const stop = onLocale(redraw);
  redraw();
  return { redraw, dispose: stop };
}
