//! The state the commands share: the library (opened once on first use), the background job
//! runner, the watcher and what the duplicates view last found.
//!
//! Opening is lazy and retried until it succeeds, so the window still comes up (and shows an
//! error) when the library cannot be opened yet.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tauri::ipc::Channel;
use tokio::sync::{oneshot, Notify, OnceCell};
use trove_engine::Library;

use crate::views::{JobMessage, WatchStatus};

/// Tauri-managed state: the open library, if it has been opened.
#[derive(Default)]
pub(crate) struct LibraryState {
    library: OnceCell<Library>,
}

impl LibraryState {
    /// The library in `TROVE_LIBRARY` or the default directory, opening it on first use.
    pub(crate) async fn library(&self) -> trove_engine::Result<&Library> {
        self.library
            .get_or_try_init(|| async {
                let dir = trove_engine::library_dir(None)?;
                tracing::info!(dir = %dir.display(), "opening library");
                Library::open(&dir).await
            })
            .await
    }
}

/// The app's own job runner: one task that runs the engine's queue whenever it is kicked, and
/// the channels of the windows that follow it.
#[derive(Default)]
pub(crate) struct RunnerState {
    /// Wakes the runner task (a permit is kept when it is busy, so no kick is lost).
    pub(crate) kick: Notify,
    /// Whether the runner is working through the queue now.
    pub(crate) busy: AtomicBool,
    subscribers: Mutex<Vec<Channel<JobMessage>>>,
}

impl RunnerState {
    /// Asks the runner to work through the queue.
    pub(crate) fn kick(&self) {
        self.kick.notify_one();
    }

    /// Whether the runner is working now.
    pub(crate) fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    /// Adds a channel that receives every job message from now on.
    pub(crate) fn subscribe(&self, channel: Channel<JobMessage>) {
        if let Ok(mut subscribers) = self.subscribers.lock() {
            subscribers.push(channel);
        }
    }

    /// Sends `message` to every subscriber, dropping those whose window is gone.
    pub(crate) fn broadcast(&self, message: &JobMessage) {
        if let Ok(mut subscribers) = self.subscribers.lock() {
            subscribers.retain(|channel| channel.send(message.clone()).is_ok());
        }
    }
}

/// The watcher started from the sources settings, if any.
#[derive(Default)]
pub(crate) struct WatchState {
    inner: Mutex<WatchInner>,
}

#[derive(Default)]
struct WatchInner {
    stop: Option<oneshot::Sender<()>>,
    last_event: Option<String>,
    error: Option<String>,
}

impl WatchState {
    /// Records the stop switch of a watcher just started; false if one already runs.
    pub(crate) fn start(&self, stop: oneshot::Sender<()>) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        if inner.stop.as_ref().is_some_and(|s| !s.is_closed()) {
            return false;
        }
        inner.stop = Some(stop);
        inner.error = None;
        true
    }

    /// Stops the watcher, if one runs.
    pub(crate) fn stop(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            if let Some(stop) = inner.stop.take() {
                // The watcher may have ended by itself already; nothing to stop then.
                let _ = stop.send(());
            }
        }
    }

    /// Notes what the watcher last did.
    pub(crate) fn note(&self, event: String) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.last_event = Some(event);
        }
    }

    /// Notes that the watcher ended, and why if it failed.
    pub(crate) fn ended(&self, error: Option<String>) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.stop = None;
            inner.error = error;
        }
    }

    /// Whether a watcher runs, and what it did last.
    pub(crate) fn status(&self) -> WatchStatus {
        match self.inner.lock() {
            Ok(inner) => WatchStatus {
                watching: inner.stop.as_ref().is_some_and(|s| !s.is_closed()),
                last_event: inner.last_event.clone(),
                error: inner.error.clone(),
            },
            Err(_) => WatchStatus::default(),
        }
    }
}

/// Assets the duplicates view last found in a group, for the grid's `duplicate` badge.
#[derive(Default)]
pub(crate) struct DupesState {
    assets: Mutex<HashSet<i64>>,
}

impl DupesState {
    /// Replaces the set of assets with copies.
    pub(crate) fn set(&self, assets: HashSet<i64>) {
        if let Ok(mut known) = self.assets.lock() {
            *known = assets;
        }
    }

    /// Whether `asset` was last seen in a duplicate group.
    pub(crate) fn contains(&self, asset: i64) -> bool {
        self.assets.lock().is_ok_and(|known| known.contains(&asset))
    }
}
