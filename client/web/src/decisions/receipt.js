// A secret ballot's receipt. The server shows it once, in the answer to the ballot; this page
// keeps it in memory only (never in storage) and shows it until the person leaves the poll.
// "Verify my ballot" asks GET …/receipts/{receipt}, which says whether that ballot is counted
// and what it says. A receipt kept from before can be typed in to verify it, or to change the
// ballot it belongs to (the server needs it to know which secret ballot is the person's).
import { html } from "lit";
import { get } from "../api.js";
import { t } from "../i18n/index.js";
import { errorText, notify } from "../ui/dom.js";
import { choiceText } from "./format.js";

export class Receipt {
  constructor(pollUrl, method, redraw) {
    this.pollUrl = pollUrl;
    this.method = method;
    this.redraw = redraw;
    this.fresh = null; // the receipt just issued: shown once, on this page
    this.kept = ""; // a receipt the person typed in
    this.check = null; // {counted, choice} | {error}
    this.busy = false;
  }

  /** The receipt to send when changing a secret ballot, if the page has one. */
  get current() {
    return this.fresh || this.kept.trim() || null;
  }

  issued(receipt) {
    this.fresh = receipt;
    this.check = null;
  }

  async verify(receipt) {
    if (!receipt) return;
    this.busy = true;
    this.redraw();
    try {
      const answer = await get(`${this.pollUrl}/receipts/${encodeURIComponent(receipt)}`);
      this.check = { counted: answer.counted, choice: answer.choice };
    } catch (error) {
      this.check = { error: error.status === 404 ? t("decisions.receipt.unknown") : errorText(error, t("common.failed")) };
    } finally {
      this.busy = false;
      this.redraw();
    }
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.fresh);
      notify(t("decisions.receipt.copied"));
    } catch {
      notify(t("decisions.receipt.copyManually"), "error");
    }
  }

  result() {
    if (!this.check) return "";
    if (this.check.error) return html`<p class="check check-bad" data-testid="receipt-check" data-counted="false" role="alert">${this.check.error}</p>`;
    return html`<p class="check check-ok" data-testid="receipt-check" data-counted=${String(this.check.counted)} role="status">
      ${t("decisions.receipt.counted", { choice: choiceText(this.method, this.check.choice) })}
    </p>`;
  }

  /** The receipt just issued, with copy and verify. */
  freshTemplate() {
    if (!this.fresh) return "";
    return html`<section class="receipt" data-testid="receipt" aria-labelledby="receipt-title">
      <h2 id="receipt-title">${t("decisions.receipt.title")}</h2>
      <p><code data-testid="receipt-code">${this.fresh}</code></p>
      <p class="hint">${t("decisions.receipt.once")}</p>
      <div class="actions">
        <button type="button" class="secondary" @click=${() => this.copy()}>${t("decisions.receipt.copy")}</button>
        <button type="button" data-testid="verify-receipt" ?disabled=${this.busy} @click=${() => this.verify(this.fresh)}>
          ${t("decisions.receipt.verify")}
        </button>
      </div>
      ${this.result()}
    </section>`;
  }

  /** For a secret ballot cast earlier: type the receipt in to verify it or change with it. */
  keptTemplate() {
    if (this.fresh) return "";
    return html`<details class="receipt-kept">
      <summary>${t("decisions.receipt.haveOne")}</summary>
      <label>
        ${t("decisions.receipt.label")}
        <input
          autocomplete="off"
          spellcheck="false"
          data-testid="receipt-input"
          .value=${this.kept}
          @input=${(event) => ((this.kept = event.target.value), this.redraw())}
        />
      </label>
      <button type="button" class="secondary" ?disabled=${this.busy || !this.kept.trim()} @click=${() => this.verify(this.kept.trim())}>
        ${t("decisions.receipt.verify")}
      </button>
      ${this.result()}
    </details>`;
  }
}
