//! Watching: keeping the catalog in sync with local sources while Trove runs.
//!
//! `notify` events only say where to look. Each debounced batch is grouped by source, reduced to
//! the smallest set of files and folders that covers it, and reconciled exactly like a scan of
//! those paths — so renames across folders, edits, deletes and bursts of new files all go through
//! the one code path that scans already test. A lost event (inotify queue overflow) turns into a
//! rescan of the source; a source whose root disappears goes offline and comes back when its root
//! does (checked on a timer, since unmounts do not always raise an event).

use crate::scan::{ScanObserver, ScanProgress, Scope};
use crate::volumes::Presence;
use crate::{Error, JobOptions, JobRunSummary, Library, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use trove_catalog::SourceRow;
use trove_core::{RelPath, ScanReport, SourceId, SourceKind};
use trove_storage::{WatchBatch, Watcher};

/// Paths sharing one folder, beyond which the folder is reconciled as a whole.
const COLLAPSE_SIBLINGS: usize = 64;

/// How `watch` behaves.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Events closer together than this are handled as one batch.
    pub debounce: Duration,
    /// How often absent roots are looked for (and present ones checked).
    pub poll_roots: Duration,
    /// Extract metadata of new and changed files in the background (`None`: leave it to
    /// `trove jobs wait`). The search index follows the catalog either way.
    pub extract: Option<JobOptions>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            debounce: Duration::from_millis(500),
            poll_roots: Duration::from_secs(5),
            extract: Some(JobOptions::default()),
        }
    }
}

/// Something the watcher did, for display or as a JSON line.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WatchEvent {
    /// Every source is watched and caught up.
    Ready {
        /// Sources watched.
        sources: usize,
    },
    /// A source was brought in line with its files.
    Synced {
        /// The source.
        source: String,
        /// Whether the whole source was rescanned.
        rescan: bool,
        /// Locations added.
        added: u64,
        /// Locations updated.
        updated: u64,
        /// Locations moved.
        moved: u64,
        /// Locations marked missing.
        missing: u64,
        /// Problems met, with their paths.
        errors: Vec<trove_core::ScanProblem>,
    },
    /// A source's root went away; its assets are kept as offline.
    Offline {
        /// The source.
        source: String,
    },
    /// A source's root came back.
    Online {
        /// The source.
        source: String,
    },
    /// Metadata extraction ran for new or changed files.
    Extracted {
        /// Jobs finished.
        done: u64,
        /// Jobs failed for good (their errors are on the assets).
        failed: u64,
    },
    /// Something failed; watching goes on.
    Error {
        /// What failed.
        message: String,
    },
}

impl std::fmt::Display for WatchEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WatchEvent::Ready { sources } => write!(f, "watching {sources} sources"),
            WatchEvent::Synced {
                source,
                rescan,
                added,
                updated,
                moved,
                missing,
                errors,
            } => write!(
                f,
                "{source}: {}{added} added, {updated} updated, {moved} moved, {missing} missing, {} problems",
                if *rescan { "rescanned: " } else { "" },
                errors.len()
            ),
            WatchEvent::Offline { source } => write!(f, "{source}: offline"),
            WatchEvent::Online { source } => write!(f, "{source}: online again"),
            WatchEvent::Extracted { done, failed } => {
                write!(f, "metadata extracted: {done} done, {failed} failed")
            }
            WatchEvent::Error { message } => write!(f, "error: {message}"),
        }
    }
}

struct Quiet;

impl ScanObserver for Quiet {
    fn progress(&self, _: &ScanProgress) {}
}

fn synced(report: ScanReport, rescan: bool) -> WatchEvent {
    WatchEvent::Synced {
        source: report.source,
        rescan,
        added: report.added,
        updated: report.updated,
        moved: report.moved,
        missing: report.missing,
        errors: report.errors,
    }
}

/// The smallest set of paths covering `paths`; many siblings collapse into their folder.
fn cover(mut paths: Vec<RelPath>) -> Vec<RelPath> {
    let mut per_dir: HashMap<Vec<u8>, usize> = HashMap::new();
    for p in &paths {
        *per_dir.entry(p.dir_prefix().to_vec()).or_default() += 1;
    }
    for p in paths.iter_mut() {
        let dir = p.dir_prefix();
        if dir.len() > 1 && per_dir.get(dir).copied().unwrap_or(0) > COLLAPSE_SIBLINGS {
            *p = RelPath::from_bytes(dir[..dir.len() - 1].to_vec());
        }
    }
    paths.sort();
    paths.dedup();
    let mut kept: HashSet<Vec<u8>> = HashSet::new();
    let mut out = Vec::new();
    for p in paths {
        let bytes = p.as_bytes();
        let covered = bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'/')
            .any(|(i, _)| kept.contains(&bytes[..i]));
        if !covered {
            kept.insert(bytes.to_vec());
            out.push(p);
        }
    }
    out
}

impl Library {
    /// Watches every local source until `stop` completes, reporting what it does to `observer`.
    pub async fn watch<F>(
        &self,
        options: WatchOptions,
        observer: &(dyn Fn(&WatchEvent) + Send + Sync),
        stop: F,
    ) -> Result<()>
    where
        F: Future<Output = ()>,
    {
        let (tx, mut rx) = mpsc::unbounded_channel::<WatchBatch>();
        let mut watcher = Watcher::new(options.debounce, move |batch| {
            let _ = tx.send(batch);
        })
        .map_err(|source| Error::Watch {
            path: PathBuf::new(),
            source,
        })?;
        let mut watched: HashMap<SourceId, PathBuf> = HashMap::new();
        let sources: Vec<SourceRow> = self
            .catalog
            .sources()
            .await?
            .into_iter()
            .filter(|s| s.kind == SourceKind::Local)
            .collect();
        // Watch first, then catch up: a change in between is seen by one or the other.
        for source in &sources {
            self.start_watching(&mut watcher, &mut watched, source, observer);
        }
        for source in &sources {
            let report = self.reconcile(source, Scope::Source, &Quiet).await?;
            if !report.online {
                observer(&WatchEvent::Offline {
                    source: source.uri.clone(),
                });
            }
            observer(&synced(report, true));
        }
        observer(&WatchEvent::Ready {
            sources: watched.len(),
        });

        // Extraction and the search index follow beside event handling, woken after each change.
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let wake = std::sync::Arc::new(tokio::sync::Notify::new());
        let (extracted_tx, mut extracted) = mpsc::unbounded_channel::<JobRunSummary>();
        let follower = {
            let library = self.clone();
            let wake = std::sync::Arc::clone(&wake);
            let mut stopped = stopped.clone();
            let extract = options.extract.clone();
            tokio::spawn(async move {
                loop {
                    if let Some(job_options) = &extract {
                        let stop = {
                            let mut stopped = stopped.clone();
                            async move {
                                let _ = stopped.wait_for(|s| *s).await;
                            }
                        };
                        let run = async {
                            library.plan_jobs().await?;
                            library.run_jobs(job_options, &|_| {}, stop).await
                        };
                        match run.await {
                            Ok(summary) => {
                                let _ = extracted_tx.send(summary);
                            }
                            Err(e) => tracing::warn!("metadata extraction: {e}"),
                        }
                    }
                    if let Err(e) = library.sync_search(false).await {
                        tracing::warn!("search index: {e}");
                    }
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = stopped.wait_for(|s| *s) => break,
                    }
                }
            })
        };

        tokio::pin!(stop);
        let mut poll = tokio::time::interval(options.poll_roots);
        poll.tick().await;
        loop {
            tokio::select! {
                _ = &mut stop => break,
                Some(summary) = extracted.recv() => {
                    if summary.done + summary.failed > 0 {
                        observer(&WatchEvent::Extracted { done: summary.done, failed: summary.failed });
                    }
                }
                batch = rx.recv() => {
                    let Some(mut batch) = batch else { break };
                    // Take whatever else is queued: one reconciliation for a burst.
                    while let Ok(more) = rx.try_recv() {
                        batch.rescan |= more.rescan;
                        batch.paths.extend(more.paths);
                        batch.errors.extend(more.errors);
                    }
                    if let Err(e) = self.apply_batch(batch, observer).await {
                        observer(&WatchEvent::Error { message: e.to_string() });
                    }
                    wake.notify_one();
                }
                _ = poll.tick() => {
                    if let Err(e) = self.poll_roots(&mut watcher, &mut watched, observer).await {
                        observer(&WatchEvent::Error { message: e.to_string() });
                    }
                    wake.notify_one();
                }
            }
        }
        let _ = stopping.send(true);
        let _ = follower.await;
        Ok(())
    }

    fn start_watching(
        &self,
        watcher: &mut Watcher,
        watched: &mut HashMap<SourceId, PathBuf>,
        source: &SourceRow,
        observer: &(dyn Fn(&WatchEvent) + Send + Sync),
    ) {
        let Some(root) = source.root.as_ref().filter(|r| r.is_dir()) else {
            return;
        };
        match watcher.watch(root) {
            Ok(()) => {
                watched.insert(source.id, root.clone());
            }
            Err(e) => observer(&WatchEvent::Error {
                message: format!("cannot watch {}: {e}", root.display()),
            }),
        }
    }

    async fn apply_batch(
        &self,
        batch: WatchBatch,
        observer: &(dyn Fn(&WatchEvent) + Send + Sync),
    ) -> Result<()> {
        for message in &batch.errors {
            observer(&WatchEvent::Error {
                message: message.clone(),
            });
        }
        let sources: Vec<SourceRow> = self
            .catalog
            .sources()
            .await?
            .into_iter()
            .filter(|s| s.kind == SourceKind::Local && s.online)
            .collect();
        let mut per_source: BTreeMap<usize, (bool, Vec<RelPath>)> = BTreeMap::new();
        for path in &batch.paths {
            let Some((index, source)) = sources
                .iter()
                .enumerate()
                .filter(|(_, s)| s.root.as_ref().is_some_and(|r| path.starts_with(r)))
                .max_by_key(|(_, s)| s.root.as_ref().map(|r| r.as_os_str().len()))
            else {
                continue;
            };
            let entry = per_source.entry(index).or_default();
            match source.root.as_deref().and_then(|r| RelPath::under(r, path)) {
                Some(rel) => entry.1.push(rel),
                None => entry.0 = true,
            }
        }
        if batch.rescan {
            for index in 0..sources.len() {
                per_source.entry(index).or_default().0 = true;
            }
        }
        for (index, (whole, paths)) in per_source {
            let source = &sources[index];
            let scope = if whole {
                Scope::Source
            } else {
                Scope::Paths(cover(paths))
            };
            let report = self.reconcile(source, scope, &Quiet).await?;
            if !report.online {
                observer(&WatchEvent::Offline {
                    source: source.uri.clone(),
                });
            }
            observer(&synced(report, whole));
        }
        Ok(())
    }

    async fn poll_roots(
        &self,
        watcher: &mut Watcher,
        watched: &mut HashMap<SourceId, PathBuf>,
        observer: &(dyn Fn(&WatchEvent) + Send + Sync),
    ) -> Result<()> {
        for source in self.catalog.sources().await? {
            let Some(root) = source
                .root
                .as_ref()
                .filter(|_| source.kind == SourceKind::Local)
            else {
                continue;
            };
            let steady = source.online && watched.contains_key(&source.id);
            let presence = self.find_source_root(&source, !steady).await?;
            let reachable = matches!(presence, Presence::Here(_));
            let source = match &presence {
                // Re-attached at another mount point: go on with the source as it is now.
                Presence::Here(found) if found != root => {
                    self.catalog.source(source.id).await?.unwrap_or(source)
                }
                _ => source,
            };
            if source.online && !reachable {
                if let Some(path) = watched.remove(&source.id) {
                    let _ = watcher.unwatch(&path);
                }
                self.reconcile(&source, Scope::Source, &Quiet).await?;
                observer(&WatchEvent::Offline { source: source.uri });
            } else if reachable && (!source.online || !watched.contains_key(&source.id)) {
                if let Some(path) = watched.remove(&source.id) {
                    let _ = watcher.unwatch(&path);
                }
                self.start_watching(watcher, watched, &source, observer);
                let report = self.reconcile(&source, Scope::Source, &Quiet).await?;
                observer(&WatchEvent::Online {
                    source: source.uri.clone(),
                });
                observer(&synced(report, true));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(s: &str) -> RelPath {
        RelPath::from_bytes(s.as_bytes().to_vec())
    }

    #[test]
    fn cover_keeps_the_outermost_paths() {
        let got = cover(vec![
            rel("a/b/c.mov"),
            rel("a/b"),
            rel("a/bc.mov"),
            rel("d.mov"),
            rel("a/b/e/f"),
        ]);
        assert_eq!(got, vec![rel("a/b"), rel("a/bc.mov"), rel("d.mov")]);
    }

    #[test]
    fn cover_collapses_many_siblings() {
        let many: Vec<RelPath> = (0..100).map(|i| rel(&format!("burst/f{i}.mov"))).collect();
        assert_eq!(cover(many), vec![rel("burst")]);
        let few: Vec<RelPath> = (0..3).map(|i| rel(&format!("x/f{i}.mov"))).collect();
        assert_eq!(cover(few.clone()), few);
    }
}
