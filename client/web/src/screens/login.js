// The sign-in page. On success it goes back to where the person came from (?next=).
import { html } from "lit";
import { t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { session } from "../session.js";
import { mountView } from "../ui/screen.js";

function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function showLogin(container) {
  const state = { busy: false, error: "" };
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    state.busy = true;
    state.error = "";
    view.redraw();
    try {
      await session.login(String(form.get("name")).trim(), String(form.get("password")));
      navigate(nextPath(), { replace: true });
    } catch (error) {
      state.busy = false;
      state.error =
        error.status === 429 ? t("login.throttled") : error.status === 401 ? t("login.wrong") : t("common.failed");
      view.redraw();
    }
  };
  const view = mountView(
    container,
    () => html`
      <section class="card narrow">
        <h1>${t("login.title")}</h1>
        <form @submit=${submit} data-testid="login-form">
          <label>${t("login.name")}<input name="name" autocomplete="username" required maxlength="64" /></label>
          <label
            >${t("login.password")}<input name="password" type="password" autocomplete="current-password" required
          /></label>
          ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
          <button type="submit" ?disabled=${state.busy}>${t("login.submit")}</button>
        </form>
      </section>
    `,
  );
  return view.dispose;
}
