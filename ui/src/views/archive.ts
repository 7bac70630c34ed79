// The Archive view: plan restores of archived copies (the grid's selection or a search), pick a
// tier (refused tiers disabled, with the reason), see the cost as a dated estimate and the ETA,
// confirm to start; the restore queue with states and expiries; download ready copies to a
// folder. Desktop notifications come from the shell when `restore_status` reports events.
import { api, errorText, type RestorePlan, type RestoreRow, type RestoreSelection, type RestoreStatus } from "../ipc";
import { byId, h } from "../lib/dom";
import { count, formatBytes } from "../lib/format";
import {
  avoidedText,
  className,
  expiresSoon,
  formatCost,
  formatRestoreEta,
  priceNote,
  queueDetail,
  stateBadge,
  tierChoices,
  tierName,
  type Tier,
} from "../lib/restore";

/** How often the queue is refreshed (the engine only checks restores that are due). */
const POLL_MS = 60_000;

export interface ArchiveHost {
  selectedIds(): Promise<number[]>;
  currentQuery(): string;
  changed(): Promise<void>;
}

export class ArchiveView {
  private tier: Tier = "standard";
  private selection: RestoreSelection | null = null;
  private plan: RestorePlan | null = null;
  private queue: RestoreRow[] = [];

  constructor(private readonly host: ArchiveHost) {
    byId("archive-plan-selection").addEventListener("click", () => void this.planSelection());
    byId<HTMLFormElement>("archive-query-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const query = byId<HTMLInputElement>("archive-query").value.trim();
      void this.planFor({ ids: [], query: query === "" ? "*" : query });
    });
    byId("archive-start").addEventListener("click", () => this.askConfirm());
    byId("archive-confirm").addEventListener("click", () => void this.start());
    byId("archive-cancel").addEventListener("click", () => this.hideConfirm());
    byId("archive-refresh").addEventListener("click", () => void this.refresh(true));
    byId("archive-download").addEventListener("click", () => void this.download());
    byId("archive-days").addEventListener("change", () => void this.replan());
  }

  /** Called when the view is shown: the query box starts as the current search. */
  shown(): void {
    const input = byId<HTMLInputElement>("archive-query");
    if (input.value === "") {
      input.value = this.host.currentQuery();
    }
    void this.refresh(false);
  }

  /** Reads the queue now and every minute after. */
  startPolling(): void {
    void this.refresh(false);
    window.setInterval(() => void this.refresh(false), POLL_MS);
  }

  private days(): number {
    const value = Number(byId<HTMLInputElement>("archive-days").value);
    return Number.isFinite(value) && value >= 1 ? Math.round(value) : 7;
  }

  private async planSelection(): Promise<void> {
    const ids = await this.host.selectedIds();
    if (ids.length === 0) {
      this.say("Select assets in the library first, or plan a search.", "error");
      return;
    }
    await this.planFor({ ids, query: null });
  }

  private async planFor(selection: RestoreSelection): Promise<void> {
    this.selection = selection;
    await this.replan();
  }

  private async replan(): Promise<void> {
    if (this.selection === null) {
      return;
    }
    this.hideConfirm();
    const summary = byId("archive-plan-summary");
    summary.dataset["state"] = "planning";
    summary.textContent = "Planning…";
    try {
      this.plan = await api.restorePlan(this.selection, { tier: this.tier, days: this.days() });
      this.renderPlan(this.plan);
    } catch (error: unknown) {
      this.plan = null;
      summary.dataset["state"] = "error";
      summary.textContent = errorText(error);
      byId("archive-tiers").replaceChildren();
      byId("archive-estimate").replaceChildren();
      byId("archive-objects").replaceChildren();
      byId<HTMLButtonElement>("archive-start").disabled = true;
    }
  }

  private renderPlan(plan: RestorePlan): void {
    const summary = byId("archive-plan-summary");
    const objects = plan.objects.length;
    summary.textContent =
      `${count.format(objects)} objects: ${count.format(plan.to_restore)} to restore (${formatBytes(plan.bytes)}), ` +
      `${count.format(plan.no_restore_needed)} need no restore, ${count.format(plan.in_progress)} under way, ${count.format(plan.refused)} refused`;
    summary.dataset["state"] = "planned";
    summary.dataset["objects"] = String(objects);
    summary.dataset["toRestore"] = String(plan.to_restore);

    const estimate = byId("archive-estimate");
    estimate.replaceChildren(
      h("strong", { class: "cost", text: plan.to_restore === 0 ? "nothing to restore" : formatCost(plan.estimate.cost, plan.currency) }),
      h("span", { class: "muted", text: ` ${priceNote(plan.prices_as_of, plan.prices_region)}` }),
      h("span", { class: "eta", text: plan.to_restore === 0 ? "" : ` · ready ${formatRestoreEta(plan.estimate.eta)}` }),
    );
    estimate.dataset["cost"] = plan.estimate.cost === null ? "" : String(plan.estimate.cost);

    const classes = plan.objects.map((o) => o.class).filter((c): c is string => c !== null);
    const choices = tierChoices(plan.by_tier, classes, plan.currency);
    byId("archive-tiers").replaceChildren(
      ...choices.map((c) => {
        const input = h("input", { attrs: { type: "radio", name: "archive-tier", value: c.tier } });
        input.checked = c.tier === this.tier;
        input.disabled = c.disabled;
        input.addEventListener("change", () => {
          this.tier = c.tier;
          void this.replan();
        });
        return h(
          "label",
          { class: c.disabled ? "tier refused" : "tier", data: { tier: c.tier, refused: String(c.disabled) } },
          input,
          h("span", { class: "tier-name", text: c.label }),
          h("span", { class: "tier-cost", text: c.cost }),
          h("span", { class: "muted", text: c.eta }),
          h("span", { class: "reason", text: c.reason }),
        );
      }),
    );

    byId("archive-objects").replaceChildren(
      ...plan.objects.map((o) =>
        h(
          "li",
          { class: `plan-object decision-${o.decision}`, data: { decision: o.decision, asset: String(o.asset) } },
          h("span", { class: "uri", text: o.uri }),
          h("span", { class: "muted", text: `${formatBytes(o.bytes)} · ${className(o.class)}` }),
          h("span", { class: "message", text: o.decision === "no_restore_needed" && o.reason !== undefined ? avoidedText(o.reason) : o.message }),
        ),
      ),
    );
    const start = byId<HTMLButtonElement>("archive-start");
    start.disabled = plan.to_restore === 0;
    start.textContent = `Start ${count.format(plan.to_restore)} restores (${tierName(plan.request.tier)})…`;
  }

  private askConfirm(): void {
    const plan = this.plan;
    if (plan === null || plan.to_restore === 0) {
      return;
    }
    byId("archive-confirm-text").textContent =
      `Restore ${count.format(plan.to_restore)} objects (${formatBytes(plan.bytes)}) in ${tierName(plan.request.tier)} for ${plan.request.days} days: ` +
      `${formatCost(plan.estimate.cost, plan.currency)} (${priceNote(plan.prices_as_of, plan.prices_region)}), ready ${formatRestoreEta(plan.estimate.eta)}.`;
    byId("archive-confirm-box").hidden = false;
  }

  private hideConfirm(): void {
    byId("archive-confirm-box").hidden = true;
  }

  private async start(): Promise<void> {
    if (this.selection === null) {
      return;
    }
    this.hideConfirm();
    try {
      const report = await api.restoreStart(this.selection, { tier: this.tier, days: this.days() });
      // A query such as `state:archived` no longer matches once the restores run: the plan
      // follows the assets it started.
      this.selection = { ids: [...new Set(report.plan.objects.map((o) => o.asset))], query: null };
      const failed = report.run.failed.length;
      this.say(
        report.batch_id === null
          ? "Nothing to restore."
          : `Batch ${report.batch_id}: ${count.format(report.recorded)} restores recorded, ${count.format(report.run.requested)} requests sent${failed > 0 ? `, ${failed} failed: ${report.run.failed.join("; ")}` : ""}.`,
        failed > 0 ? "error" : "started",
      );
      await this.refresh(false);
      await this.replan();
      await this.host.changed();
    } catch (error: unknown) {
      this.say(errorText(error), "error");
    }
  }

  /** Reads the queue (running the checks that are due, all of them with `check`). */
  async refresh(check: boolean): Promise<void> {
    const line = byId("archive-queue-counts");
    try {
      const status = await api.restoreStatus(check);
      this.renderQueue(status);
      if (status.events.some((e) => e.event === "batch_ready")) {
        await this.host.changed();
      }
    } catch (error: unknown) {
      line.textContent = errorText(error);
      line.dataset["state"] = "error";
    }
  }

  private renderQueue(status: RestoreStatus): void {
    const now = Date.now() / 1000;
    this.queue = status.restores;
    const c = status.counts;
    const line = byId("archive-queue-counts");
    line.textContent = `${c.pending} pending · ${c.in_progress} in progress · ${c.ready} ready · ${c.expired} expired · ${c.failed} failed`;
    line.dataset["state"] = "ready";
    line.dataset["total"] = String(status.restores.length);
    line.dataset["ready"] = String(c.ready);
    byId("archive-queue").replaceChildren(
      ...status.restores.map((r) => {
        const badge = stateBadge(r.state);
        const soon = r.state === "ready" && expiresSoon(r.expiry, now);
        return h(
          "li",
          { class: `restore-row${soon ? " expiring" : ""}`, data: { state: r.state, asset: String(r.asset ?? "") } },
          h("span", { class: `state state-${badge.kind}`, text: badge.label }),
          h("span", { class: "uri", text: r.uri }),
          h("span", { class: "muted", text: `${formatBytes(r.size)} · ${tierName(r.tier)}` }),
          h("span", { class: "detail", text: queueDetail(r, now) }),
        );
      }),
    );
    const badge = byId("archive-badge");
    badge.textContent = c.ready > 0 ? String(c.ready) : "";
    byId<HTMLButtonElement>("archive-download").disabled = c.ready === 0;
  }

  private async download(): Promise<void> {
    const ids = [...new Set(this.queue.filter((r) => r.state === "ready" && r.asset !== null).map((r) => r.asset as number))];
    if (ids.length === 0) {
      this.say("No restored copy is ready yet.", "error");
      return;
    }
    try {
      const report = await api.restoreDownload({ ids, query: null });
      if (report === null) {
        return;
      }
      const problems = report.problems.length;
      this.say(
        `Downloaded ${count.format(report.downloaded.length)} copies (verified)${problems > 0 ? `; ${problems} problems: ${report.problems.join("; ")}` : ""}.`,
        problems > 0 ? "error" : "done",
      );
    } catch (error: unknown) {
      this.say(errorText(error), "error");
    }
  }

  private say(text: string, state: string): void {
    const line = byId("archive-message");
    line.textContent = text;
    line.dataset["state"] = state;
  }
}
