// The top bar: the app's name, the public areas (consultations, the directory), the language
// switch and the signed-in person.
import { html } from "lit";
import { LOCALES, locale, setLocale, t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { session } from "../session.js";

async function signOut() {
  await session.logout();
  navigate("/login");
}

/** "page" on the links of the area the page is in (styled, and said by screen readers). */
const here = (area) => (location.pathname === area || location.pathname.startsWith(`${area}/`) ? "page" : "false");

export function header() {
  const user = session.user;
  return html`
    <a class="skip" href="#screen">${t("common.skip")}</a>
    <nav class="bar" aria-label=${t("common.mainNav")}>
      <a class="brand" href="/">${t("common.appName")}</a>
      <a href="/consultations" aria-current=${here("/consultations")} data-testid="nav-consultations">${t("common.nav.consultations")}</a>
      <a href="/directory" aria-current=${here("/directory")} data-testid="nav-directory">${t("common.nav.directory")}</a>
      <a href="/notices" aria-current=${here("/notices")} data-testid="nav-notices">${t("common.nav.notices")}</a>
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
