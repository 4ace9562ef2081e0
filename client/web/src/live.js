// The live-room connection (`/live/{room}`): JSON events in, commands out. It keeps the largest
// event id it has seen and reconnects with `since=` it, so no event is missed or shown twice.
import { socketToken, signedIn } from "./api.js";

const DO_NOT_RECONNECT = (code) => code >= 4400 && code < 4500;

export class LiveRoom {
  constructor(slug) {
    this.slug = slug;
    this.lastEventId = null;
    this.state = "connecting"; // connecting | open | closed | refused
    this.welcome = null;
    this.closeCode = null;
    this.handlers = new Map();
    this.pending = new Map();
    this.nextRef = 1;
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
    // the browser knows before TCP does: offline drops the socket, online reconnects at once
    this.wentOffline = () => this.socket?.close(4000);
    this.cameOnline = () => {
      if (this.state !== "closed") return;
      clearTimeout(this.timer);
      this.connect();
    };
    addEventListener("offline", this.wentOffline);
    addEventListener("online", this.cameOnline);
    this.connect();
  }

  /** Calls `handler(event)` for each event of `type` ("*" for all); returns an unsubscribe. */
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.handlers.get(type)?.delete(handler);
  }

  emit(type, event) {
    for (const key of [type, "*"]) for (const handler of this.handlers.get(key) || []) handler(event);
  }

  setState(state) {
    this.state = state;
    this.emit("connection", { type: "connection", state, code: this.closeCode });
  }

  async connect() {
    if (this.stopped) return;
    this.setState("connecting");
    const params = new URLSearchParams();
    if (signedIn()) {
      const token = await socketToken();
      if (token) params.set("token", token);
    }
    if (this.lastEventId !== null) params.set("since", String(this.lastEventId));
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/live/${encodeURIComponent(this.slug)}?${params}`);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
    };
    socket.onmessage = (frame) => this.receive(JSON.parse(frame.data));
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.closeCode = close.code;
      for (const { reject } of this.pending.values()) reject(new LiveError({ code: "disconnected" }));
      this.pending.clear();
      if (this.stopped) return;
      if (DO_NOT_RECONNECT(close.code)) {
        this.setState("refused");
        return;
      }
      this.setState("closed");
      const delay = Math.min(10_000, 250 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  receive(event) {
    if (event.type === "welcome") {
      this.welcome = event;
      if (this.lastEventId === null) this.lastEventId = event.last_event_id;
      this.setState("open");
    }
    if (typeof event.id === "number" && event.type !== "welcome" && event.type !== "ack") {
      if (this.lastEventId !== null && event.id <= this.lastEventId && this.state === "open") return;
      this.lastEventId = Math.max(this.lastEventId ?? 0, event.id);
    }
    if ((event.type === "ack" || event.type === "error") && event.ref && this.pending.has(event.ref)) {
      const { resolve, reject } = this.pending.get(event.ref);
      this.pending.delete(event.ref);
      if (event.type === "ack") resolve(event);
      else reject(new LiveError(event));
      return;
    }
    this.emit(event.type, event);
  }

  /** Sends a command; resolves with its ack or rejects with a LiveError. */
  send(command) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new LiveError({ code: "disconnected" }));
    }
    const ref = `r${this.nextRef++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      this.socket.send(JSON.stringify({ ...command, ref }));
    });
  }

  /** Sends without waiting for an answer (typing, idle). */
  tell(command) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(command));
  }

  close() {
    removeEventListener("offline", this.wentOffline);
    removeEventListener("online", this.cameOnline);
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
  }
}

export class LiveError extends Error {
  constructor(event) {
    super(event.message || event.code);
    this.code = event.code;
    this.retryAfter = event.retry_after;
    this.until = event.until;
  }
}
