// A decision record (`/rooms/{slug}/decisions/{position}`): what was decided, on which text, by
// whom and how it was counted, with its hash and the previous record's. Two checks run here:
// the browser computes the SHA-256 of the text voted on (crypto.subtle) and compares it with the
// recorded `text_sha256`, and the server recomputes the room's whole chain of records
// (GET …/decision-chain) and says whether it holds, or where it breaks.
import { html } from "lit";
import { get } from "../api.js";
import { canonicalJson, choiceText, methodLabel, optionLabel, percent, pollPath, proposalPath, recordPath, sha256Hex } from "../decisions/format.js";
import { outcomeText, tallyTemplate } from "../decisions/tally.js";
import { reportCounts, reportPath } from "../consultations/format.js";
import { formatDate, t } from "../i18n/index.js";
import { errorText, markdownHtml } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

function rulesText(rules) {
  const parts = [];
  if (rules.majority && rules.majority !== "simple") {
    parts.push(
      rules.majority === "absolute"
        ? t("decisions.rules.absolute")
        : t("decisions.rules.qualified", { share: percent(rules.majority.qualified) }),
    );
  }
  if (rules.quorum) {
    parts.push(
      rules.quorum.count !== undefined
        ? t("decisions.rules.quorumCount", { count: rules.quorum.count })
        : t("decisions.rules.quorumShare", { share: percent(rules.quorum.share) }),
    );
  }
  if (rules.seats) parts.push(t("decisions.rules.seats", { count: rules.seats }));
  if (rules.visibility) parts.push(t(`decisions.visibility.${rules.visibility}`));
  parts.push(rules.allow_change === false ? t("decisions.rules.noChange") : t("decisions.rules.change"));
  return parts.join(" · ");
}

export function showRecord(container, ctx, params) {
  const position = Number(params.position);
  const state = {
    record: null,
    error: "",
    textCheck: "pending", // the text voted on against its recorded hash: match | mismatch | unavailable
    computed: "",
    recordCheck: "pending", // the record as served against its hash, recomputed here
    chain: null,
    chainError: "",
  };
  let disposed = false;
  const base = `/rooms/${encodeURIComponent(ctx.slug)}`;

  const checkText = async (proposal) => {
    if (!proposal) return;
    try {
      state.computed = await sha256Hex(proposal.text ?? "");
      state.textCheck = state.computed === proposal.text_sha256 ? "match" : "mismatch";
    } catch {
      state.textCheck = "unavailable";
    }
  };

  const checkRecord = async (record) => {
    const { sha256, ...content } = record;
    try {
      state.recordCheck = (await sha256Hex(canonicalJson(content))) === sha256 ? "match" : "mismatch";
    } catch {
      state.recordCheck = "unavailable";
    }
  };

  const load = async () => {
    try {
      state.record = await get(`${base}/decisions/${encodeURIComponent(position)}`);
      await Promise.all([checkText(state.record.proposal), checkRecord(state.record)]);
    } catch (error) {
      state.error = error.status === 404 ? t("decisions.record.notFound") : errorText(error, t("common.failed"));
    }
    if (!disposed) view.redraw();
    try {
      state.chain = await get(`${base}/decision-chain`);
    } catch (error) {
      state.chainError = errorText(error, t("common.failed"));
    }
    if (!disposed) view.redraw();
  };

  const hash = (value) => html`<code class="hash">${value || "—"}</code>`;

  const chainTemplate = () => {
    const chain = state.chain;
    if (state.chainError) return html`<p class="error">${state.chainError}</p>`;
    if (!chain) return html`<p class="loading">${t("decisions.record.chainChecking")}</p>`;
    if (chain.intact) {
      return html`<p class="check check-ok" data-testid="chain" data-intact="true">
          ${t("decisions.record.chainIntact", { count: chain.records })}
        </p>
        <p class="meta">${t("decisions.record.chainHead")} ${hash(chain.head_sha256)}</p>`;
    }
    return html`<div class="check check-bad" data-testid="chain" data-intact="false" role="alert">
      <p>${t("decisions.record.chainBroken", { position: chain.first_break })}</p>
      <ul>
        ${chain.problems.map(
          (problem) => html`<li>${t("decisions.record.chainProblem", { position: problem.position, problem: problem.problem })}</li>`,
        )}
      </ul>
    </div>`;
  };

  const recordCheckTemplate = () => {
    const result = state.recordCheck;
    const text = {
      match: t("decisions.record.recordMatches"),
      mismatch: t("decisions.record.recordDiffers"),
      unavailable: t("decisions.record.textUnchecked"),
      pending: t("decisions.record.textChecking"),
    }[result];
    const kind = { match: "check check-ok", mismatch: "check check-bad" }[result] ?? "check";
    return html`<p class=${kind} data-testid="record-check" data-result=${result} role=${result === "mismatch" ? "alert" : "status"}>${text}</p>`;
  };

  /** `heading`: what the text is (the text voted on, or the text when a report was published). */
  const textTemplate = (proposal, heading = t("decisions.record.text")) => {
    const verdict = {
      match: html`<p class="check check-ok" data-testid="text-check" data-result="match">${t("decisions.record.textMatches")}</p>`,
      mismatch: html`<p class="check check-bad" data-testid="text-check" data-result="mismatch" role="alert">
        ${t("decisions.record.textDiffers")} ${hash(state.computed)}
      </p>`,
      unavailable: html`<p class="check" data-testid="text-check" data-result="unavailable">${t("decisions.record.textUnchecked")}</p>`,
      pending: html`<p class="loading" data-testid="text-check" data-result="pending">${t("decisions.record.textChecking")}</p>`,
    }[state.textCheck];
    return html`<section class="card" aria-labelledby="voted-text">
      <h2 id="voted-text">${heading}</h2>
      <p class="meta">
        ${t("decisions.record.proposal")}:
        <a href=${proposalPath(ctx.slug, proposal.id)}>${proposal.title}</a>
        · ${t("decisions.record.version", { seq: proposal.seq ?? "—" })}
      </p>
      <dl class="facts">
        <dt>${t("decisions.record.textHash")}</dt><dd>${hash(proposal.text_sha256)}</dd>
        ${proposal.state_sha256 === undefined
          ? ""
          : html`<dt>${t("decisions.record.stateHash")}</dt><dd>${hash(proposal.state_sha256)}</dd>`}
      </dl>
      ${verdict}
      <div class="markdown voted-text" data-testid="voted-text" .innerHTML=${markdownHtml(proposal.text ?? "")}></div>
    </section>`;
  };

  const integrity = (record) => html`<section class="card" aria-labelledby="record-hashes">
    <h2 id="record-hashes">${t("decisions.record.integrity")}</h2>
    <dl class="facts">
      <dt>${t("decisions.record.hash")}</dt><dd data-testid="record-hash">${hash(record.sha256)}</dd>
      <dt>${t("decisions.record.previous")}</dt>
      <dd>
        ${record.previous_sha256
          ? html`<a href=${recordPath(ctx.slug, record.position - 1)}>${hash(record.previous_sha256)}</a>`
          : t("decisions.record.first")}
      </dd>
    </dl>
    ${recordCheckTemplate()}
    ${chainTemplate()}
  </section>`;

  // a consultation's report is a record of the chain too: its summary, the link to the
  // report's own page, the same checks
  const reportTemplate = (record) => html`<article class="record" data-testid="record">
    <p class="meta">${t("decisions.record.kicker", { position: record.position })}</p>
    <h1>${t("consultations.report.title", { title: record.proposal.title })}</h1>
    <p class="outcome final"><strong>${reportCounts(record.counts)}</strong></p>
    <p><a href=${reportPath(record.consultation.id)}>${t("consultations.record.open")}</a></p>
    ${integrity(record)}
    ${textTemplate(record.proposal, t("consultations.record.text"))}
  </article>`;

  const template = () => {
    const record = state.record;
    if (state.error) return html`<p class="error" role="alert">${state.error}</p>`;
    if (!record) return html`<p class="loading">${t("common.loading")}</p>`;
    if (record.kind === "consultation-report") return reportTemplate(record);
    const poll = record.poll;
    return html`<article class="record" data-testid="record">
      <p class="meta">${t("decisions.record.kicker", { position: record.position })}</p>
      <h1>${poll.title}</h1>
      <p class="outcome final" data-testid="record-outcome" data-outcome=${record.outcome}>
        <strong>${outcomeText(poll.method, record.outcome, record.winners)}</strong>
      </p>
      <dl class="facts">
        <dt>${t("decisions.record.method")}</dt><dd>${methodLabel(poll.method, poll.rules)}</dd>
        <dt>${t("decisions.record.options")}</dt><dd>${poll.options.map((o) => optionLabel(poll.method, o)).join(", ")}</dd>
        <dt>${t("decisions.record.rules")}</dt><dd>${rulesText(poll.rules)}</dd>
        <dt>${t("decisions.record.ballots")}</dt><dd>${poll.secret ? t("decisions.secret") : t("decisions.named")}</dd>
        <dt>${t("decisions.record.turnout")}</dt>
        <dd>${t("decisions.record.turnoutValue", { turnout: record.turnout, electorate: record.electorate_size })}</dd>
        <dt>${t("decisions.record.opened")}</dt><dd><time datetime=${poll.opened_at}>${formatDate(poll.opened_at)}</time></dd>
        <dt>${t("decisions.record.closed")}</dt><dd><time datetime=${poll.closed_at}>${formatDate(poll.closed_at)}</time></dd>
        <dt>${t("decisions.record.poll")}</dt><dd><a href=${pollPath(ctx.slug, poll.id)}>${t("decisions.record.pollLink", { id: poll.id })}</a></dd>
      </dl>
      ${integrity(record)}
      ${record.proposal ? textTemplate(record.proposal) : ""}
      <section class="card" aria-labelledby="record-voters">
        <h2 id="record-voters">${t("decisions.record.voters", { count: record.voters.length })}</h2>
        ${record.ballots
          ? html`<div class="table-scroll" tabindex="0" role="region" aria-label=${t("decisions.record.ballotsCaption")}><table data-testid="record-ballots">
              <caption class="visually-hidden">${t("decisions.record.ballotsCaption")}</caption>
              <thead><tr><th scope="col">${t("decisions.record.voter")}</th><th scope="col">${t("decisions.record.choice")}</th></tr></thead>
              <tbody>${record.ballots.map(
                (ballot) => html`<tr><th scope="row">${ballot.voter}</th><td>${choiceText(poll.method, ballot.choice)}</td></tr>`,
              )}</tbody>
            </table></div>`
          : html`<p>${record.voters.join(", ") || t("decisions.record.nobody")}</p>
              <p class="hint">${t("decisions.record.secretNote")}</p>`}
      </section>
      <section class="card" aria-labelledby="record-count">
        <h2 id="record-count">${t("decisions.record.count")}</h2>
        ${tallyTemplate(poll.method, poll.options, record.tally, { final: true })}
      </section>
    </article>`;
  };

  const view = mountView(container, template);
  load();
  return () => {
    disposed = true;
    view.dispose();
  };
}
