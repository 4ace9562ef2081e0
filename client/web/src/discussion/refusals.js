// The text of a refused live command for people: what happened and, where the server says, how
// long to wait (rate limit and slow mode give `retry_after`, a mute its `until`).
import { formatDate, t } from "../i18n/index.js";

const KNOWN = new Set([
  "forbidden",
  "not_found",
  "archived",
  "locked",
  "too_large",
  "invalid_message",
  "conflict",
  "unavailable",
  "disconnected",
]);

export function refusal(error, store) {
  const code = error?.code;
  const seconds = Math.max(1, Math.ceil(Number(error?.retryAfter ?? 0)));
  if (code === "rate_limited") return t("discussion.error.rate_limited", { count: seconds });
  if (code === "slow_mode") return t("discussion.error.slow_mode", { count: seconds });
  if (code === "muted") {
    const until = error?.until ?? store?.mutes.get(store?.live.welcome?.you?.name)?.until;
    return until ? t("discussion.error.muted", { until: formatDate(until) }) : t("discussion.error.mutedNow");
  }
  if (KNOWN.has(code)) return t(`discussion.error.${code}`);
  return error?.message || t("common.failed");
}
