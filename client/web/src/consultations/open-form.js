// The form with which a room's owner publishes a proposal for public consultation: the last
// day for comments (30 days ahead by default; the law allows no fewer than 14, and under 30
// needs a published reason), whom it concerns (an oblast, or the whole country) and its
// sectors. The server has the last word on the period and says why it refuses.
import { html } from "lit";
import { t } from "../i18n/index.js";
import { placeName, sortedOblasts, termName } from "../directory/reference.js";
import { daysBetween } from "./format.js";

// the law's numbers, for the hints only: the server checks them and explains a refusal
const DEFAULT_DAYS = 30;
const SHORTEST_DAYS = 14;

/** A date input's value ("2027-01-15") for the day `days` after today. */
function dayInput(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The end of that day in the browser's time zone, as the API's timestamp. */
function endOfDay(value) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day, 23, 59).toISOString();
}

export class OpenConsultationForm {
  constructor({ submit, cancel, redraw }) {
    this.submit = submit;
    this.cancel = cancel;
    this.redraw = redraw;
    this.day = dayInput(DEFAULT_DAYS);
    this.error = "";
    this.busy = false;
  }

  days() {
    const [year, month, day] = this.day.split("-").map(Number);
    return daysBetween(new Date(), new Date(year, month - 1, day));
  }

  async send(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = { closes_at: endOfDay(String(data.get("closes_on"))), sectors: data.getAll("sectors").map(String) };
    const reason = String(data.get("reason") ?? "").trim();
    if (reason) body.reason = reason;
    const oblast = String(data.get("oblast") ?? "");
    if (oblast) body.oblast = oblast;
    this.busy = true;
    this.error = "";
    this.redraw();
    try {
      await this.submit(body);
    } catch (error) {
      this.error = error?.problem?.detail || error?.message || t("common.failed");
    } finally {
      this.busy = false;
      this.redraw();
    }
  }

  template(ref) {
    const days = this.days();
    const short = days < DEFAULT_DAYS;
    return html`<form class="vote-form consultation-form" data-testid="consultation-form" @submit=${(e) => this.send(e)}>
      <h2>${t("consultations.open.title")}</h2>
      <p class="hint">${t("consultations.open.hint")}</p>
      <label
        >${t("consultations.open.closesOn")}
        <input
          type="date"
          name="closes_on"
          required
          .value=${this.day}
          aria-describedby="consultation-days"
          @input=${(e) => {
            this.day = e.target.value || this.day;
            this.redraw();
          }}
        />
      </label>
      <p class="hint ${days < SHORTEST_DAYS ? "error" : ""}" id="consultation-days" data-testid="consultation-days">
        ${t("consultations.open.days", { count: days })} ${days < SHORTEST_DAYS ? t("consultations.open.tooShort", { count: SHORTEST_DAYS }) : ""}
      </p>
      <label
        >${short ? t("consultations.open.reasonNeeded") : t("consultations.open.reason")}
        <textarea name="reason" rows="2" maxlength="500"></textarea>
      </label>
      <label
        >${t("consultations.open.oblast")}
        <select name="oblast">
          <option value="">${t("consultations.wholeCountry")}</option>
          ${sortedOblasts(ref).map((oblast) => html`<option value=${oblast.code}>${placeName(oblast)}</option>`)}
        </select>
      </label>
      <fieldset class="sectors">
        <legend>${t("consultations.open.sectors")}</legend>
        ${(ref?.sectors ?? []).map(
          (sector) => html`<label class="inline"
            ><input type="checkbox" name="sectors" value=${sector.slug} />${termName(ref.sectors, sector.slug)}</label
          >`,
        )}
      </fieldset>
      ${this.error ? html`<p class="error" role="alert" data-testid="consultation-error">${this.error}</p>` : ""}
      <div class="actions">
        <button type="submit" ?disabled=${this.busy}>${t("consultations.open.submit")}</button>
        <button type="button" class="secondary" @click=${this.cancel}>${t("common.cancel")}</button>
      </div>
    </form>`;
  }
}
