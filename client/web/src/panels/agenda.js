// The agenda and the speaking queue: the items with the current one marked, the queue of
// raised hands, and who has the floor with the time left, counted down each second from the
// server's `ends_at`. Participants raise and lower their hand; moderators and owners run the
// session (add, make current, remove items; give the floor, next speaker, end the floor).
import { html } from "lit";
import { t } from "../i18n/index.js";
import { refusal } from "../discussion/refusals.js";
import { mountView } from "../ui/screen.js";

const clock = (seconds) => {
  const whole = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
};

export function mountAgenda(container, ctx) {
  const store = ctx.store;
  const state = { error: "", busy: false, seconds: 120 };
  const me = () => ctx.live.welcome?.you?.name ?? null;
  const chair = () => ctx.can("owner", "moderator");

  const run = async (command) => {
    state.busy = true;
    state.error = "";
    view.redraw();
    try {
      await ctx.live.send(command);
    } catch (error) {
      state.error = refusal(error, store);
    }
    state.busy = false;
    view.redraw();
  };

  const timeLimit = () => (state.seconds > 0 ? { seconds: state.seconds } : {});

  const addItem = (event) => {
    event.preventDefault();
    const field = event.target.elements.title;
    const title = field.value.trim();
    if (!title) return;
    run({ type: "agenda_add", title }).then(() => {
      if (!state.error) field.value = "";
    });
  };

  const floor = () => {
    const given = store.session.floor;
    if (!given) return html`<p class="meta" data-testid="floor">${t("discussion.floor.nobody")}</p>`;
    const left = given.ends_at ? (Date.parse(given.ends_at) - Date.now()) / 1000 : null;
    return html`<div class="floor" data-testid="floor">
      <p>${t("discussion.floor.has", { name: given.display_name || given.user })}</p>
      ${left === null
        ? html`<p class="meta">${t("discussion.floor.noLimit")}</p>`
        : html`<p class="timer ${left <= 0 ? "over" : ""}" data-testid="floor-timer" role="timer" aria-live="off">
            ${left > 0 ? clock(left) : t("discussion.floor.timeUp")}</p>`}
      ${chair() ? html`<button type="button" class="secondary" ?disabled=${state.busy} @click=${() => run({ type: "end_floor" })}>${t("discussion.floor.end")}</button>` : ""}
    </div>`;
  };

  const agenda = () => {
    const items = [...store.session.agenda].sort((a, b) => a.position - b.position);
    return html`<ol class="agenda" data-testid="agenda">
      ${items.map(
        (entry) => html`<li data-testid="agenda-item" aria-current=${store.session.current_item_id === entry.id ? "step" : "false"}>
          <span>${entry.title}</span>
          ${store.session.current_item_id === entry.id ? html`<span class="badge">${t("discussion.agenda.now")}</span>` : ""}
          ${chair()
            ? html`<span class="row-actions">
                ${store.session.current_item_id === entry.id
                  ? ""
                  : html`<button type="button" class="link" ?disabled=${state.busy} @click=${() => run({ type: "agenda_current", item_id: entry.id })}>${t("discussion.agenda.makeCurrent")}</button>`}
                <button type="button" class="link" ?disabled=${state.busy}
                  aria-label=${t("discussion.agenda.removeItem", { title: entry.title })}
                  @click=${() => run({ type: "agenda_remove", item_id: entry.id })}>${t("discussion.agenda.remove")}</button>
              </span>`
            : ""}
        </li>`,
      )}
    </ol>
    ${items.length === 0 ? html`<p class="meta">${t("discussion.agenda.empty")}</p>` : ""}`;
  };

  const queue = () => {
    const names = store.session.queue;
    const raised = names.includes(me());
    return html`<h3>${t("discussion.queue.title")}</h3>
      <ol class="queue" data-testid="queue">
        ${names.map(
          (name) => html`<li data-testid="queued" data-name=${name}>
            <span>${store.displayName(name)}</span>
            ${chair()
              ? html`<button type="button" class="link" ?disabled=${state.busy} @click=${() => run({ type: "give_floor", user: name, ...timeLimit() })}>${t("discussion.queue.give")}</button>
                  <button type="button" class="link" ?disabled=${state.busy} @click=${() => run({ type: "lower_hand", user: name })}>${t("discussion.queue.lowerTheirs")}</button>`
              : ""}
          </li>`,
        )}
      </ol>
      ${names.length === 0 ? html`<p class="meta">${t("discussion.queue.empty")}</p>` : ""}
      ${ctx.can("owner", "moderator", "participant")
        ? html`<button type="button" data-testid="hand" ?disabled=${state.busy} @click=${() => run({ type: raised ? "lower_hand" : "raise_hand" })}>
            ${t(raised ? "discussion.queue.lower" : "discussion.queue.raise")}</button>`
        : ""}
      ${chair()
        ? html`<div class="chair-tools">
            <label for="speaking-seconds">${t("discussion.queue.seconds")}</label>
            <input id="speaking-seconds" type="number" min="0" max="3600" .value=${String(state.seconds)}
              @change=${(event) => (state.seconds = Math.min(3600, Math.max(0, Number(event.target.value) || 0)))} />
            <button type="button" data-testid="next-speaker" ?disabled=${state.busy} @click=${() => run({ type: "next_speaker", ...timeLimit() })}>${t("discussion.queue.next")}</button>
          </div>`
        : ""}`;
  };

  const view = mountView(container, () => html`<section class="agenda-panel" aria-label=${t("room.panel.agenda")}>
    <h2>${t("discussion.agenda.title")}</h2>
    ${agenda()}
    ${chair()
      ? html`<form class="inline-form" data-testid="agenda-add" @submit=${addItem}>
          <label for="agenda-title">${t("discussion.agenda.newItem")}</label>
          <input id="agenda-title" name="title" maxlength="200" required />
          <button type="submit" ?disabled=${state.busy}>${t("discussion.agenda.add")}</button>
        </form>`
      : ""}
    <h3>${t("discussion.floor.title")}</h3>
    ${floor()}
    ${queue()}
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
  </section>`);
  const stop = store.subscribe(() => view.redraw());
  const ticker = setInterval(() => {
    if (store.session.floor?.ends_at) view.redraw();
  }, 1000);
  return () => {
    clearInterval(ticker);
    stop();
    view.dispose();
  };
}
