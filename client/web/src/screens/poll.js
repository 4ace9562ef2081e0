// A vote (`/rooms/{slug}/polls/{id}`): the ballot of its method (decisions/ballot-*.js), cast in a
// few taps and changed while the vote allows; a secret ballot's receipt, shown once, with
// "verify my ballot" (decisions/receipt.js); the running count when its visibility allows,
// updated by the room's `poll.tally` events without reloading; closing it (moderators, with an
// inline confirmation); and once closed, the result with a link to its decision record.
import { html } from "lit";
import { get, post } from "../api.js";
import { ChoiceBallot, ScoreBallot } from "../decisions/ballot-simple.js";
import { RankingBallot } from "../decisions/ballot-ranking.js";
import { MANAGERS, RANKING_METHODS, VOTERS, methodLabel, pollStateLabel, proposalPath, recordPath } from "../decisions/format.js";
import { Receipt } from "../decisions/receipt.js";
import { tallyTemplate } from "../decisions/tally.js";
import { formatDate, formatRelative, t } from "../i18n/index.js";
import { errorText, notify } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

function makeBallot(poll, redraw) {
  if (RANKING_METHODS.includes(poll.method)) return new RankingBallot(poll.options, redraw);
  if (poll.method === "score") return new ScoreBallot(poll.options, redraw);
  return new ChoiceBallot(poll.method, poll.options, redraw);
}

export function showPoll(container, ctx, params) {
  const id = Number(params.id);
  const url = `/rooms/${encodeURIComponent(ctx.slug)}/polls/${encodeURIComponent(id)}`;
  const state = {
    poll: null,
    error: "",
    busy: false,
    changing: false, // the voter asked to change their ballot
    confirmClose: false,
    position: null, // the decision record's, once closed
    castError: "",
  };
  let ballot = null;
  let receipt = null;
  let disposed = false;
  const redraw = () => {
    if (!disposed) view.redraw();
  };

  const load = async () => {
    try {
      const poll = await get(url);
      if (!ballot || state.poll?.id !== poll.id) {
        ballot = makeBallot(poll, redraw);
        receipt = new Receipt(url, poll.method, redraw);
      }
      state.poll = poll;
      state.error = "";
      if (poll.state === "closed" && state.position === null) {
        const listing = await get(`/rooms/${encodeURIComponent(ctx.slug)}/decisions`);
        state.position = listing.decisions.find((record) => record.poll.id === poll.id)?.position ?? null;
      }
    } catch (error) {
      state.error = error.status === 404 ? t("decisions.poll.notFound") : errorText(error, t("common.failed"));
    }
    redraw();
  };

  const cast = async () => {
    const poll = state.poll;
    state.busy = true;
    state.castError = "";
    redraw();
    try {
      const body = { choice: ballot.choice };
      if (poll.secret && poll.you_voted && receipt.current) body.receipt = receipt.current;
      const answer = await post(`${url}/ballots`, body);
      if (answer.receipt) receipt.issued(answer.receipt);
      notify(answer.outcome === "cast" ? t("decisions.poll.castDone") : t("decisions.poll.changedDone"));
      state.changing = false;
      await load();
      queueMicrotask(() => container.querySelector("[data-testid=voted]")?.focus());
    } catch (error) {
      state.castError = castProblem(error);
    } finally {
      state.busy = false;
      redraw();
    }
  };

  const castProblem = (error) => {
    const code = String(error.problem?.type ?? "").replace("urn:veche:problem:", "");
    const known = ["poll-closed", "poll-not-open", "not-eligible", "already-voted"];
    if (known.includes(code)) return t(`decisions.poll.refused.${code}`);
    if (error.status === 403) return t("decisions.poll.refused.role");
    return errorText(error, t("common.failed"));
  };

  const close = async () => {
    state.busy = true;
    redraw();
    try {
      const record = await post(`${url}/close`);
      state.position = record.position;
      state.confirmClose = false;
      await load();
    } catch (error) {
      notify(errorText(error, t("common.failed")), "error");
    } finally {
      state.busy = false;
      redraw();
    }
  };

  const stops = [
    ctx.live.on("poll.tally", (event) => {
      if (event.poll_id !== id || !state.poll || state.poll.state === "closed") return;
      state.poll = { ...state.poll, ballots: event.ballots };
      if ("tally" in event) state.poll.tally = event.tally;
      redraw();
    }),
    ctx.live.on("poll.closed", (event) => {
      if (event.poll?.id !== id) return;
      state.position = event.decision?.position ?? state.position;
      state.confirmClose = false;
      load();
    }),
    ctx.live.on("poll.opened", (event) => {
      if (event.poll?.id === id) load();
    }),
    // the running count is not replayed after a reconnection: read it again
    ctx.live.on("connection", (event) => {
      if (event.state === "open" && state.poll) load();
    }),
  ];

  const hiddenTally = (poll) => {
    const rules = poll.rules || {};
    if (poll.ballots < (rules.min_ballots ?? 0)) return t("decisions.poll.hiddenMinimum", { count: rules.min_ballots });
    if (rules.visibility === "after_vote") return t("decisions.poll.hiddenAfterVote");
    return t("decisions.poll.hiddenAfterClose");
  };

  const ballotTemplate = (poll) => {
    if (poll.state === "scheduled") return html`<p class="hint">${t("decisions.poll.scheduled", { when: formatDate(poll.opens_at) })}</p>`;
    if (poll.state !== "open") return "";
    if (!ctx.me) return html`<p class="hint">${t("decisions.poll.signIn")}</p>`;
    if (!ctx.room?.role) return html`<p class="hint">${t("decisions.poll.notMember")}</p>`;
    if (!ctx.can(...VOTERS)) return html`<p class="hint">${t("decisions.poll.observer")}</p>`;
    const allowChange = poll.rules?.allow_change !== false;
    if (poll.you_voted && !state.changing) {
      return html`<div class="voted" data-testid="voted" tabindex="-1" role="status">
          <p>${poll.secret ? t("decisions.poll.votedSecret") : t("decisions.poll.voted")}</p>
          ${allowChange
            ? html`<button type="button" class="secondary" data-testid="change-ballot"
                @click=${() => ((state.changing = true), ballot.reset(), redraw())}>${t("decisions.poll.change")}</button>`
            : html`<p class="meta">${t("decisions.rules.noChange")}</p>`}
        </div>
        ${poll.secret ? receipt.keptTemplate() : ""}`;
    }
    const needsReceipt = poll.secret && poll.you_voted && !receipt.current;
    return html`<form class="ballot" data-testid="ballot" @submit=${(event) => (event.preventDefault(), cast())}>
      ${ballot.template(poll.method === "yes_no_abstain" ? t("decisions.ballot.yourVote") : t("decisions.ballot.yourChoice"))}
      ${poll.method === "stv" ? html`<p class="hint">${t("decisions.ballot.stvHelp", { count: poll.rules.seats ?? 1 })}</p>` : ""}
      ${needsReceipt ? html`<p class="hint">${t("decisions.poll.changeNeedsReceipt")}</p>${receipt.keptTemplate()}` : ""}
      ${state.castError ? html`<p class="error" role="alert" data-testid="cast-error">${state.castError}</p>` : ""}
      <div class="actions">
        <button type="submit" data-testid="cast" ?disabled=${state.busy || !ballot.ready || needsReceipt}>
          ${poll.you_voted ? t("decisions.poll.submitChange") : t("decisions.poll.cast")}
        </button>
        ${state.changing
          ? html`<button type="button" class="secondary" @click=${() => ((state.changing = false), redraw())}>${t("common.cancel")}</button>`
          : ""}
      </div>
    </form>`;
  };

  const closeTemplate = (poll) => {
    if (poll.state !== "open" || !ctx.can(...MANAGERS)) return "";
    if (!state.confirmClose) {
      return html`<p><button type="button" class="secondary" data-testid="close-poll"
        @click=${() => ((state.confirmClose = true), redraw())}>${t("decisions.poll.close")}</button></p>`;
    }
    return html`<div class="confirm" role="group" aria-label=${t("decisions.poll.close")}>
      <p>${t("decisions.poll.closeConfirm")}</p>
      <button type="button" class="danger" data-testid="confirm-close" ?disabled=${state.busy} @click=${close}>
        ${t("decisions.poll.closeNow")}
      </button>
      <button type="button" class="secondary" @click=${() => ((state.confirmClose = false), redraw())}>${t("common.cancel")}</button>
    </div>`;
  };

  const template = () => {
    const poll = state.poll;
    if (state.error) return html`<p class="error" role="alert">${state.error}</p>`;
    if (!poll) return html`<p class="loading">${t("common.loading")}</p>`;
    const closed = poll.state === "closed";
    return html`<article class="poll" data-testid="poll" data-state=${poll.state}>
      <div class="poll-head">
        <h1>${poll.title}</h1>
        <span class="badge state-${closed ? "adopted" : "voting"}" data-testid="poll-state">${pollStateLabel(poll.state)}</span>
        ${poll.secret ? html`<span class="badge">${t("decisions.secret")}</span>` : ""}
      </div>
      <p class="meta">
        ${methodLabel(poll.method, poll.rules)}
        ${poll.method === "stv" ? html` · ${t("decisions.rules.seats", { count: poll.rules.seats ?? 1 })}` : ""}
        · <span data-testid="ballot-count">${t("decisions.poll.ballots", { count: poll.ballots, electorate: poll.electorate_size })}</span>
        ${poll.closes_at && !closed
          ? html` · ${t("decisions.poll.closesAt", { when: formatDate(poll.closes_at), relative: formatRelative(poll.closes_at) })}`
          : ""}
        ${closed ? html` · ${t("decisions.poll.closedAt", { when: formatDate(poll.closed_at) })}` : ""}
      </p>
      ${poll.proposal_id !== null
        ? html`<p class="meta">${t("decisions.poll.onProposal")}
            <a href=${proposalPath(ctx.slug, poll.proposal_id)}>${t("decisions.poll.proposalLink")}</a></p>
          ${poll.body?.text_sha256
            ? html`<p class="meta">${t("decisions.record.textHash")}: <code class="hash" data-testid="body-hash">${poll.body.text_sha256}</code></p>`
            : ""}`
        : ""}
      ${receipt.freshTemplate()}
      ${ballotTemplate(poll)}
      ${closeTemplate(poll)}
      <section class="card" aria-labelledby="count-title" data-testid="count">
        <h2 id="count-title">${closed ? t("decisions.tally.result") : t("decisions.poll.countTitle")}</h2>
        ${poll.tally
          ? tallyTemplate(poll.method, poll.options, poll.tally, { final: closed })
          : html`<p class="hint" data-testid="tally-hidden">${hiddenTally(poll)}</p>`}
        ${closed && state.position !== null
          ? html`<p><a href=${recordPath(ctx.slug, state.position)} data-testid="record-link">
              ${t("decisions.poll.recordLink", { position: state.position })}</a></p>`
          : ""}
      </section>
    </article>`;
  };

  const view = mountView(container, template);
  load();
  // "closes in 5 minutes" stays true as time passes
  const ticking = setInterval(redraw, 30_000);
  return () => {
    clearInterval(ticking);
    disposed = true;
    for (const stop of stops) stop();
    view.dispose();
  };
}
