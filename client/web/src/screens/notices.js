// What I follow (`/notices`, signed in): the address notices are e-mailed to, subscriptions
// (everything, an oblast, a sector, a room or an organisation), the public feeds to put in a
// reader or a calendar, and webhook endpoints: registered (the signing secret is shown once),
// their secret rotated, disabled, and their deliveries listed.
import { html } from "lit";
import { del, get, post, put } from "../api.js";
import { oblastName, reference, sortedOblasts, termName } from "../directory/reference.js";
import { formatDate, t } from "../i18n/index.js";
import { session } from "../session.js";
import { errorText, notify } from "../ui/dom.js";
import { acting } from "../ui/acting.js";
import { mountView } from "../ui/screen.js";

const KINDS = ["all", "region", "sector", "room", "organisation"];
const EVENTS = ["consultation.opened", "consultation.closing", "consultation.reported", "decision.recorded"];

export function showNotices(container) {
  const state = {
    settings: null,
    endpoints: null,
    ref: null,
    rooms: [],
    kind: "region",
    issued: null, // {endpoint, secret}: shown once
    deliveries: new Map(), // endpoint id → list
    error: "",
    busy: false,
  };
  let disposed = false;

  const load = async () => {
    if (!session.user) {
      view.redraw();
      return;
    }
    try {
      const [settings, endpoints, ref, rooms] = await Promise.all([
        get("/me/notices"),
        get("/me/webhooks"),
        reference(),
        get("/rooms"),
      ]);
      Object.assign(state, { settings, endpoints: endpoints.endpoints, ref, rooms: rooms.rooms, error: "" });
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    }
    if (!disposed) view.redraw();
  };

  const act = acting(state, () => view.redraw(), load);

  const saveAddress = (event) => {
    event.preventDefault();
    const email = String(new FormData(event.target).get("email")).trim();
    return act(() => put("/me/notices/email", { email: email || null }), t("notices.addressSaved"));
  };
  const follow = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const kind = String(form.get("kind"));
    const target = kind === "all" ? "" : String(form.get("target") ?? "").trim();
    return act(() => post("/me/subscriptions", { kind, target }), t("notices.followed"));
  };
  const unfollow = (subscription) => act(() => del(`/me/subscriptions/${subscription.id}`), t("notices.unfollowed"));
  const register = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const types = form.getAll("event_types").map(String);
    return act(async () => {
      const made = await post("/me/webhooks", {
        url: String(form.get("url")).trim(),
        description: String(form.get("description")).trim(),
        event_types: types.length ? types : null,
      });
      state.issued = { endpoint: made.id, secret: made.secret };
    }, t("notices.webhookAdded"));
  };
  const rotate = (endpoint) =>
    act(async () => {
      const made = await post(`/me/webhooks/${endpoint.id}/rotation`, { overlap_seconds: 24 * 3600 });
      state.issued = { endpoint: made.id, secret: made.secret };
    });
  const disable = (endpoint) => act(() => del(`/me/webhooks/${endpoint.id}`), t("notices.webhookDisabled"));
  const showDeliveries = async (endpoint) => {
    try {
      const found = await get(`/me/webhooks/${endpoint.id}/deliveries`);
      state.deliveries.set(endpoint.id, found.deliveries);
    } catch (error) {
      notify(errorText(error, t("common.failed")), "error");
    }
    view.redraw();
  };

  const targetName = (subscription) => {
    const { kind, target } = subscription;
    if (kind === "all") return t("notices.kind.all");
    if (kind === "region") return `${t("notices.kind.region")}: ${oblastName(state.ref, target)}`;
    if (kind === "sector") return `${t("notices.kind.sector")}: ${termName(state.ref?.sectors, target)}`;
    return `${t(`notices.kind.${kind}`)}: ${target}`;
  };

  const targetField = () => {
    const kind = state.kind;
    if (kind === "all") return "";
    if (kind === "region")
      return html`<label>${t("notices.kind.region")}<select name="target" required>
        ${sortedOblasts(state.ref).map((o) => html`<option value=${o.code}>${oblastName(state.ref, o.code)}</option>`)}
      </select></label>`;
    if (kind === "sector")
      return html`<label>${t("notices.kind.sector")}<select name="target" required>
        ${(state.ref?.sectors ?? []).map((s) => html`<option value=${s.slug}>${termName(state.ref.sectors, s.slug)}</option>`)}
      </select></label>`;
    if (kind === "room")
      return html`<label>${t("notices.kind.room")}<select name="target" required>
        ${state.rooms.map((r) => html`<option value=${r.slug}>${r.title}</option>`)}
      </select></label>`;
    return html`<label>${t("notices.organisationSlug")}<input name="target" required maxlength="80" autocomplete="off" /></label>`;
  };

  const feedLinks = () => {
    const base = location.origin;
    const feeds = [
      ["notices.feed.atom", `${base}/feeds/consultations.atom`],
      ["notices.feed.calendar", `${base}/feeds/calendar.ics`],
    ];
    return html`<ul class="feeds">
      ${feeds.map(([key, url]) => html`<li><a href=${url} data-testid="feed">${t(key)}</a> <code>${url}</code></li>`)}
    </ul>`;
  };

  const endpointRow = (endpoint) => html`<li class="endpoint" data-testid="endpoint">
    <p><code>${endpoint.url}</code> ${endpoint.disabled_at ? html`<span class="meta">${t("notices.disabled")}</span>` : ""}</p>
    <p class="meta">${(endpoint.event_types ?? [t("notices.allEvents")]).join(", ")}</p>
    ${endpoint.disabled_at
      ? ""
      : html`<button type="button" class="secondary" ?disabled=${state.busy} @click=${() => rotate(endpoint)}>${t("notices.rotate")}</button>
          <button type="button" class="secondary" ?disabled=${state.busy} @click=${() => disable(endpoint)}>${t("notices.disable")}</button>`}
    <button type="button" class="secondary" @click=${() => showDeliveries(endpoint)}>${t("notices.deliveries")}</button>
    ${state.deliveries.has(endpoint.id)
      ? html`<ul class="deliveries">
          ${state.deliveries.get(endpoint.id).map(
            (d) => html`<li>${d.event_type} · ${t(`notices.state.${d.state}`)} · ${formatDate(d.created_at)}${d.last_error ? html` · ${d.last_error}` : ""}</li>`,
          )}
        </ul>`
      : ""}
  </li>`;

  const view = mountView(container, () => {
    if (!session.user)
      return html`<h1>${t("notices.title")}</h1>
        <p><a href="/login">${t("notices.signIn")}</a></p>
        <h2>${t("notices.feeds")}</h2>
        ${feedLinks()}`;
    const settings = state.settings;
    return html`
      <h1>${t("notices.title")}</h1>
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      ${settings === null
        ? html`<p class="loading">${t("common.loading")}</p>`
        : html`
            <form class="row-form" @submit=${saveAddress} data-testid="address">
              <label>${t("notices.address")}<input type="email" name="email" maxlength="254" .value=${settings.email ?? ""} autocomplete="email" /></label>
              <button type="submit" ?disabled=${state.busy}>${t("notices.save")}</button>
            </form>
            ${settings.email ? "" : html`<p class="meta">${t("notices.noAddress")}</p>`}
            <h2>${t("notices.following")}</h2>
            ${settings.subscriptions.length
              ? html`<ul class="subscriptions" data-testid="subscriptions">
                  ${settings.subscriptions.map(
                    (s) => html`<li data-testid="subscription">${targetName(s)}
                      <button type="button" class="secondary" ?disabled=${state.busy} @click=${() => unfollow(s)}>${t("notices.unfollow")}</button></li>`,
                  )}
                </ul>`
              : html`<p class="meta">${t("notices.nothing")}</p>`}
            <form class="row-form" @submit=${follow} data-testid="follow">
              <label>${t("notices.what")}<select name="kind" @change=${(e) => { state.kind = e.target.value; view.redraw(); }}>
                ${KINDS.map((kind) => html`<option value=${kind} ?selected=${kind === state.kind}>${t(`notices.kind.${kind}`)}</option>`)}
              </select></label>
              ${targetField()}
              <button type="submit" ?disabled=${state.busy}>${t("notices.follow")}</button>
            </form>
            <h2>${t("notices.feeds")}</h2>
            ${feedLinks()}
            <h2>${t("notices.webhooks")}</h2>
            <p class="meta">${t("notices.webhooksHint")}</p>
            ${state.issued
              ? html`<div class="issued" role="status">
                  <p>${t("notices.secretOnce")}</p>
                  <input readonly .value=${state.issued.secret} aria-label=${t("notices.secret")} data-testid="webhook-secret" @focus=${(e) => e.target.select()} />
                </div>`
              : ""}
            <ul class="endpoints">${(state.endpoints ?? []).map(endpointRow)}</ul>
            <form class="row-form" @submit=${register} data-testid="webhook">
              <label>${t("notices.url")}<input type="url" name="url" required maxlength="2000" /></label>
              <label>${t("notices.description")}<input name="description" maxlength="500" /></label>
              <fieldset>
                <legend>${t("notices.events")}</legend>
                ${EVENTS.map((type) => html`<label class="inline"><input type="checkbox" name="event_types" value=${type} />${t(`notices.event.${type}`)}</label>`)}
              </fieldset>
              <button type="submit" ?disabled=${state.busy}>${t("notices.addWebhook")}</button>
            </form>
          `}
    `;
  });
  const stop = session.onChange(load);
  load();
  return () => {
    disposed = true;
    stop();
    view.dispose();
  };
}
