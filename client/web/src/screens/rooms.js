// The rooms the person may read, and a form to create one (any signed-in person may).
import { html } from "lit";
import { get, post } from "../api.js";
import { formatDate, t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { session } from "../session.js";
import { errorText } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";
import { slugFrom } from "../ui/slug.js";

export function showRooms(container) {
  const state = { rooms: null, error: "", creating: false, formError: "" };
  const load = async () => {
    try {
      state.rooms = (await get("/rooms")).rooms;
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    }
    view.redraw();
  };
  const create = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    state.creating = true;
    state.formError = "";
    view.redraw();
    try {
      const title = String(form.get("title")).trim();
      const slug = String(form.get("slug") || "").trim() || slugFrom(title);
      const body = { slug, title, visibility: form.get("visibility") };
      const description = String(form.get("description") || "").trim();
      if (description) body.description = description;
      const room = await post("/rooms", body);
      navigate(`/rooms/${encodeURIComponent(room.slug)}`);
    } catch (error) {
      state.creating = false;
      state.formError = errorText(error, t("common.failed"));
      view.redraw();
    }
  };
  const roomItem = (room) => html`
    <li class="room-item">
      <a href="/rooms/${encodeURIComponent(room.slug)}" data-testid="room-link">${room.title}</a>
      <span class="meta">
        ${t(`rooms.visibility.${room.visibility}`)}${room.role ? html` · ${t(`role.${room.role}`)}` : ""}
        ${room.archived_at ? html` · ${t("rooms.archived")}` : ""} · ${formatDate(room.created_at, { dateStyle: "medium" })}
      </span>
      ${room.description ? html`<p>${room.description}</p>` : ""}
    </li>
  `;
  const view = mountView(
    container,
    () => html`
      <section class="card">
        <h1>${t("rooms.title")}</h1>
        ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
        ${state.rooms === null
          ? html`<p class="loading">${t("common.loading")}</p>`
          : state.rooms.length === 0
            ? html`<p>${session.user ? t("rooms.none") : t("rooms.noneAnonymous")}</p>`
            : html`<ul class="rooms" data-testid="rooms">${state.rooms.map(roomItem)}</ul>`}
      </section>
      ${session.user
        ? html`<section class="card">
            <h2>${t("rooms.create")}</h2>
            <form @submit=${create} data-testid="create-room">
              <label
                >${t("rooms.roomTitle")}<input
                  name="title"
                  required
                  maxlength="200"
                  @input=${(e) => {
                    const slug = e.target.form.elements.slug;
                    if (!slug.dataset.edited) slug.value = slugFrom(e.target.value);
                  }}
              /></label>
              <label
                >${t("rooms.slug")}<input
                  name="slug"
                  required
                  maxlength="64"
                  pattern="[a-z0-9]([a-z0-9\-]{0,62}[a-z0-9])?"
                  aria-describedby="slug-hint"
                  @input=${(e) => (e.target.dataset.edited = "1")}
              /></label>
              <p class="hint" id="slug-hint">${t("rooms.slugHint")}</p>
              <label>${t("rooms.description")}<textarea name="description" rows="2" maxlength="2000"></textarea></label>
              <fieldset>
                <legend>${t("rooms.visibilityLabel")}</legend>
                <label class="inline"
                  ><input type="radio" name="visibility" value="private" checked />${t("rooms.visibility.private")}</label
                >
                <label class="inline"
                  ><input type="radio" name="visibility" value="public" />${t("rooms.visibility.public")}</label
                >
              </fieldset>
              ${state.formError ? html`<p class="error" role="alert">${state.formError}</p>` : ""}
              <button type="submit" ?disabled=${state.creating}>${t("rooms.createSubmit")}</button>
            </form>
          </section>`
        : html`<p class="hint"><a href="/login">${t("common.signIn")}</a> ${t("rooms.signInToCreate")}</p>`}
    `,
  );
  load();
  return view.dispose;
}
