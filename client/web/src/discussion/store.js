// What the room's live connection has said, kept in one place for the discussion, people,
// agenda and moderation panels: it subscribes once, when the room page opens, so switching
// panels loses nothing. Messages are kept by id: an event replaces the message it carries, so
// one applied twice changes nothing (LiveRoom already drops numbered events it has seen).
// The page's earlier messages come from GET /rooms/{slug}/messages; a message an event has
// already brought is not overwritten by that (older) page.
import { get } from "../api.js";
import { session } from "../session.js";

const MESSAGE_EVENTS = [
  "message.posted",
  "message.edited",
  "message.deleted",
  "message.hidden",
  "message.unhidden",
  "message.removed",
];
const PAGE = 100;

export class RoomStore {
  constructor(live, slug) {
    this.live = live;
    this.slug = slug;
    this.messages = new Map(); // id → message, with `reactions` {emoji: count}
    this.mine = new Map(); // message id → Set of emoji this person reacted with (this visit)
    this.nextBefore = null;
    this.loaded = false;
    this.present = new Map(); // name → {name, display_name, idle, typing}
    this.session = { agenda: [], current_item_id: null, queue: [], floor: null };
    this.room = { locked: false, slow_mode_seconds: 0, archived: false };
    this.mutes = new Map(); // name → {until, reason}
    this.flags = new Map(); // open flags (moderators), id → flag
    this.timeUp = null;
    this.listeners = new Set();
    this.stops = [
      live.on("welcome", (event) => this.welcome(event)),
      live.on("presence", (event) => this.presence(event)),
      live.on("typing", (event) => this.typing(event)),
      live.on("message.reactions", (event) => this.reactions(event)),
      live.on("agenda.changed", (event) => this.change(() => this.setSession(event, "agenda", "current_item_id"))),
      live.on("queue.changed", (event) => this.change(() => this.setSession(event, "queue"))),
      live.on("floor.changed", (event) => this.change(() => this.setSession(event, "floor"))),
      live.on("floor.time_up", (event) => this.change(() => (this.timeUp = event.floor))),
      live.on("room.locked", (event) => this.change(() => (this.room.locked = event.locked))),
      live.on("room.slow_mode", (event) => this.change(() => (this.room.slow_mode_seconds = event.seconds))),
      live.on("member.muted", (event) =>
        this.change(() => this.mutes.set(event.user.name, { until: event.until, reason: event.reason })),
      ),
      live.on("member.unmuted", (event) => this.change(() => this.mutes.delete(event.user.name))),
      live.on("flag.raised", (event) => this.change(() => this.flags.set(event.flag.id, event.flag))),
      live.on("flag.resolved", (event) => this.change(() => this.flags.delete(event.flag.id))),
      ...MESSAGE_EVENTS.map((type) => live.on(type, (event) => this.change(() => this.keep(event.message)))),
    ];
    if (live.welcome) this.welcome(live.welcome);
  }

  /** Calls `listener()` after every change; returns an unsubscribe. */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  change(apply) {
    apply();
    for (const listener of this.listeners) listener();
  }

  welcome(event) {
    this.change(() => {
      this.present = new Map((event.present || []).map((person) => [person.name, { ...person }]));
      // the welcome lists who was here before this connection; a signed-in person is here too
      const you = event.you?.name;
      if (you && !this.present.has(you)) {
        const display = session.user?.name === you ? session.user.display_name : null;
        this.present.set(you, { name: you, display_name: display || you, idle: false, typing: false });
      }
      this.session = { ...this.session, ...(event.session || {}) };
      Object.assign(this.room, {
        locked: Boolean(event.room?.locked),
        slow_mode_seconds: event.room?.slow_mode_seconds || 0,
        archived: Boolean(event.room?.archived),
      });
    });
    if (!this.loaded) this.loadEarlier();
  }

  presence(event) {
    this.change(() => {
      if (event.state === "left") {
        this.present.delete(event.user);
        return;
      }
      const known = this.present.get(event.user) || { name: event.user, typing: false, idle: false };
      known.display_name = event.display_name ?? known.display_name;
      if (event.state === "idle" || event.state === "active") known.idle = event.state === "idle";
      this.present.set(event.user, known);
    });
  }

  typing(event) {
    const known = this.present.get(event.user);
    if (known) this.change(() => (known.typing = Boolean(event.active)));
  }

  reactions(event) {
    this.change(() => {
      const message = this.messages.get(event.message_id);
      if (message) message.reactions = event.reactions || {};
      if (event.user === this.live.welcome?.you?.name) {
        const mine = this.mine.get(event.message_id) || new Set();
        if (event.on) mine.add(event.emoji);
        else mine.delete(event.emoji);
        this.mine.set(event.message_id, mine);
      }
    });
  }

  setSession(event, ...keys) {
    for (const key of keys) if (key in event) this.session[key] = event[key];
  }

  keep(message) {
    const known = this.messages.get(message.id);
    this.messages.set(message.id, { reactions: known?.reactions || {}, ...message });
  }

  /** The next page of older messages (the first call: the newest page). */
  async loadEarlier() {
    this.loaded = true;
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (this.nextBefore) query.set("before", String(this.nextBefore));
    let page;
    try {
      page = await get(`/rooms/${encodeURIComponent(this.slug)}/messages?${query}`);
    } catch {
      this.loaded = false; // tried again at the next welcome
      return;
    }
    this.change(() => {
      for (const message of page.messages) if (!this.messages.has(message.id)) this.messages.set(message.id, message);
      this.nextBefore = page.next_before;
    });
  }

  /** Top-level messages oldest first, each with its replies oldest first. */
  threads() {
    const all = [...this.messages.values()].sort((a, b) => a.id - b.id);
    const replies = new Map();
    for (const message of all) {
      if (message.parent_id !== null && this.messages.has(message.parent_id)) {
        if (!replies.has(message.parent_id)) replies.set(message.parent_id, []);
        replies.get(message.parent_id).push(message);
      }
    }
    return all
      .filter((message) => message.parent_id === null || !this.messages.has(message.parent_id))
      .map((message) => ({ message, replies: replies.get(message.id) || [] }));
  }

  displayName(name) {
    return this.present.get(name)?.display_name || name;
  }

  close() {
    for (const stop of this.stops) stop();
    this.listeners.clear();
  }
}
