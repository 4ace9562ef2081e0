// The polls panel: the room's open (and scheduled) votes and its closed ones — on proposals or of
// their own — with their ballot counts kept current by `poll.tally`, a form to open a vote of its
// own in any method (moderators and owners), and the room's decision records, newest first,
// each linking to its page.
import { html } from "lit";
import { get, post } from "../api.js";
import { DECISION_EVENTS, MANAGERS, methodLabel, pollPath, pollStateLabel } from "../decisions/format.js";
import { recordSummary } from "../decisions/tally.js";
import { VoteForm } from "../decisions/vote-form.js";
import { formatDate, t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { errorText, notify } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

export function mountPolls(container, ctx) {
  const base = `/rooms/${encodeURIComponent(ctx.slug)}`;
  const state = { polls: null, decisions: [], error: "", creating: false };
  let form = null;
  let disposed = false;
  const redraw = () => {
    if (!disposed) view.redraw();
  };

  const load = async () => {
    try {
      const [polls, decisions] = await Promise.all([get(`${base}/polls`), get(`${base}/decisions`)]);
      state.polls = polls.polls;
      state.decisions = decisions.decisions;
      state.error = "";
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    }
    redraw();
  };

  const startCreating = () => {
    state.creating = true;
    form = new VoteForm({
      standalone: true,
      redraw,
      cancel: () => ((state.creating = false), redraw()),
      submit: async (body) => {
        const poll = await post(`${base}/polls`, body);
        state.creating = false;
        notify(t("decisions.polls.opened", { title: poll.title }));
        navigate(pollPath(ctx.slug, poll.id));
      },
    });
    redraw();
  };

  const stops = [
    ...DECISION_EVENTS.map((type) => ctx.live.on(type, () => load())),
    ctx.live.on("poll.tally", (event) => {
      const poll = state.polls?.find((p) => p.id === event.poll_id);
      if (!poll) return;
      poll.ballots = event.ballots;
      redraw();
    }),
  ];

  const pollItem = (poll) => html`<li data-testid="poll-item" data-id=${poll.id} data-state=${poll.state}>
    <div class="line">
      <a href=${pollPath(ctx.slug, poll.id)}>${poll.title}</a>
      <span class="badge">${pollStateLabel(poll.state)}</span>
      ${poll.secret ? html`<span class="badge">${t("decisions.secret")}</span>` : ""}
      ${poll.you_voted ? html`<span class="meta">${t("decisions.polls.youVoted")}</span>` : ""}
    </div>
    <div class="line meta">
      <span>${methodLabel(poll.method, poll.rules)}</span>
      <span>${poll.proposal_id === null ? t("decisions.polls.standalone") : t("decisions.polls.onProposal")}</span>
      <span>${t("decisions.poll.ballots", { count: poll.ballots, electorate: poll.electorate_size })}</span>
      ${poll.state === "scheduled" ? html`<span>${t("decisions.poll.scheduled", { when: formatDate(poll.opens_at) })}</span>` : ""}
      ${poll.state === "open" && poll.closes_at
        ? html`<span>${t("decisions.polls.closes", { when: formatDate(poll.closes_at) })}</span>`
        : ""}
    </div>
  </li>`;

  const list = (polls, empty, testid) =>
    polls.length
      ? html`<ul class="decision-list" data-testid=${testid}>${polls.map(pollItem)}</ul>`
      : html`<p class="hint">${empty}</p>`;

  const view = mountView(container, () => {
    const polls = state.polls ?? [];
    const open = polls.filter((poll) => poll.state !== "closed");
    const closed = polls.filter((poll) => poll.state === "closed").sort((a, b) => b.id - a.id);
    return html`<section class="polls-panel" data-testid="polls-panel" aria-labelledby="polls-title">
      <h2 id="polls-title">${t("decisions.polls.open")}</h2>
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      ${ctx.can(...MANAGERS)
        ? state.creating
          ? form.template()
          : html`<p><button type="button" data-testid="new-poll" @click=${startCreating}>${t("decisions.polls.new")}</button></p>`
        : ""}
      ${state.polls === null ? html`<p class="loading">${t("common.loading")}</p>` : list(open, t("decisions.polls.noneOpen"), "open-polls")}
      <h2>${t("decisions.polls.closed")}</h2>
      ${list(closed, t("decisions.polls.noneClosed"), "closed-polls")}
      <h2>${t("decisions.polls.records")}</h2>
      ${state.decisions.length
        ? html`<ul class="decision-list" data-testid="records">${[...state.decisions].reverse().map((record) => recordSummary(ctx.slug, record))}</ul>`
        : html`<p class="hint">${t("decisions.polls.noRecords")}</p>`}
    </section>`;
  });
  load();
  return () => {
    disposed = true;
    for (const stop of stops) stop();
    view.dispose();
  };
}
