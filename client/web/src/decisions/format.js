// Shared pieces of the decision screens: paths, labels of methods, options, outcomes and
// states, exact fractions ("3/2") as numbers, a ballot's choice as text, and SHA-256.
import { formatNumber, t } from "../i18n/index.js";

export const RANKING_METHODS = ["ranked", "stv"];
export const MANAGERS = ["owner", "moderator"];
export const VOTERS = ["owner", "moderator", "participant"];
/** The live room events after which lists of proposals, polls and records are read again. */
export const DECISION_EVENTS = [
  "proposal.created",
  "proposal.discussion",
  "proposal.withdrawn",
  "poll.opened",
  "poll.scheduled",
  "poll.closed",
];

export const roomPath = (slug) => `/rooms/${encodeURIComponent(slug)}`;
export const pollPath = (slug, id) => `${roomPath(slug)}/polls/${encodeURIComponent(id)}`;
export const recordPath = (slug, position) => `${roomPath(slug)}/decisions/${encodeURIComponent(position)}`;
export const proposalPath = (slug, id) => `${roomPath(slug)}/proposals/${encodeURIComponent(id)}`;

/** The method's name; a ranked vote says which count (instant-runoff or Schulze). */
export function methodLabel(method, rules = {}) {
  if (method === "ranked") return t(`decisions.method.ranked.${rules.ranked === "schulze" ? "schulze" : "irv"}`);
  return t(`decisions.method.${method}`);
}

/** An option as shown: yes/no/abstain are translated, other options are as their author wrote. */
export function optionLabel(method, option) {
  if (method === "yes_no_abstain" || method === "yes_no") return t(`decisions.choice.${option}`);
  return String(option);
}

export function outcomeLabel(outcome) {
  return t(`decisions.outcome.${outcome}`);
}

export function pollStateLabel(state) {
  return t(`decisions.pollState.${state}`);
}

/** "3/2" or "6" or 4 → a number. */
export function fractionValue(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  const [top, bottom] = String(value).split("/");
  return bottom === undefined ? Number(top) : Number(top) / Number(bottom);
}

/** An exact fraction for people: at most two decimals, in the current language. */
export function fraction(value) {
  const number = fractionValue(value);
  return number === null || Number.isNaN(number) ? "—" : formatNumber(number, { maximumFractionDigits: 2 });
}

export function percent(value) {
  const number = fractionValue(value);
  return number === null ? "—" : formatNumber(number, { style: "percent", maximumFractionDigits: 1 });
}

/** A ballot's choice (as the server stores it) as one line of text. */
export function choiceText(method, choice) {
  if (choice === null || choice === undefined) return t("decisions.blank");
  if (method === "yes_no_abstain") return optionLabel(method, choice);
  if (method === "score") {
    const entries = Object.entries(choice);
    return entries.length ? entries.map(([option, value]) => `${option}: ${formatNumber(value)}`).join(", ") : t("decisions.blank");
  }
  if (Array.isArray(choice)) {
    if (!choice.length) return t("decisions.blank");
    return choice.join(method === "approval" ? ", " : " › ");
  }
  return String(choice);
}

/** The hex SHA-256 of a text's UTF-8 bytes, computed by the browser. */
export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings by Unicode code points, as Python sorts them (not by UTF-16 units). */
function byCodePoint(a, b) {
  const left = Array.from(a);
  const right = Array.from(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = left[i].codePointAt(0) - right[i].codePointAt(0);
    if (difference) return difference;
  }
  return left.length - right.length;
}

/** The canonical JSON the server hashes a record as (sorted keys, no spaces, characters as
 * they are): storage/polls.py `canonical_json`. */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort(byCodePoint);
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A deadline in seconds from a number and a unit (minutes, hours, days); null when empty. */
export function seconds(amount, unit) {
  const number = Number(amount);
  if (!amount || !Number.isFinite(number) || number <= 0) return null;
  return number * { minutes: 60, hours: 3600, days: 86400 }[unit];
}
