// A consultation's report (`/consultations/{id}/report`), as published into the room's chain of
// decisions: the counts, every comment grouped by the passage it is about (in the order of the
// text; passages removed since come last) with its response and reason, the report's SHA-256
// and links to the same report as Markdown, as CSV and as a printable page.
import { html } from "lit";
import { get } from "../api.js";
import { RESPONSES, consultationPath, reportFile, reportPath } from "../consultations/format.js";
import { recordPath } from "../decisions/format.js";
import { organisationPath } from "../directory/reference.js";
import { formatDate, t } from "../i18n/index.js";
import { errorText } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

const COUNTS = ["comments", "accepted", "partly_accepted", "not_accepted", "people", "organisations"];

export function showReport(container, params) {
  const id = params.id;
  const state = { report: null, error: "", unpublished: false };
  let disposed = false;

  const load = async () => {
    try {
      state.report = await get(reportPath(id), { auth: false });
    } catch (error) {
      state.unpublished = error.status === 409;
      state.error =
        error.status === 404
          ? t("consultations.notFound")
          : state.unpublished
            ? t("consultations.report.unpublished")
            : errorText(error, t("common.failed"));
    }
    if (!disposed) view.redraw();
  };

  const who = (comment) => {
    const person = comment.author_display_name || comment.author || t("consultations.someone");
    if (!comment.organisation) return person;
    return html`<a href=${organisationPath(comment.organisation)}>${comment.organisation_name}</a> (${person})`;
  };

  const groupCounts = (comments) => {
    const parts = RESPONSES.map((response) => [response, comments.filter((c) => c.response === response).length])
      .filter(([, count]) => count)
      .map(([response, count]) => t(`consultations.report.group.${response}`, { count }));
    return [t("consultations.comments", { count: comments.length }), ...parts].join(" · ");
  };

  const passage = (group, index) => html`<section class="report-passage card" aria-labelledby="passage-${index}" data-testid="report-passage">
    <h2 id="passage-${index}">
      ${group.start === null ? t("consultations.report.removed") : html`<q>${group.text}</q>`}
    </h2>
    <p class="meta" data-testid="passage-counts">${groupCounts(group.comments)}</p>
    <ol class="comment-list">
      ${group.comments.map(
        (comment) => html`<li class="comment consultation-comment" data-testid="report-comment">
          ${group.start === null ? html`<p class="comment-quote"><s>${comment.quote}</s></p>` : ""}
          <p class="comment-body">${comment.body}</p>
          <p class="meta">${who(comment)} · <time datetime=${comment.created_at}>${formatDate(comment.created_at)}</time></p>
          <p class="response response-${comment.response ?? "none"}">
            <strong>${comment.response ? t(`consultations.response.${comment.response}`) : t("consultations.response.none")}</strong>:
            ${comment.reason ?? ""}
          </p>
        </li>`,
      )}
    </ol>
  </section>`;

  const report = (r) => html`<article class="report" data-testid="report">
    <header class="card">
      <p class="meta"><a href=${consultationPath(id)}>${t("consultations.report.back")}</a></p>
      <h1>${t("consultations.report.title", { title: r.proposal.title })}</h1>
      <dl class="facts">
        <dt>${t("consultations.report.period")}</dt>
        <dd>${formatDate(r.consultation.opened_at, { dateStyle: "long" })} – ${formatDate(r.consultation.closes_at, { dateStyle: "long" })}</dd>
        <dt>${t("consultations.report.published")}</dt>
        <dd>${formatDate(r.published_at)}</dd>
        <dt>${t("consultations.report.record")}</dt>
        <dd><a href=${recordPath(r.room, r.position)}>${t("consultations.report.position", { position: r.position })}</a></dd>
        <dt>${t("consultations.report.hash")}</dt>
        <dd><code class="hash" data-testid="report-hash">${r.sha256}</code></dd>
        <dt>${t("consultations.report.textHash", { seq: r.proposal.seq })}</dt>
        <dd><code class="hash">${r.proposal.text_sha256}</code></dd>
      </dl>
      <table class="report-counts" data-testid="report-counts">
        <caption>${t("consultations.report.counts")}</caption>
        <tbody>
          ${COUNTS.map(
            (key) => html`<tr>
              <th scope="row">${t(`consultations.count.${key}`)}</th>
              <td class="number" data-count=${key}>${r.counts[key]}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      <p class="downloads">
        <span>${t("consultations.report.download")}</span>
        <a href=${reportFile(id, "md")} download data-testid="report-md">Markdown</a>
        <a href=${reportFile(id, "csv")} download data-testid="report-csv">CSV</a>
        <a href=${reportFile(id, "html")} target="_blank" rel="noopener" data-testid="report-html">${t("consultations.report.printable")}</a>
      </p>
    </header>
    ${r.passages.length ? r.passages.map(passage) : html`<p class="card">${t("consultations.noComments")}</p>`}
  </article>`;

  const view = mountView(container, () =>
    state.report
      ? report(state.report)
      : html`<section class="card">
          ${state.error
            ? html`<p class=${state.unpublished ? "" : "error"} role="alert">${state.error}</p>
                <p><a href=${consultationPath(id)}>${t("consultations.report.back")}</a></p>`
            : html`<p class="loading">${t("common.loading")}</p>`}
        </section>`,
  );
  load();
  return () => {
    disposed = true;
    view.dispose();
  };
}
