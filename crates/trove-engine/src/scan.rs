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

use crate::volumes::Presence;
use crate::{Library, Result};
use hashbrown::DefaultHashBuilder;
use hashbrown::HashTable;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use trove_catalog::{Batch, KnownLocation, LocationUpdate, NewLocation, Role, SourceRow};
use trove_core::{
    file_uri, LocationId, LocationState, MediaType, RelPath, ScanProblem, ScanReport, SourceKind,
};
use trove_storage::{FileFacts, Sniffed, Visitor, WalkConfig, WalkItem, WalkProblem};

/// Rows written per transaction.
const BATCH_ROWS: usize = 4096;
/// Chunks of findings in flight between the walker threads and the writer.
const CHANNEL_DEPTH: usize = 64;
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

/// What the catalog knew about the scope, shared read-only with the walker threads.
struct Known {
    rows: Vec<KnownLocation>,
    /// Indexes into `rows`, hashed by path: no path is copied.
    by_path: HashTable<usize>,
    hasher: DefaultHashBuilder,
    inodes: HashSet<(u64, u64)>,
    seen: Vec<AtomicBool>,
}

impl Known {
    fn new(rows: Vec<KnownLocation>) -> Known {
        let hasher = DefaultHashBuilder::default();
        let mut by_path = HashTable::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let hash = hasher.hash_one(row.rel_path.as_bytes());
            by_path.insert_unique(hash, i, |&j| hasher.hash_one(rows[j].rel_path.as_bytes()));
        }
        let inodes = rows.iter().filter_map(identity).collect();
        let seen = rows.iter().map(|_| AtomicBool::new(false)).collect();
        Known {
            rows,
            by_path,
            hasher,
            inodes,
            seen,
        }
    }

    fn index_of(&self, path: &[u8]) -> Option<usize> {
        let hash = self.hasher.hash_one(path);
        self.by_path
            .find(hash, |&i| self.rows[i].rel_path.as_bytes() == path)
            .copied()
    }
}

fn identity(row: &KnownLocation) -> Option<(u64, u64)> {
    Some((row.device?, row.inode?))
}

/// What the walker threads hand to the writer.
enum Found {
    /// A path the catalog does not know; `maybe_moved` when a known location has its inode.
    New {
        facts: FileFacts,
        sniffed: Sniffed,
        maybe_moved: bool,
    },
    /// A known location whose file changed.
    Changed(LocationId, FileFacts, Sniffed),
    Problem(WalkProblem),
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    unchanged: AtomicU64,
}

/// Findings sent to the writer at once, to keep the channel (and thread wake-ups) quiet.
const SEND_CHUNK: usize = 256;

/// One walker thread's visitor. The catalog's locations load while the walk has already started:
/// until they are there, files are only stat'ed and kept in `pending`.
struct ScanVisitor {
    known: Arc<OnceLock<Known>>,
    partial: bool,
    pending: Vec<FileFacts>,
    out: Vec<Found>,
    tx: mpsc::Sender<Vec<Found>>,
    counters: Arc<Counters>,
}

impl ScanVisitor {
    fn send(&mut self) -> bool {
        self.out.is_empty() || self.tx.blocking_send(std::mem::take(&mut self.out)).is_ok()
    }
}

/// Compares one file with the catalog; only new or changed files are sniffed and reported.
fn check(
    known: &Known,
    partial: bool,
    counters: &Counters,
    facts: FileFacts,
    out: &mut Vec<Found>,
) {
    let index = known.index_of(facts.rel_path.as_bytes());
    if let Some(i) = index {
        known.seen[i].store(true, Ordering::Relaxed);
        if unchanged(&known.rows[i], &facts) {
            counters.unchanged.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    let (sniffed, problem) = sniff_file(&facts);
    if let Some(p) = problem {
        let vanished = p.vanished;
        out.push(Found::Problem(p));
        if vanished {
            return;
        }
    }
    out.push(match index {
        Some(i) => Found::Changed(known.rows[i].id, facts, sniffed),
        None => {
            let id = facts.device.zip(facts.inode);
            let maybe_moved = id.is_some_and(|id| partial || known.inodes.contains(&id));
            Found::New {
                facts,
                sniffed,
                maybe_moved,
            }
        }
    });
}

impl Visitor for ScanVisitor {
    fn visit(&mut self, item: WalkItem) -> bool {
        match item {
            WalkItem::File(facts) => {
                self.counters.files.fetch_add(1, Ordering::Relaxed);
                match self.known.get() {
                    None => self.pending.push(facts),
                    Some(known) => {
                        for earlier in std::mem::take(&mut self.pending) {
                            check(known, self.partial, &self.counters, earlier, &mut self.out);
                        }
                        check(known, self.partial, &self.counters, facts, &mut self.out);
                    }
                }
            }
            WalkItem::Problem(p) => self.out.push(Found::Problem(p)),
        }
        self.out.len() < SEND_CHUNK || self.send()
    }
}

impl Drop for ScanVisitor {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            // The walk outran the catalog: wait for it (the loader always fills the cell).
            let known = self.known.wait();
            for facts in std::mem::take(&mut self.pending) {
                check(known, self.partial, &self.counters, facts, &mut self.out);
            }
        }
        self.send();
    }
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
    id: LocationId,
    moved_to: Option<RelPath>,
    facts: &FileFacts,
    sniffed: Option<Sniffed>,
) -> LocationUpdate {
    let (mime, media_type) = match sniffed {
        Some(s) => (s.mime, Some(s.media_type)),
        None => (None, None),
    };
    LocationUpdate {
        id,
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
        if source.kind == SourceKind::S3 && matches!(scope, Scope::Source) {
            return self.reconcile_s3(source, observer).await;
        }
        if source.kind == SourceKind::Glacier && matches!(scope, Scope::Source) {
            return self.reconcile_vault(source).await;
        }
        let (SourceKind::Local, Some(root)) = (source.kind, source.root.clone()) else {
            report.errors.push(ScanProblem {
                path: source.uri.clone(),
                message: format!("{} sources cannot be scanned yet", source.kind.as_str()),
            });
            return Ok(report);
        };
        // An absent root is an unplugged drive or an unmounted share: offline, never "all gone".
        // A drive that came back elsewhere is re-attached; another drive at the old mount point
        // is not taken for this one.
        let root = match self
            .find_source_root(source, matches!(scope, Scope::Source))
            .await?
        {
            Presence::Here(found) => {
                if found != root {
                    report.source = file_uri(&found);
                }
                found
            }
            Presence::Absent { other_volume } => {
                self.catalog.set_source_online(source.id, false).await?;
                report.online = false;
                report.errors.push(ScanProblem {
                    path: root.to_string_lossy().into_owned(),
                    message: if other_volume {
                        "another volume is mounted here; this source's volume is not connected, \
                         its assets are kept as offline"
                            .into()
                    } else {
                        "source folder is not reachable; its assets are kept as offline".into()
                    },
                });
                return Ok(report);
            }
        };
        self.catalog.set_source_online(source.id, true).await?;
        report.online = true;

        let partial = matches!(scope, Scope::Paths(_));
        let mut starts = Vec::new();
        let mut within = Vec::new();
        match &scope {
            Scope::Source => starts.push(root.clone()),
            Scope::Paths(paths) => {
                for rel in paths {
                    let abs = rel.to_path(&root);
                    if trove_storage::is_excluded(&root, &abs) {
                        continue;
                    }
                    if std::fs::symlink_metadata(&abs).is_ok() {
                        starts.push(abs);
                    }
                    within.push(rel.clone());
                }
            }
        }
        // Load what the catalog knows while the walk starts: both take about as long.
        let cell: Arc<OnceLock<Known>> = Arc::new(OnceLock::new());
        let loader = {
            let catalog = self.catalog.clone();
            let cell = Arc::clone(&cell);
            let source_id = source.id;
            tokio::spawn(async move {
                let rows = load_known(&catalog, source_id, partial.then_some(within)).await;
                let (known, result) = match rows {
                    Ok(rows) => (Known::new(rows), Ok(())),
                    Err(e) => (Known::new(Vec::new()), Err(e)),
                };
                // Always fill the cell: walker threads may be waiting for it.
                let _ = cell.set(known);
                result
            })
        };
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

        let (tx, mut rx) = mpsc::channel::<Vec<Found>>(CHANNEL_DEPTH);
        let walker = {
            let cell = Arc::clone(&cell);
            let counters = Arc::clone(&counters);
            tokio::task::spawn_blocking(move || {
                trove_storage::walk(&config, || ScanVisitor {
                    known: Arc::clone(&cell),
                    partial,
                    pending: Vec::new(),
                    out: Vec::with_capacity(SEND_CHUNK),
                    tx: tx.clone(),
                    counters: Arc::clone(&counters),
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
        let mut write_time = Duration::ZERO;
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                chunk = rx.recv() => {
                    let Some(chunk) = chunk else { break };
                    for found in chunk {
                        match found {
                            Found::New { facts, sniffed, maybe_moved: true } => deferred.push((facts, sniffed)),
                            Found::New { facts, sniffed, maybe_moved: false } => {
                                batch.inserts.push(new_location(facts, sniffed));
                            }
                            Found::Changed(id, facts, sniffed) => {
                                batch.updates.push(update(id, None, &facts, Some(sniffed)));
                                report.updated += 1;
                            }
                            Found::Problem(p) => problems.push(p),
                        }
                    }
                    if batch.len() >= BATCH_ROWS {
                        let writing = Instant::now();
                        // In path order the catalog's path index is filled page by page.
                        batch.inserts.sort_unstable_by(|a, b| a.rel_path.cmp(&b.rel_path));
                        let outcome = self.catalog.write_batch(source.id, &batch).await?;
                        write_time += writing.elapsed();
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
        let internal = |what: &str, e: tokio::task::JoinError| {
            crate::Error::Internal(format!("the {what} of {} failed: {e}", source.uri))
        };
        walker.await.map_err(|e| internal("walker", e))?;
        loader.await.map_err(|e| internal("catalog loader", e))??;
        let Some(known) = cell.get() else {
            return Err(crate::Error::Internal(
                "the catalog loader left nothing".into(),
            ));
        };
        tracing::debug!(rows = known.rows.len(), elapsed = ?started.elapsed(), ?write_time, "walk done");

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
                        known.index_of(row.rel_path.as_bytes()).is_none()
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
                    batch.updates.push(update(row.id, Some(to), &facts, None));
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
        tracing::debug!(elapsed = ?started.elapsed(), "final batch written");
        report.sidecars_linked = self.catalog.link_sidecars(source.id).await?;
        tracing::debug!(elapsed = ?started.elapsed(), "sidecars linked");
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

/// The catalog's locations of `source`, all or those at or under the `within` paths.
async fn load_known(
    catalog: &trove_catalog::Catalog,
    source: trove_core::SourceId,
    within: Option<Vec<RelPath>>,
) -> Result<Vec<KnownLocation>> {
    let Some(paths) = within else {
        return Ok(catalog.known_locations(source, None).await?);
    };
    let mut rows = Vec::new();
    let mut ids = HashSet::new();
    for rel in &paths {
        for row in catalog.known_locations(source, Some(rel)).await? {
            if ids.insert(row.id) {
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// Whether a known location's file is still at its path (a hard link rather than a move).
fn still_there(root: &Path, row: &KnownLocation) -> bool {
    FileFacts::stat(root, &row.rel_path.to_path(root))
        .ok()
        .flatten()
        .is_some_and(|f| f.inode == row.inode && f.device == row.device)
}
