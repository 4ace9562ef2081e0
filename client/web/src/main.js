// The entry point: the header, the routes and the first silent refresh of the session.
import { render } from "lit";
import { onSession } from "./api.js";
import { onLocale } from "./i18n/index.js";
import { match, route, setCurrent, start } from "./router.js";
import { fresh } from "./ui/dom.js";
import { header } from "./ui/header.js";
import { showLogin } from "./screens/login.js";
import { showRooms } from "./screens/rooms.js";
import { showInvitation } from "./screens/invite.js";
import { showRoom } from "./screens/room.js";
import { showConsultations } from "./screens/consultations.js";
import { showConsultation } from "./screens/consultation.js";
import { showReport } from "./screens/report.js";
import { showDirectory } from "./screens/directory.js";
import { showOrganisation } from "./screens/organisation.js";
import { showNotices } from "./screens/notices.js";
import { showNotFound } from "./screens/notfound.js";
import { session } from "./session.js";

route("/", showRooms);
route("/login", showLogin);
route("/invite/:token", showInvitation);
route("/rooms/:slug", showRoom);
route("/rooms/:slug/:view", showRoom);
route("/rooms/:slug/:view/:id", showRoom);
route("/rooms/:slug/:view/:id/:sub", showRoom);
route("/consultations", showConsultations);
route("/consultations/:id", showConsultation);
route("/consultations/:id/report", showReport);
route("/directory", showDirectory);
route("/directory/:slug", showOrganisation);
route("/notices", showNotices);

const app = document.getElementById("app");
app.replaceChildren();
const top = document.createElement("header");
top.className = "top";
const screen = document.createElement("div");
screen.id = "screen";
screen.className = "screen";
app.before(top);
app.append(screen);

const drawHeader = () => render(header(), top);
onLocale(drawHeader);
onSession(drawHeader);
session.onChange(drawHeader);

let shown = null;
function draw() {
  const found = match(location.pathname);
  // the room screen keeps its connections while moving between the room's own views
  if (found && shown?.screen === found.screen && shown.update?.(found.params)) return;
  const host = fresh(screen);
  const handle = found ? found.screen(host, found.params) : showNotFound(host);
  shown = found ? { screen: found.screen, update: handle?.update } : null;
  setCurrent(handle?.dispose ?? handle ?? null);
  drawHeader();
}

await session.restore();
start(draw);
