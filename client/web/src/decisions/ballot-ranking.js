// The ranking ballot (ranked: instant-runoff or Schulze; STV): the voter taps options in order
// of preference to rank them, then reorders by dragging (mouse anywhere on an item, touch on
// its handle), by keyboard (Alt+ArrowUp/Down on a focused item; Delete takes it out) or by the
// item's buttons. Each move is announced in a polite live region ("… is now 2nd of 4").
import { html } from "lit";
import { ref } from "lit/directives/ref.js";
import { formatNumber, t } from "../i18n/index.js";

/** `ballot.order` is the ranking (best first); `redraw()` re-renders the screen. */
export class RankingBallot {
  constructor(options, redraw) {
    this.options = options;
    this.order = [];
    this.announcement = "";
    this.redraw = redraw;
    this.dragging = null;
    this.list = null;
  }

  get choice() {
    return [...this.order];
  }

  get ready() {
    return this.order.length > 0;
  }

  reset() {
    this.order = [];
    this.announcement = "";
  }

  announce(option) {
    const index = this.order.indexOf(option);
    this.announcement =
      index < 0
        ? t("decisions.rank.removedNotice", { option })
        : t("decisions.rank.movedNotice", { option, position: index + 1, count: this.order.length });
  }

  add(option) {
    if (this.order.includes(option)) return;
    this.order = [...this.order, option];
    this.announce(option);
    this.redraw();
  }

  remove(option) {
    const index = this.order.indexOf(option);
    this.order = this.order.filter((o) => o !== option);
    this.announce(option);
    this.redraw();
    // the focus stays in the list: on the item that took the removed one's place
    queueMicrotask(() => {
      if (this.order.length) this.focusAt(Math.min(index, this.order.length - 1));
      else this.list?.parentElement?.querySelector(".unranked button")?.focus();
    });
  }

  /** Moves `option` to `index` in the ranking; keeps the keyboard focus on it. */
  moveTo(option, index, { focus = false } = {}) {
    const from = this.order.indexOf(option);
    const to = Math.max(0, Math.min(this.order.length - 1, index));
    if (from < 0 || from === to) return false;
    const next = this.order.filter((o) => o !== option);
    next.splice(to, 0, option);
    this.order = next;
    this.announce(option);
    this.redraw();
    if (focus) queueMicrotask(() => this.focusOption(option));
    return true;
  }

  focusOption(option) {
    const items = [...(this.list?.querySelectorAll(".rank-item") ?? [])];
    items.find((item) => item.dataset.option === option)?.focus();
  }

  focusAt(index) {
    this.list?.querySelectorAll(".rank-item")[index]?.focus();
  }

  keydown(event, option) {
    const index = this.order.indexOf(option);
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      this.moveTo(option, index + (event.key === "ArrowUp" ? -1 : 1), { focus: true });
    } else if (!event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      this.focusAt(index + (event.key === "ArrowUp" ? -1 : 1));
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      this.remove(option);
    }
  }

  /** Pointer dragging: the dragged item takes the place of the item under the pointer. */
  pointerdown(event, option) {
    if (event.button !== 0 || event.target.closest("button")) return;
    if (event.pointerType !== "mouse" && !event.target.closest(".handle")) return;
    event.preventDefault();
    this.dragging = option;
    this.redraw();
    const move = (moved) => {
      const items = [...this.list.querySelectorAll(".rank-item")];
      const over = items.find((item) => {
        const box = item.getBoundingClientRect();
        return moved.clientY >= box.top && moved.clientY <= box.bottom;
      });
      if (over && over.dataset.option !== this.dragging) {
        this.moveTo(this.dragging, this.order.indexOf(over.dataset.option));
      }
    };
    const up = (released) => {
      move(released);
      removeEventListener("pointermove", move);
      removeEventListener("pointerup", up);
      removeEventListener("pointercancel", up);
      const dropped = this.dragging;
      this.dragging = null;
      this.announce(dropped);
      this.redraw();
      queueMicrotask(() => this.focusOption(dropped));
    };
    addEventListener("pointermove", move);
    addEventListener("pointerup", up);
    addEventListener("pointercancel", up);
  }

  template(label) {
    const count = this.order.length;
    const unranked = this.options.filter((o) => !this.order.includes(o));
    return html`<fieldset class="ranking-ballot" data-testid="ranking-ballot">
      <legend>${label}</legend>
      <p class="hint" id="ranking-help">${t("decisions.rank.help")}</p>
      <ol
        class="ranking"
        data-testid="ranking"
        aria-label=${t("decisions.rank.yourRanking")}
        aria-describedby="ranking-help"
        ${ref((element) => (this.list = element ?? null))}
      >
        ${this.order.map(
          (option, index) => html`<li
            class=${this.dragging === option ? "rank-item dragging" : "rank-item"}
            tabindex="0"
            data-option=${option}
            data-testid="rank-item"
            aria-label=${t("decisions.rank.itemLabel", { option, position: index + 1, count })}
            @keydown=${(event) => this.keydown(event, option)}
            @pointerdown=${(event) => this.pointerdown(event, option)}
          >
            <span class="handle" aria-hidden="true">⠿</span>
            <span class="position" aria-hidden="true">${formatNumber(index + 1)}.</span>
            <span class="name" aria-hidden="true">${option}</span>
            <button type="button" class="secondary" tabindex="-1" aria-label=${t("decisions.rank.up", { option })}
              ?disabled=${index === 0} @click=${() => this.moveTo(option, index - 1)}>↑</button>
            <button type="button" class="secondary" tabindex="-1" aria-label=${t("decisions.rank.down", { option })}
              ?disabled=${index === count - 1} @click=${() => this.moveTo(option, index + 1)}>↓</button>
            <button type="button" class="secondary" tabindex="-1" aria-label=${t("decisions.rank.remove", { option })}
              @click=${() => this.remove(option)}>✕</button>
          </li>`,
        )}
      </ol>
      ${count === 0 ? html`<p class="meta">${t("decisions.rank.empty")}</p>` : ""}
      ${unranked.length
        ? html`<p class="meta">${t("decisions.rank.tapToAdd")}</p>
            <div class="unranked" data-testid="unranked">
              ${unranked.map(
                (option) => html`<button type="button" class="secondary" data-option=${option} @click=${() => this.add(option)}>
                  + ${option}
                </button>`,
              )}
            </div>`
        : ""}
      <p class="visually-hidden" aria-live="polite" data-testid="rank-announcement">${this.announcement}</p>
    </fieldset>`;
  }
}
