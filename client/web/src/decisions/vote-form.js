// The form that opens a vote: on a proposal (yes/no/abstain, its body freezes at once) or of its
// own (any method the server has, with its options and settings, now or later). It turns the
// fields into the API's body (docs/decisions.md: VoteTerms / NewPoll) and hands it to `submit`.
import { html } from "lit";
import { t } from "../i18n/index.js";
import { methodLabel, seconds } from "./format.js";

const METHODS = [
  ["yes_no_abstain", {}],
  ["single_choice", {}],
  ["approval", {}],
  ["score", {}],
  ["ranked", { ranked: "irv" }],
  ["ranked", { ranked: "schulze" }],
  ["stv", {}],
];
const methodKey = ([method, rules]) => (rules.ranked ? `${method}:${rules.ranked}` : method);
const VISIBILITIES = ["after_close", "after_vote", "always"];
const UNITS = ["minutes", "hours", "days"];

let forms = 0;

export class VoteForm {
  /** `standalone`: a vote of its own (title, method, options); else a proposal's. */
  constructor({ standalone, submit, cancel, redraw }) {
    this.standalone = standalone;
    this.submit = submit;
    this.cancel = cancel;
    this.redraw = redraw;
    this.method = standalone ? "single_choice" : "yes_no_abstain";
    this.error = "";
    this.busy = false;
    this.id = `vote-form-${++forms}`;
  }

  body(form) {
    const data = new FormData(form);
    const [method, ranked] = String(data.get("method") ?? "yes_no_abstain").split(":");
    const rules = {};
    const body = {
      secret: data.get("secret") === "on",
      visibility: data.get("visibility"),
      allow_change: data.get("allow_change") === "on",
    };
    const closes = seconds(data.get("closes_amount"), data.get("closes_unit"));
    if (closes) body.closes_in = closes;
    if (method === "yes_no_abstain") {
      const majority = data.get("majority");
      if (majority === "absolute") rules.majority = "absolute";
      if (majority === "two_thirds") rules.majority = { qualified: "2/3", base: "votes_cast" };
    }
    const quorum = Number(data.get("quorum") || 0);
    if (quorum > 0) rules.quorum = { count: quorum };
    if (this.standalone) {
      body.title = String(data.get("title")).trim();
      body.method = method;
      if (method !== "yes_no_abstain") {
        body.options = String(data.get("options"))
          .split("\n")
          .map((line) => line.trim())
          .filter(Boolean);
      }
      if (ranked) rules.ranked = ranked;
      if (method === "stv") rules.seats = Number(data.get("seats") || 1);
      if (method === "score") rules.score_by = data.get("score_by");
      const opens = seconds(data.get("opens_amount"), data.get("opens_unit"));
      if (opens) body.opens_in = opens;
    }
    body.rules = rules;
    return body;
  }

  async send(event) {
    event.preventDefault();
    this.busy = true;
    this.error = "";
    this.redraw();
    try {
      await this.submit(this.body(event.target));
    } catch (error) {
      this.error = error?.problem?.detail || error?.message || t("common.failed");
    } finally {
      this.busy = false;
      this.redraw();
    }
  }

  deadline(prefix, label) {
    return html`<div class="pair" role="group" aria-labelledby="${this.id}-${prefix}">
      <span id="${this.id}-${prefix}" class="visually-hidden">${label}</span>
      <label>${label}<input name="${prefix}_amount" type="number" min="0" step="any" inputmode="decimal" data-testid="${prefix}-amount" /></label>
      <label>${t("decisions.form.unit")}
        <select name="${prefix}_unit">
          ${UNITS.map((unit) => html`<option value=${unit}>${t(`decisions.form.units.${unit}`)}</option>`)}
        </select>
      </label>
    </div>`;
  }

  template() {
    const yesNo = this.method === "yes_no_abstain";
    return html`<form class="vote-form" data-testid="vote-form" @submit=${(event) => this.send(event)}>
      ${this.standalone
        ? html`<label>${t("decisions.form.title")}<input name="title" required maxlength="200" data-testid="poll-title" /></label>
            <label>${t("decisions.form.method")}
              <select name="method" data-testid="poll-method" @change=${(event) => ((this.method = event.target.value.split(":")[0]), this.redraw())}>
                ${METHODS.map((entry) => html`<option value=${methodKey(entry)} ?selected=${methodKey(entry) === this.method}>${methodLabel(...entry)}</option>`)}
              </select>
            </label>
            ${yesNo
              ? ""
              : html`<label>${t("decisions.form.options")}
                  <textarea name="options" rows="4" required data-testid="poll-options"></textarea>
                  <span class="hint">${t("decisions.form.optionsHelp")}</span>
                </label>`}
            ${this.method === "stv"
              ? html`<label>${t("decisions.form.seats")}<input name="seats" type="number" min="1" value="2" required /></label>`
              : ""}
            ${this.method === "score"
              ? html`<label>${t("decisions.form.scoreBy")}
                  <select name="score_by">
                    <option value="mean">${t("decisions.tally.mean")}</option>
                    <option value="median">${t("decisions.tally.median")}</option>
                  </select>
                </label>`
              : ""}`
        : html`<p class="hint">${t("decisions.form.proposalMethod")}</p>`}
      ${yesNo
        ? html`<label>${t("decisions.form.majority")}
            <select name="majority">
              <option value="simple">${t("decisions.form.majority.simple")}</option>
              <option value="absolute">${t("decisions.form.majority.absolute")}</option>
              <option value="two_thirds">${t("decisions.form.majority.twoThirds")}</option>
            </select>
          </label>`
        : ""}
      <label>${t("decisions.form.quorum")}<input name="quorum" type="number" min="0" step="1" placeholder="0" /></label>
      <label class="inline"><input type="checkbox" name="secret" data-testid="poll-secret" /> ${t("decisions.form.secret")}</label>
      <label class="inline"><input type="checkbox" name="allow_change" checked /> ${t("decisions.form.allowChange")}</label>
      <label>${t("decisions.form.visibility")}
        <select name="visibility" data-testid="poll-visibility">
          ${VISIBILITIES.map((value) => html`<option value=${value}>${t(`decisions.visibility.${value}`)}</option>`)}
        </select>
      </label>
      ${this.deadline("closes", t("decisions.form.closesIn"))}
      ${this.standalone ? this.deadline("opens", t("decisions.form.opensIn")) : ""}
      <p class="hint">${t("decisions.form.deadlineHelp")}</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ""}
      <div class="actions">
        <button type="submit" data-testid="open-vote" ?disabled=${this.busy}>
          ${this.standalone ? t("decisions.form.openPoll") : t("decisions.form.openVote")}
        </button>
        <button type="button" class="secondary" @click=${() => this.cancel()}>${t("common.cancel")}</button>
      </div>
    </form>`;
  }
}
