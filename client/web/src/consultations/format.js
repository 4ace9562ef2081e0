// Shared pieces of the consultation screens: paths, the countdown, the passages of the text
// with the comments on them, and offsets. The API counts offsets in code points (as Python
// does); JavaScript strings and DOM ranges count UTF-16 units, where a character outside the
// Basic Multilingual Plane (𝐀, most emoji) takes two. Everything here converts explicitly.
import { get } from "../api.js";
import { locale, t } from "../i18n/index.js";

export const STATES = ["open", "closed", "reported"];
export const RESPONSES = ["accepted", "partly_accepted", "not_accepted"];
export const MANAGERS = ["owner", "moderator"];
const MINUTE = 60_000;

export const consultationPath = (id) => `/consultations/${encodeURIComponent(id)}`;
export const reportPath = (id) => `${consultationPath(id)}/report`;
/** The report as the server renders it: `md`, `csv` or `html` (a printable page). */
export const reportFile = (id, format) => `/api/v1${reportPath(id)}?format=${format}`;

/** The UTF-16 index `unit` of `text` as a code point offset. An index inside a surrogate pair
 * is rounded down (a passage's start) or up (its end), so a passage never splits a character. */
export function toCodePoints(text, unit, roundUp = false) {
  let units = 0;
  let points = 0;
  for (const char of text) {
    if (units >= unit) break;
    if (units + char.length > unit && !roundUp) break;
    units += char.length;
    points += 1;
  }
  return points;
}

/** A code point offset of `text` as a UTF-16 index. */
export function toUnits(text, points) {
  let units = 0;
  let seen = 0;
  for (const char of text) {
    if (seen >= points) break;
    units += char.length;
    seen += 1;
  }
  return units;
}

/** The text cut where passages begin and end: [{from, to, ids}] in UTF-16 units, `ids` the
 * comments whose passage covers that piece (none for the text between passages). */
export function pieces(text, passages) {
  const cuts = new Set([0, text.length]);
  for (const passage of passages) {
    cuts.add(passage.from);
    cuts.add(passage.to);
  }
  const sorted = [...cuts].filter((cut) => cut >= 0 && cut <= text.length).sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const from = sorted[i];
    const to = sorted[i + 1];
    const ids = passages.filter((p) => p.from <= from && p.to >= to).map((p) => p.id);
    out.push({ from, to, ids });
  }
  return out;
}

/** Where the passage [from, to) of `before` is in `after` (the text changed meanwhile): the
 * same words nearest to where they were, or null when they are gone. */
export function relocate(before, after, from, to) {
  if (before === after) return { from, to };
  const quote = before.slice(from, to);
  let best = null;
  for (let at = after.indexOf(quote); at !== -1; at = after.indexOf(quote, at + 1)) {
    if (best === null || Math.abs(at - from) < Math.abs(best - from)) best = at;
  }
  return best === null ? null : { from: best, to: best + quote.length };
}

/** Days, hours and minutes until `closesAt` (rounded down), or null once it has passed. */
export function timeLeft(closesAt, now = Date.now()) {
  const left = new Date(closesAt).getTime() - now;
  if (!(left > 0)) return null;
  const minutes = Math.floor(left / MINUTE);
  return { days: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60), minutes: minutes % 60 };
}

/** "20 days, 3 hours and 5 minutes left", or that the consultation is closed. */
export function countdownText(left) {
  if (!left) return t("consultations.countdown.closed");
  const parts = [];
  if (left.days) parts.push(t("consultations.units.days", { count: left.days }));
  if (left.hours) parts.push(t("consultations.units.hours", { count: left.hours }));
  if (left.minutes) parts.push(t("consultations.units.minutes", { count: left.minutes }));
  if (!parts.length) return t("consultations.countdown.underMinute");
  const time = new Intl.ListFormat(locale(), { style: "long", type: "conjunction" }).format(parts);
  return t("consultations.countdown.left", { time });
}

/** Milliseconds until the countdown's text next changes (its next whole minute). */
export function nextTick(closesAt, now = Date.now()) {
  const left = new Date(closesAt).getTime() - now;
  return Math.max(250, (left % MINUTE || MINUTE) + 50);
}

/** Whole calendar days from `from` to `to` (dates in the browser's time zone). */
export function daysBetween(from, to) {
  const day = (date) => Date.UTC(date.getFullYear(), date.getMonth(), date.getDate());
  return Math.round((day(to) - day(from)) / 86_400_000);
}

/** The consultation of a room's proposal, or null when it has none. */
export async function consultationOf(room, proposalId) {
  try {
    return await get(`/rooms/${encodeURIComponent(room)}/proposals/${encodeURIComponent(proposalId)}/consultation`);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** A report's counts in one line: "2 comments: 1 accepted, 1 partly, 0 not accepted". */
export function reportCounts(counts) {
  return t("consultations.record.counts", {
    comments: t("consultations.comments", { count: counts.comments }),
    accepted: counts.accepted,
    partly: counts.partly_accepted,
    refused: counts.not_accepted,
  });
}

/** Who wrote a comment: the person, and the organisation they spoke for. */
export function authorName(comment) {
  return comment.author_display_name || comment.author || t("consultations.someone");
}
