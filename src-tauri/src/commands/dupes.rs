//! The duplicates view: a policy's plan first (dry run), then apply, and undo through the
//! journal like any edit.

use std::collections::HashSet;

use tauri::State;
use trove_engine::{DupeMember, KeepPolicy, Library, RemovalReport, RemoveOptions};

use crate::error::IpcError;
use crate::state::{DupesState, LibraryState};
use crate::views::{path_text, DupeCopy, DupeGroupView, DupesReview};

/// What a policy would do (`apply` false) or does (`apply` true) to exact duplicates.
#[tauri::command]
pub(crate) async fn dupes_review(
    state: State<'_, LibraryState>,
    dupes: State<'_, DupesState>,
    policy: String,
    apply: bool,
) -> Result<DupesReview, IpcError> {
    let library = state.library().await?;
    let keep: KeepPolicy = policy.parse().map_err(IpcError::invalid)?;
    let verb = if apply { "--apply" } else { "--dry-run" };
    let command = format!("desktop: dupes remove --policy {policy} {verb}");
    // Exact copies only, and copies in another storage tier stay as backups: the view offers
    // no near or cross-tier removal yet (the CLI does).
    let options = RemoveOptions {
        policy: keep,
        apply,
        near: false,
        min_similarity: None,
        across_tiers: false,
    };
    let report = library.remove_dupes(&options, &command).await?;
    let review = review(library, &policy, report).await?;
    if !apply {
        let assets: HashSet<i64> = review
            .groups
            .iter()
            .flat_map(|g| g.copies.iter().filter_map(|c| c.asset_id))
            .collect();
        dupes.set(assets);
    }
    Ok(review)
}

/// The report with each copy's asset, title and poster, the keeper first.
async fn review(
    library: &Library,
    policy: &str,
    report: RemovalReport,
) -> Result<DupesReview, IpcError> {
    let mut groups = Vec::with_capacity(report.groups.len());
    for group in report.groups {
        let mut copies = Vec::new();
        let members = group
            .keep
            .into_iter()
            .map(|m| (m, "keep", None))
            .chain(group.remove.into_iter().map(|m| (m, "remove", None)))
            .chain(
                group
                    .skipped
                    .into_iter()
                    .map(|s| (s.member, "skip", Some(s.reason))),
            );
        for (member, action, reason) in members {
            copies.push(copy(library, member, action, reason).await?);
        }
        groups.push(DupeGroupView {
            hash: group.hash,
            copies,
        });
    }
    Ok(DupesReview {
        policy: policy.to_owned(),
        dry_run: report.dry_run,
        groups,
        removed: report.removed,
        bytes: report.bytes,
        batch: report.batch,
        warnings: report.warnings,
        errors: report.errors,
    })
}

async fn copy(
    library: &Library,
    member: DupeMember,
    action: &'static str,
    reason: Option<String>,
) -> Result<DupeCopy, IpcError> {
    // A copy just moved to the quarantine is no longer found by its path; it is shown anyway.
    let asset = library.show(member.uri.as_ref()).await.ok();
    let previews = match &asset {
        Some(asset) => library.previews(asset.id).await?,
        None => None,
    };
    Ok(DupeCopy {
        location_id: member.location_id.0,
        asset_id: asset.as_ref().map(|a| a.id.0),
        title: asset.map(|a| a.title),
        path: member.path,
        size: member.size,
        mtime_ns: member.mtime_ns,
        action,
        reason,
        poster: previews
            .as_ref()
            .and_then(|p| p.poster(320))
            .map(|p| path_text(&p)),
    })
}
