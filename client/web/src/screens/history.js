// A proposal's history: its versions (runs of edits by one author, GET …/history), the text at
// any of them, and the diff of two chosen versions with who wrote and who removed each line.
// The server gives each version's text (GET /documents/{name}?at=seq); the diff and its
// authorship are worked out here, over the versions between the two (editor/linediff.js).
import { html } from "lit";
import { get } from "../api.js";
import { diffTemplate } from "../editor/diffview.js";
import { attributedDiff } from "../editor/linediff.js";
import { formatDate, formatNumber, t } from "../i18n/index.js";
import { errorText, markdownHtml } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

const STEPS = 40; // versions read to attribute a diff's lines; beyond, one step from A to B

export function showHistory(container, ctx, params) {
  const slug = encodeURIComponent(ctx.slug);
  const proposalPath = `/rooms/${slug}/proposals/${encodeURIComponent(params.id)}`;
  const state = {
    proposal: null,
    versions: [], // newest first
    error: "",
    from: null, // last_seq of the older chosen version
    to: null,
    shown: null, // {seq, text, rendered}
    diff: null, // {from, to, script, approximate}
    busy: false,
  };
  const texts = new Map(); // seq → text
  const names = new Map(); // user name → display name (the room's members)
  const person = (name) => (name ? names.get(name) ?? name : t("editor.history.system"));
  let disposed = false;

  const documentPath = () => `/documents/${encodeURIComponent(state.proposal.document)}`;

  const textAt = async (seq) => {
    if (!texts.has(seq)) {
      const answer = await get(`${documentPath()}?at=${seq}`);
      const content = answer.content.content;
      texts.set(seq, typeof content === "string" ? content : "");
    }
    return texts.get(seq);
  };

  const run = async (work) => {
    state.busy = true;
    state.error = "";
    view.redraw();
    try {
      await work();
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    } finally {
      state.busy = false;
      if (!disposed) view.redraw();
    }
  };

  const load = () =>
    run(async () => {
      state.proposal = await get(proposalPath);
      // authors by their display names, when the room's members may be listed
      const members = await get(`/rooms/${slug}/members`).catch(() => ({ members: [] }));
      for (const member of members.members) names.set(member.name, member.display_name);
      const answer = await get(`${documentPath()}/history?limit=200`);
      state.versions = answer.versions;
      if (state.versions.length >= 2) {
        state.to = state.versions[0].last_seq;
        state.from = state.versions[1].last_seq;
      }
    });

  const showVersion = (version) =>
    run(async () => {
      const text = await textAt(version.last_seq);
      state.shown = { version, text };
      queueMicrotask(() => container.querySelector("[data-testid=version-text]")?.focus());
    });

  const compare = () =>
    run(async () => {
      const [older, newer] = [state.from, state.to].sort((a, b) => a - b);
      if (older === newer) return;
      // the versions from `older` to `newer`, oldest first, each with its author
      const between = state.versions
        .filter((v) => v.last_seq >= older && v.last_seq <= newer)
        .sort((a, b) => a.last_seq - b.last_seq);
      const steps = between.length <= STEPS ? between : [between[0], between[between.length - 1]];
      const versions = await Promise.all(
        steps.map(async (v) => ({ text: await textAt(v.last_seq), author: v.author })),
      );
      state.diff = {
        from: older,
        to: newer,
        script: attributedDiff(versions),
        approximate: steps.length < between.length,
      };
      queueMicrotask(() => container.querySelector("#diff-title")?.focus());
    });

  const row = (version) => html`<tr data-testid="version" data-seq=${version.last_seq}>
    <td>
      <input
        type="radio"
        name="from"
        aria-label=${t("editor.history.compareFrom", { seq: version.last_seq })}
        .checked=${state.from === version.last_seq}
        @change=${() => ((state.from = version.last_seq), view.redraw())}
      />
    </td>
    <td>
      <input
        type="radio"
        name="to"
        aria-label=${t("editor.history.compareTo", { seq: version.last_seq })}
        .checked=${state.to === version.last_seq}
        @change=${() => ((state.to = version.last_seq), view.redraw())}
      />
    </td>
    <th scope="row">${formatNumber(version.last_seq)}</th>
    <td><time datetime=${version.last_at}>${formatDate(version.last_at)}</time></td>
    <td data-testid="version-author" data-author=${version.author ?? ""}>${person(version.author)}</td>
    <td>${t("editor.history.edits", { count: version.updates })}</td>
    <td>
      <button type="button" class="link" @click=${() => showVersion(version)}>
        ${t("editor.history.view")}
      </button>
    </td>
  </tr>`;

  const template = () => {
    const proposal = state.proposal;
    return html`<section class="history" data-testid="history">
      <p><a href=${proposalPath}>${t("editor.history.back")}</a></p>
      <h1>${proposal ? t("editor.history.title", { title: proposal.title }) : t("common.loading")}</h1>
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      ${state.versions.length
        ? html`<div class="table-scroll">
              <table data-testid="versions">
                <caption class="visually-hidden">${t("editor.history.caption")}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t("editor.history.from")}</th>
                    <th scope="col">${t("editor.history.to")}</th>
                    <th scope="col">${t("editor.history.version")}</th>
                    <th scope="col">${t("editor.history.when")}</th>
                    <th scope="col">${t("editor.history.author")}</th>
                    <th scope="col">${t("editor.history.changes")}</th>
                    <th scope="col"><span class="visually-hidden">${t("editor.history.view")}</span></th>
                  </tr>
                </thead>
                <tbody>${state.versions.map(row)}</tbody>
              </table>
            </div>
            <button
              type="button"
              data-testid="compare"
              ?disabled=${state.busy || state.from === null || state.to === null || state.from === state.to}
              @click=${compare}
            >
              ${t("editor.history.compare")}
            </button>`
        : proposal && !state.busy
          ? html`<p class="hint">${t("editor.history.empty")}</p>`
          : ""}
      ${state.diff
        ? html`<section class="card" aria-labelledby="diff-title">
            <h2 id="diff-title" tabindex="-1">
              ${t("editor.history.diffTitle", { from: formatNumber(state.diff.from), to: formatNumber(state.diff.to) })}
            </h2>
            ${state.diff.approximate ? html`<p class="hint">${t("editor.history.approximate")}</p>` : ""}
            ${diffTemplate(state.diff.script, { authors: person })}
          </section>`
        : ""}
      ${state.shown
        ? html`<section class="card" aria-labelledby="version-title">
            <h2 id="version-title">
              ${t("editor.history.versionTitle", {
                when: formatDate(state.shown.version.last_at),
                name: person(state.shown.version.author),
              })}
            </h2>
            <div class="markdown version-text" data-testid="version-text" tabindex="-1"
              .innerHTML=${markdownHtml(state.shown.text)}></div>
          </section>`
        : ""}
    </section>`;
  };

  const view = mountView(container, template);
  load();
  return () => {
    disposed = true;
    view.dispose();
  };
}
