// The form of an organisation: to add one (any signed-in person) or to change one (its
// representatives and administrators). It turns the fields into the API's body
// (docs/directory.md: OrganisationValues, or the changes of a PATCH where an empty optional
// field is null, which clears it) and hands it to `submit`. The municipality list follows the
// oblast chosen. The server checks every value as it checks a CSV row, and says what is wrong.
import { html } from "lit";
import { t } from "../i18n/index.js";
import { municipalitiesOf, placeName, sortedOblasts, termName } from "./reference.js";

const MAX_NAME = 200;
const MAX_DESCRIPTION = 4000;
let forms = 0;

export class OrganisationForm {
  /** `profile`: the organisation to change (null: a new one). `submit(body)` may throw; its
   * message is shown. */
  constructor({ profile = null, submit, cancel, redraw }) {
    this.profile = profile;
    this.oblast = profile?.oblast?.code ?? "";
    this.submit = submit;
    this.cancel = cancel;
    this.redraw = redraw;
    this.error = "";
    this.busy = false;
    this.id = `organisation-form-${++forms}`;
  }

  body(form) {
    const data = new FormData(form);
    const text = (name) => String(data.get(name) ?? "").trim();
    const optional = (name) => text(name) || null;
    return {
      name: text("name"),
      kind: text("kind"),
      registration_number: optional("registration_number"),
      oblast: optional("oblast"),
      municipality: optional("municipality"),
      sectors: data.getAll("sectors").map(String),
      website: optional("website"),
      email: optional("email"),
      phone: optional("phone"),
      description: text("description"),
    };
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

  template(ref) {
    const p = this.profile;
    const id = this.id;
    const municipality = p?.municipality?.code ?? "";
    return html`<form class="organisation-form" data-testid="organisation-form" @submit=${(e) => this.send(e)}>
      <label>${t("directory.field.name")}<input name="name" required maxlength=${MAX_NAME} .value=${p?.name ?? ""} /></label>
      <label
        >${t("directory.field.kind")}
        <select name="kind" required>
          ${p ? "" : html`<option value="">${t("directory.choose")}</option>`}
          ${(ref?.kinds ?? []).map(
            (kind) => html`<option value=${kind.slug} ?selected=${p?.kind === kind.slug}>${termName(ref.kinds, kind.slug)}</option>`,
          )}
        </select>
      </label>
      <label
        >${t("directory.field.registration")}
        <input
          name="registration_number"
          inputmode="numeric"
          maxlength="13"
          pattern="[0-9]{9}([0-9]{4})?"
          aria-describedby="${id}-registration"
          .value=${p?.registration_number ?? ""}
        />
      </label>
      <p class="hint" id="${id}-registration">${t("directory.field.registrationHint")}</p>
      <div class="pair">
        <label
          >${t("directory.field.oblast")}
          <select
            name="oblast"
            @change=${(e) => {
              this.oblast = e.target.value;
              this.redraw();
            }}
          >
            <option value="">${t("directory.field.none")}</option>
            ${sortedOblasts(ref).map(
              (oblast) => html`<option value=${oblast.code} ?selected=${this.oblast === oblast.code}>${placeName(oblast)}</option>`,
            )}
          </select>
        </label>
        <label
          >${t("directory.field.municipality")}
          <select name="municipality" ?disabled=${!this.oblast}>
            <option value="">${t("directory.field.none")}</option>
            ${municipalitiesOf(ref, this.oblast).map(
              (place) => html`<option value=${place.code} ?selected=${municipality === place.code}>${placeName(place)}</option>`,
            )}
          </select>
        </label>
      </div>
      <fieldset class="sectors">
        <legend>${t("directory.field.sectors")}</legend>
        ${(ref?.sectors ?? []).map(
          (sector) => html`<label class="inline"
            ><input type="checkbox" name="sectors" value=${sector.slug} ?checked=${p?.sectors.includes(sector.slug)} />${termName(
              ref.sectors,
              sector.slug,
            )}</label
          >`,
        )}
      </fieldset>
      <label>${t("directory.field.website")}<input name="website" type="url" maxlength="300" .value=${p?.website ?? ""} /></label>
      <div class="pair">
        <label>${t("directory.field.email")}<input name="email" type="email" maxlength="300" .value=${p?.email ?? ""} /></label>
        <label>${t("directory.field.phone")}<input name="phone" type="tel" maxlength="300" .value=${p?.phone ?? ""} /></label>
      </div>
      <label
        >${t("directory.field.description")}
        <textarea name="description" rows="4" maxlength=${MAX_DESCRIPTION} .value=${p?.description ?? ""}></textarea>
      </label>
      ${p?.verified ? html`<p class="hint">${t("directory.field.verifiedNote")}</p>` : ""}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ""}
      <div class="actions">
        <button type="submit" ?disabled=${this.busy}>${p ? t("directory.save") : t("directory.add")}</button>
        <button type="button" class="secondary" @click=${this.cancel}>${t("common.cancel")}</button>
      </div>
    </form>`;
  }
}
