// Importing organisations from a CSV file (administrators): the file is first checked as a dry
// run, which stores nothing and reports every row with its line number and problems; only a
// file whose every row is valid can then be imported (the server stores every row or none).
import { html } from "lit";
import { post } from "../api.js";
import { t } from "../i18n/index.js";
import { errorText, notify } from "../ui/dom.js";
import { organisationPath } from "./reference.js";

export class ImportPanel {
  constructor({ redraw, imported }) {
    this.redraw = redraw;
    this.imported = imported;
    this.csv = "";
    this.report = null; // the dry run's answer, for the text it was made from
    this.created = null;
    this.error = "";
    this.busy = false;
  }

  async readFile(event) {
    const file = event.target.files?.[0];
    if (!file) return;
    this.csv = await file.text();
    this.report = null;
    this.created = null;
    this.redraw();
  }

  async run(dryRun) {
    this.busy = true;
    this.error = "";
    this.redraw();
    try {
      const answer = await post("/directory/imports", { csv: this.csv, dry_run: dryRun });
      if (dryRun) {
        this.report = answer;
      } else {
        this.report = null;
        this.created = answer.created;
        this.csv = "";
        notify(t("directory.import.done", { count: answer.created.length }));
        this.imported();
      }
    } catch (error) {
      this.error = errorText(error, t("common.failed"));
    } finally {
      this.busy = false;
      this.redraw();
    }
  }

  reportTemplate(report) {
    return html`<div class="import-report" data-testid="import-report" data-valid=${report.valid ? "true" : "false"}>
      <p class=${report.valid ? "check check-ok" : "check check-bad"} role="status">
        ${report.valid
          ? t("directory.import.valid", { count: report.rows })
          : t("directory.import.invalid", { count: report.invalid_rows.length, rows: report.rows })}
      </p>
      ${report.problems.length
        ? html`<ul class="error">
            ${report.problems.map((problem) => html`<li>${problem}</li>`)}
          </ul>`
        : ""}
      ${report.invalid_rows.length
        ? html`<div class="table-scroll">
            <table data-testid="import-rows">
              <caption>${t("directory.import.rowsCaption")}</caption>
              <thead>
                <tr>
                  <th scope="col">${t("directory.import.line")}</th>
                  <th scope="col">${t("directory.import.problems")}</th>
                </tr>
              </thead>
              <tbody>
                ${report.invalid_rows.map(
                  (row) => html`<tr data-line=${row.line}>
                    <td>${row.line}</td>
                    <td>${row.errors.join("; ")}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : ""}
      ${report.valid && report.rows
        ? html`<button type="button" data-testid="import-confirm" ?disabled=${this.busy} @click=${() => this.run(false)}>
            ${t("directory.import.confirm", { count: report.rows })}
          </button>`
        : ""}
    </div>`;
  }

  template() {
    return html`<section class="card" aria-labelledby="import-title" data-testid="import">
      <h2 id="import-title">${t("directory.import.title")}</h2>
      <p class="hint">${t("directory.import.hint")}</p>
      <label>${t("directory.import.file")}<input type="file" accept=".csv,text/csv" @change=${(e) => this.readFile(e)} /></label>
      <label
        >${t("directory.import.paste")}
        <textarea
          name="csv"
          rows="5"
          spellcheck="false"
          .value=${this.csv}
          @input=${(e) => {
            this.csv = e.target.value;
            this.report = null;
            this.redraw();
          }}
        ></textarea>
      </label>
      <button type="button" class="secondary" data-testid="import-check" ?disabled=${this.busy || !this.csv.trim()} @click=${() => this.run(true)}>
        ${t("directory.import.check")}
      </button>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ""}
      ${this.report ? this.reportTemplate(this.report) : ""}
      ${this.created
        ? html`<ul data-testid="import-created">
            ${this.created.map((slug) => html`<li><a href=${organisationPath(slug)}>${slug}</a></li>`)}
          </ul>`
        : ""}
    </section>`;
  }
}
