// Catalogs and locale formatting. Bulgarian is the default; the browser's language decides
// first, then the person's choice (kept in localStorage: a preference, not a credential).
// Each area of the app has its own catalog module exporting { bg: {...}, en: {...} };
// tests/web/test_catalogs.py fails when a key is missing in either language or unused.
import { catalog as common } from "./common.js";
import { catalog as rooms } from "./rooms.js";
import { catalog as room } from "./room.js";
import { catalog as editor } from "./editor.js";
import { catalog as discussion } from "./discussion.js";
import { catalog as decisions } from "./decisions.js";
import { catalog as consultations } from "./consultations.js";
import { catalog as directory } from "./directory.js";
import { catalog as notices } from "./notices.js";

export const LOCALES = ["bg", "en"];
const AREAS = [common, rooms, room, editor, discussion, decisions, consultations, directory, notices];
const messages = Object.fromEntries(
  LOCALES.map((locale) => [locale, Object.assign({}, ...AREAS.map((area) => area[locale]))]),
);
const listeners = new Set();

function initialLocale() {
  const chosen = globalThis.localStorage?.getItem("veche.locale");
  if (LOCALES.includes(chosen)) return chosen;
  for (const language of navigator.languages || [navigator.language]) {
    const base = String(language).slice(0, 2).toLowerCase();
    if (LOCALES.includes(base)) return base;
  }
  return "bg";
}

let current = initialLocale();
document.documentElement.lang = current;

export function locale() {
  return current;
}

export function setLocale(next) {
  if (!LOCALES.includes(next) || next === current) return;
  current = next;
  localStorage.setItem("veche.locale", next);
  document.documentElement.lang = next;
  for (const listener of listeners) listener(next);
}

export function onLocale(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The message for `key` in the current language, `{name}` placeholders filled from `params`;
 * a message given as {one, other, ...} is chosen by Intl.PluralRules on params.count. */
export function t(key, params = {}) {
  let message = messages[current][key] ?? messages.bg[key];
  if (message === undefined) return key;
  if (typeof message === "object") {
    const form = new Intl.PluralRules(current).select(Number(params.count ?? 0));
    message = message[form] ?? message.other;
  }
  return message.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? formatValue(params[name]) : whole,
  );
}

function formatValue(value) {
  return typeof value === "number" ? formatNumber(value) : String(value);
}

export function formatNumber(value, options) {
  return new Intl.NumberFormat(current, options).format(value);
}

export function formatDate(value, options = { dateStyle: "medium", timeStyle: "short" }) {
  if (value === null || value === undefined) return "";
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? "" : new Intl.DateTimeFormat(current, options).format(date);
}

export function formatRelative(value) {
  const seconds = Math.round((new Date(value).getTime() - Date.now()) / 1000);
  const format = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  const steps = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [30, "day"],
  ];
  let amount = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(amount) < size) return format.format(amount, unit);
    amount = Math.round(amount / size);
  }
  return formatDate(value, { dateStyle: "medium" });
}

export function allMessages() {
  return messages;
}
