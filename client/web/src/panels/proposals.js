// The proposals panel: the room's proposals with their state (draft → discussion → voting →
// adopted | rejected; withdrawn from draft or discussion), links to the editor and its history,
// and the lifecycle actions the person's role allows: create (participants and up), start the
// discussion and withdraw (the author, moderators and owners; the server has the last word), open the
// vote on a proposal in discussion (moderators and owners: its body freezes). Confirmations are
// inline. The list follows the room's proposal and poll events.
import { html } from "lit";
import { get, post } from "../api.js";
import { DECISION_EVENTS, MANAGERS, VOTERS, pollPath, proposalPath } from "../decisions/format.js";
import { VoteForm } from "../decisions/vote-form.js";
import { t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { errorText, notify } from "../ui/dom.js";
import { acting } from "../ui/acting.js";
import { mountView } from "../ui/screen.js";

export function mountProposals(container, ctx) {
  const base = `/rooms/${encodeURIComponent(ctx.slug)}`;
  const state = { proposals: null, polls: [], error: "", busy: false, confirm: null, voting: null };
  let voteForm = null;
  let disposed = false;
  const redraw = () => {
    if (!disposed) view.redraw();
  };

  const load = async () => {
    try {
      const [proposals, polls] = await Promise.all([get(`${base}/proposals`), get(`${base}/polls`)]);
      state.proposals = proposals.proposals;
      state.polls = polls.polls;
      state.error = "";
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    }
    redraw();
  };

  const act = acting(state, redraw, load, () => {
    state.confirm = null;
  });

  const create = (event) => {
    event.preventDefault();
    const title = String(new FormData(event.target).get("title")).trim();
    if (!title) return;
    return act(async () => {
      const proposal = await post(`${base}/proposals`, { title });
      event.target.reset();
      navigate(proposalPath(ctx.slug, proposal.id));
    }, t("decisions.proposals.created", { title }));
  };

  const move = (proposal, next) =>
    act(
      () => post(`${base}/proposals/${proposal.id}/state`, { state: next }),
      t(next === "discussion" ? "decisions.proposals.discussionStarted" : "decisions.proposals.withdrawn", { title: proposal.title }),
    );

  const openVoteForm = (proposal) => {
    state.voting = proposal.id;
    voteForm = new VoteForm({
      standalone: false,
      redraw,
      cancel: () => ((state.voting = null), redraw()),
      submit: async (body) => {
        const poll = await post(`${base}/proposals/${proposal.id}/vote`, body);
        state.voting = null;
        notify(t("decisions.proposals.voteOpened", { title: proposal.title }));
        navigate(pollPath(ctx.slug, poll.id));
      },
    });
    redraw();
  };

  const stops = DECISION_EVENTS.map((type) => ctx.live.on(type, () => load()));

  const latestPoll = (proposal) =>
    state.polls.filter((poll) => poll.proposal_id === proposal.id).sort((a, b) => b.id - a.id)[0];

  const confirmation = (proposal) => html`<div class="confirm" role="group" aria-label=${t("decisions.proposals.withdraw")}>
    <p>${t("decisions.proposals.withdrawConfirm", { title: proposal.title })}</p>
    <button type="button" class="danger" data-testid="confirm-withdraw" ?disabled=${state.busy} @click=${() => move(proposal, "withdrawn")}>
      ${t("decisions.proposals.withdrawNow")}
    </button>
    <button type="button" class="secondary" @click=${() => ((state.confirm = null), redraw())}>${t("common.cancel")}</button>
  </div>`;

  // the author (a participant or more) moves their own proposal; moderators and owners any
  const mayMove = (proposal) =>
    ctx.can(...MANAGERS) || (ctx.can(...VOTERS) && proposal.author !== null && proposal.author === ctx.me?.name);

  const actions = (proposal) => {
    const buttons = [];
    if (proposal.state === "draft" && mayMove(proposal)) {
      buttons.push(html`<button type="button" data-testid="start-discussion" ?disabled=${state.busy} @click=${() => move(proposal, "discussion")}>
        ${t("decisions.proposals.startDiscussion")}
      </button>`);
    }
    if (proposal.state === "discussion" && ctx.can(...MANAGERS) && state.voting !== proposal.id) {
      buttons.push(html`<button type="button" data-testid="open-vote-form" ?disabled=${state.busy} @click=${() => openVoteForm(proposal)}>
        ${t("decisions.proposals.openVote")}
      </button>`);
    }
    if (["draft", "discussion"].includes(proposal.state) && mayMove(proposal) && state.confirm !== proposal.id) {
      buttons.push(html`<button type="button" class="secondary" ?disabled=${state.busy} @click=${() => ((state.confirm = proposal.id), redraw())}>
        ${t("decisions.proposals.withdraw")}
      </button>`);
    }
    return buttons.length ? html`<div class="actions">${buttons}</div>` : "";
  };

  const item = (proposal) => {
    const poll = latestPoll(proposal);
    return html`<li data-testid="proposal-item" data-id=${proposal.id} data-state=${proposal.state}>
      <div class="line">
        <a href=${proposalPath(ctx.slug, proposal.id)}>${proposal.title}</a>
        <span class="badge state-${proposal.state}">${t(`editor.state.${proposal.state}`)}</span>
        ${proposal.amends ? html`<span class="meta">${t("decisions.proposals.amends", { id: proposal.amends })}</span>` : ""}
      </div>
      <div class="line meta">
        <a href="${proposalPath(ctx.slug, proposal.id)}/history">${t("decisions.proposals.history")}</a>
        ${poll ? html`<a href=${pollPath(ctx.slug, poll.id)} data-testid="proposal-poll">${t("decisions.proposals.toVote")}</a>` : ""}
      </div>
      ${actions(proposal)}
      ${state.confirm === proposal.id ? confirmation(proposal) : ""}
      ${state.voting === proposal.id && voteForm ? voteForm.template() : ""}
    </li>`;
  };

  const view = mountView(
    container,
    () => html`<section class="proposals-panel" data-testid="proposals-panel" aria-labelledby="proposals-title">
      <h2 id="proposals-title">${t("decisions.proposals.title")}</h2>
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      ${ctx.can(...VOTERS)
        ? html`<form class="row-form" data-testid="new-proposal" @submit=${create}>
            <label>${t("decisions.proposals.newTitle")}<input name="title" required maxlength="200" autocomplete="off" /></label>
            <button type="submit" ?disabled=${state.busy}>${t("decisions.proposals.create")}</button>
          </form>`
        : ""}
      ${state.proposals === null
        ? html`<p class="loading">${t("common.loading")}</p>`
        : state.proposals.length
          ? html`<ul class="decision-list">${state.proposals.map(item)}</ul>`
          : html`<p class="hint">${t("decisions.proposals.none")}</p>`}
    </section>`,
  );
  load();
  return () => {
    disposed = true;
    for (const stop of stops) stop();
    view.dispose();
  };
}
