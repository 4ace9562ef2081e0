// The room's overview (`/rooms/{slug}`): its proposals with their state, the votes open now and
// the latest decision records, each linking to its page. It follows the room's proposal and
// poll events (and the ballot counts of `poll.tally`) without reloading.
import { html } from "lit";
import { get } from "../api.js";
import { DECISION_EVENTS, pollPath, proposalPath } from "../decisions/format.js";
import { recordSummary } from "../decisions/tally.js";
import { formatDate, t } from "../i18n/index.js";
import { errorText } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

const LATEST = 5;

export function showOverview(container, ctx) {
  const base = `/rooms/${encodeURIComponent(ctx.slug)}`;
  const state = { proposals: null, polls: [], decisions: [], error: "" };
  let disposed = false;

  const load = async () => {
    try {
      const [proposals, polls, decisions] = await Promise.all([
        get(`${base}/proposals`),
        get(`${base}/polls`),
        get(`${base}/decisions`),
      ]);
      state.proposals = proposals.proposals;
      state.polls = polls.polls;
      state.decisions = decisions.decisions;
      state.error = "";
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    }
    if (!disposed) view.redraw();
  };

  const stops = [
    ...DECISION_EVENTS.map((type) => ctx.live.on(type, () => load())),
    ctx.live.on("poll.tally", (event) => {
      const poll = state.polls.find((p) => p.id === event.poll_id);
      if (!poll || disposed) return;
      poll.ballots = event.ballots;
      view.redraw();
    }),
  ];

  const proposalsCard = () => html`<section class="card" aria-labelledby="overview-proposals" data-testid="overview-proposals">
    <h2 id="overview-proposals">${t("decisions.proposals.title")}</h2>
    ${state.proposals.length
      ? html`<ul class="decision-list">
          ${state.proposals.map(
            (proposal) => html`<li data-state=${proposal.state}>
              <div class="line">
                <a href=${proposalPath(ctx.slug, proposal.id)}>${proposal.title}</a>
                <span class="badge state-${proposal.state}">${t(`editor.state.${proposal.state}`)}</span>
              </div>
              <div class="line meta">
                <span>${t("decisions.overview.since", { when: formatDate(proposal.state_changed_at) })}</span>
                <a href="${proposalPath(ctx.slug, proposal.id)}/history">${t("decisions.proposals.history")}</a>
              </div>
            </li>`,
          )}
        </ul>`
      : html`<p class="hint">${t("decisions.proposals.none")}</p>`}
  </section>`;

  const pollsCard = () => {
    const open = state.polls.filter((poll) => poll.state !== "closed");
    return html`<section class="card" aria-labelledby="overview-polls" data-testid="overview-polls">
      <h2 id="overview-polls">${t("decisions.polls.open")}</h2>
      ${open.length
        ? html`<ul class="decision-list">
            ${open.map(
              (poll) => html`<li>
                <div class="line">
                  <a href=${pollPath(ctx.slug, poll.id)}>${poll.title}</a>
                  ${poll.you_voted ? html`<span class="meta">${t("decisions.polls.youVoted")}</span>` : ""}
                </div>
                <div class="line meta">
                  <span>${t("decisions.poll.ballots", { count: poll.ballots, electorate: poll.electorate_size })}</span>
                  ${poll.closes_at ? html`<span>${t("decisions.polls.closes", { when: formatDate(poll.closes_at) })}</span>` : ""}
                </div>
              </li>`,
            )}
          </ul>`
        : html`<p class="hint">${t("decisions.polls.noneOpen")}</p>`}
    </section>`;
  };

  const recordsCard = () => {
    const latest = state.decisions.slice(-LATEST).reverse();
    return html`<section class="card" aria-labelledby="overview-records" data-testid="overview-records">
      <h2 id="overview-records">${t("decisions.overview.latest")}</h2>
      ${latest.length
        ? html`<ul class="decision-list">
            ${latest.map((record) => recordSummary(ctx.slug, record))}
          </ul>`
        : html`<p class="hint">${t("decisions.polls.noRecords")}</p>`}
    </section>`;
  };

  const view = mountView(container, () => {
    const room = ctx.room;
    return html`<div class="overview" data-testid="overview">
      <h2 class="visually-hidden">${t("decisions.overview.title")}</h2>
      ${room?.description ? html`<p>${room.description}</p>` : ""}
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      ${state.proposals === null
        ? html`<p class="loading">${t("common.loading")}</p>`
        : html`<div class="overview-grid">${proposalsCard()} ${pollsCard()} ${recordsCard()}</div>`}
    </div>`;
  });
  load();
  return () => {
    disposed = true;
    for (const stop of stops) stop();
    view.dispose();
  };
}
