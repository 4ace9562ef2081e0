// The directory of organisations (`/directory`): a search in either script ("plov" finds
// Пловдив), filters by oblast, municipality (of the oblast chosen), kind, sector and the
// verified flag, pages of results with the total, and a CSV export of everything the filters
// match. The query is kept in the address, so a link or a reload shows the same results.
// Signed-in people add an organisation (they become its representative); administrators
// import a CSV file, checked row by row before anything is stored.
import { html } from "lit";
import { get, post } from "../api.js";
import { OrganisationForm } from "../directory/form.js";
import { ImportPanel } from "../directory/import.js";
import { municipalitiesOf, organisationPath, placeName, reference, sortedOblasts, termName } from "../directory/reference.js";
import { formatNumber, t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { session } from "../session.js";
import { errorText } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

const PAGE = 20;
const FILTERS = ["q", "oblast", "municipality", "kind", "sector", "verified"];
const TYPING = 250; // ms of quiet before a search is sent

function queryFromAddress() {
  const params = new URLSearchParams(location.search);
  const query = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ""]));
  query.offset = Math.max(0, Number(params.get("offset")) || 0);
  return query;
}

/** The search's parameters (those set), for the API, the export and the address. */
function parameters(query, { paged = true } = {}) {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (query[name]) params.set(name, query[name]);
  if (paged && query.offset) params.set("offset", String(query.offset));
  return params;
}

export function showDirectory(container) {
  const state = { query: queryFromAddress(), page: null, error: "", ref: null, adding: null };
  let disposed = false;
  let typing = null;
  let asking = 0;
  const redraw = () => {
    if (!disposed) view.redraw();
  };
  const importer = new ImportPanel({ redraw, imported: () => search() });

  const search = async () => {
    if (disposed) return;
    const mine = ++asking;
    const params = parameters(state.query);
    const shown = params.toString();
    if (location.pathname === "/directory") history.replaceState(null, "", `/directory${shown ? `?${shown}` : ""}`);
    params.set("limit", String(PAGE));
    try {
      const page = await get(`/directory/organisations?${params}`, { auth: false });
      if (mine !== asking) return; // a later search has been sent
      state.page = page;
      state.error = "";
    } catch (error) {
      if (mine !== asking) return;
      state.error = errorText(error, t("common.failed"));
    }
    redraw();
  };

  const change = (name, value) => {
    state.query[name] = value;
    if (name === "oblast") state.query.municipality = "";
    state.query.offset = 0;
    clearTimeout(typing);
    if (name === "q") typing = setTimeout(search, TYPING);
    else search();
    redraw();
  };

  const turn = (offset) => {
    state.query.offset = Math.max(0, offset);
    search();
    container.querySelector("h1")?.scrollIntoView({ block: "start" });
  };

  const startAdding = () => {
    state.adding = new OrganisationForm({
      redraw,
      cancel: () => {
        state.adding = null;
        redraw();
      },
      submit: async (body) => {
        const created = await post("/directory/organisations", body);
        state.adding = null;
        navigate(organisationPath(created.slug));
      },
    });
    redraw();
    container.querySelector("[data-testid=organisation-form] input")?.focus();
  };

  const select = (name, label, options, { disabled = false } = {}) => html`<label class="filter"
    >${label}
    <select name=${name} ?disabled=${disabled} data-testid="filter-${name}" @change=${(e) => change(name, e.target.value)}>
      <option value="">${t("directory.filter.any")}</option>
      ${options.map(([value, text]) => html`<option value=${value} ?selected=${state.query[name] === value}>${text}</option>`)}
    </select>
  </label>`;

  const filters = () => {
    const ref = state.ref;
    const q = state.query;
    return html`<form class="directory-search" role="search" aria-label=${t("directory.searchLabel")} @submit=${(e) => {
      e.preventDefault();
      clearTimeout(typing);
      search();
    }}>
      <label class="filter query"
        >${t("directory.search")}
        <input type="search" name="q" maxlength="200" data-testid="directory-query" .value=${q.q} @input=${(e) => change("q", e.target.value)} />
      </label>
      ${select("oblast", t("directory.field.oblast"), sortedOblasts(ref).map((o) => [o.code, placeName(o)]))}
      ${select(
        "municipality",
        t("directory.field.municipality"),
        municipalitiesOf(ref, q.oblast).map((m) => [m.code, placeName(m)]),
        { disabled: !q.oblast },
      )}
      ${select("kind", t("directory.field.kind"), (ref?.kinds ?? []).map((k) => [k.slug, termName(ref.kinds, k.slug)]))}
      ${select("sector", t("directory.field.sector"), (ref?.sectors ?? []).map((s) => [s.slug, termName(ref.sectors, s.slug)]))}
      ${select("verified", t("directory.filter.verified"), [
        ["true", t("directory.filter.verifiedOnly")],
        ["false", t("directory.filter.unverifiedOnly")],
      ])}
    </form>`;
  };

  const item = (o) => html`<li data-testid="organisation-item">
    <div class="line">
      <a href=${organisationPath(o.slug)} data-testid="organisation-link">${o.name}</a>
      ${o.verified ? html`<span class="badge verified" data-testid="verified-badge">${t("directory.verified")}</span>` : ""}
    </div>
    <div class="line meta dotted">
      <span>${termName(state.ref?.kinds, o.kind)}</span>
      ${o.municipality || o.oblast ? html`<span>${placeName(o.municipality ?? o.oblast)}</span>` : ""}
      ${o.sectors.length ? html`<span>${o.sectors.map((s) => termName(state.ref?.sectors, s)).join(", ")}</span>` : ""}
    </div>
  </li>`;

  const results = () => {
    const page = state.page;
    if (!page) return html`<p class="loading">${t("common.loading")}</p>`;
    const first = page.total ? page.offset + 1 : 0;
    const last = page.offset + page.organisations.length;
    return html`<p role="status" data-testid="directory-total" data-total=${page.total}>
        ${t("directory.total", { count: page.total })}
      </p>
      ${page.organisations.length
        ? html`<ul class="decision-list" data-testid="organisations">${page.organisations.map(item)}</ul>`
        : html`<p>${t("directory.none")}</p>`}
      ${page.total > page.limit
        ? html`<nav class="pager" aria-label=${t("directory.pages")}>
            <button type="button" class="secondary" ?disabled=${page.offset === 0} @click=${() => turn(page.offset - page.limit)}>
              ${t("directory.previous")}
            </button>
            <span data-testid="directory-range">${t("directory.range", { first: formatNumber(first), last: formatNumber(last), total: formatNumber(page.total) })}</span>
            <button type="button" class="secondary" ?disabled=${last >= page.total} @click=${() => turn(page.offset + page.limit)}>
              ${t("directory.next")}
            </button>
          </nav>`
        : ""}
      <p>
        <a href="/api/v1/directory/export?${parameters(state.query, { paged: false })}" download="organisations.csv" data-testid="export-link"
          >${t("directory.export")}</a
        >
      </p>`;
  };

  const view = mountView(
    container,
    () => html`<section class="card" aria-labelledby="directory-title">
        <h1 id="directory-title">${t("directory.title")}</h1>
        <p class="hint">${t("directory.intro")}</p>
        ${filters()}
        ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
        ${results()}
      </section>
      ${session.user
        ? html`<section class="card" aria-labelledby="add-title">
            <h2 id="add-title">${t("directory.addTitle")}</h2>
            ${state.adding
              ? state.adding.template(state.ref)
              : html`<p class="hint">${t("directory.addHint")}</p>
                  <button type="button" data-testid="add-organisation" @click=${startAdding}>${t("directory.add")}</button>`}
          </section>`
        : html`<p class="hint"><a href="/login?next=/directory">${t("common.signIn")}</a> ${t("directory.signInToAdd")}</p>`}
      ${session.user?.is_admin ? importer.template() : ""}`,
  );

  const stopSession = session.onChange(redraw);
  reference()
    .then((ref) => {
      state.ref = ref;
      redraw();
    })
    .catch((error) => {
      state.error = errorText(error, t("common.failed"));
      redraw();
    });
  search();
  return () => {
    disposed = true;
    clearTimeout(typing);
    stopSession();
    view.dispose();
  };
}
