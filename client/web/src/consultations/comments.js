// The consultation's comments as cards: the passage quoted, the comment, who wrote it (and for
// which organisation), the response; for the room's owners and moderators, the form that
// answers it (accepted, partly accepted or not accepted, with the reason). Also the form of a
// new comment. Everything a person wrote goes through lit, which escapes it.
import { html } from "lit";
import { formatDate, t } from "../i18n/index.js";
import { organisationPath } from "../directory/reference.js";
import { RESPONSES, authorName } from "./format.js";

/** One comment (`gone`: its passage was deleted from the text; `passage`: the passage as it
 * is now). `options`: {active, unanswered, canRespond, answering (the deadline has passed),
 * editing, busy, error, focus(), edit(), cancel(), respond(event)}. */
export function commentCard(comment, options) {
  const classes = [
    "comment",
    "consultation-comment",
    options.active ? "comment-active" : "",
    options.unanswered ? "comment-unanswered" : "",
  ].join(" ");
  // after the deadline the unanswered comments show their forms; before it, or to change an
  // answer, a button opens one
  const formShown = options.canRespond && (options.editing || (!comment.response && options.answering));
  return html`<li class=${classes} data-comment=${comment.id} data-testid="consultation-comment">
    ${comment.gone
      ? html`<p class="comment-quote"><s>${comment.quote}</s></p>`
      : html`<button type="button" class="link comment-quote" @click=${options.focus}>
          ${comment.passage ?? comment.quote}
        </button>`}
    <p class="comment-body">${comment.body}</p>
    <p class="meta">
      ${authorName(comment)}${comment.organisation
        ? html` · ${t("consultations.comment.for")}
            <a href=${organisationPath(comment.organisation)} data-testid="comment-organisation">${comment.organisation_name}</a>`
        : ""}
      · <time datetime=${comment.created_at}>${formatDate(comment.created_at)}</time>
    </p>
    ${comment.response
      ? html`<p class="response response-${comment.response}" data-testid="comment-response" data-response=${comment.response}>
          <strong>${t(`consultations.response.${comment.response}`)}</strong>: ${comment.reason}
        </p>`
      : html`<p class="meta" data-testid="comment-response" data-response="">${t("consultations.response.none")}</p>`}
    ${options.canRespond && !formShown
      ? html`<button type="button" class="secondary" data-testid="respond" @click=${options.edit}>
          ${comment.response ? t("consultations.response.change") : t("consultations.response.answer")}
        </button>`
      : ""}
    ${formShown ? responseForm(comment, options) : ""}
  </li>`;
}

function responseForm(comment, options) {
  return html`<form class="response-form" data-testid="response-form" @submit=${options.respond}>
    <fieldset>
      <legend>${t("consultations.response.legend")}</legend>
      ${RESPONSES.map(
        (response) => html`<label class="inline">
          <input type="radio" name="response" value=${response} required ?checked=${comment.response === response} />
          ${t(`consultations.response.${response}`)}
        </label>`,
      )}
    </fieldset>
    <label>
      ${t("consultations.response.reason")}
      <textarea name="reason" rows="2" required maxlength="4000" .value=${comment.reason ?? ""}></textarea>
    </label>
    ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ""}
    <div class="actions">
      <button type="submit" ?disabled=${options.busy}>${t("consultations.response.save")}</button>
      ${options.editing ? html`<button type="button" class="secondary" @click=${options.cancel}>${t("common.cancel")}</button>` : ""}
    </div>
  </form>`;
}

/** The form of a new comment. `draft`: {quote} (a selected passage) or {quote: null} (the
 * person types the words of the passage). `options`: {mine, me, busy, error, submit, cancel}. */
export function draftForm(draft, options) {
  return html`<form class="comment-draft card" data-testid="comment-form" @submit=${options.submit}>
    <h3>${t("consultations.draft.title")}</h3>
    ${draft.quote === null
      ? html`<label>
            ${t("consultations.draft.passage")}
            <textarea name="passage" rows="2" required aria-describedby="passage-typed-hint"></textarea>
          </label>
          <p class="hint" id="passage-typed-hint">${t("consultations.draft.passageHint")}</p>`
      : html`<blockquote class="quote" data-testid="draft-quote">${draft.quote}</blockquote>`}
    <label>
      ${t("consultations.draft.body")}
      <textarea name="body" rows="4" required maxlength="10000"></textarea>
    </label>
    <label>
      ${t("consultations.draft.as")}
      <select name="organisation" data-testid="comment-as">
        <option value="">${t("consultations.draft.myself", { name: options.me })}</option>
        ${options.mine.map((organisation) => html`<option value=${organisation.slug}>${organisation.name}</option>`)}
      </select>
    </label>
    ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ""}
    <div class="actions">
      <button type="submit" ?disabled=${options.busy}>${t("consultations.draft.send")}</button>
      <button type="button" class="secondary" @click=${options.cancel}>${t("common.cancel")}</button>
    </div>
  </form>`;
}
