// Restore plans and the restore queue as people read them: costs as estimates with the price
// table's date, ETAs, expiries, queue states and the tiers a plan refuses (and why).
// Pure functions: the Archive view renders what these return.

/** A retrieval tier, as the engine names it. */
export type Tier = "expedited" | "standard" | "bulk";

export const TIERS: readonly Tier[] = ["expedited", "standard", "bulk"];

/** A Rust `Duration` as serde writes it. */
export interface RustDuration {
  secs: number;
  nanos: number;
}

export interface Eta {
  min: RustDuration;
  max: RustDuration;
}

export interface TierEstimate {
  tier: Tier;
  objects: number;
  bytes: number;
  cost: number | null;
  eta: Eta | null;
  refused: number;
}

/** The archive classes of trove-core (`ArchiveClass`, snake_case). */
export type ArchiveClass =
  | "glacier"
  | "deep_archive"
  | "intelligent_archive_access"
  | "intelligent_deep_archive_access"
  | "vault";

const CLASS_NAMES: Record<ArchiveClass, string> = {
  glacier: "Glacier Flexible Retrieval",
  deep_archive: "Deep Archive",
  intelligent_archive_access: "Intelligent-Tiering Archive Access",
  intelligent_deep_archive_access: "Intelligent-Tiering Deep Archive Access",
  vault: "Glacier vault",
};

/** The tiers each class allows (mirrors `ArchiveClass::tiers` in trove-core). */
const CLASS_TIERS: Record<ArchiveClass, readonly Tier[]> = {
  glacier: ["expedited", "standard", "bulk"],
  deep_archive: ["standard", "bulk"],
  intelligent_archive_access: ["expedited", "standard", "bulk"],
  intelligent_deep_archive_access: ["standard", "bulk"],
  vault: ["expedited", "standard", "bulk"],
};

export function className(c: string | null | undefined): string {
  if (c === null || c === undefined) {
    return "not archived";
  }
  return (CLASS_NAMES as Record<string, string>)[c] ?? c;
}

export function tierName(t: string): string {
  return t.length === 0 ? t : t[0]!.toUpperCase() + t.slice(1);
}

/**
 * A cost as an estimate: "≈ $0.0123" (USD) or "≈ 0.0123 EUR"; small costs keep enough digits
 * to not read as zero; `null` (no price) is "cost unknown".
 */
export function formatCost(cost: number | null | undefined, currency: string): string {
  if (cost === null || cost === undefined || !Number.isFinite(cost)) {
    return "cost unknown";
  }
  const digits = cost === 0 ? 2 : cost < 0.01 ? 4 : 2;
  const amount = cost.toFixed(digits);
  return currency === "USD" ? `≈ $${amount}` : `≈ ${amount} ${currency}`;
}

/** "estimate, prices of 2026-11-01 (us-east-1)". */
export function priceNote(asOf: string, region: string): string {
  return `estimate, prices of ${asOf}${region ? ` (${region})` : ""}`;
}

/** Hours or minutes of a duration in seconds: "45 min", "5 h", "2 d 4 h". */
export function formatSpan(secs: number): string {
  if (secs < 3600) {
    return `${Math.max(1, Math.round(secs / 60))} min`;
  }
  const hours = Math.round(secs / 3600);
  if (hours < 48) {
    return `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest === 0 ? `${days} d` : `${days} d ${rest} h`;
}

/** "within 12 h", "in 3–5 h", or "" when there is nothing to wait for. */
export function formatRestoreEta(eta: Eta | null | undefined): string {
  if (eta === null || eta === undefined) {
    return "";
  }
  if (eta.min.secs === 0) {
    return `within ${formatSpan(eta.max.secs)}`;
  }
  return `in ${formatSpan(eta.min.secs)}–${formatSpan(eta.max.secs)}`;
}

/** `YYYY-MM-DD HH:MM UTC` of Unix seconds (as the CLI prints them). */
export function formatUtc(secs: number): string {
  const d = new Date(secs * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

/** An expiry relative to now: "expires in 5 h (2026-12-04 00:00 UTC)", "expired …". */
export function formatExpiry(expiry: number | null | undefined, now: number): string {
  if (expiry === null || expiry === undefined) {
    return "";
  }
  const left = expiry - now;
  if (left <= 0) {
    return `expired ${formatUtc(expiry)}`;
  }
  return `expires in ${formatSpan(left)} (${formatUtc(expiry)})`;
}

/** Whether a ready copy expires within a day (the view marks it). */
export function expiresSoon(expiry: number | null | undefined, now: number): boolean {
  return expiry !== null && expiry !== undefined && expiry > now && expiry - now <= 24 * 3600;
}

/** A queue row's state. */
export type RestoreState = "pending" | "in_progress" | "ready" | "expired" | "failed";

export interface StateBadge {
  /** CSS class suffix (`state-…`). */
  kind: RestoreState;
  label: string;
}

/** The badge of a restore's state; anything unknown is shown as failed. */
export function stateBadge(state: string): StateBadge {
  switch (state) {
    case "pending":
      return { kind: "pending", label: "pending" };
    case "in_progress":
      return { kind: "in_progress", label: "in progress" };
    case "ready":
      return { kind: "ready", label: "ready" };
    case "expired":
      return { kind: "expired", label: "expired" };
    default:
      return { kind: "failed", label: "failed" };
  }
}

/** One row of the queue in words: state plus when (expiry, next check) and the error. */
export function queueDetail(
  row: { state: string; expiry: number | null; next_check: number | null; error: string | null },
  now: number,
): string {
  const parts: string[] = [];
  if (row.state === "ready") {
    parts.push(formatExpiry(row.expiry, now));
  } else if (row.state === "in_progress" && row.next_check !== null) {
    parts.push(`next check ${formatUtc(row.next_check)}`);
  } else if (row.state === "expired" && row.expiry !== null) {
    parts.push(formatExpiry(row.expiry, now));
  }
  if (row.error !== null && row.error !== "") {
    parts.push(row.error);
  }
  return parts.filter((p) => p !== "").join(" · ");
}

/** A tier as the chooser shows it: refused tiers are disabled, with the reason. */
export interface TierChoice {
  tier: Tier;
  label: string;
  disabled: boolean;
  reason: string;
  cost: string;
  eta: string;
}

/**
 * The chooser's rows from a plan's per-tier estimates. A tier is refused (disabled) when it
 * can restore none of the objects that need a restore; partly refused tiers stay enabled and
 * say how many objects they leave out. Reasons name the classes that do not offer the tier.
 */
export function tierChoices(
  byTier: readonly TierEstimate[],
  classes: readonly string[],
  currency: string,
): TierChoice[] {
  return TIERS.map((tier) => {
    const e = byTier.find((b) => b.tier === tier);
    const refusing = [...new Set(classes)].filter((c) => {
      const allowed = (CLASS_TIERS as Record<string, readonly Tier[]>)[c];
      return allowed !== undefined && !allowed.includes(tier);
    });
    const because = refusing.length > 0 ? `${refusing.map(className).join(", ")} ${refusing.length === 1 ? "does" : "do"} not offer ${tierName(tier)} retrieval` : `${tierName(tier)} is not available for these objects`;
    if (e === undefined || (e.objects === 0 && e.refused > 0)) {
      return { tier, label: tierName(tier), disabled: true, reason: because, cost: "", eta: "" };
    }
    const reason = e.refused > 0 ? `${e.refused} object${e.refused === 1 ? "" : "s"} left out: ${because}` : "";
    return {
      tier,
      label: tierName(tier),
      disabled: false,
      reason,
      cost: e.objects === 0 ? "nothing to restore" : formatCost(e.cost, currency),
      eta: formatRestoreEta(e.eta),
    };
  });
}

/** "no restore needed — copy at /media/clip.mov" for an object that has an online copy. */
export function avoidedText(reason: string): string {
  return `no restore needed — ${reason.replace(/^(an? )?online copy:? ?/i, "copy at ")}`;
}
