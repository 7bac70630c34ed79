import { describe, expect, it } from "vitest";
import {
  avoidedText,
  expiresSoon,
  formatCost,
  formatExpiry,
  formatRestoreEta,
  formatSpan,
  formatUtc,
  priceNote,
  queueDetail,
  stateBadge,
  tierChoices,
  type TierEstimate,
} from "../src/lib/restore";

const hours = (h: number) => ({ secs: h * 3600, nanos: 0 });

describe("costs", () => {
  it("reads as an estimate in the table's currency", () => {
    expect(formatCost(1.5, "USD")).toBe("≈ $1.50");
    expect(formatCost(0.00042, "USD")).toBe("≈ $0.0004");
    expect(formatCost(0, "USD")).toBe("≈ $0.00");
    expect(formatCost(2, "EUR")).toBe("≈ 2.00 EUR");
  });
  it("says so when a price is missing", () => {
    expect(formatCost(null, "USD")).toBe("cost unknown");
  });
  it("names the price table's date and region", () => {
    expect(priceNote("2026-11-01", "us-east-1")).toBe("estimate, prices of 2026-11-01 (us-east-1)");
  });
});

describe("ETAs and expiries", () => {
  it("gives an upper bound or a range", () => {
    expect(formatRestoreEta({ min: hours(0), max: hours(12) })).toBe("within 12 h");
    expect(formatRestoreEta({ min: hours(3), max: hours(5) })).toBe("in 3 h–5 h");
    expect(formatRestoreEta({ min: { secs: 60, nanos: 0 }, max: { secs: 300, nanos: 0 } })).toBe("in 1 min–5 min");
    expect(formatRestoreEta(null)).toBe("");
  });
  it("spans read in minutes, hours or days", () => {
    expect(formatSpan(90)).toBe("2 min");
    expect(formatSpan(5 * 3600)).toBe("5 h");
    expect(formatSpan(48 * 3600)).toBe("2 d");
    expect(formatSpan(52 * 3600)).toBe("2 d 4 h");
  });
  it("dates are UTC like the CLI's", () => {
    expect(formatUtc(0)).toBe("1970-01-01 00:00 UTC");
    expect(formatUtc(1_800_000_000)).toBe("2027-01-15 08:00 UTC");
  });
  it("expiry is relative to now, and flagged within a day", () => {
    const now = 1_000_000;
    expect(formatExpiry(now + 5 * 3600, now)).toBe(`expires in 5 h (${formatUtc(now + 5 * 3600)})`);
    expect(formatExpiry(now - 10, now)).toBe(`expired ${formatUtc(now - 10)}`);
    expect(formatExpiry(null, now)).toBe("");
    expect(expiresSoon(now + 3600, now)).toBe(true);
    expect(expiresSoon(now + 3 * 24 * 3600, now)).toBe(false);
    expect(expiresSoon(now - 1, now)).toBe(false);
  });
});

describe("queue states", () => {
  it("each state has its badge; anything else is failed", () => {
    expect(stateBadge("pending")).toEqual({ kind: "pending", label: "pending" });
    expect(stateBadge("in_progress")).toEqual({ kind: "in_progress", label: "in progress" });
    expect(stateBadge("ready")).toEqual({ kind: "ready", label: "ready" });
    expect(stateBadge("expired")).toEqual({ kind: "expired", label: "expired" });
    expect(stateBadge("weird")).toEqual({ kind: "failed", label: "failed" });
  });
  it("rows say when they expire, when they are checked next, and their error", () => {
    const now = 1_000_000;
    const row = { state: "ready", expiry: now + 7200, next_check: null, error: null };
    expect(queueDetail(row, now)).toBe(`expires in 2 h (${formatUtc(now + 7200)})`);
    expect(queueDetail({ state: "in_progress", expiry: null, next_check: now, error: null }, now)).toBe(`next check ${formatUtc(now)}`);
    expect(queueDetail({ state: "failed", expiry: null, next_check: null, error: "AccessDenied" }, now)).toBe("AccessDenied");
    expect(queueDetail({ state: "pending", expiry: null, next_check: null, error: null }, now)).toBe("");
  });
});

describe("tier refusals", () => {
  const estimate = (tier: "expedited" | "standard" | "bulk", objects: number, refused: number, cost: number | null): TierEstimate => ({
    tier,
    objects,
    bytes: objects * 1000,
    cost,
    eta: objects === 0 ? null : { min: hours(0), max: hours(tier === "bulk" ? 48 : 12) },
    refused,
  });

  it("Deep Archive: Expedited is disabled with the reason, the others priced", () => {
    const choices = tierChoices(
      [estimate("expedited", 0, 2, null), estimate("standard", 2, 0, 0.02), estimate("bulk", 2, 0, 0.005)],
      ["deep_archive", "deep_archive"],
      "USD",
    );
    expect(choices.map((c) => [c.tier, c.disabled])).toEqual([
      ["expedited", true],
      ["standard", false],
      ["bulk", false],
    ]);
    expect(choices[0]!.reason).toBe("Deep Archive does not offer Expedited retrieval");
    expect(choices[0]!.cost).toBe("");
    expect(choices[1]!.cost).toBe("≈ $0.02");
    expect(choices[1]!.eta).toBe("within 12 h");
    expect(choices[2]!.reason).toBe("");
  });

  it("a tier that leaves some objects out stays enabled and says how many", () => {
    const choices = tierChoices(
      [estimate("expedited", 1, 1, 0.03), estimate("standard", 2, 0, 0.02), estimate("bulk", 2, 0, 0.01)],
      ["glacier", "deep_archive"],
      "USD",
    );
    expect(choices[0]!.disabled).toBe(false);
    expect(choices[0]!.reason).toBe("1 object left out: Deep Archive does not offer Expedited retrieval");
  });

  it("online copies read as avoided restores", () => {
    expect(avoidedText("online copy: /media/b.mov")).toBe("no restore needed — copy at /media/b.mov");
    expect(avoidedText("not archived")).toBe("no restore needed — not archived");
  });
});
