// The REST client. The access token lives only in this module's memory; the refresh token is
// an HttpOnly cookie the page never sees. A 401 triggers one silent refresh, then a retry.
// Every call sends the language the person chose as Accept-Language, so the server's problem
// titles come in that language (docs/i18n.md).
import { locale } from "./i18n/index.js";

let accessToken = null;
let accessExpiresAt = 0;
let refreshing = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** Subscribe to session changes: called with true (signed in) or false (signed out). */
export function onSession(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setTokens(tokens) {
  const was = accessToken !== null;
  accessToken = tokens ? tokens.access_token : null;
  accessExpiresAt = tokens ? Date.now() + tokens.expires_in * 1000 : 0;
  if (was !== (accessToken !== null)) for (const listener of listeners) listener(accessToken !== null);
}

export function signedIn() {
  return accessToken !== null;
}

/** A fresh access token for a WebSocket `?token=` (refreshed when close to expiry). */
export async function socketToken() {
  if (accessToken === null || accessExpiresAt - Date.now() < 30_000) await refresh();
  return accessToken;
}

/** Rotate the cookie's refresh token for a new access token; false when there is no session.
 * Tabs of one browser share the cookie, and a rotated token presented again revokes the
 * session (docs/accounts.md): a Web Lock makes the tabs refresh one after another, each
 * presenting the cookie the previous one left. */
export function refresh() {
  refreshing ??= (navigator.locks
    ? navigator.locks.request("veche-session-refresh", rotate)
    : rotate()
  ).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function rotate() {
  try {
    const response = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    if (!response.ok) {
      setTokens(null);
      return false;
    }
    setTokens(await response.json());
    return true;
  } catch {
    return accessToken !== null; // offline: keep what we have
  }
}

export async function login(name, password) {
  const tokens = await request("POST", "/auth/login", { name, password, cookie: true }, { auth: false });
  setTokens(tokens);
}

export async function logout() {
  try {
    if (accessToken) await request("POST", "/auth/logout");
  } finally {
    setTokens(null);
  }
}

/** One API call: JSON in, JSON (or text for non-JSON answers) out; ApiError on failure. */
export async function request(method, path, body, { auth = true, accept } = {}) {
  const send = () => {
    const headers = { "Accept-Language": locale() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (accept) headers.Accept = accept;
    if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
    return fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  if (auth && accessToken && accessExpiresAt - Date.now() < 10_000) await refresh();
  let response = await send();
  if (response.status === 401 && auth && (await refresh())) response = await send();
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const payload = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, typeof payload === "object" ? payload : { detail: payload });
  return payload;
}

export const get = (path, options) => request("GET", path, undefined, options);
export const post = (path, body, options) => request("POST", path, body ?? {}, options);
export const put = (path, body) => request("PUT", path, body ?? {});
export const patch = (path, body) => request("PATCH", path, body ?? {});
export const del = (path) => request("DELETE", path);
