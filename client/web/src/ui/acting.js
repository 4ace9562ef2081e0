// One way for a screen to carry out what a person asked: the screen is marked busy while the
// request runs, success is told (and `succeeded` resets what the screen showed for it), a
// refusal is shown in the server's words, and the screen reloads either way.
import { t } from "../i18n/index.js";
import { errorText, notify } from "./dom.js";

/** `act(work, done)`: runs `work()`; `redraw` and `reload` are the screen's. */
export function acting(state, redraw, reload, succeeded = () => {}) {
  return async (work, done) => {
    state.busy = true;
    redraw();
    try {
      await work();
      if (done) notify(done);
      succeeded();
    } catch (error) {
      notify(errorText(error, t("common.failed")), "error");
    } finally {
      state.busy = false;
      await reload();
    }
  };
}
