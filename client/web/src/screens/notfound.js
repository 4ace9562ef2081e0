import { html } from "lit";
import { t } from "../i18n/index.js";
import { mountView } from "../ui/screen.js";

export function showNotFound(container) {
  return mountView(
    container,
    () => html`<section class="card narrow"><h1>${t("common.notFound")}</h1><a href="/">${t("common.home")}</a></section>`,
  ).dispose;
}
