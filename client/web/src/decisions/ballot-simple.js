// The ballots that need no ordering: yes/no/abstain and single choice (one of several, as large
// radio rows: a tap to choose, a tap to cast), approval (any number, as check boxes) and score
// (a 0–5 slider per option). Each keeps its choice in the form the server takes.
import { html } from "lit";
import { formatNumber, t } from "../i18n/index.js";
import { optionLabel } from "./format.js";

export class ChoiceBallot {
  constructor(method, options, redraw) {
    this.method = method;
    this.options = method === "yes_no_abstain" ? ["yes", "no", "abstain"] : options;
    this.redraw = redraw;
    this.reset();
  }

  reset() {
    // undefined: nothing chosen yet; null: a blank ballot (single choice)
    this.value = this.method === "approval" ? [] : undefined;
  }

  get choice() {
    return this.method === "approval" ? this.options.filter((o) => this.value.includes(o)) : this.value;
  }

  get ready() {
    return this.method === "approval" || this.value !== undefined;
  }

  toggle(option, checked) {
    if (this.method === "approval") {
      this.value = checked ? [...this.value, option] : this.value.filter((o) => o !== option);
    } else {
      this.value = option;
    }
    this.redraw();
  }

  template(label) {
    const many = this.method === "approval";
    return html`<fieldset data-testid="choice-ballot">
      <legend>${label}</legend>
      ${many ? html`<p class="hint">${t("decisions.ballot.approvalHelp")}</p>` : ""}
      ${this.options.map(
        (option) => html`<label class="choice-option">
          <input
            type=${many ? "checkbox" : "radio"}
            name="choice"
            value=${option}
            .checked=${many ? this.value.includes(option) : this.value === option}
            @change=${(event) => this.toggle(option, event.target.checked)}
          />
          <span>${optionLabel(this.method, option)}</span>
        </label>`,
      )}
      ${this.method === "single_choice"
        ? html`<label class="choice-option blank-option">
            <input type="radio" name="choice" value="" .checked=${this.value === null} @change=${() => this.toggle(null, true)} />
            <span>${t("decisions.ballot.blank")}</span>
          </label>`
        : ""}
      ${many && this.value.length === 0 ? html`<p class="meta">${t("decisions.ballot.approvalBlank")}</p>` : ""}
    </fieldset>`;
  }
}

export class ScoreBallot {
  constructor(options, redraw) {
    this.options = options;
    this.redraw = redraw;
    this.reset();
  }

  reset() {
    this.value = Object.fromEntries(this.options.map((o) => [o, 0]));
  }

  get choice() {
    return { ...this.value };
  }

  get ready() {
    return true;
  }

  set(option, score) {
    this.value = { ...this.value, [option]: score };
    this.redraw();
  }

  template(label) {
    return html`<fieldset data-testid="score-ballot">
      <legend>${label}</legend>
      <p class="hint">${t("decisions.ballot.scoreHelp")}</p>
      ${this.options.map(
        (option, index) => html`<div class="score-row">
          <label for="score-${index}">${option}</label>
          <input
            id="score-${index}"
            type="range"
            min="0"
            max="5"
            step="1"
            data-option=${option}
            .value=${String(this.value[option])}
            aria-valuetext=${t("decisions.ballot.scoreValue", { score: this.value[option] })}
            @input=${(event) => this.set(option, Number(event.target.value))}
          />
          <output for="score-${index}" data-testid="score-value">${formatNumber(this.value[option])}</output>
        </div>`,
      )}
    </fieldset>`;
  }
}
