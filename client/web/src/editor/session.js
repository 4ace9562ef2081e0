// One document's live session: a Y.Doc kept in IndexedDB (edits survive a reload or a closed
// tab while offline) and synced over `/yjs/{document}` by the stock y-websocket provider, plus
// Veche's *saved* extension (docs/protocol.md, type 100) to tell "saved" from "unsaved".
//
// Save state: `connecting` (never connected yet), `offline` (the connection dropped or the
// browser is offline: edits stay in this browser), `unsaved` (connected, some of this
// connection's writes are not durable yet, or not yet sent), `saved`.
import * as decoding from "lib0/decoding";
import { IndexeddbPersistence } from "y-indexeddb";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { signedIn, socketToken } from "../api.js";

const SAVED = 100;
const MESSAGE_SYNC = 0;
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;

/** Whether a frame the provider sends is a write (sync step 2 or update), as the server counts. */
function isWrite(frame) {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  return bytes[0] === MESSAGE_SYNC && (bytes[1] === SYNC_STEP_2 || bytes[1] === SYNC_UPDATE);
}

export class DocumentSession {
  /** `onState(state)` is called whenever the save state changes; `denied()` when the server
   * refuses a write (read-only connection). */
  constructor(document, { user = "", onState = () => {}, onDenied = () => {} } = {}) {
    this.document = document;
    this.doc = new Y.Doc();
    this.text = this.doc.getText("content");
    this.onState = onState;
    this.state = "connecting";
    this.everConnected = false;
    this.localDirty = false; // local edits not yet acknowledged as durable
    this.sent = 0;
    this.acked = 0;
    this.stopped = false;
    this.readOnly = false;
    this.waiting = [];
    this.retried = 0;
    // one copy per person and document: another person signing in on this browser never
    // sends the edits someone else left here as theirs
    this.persistence = new IndexeddbPersistence(`veche:${user}:${document}`, this.doc);
    this.loaded = this.persistence.whenSynced;
    this.doc.on("update", (_update, origin) => {
      if (origin === this.provider || origin === this.persistence) return;
      this.localDirty = true;
      this.refresh();
    });
    this.onOnline = () => {
      this.provider?.connect();
      this.refresh();
    };
    this.onOffline = () => {
      // the browser says the network is gone: stop the socket so nothing is half-sent, and
      // keep editing locally (IndexedDB) until it comes back
      this.provider?.disconnect();
      this.refresh();
    };
    addEventListener("online", this.onOnline);
    addEventListener("offline", this.onOffline);
    this.ready = this.start(onDenied);
  }

  async start(onDenied) {
    let token = null;
    try {
      token = signedIn() ? await socketToken() : null;
    } catch {
      token = null;
    }
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const provider = new WebsocketProvider(
      `${scheme}://${location.host}/yjs`,
      encodeURIComponent(this.document),
      this.doc,
      { params: token ? { token } : {}, connect: navigator.onLine !== false, maxBackoffTime: 5000 },
    );
    this.provider = provider;
    this.awareness = provider.awareness;
    provider.messageHandlers[SAVED] = (_encoder, decoder) => {
      this.acked = decoding.readVarUint(decoder);
      decoding.readVarUint(decoder); // seq of the last durable write
      // every write of this connection is durable, and the offline edits went with sync step 2
      if (this.acked >= this.sent && provider.synced) this.localDirty = false;
      this.refresh();
    };
    const deniedHandler = provider.messageHandlers[2];
    provider.messageHandlers[2] = (encoder, decoder, ...rest) => {
      onDenied();
      const warn = console.warn;
      console.warn = () => {};
      try {
        deniedHandler(encoder, decoder, ...rest);
      } finally {
        console.warn = warn;
      }
    };
    provider.on("status", ({ status }) => {
      if (status === "connected") this.connected(provider.ws);
      if (status === "disconnected") this.renewToken();
      this.refresh();
    });
    provider.on("sync", () => this.refresh());
    provider.on("closed", ({ code }) => {
      // 4401: the access token expired while the socket was down; a fresh try, at most one
      // every half minute (a session that ended stays closed)
      if (code === 4401 && !this.stopped && Date.now() - this.retried > 30_000) {
        this.retried = Date.now();
        this.renewToken().then(() => provider.connect());
      }
      this.refresh();
    });
    this.refresh();
  }

  /** Counts this connection's writes and opts in to the saved notices. */
  connected(socket) {
    this.everConnected = true;
    this.sent = 0;
    this.acked = 0;
    const send = socket.send.bind(socket);
    socket.send = (frame) => {
      if (isWrite(frame)) this.sent += 1;
      send(frame);
    };
    send(new Uint8Array([SAVED]));
  }

  async renewToken() {
    if (this.stopped || !this.provider || !signedIn()) return;
    try {
      const token = await socketToken();
      if (token) this.provider.params.token = token;
    } catch {
      // offline: the provider retries, and we renew again at its next disconnect
    }
  }

  refresh() {
    const provider = this.provider;
    let state;
    if (provider?.wsconnected && provider.synced && this.readOnly) {
      state = "saved"; // nothing of ours to save: what is shown is the server's text
    } else if (provider?.wsconnected && provider.synced) {
      state = this.localDirty || this.acked < this.sent ? "unsaved" : "saved";
    } else if (navigator.onLine === false || this.everConnected) {
      state = "offline";
    } else {
      state = "connecting";
    }
    if (state !== this.state) {
      this.state = state;
      this.onState(state);
      if (state === "saved") for (const resolve of this.waiting.splice(0)) resolve(true);
    }
  }

  /** Resolves with true once everything is saved, or false after `timeout` ms. */
  whenSaved(timeout = 3000) {
    if (this.state === "saved") return Promise.resolve(true);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      setTimeout(() => resolve(false), timeout);
    });
  }

  /** Destroys the session and deletes this browser's copy of the document. */
  async forget() {
    await this.persistence.clearData();
    this.destroy();
  }

  destroy() {
    this.stopped = true;
    removeEventListener("online", this.onOnline);
    removeEventListener("offline", this.onOffline);
    this.provider?.awareness.setLocalState(null);
    this.provider?.destroy();
    this.persistence.destroy();
    this.doc.destroy();
  }
}
