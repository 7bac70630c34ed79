//! Scanning local sources: the walk, the comparison with the catalog, and the batched writes.
//!
//! The `ignore` walker runs on its own threads and compares each file's stat with what the
//! catalog knew, shared read-only: an unchanged file costs a stat and nothing else. New and
//! changed files are sniffed on the walker threads and sent over a bounded channel to one writer
//! that batches them into transactions. Only when the walk is over are moves (a new path with the
//! device and inode of a path no longer seen) and missing files decided, so a scan killed at any
//! moment leaves a consistent catalog that the next scan completes.
//!
//! The same reconciliation serves the watcher, restricted to the paths its events name.

use crate::{Library, Result};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use trove_catalog::{Batch, KnownLocation, LocationUpdate, NewLocation, Role, SourceRow};
use trove_core::{LocationState, MediaType, RelPath, ScanProblem, ScanReport, SourceKind};
use trove_storage::{FileFacts, Sniffed, WalkConfig, WalkItem, WalkProblem};

/// Rows written per transaction.
const BATCH_ROWS: usize = 4096;
/// Files in flight between the walker threads and the writer.
const CHANNEL_DEPTH: usize = 8192;
/// How often progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Counts while a scan runs.
#[derive(Debug, Clone, Default)]
pub struct ScanProgress {
    /// The source being scanned.
    pub source: String,
    /// Regular files seen so far.
    pub files: u64,
    /// Of which unchanged.
    pub unchanged: u64,
    /// New or changed files written so far.
    pub written: u64,
    /// Problems so far.
    pub problems: u64,
    /// The scan of this source is over.
    pub done: bool,
}

/// Receives progress while scans run (from the scanning task; keep it quick).
pub trait ScanObserver: Send + Sync {
    /// Called about every 100 ms, and once with `done` set.
    fn progress(&self, progress: &ScanProgress);
}

impl<F: Fn(&ScanProgress) + Send + Sync> ScanObserver for F {
    fn progress(&self, progress: &ScanProgress) {
        self(progress)
    }
}

/// What part of a source to reconcile.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// All of it.
    Source,
    /// These files and folders (and what is below them).
    Paths(Vec<RelPath>),
}

/// What the catalog knew about the scope, shared with the walker threads.
struct Known {
    rows: Vec<KnownLocation>,
    by_path: HashMap<Vec<u8>, usize>,
    inodes: HashSet<(u64, u64)>,
    seen: Vec<AtomicBool>,
}

impl Known {
    fn new(rows: Vec<KnownLocation>) -> Known {
        let by_path = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.rel_path.as_bytes().to_vec(), i))
            .collect();
        let inodes = rows.iter().filter_map(identity).collect();
        let seen = rows.iter().map(|_| AtomicBool::new(false)).collect();
        Known {
            rows,
            by_path,
            inodes,
            seen,
        }
    }
}

fn identity(row: &KnownLocation) -> Option<(u64, u64)> {
    Some((row.device?, row.inode?))
}

/// What the walker threads hand to the writer.
enum Found {
    New(FileFacts, Sniffed),
    Changed(usize, FileFacts, Sniffed),
    Problem(WalkProblem),
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    unchanged: AtomicU64,
}

fn unchanged(known: &KnownLocation, facts: &FileFacts) -> bool {
    known.state == LocationState::Present
        && known.size == facts.size
        && known.mtime_ns == facts.mtime_ns
        && known.inode == facts.inode
        && known.device == facts.device
}

fn role_of(sniffed: &Sniffed) -> Role {
    if sniffed.media_type == MediaType::Sidecar {
        Role::Sidecar
    } else {
        Role::Media
    }
}

fn new_location(facts: FileFacts, sniffed: Sniffed) -> NewLocation {
    NewLocation {
        title: String::from_utf8_lossy(facts.rel_path.file_name()).into_owned(),
        role: role_of(&sniffed),
        rel_path: facts.rel_path,
        size: facts.size,
        mtime_ns: facts.mtime_ns,
        device: facts.device,
        inode: facts.inode,
        mime: sniffed.mime,
        media_type: sniffed.media_type,
    }
}

fn update(
    known: &KnownLocation,
    moved_to: Option<RelPath>,
    facts: &FileFacts,
    sniffed: Option<Sniffed>,
) -> LocationUpdate {
    let (mime, media_type) = match sniffed {
        Some(s) => (s.mime, Some(s.media_type)),
        None => (None, None),
    };
    LocationUpdate {
        id: known.id,
        rel_path: moved_to,
        size: facts.size,
        mtime_ns: facts.mtime_ns,
        device: facts.device,
        inode: facts.inode,
        mime,
        media_type,
    }
}

/// Sniffs a new or changed file on a walker thread; a read failure still records the file.
fn sniff_file(facts: &FileFacts) -> (Sniffed, Option<WalkProblem>) {
    match trove_storage::sniff(&facts.path, facts.rel_path.file_name()) {
        Ok(sniffed) => (sniffed, None),
        Err(e) => (
            trove_storage::sniff_name(facts.rel_path.file_name()),
            Some(WalkProblem {
                path: facts.path.clone(),
                message: format!("cannot read its content ({e}); classified by its name"),
                vanished: e.kind() == std::io::ErrorKind::NotFound,
            }),
        ),
    }
}

impl Library {
    /// Scans the sources named by `references` (ids, paths or URIs; all when empty).
    pub async fn scan(
        &self,
        references: &[String],
        observer: &dyn ScanObserver,
    ) -> Result<Vec<ScanReport>> {
        let sources = self.resolve_sources(references).await?;
        let mut reports = Vec::with_capacity(sources.len());
        for source in &sources {
            reports.push(self.reconcile(source, Scope::Source, observer).await?);
        }
        Ok(reports)
    }

    /// Brings the catalog in line with the files of `scope` in `source`.
    pub(crate) async fn reconcile(
        &self,
        source: &SourceRow,
        scope: Scope,
        observer: &dyn ScanObserver,
    ) -> Result<ScanReport> {
        let started = Instant::now();
        let mut report = ScanReport {
            source: source.uri.clone(),
            ..ScanReport::default()
        };
        let (SourceKind::Local, Some(root)) = (source.kind, source.root.clone()) else {
            report.errors.push(ScanProblem {
                path: source.uri.clone(),
                message: format!("{} sources cannot be scanned yet", source.kind.as_str()),
            });
            return Ok(report);
        };
        // An absent root is an unplugged drive or an unmounted share: offline, never "all gone".
        if !root.is_dir() {
            self.catalog.set_source_online(source.id, false).await?;
            report.online = false;
            report.errors.push(ScanProblem {
                path: root.to_string_lossy().into_owned(),
                message: "source folder is not reachable; its assets are kept as offline".into(),
            });
            return Ok(report);
        }
        self.catalog.set_source_online(source.id, true).await?;
        report.online = true;

        let partial = matches!(scope, Scope::Paths(_));
        let (starts, rows) = match &scope {
            Scope::Source => (
                vec![root.clone()],
                self.catalog.known_locations(source.id, None).await?,
            ),
            Scope::Paths(paths) => {
                let mut starts = Vec::new();
                let mut rows = Vec::new();
                let mut ids = HashSet::new();
                for rel in paths {
                    let abs = rel.to_path(&root);
                    if trove_storage::is_excluded(&root, &abs) {
                        continue;
                    }
                    if std::fs::symlink_metadata(&abs).is_ok() {
                        starts.push(abs);
                    }
                    for row in self.catalog.known_locations(source.id, Some(rel)).await? {
                        if ids.insert(row.id) {
                            rows.push(row);
                        }
                    }
                }
                (starts, rows)
            }
        };
        let known = Arc::new(Known::new(rows));
        let counters = Arc::new(Counters::default());
        let follow_links = source
            .config
            .get("follow_links")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true);
        let config = WalkConfig {
            starts,
            follow_links,
            ..WalkConfig::new(&root)
        };

        let (tx, mut rx) = mpsc::channel::<Found>(CHANNEL_DEPTH);
        let walker = {
            let known = Arc::clone(&known);
            let counters = Arc::clone(&counters);
            tokio::task::spawn_blocking(move || {
                trove_storage::walk(&config, |item| {
                    let found = match item {
                        WalkItem::File(facts) => {
                            counters.files.fetch_add(1, Ordering::Relaxed);
                            let index = known.by_path.get(facts.rel_path.as_bytes()).copied();
                            if let Some(i) = index {
                                known.seen[i].store(true, Ordering::Relaxed);
                                if unchanged(&known.rows[i], &facts) {
                                    counters.unchanged.fetch_add(1, Ordering::Relaxed);
                                    return true;
                                }
                            }
                            let (sniffed, problem) = sniff_file(&facts);
                            if let Some(p) = problem {
                                let vanished = p.vanished;
                                if tx.blocking_send(Found::Problem(p)).is_err() || vanished {
                                    return !tx.is_closed();
                                }
                            }
                            match index {
                                Some(i) => Found::Changed(i, facts, sniffed),
                                None => Found::New(facts, sniffed),
                            }
                        }
                        WalkItem::Problem(p) => Found::Problem(p),
                    };
                    tx.blocking_send(found).is_ok()
                });
            })
        };

        let mut progress = ScanProgress {
            source: source.uri.clone(),
            ..ScanProgress::default()
        };
        let mut batch = Batch::default();
        let mut deferred: Vec<(FileFacts, Sniffed)> = Vec::new();
        let mut problems: Vec<WalkProblem> = Vec::new();
        let mut written = 0u64;
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                found = rx.recv() => {
                    let Some(found) = found else { break };
                    match found {
                        Found::New(facts, sniffed) => {
                            let id = facts.device.zip(facts.inode);
                            if id.is_some_and(|id| partial || known.inodes.contains(&id)) {
                                deferred.push((facts, sniffed));
                            } else {
                                batch.inserts.push(new_location(facts, sniffed));
                            }
                        }
                        Found::Changed(i, facts, sniffed) => {
                            batch.updates.push(update(&known.rows[i], None, &facts, Some(sniffed)));
                            report.updated += 1;
                        }
                        Found::Problem(p) => problems.push(p),
                    }
                    if batch.len() >= BATCH_ROWS {
                        let outcome = self.catalog.write_batch(source.id, &batch).await?;
                        report.added += outcome.inserted;
                        written += batch.len() as u64;
                        batch = Batch::default();
                    }
                }
                _ = ticker.tick() => {
                    progress.files = counters.files.load(Ordering::Relaxed);
                    progress.unchanged = counters.unchanged.load(Ordering::Relaxed);
                    progress.written = written;
                    progress.problems = problems.len() as u64;
                    observer.progress(&progress);
                }
            }
        }
        walker.await.map_err(|e| {
            crate::Error::Internal(format!("the walker of {} failed: {e}", source.uri))
        })?;

        // The walk is complete: decide moves and missing files.
        let protected: Vec<RelPath> = problems
            .iter()
            .filter(|p| !p.vanished)
            .filter_map(|p| {
                if p.path == root {
                    Some(RelPath::from_bytes(Vec::new()))
                } else {
                    RelPath::under(&root, &p.path)
                }
            })
            .collect();
        let is_protected = |rel: &RelPath| {
            protected
                .iter()
                .any(|p| p.as_bytes().is_empty() || rel.is_within(p))
        };
        let mut unseen_by_inode: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
        let mut unseen = Vec::new();
        for (i, row) in known.rows.iter().enumerate() {
            if !known.seen[i].load(Ordering::Relaxed) && !is_protected(&row.rel_path) {
                unseen.push(i);
                if let Some(id) = identity(row) {
                    unseen_by_inode.entry(id).or_default().push(i);
                }
            }
        }
        let mut claimed = HashSet::new();
        for (facts, sniffed) in deferred {
            let role = role_of(&sniffed);
            let same_file = |row: &KnownLocation| {
                row.role == role && row.size == facts.size && row.mtime_ns == facts.mtime_ns
            };
            let id = facts.device.zip(facts.inode);
            let in_scope = id
                .and_then(|id| unseen_by_inode.get(&id))
                .and_then(|list| {
                    list.iter().copied().find(|i| {
                        !claimed.contains(&known.rows[*i].id) && same_file(&known.rows[*i])
                    })
                })
                .map(|i| known.rows[i].clone());
            let elsewhere = match (in_scope.is_none() && partial, id) {
                (true, Some((device, inode))) => self
                    .catalog
                    .location_by_inode(source.id, device, inode)
                    .await?
                    .into_iter()
                    .find(|row| {
                        !known.by_path.contains_key(row.rel_path.as_bytes())
                            && !claimed.contains(&row.id)
                            && same_file(row)
                            && (row.state == LocationState::Missing || !still_there(&root, row))
                    }),
                _ => None,
            };
            match in_scope.or(elsewhere) {
                Some(row) => {
                    claimed.insert(row.id);
                    let to = facts.rel_path.clone();
                    batch.updates.push(update(&row, Some(to), &facts, None));
                    report.moved += 1;
                }
                None => batch.inserts.push(new_location(facts, sniffed)),
            }
        }
        for i in unseen {
            let row = &known.rows[i];
            if row.state == LocationState::Present && !claimed.contains(&row.id) {
                batch.missing.push(row.id);
            }
        }
        let outcome = self.catalog.write_batch(source.id, &batch).await?;
        report.added += outcome.inserted;
        report.missing = outcome.missing;
        written += batch.len() as u64;
        report.sidecars_linked = self.catalog.link_sidecars(source.id).await?;
        if !partial {
            self.catalog.mark_scanned(source.id).await?;
        }

        report.files = counters.files.load(Ordering::Relaxed);
        report.unchanged = counters.unchanged.load(Ordering::Relaxed);
        report.errors = problems
            .into_iter()
            .map(|p| ScanProblem {
                path: p.path.to_string_lossy().into_owned(),
                message: p.message,
            })
            .collect();
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        progress.files = report.files;
        progress.unchanged = report.unchanged;
        progress.written = written;
        progress.problems = report.errors.len() as u64;
        progress.done = true;
        observer.progress(&progress);
        Ok(report)
    }
}

/// Whether a known location's file is still at its path (a hard link rather than a move).
fn still_there(root: &Path, row: &KnownLocation) -> bool {
    FileFacts::stat(root, &row.rel_path.to_path(root))
        .ok()
        .flatten()
        .is_some_and(|f| f.inode == row.inode && f.device == row.device)
}
