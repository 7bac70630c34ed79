//! The local watcher: `notify` events, debounced, turned into batches of paths to look at again.
//!
//! Events only say *where* to look; the engine then stats those paths and reconciles them with the
//! catalog exactly as a scan would. That keeps one source of truth for what a file change means,
//! and makes lost or reordered events harmless. When the OS drops events (inotify queue overflow)
//! the batch asks for a rescan instead.

use notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The error type of the underlying file system notifier.
pub use notify::Error as NotifyError;

/// Paths touched during one debounce window.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WatchBatch {
    /// Every path an event named (both ends of a rename), sorted, without duplicates.
    pub paths: BTreeSet<PathBuf>,
    /// Events were lost: rescan the watched roots.
    pub rescan: bool,
    /// Watcher errors, for the log.
    pub errors: Vec<String>,
}

/// Watches folders recursively until dropped.
pub struct Watcher {
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watcher")
    }
}

impl Watcher {
    /// Starts watching; `deliver` is called from the watcher's thread with each batch.
    pub fn new<F>(debounce: Duration, mut deliver: F) -> notify::Result<Watcher>
    where
        F: FnMut(WatchBatch) + Send + 'static,
    {
        let debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let mut batch = WatchBatch::default();
            match result {
                Ok(events) => {
                    for event in events {
                        batch.rescan |= event.need_rescan();
                        batch.paths.extend(event.event.paths.iter().cloned());
                    }
                }
                Err(errors) => {
                    // Errors here are mostly a lost watch or an overflow: look again everywhere.
                    batch.rescan = true;
                    batch.errors = errors.iter().map(ToString::to_string).collect();
                }
            }
            if batch.rescan || !batch.paths.is_empty() {
                deliver(batch);
            }
        })?;
        Ok(Watcher { debouncer })
    }

    /// Watches `root` and everything below it.
    pub fn watch(&mut self, root: &Path) -> notify::Result<()> {
        self.debouncer.watch(root, RecursiveMode::Recursive)
    }

    /// Stops watching `root`.
    pub fn unwatch(&mut self, root: &Path) -> notify::Result<()> {
        self.debouncer.unwatch(root)
    }
}
