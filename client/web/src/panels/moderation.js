// The moderators' tools (owners and moderators only): the queue of open flags with their
// messages, hiding and unhiding a message, muting and unmuting a member, slow mode and the
// room lock. The queue is read with the `flags` command when the panel opens and then kept
// by the `flag.raised` and `flag.resolved` events (in the room's store).
import { html } from "lit";
import { formatDate, t } from "../i18n/index.js";
import { refusal } from "../discussion/refusals.js";
import { mountView } from "../ui/screen.js";

export function mountModeration(container, ctx) {
  const store = ctx.store;
  const state = { error: "", busy: false, done: "" };

  const run = async (command, done) => {
    state.busy = true;
    state.error = "";
    state.done = "";
    view.redraw();
    try {
      const answer = await ctx.live.send(command);
      state.done = done ? t(done) : "";
      return answer;
    } catch (error) {
      state.error = refusal(error, store);
      return null;
    } finally {
      state.busy = false;
      view.redraw();
    }
  };

  const loadFlags = async () => {
    const answer = await run({ type: "flags" });
    if (answer) store.change(() => (store.flags = new Map(answer.flags.map((flag) => [flag.id, flag]))));
  };

  const hide = (event, messageId) => {
    event.preventDefault();
    const reason = event.target.elements.reason.value.trim();
    if (reason) run({ type: "hide", message_id: messageId, reason }, "discussion.mod.hiddenDone");
  };

  const mute = (event) => {
    event.preventDefault();
    const form = event.target.elements;
    const user = form.user.value.trim();
    const minutes = Number(form.minutes.value);
    const reason = form.reason.value.trim();
    if (!user || !(minutes > 0) || !reason) return;
    run({ type: "mute", user, seconds: Math.round(minutes * 60), reason }, "discussion.mod.mutedDone");
  };

  const flagItem = (flag) => {
    const message = store.messages.get(flag.message_id) || flag.message;
    const hidden = Boolean(message?.hidden);
    return html`<li class="flag" data-testid="flag" data-message=${flag.message_id}>
      <p><strong>${flag.flagged_by?.display_name ?? ""}</strong> · ${formatDate(flag.created_at)}</p>
      <p>${t("discussion.mod.reason", { reason: flag.reason })}</p>
      <blockquote>${message?.deleted ? t("discussion.deleted") : (message?.body ?? "")}</blockquote>
      ${hidden
        ? html`<button type="button" class="secondary" ?disabled=${state.busy} @click=${() => run({ type: "unhide", message_id: flag.message_id }, "discussion.mod.unhiddenDone")}>${t("discussion.mod.unhide")}</button>`
        : html`<form class="inline-form" @submit=${(event) => hide(event, flag.message_id)}>
            <label for="hide-${flag.id}">${t("discussion.mod.hideReason")}</label>
            <input id="hide-${flag.id}" name="reason" maxlength="500" required .value=${flag.reason} />
            <button type="submit" data-testid="hide" ?disabled=${state.busy}>${t("discussion.mod.hide")}</button>
          </form>`}
      <button type="button" ?disabled=${state.busy} @click=${() => run({ type: "resolve_flag", flag_id: flag.id, outcome: "resolved" }, "discussion.mod.resolvedDone")}>${t("discussion.mod.resolve")}</button>
      <button type="button" class="secondary" ?disabled=${state.busy} @click=${() => run({ type: "resolve_flag", flag_id: flag.id, outcome: "dismissed" }, "discussion.mod.dismissedDone")}>${t("discussion.mod.dismiss")}</button>
    </li>`;
  };

  const mutes = () => [...store.mutes.entries()].filter(([, mute]) => Date.parse(mute.until) > Date.now());

  const view = mountView(container, () => html`<section class="moderation" data-testid="moderation" aria-label=${t("room.panel.moderation")}>
    <h2>${t("discussion.mod.flags")}</h2>
    <ul class="flags" data-testid="flags">${[...store.flags.values()].map(flagItem)}</ul>
    ${store.flags.size === 0 ? html`<p class="meta">${t("discussion.mod.noFlags")}</p>` : ""}

    <h2>${t("discussion.mod.room")}</h2>
    <p>
      <button type="button" data-testid="lock" ?disabled=${state.busy} aria-pressed=${store.room.locked ? "true" : "false"}
        @click=${() => run({ type: "lock", locked: !store.room.locked }, store.room.locked ? "discussion.mod.unlockedDone" : "discussion.mod.lockedDone")}>
        ${t(store.room.locked ? "discussion.mod.unlock" : "discussion.mod.lock")}</button>
    </p>
    <form class="inline-form" data-testid="slow-mode" @submit=${(event) => {
      event.preventDefault();
      const seconds = Math.min(3600, Math.max(0, Number(event.target.elements.seconds.value) || 0));
      run({ type: "slow_mode", seconds }, "discussion.mod.slowDone");
    }}>
      <label for="slow-seconds">${t("discussion.mod.slowSeconds")}</label>
      <input id="slow-seconds" name="seconds" type="number" min="0" max="3600" .value=${String(store.room.slow_mode_seconds)} />
      <button type="submit" ?disabled=${state.busy}>${t("discussion.mod.slowApply")}</button>
    </form>

    <h2>${t("discussion.mod.mute")}</h2>
    <form class="inline-form" data-testid="mute-form" @submit=${mute}>
      <label for="mute-user">${t("discussion.mod.muteUser")}</label>
      <input id="mute-user" name="user" required list="present-people" />
      <datalist id="present-people">${[...store.present.values()].map((person) => html`<option value=${person.name}>${person.display_name}</option>`)}</datalist>
      <label for="mute-minutes">${t("discussion.mod.muteMinutes")}</label>
      <input id="mute-minutes" name="minutes" type="number" min="1" max="43200" value="10" required />
      <label for="mute-reason">${t("discussion.mod.muteReason")}</label>
      <input id="mute-reason" name="reason" maxlength="500" required />
      <button type="submit" ?disabled=${state.busy}>${t("discussion.mod.muteNow")}</button>
    </form>
    <ul data-testid="mutes">
      ${mutes().map(
        ([name, mute]) => html`<li>${store.displayName(name)} · ${t("discussion.mod.mutedUntil", { until: formatDate(mute.until) })}
          <button type="button" class="link" ?disabled=${state.busy} @click=${() => run({ type: "unmute", user: name }, "discussion.mod.unmutedDone")}>${t("discussion.mod.unmute")}</button></li>`,
      )}
    </ul>
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
    <p class="meta" role="status">${state.done}</p>
  </section>`);
  const stop = store.subscribe(() => view.redraw());
  loadFlags();
  return () => {
    stop();
    view.dispose();
  };
}
