// The jobs panel: queue counts and jobs, live progress and ETA from the runner's channel,
// cancel and retry, and "make previews".
import { api, errorText, type JobMessage, type JobView } from "../ipc";
import { byId, h } from "../lib/dom";
import { formatEta } from "../lib/format";
import { button } from "./inspector";

export class JobsPanel {
  private readonly live = new Map<number, { fraction: number; eta: number | null }>();
  private refreshTimer: number | undefined;

  constructor(private readonly onIdle: () => void) {
    byId("make-previews").addEventListener("click", () => void this.makePreviews());
  }

  async start(): Promise<void> {
    await api.jobsSubscribe((m) => this.onMessage(m));
    await this.refresh();
  }

  private onMessage(message: JobMessage): void {
    const status = byId("jobs-status");
    switch (message.event) {
      case "started":
        status.textContent = "Working…";
        status.dataset["state"] = "running";
        break;
      case "progress":
        this.live.set(message.id, { fraction: message.fraction, eta: message.etaSecs });
        this.updateRow(message.id);
        return;
      case "done":
      case "failed":
        this.live.delete(message.id);
        break;
      case "idle":
        status.textContent = `Idle: ${message.done} done, ${message.failed} failed in the last run`;
        status.dataset["state"] = "idle";
        this.onIdle();
        break;
    }
    this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== undefined) {
      return;
    }
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, 250);
  }

  async refresh(): Promise<void> {
    try {
      const snapshot = await api.jobs();
      const s = snapshot.stats;
      const counts = byId("jobs-counts");
      counts.textContent = `${s.queued} queued · ${s.running} running · ${s.done} done · ${s.failed} failed${s.queue_paused ? " · queue paused" : ""}`;
      counts.dataset["queued"] = String(s.queued);
      counts.dataset["running"] = String(s.running);
      counts.dataset["done"] = String(s.done);
      counts.dataset["failed"] = String(s.failed);
      counts.dataset["busy"] = String(snapshot.runnerBusy);
      byId("jobs-list").replaceChildren(...snapshot.jobs.map((j) => this.row(j)));
      byId("jobs-badge").textContent = s.queued + s.running > 0 ? String(s.queued + s.running) : "";
    } catch (error: unknown) {
      byId("jobs-status").textContent = errorText(error);
    }
  }

  private row(job: JobView): HTMLElement {
    const live = this.live.get(job.id);
    const fraction = live?.fraction ?? job.progress;
    const bar = h("div", { class: "bar" });
    bar.style.width = `${Math.round(fraction * 100)}%`;
    const actions: HTMLElement[] = [];
    if (job.state === "queued" || job.state === "running" || job.state === "paused") {
      actions.push(button("Cancel", () => void api.jobsCancel([job.id]).then(() => this.refresh())));
    }
    if (job.state === "failed" || job.state === "cancelled") {
      actions.push(button("Retry", () => void api.jobsRetry([job.id]).then(() => this.refresh())));
    }
    return h(
      "li",
      { class: `job job-${job.state}`, data: { jobId: String(job.id), state: job.state } },
      h("span", { class: "job-kind", text: `${job.kind} #${job.id}` }),
      h("span", { class: "job-asset", text: job.asset_id === null ? "" : `asset ${job.asset_id}` }),
      h("span", { class: "job-state", text: job.state }),
      h("div", { class: "progress" }, bar),
      h("span", { class: "job-eta", text: formatEta(live?.eta ?? job.detail?.eta_secs) }),
      h("span", { class: "job-error", text: job.error ?? "" }),
      h("span", { class: "job-actions" }, ...actions),
    );
  }

  private updateRow(id: number): void {
    const row = document.querySelector<HTMLElement>(`.job[data-job-id="${id}"]`);
    const live = this.live.get(id);
    if (row === null || live === undefined) {
      this.scheduleRefresh();
      return;
    }
    const bar = row.querySelector<HTMLElement>(".bar");
    if (bar !== null) {
      bar.style.width = `${Math.round(live.fraction * 100)}%`;
    }
    const eta = row.querySelector<HTMLElement>(".job-eta");
    if (eta !== null) {
      eta.textContent = formatEta(live.eta);
    }
  }

  private async makePreviews(): Promise<void> {
    const status = byId("jobs-status");
    try {
      const queued = await api.makePreviews();
      status.textContent = `${queued} preview jobs queued`;
      status.dataset["state"] = queued > 0 ? "running" : "idle";
      await this.refresh();
    } catch (error: unknown) {
      status.textContent = errorText(error);
      status.dataset["state"] = "error";
    }
  }
}
