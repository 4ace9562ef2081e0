// A count as the server gives it (docs/tallies.md, `to_json()`), shown for people: turnout and
// quorum, then the method's own detail — counts with bars, score statistics, and the
// round-by-round tables of instant-runoff and STV, or Schulze's pairwise matrices.
import { html } from "lit";
import { reportCounts } from "../consultations/format.js";
import { formatDate, formatNumber, t } from "../i18n/index.js";
import { fraction, fractionValue, optionLabel, outcomeLabel, percent, recordPath } from "./format.js";

const bar = (share) =>
  html`<span class="tally-bar" aria-hidden="true"><span style="width: ${Math.round(Math.max(0, Math.min(1, share)) * 100)}%"></span></span>`;

function turnout(tally) {
  const data = tally.turnout || {};
  return html`<p class="tally-turnout" data-testid="turnout">
    ${t("decisions.tally.turnout", { cast: data.cast ?? 0, electorate: data.electorate ?? 0, share: percent(data.share ?? 0) })}
    ${data.quorum !== null && data.quorum !== undefined
      ? html` · ${data.quorum_met ? t("decisions.tally.quorumMet", { count: data.quorum }) : t("decisions.tally.quorumMissed", { count: data.quorum })}`
      : ""}
  </p>`;
}

/** The outcome in words, with the winners. */
export function outcomeText(method, outcome, winners = []) {
  const names = winners.map((winner) => optionLabel(method, winner)).join(", ");
  return names ? `${outcomeLabel(outcome)}: ${names}` : outcomeLabel(outcome);
}

// One decision record in a list: its number and title, linking to its page, then its outcome
// and when it was decided (the polls panel and the room's overview); a consultation's report
// says its counts instead.
export const recordSummary = (slug, record) =>
  record.kind === "consultation-report"
    ? html`<li data-testid="record-item" data-position=${record.position}>
        <div class="line">
          <a href=${recordPath(slug, record.position)}
            >${t("decisions.record.kicker", { position: record.position })}:
            ${t("consultations.report.title", { title: record.proposal.title })}</a
          >
        </div>
        <div class="line meta">
          <span>${reportCounts(record.counts)}</span>
          <span>${formatDate(record.published_at)}</span>
        </div>
      </li>`
    : html`<li data-testid="record-item" data-position=${record.position}>
        <div class="line">
          <a href=${recordPath(slug, record.position)}>${t("decisions.record.kicker", { position: record.position })}: ${record.poll.title}</a>
        </div>
        <div class="line meta">
          <span>${outcomeText(record.poll.method, record.outcome, record.winners)}</span>
          <span>${formatDate(record.poll.closed_at)}</span>
        </div>
      </li>`;

function counts(method, tally, options) {
  const values = tally.counts || {};
  const total = Object.values(values).reduce((sum, value) => sum + value, 0) || 1;
  const keys = options?.length ? options : Object.keys(values);
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${t("decisions.tally.counts")}><table class="tally-table" data-testid="tally-counts">
    <caption class="visually-hidden">${t("decisions.tally.counts")}</caption>
    <thead><tr><th scope="col">${t("decisions.tally.option")}</th><th scope="col">${t("decisions.tally.votes")}</th><th scope="col"><span class="visually-hidden">${t("decisions.tally.share")}</span></th></tr></thead>
    <tbody>
      ${keys.map(
        (option) => html`<tr data-option=${option}>
          <th scope="row">${optionLabel(method, option)}</th>
          <td class="number" data-testid="count">${formatNumber(values[option] ?? 0)}</td>
          <td>${bar((values[option] ?? 0) / total)}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>
  ${tally.blank ? html`<p class="meta">${t("decisions.tally.blank", { count: tally.blank })}</p>` : ""}
  ${tally.threshold !== undefined
    ? html`<p class="meta">
        ${tally.majority?.comparison === "at_least"
          ? t("decisions.tally.thresholdAtLeast", { threshold: fraction(tally.threshold) })
          : t("decisions.tally.thresholdMore", { threshold: fraction(tally.threshold) })}
      </p>`
    : ""}
  ${tally.tied?.length ? html`<p class="meta">${t("decisions.tally.tied", { options: tally.tied.map((o) => optionLabel(method, o)).join(", ") })}</p>` : ""}`;
}

function scores(tally, options) {
  const values = tally.scores || {};
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${t("decisions.tally.scores")}><table class="tally-table" data-testid="tally-scores">
    <caption class="visually-hidden">${t("decisions.tally.scores")}</caption>
    <thead><tr>
      <th scope="col">${t("decisions.tally.option")}</th>
      <th scope="col">${t("decisions.tally.mean")}</th>
      <th scope="col">${t("decisions.tally.median")}</th>
      <th scope="col">${t("decisions.tally.total")}</th>
      <th scope="col">${t("decisions.tally.distribution")}</th>
    </tr></thead>
    <tbody>
      ${options.map((option) => {
        const row = values[option] || { total: 0, mean: "0", median: "0", distribution: [] };
        return html`<tr data-option=${option}>
          <th scope="row">${option}</th>
          <td class="number" data-testid="mean">${fraction(row.mean)}</td>
          <td class="number">${fraction(row.median)}</td>
          <td class="number">${formatNumber(row.total)}</td>
          <td class="distribution">${row.distribution.map((n, score) => `${score}: ${formatNumber(n)}`).join(" · ")}</td>
        </tr>`;
      })}
    </tbody>
  </table></div>
  <p class="meta">${t(`decisions.tally.by.${tally.by === "median" ? "median" : "mean"}`)}</p>
  ${tally.tie_break ? html`<p class="meta">${t(`decisions.tally.tieBreak.${tally.tie_break}`)}</p>` : ""}`;
}

/** Where a round's votes went: "Knoxville +15, exhausted +2". */
function transfers(method, round) {
  const moved = Object.entries(round.transfers || {}).map(([option, votes]) => `${optionLabel(method, option)} +${fraction(votes)}`);
  if (fractionValue(round.exhausted_now) > 0) moved.push(t("decisions.tally.exhaustedNow", { votes: fraction(round.exhausted_now) }));
  return moved.join(", ");
}

/** Instant-runoff and STV: one column per round, one row per option. */
function rounds(method, tally, options) {
  const stv = tally.method === "stv";
  const list = tally.rounds || [];
  const value = (round, option) => {
    const source = stv ? round.totals : round.counts;
    if (!source || !(option in source)) return "";
    return stv ? fraction(source[option]) : formatNumber(source[option]);
  };
  const marks = (round, option) => {
    const elected = stv ? (round.elected || []).includes(option) : round.elected === option;
    const out = stv ? round.action === "elimination" && round.subject === option : round.eliminated === option;
    const surplus = stv && round.action === "surplus" && round.subject === option;
    if (elected) return html` <span class="mark mark-elected">${t("decisions.tally.elected")}</span>`;
    if (out) return html` <span class="mark mark-out">${t("decisions.tally.eliminated")}</span>`;
    if (surplus) return html` <span class="mark">${t("decisions.tally.surplus")}</span>`;
    return "";
  };
  return html`${stv
      ? html`<p class="meta" data-testid="stv-facts">${t("decisions.tally.stvFacts", { seats: tally.seats, quota: fraction(tally.quota), valid: fraction(tally.valid) })}</p>`
      : ""}
    <div class="table-scroll" tabindex="0" role="region" aria-label=${t("decisions.tally.rounds")}><table class="tally-table rounds" data-testid="rounds">
      <caption>${t("decisions.tally.rounds")}</caption>
      <thead><tr>
        <th scope="col">${t("decisions.tally.option")}</th>
        ${list.map((round) => html`<th scope="col">${t("decisions.tally.round", { round: round.round })}</th>`)}
      </tr></thead>
      <tbody>
        ${options.map(
          (option) => html`<tr data-option=${option}>
            <th scope="row">${optionLabel(method, option)}</th>
            ${list.map((round) => html`<td class="number">${value(round, option)}${marks(round, option)}</td>`)}
          </tr>`,
        )}
        <tr class="exhausted">
          <th scope="row">${t("decisions.tally.exhausted")}</th>
          ${list.map((round) => html`<td class="number">${fraction(round.exhausted)}</td>`)}
        </tr>
        <tr class="transfers">
          <th scope="row">${t("decisions.tally.transfers")}</th>
          ${list.map((round) => html`<td>${transfers(method, round)}</td>`)}
        </tr>
        ${list.some((round) => round.tie_break)
          ? html`<tr>
              <th scope="row">${t("decisions.tally.tieBreakRow")}</th>
              ${list.map((round) => html`<td>${round.tie_break ? t(`decisions.tally.tieBreak.${round.tie_break}`) : ""}</td>`)}
            </tr>`
          : ""}
        ${stv
          ? html`<tr>
              <th scope="row">${t("decisions.tally.transferValue")}</th>
              ${list.map((round) => html`<td class="number">${round.transfer_value === null ? "" : fraction(round.transfer_value)}</td>`)}
            </tr>`
          : html`<tr>
              <th scope="row">${t("decisions.tally.majority")}</th>
              ${list.map((round) => html`<td class="number">${formatNumber(round.majority)}</td>`)}
            </tr>`}
      </tbody>
    </table></div>`;
}

function matrix(method, caption, values, options, testid) {
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${caption}><table class="tally-table matrix" data-testid=${testid}>
    <caption>${caption}</caption>
    <thead><tr><th scope="col"><span class="visually-hidden">${t("decisions.tally.option")}</span></th>
      ${options.map((option) => html`<th scope="col">${optionLabel(method, option)}</th>`)}</tr></thead>
    <tbody>
      ${options.map(
        (row) => html`<tr>
          <th scope="row">${optionLabel(method, row)}</th>
          ${options.map((column) => html`<td class="number">${row === column ? "—" : formatNumber(values?.[row]?.[column] ?? 0)}</td>`)}
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

function schulze(method, tally, options) {
  return html`<p data-testid="schulze-ranking">
      ${t("decisions.tally.ranking")}: ${(tally.ranking || []).map((o) => optionLabel(method, o)).join(" › ")}
    </p>
    ${tally.tie_break ? html`<p class="meta">${t(`decisions.tally.tieBreak.${tally.tie_break}`)}</p>` : ""}
    ${matrix(method, t("decisions.tally.pairwise"), tally.pairwise, options, "pairwise")}
    <details>
      <summary>${t("decisions.tally.paths")}</summary>
      ${matrix(method, t("decisions.tally.paths"), tally.strongest_paths, options, "paths")}
    </details>`;
}

/** A running count's outcome, said as what it would be, not as a decision. */
function standing(method, tally) {
  const winners = tally.winners || [];
  if (winners.length) return t("decisions.tally.leading", { count: winners.length, names: winners.map((w) => optionLabel(method, w)).join(", ") });
  if (tally.outcome === "adopted" || tally.outcome === "rejected") {
    return t("decisions.tally.wouldBe", { outcome: outcomeLabel(tally.outcome) });
  }
  return outcomeLabel(tally.outcome);
}

/** The whole count. `final`: the vote is closed and the outcome is the result. */
export function tallyTemplate(method, options, tally, { final = false } = {}) {
  if (!tally) return "";
  const detail =
    tally.method === "score"
      ? scores(tally, options)
      : tally.method === "instant_runoff" || tally.method === "stv"
        ? rounds(method, tally, options)
        : tally.method === "schulze"
          ? schulze(method, tally, options)
          : counts(method, tally, options);
  return html`<div class="tally" data-testid="tally" data-method=${tally.method}>
    ${turnout(tally)}
    <p class=${final ? "outcome final" : "outcome"} data-testid="outcome" data-outcome=${tally.outcome}>
      ${final ? t("decisions.tally.result") : t("decisions.tally.standing")}:
      <strong>${final ? outcomeText(method, tally.outcome, tally.winners || []) : standing(method, tally)}</strong>
    </p>
    ${detail}
  </div>`;
}
