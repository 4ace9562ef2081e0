// An invitation link (/invite/{token}): sign in first, then accept and enter the room.
import { html } from "lit";
import { post } from "../api.js";
import { t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { session } from "../session.js";
import { errorText } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

const REASONS = { 404: "invite.unknown", 410: "invite.gone", 409: "invite.used", 403: "invite.refused" };

export function showInvitation(container, { token }) {
  const state = { busy: false, error: "" };
  const accept = async () => {
    state.busy = true;
    view.redraw();
    try {
      const room = await post(`/invitations/${encodeURIComponent(token)}/accept`);
      navigate(`/rooms/${encodeURIComponent(room.slug)}`, { replace: true });
    } catch (error) {
      state.busy = false;
      state.error = REASONS[error.status] ? t(REASONS[error.status]) : errorText(error, t("common.failed"));
      view.redraw();
    }
  };
  const here = encodeURIComponent(location.pathname);
  const view = mountView(
    container,
    () => html`
      <section class="card narrow">
        <h1>${t("invite.title")}</h1>
        ${session.user
          ? html`<p>${t("invite.explain", { name: session.user.display_name || session.user.name })}</p>
              <button type="button" @click=${accept} ?disabled=${state.busy} data-testid="accept">
                ${t("invite.accept")}
              </button>`
          : html`<p>${t("invite.signInFirst")}</p>
              <a class="button" href="/login?next=${here}">${t("common.signIn")}</a>`}
        ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      </section>
    `,
  );
  return view.dispose;
}
