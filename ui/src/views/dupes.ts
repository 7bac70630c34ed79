// The duplicates view: groups side by side with posters and the policy's keeper; remove shows
// a dry-run summary first, then applies, and can be undone.
import { api, errorText, previewUrl, type DupesReview } from "../ipc";
import { byId, h } from "../lib/dom";
import { formatBytes } from "../lib/format";

export class DupesView {
  private lastBatch: number | null = null;
  private planned: DupesReview | null = null;

  constructor(private readonly changed: () => Promise<void>) {
    byId("dupes-find").addEventListener("click", () => void this.review());
    byId("dupes-apply").addEventListener("click", () => void this.apply());
    byId("dupes-undo").addEventListener("click", () => void this.undo());
  }

  private policy(): string {
    return byId<HTMLSelectElement>("dupes-policy").value;
  }

  async review(): Promise<void> {
    const summary = byId("dupes-summary");
    summary.dataset["state"] = "busy";
    summary.textContent = "Looking for copies…";
    try {
      const review = await api.dupes(this.policy(), false);
      this.planned = review;
      this.render(review);
      this.notes(review);
      summary.textContent =
        review.groups.length === 0
          ? "No duplicates."
          : `${review.groups.length} groups: removing ${review.removed} extra copies would free ${formatBytes(review.bytes)} (dry run — nothing changed yet).`;
      summary.dataset["state"] = "planned";
      summary.dataset["groups"] = String(review.groups.length);
      byId<HTMLButtonElement>("dupes-apply").disabled = review.removed === 0;
    } catch (error: unknown) {
      summary.textContent = errorText(error);
      summary.dataset["state"] = "error";
    }
  }

  private async apply(): Promise<void> {
    if (this.planned === null) {
      return;
    }
    const summary = byId("dupes-summary");
    try {
      const done = await api.dupes(this.planned.policy, true);
      this.lastBatch = done.batch;
      this.render(done);
      this.notes(done);
      summary.textContent = `Removed ${done.removed} copies (${formatBytes(done.bytes)}): files to the quarantine, S3 objects behind a delete marker or in their bucket's quarantine. Undo puts them back.`;
      summary.dataset["state"] = "applied";
      byId<HTMLButtonElement>("dupes-apply").disabled = true;
      byId<HTMLButtonElement>("dupes-undo").disabled = done.batch === null;
      await this.changed();
    } catch (error: unknown) {
      summary.textContent = errorText(error);
      summary.dataset["state"] = "error";
    }
  }

  /** Warnings and errors of a review, one line each. */
  private notes(review: DupesReview): void {
    const list = byId("dupes-notes");
    list.replaceChildren(
      ...review.warnings.map((w) => h("li", { class: "warning", text: w })),
      ...review.errors.map((e) => h("li", { class: "error", text: e })),
    );
  }

  private async undo(): Promise<void> {
    const summary = byId("dupes-summary");
    try {
      const report = await api.undo(this.lastBatch);
      this.lastBatch = null;
      byId<HTMLButtonElement>("dupes-undo").disabled = true;
      summary.textContent = `Undone: ${report.edits} copies put back.`;
      summary.dataset["state"] = "undone";
      await this.changed();
    } catch (error: unknown) {
      summary.textContent = errorText(error);
      summary.dataset["state"] = "error";
    }
  }

  private render(review: DupesReview): void {
    byId("dupes-groups").replaceChildren(
      ...review.groups.map((group) =>
        h(
          "section",
          { class: "dupe-group", data: { hash: group.hash } },
          h("h3", { text: `${group.copies.length} copies · ${formatBytes(group.copies[0]?.size ?? 0)} each` }),
          h(
            "div",
            { class: "dupe-copies" },
            ...group.copies.map((copy) => {
              const thumb = h("div", { class: "thumb" });
              if (copy.poster !== null) {
                thumb.style.backgroundImage = `url("${previewUrl(copy.poster)}")`;
              }
              return h(
                "figure",
                { class: `dupe-copy action-${copy.action}`, data: { action: copy.action } },
                thumb,
                h(
                  "figcaption",
                  {},
                  h("strong", { text: copy.action === "keep" ? "Keep (suggested)" : copy.action === "remove" ? "Remove" : "Skip" }),
                  h("span", { class: "path", text: copy.path }),
                  copy.reason === null ? null : h("span", { class: "muted", text: copy.reason }),
                ),
              );
            }),
          ),
        ),
      ),
    );
  }
}
