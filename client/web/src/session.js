// Who is signed in: restored on load by a silent refresh (the HttpOnly cookie), kept in memory.
import * as api from "./api.js";

const listeners = new Set();

export const session = {
  user: null,

  async restore() {
    if (await api.refresh()) await this.loadUser();
  },

  async loadUser() {
    try {
      this.user = await api.get("/me");
    } catch {
      this.user = null;
    }
    this.changed();
  },

  async login(name, password) {
    await api.login(name, password);
    await this.loadUser();
  },

  async logout() {
    await api.logout();
    this.user = null;
    this.changed();
  },

  onChange(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  changed() {
    for (const listener of listeners) listener(this.user);
  },
};

// A session that ends elsewhere (expired, revoked) signs the page out.
api.onSession((signedIn) => {
  if (!signedIn && session.user) {
    session.user = null;
    session.changed();
  }
});
