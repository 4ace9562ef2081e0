// The discussion: messages in threads (a reply sits under its message), edits and deletes of
// one's own, reactions, flags, who is typing, and the composer (Enter sends, Shift+Enter makes
// a new line). Everything comes from the room's store (discussion/store.js), so a message
// that an event and the first page both bring is shown once. Refusals are shown inline.
import { html } from "lit";
import { formatDate, t } from "../i18n/index.js";
import { refusal } from "../discussion/refusals.js";
import { messageHtml, notify } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

const EMOJI = ["👍", "👎", "❤️", "❓"];
const TYPING_PAUSE = 3000;

export function mountDiscussion(container, ctx) {
  const store = ctx.store;
  const me = () => ctx.live.welcome?.you?.name ?? ctx.me?.name ?? null;
  const state = { replyTo: null, editing: null, flagging: null, error: "", busy: false };
  let typingTimer = null;
  let typingOn = false;

  const setTyping = (active) => {
    clearTimeout(typingTimer);
    if (active) typingTimer = setTimeout(() => setTyping(false), TYPING_PAUSE);
    if (active === typingOn) return;
    typingOn = active;
    ctx.live.tell({ type: "typing", active });
  };

  const run = async (command, after) => {
    state.busy = true;
    state.error = "";
    view.redraw();
    try {
      await ctx.live.send(command);
      after?.();
    } catch (error) {
      state.error = refusal(error, store);
    }
    state.busy = false;
    view.redraw();
  };

  const submit = (event) => {
    event.preventDefault();
    const field = event.target.elements.body;
    const body = field.value.trim();
    if (!body) return;
    setTyping(false);
    const command = { type: "post", body };
    if (state.replyTo) command.parent_id = state.replyTo.id;
    run(command, () => {
      field.value = "";
      state.replyTo = null;
    });
  };

  const composerKeys = (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  };

  const saveEdit = (event, message) => {
    event.preventDefault();
    const body = event.target.elements.body.value.trim();
    if (!body) return;
    run({ type: "edit", message_id: message.id, body }, () => (state.editing = null));
  };

  const sendFlag = (event, message) => {
    event.preventDefault();
    const reason = event.target.elements.reason.value.trim();
    if (!reason) return;
    run({ type: "flag", message_id: message.id, reason }, () => {
      state.flagging = null;
      notify(t("discussion.flagSent"));
    });
  };

  const react = (message, emoji) => {
    const on = !store.mine.get(message.id)?.has(emoji);
    run({ type: "react", message_id: message.id, emoji, on });
  };

  const bodyOf = (message) => {
    if (message.deleted) return html`<p class="gone">${t("discussion.deleted")}</p>`;
    if (message.hidden && message.body === null) {
      return html`<p class="gone">${t("discussion.hidden", { reason: message.hidden.reason ?? "" })}</p>`;
    }
    return html`${message.hidden ? html`<p class="gone">${t("discussion.hiddenForOthers", { reason: message.hidden.reason ?? "" })}</p>` : ""}
      <div class="markdown body" .innerHTML=${messageHtml(message.body)}></div>`;
  };

  const editForm = (message) => html`<form class="inline-form" @submit=${(event) => saveEdit(event, message)}>
    <label class="visually-hidden" for="edit-${message.id}">${t("discussion.editLabel")}</label>
    <textarea id="edit-${message.id}" name="body" rows="3" .value=${message.body ?? ""}></textarea>
    <button type="submit" ?disabled=${state.busy}>${t("discussion.save")}</button>
    <button type="button" class="secondary" @click=${() => ((state.editing = null), view.redraw())}>${t("common.cancel")}</button>
  </form>`;

  const flagForm = (message) => html`<form class="inline-form" data-testid="flag-form" @submit=${(event) => sendFlag(event, message)}>
    <label for="flag-${message.id}">${t("discussion.flagReason")}</label>
    <input id="flag-${message.id}" name="reason" maxlength="500" required />
    <button type="submit" ?disabled=${state.busy}>${t("discussion.flagSend")}</button>
    <button type="button" class="secondary" @click=${() => ((state.flagging = null), view.redraw())}>${t("common.cancel")}</button>
  </form>`;

  const reactions = (message) => {
    const counts = message.reactions || {};
    const mine = store.mine.get(message.id) || new Set();
    return html`<div class="reactions" role="group" aria-label=${t("discussion.reactions")}>
      ${EMOJI.map(
        (emoji) => html`<button type="button" class="reaction" data-testid="reaction" data-emoji=${emoji}
          aria-pressed=${mine.has(emoji) ? "true" : "false"}
          aria-label=${t("discussion.react", { emoji, count: counts[emoji] || 0 })}
          ?disabled=${!ctx.can("owner", "moderator", "participant")}
          @click=${() => react(message, emoji)}>${emoji}${counts[emoji] ? html` <span>${counts[emoji]}</span>` : ""}</button>`,
      )}
    </div>`;
  };

  const actions = (message) => {
    if (message.deleted) return "";
    const own = message.author?.name === me();
    const member = ctx.can("owner", "moderator", "participant", "observer");
    return html`<div class="message-actions">
      ${ctx.can("owner", "moderator", "participant")
        ? html`<button type="button" class="link" @click=${() => ((state.replyTo = message), view.redraw(), container.querySelector("#composer")?.focus())}>${t("discussion.reply")}</button>`
        : ""}
      ${own && !message.hidden
        ? html`<button type="button" class="link" @click=${() => ((state.editing = message.id), view.redraw())}>${t("discussion.edit")}</button>
            <button type="button" class="link" data-testid="delete-message" @click=${() => run({ type: "delete", message_id: message.id })}>${t("discussion.delete")}</button>`
        : ""}
      ${!own && member && me()
        ? html`<button type="button" class="link" data-testid="flag-message" @click=${() => ((state.flagging = message.id), view.redraw())}>${t("discussion.flag")}</button>`
        : ""}
    </div>`;
  };

  const item = (message) => html`<article class="message" data-testid="message" data-id=${message.id}
      aria-label=${t("discussion.messageBy", { name: message.author?.display_name ?? t("discussion.someone") })}>
    <header>
      <strong class="author">${message.author?.display_name ?? t("discussion.someone")}</strong>
      <time datetime=${message.created_at}>${formatDate(message.created_at)}</time>
      ${message.edited_at ? html`<span class="meta">${t("discussion.edited")}</span>` : ""}
    </header>
    ${state.editing === message.id ? editForm(message) : bodyOf(message)}
    ${message.deleted ? "" : reactions(message)}
    ${actions(message)}
    ${state.flagging === message.id ? flagForm(message) : ""}
  </article>`;

  const typingLine = () => {
    const names = [...store.present.values()].filter((p) => p.typing && p.name !== me()).map((p) => p.display_name || p.name);
    return html`<p class="typing" data-testid="typing" aria-live="polite">
      ${names.length ? t("discussion.typing", { names: names.join(", "), count: names.length }) : ""}
    </p>`;
  };

  const composer = () => {
    if (!ctx.can("owner", "moderator", "participant")) {
      return html`<p class="meta">${t(me() ? "discussion.readOnly" : "discussion.signInToTalk")}</p>`;
    }
    return html`<form class="composer" data-testid="composer" @submit=${submit}>
      ${state.replyTo
        ? html`<p class="replying" data-testid="replying">${t("discussion.replyingTo", { name: state.replyTo.author?.display_name ?? "" })}
            <button type="button" class="link" @click=${() => ((state.replyTo = null), view.redraw())}>${t("common.cancel")}</button></p>`
        : ""}
      <label for="composer">${t("discussion.write")}</label>
      <textarea id="composer" name="body" rows="2" maxlength="10000" @keydown=${composerKeys}
        @input=${(event) => setTyping(event.target.value.length > 0)} @blur=${() => setTyping(false)}></textarea>
      <p class="meta">${t("discussion.enterHint")}</p>
      <button type="submit" ?disabled=${state.busy}>${t("discussion.send")}</button>
    </form>`;
  };

  const view = mountView(container, () => {
    const threads = store.threads();
    return html`<section class="discussion" data-testid="discussion" aria-label=${t("room.panel.discussion")}>
      ${store.nextBefore
        ? html`<button type="button" class="secondary" @click=${() => store.loadEarlier()}>${t("discussion.earlier")}</button>`
        : ""}
      ${threads.length === 0 ? html`<p class="meta">${t("discussion.empty")}</p>` : ""}
      <div class="threads">
        ${threads.map(
          ({ message, replies }) => html`<div class="thread">
            ${item(message)}
            ${replies.length ? html`<div class="replies" data-testid="replies">${replies.map(item)}</div>` : ""}
          </div>`,
        )}
      </div>
      ${typingLine()}
      ${store.room.locked
        ? html`<p class="notice" data-testid="locked-notice">${t("discussion.lockedNotice")}</p>`
        : ""}
      ${store.room.slow_mode_seconds > 0
        ? html`<p class="notice" data-testid="slow-notice">${t("discussion.slowNotice", { count: store.room.slow_mode_seconds })}</p>`
        : ""}
      ${state.error ? html`<p class="error" role="alert" data-testid="discussion-error">${state.error}</p>` : ""}
      ${composer()}
    </section>`;
  });
  const stop = store.subscribe(() => view.redraw());

  return () => {
    stop();
    view.dispose();
    if (typingOn) setTyping(false);
    clearTimeout(typingTimer);
  };
}
