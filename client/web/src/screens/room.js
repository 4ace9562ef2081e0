// The room page: a head (title, connection state, who is here), the main view chosen by the
// path, and the side panels. The live connection lives as long as the person stays in the room;
// moving between the room's own views (a proposal, a poll, a decision) keeps it.
//
// A main view or a panel is a module function `(container, ctx, params) => dispose`; `ctx`:
//   slug, room (GET /rooms/{slug}, with `role` and `documents`), me (GET /me or null),
//   live (LiveRoom), store (RoomStore: what the live room said, for the side panels), can(role...) → whether the caller's role is one of those, reloadRoom().
import { html, render } from "lit";
import { get } from "../api.js";
import { onLocale, t } from "../i18n/index.js";
import { LiveRoom } from "../live.js";
import { RoomStore } from "../discussion/store.js";
import { navigate } from "../router.js";
import { session } from "../session.js";
import { errorText, fresh } from "../ui/dom.js";
import { showOverview } from "./overview.js";
import { showProposal } from "./proposal.js";
import { showHistory } from "./history.js";
import { showPoll } from "./poll.js";
import { showRecord } from "./record.js";
import { showMembers } from "./members.js";
import { mountDiscussion } from "../panels/discussion.js";
import { mountAgenda } from "../panels/agenda.js";
import { mountPeople } from "../panels/people.js";
import { mountProposals } from "../panels/proposals.js";
import { mountPolls } from "../panels/polls.js";
import { mountModeration } from "../panels/moderation.js";

/** The main view for a path `/rooms/{slug}/{view}/{id}/{sub}`. */
function mainView({ view, id, sub }) {
  if (!view) return [showOverview, {}];
  if (view === "proposals" && id && sub === "history") return [showHistory, { id }];
  if (view === "proposals" && id && !sub) return [showProposal, { id }];
  if (view === "polls" && id && !sub) return [showPoll, { id }];
  if (view === "decisions" && id && !sub) return [showRecord, { position: id }];
  if (view === "members" && !id) return [showMembers, {}];
  return [null, {}];
}

const PANELS = [
  { key: "discussion", mount: mountDiscussion },
  { key: "agenda", mount: mountAgenda },
  { key: "people", mount: mountPeople },
  { key: "proposals", mount: mountProposals },
  { key: "polls", mount: mountPolls },
  { key: "moderation", mount: mountModeration, roles: ["owner", "moderator"] },
];

export function showRoom(container, params) {
  const slug = params.slug;
  const state = { room: null, error: "", panel: "discussion", connection: "connecting" };
  const live = new LiveRoom(slug);
  const store = new RoomStore(live, slug);
  const ctx = {
    slug,
    live,
    store,
    get room() {
      return state.room;
    },
    get me() {
      return session.user;
    },
    can: (...roles) => roles.includes(state.room?.role ?? live.welcome?.you?.role),
    reloadRoom: () => loadRoom(),
  };
  let disposeMain = null;
  let disposePanel = null;
  let shownParams = params;

  const stopConnection = live.on("connection", (event) => {
    state.connection = event.state;
    if (event.state === "refused" && [4401, 4403, 4404].includes(event.code)) {
      state.error = t(event.code === 4401 && !session.user ? "room.signInNeeded" : "room.noAccess");
    }
    drawHead();
  });
  const stopRole = live.on("role", () => loadRoom());

  const panelsFor = () => PANELS.filter((panel) => !panel.roles || ctx.can(...panel.roles));

  const drawHead = () => {
    const room = state.room;
    render(
      html`
        <div class="room-title">
          <h1>${room ? room.title : slug}</h1>
          <span class="meta">
            ${room ? t(`rooms.visibility.${room.visibility}`) : ""}
            ${room?.role ? html` · ${t(`role.${room.role}`)}` : ""}
            ${room?.archived_at ? html` · ${t("rooms.archived")}` : ""}
          </span>
        </div>
        <p class="connection connection-${state.connection}" data-testid="live-state" role="status">
          ${t(`room.connection.${state.connection}`)}
        </p>
        <nav class="room-links" aria-label=${t("room.views")}>
          <a href="/rooms/${encodeURIComponent(slug)}">${t("room.overview")}</a>
          ${ctx.can("owner") ? html`<a href="/rooms/${encodeURIComponent(slug)}/members">${t("room.members")}</a>` : ""}
        </nav>
        ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      `,
      head,
    );
  };

  const drawTabs = () => {
    const panels = panelsFor();
    if (!panels.some((panel) => panel.key === state.panel)) state.panel = panels[0].key;
    render(
      html`${panels.map(
        (panel) => html`<button
          type="button"
          role="tab"
          id="tab-${panel.key}"
          aria-controls="side-panel"
          aria-selected=${state.panel === panel.key ? "true" : "false"}
          tabindex=${state.panel === panel.key ? "0" : "-1"}
          @click=${() => choosePanel(panel.key)}
          @keydown=${tabKeys}
        >
          ${t(`room.panel.${panel.key}`)}
        </button>`,
      )}`,
      tabs,
    );
  };

  const tabKeys = (event) => {
    const panels = panelsFor();
    const index = panels.findIndex((panel) => panel.key === state.panel);
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    choosePanel(panels[(index + step + panels.length) % panels.length].key);
    tabs.querySelector(`#tab-${state.panel}`)?.focus();
  };

  const choosePanel = (key) => {
    state.panel = key;
    drawTabs();
    disposePanel?.();
    side.setAttribute("aria-labelledby", `tab-${key}`);
    const panel = PANELS.find((entry) => entry.key === key);
    disposePanel = panel.mount(fresh(side), ctx) || null;
  };

  const showMain = (routeParams) => {
    disposeMain?.();
    const host = fresh(main);
    const [view, viewParams] = mainView(routeParams);
    if (!view) {
      render(html`<p class="error">${t("common.notFound")}</p>`, host);
      disposeMain = null;
      return;
    }
    disposeMain = view(host, ctx, viewParams) || null;
  };

  const loadRoom = async () => {
    try {
      state.room = await get(`/rooms/${encodeURIComponent(slug)}`);
      state.error = "";
    } catch (error) {
      if (error.status === 401 || (error.status === 404 && !session.user)) {
        navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
        return;
      }
      state.error = error.status === 404 ? t("room.noAccess") : errorText(error, t("common.failed"));
    }
    drawHead();
    drawTabs();
    return state.room;
  };

  render(
    html`<section class="room" data-testid="room">
      <div class="room-head"></div>
      <div class="room-body">
        <div class="room-main" id="room-main"></div>
        <aside class="room-side" aria-label=${t("room.side")}>
          <div class="tabs" role="tablist"></div>
          <div class="panel" id="side-panel" role="tabpanel"></div>
        </aside>
      </div>
    </section>`,
    container,
  );
  const head = container.querySelector(".room-head");
  const main = container.querySelector(".room-main");
  const tabs = container.querySelector(".tabs");
  const side = container.querySelector(".panel");

  const stopLocale = onLocale(() => {
    drawHead();
    drawTabs();
  });

  loadRoom().then((room) => {
    if (!room) return;
    showMain(params);
    choosePanel(state.panel);
  });

  return {
    update(next) {
      if (next.slug !== slug) return false;
      shownParams = next;
      if (state.room) showMain(shownParams);
      return true;
    },
    dispose() {
      stopLocale();
      stopConnection();
      stopRole();
      disposeMain?.();
      disposePanel?.();
      store.close();
      live.close();
    },
  };
}
