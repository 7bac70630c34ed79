//! Duplicates: exact copies found by content (trove-hash, with the hash cache in the catalog),
//! near ones by perceptual prints, and the safe removal of extra copies.
//!
//! Content identity: once copies are hashed, their media locations are attached to one asset
//! (the catalog's `merge_identical`, journalled, undoable), so an exact duplicate is an asset
//! with several locations. A read-only run (a dry run) hashes without recording anything.
//!
//! Removal never deletes: an extra copy is re-verified (its bytes must still hash to the
//! group's), then moved into the library's `quarantine/` folder, journalled as an edit batch;
//! `trove undo` moves it back and verifies it again. The copy a policy keeps is verified first,
//! and a group whose keeper changed is left alone, so the last good copy is never touched.

use crate::{Error, Library, Result};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use trove_catalog::{
    FileHashRow, IdenticalCopies, LocalFile, MergeDone, NearPrintRow, Quality, Removal,
};
use trove_core::{file_uri, AssetId, LocationId, MergeConflict, SourceId};
use trove_hash::near::{self, Fingerprint, VideoOptions};
use trove_hash::{CacheKey, CachedHashes, ContentHash, FileFacts, MemoryCache, PARTIAL_SCHEME};

/// The quarantine folder inside the library.
pub const QUARANTINE_DIR: &str = "quarantine";

/// One copy in a group (a LOCATION of cli.md, with what a policy needs).
#[derive(Debug, Clone, Serialize)]
pub struct DupeMember {
    /// The location.
    pub location_id: LocationId,
    /// Its source.
    pub source_id: SourceId,
    /// `file:///…`.
    pub uri: String,
    /// The absolute path.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// S3 storage class (none for local files).
    pub storage_class: Option<String>,
    /// Whether it can be read now.
    pub online: bool,
    /// Modification time, in nanoseconds since the epoch.
    pub mtime_ns: Option<i64>,
    /// The asset it belongs to (after merging, one per exact group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<AssetId>,
    /// `media`, or `sidecar` for an XMP sidecar (never merged into another asset).
    pub role: String,
    /// Pixels across, from its probe (what keep-highest-quality compares).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u64>,
    /// Pixels down, from its probe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Bits per second, from its probe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bit_rate: Option<u64>,
}

impl DupeMember {
    /// The storage tier of the copy: `local` (a file), `cloud` (an S3 object that can be read
    /// now) or `archive` (an S3 object in an archive class). Copies in different tiers are
    /// backups of each other, not clutter.
    pub fn tier(&self) -> &'static str {
        if !self.uri.starts_with("s3://") {
            "local"
        } else if self.storage_class.as_deref().is_some_and(is_archive_class) {
            "archive"
        } else {
            "cloud"
        }
    }

    /// Whether it can be read now without a restore.
    fn readable(&self) -> bool {
        self.online && self.tier() != "archive"
    }

    fn pixels(&self) -> u64 {
        self.width.unwrap_or(0) * self.height.unwrap_or(0)
    }
}

/// S3 storage classes whose objects must be restored before they can be read.
fn is_archive_class(class: &str) -> bool {
    matches!(class, "GLACIER" | "DEEP_ARCHIVE" | "GLACIER_IR_ARCHIVE")
}

/// Copies of one content (`exact`) or look-alikes (`near`).
#[derive(Debug, Clone, Serialize)]
pub struct DupeGroup {
    /// `exact` or `near`.
    pub kind: &'static str,
    /// Bytes per copy (exact), or of the largest member (near).
    pub size: u64,
    /// The BLAKE3 of the content (exact groups); for copies that are all S3 objects, the key
    /// they share: `sha256:<hex>` (a full-object SHA-256 checksum) or `md5:<hex>` (a single-part
    /// ETag) — see `dupes_s3.rs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// The weakest similarity inside the group, 0..=1 (near groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// The copies, in path order.
    pub members: Vec<DupeMember>,
    /// The asset all members belong to, when they are one (exact copies, once merged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<AssetId>,
    /// User values that disagreed when the copies were merged, for the editor.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<MergeConflict>,
    /// The copy `dupes remove` would keep by default (keep-oldest for exact copies,
    /// keep-highest-quality for look-alikes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_keeper: Option<LocationId>,
}

/// The `trove dupes --json` document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DupesReport {
    /// The groups, exact ones first, largest first.
    pub groups: Vec<DupeGroup>,
    /// Files looked at.
    pub files: u64,
    /// Bytes read to hash them (the rest was told apart by size, or known from the cache).
    pub bytes_read: u64,
    /// Bytes of S3 objects read (GET) to hash them: only objects without a comparable key,
    /// readable now, with another copy candidate of their size.
    pub s3_bytes_read: u64,
    /// Files that could not be read, each naming its path.
    pub errors: Vec<String>,
    /// Assets merged into another because their copies hold the same bytes.
    pub merged: Vec<MergeDone>,
    /// The edit batch of those merges (`trove undo BATCH` splits them back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_batch: Option<i64>,
    /// Pictures and videos fingerprinted by this run (with `near`; the others' prints were
    /// kept from an earlier run).
    pub near_printed: u64,
}

/// How [`Library::find_dupes_with`] runs.
#[derive(Debug, Clone)]
pub struct DupesOptions {
    /// Also group look-alike pictures and videos.
    pub near: bool,
    /// Record what hashing learnt: the hash cache, each copy's content hash, and copies of one
    /// content attached to one asset. Off, the catalog is not written at all (a dry run).
    pub record: bool,
    /// How alike, from 0 to 1, look-alikes must be to be grouped; none: the defaults
    /// ([`near::STILL_THRESHOLD`] for pictures, [`near::VIDEO_THRESHOLD`] for videos).
    pub min_similarity: Option<f32>,
}

impl Default for DupesOptions {
    fn default() -> Self {
        DupesOptions {
            near: false,
            record: true,
            min_similarity: None,
        }
    }
}

/// How [`Library::remove_dupes`] runs.
#[derive(Debug, Clone)]
pub struct RemoveOptions {
    /// Which copy of each group stays.
    pub policy: KeepPolicy,
    /// Remove (move to the quarantine); off, only say what would happen and change nothing.
    pub apply: bool,
    /// Also remove look-alikes (re-encodes, resizes, trims) other than the keeper.
    pub near: bool,
    /// How alike look-alikes must be ([`DupesOptions::min_similarity`]).
    pub min_similarity: Option<f32>,
    /// Treat copies in other storage tiers (a local copy and its S3 archive) as clutter too;
    /// off, they are kept as backups.
    pub across_tiers: bool,
}

/// Which copy of a group stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepPolicy {
    /// The oldest file (by modification time; then path order).
    Oldest,
    /// The best copy by resolution, then bit rate (from the probe's claims), then the oldest;
    /// exact copies are all equal, so the oldest of them.
    HighestQuality,
    /// The copy in this source (id, URI or path); groups without one are left alone.
    InSource(String),
    /// A copy that can be read now (the oldest of them); never only an archived one when an
    /// online one exists, and groups with no readable copy are left alone.
    Online,
}

impl std::str::FromStr for KeepPolicy {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<KeepPolicy, String> {
        Ok(match text {
            "keep-oldest" => KeepPolicy::Oldest,
            "keep-highest-quality" => KeepPolicy::HighestQuality,
            "keep-online" => KeepPolicy::Online,
            _ => match text
                .strip_prefix("keep-in-source:")
                .or_else(|| text.strip_prefix("keep-in-source="))
            {
                Some(source) if !source.is_empty() => KeepPolicy::InSource(source.to_owned()),
                _ => {
                    return Err(format!(
                        "policy {text:?}: use keep-oldest, keep-highest-quality, keep-online or \
                         keep-in-source:SOURCE"
                    ))
                }
            },
        })
    }
}

/// What happened (or would happen) to one group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupPlan {
    /// `exact` or `near`.
    pub kind: &'static str,
    /// The content (exact groups).
    pub hash: String,
    /// The copy kept.
    pub keep: Option<DupeMember>,
    /// Copies removed (moved to the quarantine), or to be removed in a dry run.
    pub remove: Vec<DupeMember>,
    /// Copies left in place, with why.
    pub skipped: Vec<Skipped>,
}

/// A copy not removed.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The copy.
    pub member: DupeMember,
    /// Why.
    pub reason: String,
}

/// The `trove dupes remove --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct RemovalReport {
    /// Nothing was changed.
    pub dry_run: bool,
    /// Per group.
    pub groups: Vec<GroupPlan>,
    /// Copies removed (or to be).
    pub removed: u64,
    /// Bytes freed (or to be).
    pub bytes: u64,
    /// The edit batch `trove undo` reverts (apply only).
    pub batch: Option<i64>,
    /// Files that could not be checked (unreadable, or changed since the scan: those are
    /// kept), each naming its path.
    pub errors: Vec<String>,
    /// Things to know before applying, such as the minimum storage duration billed when an
    /// object in an archive class is removed early.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The member of a group for a local file.
pub(crate) fn member(file: &LocalFile) -> DupeMember {
    DupeMember {
        location_id: file.location,
        source_id: file.source,
        uri: file_uri(&file.path),
        path: file.path.to_string_lossy().into_owned(),
        size: file.size,
        storage_class: None,
        online: true,
        mtime_ns: file.mtime_ns,
        asset_id: file.asset,
        role: file.role.clone(),
        width: None,
        height: None,
        bit_rate: None,
    }
}

/// The keeper of a group and what becomes of the other copies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Choice {
    /// Index of the copy kept; none: no copy fits the policy and the group is left alone.
    pub keep: Option<usize>,
    /// Indexes of the copies to remove.
    pub remove: Vec<usize>,
    /// Indexes of copies kept as backups (another storage tier), with the tier.
    pub backups: Vec<(usize, &'static str)>,
}

/// Picks the copy to keep by `policy` (ties go to the oldest, then the first path) and sorts the
/// others into removals and backups. `in_source` says whether a copy is in the source a
/// keep-in-source policy names.
pub(crate) fn choose(
    policy: &KeepPolicy,
    members: &[DupeMember],
    in_source: &dyn Fn(&DupeMember) -> bool,
    across_tiers: bool,
) -> Choice {
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&members[a], &members[b]);
        (a.mtime_ns.is_none(), a.mtime_ns, &a.path).cmp(&(
            b.mtime_ns.is_none(),
            b.mtime_ns,
            &b.path,
        ))
    });
    let keep = match policy {
        KeepPolicy::Oldest => order.first().copied(),
        KeepPolicy::HighestQuality => {
            // The first of the best, so ties keep the oldest.
            let best = order
                .iter()
                .map(|&i| (members[i].pixels(), members[i].bit_rate.unwrap_or(0)))
                .max();
            order
                .iter()
                .copied()
                .find(|&i| Some((members[i].pixels(), members[i].bit_rate.unwrap_or(0))) == best)
        }
        KeepPolicy::InSource(_) => order.iter().copied().find(|&i| in_source(&members[i])),
        KeepPolicy::Online => order.iter().copied().find(|&i| members[i].readable()),
    };
    let Some(keep) = keep else {
        return Choice::default();
    };
    let tier = members[keep].tier();
    let mut choice = Choice {
        keep: Some(keep),
        ..Choice::default()
    };
    for i in order.into_iter().filter(|&i| i != keep) {
        let other = members[i].tier();
        if other != tier && !across_tiers {
            choice.backups.push((i, other));
        } else {
            choice.remove.push(i);
        }
    }
    choice
}

fn hash_of(bytes: &Option<Vec<u8>>) -> Option<ContentHash> {
    let bytes: [u8; 32] = bytes.as_deref()?.try_into().ok()?;
    Some(ContentHash(bytes))
}

/// Moves `from` to `to` (a rename, else a copy that is checked, given the original's
/// modification time so a rescan sees the same file, and then the original removed).
fn move_file(from: &Path, to: &Path, hash: &ContentHash) -> std::io::Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    let modified = std::fs::metadata(from)?.modified()?;
    std::fs::copy(from, to)?;
    std::fs::File::options()
        .write(true)
        .open(to)?
        .set_modified(modified)?;
    match trove_hash::verify(to, hash) {
        Ok(true) => std::fs::remove_file(from),
        _ => {
            let _ = std::fs::remove_file(to);
            Err(std::io::Error::other(format!(
                "the copy at {} does not match; {} left in place",
                to.display(),
                from.display()
            )))
        }
    }
}

/// Whether a file still has the size and modification time the catalog knows.
fn unchanged_since_scan(member: &DupeMember) -> std::result::Result<bool, String> {
    let meta = std::fs::metadata(&member.path).map_err(|e| format!("{}: {e}", member.path))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64);
    Ok(meta.len() == member.size && (member.mtime_ns.is_none() || mtime == member.mtime_ns))
}

fn author() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}

impl Library {
    /// Finds duplicate files among the online local sources: exact copies always, look-alike
    /// pictures and videos too with `near`. Copies of one content are attached to one asset.
    pub async fn find_dupes(&self, near: bool) -> Result<DupesReport> {
        self.find_dupes_with(&DupesOptions {
            near,
            ..DupesOptions::default()
        })
        .await
    }

    /// Finds duplicates as `options` say.
    pub async fn find_dupes_with(&self, options: &DupesOptions) -> Result<DupesReport> {
        let started = std::time::Instant::now();
        let files = self.catalog.local_files().await?;
        let known = self.catalog.file_hashes().await?;
        tracing::debug!(elapsed = ?started.elapsed(), files = files.len(), "catalog read");
        let cache: MemoryCache = known
            .iter()
            .filter(|r| r.scheme == i64::from(PARTIAL_SCHEME))
            .map(|r| {
                (
                    CacheKey {
                        dev: r.device,
                        ino: r.inode,
                        size: r.size,
                        mtime_ns: r.mtime_ns,
                    },
                    CachedHashes {
                        partial: hash_of(&r.partial),
                        full: hash_of(&r.full),
                    },
                )
            })
            .collect();
        let facts: Vec<FileFacts> = files
            .iter()
            .filter_map(|f| {
                Some(FileFacts {
                    path: f.path.clone(),
                    dev: f.device?,
                    ino: f.inode?,
                    size: f.size,
                    mtime_ns: f.mtime_ns?,
                })
            })
            .collect();
        let (exact, cache) = tokio::task::spawn_blocking(move || {
            let exact = trove_hash::find_exact(&facts, &cache, &Default::default(), &|_| {});
            (exact, cache)
        })
        .await
        .map_err(|e| Error::Internal(format!("hashing failed: {e}")))?;
        tracing::debug!(elapsed = ?started.elapsed(), "hashed");
        if options.record {
            // Keep what was learnt for the next run.
            let before: HashSet<FileHashRow> = known.into_iter().collect();
            let fresh: Vec<FileHashRow> = cache
                .into_entries()
                .into_iter()
                .map(|(k, h)| FileHashRow {
                    device: k.dev,
                    inode: k.ino,
                    size: k.size,
                    mtime_ns: k.mtime_ns,
                    scheme: i64::from(PARTIAL_SCHEME),
                    partial: h.partial.map(|p| p.0.to_vec()),
                    full: h.full.map(|f| f.0.to_vec()),
                })
                .filter(|r| !before.contains(r))
                .collect();
            self.catalog.put_file_hashes(&fresh).await?;
            tracing::debug!(elapsed = ?started.elapsed(), "hash cache stored");
        }

        let by_path: HashMap<&Path, &LocalFile> =
            files.iter().map(|f| (f.path.as_path(), f)).collect();
        let mut report = DupesReport {
            files: exact.stats.files,
            bytes_read: exact.stats.bytes_read,
            errors: exact.errors.iter().map(ToString::to_string).collect(),
            ..DupesReport::default()
        };
        let mut hashes = Vec::new();
        let mut identical = Vec::new();
        for group in &exact.groups {
            let hash = group.hash.to_string();
            let files: Vec<&LocalFile> = group
                .copies
                .iter()
                .filter_map(|c| by_path.get(c.facts.path.as_path()).copied())
                .collect();
            // Only hashes not recorded yet are written.
            hashes.extend(
                files
                    .iter()
                    .filter(|f| f.content_hash.as_deref() != Some(hash.as_str()))
                    .map(|f| (f.location, hash.clone())),
            );
            let members: Vec<DupeMember> = files.into_iter().map(member).collect();
            identical.push(IdenticalCopies {
                content_hash: group.hash.to_string(),
                locations: members
                    .iter()
                    .filter(|m| m.role == "media")
                    .map(|m| m.location_id)
                    .collect(),
            });
            report.groups.push(DupeGroup {
                kind: "exact",
                size: group.size,
                hash: Some(group.hash.to_string()),
                score: None,
                members,
                asset_id: None,
                conflicts: Vec::new(),
                suggested_keeper: None,
            });
        }
        // S3 objects join these groups or form their own (dupes_s3.rs).
        self.add_s3_copies(
            &files,
            options.record,
            &mut report,
            &mut hashes,
            &mut identical,
        )
        .await?;
        if options.record {
            self.catalog.set_content_hashes(&hashes).await?;
            tracing::debug!(elapsed = ?started.elapsed(), "content hashes stored");
            let merged = self
                .catalog
                .merge_identical(
                    &author(),
                    "dupes: copies of one content merged into one asset",
                    &identical,
                )
                .await?;
            report.merge_batch = merged.batch;
            report.merged = merged.merges;
            tracing::debug!(elapsed = ?started.elapsed(), "copies merged");
        }
        if options.near {
            if let Some(s) = options.min_similarity.filter(|s| !(0.0..=1.0).contains(s)) {
                return Err(Error::InvalidInput(format!(
                    "min similarity {s}: give a number from 0 to 1"
                )));
            }
            let known: HashMap<CacheKey, std::result::Result<Vec<u8>, String>> = self
                .catalog
                .near_prints()
                .await?
                .into_iter()
                .map(|r| {
                    let key = CacheKey {
                        dev: r.device,
                        ino: r.inode,
                        size: r.size,
                        mtime_ns: r.mtime_ns,
                    };
                    (key, r.print)
                })
                .collect();
            let media = files.clone();
            let min_similarity = options.min_similarity;
            let near =
                tokio::task::spawn_blocking(move || near_groups(media, &known, min_similarity))
                    .await
                    .map_err(|e| Error::Internal(format!("near-duplicate prints failed: {e}")))?;
            report.near_printed = near.fresh.len() as u64;
            if options.record {
                self.catalog.put_near_prints(&near.fresh).await?;
            }
            for (score, group) in near.groups {
                let size = group.iter().map(|f| f.size).max().unwrap_or(0);
                report.groups.push(DupeGroup {
                    kind: "near",
                    size,
                    hash: None,
                    score: Some(score),
                    members: group.iter().map(member).collect(),
                    asset_id: None,
                    conflicts: Vec::new(),
                    suggested_keeper: None,
                });
            }
            report.errors.extend(near.errors);
        }
        self.annotate(&mut report.groups).await?;
        tracing::debug!(elapsed = ?started.elapsed(), "groups annotated");
        Ok(report)
    }

    /// Fills in each member's asset (as it is now) and probe quality, each group's asset,
    /// merge conflicts and suggested keeper.
    async fn annotate(&self, groups: &mut [DupeGroup]) -> Result<()> {
        let ids: Vec<LocationId> = groups
            .iter()
            .flat_map(|g| g.members.iter().map(|m| m.location_id))
            .collect();
        let assets = self.catalog.location_assets(&ids).await?;
        let quality = self.catalog.location_quality(&ids).await?;
        // Only the assets of exact copies can hold merge conflicts.
        let exact_assets: Vec<AssetId> = groups
            .iter()
            .filter(|g| g.kind == "exact")
            .flat_map(|g| g.members.iter())
            .filter_map(|m| assets.get(&m.location_id).copied())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut conflicts = self.merge_conflicts_of(&exact_assets).await?;
        for group in groups {
            for m in &mut group.members {
                m.asset_id = assets.get(&m.location_id).copied();
                let q: Quality = quality.get(&m.location_id).copied().unwrap_or_default();
                (m.width, m.height, m.bit_rate) = (q.width, q.height, q.bit_rate);
            }
            let media: HashSet<Option<AssetId>> = group
                .members
                .iter()
                .filter(|m| m.role == "media")
                .map(|m| m.asset_id)
                .collect();
            if group.kind == "exact" && media.len() == 1 {
                group.asset_id = media.into_iter().next().flatten();
            }
            if let Some(asset) = group.asset_id {
                group.conflicts = conflicts.remove(&asset).unwrap_or_default();
            }
            let policy = if group.kind == "exact" {
                KeepPolicy::Oldest
            } else {
                KeepPolicy::HighestQuality
            };
            group.suggested_keeper = choose(&policy, &group.members, &|_| false, false)
                .keep
                .map(|i| group.members[i].location_id);
        }
        Ok(())
    }

    /// The standing conflicts of merges into `asset`, with the other copies' URIs.
    pub(crate) async fn merge_conflicts(&self, asset: AssetId) -> Result<Vec<MergeConflict>> {
        let mut all = self.merge_conflicts_of(&[asset]).await?;
        Ok(all.remove(&asset).unwrap_or_default())
    }

    /// [`Library::merge_conflicts`] of many assets, by asset (those without any left out).
    async fn merge_conflicts_of(
        &self,
        assets: &[AssetId],
    ) -> Result<HashMap<AssetId, Vec<MergeConflict>>> {
        let mut out = HashMap::new();
        for (asset, rows) in self.catalog.merge_conflicts_of(assets).await? {
            // Few assets have conflicts: their views (for the other copies' URIs) one by one.
            let view = self.catalog.asset(asset).await?;
            let uri = |id: &LocationId| {
                view.as_ref()
                    .and_then(|v| v.locations.iter().find(|l| l.id == *id))
                    .map(|l| l.uri.clone())
            };
            let conflicts = rows
                .into_iter()
                .map(|r| MergeConflict {
                    other_locations: r.other_locations.iter().filter_map(&uri).collect(),
                    field: r.field,
                    kept: r.kept,
                    other: r.other,
                    other_asset: r.other_asset,
                    batch: r.batch,
                })
                .collect();
            out.insert(asset, conflicts);
        }
        Ok(out)
    }

    /// Removes the extra copies of duplicates by `options.policy` (moved into the quarantine
    /// and journalled, so `trove undo` puts them back), or without `apply` only says what it
    /// would do and changes nothing, neither files nor the catalog.
    pub async fn remove_dupes(
        &self,
        options: &RemoveOptions,
        command: &str,
    ) -> Result<RemovalReport> {
        let apply = options.apply;
        let found = self
            .find_dupes_with(&DupesOptions {
                near: options.near,
                record: apply,
                min_similarity: options.min_similarity,
            })
            .await?;
        let sources = self.catalog.sources().await?;
        let in_source = |m: &DupeMember| {
            let KeepPolicy::InSource(reference) = &options.policy else {
                return false;
            };
            sources.iter().any(|s| {
                s.id == m.source_id
                    && (s.uri == *reference
                        || s.id.0.to_string() == *reference
                        || s.root
                            .as_deref()
                            .is_some_and(|r| r == Path::new(reference.as_str())))
            })
        };
        let quarantine = self.dir().join(QUARANTINE_DIR);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut report = RemovalReport {
            dry_run: !apply,
            groups: Vec::new(),
            removed: 0,
            bytes: 0,
            batch: None,
            errors: found.errors.clone(),
            warnings: Vec::new(),
        };
        // S3 copies: checked by a HEAD and removed undoably in their bucket (dupes_s3.rs).
        let mut s3 = crate::dupes_s3::S3Removals::default();
        let mut removals = Vec::new();
        // A copy removed as part of one group is not considered again in another.
        let mut gone: HashSet<LocationId> = HashSet::new();
        for group in found.groups {
            let hash_text = group.hash.clone().unwrap_or_default();
            let exact_hash = ContentHash::from_hex(&hash_text);
            if group.kind == "exact"
                && exact_hash.is_none()
                && !crate::dupes_s3::is_s3_key(&hash_text)
            {
                continue;
            }
            let members: Vec<DupeMember> = group
                .members
                .into_iter()
                .filter(|m| !gone.contains(&m.location_id))
                .collect();
            if members.len() < 2 {
                continue;
            }
            let choice = choose(&options.policy, &members, &in_source, options.across_tiers);
            let mut plan = GroupPlan {
                kind: group.kind,
                hash: hash_text,
                keep: None,
                remove: Vec::new(),
                skipped: Vec::new(),
            };
            let Some(keeper) = choice.keep else {
                plan.skipped = members
                    .into_iter()
                    .map(|member| Skipped {
                        member,
                        reason: "no copy matches the policy; the group is left alone".into(),
                    })
                    .collect();
                report.groups.push(plan);
                continue;
            };
            let keep = members[keeper].clone();
            for (i, tier) in &choice.backups {
                plan.skipped.push(Skipped {
                    member: members[*i].clone(),
                    reason: format!(
                        "a copy in another storage tier ({tier}) is a backup, not clutter \
                         (--across-tiers removes it)"
                    ),
                });
            }
            // The keeper must still be what was found, or nothing of the group is touched.
            let keeper_ok = !apply
                || match &exact_hash {
                    _ if keep.uri.starts_with("s3://") => s3.keeper_unchanged(self, &keep).await,
                    Some(hash) => {
                        matches!(trove_hash::verify(Path::new(&keep.path), hash), Ok(true))
                    }
                    None => matches!(unchanged_since_scan(&keep), Ok(true)),
                };
            if !keeper_ok {
                for &i in &choice.remove {
                    plan.skipped.push(Skipped {
                        member: members[i].clone(),
                        reason: format!(
                            "the copy to keep ({}) changed since it was hashed",
                            keep.path
                        ),
                    });
                }
                plan.keep = Some(keep);
                report.groups.push(plan);
                continue;
            }
            for &i in &choice.remove {
                let extra = members[i].clone();
                if extra.uri.starts_with("s3://") {
                    match s3.remove(self, &extra, &plan.hash, apply).await {
                        Ok(()) => {
                            gone.insert(extra.location_id);
                            report.removed += 1;
                            report.bytes += extra.size;
                            plan.remove.push(extra);
                        }
                        Err(reason) => plan.skipped.push(Skipped {
                            member: extra,
                            reason,
                        }),
                    }
                    continue;
                }
                if !extra.uri.starts_with("file://") {
                    plan.skipped.push(Skipped {
                        member: extra,
                        reason: "only local copies are removed so far".into(),
                    });
                    continue;
                }
                let path = PathBuf::from(&extra.path);
                if apply {
                    // Exact copies must still hash to the group's content; look-alikes must
                    // be the file that was printed (same size and time), hashed for the undo.
                    let checked = match &exact_hash {
                        Some(hash) => trove_hash::verify(&path, hash)
                            .map(|same| same.then_some(*hash))
                            .map_err(|e| e.to_string()),
                        None => match unchanged_since_scan(&extra) {
                            Ok(true) => trove_hash::hash_file(&path)
                                .map(Some)
                                .map_err(|e| e.to_string()),
                            Ok(false) => Ok(None),
                            Err(e) => Err(e),
                        },
                    };
                    let hash = match checked {
                        Ok(Some(hash)) => hash,
                        Ok(None) => {
                            plan.skipped.push(Skipped {
                                member: extra,
                                reason: "changed since it was scanned; kept".into(),
                            });
                            continue;
                        }
                        Err(reason) => {
                            plan.skipped.push(Skipped {
                                member: extra,
                                reason,
                            });
                            continue;
                        }
                    };
                    let kept = trove_catalog::quarantine_path(
                        &quarantine,
                        stamp,
                        extra.location_id,
                        &path,
                    );
                    if let Err(e) = move_file(&path, &kept, &hash) {
                        plan.skipped.push(Skipped {
                            member: extra,
                            reason: format!("cannot move it to {}: {e}", kept.display()),
                        });
                        continue;
                    }
                    removals.push(Removal {
                        location: extra.location_id,
                        original: path,
                        kept,
                        hash: hash.to_string(),
                    });
                }
                gone.insert(extra.location_id);
                report.removed += 1;
                report.bytes += extra.size;
                plan.remove.push(extra);
            }
            plan.keep = Some(keep);
            report.groups.push(plan);
        }
        report.warnings.append(&mut s3.warnings);
        if apply && !(removals.is_empty() && s3.removals.is_empty()) {
            // One batch for local and S3 removals alike (dupes_s3.rs).
            report.batch = Some(
                self.catalog
                    .record_removals(&author(), command, &removals, &s3.removals)
                    .await?,
            );
        }
        Ok(report)
    }

    /// Puts back the copies an edit batch removed (verifying each); returns how many.
    pub(crate) async fn restore_removals(&self, batch: i64) -> Result<u64> {
        // S3 copies first (dupes_s3.rs).
        let mut restored = self.restore_s3_removals(batch).await?;
        for removal in self.catalog.removals(batch).await? {
            let Some(hash) = ContentHash::from_hex(&removal.hash) else {
                continue;
            };
            if removal.original.exists() {
                return Err(Error::InvalidInput(format!(
                    "cannot put {} back: something else is there now (the removed copy is kept at {})",
                    removal.original.display(),
                    removal.kept.display()
                )));
            }
            move_file(&removal.kept, &removal.original, &hash).map_err(|source| {
                Error::Library {
                    path: removal.original.clone(),
                    source,
                }
            })?;
            self.catalog.restored(batch, removal.location).await?;
            restored += 1;
        }
        Ok(restored)
    }
}

/// Look-alike files with the weakest similarity among them.
type Scored = (f32, Vec<LocalFile>);

/// What [`near_groups`] found and made.
struct NearOutcome {
    groups: Vec<Scored>,
    /// Files that could not be printed (now or when they were first tried), each naming its path.
    errors: Vec<String>,
    /// Prints (and failures) made now, for the catalog.
    fresh: Vec<NearPrintRow>,
}

/// Near-duplicate groups among pictures and videos. Prints of file versions in `known` are
/// reused (a failure there is reported again, not retried); the others are made in parallel.
fn near_groups(
    media: Vec<LocalFile>,
    known: &HashMap<CacheKey, std::result::Result<Vec<u8>, String>>,
    min_similarity: Option<f32>,
) -> NearOutcome {
    use rayon::prelude::*;
    let mut out = NearOutcome {
        groups: Vec::new(),
        errors: Vec::new(),
        fresh: Vec::new(),
    };
    for (kind, default) in [
        ("image", near::STILL_THRESHOLD),
        ("video", near::VIDEO_THRESHOLD),
    ] {
        let files: Vec<&LocalFile> = media.iter().filter(|f| f.media_type == kind).collect();
        let printed: Vec<(
            std::result::Result<Fingerprint, String>,
            Option<NearPrintRow>,
        )> = files
            .par_iter()
            .map(|file| {
                let key = cache_key(file);
                match key.and_then(|k| known.get(&k)) {
                    Some(Err(reason)) => return (Err(reason.clone()), None),
                    Some(Ok(bytes)) => {
                        // A print of another encoding version is made again.
                        if let Ok(print) = Fingerprint::from_bytes(bytes) {
                            return (Ok(print), None);
                        }
                    }
                    None => {}
                }
                let print = if kind == "image" {
                    near::still_print(&file.path).map(Fingerprint::Still)
                } else {
                    let options = VideoOptions {
                        timeout: Duration::from_secs(600),
                    };
                    near::video_print(&file.path, &options).map(Fingerprint::Video)
                }
                .map_err(|e| e.to_string());
                let row = key.map(|k| NearPrintRow {
                    device: k.dev,
                    inode: k.ino,
                    size: k.size,
                    mtime_ns: k.mtime_ns,
                    print: print
                        .as_ref()
                        .map(Fingerprint::to_bytes)
                        .map_err(Clone::clone),
                });
                (print, row)
            })
            .collect();
        let mut prints = Vec::new();
        let mut kept = Vec::new();
        for (file, (print, row)) in files.into_iter().zip(printed) {
            out.fresh.extend(row);
            match print {
                Ok(print) => {
                    prints.push(print);
                    kept.push(file);
                }
                Err(e) => out.errors.push(e),
            }
        }
        for group in near::near_groups(&prints, min_similarity.unwrap_or(default)) {
            out.groups.push((
                group.score,
                group.members.iter().map(|&i| kept[i].clone()).collect(),
            ));
        }
    }
    out
}

/// What identifies the version of a file without reading it, when the catalog knows it all.
fn cache_key(file: &LocalFile) -> Option<CacheKey> {
    Some(CacheKey {
        dev: file.device?,
        ino: file.inode?,
        size: file.size,
        mtime_ns: file.mtime_ns?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy: `uri` decides local or S3; `mtime` its age; `pixels` its width (height 1).
    fn copy(uri: &str, class: Option<&str>, mtime: i64, width: u64, bit_rate: u64) -> DupeMember {
        DupeMember {
            location_id: LocationId(mtime),
            source_id: SourceId(if uri.starts_with("s3://") { 2 } else { 1 }),
            uri: uri.to_owned(),
            path: uri.trim_start_matches("file://").to_owned(),
            size: 10,
            storage_class: class.map(str::to_owned),
            online: true,
            mtime_ns: Some(mtime),
            asset_id: None,
            role: "media".into(),
            width: Some(width),
            height: Some(1),
            bit_rate: Some(bit_rate),
        }
    }

    fn kept(policy: &KeepPolicy, members: &[DupeMember], across_tiers: bool) -> Choice {
        let in_source = |m: &DupeMember| m.source_id == SourceId(2);
        choose(policy, members, &in_source, across_tiers)
    }

    #[test]
    fn keep_oldest_keeps_the_oldest_and_removes_the_rest_of_its_tier() {
        let members = [
            copy("file:///b/clip.mov", None, 30, 10, 1),
            copy("file:///a/clip.mov", None, 10, 10, 1),
            copy("file:///c/clip.mov", None, 20, 10, 1),
        ];
        let choice = kept(&KeepPolicy::Oldest, &members, false);
        assert_eq!(choice.keep, Some(1));
        assert_eq!(choice.remove, [2, 0]);
        assert!(choice.backups.is_empty());
    }

    #[test]
    fn keep_highest_quality_goes_by_resolution_then_bit_rate_then_age() {
        let members = [
            copy("file:///old-720p.mov", None, 10, 1280, 9_000),
            copy("file:///new-1080p-low.mov", None, 30, 1920, 2_000),
            copy("file:///new-1080p-high.mov", None, 40, 1920, 8_000),
        ];
        assert_eq!(
            kept(&KeepPolicy::HighestQuality, &members, false).keep,
            Some(2)
        );
        // Equal quality (exact copies): the oldest.
        let equal = [
            copy("file:///b.mov", None, 20, 1920, 8_000),
            copy("file:///a.mov", None, 10, 1920, 8_000),
        ];
        assert_eq!(
            kept(&KeepPolicy::HighestQuality, &equal, false).keep,
            Some(1)
        );
    }

    #[test]
    fn keep_in_source_keeps_the_copy_there_or_leaves_the_group_alone() {
        let members = [
            copy("file:///a.mov", None, 10, 1, 1),
            copy("s3://bucket/a.mov", Some("STANDARD"), 20, 1, 1),
        ];
        let choice = kept(&KeepPolicy::InSource("2".into()), &members, true);
        assert_eq!(choice.keep, Some(1));
        assert_eq!(choice.remove, [0]);
        let local = [
            copy("file:///a.mov", None, 10, 1, 1),
            copy("file:///b.mov", None, 20, 1, 1),
        ];
        assert_eq!(
            kept(&KeepPolicy::InSource("2".into()), &local, false),
            Choice::default()
        );
    }

    #[test]
    fn keep_online_never_keeps_only_an_archived_copy() {
        let members = [
            copy("s3://vault/a.mov", Some("DEEP_ARCHIVE"), 5, 1, 1),
            copy("file:///work/a.mov", None, 20, 1, 1),
            copy("file:///backup/a.mov", None, 30, 1, 1),
        ];
        let choice = kept(&KeepPolicy::Online, &members, false);
        assert_eq!(choice.keep, Some(1), "the oldest readable copy");
        assert_eq!(choice.remove, [2]);
        assert_eq!(choice.backups, [(0, "archive")], "the archive is a backup");
        // keep-oldest would keep the archived copy, and the local ones as another tier.
        let oldest = kept(&KeepPolicy::Oldest, &members, false);
        assert_eq!(oldest.keep, Some(0));
        assert_eq!(oldest.backups, [(1, "local"), (2, "local")]);
        // Nothing readable: left alone.
        let archived = [
            copy("s3://vault/a.mov", Some("GLACIER"), 5, 1, 1),
            copy("s3://vault/b.mov", Some("DEEP_ARCHIVE"), 6, 1, 1),
        ];
        assert_eq!(
            kept(&KeepPolicy::Online, &archived, false),
            Choice::default()
        );
    }

    #[test]
    fn copies_in_other_tiers_are_removed_only_across_tiers() {
        let members = [
            copy("file:///a.mov", None, 10, 1, 1),
            copy("s3://bucket/a.mov", Some("STANDARD"), 20, 1, 1),
            copy("s3://vault/a.mov", Some("GLACIER"), 30, 1, 1),
        ];
        let kept_apart = kept(&KeepPolicy::Oldest, &members, false);
        assert_eq!(kept_apart.backups, [(1, "cloud"), (2, "archive")]);
        assert!(kept_apart.remove.is_empty());
        let across = kept(&KeepPolicy::Oldest, &members, true);
        assert_eq!(across.remove, [1, 2]);
    }

    #[test]
    fn policies_parse() {
        assert_eq!("keep-oldest".parse(), Ok(KeepPolicy::Oldest));
        assert_eq!(
            "keep-highest-quality".parse(),
            Ok(KeepPolicy::HighestQuality)
        );
        assert_eq!("keep-online".parse(), Ok(KeepPolicy::Online));
        assert_eq!(
            "keep-in-source:/media/work".parse(),
            Ok(KeepPolicy::InSource("/media/work".into()))
        );
        assert!("keep-in-source:".parse::<KeepPolicy>().is_err());
        assert!("keep-newest".parse::<KeepPolicy>().is_err());
    }
}
