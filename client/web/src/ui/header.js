// The top bar: the app's name, the language switch and the signed-in person.
import { html } from "lit";
import { LOCALES, locale, setLocale, t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { session } from "../session.js";

async function signOut() {
  await session.logout();
  navigate("/login");
}

export function header() {
  const user = session.user;
  return html`
    <a class="skip" href="#screen">${t("common.skip")}</a>
    <nav class="bar" aria-label=${t("common.mainNav")}>
      <a class="brand" href="/">${t("common.appName")}</a>
      <span class="spacer"></span>
      <label class="language">
        <span class="visually-hidden">${t("common.language")}</span>
        <select @change=${(e) => setLocale(e.target.value)} data-testid="language">
          ${LOCALES.map(
            (code) => html`<option value=${code} ?selected=${code === locale()}>${t(`common.locale.${code}`)}</option>`,
          )}
        </select>
      </label>
      ${user
        ? html`<span class="who" data-testid="who">${user.display_name || user.name}</span>
            <button type="button" class="link" @click=${signOut}>${t("common.signOut")}</button>`
        : html`<a href="/login" class="button">${t("common.signIn")}</a>`}
    </nav>
  `;
}
