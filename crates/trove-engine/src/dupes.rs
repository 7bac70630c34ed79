//! Duplicates: exact copies found by content (trove-hash, with the hash cache in the catalog),
//! near ones by perceptual prints, and the safe removal of extra copies.
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
use trove_catalog::{FileHashRow, LocalFile, Removal};
use trove_core::{file_uri, LocationId, SourceId};
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
}

/// Copies of one content (`exact`) or look-alikes (`near`).
#[derive(Debug, Clone, Serialize)]
pub struct DupeGroup {
    /// `exact` or `near`.
    pub kind: &'static str,
    /// Bytes per copy (exact), or of the largest member (near).
    pub size: u64,
    /// The BLAKE3 of the content (exact groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// The weakest similarity inside the group, 0..=1 (near groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// The copies, in path order.
    pub members: Vec<DupeMember>,
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
    /// Files that could not be read, each naming its path.
    pub errors: Vec<String>,
}

/// Which copy of a group stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepPolicy {
    /// The oldest file (by modification time; then path order).
    Oldest,
    /// The best copy: for exact copies all are equal, so the oldest.
    HighestQuality,
    /// The copy in this source (id, URI or path); groups without one are left alone.
    InSource(String),
    /// A copy that can be read now (the oldest of them); never only an archived one.
    Online,
}

impl std::str::FromStr for KeepPolicy {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<KeepPolicy, String> {
        Ok(match text {
            "keep-oldest" => KeepPolicy::Oldest,
            "keep-highest-quality" => KeepPolicy::HighestQuality,
            "keep-online" => KeepPolicy::Online,
            _ => match text.strip_prefix("keep-in-source:") {
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
    /// The content.
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
}

fn member(file: &LocalFile) -> DupeMember {
    DupeMember {
        location_id: file.location,
        source_id: file.source,
        uri: file_uri(&file.path),
        path: file.path.to_string_lossy().into_owned(),
        size: file.size,
        storage_class: None,
        online: true,
        mtime_ns: file.mtime_ns,
    }
}

fn hash_of(bytes: &Option<Vec<u8>>) -> Option<ContentHash> {
    let bytes: [u8; 32] = bytes.as_deref()?.try_into().ok()?;
    Some(ContentHash(bytes))
}

/// Moves `from` to `to` (a rename, else a copy that is checked and then the original removed).
fn move_file(from: &Path, to: &Path, hash: &ContentHash) -> std::io::Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)?;
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

impl Library {
    /// Finds duplicate files among the online local sources: exact copies always, look-alike
    /// pictures and videos too with `near`.
    pub async fn find_dupes(&self, near: bool) -> Result<DupesReport> {
        let files = self.catalog.local_files().await?;
        let known = self.catalog.file_hashes().await?;
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

        let by_path: HashMap<&Path, &LocalFile> =
            files.iter().map(|f| (f.path.as_path(), f)).collect();
        let mut report = DupesReport {
            files: exact.stats.files,
            bytes_read: exact.stats.bytes_read,
            errors: exact.errors.iter().map(ToString::to_string).collect(),
            ..DupesReport::default()
        };
        let mut hashes = Vec::new();
        for group in &exact.groups {
            let members: Vec<DupeMember> = group
                .copies
                .iter()
                .filter_map(|c| by_path.get(c.facts.path.as_path()).map(|f| member(f)))
                .collect();
            for m in &members {
                hashes.push((m.location_id, group.hash.to_string()));
            }
            report.groups.push(DupeGroup {
                kind: "exact",
                size: group.size,
                hash: Some(group.hash.to_string()),
                score: None,
                members,
            });
        }
        self.catalog.set_content_hashes(&hashes).await?;
        if near {
            let media = files.clone();
            let groups = tokio::task::spawn_blocking(move || near_groups(media))
                .await
                .map_err(|e| Error::Internal(format!("near-duplicate prints failed: {e}")))?;
            for (score, group) in groups.0 {
                let size = group.iter().map(|f| f.size).max().unwrap_or(0);
                report.groups.push(DupeGroup {
                    kind: "near",
                    size,
                    hash: None,
                    score: Some(score),
                    members: group.iter().map(member).collect(),
                });
            }
            report.errors.extend(groups.1);
        }
        Ok(report)
    }

    /// Removes the extra copies of exact duplicates by `policy` (moved into the quarantine and
    /// journalled, so `trove undo` puts them back), or with `apply` false only says what it
    /// would do.
    pub async fn remove_dupes(
        &self,
        policy: &KeepPolicy,
        apply: bool,
        command: &str,
    ) -> Result<RemovalReport> {
        let found = self.find_dupes(false).await?;
        let sources = self.catalog.sources().await?;
        let in_source = |m: &DupeMember, reference: &str| {
            sources.iter().any(|s| {
                s.id == m.source_id
                    && (s.uri == reference
                        || s.id.0.to_string() == reference
                        || s.root.as_deref().is_some_and(|r| r == Path::new(reference)))
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
        };
        let mut removals = Vec::new();
        for group in found.groups.into_iter().filter(|g| g.kind == "exact") {
            let hash_text = group.hash.clone().unwrap_or_default();
            let Some(hash) = ContentHash::from_hex(&hash_text) else {
                continue;
            };
            let mut members = group.members;
            members.sort_by(|a, b| a.mtime_ns.cmp(&b.mtime_ns).then(a.path.cmp(&b.path)));
            let keeper = match policy {
                KeepPolicy::InSource(source) => members.iter().position(|m| in_source(m, source)),
                KeepPolicy::Online => members.iter().position(|m| m.online),
                KeepPolicy::Oldest | KeepPolicy::HighestQuality => {
                    (!members.is_empty()).then_some(0)
                }
            };
            let mut plan = GroupPlan {
                hash: hash_text,
                keep: None,
                remove: Vec::new(),
                skipped: Vec::new(),
            };
            let Some(keeper) = keeper else {
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
            let keep = members.remove(keeper);
            // The keeper must still be this content, or nothing of the group is touched.
            if apply && !matches!(trove_hash::verify(Path::new(&keep.path), &hash), Ok(true)) {
                plan.skipped = members
                    .into_iter()
                    .map(|member| Skipped {
                        member,
                        reason: format!(
                            "the copy to keep ({}) changed since it was hashed",
                            keep.path
                        ),
                    })
                    .collect();
                plan.keep = Some(keep);
                report.groups.push(plan);
                continue;
            }
            for extra in members {
                let path = PathBuf::from(&extra.path);
                if apply {
                    match trove_hash::verify(&path, &hash) {
                        Ok(true) => {}
                        Ok(false) => {
                            plan.skipped.push(Skipped {
                                member: extra,
                                reason: "changed since it was hashed; kept".into(),
                            });
                            continue;
                        }
                        Err(e) => {
                            plan.skipped.push(Skipped {
                                member: extra,
                                reason: e.to_string(),
                            });
                            continue;
                        }
                    }
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
                report.removed += 1;
                report.bytes += extra.size;
                plan.remove.push(extra);
            }
            plan.keep = Some(keep);
            report.groups.push(plan);
        }
        if apply && !removals.is_empty() {
            let author = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
            report.batch = Some(
                self.catalog
                    .record_removals(&author, command, &removals)
                    .await?,
            );
        }
        Ok(report)
    }

    /// Puts back the copies an edit batch removed (verifying each); returns how many.
    pub(crate) async fn restore_removals(&self, batch: i64) -> Result<u64> {
        let mut restored = 0;
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

/// Near-duplicate groups among pictures and videos, with the files that could not be printed.
fn near_groups(media: Vec<LocalFile>) -> (Vec<Scored>, Vec<String>) {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (kind, threshold) in [
        ("image", near::STILL_THRESHOLD),
        ("video", near::VIDEO_THRESHOLD),
    ] {
        let mut prints = Vec::new();
        let mut files = Vec::new();
        for file in media.iter().filter(|f| f.media_type == kind) {
            let print = if kind == "image" {
                near::still_print(&file.path).map(Fingerprint::Still)
            } else {
                let options = VideoOptions {
                    timeout: Duration::from_secs(600),
                };
                near::video_print(&file.path, &options).map(Fingerprint::Video)
            };
            match print {
                Ok(print) => {
                    prints.push(print);
                    files.push(file.clone());
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        for group in near::near_groups(&prints, threshold) {
            out.push((
                group.score,
                group.members.iter().map(|&i| files[i].clone()).collect(),
            ));
        }
    }
    (out, errors)
}
