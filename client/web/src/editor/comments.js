// Anchored comments in the margin of the text (docs/amendments.md "Anchored comments").
// The server resolves each comment's anchor (two Yjs relative positions) to code point offsets
// of the text as it is now. Once the browser's copy is in sync we turn those offsets into
// relative positions of our own Y.Text, so the highlights and the margin follow every later
// edit, local or remote, without asking the server again.
import { html, render } from "lit";
import * as Y from "yjs";
import { get, post } from "../api.js";
import { formatDate, onLocale, t } from "../i18n/index.js";
import { errorText, notify } from "../ui/dom.js";

/** UTF-16 index ↔ code point offset of `text` (the API counts code points). */
export const toCodePoints = (text, index) => Array.from(text.slice(0, index)).length;
export const toUnits = (text, points) => Array.from(text).slice(0, points).join("").length;


export class CommentsMargin {
  /** `host`: the margin element; `tools`: where the "Comment" button goes (above the text);
   * `editor`: mountEditor's handle; `canComment`: bool. */
  constructor(host, { tools, document, text, editor, canComment, settled = async () => true }) {
    this.settled = settled;
    this.host = host;
    this.tools = tools;
    this.document = document;
    this.text = text;
    this.editor = editor;
    this.canComment = canComment;
    this.comments = []; // {id, author, body, created_at, quote, startRel, endRel, from, to}
    this.selection = { from: 0, to: 0 };
    this.draft = null; // {from, to, quote} while writing a new comment
    this.active = null;
    this.error = "";
    // the text changes inside CodeMirror's own update: place the marks just after it
    this.poll = setInterval(() => {
      if (globalThis.document.visibilityState === "visible" && !this.draft) this.load();
    }, 60_000);
    this.observer = () => {
      if (this.placing) return;
      this.placing = true;
      queueMicrotask(() => {
        this.placing = false;
        if (!this.destroyed) this.place();
      });
    };
    text.observe(this.observer);
    this.stopLocale = onLocale(() => this.draw());
    this.onResize = () => this.layout();
    addEventListener("resize", this.onResize);
    this.draw();
  }

  path() {
    return `/documents/${encodeURIComponent(this.document)}/comments`;
  }

  async load() {
    try {
      const answer = await get(this.path());
      const now = this.text.toString();
      this.comments = answer.comments.map((comment) => this.anchor(comment, now));
      this.error = "";
    } catch (error) {
      this.error = errorText(error, t("editor.comments.loadFailed"));
    }
    this.place();
  }

  anchor(comment, now) {
    const from = comment.start === null ? 0 : toUnits(now, comment.start);
    const to = comment.end === null ? from : toUnits(now, comment.end);
    return {
      ...comment,
      startRel: Y.createRelativePositionFromTypeIndex(this.text, from, 0),
      // the end sticks to the range's last character, as the server's anchor does
      endRel: to > from ? Y.createRelativePositionFromTypeIndex(this.text, to - 1, 0) : null,
    };
  }

  /** Resolves every anchor against the text as it is now and redraws. */
  place() {
    const doc = this.text.doc;
    for (const comment of this.comments) {
      const start = Y.createAbsolutePositionFromRelativePosition(comment.startRel, doc);
      const last = comment.endRel && Y.createAbsolutePositionFromRelativePosition(comment.endRel, doc);
      comment.from = start ? start.index : 0;
      comment.to = last && last.index >= comment.from ? last.index + 1 : comment.from;
      comment.current = this.text.toString().slice(comment.from, comment.to);
    }
    this.comments.sort((a, b) => a.from - b.from || a.id - b.id);
    this.editor.setMarks(
      this.comments.map((c) => ({ from: c.from, to: c.to, id: c.id, active: c.id === this.active })),
    );
    this.draw();
  }

  select(from, to) {
    this.selection = { from, to };
    this.draw();
  }

  /** Opens the form for a comment on the selection; false when nothing is selected. */
  startDraft() {
    const { from, to } = this.selection;
    if (!this.canComment || to <= from) return false;
    // kept as relative positions: others may edit while the comment is written
    this.draft = {
      start: Y.createRelativePositionFromTypeIndex(this.text, from, 0),
      end: Y.createRelativePositionFromTypeIndex(this.text, to, -1),
      quote: this.text.toString().slice(from, to),
    };
    this.draw();
    this.host.querySelector("textarea")?.focus();
    return true;
  }

  async submit(event) {
    event.preventDefault();
    const body = event.target.elements.body.value;
    if (!body.trim() || !this.draft) return;
    try {
      // the server counts offsets in its own copy of the text: let ours reach it first
      await this.settled();
      const now = this.text.toString();
      const resolve = (position) => Y.createAbsolutePositionFromRelativePosition(position, this.text.doc)?.index ?? 0;
      const from = resolve(this.draft.start);
      const to = resolve(this.draft.end);
      if (to <= from) throw new Error(t("editor.comments.passageDeleted"));
      const added = await post(this.path(), {
        start: toCodePoints(now, from),
        end: toCodePoints(now, to),
        body,
      });
      this.draft = null;
      this.comments.push(this.anchor(added, now));
      this.active = added.id;
      this.place();
      notify(t("editor.comments.added"));
    } catch (error) {
      this.error = errorText(error, t("common.failed"));
      this.draw();
    }
  }

  focusComment(comment) {
    this.active = comment.id;
    this.place();
    this.editor.view.dispatch({ selection: { anchor: comment.from, head: comment.to }, scrollIntoView: true });
    this.editor.focus();
  }

  draw() {
    const hasSelection = this.selection.to > this.selection.from;
    render(
      this.canComment
        ? html`<button
              type="button"
              class="secondary"
              data-testid="comment-button"
              ?disabled=${!hasSelection}
              aria-describedby="comment-hint"
              aria-keyshortcuts="Control+Alt+M"
              @click=${() => this.startDraft()}
            >
              ${t("editor.comments.add")}
            </button>
            <span class="hint" id="comment-hint">${t("editor.comments.hint")}</span>`
        : "",
      this.tools,
    );
    render(
      html`
        <h2 id="comments-title" class="margin-title">${t("editor.comments.title")}</h2>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ""}
        ${this.draft ? this.draftForm() : ""}
        <ol class="comment-list" data-testid="comments" aria-labelledby="comments-title">
          ${this.comments.map((comment) => this.card(comment))}
        </ol>
        ${this.comments.length ? "" : html`<p class="hint">${t("editor.comments.none")}</p>`}
      `,
      this.host,
    );
    this.layout();
  }

  draftForm() {
    return html`<form class="comment-draft card" data-testid="comment-form" @submit=${(e) => this.submit(e)}>
      <blockquote class="quote">${this.draft.quote}</blockquote>
      <label>
        ${t("editor.comments.body")}
        <textarea name="body" rows="3" required maxlength="10000"></textarea>
      </label>
      <button type="submit">${t("editor.comments.send")}</button>
      <button type="button" class="secondary" @click=${() => ((this.draft = null), this.draw())}>
        ${t("common.cancel")}
      </button>
    </form>`;
  }

  card(comment) {
    const gone = comment.to <= comment.from;
    return html`<li
      class="comment ${comment.id === this.active ? "comment-active" : ""}"
      data-comment=${comment.id}
      data-from=${comment.from}
      data-to=${comment.to}
    >
      <button type="button" class="link comment-quote" @click=${() => this.focusComment(comment)}>
        ${gone
          ? html`<s>${comment.quote}</s> <span class="meta">(${t("editor.comments.passageDeleted")})</span>`
          : comment.current}
      </button>
      <p class="comment-body">${comment.body}</p>
      <p class="meta">
        ${comment.author ? comment.author.display_name : t("editor.comments.someone")} ·
        <time datetime=${comment.created_at}>${formatDate(comment.created_at)}</time>
      </p>
    </li>`;
  }

  /** On wide screens each card sits level with its passage (pushed down past the one above). */
  layout() {
    const cards = [...this.host.querySelectorAll(".comment")];
    const list = this.host.querySelector(".comment-list");
    if (!list || !cards.length) return;
    // beside the text (wide) or stacked under it (narrow), as the CSS laid it out
    const beside = this.host.getBoundingClientRect().left > this.editor.view.dom.getBoundingClientRect().right;
    if (!beside) {
      list.style.removeProperty("min-height");
      for (const card of cards) card.style.removeProperty("margin-top");
      return;
    }
    const view = this.editor.view;
    const origin = list.getBoundingClientRect().top;
    let bottom = 0;
    cards.forEach((card, index) => {
      const wanted = view.documentTop - origin + this.editor.top(Number(card.dataset.from));
      const margin = Math.max(index ? 8 : 0, wanted - bottom);
      card.style.marginTop = `${margin}px`;
      bottom += margin + card.offsetHeight;
    });
  }

  destroy() {
    this.destroyed = true;
    clearInterval(this.poll);
    this.text.unobserve(this.observer);
    this.stopLocale();
    removeEventListener("resize", this.onResize);
  }
}
