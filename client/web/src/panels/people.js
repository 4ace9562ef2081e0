// Who is here: the people the live room lists as present (anonymous readers are not listed),
// with whether they are typing or away.
import { html } from "lit";
import { t } from "../i18n/index.js";
import { colourFor } from "../ui/dom.js";
import { mountView } from "../ui/screen.js";

export function mountPeople(container, ctx) {
  const store = ctx.store;
  const view = mountView(container, () => {
    const people = [...store.present.values()].sort((a, b) =>
      String(a.display_name || a.name).localeCompare(String(b.display_name || b.name)),
    );
    return html`<section class="people" aria-label=${t("room.panel.people")}>
      <h2>${t("discussion.presentCount", { count: people.length })}</h2>
      <ul data-testid="people">
        ${people.map(
          (person) => html`<li data-testid="person" data-name=${person.name}>
            <span class="dot" style="background:${colourFor(person.name).colour}" aria-hidden="true"></span>
            <span>${person.display_name || person.name}</span>
            ${person.typing ? html`<span class="meta">${t("discussion.personTyping")}</span>` : ""}
            ${person.idle ? html`<span class="meta">${t("discussion.away")}</span>` : ""}
          </li>`,
        )}
      </ul>
    </section>`;
  });
  const stop = store.subscribe(() => view.redraw());
  return () => {
    stop();
    view.dispose();
  };
}
