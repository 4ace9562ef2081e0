// The consultation's text with the passages commented on marked, and the margin beside it
// where each comment's card stands level with its passage.
import { html } from "lit";
import { t } from "../i18n/index.js";
import { pieces } from "./format.js";

const GAP = 8; // pixels between two cards in the margin

/** The text (as served: its source, line breaks kept) with a <mark> over each piece that
 * comments cover; `comments` carry `from`/`to` in UTF-16 units and `gone`. Clicking a mark
 * calls `onMark(ids)` with the comments on that piece. */
export function markedText(text, comments, active, onMark) {
  if (!text) return html`<p class="hint">${t("consultations.emptyText")}</p>`;
  const passages = comments.filter((comment) => !comment.gone);
  return html`<div class="consultation-text" data-testid="consultation-text">${pieces(text, passages).map((piece) =>
    piece.ids.length
      ? html`<mark
          class="passage ${piece.ids.includes(active) ? "passage-active" : ""}"
          data-ids=${piece.ids.join(" ")}
          @click=${() => onMark(piece.ids)}
          >${text.slice(piece.from, piece.to)}</mark
        >`
      : text.slice(piece.from, piece.to),
  )}</div>`;
}

/** On a wide page (the margin beside the text) each card of `list` stands level with the
 * first mark of its passage in `text`, pushed down past the card above; on a narrow one (the
 * margin under the text) the cards simply follow each other. */
export function alignCards(list, text) {
  if (!list || !text) return;
  const cards = [...list.querySelectorAll(":scope > .comment")];
  const beside = list.getBoundingClientRect().left >= text.getBoundingClientRect().right;
  const origin = list.getBoundingClientRect().top;
  let bottom = 0;
  cards.forEach((card, index) => {
    if (!beside) {
      card.style.removeProperty("margin-top");
      return;
    }
    const mark = text.querySelector(`mark[data-ids~="${card.dataset.comment}"]`);
    const wanted = mark ? mark.getBoundingClientRect().top - origin : bottom;
    const margin = Math.max(index ? GAP : 0, wanted - bottom);
    card.style.marginTop = `${margin}px`;
    bottom += margin + card.offsetHeight;
  });
}
