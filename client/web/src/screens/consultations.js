// Public consultations (`/consultations`): open ones first (the soonest deadline first), and at
// a click the closed ones and those with a published report. Anyone reads the list; the state
// shown is kept in the address (`?state=closed`), so a link or a reload shows the same list.
import { html } from "lit";
import { get } from "../api.js";
import { STATES, consultationPath, countdownText, reportPath, timeLeft } from "../consultations/format.js";
import { oblastName, reference, termName } from "../directory/reference.js";
import { formatDate, t } from "../i18n/index.js";
import { errorText } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

export function showConsultations(container) {
  const asked = new URLSearchParams(location.search).get("state");
  const state = { state: STATES.includes(asked) ? asked : "open", list: null, error: "", ref: null };
  let disposed = false;
  let timer = null;
  let asking = 0;

  const load = async () => {
    const mine = ++asking;
    state.list = null;
    view.redraw();
    try {
      const answer = await get(`/consultations?state=${state.state}&limit=200`, { auth: false });
      if (mine !== asking) return;
      state.list = answer.consultations;
      state.error = "";
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    }
    if (!disposed) view.redraw();
  };

  const choose = (next) => {
    state.state = next;
    if (location.pathname === "/consultations") history.replaceState(null, "", next === "open" ? "/consultations" : `/consultations?state=${next}`);
    load();
  };

  const item = (c) => html`<li data-testid="consultation-item">
    <div class="line">
      <a href=${consultationPath(c.id)} data-testid="consultation-link">${c.proposal.title}</a>
      <span class="badge consultation-${c.state}">${t(`consultations.state.${c.state}`)}</span>
    </div>
    <div class="line meta dotted">
      ${c.state === "open"
        ? html`<span>${t("consultations.list.until", { date: formatDate(c.closes_at) })} · ${countdownText(timeLeft(c.closes_at))}</span>`
        : html`<span>${t("consultations.list.closedOn", { date: formatDate(c.closed_at ?? c.closes_at, { dateStyle: "medium" }) })}</span>`}
      <span>${c.oblast ? oblastName(state.ref, c.oblast) : t("consultations.wholeCountry")}</span>
      ${c.sectors.length ? html`<span>${c.sectors.map((slug) => termName(state.ref?.sectors, slug)).join(", ")}</span>` : ""}
      ${c.state === "reported" ? html`<a href=${reportPath(c.id)}>${t("consultations.reportLink")}</a>` : ""}
    </div>
  </li>`;

  const view = mountView(
    container,
    () => html`<section class="card" aria-labelledby="consultations-title">
      <h1 id="consultations-title">${t("consultations.title")}</h1>
      <p class="hint">${t("consultations.intro")}</p>
      <div class="modes" role="group" aria-label=${t("consultations.list.which")}>
        ${STATES.map(
          (each) => html`<button
            type="button"
            class="secondary"
            aria-pressed=${state.state === each ? "true" : "false"}
            data-testid="consultations-${each}"
            @click=${() => choose(each)}
          >
            ${t(`consultations.list.${each}`)}
          </button>`,
        )}
      </div>
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      ${state.list === null
        ? html`<p class="loading">${t("common.loading")}</p>`
        : state.list.length
          ? html`<ul class="decision-list" data-testid="consultations">${state.list.map(item)}</ul>`
          : html`<p data-testid="no-consultations">${t(`consultations.list.none.${state.state}`)}</p>`}
    </section>`,
  );

  // the countdowns in the list move each minute
  timer = setInterval(() => view.redraw(), 60_000);
  reference()
    .then((ref) => {
      state.ref = ref;
      if (!disposed) view.redraw();
    })
    .catch(() => {});
  load();
  return () => {
    disposed = true;
    clearInterval(timer);
    view.dispose();
  };
}
