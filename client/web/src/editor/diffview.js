// Renders a line edit script (linediff.js) as an accessible list: insertions and deletions are
// <ins>/<del> with a sign and a spoken label, not told apart by colour alone; long unchanged
// runs fold to a few lines of context.
import { html } from "lit";
import { t } from "../i18n/index.js";

const CONTEXT = 3;

/** Groups the script into shown rows and folded runs of unchanged lines. */
function rows(script) {
  const changed = script.map((change) => change.op !== "equal");
  const near = (index) => {
    for (let k = Math.max(0, index - CONTEXT); k <= Math.min(script.length - 1, index + CONTEXT); k++) {
      if (changed[k]) return true;
    }
    return false;
  };
  const out = [];
  let folded = 0;
  script.forEach((change, index) => {
    if (change.op === "equal" && !near(index)) {
      folded++;
      return;
    }
    if (folded) out.push({ fold: folded });
    folded = 0;
    out.push(change);
  });
  if (folded) out.push({ fold: folded });
  return out;
}

/** `authors(name)` → a display name; `script` from diffLines or attributedDiff. */
export function diffTemplate(script, { authors = (name) => name } = {}) {
  if (!script.some((change) => change.op !== "equal")) {
    return html`<p class="hint" data-testid="diff-empty">${t("editor.diff.none")}</p>`;
  }
  const added = script.filter((change) => change.op === "insert").length;
  const removed = script.filter((change) => change.op === "delete").length;
  return html`
    <p class="diff-summary">${t("editor.diff.summary", { added, removed })}</p>
    <ol class="diff" data-testid="diff">
      ${rows(script).map((row) => {
        if (row.fold) {
          return html`<li class="diff-fold">${t("editor.diff.folded", { count: row.fold })}</li>`;
        }
        const who = row.author ? authors(row.author) : "";
        if (row.op === "insert") {
          return html`<li class="diff-line diff-insert" data-author=${row.author ?? ""}>
            <span class="diff-sign" aria-hidden="true">+</span>
            <ins><span class="visually-hidden">${t("editor.diff.added")} </span>${row.line}</ins>
            ${who ? html`<span class="diff-author">${t("editor.diff.by", { name: who })}</span>` : ""}
          </li>`;
        }
        if (row.op === "delete") {
          return html`<li class="diff-line diff-delete" data-author=${row.author ?? ""}>
            <span class="diff-sign" aria-hidden="true">−</span>
            <del><span class="visually-hidden">${t("editor.diff.removed")} </span>${row.line}</del>
            ${who ? html`<span class="diff-author">${t("editor.diff.removedBy", { name: who })}</span>` : ""}
          </li>`;
        }
        return html`<li class="diff-line"><span class="diff-sign" aria-hidden="true"> </span><span>${row.line}</span></li>`;
      })}
    </ol>
  `;
}
