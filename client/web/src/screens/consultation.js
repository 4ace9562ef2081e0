// The consultation page (`/consultations/{id}`): the proposal's text as it is now, read-only,
// with the passages commented on marked and the comments in the margin beside them; a live
// countdown to the deadline; the reason for a period under 30 days, the region and sectors.
// Anyone reads it. Signed-in people select a passage and comment on it, for themselves or for
// an organisation they represent; the room's owners and moderators answer each comment and
// publish the report once the deadline has passed (docs/consultations.md, docs/web.md).
import { html, render } from "lit";
import { get, post, put } from "../api.js";
import { commentCard, draftForm } from "../consultations/comments.js";
import {
  MANAGERS,
  consultationPath,
  countdownText,
  daysBetween,
  nextTick,
  relocate,
  reportPath,
  timeLeft,
  toCodePoints,
  toUnits,
} from "../consultations/format.js";
import { alignCards, markedText } from "../consultations/margin.js";
import { collapsedIn, selectedRange } from "../consultations/selection.js";
import { proposalPath } from "../decisions/format.js";
import { oblastName, reference, termName } from "../directory/reference.js";
import { formatDate, onLocale, t } from "../i18n/index.js";
import { session } from "../session.js";
import { errorText, notify } from "../ui/dom.js";

const RECHECK = 6_000; // after the deadline, until the server has closed it (it checks every 5 s)

export function showConsultation(container, params) {
  const path = consultationPath(params.id);
  const state = {
    consultation: null,
    error: "",
    comments: [], // with `from`, `to` (UTF-16 units in the text shown) and `passage`
    ref: null,
    role: null,
    mine: [],
    left: null,
    selection: null, // {from, to} in UTF-16 units of the text shown
    draft: null, // {from, to, quote, text} or {quote: null, text}
    draftError: "",
    sending: false,
    active: null,
    editing: new Set(),
    responding: null,
    responseErrors: new Map(),
    unanswered: new Set(),
    publishing: false,
    publishError: "",
  };
  let disposed = false;
  let timer = null;
  let frame = 0;

  const redraw = () => {
    if (disposed) return;
    render(page(), container);
    layout();
  };

  const placed = (consultation, comments) =>
    comments
      .map((comment) => {
        const text = consultation.text;
        const gone = comment.start === null || comment.end === null || comment.end <= comment.start;
        const from = gone ? 0 : toUnits(text, comment.start);
        const to = gone ? 0 : toUnits(text, comment.end);
        return { ...comment, gone, from, to, passage: gone ? comment.quote : text.slice(from, to) };
      })
      .sort((a, b) => a.from - b.from || a.id - b.id);

  const load = async () => {
    try {
      const [consultation, comments] = await Promise.all([get(path, { auth: false }), get(`${path}/comments`, { auth: false })]);
      const first = state.consultation === null;
      state.consultation = consultation;
      state.comments = placed(consultation, comments.comments);
      state.error = "";
      if (first) loadRole();
    } catch (error) {
      state.error = error.status === 404 ? t("consultations.notFound") : errorText(error, t("common.failed"));
    }
    tick();
  };

  /** The caller's role in the room (owners and moderators answer and publish) and the
   * organisations they may speak for. */
  const loadRole = async () => {
    state.role = null;
    state.mine = [];
    if (session.user && state.consultation) {
      const [room, mine] = await Promise.allSettled([
        get(`/rooms/${encodeURIComponent(state.consultation.room)}`),
        get("/directory/mine"),
      ]);
      state.role = room.status === "fulfilled" ? room.value.role : null;
      state.mine = mine.status === "fulfilled" ? mine.value.organisations : [];
    }
    redraw();
  };

  /** The countdown, redrawn when its minute changes; past the deadline, the state is read
   * again until the server has closed the consultation. */
  const tick = () => {
    clearTimeout(timer);
    const consultation = state.consultation;
    if (disposed || !consultation) return redraw();
    state.left = consultation.state === "open" ? timeLeft(consultation.closes_at) : null;
    if (state.left) timer = setTimeout(tick, nextTick(consultation.closes_at));
    else if (consultation.state === "open") timer = setTimeout(load, RECHECK);
    redraw();
  };

  const textElement = () => container.querySelector(".consultation-text");

  const onSelection = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const element = textElement();
      if (!element || disposed) return;
      const range = selectedRange(element);
      if (range) state.selection = range;
      else if (collapsedIn(element)) state.selection = null;
      redraw();
    });
  };

  const startDraft = () => {
    const text = state.consultation.text;
    const chosen = state.selection;
    state.draft = chosen ? { ...chosen, quote: text.slice(chosen.from, chosen.to), text } : { quote: null, text };
    state.draftError = "";
    redraw();
    container.querySelector("[data-testid=comment-form] textarea")?.focus();
  };

  /** Where the draft's passage is in the text as the server has it now (it may have been
   * edited since this page read it): code point offsets, or an Error to show. */
  const passageNow = (data, now) => {
    let place;
    if (state.draft.quote === null) {
      const words = String(data.get("passage") ?? "").trim();
      const at = words ? now.indexOf(words) : -1;
      if (at === -1) throw new Error(t("consultations.draft.notInText"));
      place = { from: at, to: at + words.length };
    } else {
      place = relocate(state.draft.text, now, state.draft.from, state.draft.to);
      if (!place) throw new Error(t("consultations.draft.passageGone"));
    }
    return { start: toCodePoints(now, place.from), end: toCodePoints(now, place.to, true) };
  };

  const send = async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    state.sending = true;
    state.draftError = "";
    redraw();
    try {
      const now = (await get(path, { auth: false })).text;
      const body = { ...passageNow(data, now), body: String(data.get("body")) };
      const organisation = String(data.get("organisation") ?? "");
      if (organisation) body.organisation = organisation;
      const added = await post(`${path}/comments`, body);
      state.draft = null;
      state.selection = null;
      state.active = added.id;
      notify(t("consultations.draft.sent"));
      await load();
    } catch (error) {
      state.draftError = errorText(error, t("common.failed"));
    } finally {
      state.sending = false;
      redraw();
    }
  };

  const respond = (comment) => async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    state.responding = comment.id;
    state.responseErrors.delete(comment.id);
    redraw();
    try {
      await put(`${path}/comments/${comment.id}/response`, {
        response: data.get("response"),
        reason: String(data.get("reason")),
      });
      state.editing.delete(comment.id);
      state.unanswered.delete(comment.id);
      notify(t("consultations.response.saved"));
      await load();
    } catch (error) {
      state.responseErrors.set(comment.id, errorText(error, t("common.failed")));
    } finally {
      state.responding = null;
      redraw();
    }
  };

  const publish = async () => {
    state.publishing = true;
    state.publishError = "";
    redraw();
    try {
      await post(`${path}/report`);
      state.unanswered = new Set();
      notify(t("consultations.publish.done"));
      await load();
    } catch (error) {
      // the server says why (still open, comments without a response: their ids)
      state.publishError = errorText(error, t("common.failed"));
      state.unanswered = new Set(error.problem?.comments ?? []);
    } finally {
      state.publishing = false;
      redraw();
    }
  };

  const focusPassage = (comment) => {
    state.active = comment.id;
    redraw();
    textElement()?.querySelector(`mark[data-ids~="${comment.id}"]`)?.scrollIntoView({ block: "center" });
  };

  const focusCard = (ids) => {
    state.active = ids[0];
    redraw();
    container.querySelector(`[data-comment="${ids[0]}"]`)?.scrollIntoView({ block: "nearest" });
  };

  const layout = () => alignCards(container.querySelector(".consultation-margin .comment-list"), textElement());

  const canManage = () => MANAGERS.includes(state.role);

  const card = (comment) =>
    commentCard(comment, {
      active: comment.id === state.active,
      unanswered: state.unanswered.has(comment.id),
      canRespond: canManage() && state.consultation.state !== "reported",
      answering: state.consultation.state === "closed",
      editing: state.editing.has(comment.id),
      busy: state.responding === comment.id,
      error: state.responseErrors.get(comment.id) ?? "",
      focus: () => focusPassage(comment),
      edit: () => {
        state.editing.add(comment.id);
        redraw();
      },
      cancel: () => {
        state.editing.delete(comment.id);
        redraw();
      },
      respond: respond(comment),
    });

  const facts = (c) => {
    const days = daysBetween(new Date(c.opened_at), new Date(c.closes_at));
    return html`<dl class="facts">
      <dt>${t("consultations.facts.opened")}</dt>
      <dd>${formatDate(c.opened_at)}</dd>
      <dt>${t("consultations.facts.closes")}</dt>
      <dd data-testid="closes-at">${formatDate(c.closes_at)}</dd>
      ${c.reason
        ? html`<dt>${days < 30 ? t("consultations.facts.shortReason", { count: days }) : t("consultations.facts.reason")}</dt>
            <dd data-testid="consultation-reason">${c.reason}</dd>`
        : ""}
      <dt>${t("consultations.facts.region")}</dt>
      <dd data-testid="consultation-region">${c.oblast ? oblastName(state.ref, c.oblast) : t("consultations.wholeCountry")}</dd>
      ${c.sectors.length
        ? html`<dt>${t("consultations.facts.sectors")}</dt>
            <dd>${c.sectors.map((slug) => termName(state.ref?.sectors, slug)).join(", ")}</dd>`
        : ""}
      ${state.role
        ? html`<dt>${t("consultations.facts.room")}</dt>
            <dd><a href=${proposalPath(c.room, c.proposal.id)}>${t("consultations.facts.proposal")}</a></dd>`
        : ""}
    </dl>`;
  };

  const commentTools = (c) => {
    if (c.state !== "open" || !state.left) return "";
    if (!session.user) {
      const next = encodeURIComponent(location.pathname);
      return html`<p class="hint" data-testid="sign-in-to-comment">
        <a href="/login?next=${next}">${t("common.signIn")}</a> ${t("consultations.signInToComment")}
      </p>`;
    }
    const chosen = state.selection;
    const quote = chosen ? c.text.slice(chosen.from, chosen.to) : "";
    return html`<div class="comment-tools">
      <button type="button" data-testid="comment-selection" @click=${startDraft}>
        ${chosen ? t("consultations.commentSelection") : t("consultations.commentPassage")}
      </button>
      <span class="hint" data-testid="selection-hint" aria-live="polite">
        ${chosen ? t("consultations.selected", { quote: quote.length > 80 ? `${quote.slice(0, 79)}…` : quote }) : t("consultations.selectHint")}
      </span>
    </div>`;
  };

  const publishPart = (c) => {
    if (!canManage() || c.state === "reported") return "";
    const answered = state.comments.filter((comment) => comment.response).length;
    return html`<section class="card publish-part" aria-labelledby="publish-title">
      <h2 id="publish-title">${t("consultations.publish.title")}</h2>
      <p data-testid="answered">${t("consultations.publish.answered", { answered, count: state.comments.length })}</p>
      ${c.state === "open"
        ? html`<p class="hint">${t("consultations.publish.afterDeadline")}</p>`
        : html`<button type="button" data-testid="publish-report" ?disabled=${state.publishing} @click=${publish}>
            ${t("consultations.publish.submit")}
          </button>`}
      ${state.publishError ? html`<p class="error" role="alert" data-testid="publish-error">${state.publishError}</p>` : ""}
    </section>`;
  };

  const page = () => {
    const c = state.consultation;
    if (!c) {
      return html`<section class="card">
        ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : html`<p class="loading">${t("common.loading")}</p>`}
      </section>`;
    }
    const onText = state.comments.filter((comment) => !comment.gone);
    const gone = state.comments.filter((comment) => comment.gone);
    const me = session.user ? session.user.display_name || session.user.name : "";
    return html`<article class="consultation" data-testid="consultation" data-state=${c.state}>
      <header class="consultation-head card">
        <p class="meta"><a href="/consultations">${t("consultations.all")}</a></p>
        <div class="proposal-title">
          <h1>${c.proposal.title}</h1>
          <span class="badge consultation-${c.state}" data-testid="consultation-state">${t(`consultations.state.${c.state}`)}</span>
        </div>
        <p class="countdown" data-testid="countdown" data-open=${state.left ? "true" : "false"} role="timer">
          ${c.state === "open" ? countdownText(state.left) : t("consultations.countdown.closed")}
        </p>
        ${facts(c)}
        ${c.state === "reported"
          ? html`<p><a href=${reportPath(c.id)} data-testid="report-link">${t("consultations.reportLink")}</a></p>`
          : ""}
        ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      </header>
      ${commentTools(c)}
      <div class="consultation-layout">
        <section class="consultation-main" aria-labelledby="text-title">
          <h2 id="text-title" class="visually-hidden">${t("consultations.textTitle")}</h2>
          ${markedText(c.text, state.comments, state.active, focusCard)}
        </section>
        <aside class="consultation-margin" aria-labelledby="margin-title">
          <h2 id="margin-title" class="margin-heading">
            ${t("consultations.comments", { count: onText.length + gone.length })}
          </h2>
          ${state.draft
            ? draftForm(state.draft, {
                mine: state.mine,
                me,
                busy: state.sending,
                error: state.draftError,
                submit: send,
                cancel: () => {
                  state.draft = null;
                  redraw();
                },
              })
            : ""}
          ${onText.length
            ? html`<ol class="comment-list" data-testid="consultation-comments">${onText.map(card)}</ol>`
            : html`<p class="hint">${t("consultations.noComments")}</p>`}
        </aside>
      </div>
      ${gone.length
        ? html`<section class="card" aria-labelledby="gone-title" data-testid="gone-comments">
            <h2 id="gone-title">${t("consultations.goneTitle", { count: gone.length })}</h2>
            <p class="hint">${t("consultations.goneHint")}</p>
            <ol class="comment-list">${gone.map(card)}</ol>
          </section>`
        : ""}
      ${publishPart(c)}
    </article>`;
  };

  document.addEventListener("selectionchange", onSelection);
  addEventListener("resize", layout);
  const stopLocale = onLocale(redraw);
  const stopSession = session.onChange(() => loadRole());
  reference()
    .then((ref) => {
      state.ref = ref;
      redraw();
    })
    .catch(() => {}); // names of places and sectors stay as codes
  redraw();
  load();

  return () => {
    disposed = true;
    clearTimeout(timer);
    cancelAnimationFrame(frame);
    document.removeEventListener("selectionchange", onSelection);
    removeEventListener("resize", layout);
    stopLocale();
    stopSession();
  };
}
