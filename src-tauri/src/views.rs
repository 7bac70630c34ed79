//! The IPC types: what crosses to the webview, converted from engine types at this one edge.
//!
//! Field names are camelCase for TypeScript (`ui/src/ipc.ts` mirrors them). Paths of previews
//! are absolute paths inside the library's previews folder; the UI turns them into
//! asset-protocol URLs, which Tauri serves only from that folder.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use trove_core::AssetView;
use trove_engine::Previews;

/// Storage classes whose objects must be restored before they can be read.
const ARCHIVE_CLASSES: &[&str] = &["GLACIER", "DEEP_ARCHIVE"];

/// Where a library lives, for the UI.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LibraryInfo {
    /// The library folder.
    pub(crate) dir: String,
    /// Its previews folder (the only folder the asset protocol serves).
    pub(crate) previews_dir: String,
}

/// A page of search results, as the browser shows them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchPage {
    /// Matching assets in all.
    pub(crate) total: u64,
    /// The offset this page starts at.
    pub(crate) offset: usize,
    /// The page.
    pub(crate) items: Vec<AssetItem>,
    /// Facet → value counts over all matches (empty unless asked for).
    pub(crate) facets: BTreeMap<String, Vec<FacetValue>>,
    /// Whether the facet counts are estimates (from a sample of a large result set).
    pub(crate) facets_estimated: bool,
}

/// One value of a facet.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FacetValue {
    /// The value as indexed.
    pub(crate) value: String,
    /// Matching assets with it.
    pub(crate) count: u64,
}

/// An asset as a grid tile or list row.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssetItem {
    /// Asset id.
    pub(crate) id: i64,
    /// Effective title.
    pub(crate) title: String,
    /// video, audio, image, …
    pub(crate) media_type: String,
    /// The first media location's path.
    pub(crate) path: Option<String>,
    /// Its size in bytes.
    pub(crate) size: u64,
    /// Duration in seconds, if known.
    pub(crate) duration: Option<f64>,
    /// `WIDTHxHEIGHT`, if known.
    pub(crate) dimensions: Option<String>,
    /// `offline`, `archived`, `duplicate`.
    pub(crate) badges: Vec<&'static str>,
    /// The small poster, if previews were made.
    pub(crate) poster: Option<String>,
    /// The hover-scrub sprite, if previews were made.
    pub(crate) filmstrip: Option<FilmstripView>,
}

/// The layout of a filmstrip sprite.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FilmstripView {
    /// The sprite image.
    pub(crate) sprite: String,
    /// Frames in it.
    pub(crate) frames: u32,
    /// Tiles per row.
    pub(crate) columns: u32,
    /// One tile's width.
    pub(crate) tile_width: u32,
    /// One tile's height.
    pub(crate) tile_height: u32,
}

/// Everything made for one asset's previews.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PreviewView {
    /// Small poster (320 px wide).
    pub(crate) poster: Option<String>,
    /// Large poster (1280 px wide).
    pub(crate) poster_large: Option<String>,
    /// The 720p H.264 proxy.
    pub(crate) proxy: Option<String>,
    /// The filmstrip.
    pub(crate) filmstrip: Option<FilmstripView>,
    /// The waveform picture.
    pub(crate) waveform: Option<String>,
    /// Media duration in seconds.
    pub(crate) duration: Option<f64>,
}

/// The asset view: the engine's whole asset plus its previews and badges.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssetDetail {
    /// The asset as `trove show --json` prints it (metadata, provenance, claims, locations).
    pub(crate) asset: AssetView,
    /// Its previews, if made.
    pub(crate) previews: Option<PreviewView>,
    /// Same as the grid's.
    pub(crate) badges: Vec<&'static str>,
}

/// One edit of the metadata editor.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FieldEdit {
    /// Schema key or `custom.KEY`.
    pub(crate) field: String,
    /// `set`, `add` (`+=`) or `remove` (`-=`).
    pub(crate) op: EditOp,
    /// The value as typed; an empty `set` clears the field.
    pub(crate) value: String,
}

/// How a [`FieldEdit`] changes the field.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) enum EditOp {
    /// Replace.
    Set,
    /// Add to a list.
    Add,
    /// Remove from a list.
    Remove,
}

impl FieldEdit {
    /// The engine's `FIELD=VALUE` form.
    pub(crate) fn assignment_text(&self) -> String {
        let op = match self.op {
            EditOp::Set => "=",
            EditOp::Add => "+=",
            EditOp::Remove => "-=",
        };
        format!("{}{op}{}", self.field, self.value)
    }
}

/// What the scan reports while it runs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScanMessage {
    /// The source being scanned.
    pub(crate) source: String,
    /// Files seen.
    pub(crate) files: u64,
    /// Of which unchanged.
    pub(crate) unchanged: u64,
    /// Written to the catalog.
    pub(crate) written: u64,
    /// Problems met.
    pub(crate) problems: u64,
    /// This source is done.
    pub(crate) done: bool,
}

/// A job runner message, streamed to the jobs panel.
#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub(crate) enum JobMessage {
    /// The runner started working through the queue.
    Started,
    /// A running job's progress.
    Progress {
        /// Job id.
        id: i64,
        /// 0..=1.
        fraction: f64,
        /// Frames per second.
        fps: Option<f64>,
        /// Seconds left.
        eta_secs: Option<f64>,
    },
    /// A job finished.
    Done {
        /// Job id.
        id: i64,
        /// The file.
        path: String,
    },
    /// A job failed.
    Failed {
        /// Job id.
        id: i64,
        /// The file.
        path: String,
        /// Why.
        error: String,
        /// Whether it runs again later.
        retrying: bool,
    },
    /// The queue is empty (or paused); the runner waits.
    Idle {
        /// Jobs finished in this run.
        done: u64,
        /// Jobs failed for good.
        failed: u64,
    },
}

impl From<&trove_engine::JobEvent> for JobMessage {
    fn from(event: &trove_engine::JobEvent) -> Self {
        use trove_engine::JobEvent as E;
        match event {
            E::Progress {
                id,
                fraction,
                fps,
                eta_secs,
            } => JobMessage::Progress {
                id: *id,
                fraction: *fraction,
                fps: *fps,
                eta_secs: *eta_secs,
            },
            E::Done { id, path } => JobMessage::Done {
                id: *id,
                path: path.clone(),
            },
            E::Failed {
                id,
                path,
                error,
                retrying,
            } => JobMessage::Failed {
                id: *id,
                path: path.clone(),
                error: error.clone(),
                retrying: *retrying,
            },
        }
    }
}

/// The jobs panel's snapshot.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobsSnapshot {
    /// Queue counts.
    pub(crate) stats: trove_engine::JobStats,
    /// Jobs, unfinished first.
    pub(crate) jobs: Vec<trove_engine::JobView>,
    /// Whether the app's runner is working.
    pub(crate) runner_busy: bool,
}

/// Whether the watcher runs.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WatchStatus {
    /// A watcher runs.
    pub(crate) watching: bool,
    /// What it did last.
    pub(crate) last_event: Option<String>,
    /// Why it stopped, if it failed.
    pub(crate) error: Option<String>,
}

/// A copy in a duplicate group, with what the policy does to it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DupeCopy {
    /// The location.
    pub(crate) location_id: i64,
    /// The asset it belongs to, if known.
    pub(crate) asset_id: Option<i64>,
    /// The asset's title.
    pub(crate) title: Option<String>,
    /// The file.
    pub(crate) path: String,
    /// Bytes.
    pub(crate) size: u64,
    /// Modification time, ns since the epoch.
    pub(crate) mtime_ns: Option<i64>,
    /// `keep`, `remove` or `skip`.
    pub(crate) action: &'static str,
    /// Why it is skipped.
    pub(crate) reason: Option<String>,
    /// Its poster, if previews were made.
    pub(crate) poster: Option<String>,
}

/// One group of identical copies.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DupeGroupView {
    /// The content hash.
    pub(crate) hash: String,
    /// The copies, the keeper first.
    pub(crate) copies: Vec<DupeCopy>,
}

/// The duplicates view: a policy's plan (dry run) or what it did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DupesReview {
    /// The policy applied.
    pub(crate) policy: String,
    /// Nothing was changed.
    pub(crate) dry_run: bool,
    /// Groups.
    pub(crate) groups: Vec<DupeGroupView>,
    /// Copies removed (or to be).
    pub(crate) removed: u64,
    /// Bytes freed (or to be).
    pub(crate) bytes: u64,
    /// The batch `undo` reverts (apply only).
    pub(crate) batch: Option<i64>,
    /// What to know before applying (early deletion charges of archive classes).
    pub(crate) warnings: Vec<String>,
    /// Copies that could not be checked or removed, each naming its path or key.
    pub(crate) errors: Vec<String>,
}

/// A path as text for the UI.
pub(crate) fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl FilmstripView {
    fn of(previews: &Previews) -> Option<Self> {
        let entry = previews.manifest.filmstrip.as_ref()?;
        Some(FilmstripView {
            sprite: path_text(&previews.path(&entry.file)),
            frames: entry.frames,
            columns: entry.columns,
            tile_width: entry.tile_width,
            tile_height: entry.tile_height,
        })
    }
}

impl PreviewView {
    /// The files of a cache entry.
    pub(crate) fn of(previews: &Previews) -> Self {
        PreviewView {
            poster: previews.poster(320).map(|p| path_text(&p)),
            poster_large: previews.poster(1280).map(|p| path_text(&p)),
            proxy: previews.proxy().map(|p| path_text(&p)),
            filmstrip: FilmstripView::of(previews),
            waveform: previews.waveform().map(|(_, png)| path_text(&png)),
            duration: previews.manifest.duration,
        }
    }
}

/// The badges of an asset: `offline` (no copy reachable), `archived` (every copy in an archive
/// storage class), `restoring` / `ready` (a restore of an archived copy is under way / its
/// temporary copy is readable, from the location's `archive_state`), `duplicate` (in a group the
/// duplicates view found).
pub(crate) fn badges(asset: &AssetView, duplicate: bool) -> Vec<&'static str> {
    let mut badges = Vec::new();
    if !asset.online {
        badges.push("offline");
    }
    let media: Vec<_> = asset
        .locations
        .iter()
        .filter(|l| l.role == "media")
        .collect();
    let state = |s: &str| media.iter().any(|l| l.archive_state.as_deref() == Some(s));
    if state("ready") {
        badges.push("ready");
    } else if state("restoring") {
        badges.push("restoring");
    } else if !media.is_empty()
        && media.iter().all(|l| {
            l.archive_state.as_deref() == Some("archived")
                || l.storage_class
                    .as_deref()
                    .is_some_and(|c| ARCHIVE_CLASSES.contains(&c))
        })
    {
        badges.push("archived");
    }
    if duplicate {
        badges.push("duplicate");
    }
    badges
}

impl AssetItem {
    /// A grid item from the engine's asset and its previews.
    pub(crate) fn new(asset: &AssetView, previews: Option<&Previews>, duplicate: bool) -> Self {
        let number = |key: &str| asset.metadata.get(key).and_then(serde_json::Value::as_f64);
        let dimensions = match (number("width"), number("height")) {
            (Some(w), Some(h)) => Some(format!("{w}×{h}")),
            _ => None,
        };
        let media = asset.locations.iter().find(|l| l.role == "media");
        AssetItem {
            id: asset.id.0,
            title: asset.title.clone(),
            media_type: asset.media_type.to_string(),
            path: media.and_then(|l| l.path.clone()),
            size: media.map_or(0, |l| l.size),
            duration: number("duration"),
            dimensions,
            badges: badges(asset, duplicate),
            poster: previews.and_then(|p| p.poster(320)).map(|p| path_text(&p)),
            filmstrip: previews.and_then(FilmstripView::of),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An asset with one media copy per `(storage class, archive state)`.
    fn asset_with(copies: &[(Option<&str>, Option<&str>)]) -> AssetView {
        use trove_core::{AssetId, LocationId, LocationState, LocationView, MediaType, SourceId};
        AssetView {
            id: AssetId(1),
            title: "reel".into(),
            media_type: MediaType::Video,
            metadata: BTreeMap::new(),
            provenance: BTreeMap::new(),
            claims: Vec::new(),
            conflicts: BTreeMap::new(),
            merge_conflicts: Vec::new(),
            errors: Vec::new(),
            online: true,
            locations: copies
                .iter()
                .enumerate()
                .map(|(i, (class, state))| LocationView {
                    id: LocationId(i as i64),
                    source_id: SourceId(1),
                    uri: format!("s3://b/k{i}"),
                    path: None,
                    size: 1,
                    mtime_ns: None,
                    mime: None,
                    role: "media".into(),
                    storage_class: class.map(str::to_owned),
                    etag: None,
                    version_id: None,
                    archive_state: state.map(str::to_owned),
                    checksums: None,
                    state: LocationState::Present,
                    online: true,
                })
                .collect(),
        }
    }

    #[test]
    fn badges_follow_the_archive_state() {
        let check = |copies: &[(Option<&str>, Option<&str>)], expected: &[&str]| {
            assert_eq!(badges(&asset_with(copies), false), expected, "{copies:?}");
        };
        check(&[(Some("DEEP_ARCHIVE"), Some("archived"))], &["archived"]);
        check(&[(Some("DEEP_ARCHIVE"), Some("restoring"))], &["restoring"]);
        check(&[(Some("DEEP_ARCHIVE"), Some("ready"))], &["ready"]);
        check(&[(Some("GLACIER"), None)], &["archived"]);
        check(&[(Some("STANDARD"), None)], &[]);
        // A readable copy beside the archived one: not archived.
        check(
            &[(Some("DEEP_ARCHIVE"), Some("archived")), (None, None)],
            &[],
        );
        // Ready wins over restoring.
        check(
            &[
                (Some("DEEP_ARCHIVE"), Some("restoring")),
                (Some("GLACIER"), Some("ready")),
            ],
            &["ready"],
        );
    }

    #[test]
    fn edits_become_engine_assignments() {
        let edit = |op, value: &str| FieldEdit {
            field: "keywords".into(),
            op,
            value: value.into(),
        };
        assert_eq!(edit(EditOp::Set, "a").assignment_text(), "keywords=a");
        assert_eq!(edit(EditOp::Add, "b").assignment_text(), "keywords+=b");
        assert_eq!(edit(EditOp::Remove, "c").assignment_text(), "keywords-=c");
    }

    #[test]
    fn job_messages_are_tagged_camel_case() {
        let message = JobMessage::Progress {
            id: 7,
            fraction: 0.5,
            fps: None,
            eta_secs: Some(3.0),
        };
        let json = serde_json::to_value(&message).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"event": "progress", "id": 7, "fraction": 0.5, "fps": null, "etaSecs": 3.0})
        );
    }
}
