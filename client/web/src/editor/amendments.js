// The amendments part of a proposal page. On a proposal: its amendments and a form to propose
// one (a fork of its body as it is now). On an amendment: its base, its diff against the base
// as forked, its merge state, and "merge" for those who may write the base.
import { html, render } from "lit";
import { get, post } from "../api.js";
import { formatDate, onLocale, t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { errorText, notify } from "../ui/dom.js";
import { diffTemplate } from "./diffview.js";
import { diffLines, lines } from "./linediff.js";

const WRITABLE = ["draft", "discussion"];
const WRITERS = ["owner", "moderator", "participant"];

export function mountAmendments(host, ctx, initial) {
  const slug = encodeURIComponent(ctx.slug);
  const state = { proposal: initial, base: null, amendments: [], diff: null, fork: null, error: "", busy: false };
  const link = (proposal) => `/rooms/${slug}/proposals/${proposal.id}`;

  const load = async () => {
    const proposal = state.proposal;
    try {
      const { proposals } = await get(`/rooms/${slug}/proposals`);
      state.amendments = proposals.filter((entry) => entry.amends === proposal.id);
      state.base = proposal.amends === null ? null : proposals.find((entry) => entry.id === proposal.amends) ?? null;
      if (state.base) {
        const document = encodeURIComponent(proposal.document);
        const [diff, forks] = await Promise.all([
          get(`/documents/${document}/diff`),
          get(`/documents/${encodeURIComponent(state.base.document)}/forks`),
        ]);
        state.diff = diff.roots.content ?? { base: "", amendment: "" };
        state.fork = forks.forks.find((fork) => fork.document === proposal.document) ?? null;
      }
      state.error = "";
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    }
    draw();
  };

  const create = async (event) => {
    event.preventDefault();
    const title = event.target.elements.title.value.trim();
    if (!title) return;
    state.busy = true;
    draw();
    try {
      const made = await post(`/rooms/${slug}/proposals/${state.proposal.id}/amendments`, { title });
      notify(t("editor.amend.created"));
      navigate(link(made));
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    } finally {
      state.busy = false;
      draw();
    }
  };

  const merge = async () => {
    state.busy = true;
    draw();
    try {
      const outcome = await post(`/documents/${encodeURIComponent(state.proposal.document)}/merge`);
      notify(t(outcome.applied ? "editor.amend.merged" : "editor.amend.nothingToMerge"));
      await load();
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    } finally {
      state.busy = false;
      draw();
    }
  };

  const mergeState = () => {
    const merged = state.fork?.merged;
    if (merged) {
      return html`<p class="ok" data-testid="merge-state" data-merged="true">
        ${t("editor.amend.mergedAt", { when: formatDate(merged.at), name: merged.by ?? "—" })}
      </p>`;
    }
    return html`<p class="meta" data-testid="merge-state" data-merged="false">${t("editor.amend.notMerged")}</p>`;
  };

  const amendmentView = () => {
    const base = state.base;
    const canMerge = ctx.can(...WRITERS) && base && WRITABLE.includes(base.state);
    return html`
      <p>
        ${t("editor.amend.of")}
        ${base ? html`<a href=${link(base)} data-testid="amendment-base">${base.title}</a>` : "…"}
      </p>
      ${mergeState()}
      ${canMerge
        ? html`<button type="button" data-testid="merge" ?disabled=${state.busy} @click=${merge}>
            ${t("editor.amend.merge")}
          </button>`
        : ""}
      <h3>${t("editor.amend.diffTitle")}</h3>
      <div data-testid="amendment-diff">
        ${state.diff ? diffTemplate(diffLines(lines(state.diff.base), lines(state.diff.amendment))) : html`<p class="loading">${t("common.loading")}</p>`}
      </div>
      <button type="button" class="secondary" @click=${load}>${t("editor.amend.refreshDiff")}</button>
    `;
  };

  const proposalView = () => {
    const canAmend = ctx.can(...WRITERS) && WRITABLE.includes(state.proposal.state);
    return html`
      ${state.amendments.length
        ? html`<ul class="amendments" data-testid="amendments">
            ${state.amendments.map(
              (entry) => html`<li>
                <a href=${link(entry)}>${entry.title}</a>
                <span class="meta">· ${t(`editor.state.${entry.state}`)}</span>
              </li>`,
            )}
          </ul>`
        : html`<p class="hint">${t("editor.amend.none")}</p>`}
      ${canAmend
        ? html`<form class="amend-form" data-testid="amend-form" @submit=${create}>
            <label>
              ${t("editor.amend.title")}
              <input name="title" required maxlength="200" />
            </label>
            <button type="submit" ?disabled=${state.busy}>${t("editor.amend.create")}</button>
          </form>`
        : ""}
    `;
  };

  const draw = () =>
    render(
      html`<h2 id="amendments-title">${t("editor.amend.heading")}</h2>
        ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
        ${state.proposal.amends === null ? proposalView() : amendmentView()}`,
      host,
    );

  const stopLocale = onLocale(draw);
  draw();
  load();
  return {
    update(proposal) {
      state.proposal = proposal;
      load();
    },
    dispose: stopLocale,
  };
}
