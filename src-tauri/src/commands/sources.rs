//! Sources settings: list, add a folder (native dialog or a typed path, checked by the engine),
//! scan with progress over a channel, and the watcher.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use tokio::sync::oneshot;
use trove_core::{ScanReport, SourceView};
use trove_engine::{ScanProgress, WatchEvent, WatchOptions};

use crate::error::{ErrorKind, IpcError};
use crate::progress::{Throttle, PROGRESS_INTERVAL};
use crate::state::{LibraryState, RunnerState, WatchState};
use crate::views::{ScanMessage, WatchStatus};

/// Every source with its state.
#[tauri::command]
pub(crate) async fn sources_list(
    state: State<'_, LibraryState>,
) -> Result<Vec<SourceView>, IpcError> {
    let library = state.library().await?;
    Ok(library.sources().await?)
}

/// Asks the user for a folder with the system's dialog; `None` when they cancel.
#[tauri::command]
pub(crate) async fn source_pick_folder(app: AppHandle) -> Result<Option<String>, IpcError> {
    let (tx, rx) = oneshot::channel();
    app.dialog()
        .file()
        .set_title("Add a folder to Trove")
        .pick_folder(move |folder| {
            // The command may have been abandoned (window closed); nobody to tell then.
            let _ = tx.send(folder);
        });
    let folder = rx
        .await
        .map_err(|_| IpcError::new(ErrorKind::Internal, "the folder dialog closed unexpectedly"))?;
    match folder {
        None => Ok(None),
        Some(folder) => folder
            .into_path()
            .map(|p| Some(p.to_string_lossy().into_owned()))
            .map_err(|e| IpcError::invalid(format!("not a local folder: {e}"))),
    }
}

/// Adds a local folder as a source (the engine checks it exists, is a folder, does not overlap
/// another source and does not hold the library).
#[tauri::command]
pub(crate) async fn source_add(
    state: State<'_, LibraryState>,
    path: String,
) -> Result<SourceView, IpcError> {
    let library = state.library().await?;
    Ok(library.add_local_source(&PathBuf::from(path), true).await?)
}

/// Scans the sources named (all when empty), streaming progress; then queues metadata
/// extraction for what changed and wakes the job runner.
#[tauri::command]
pub(crate) async fn source_scan(
    state: State<'_, LibraryState>,
    runner: State<'_, RunnerState>,
    sources: Vec<String>,
    on_progress: Channel<ScanMessage>,
) -> Result<Vec<ScanReport>, IpcError> {
    let library = state.library().await?;
    let throttle = Mutex::new(Throttle::new(PROGRESS_INTERVAL));
    let observer = |p: &ScanProgress| {
        let admit = throttle
            .lock()
            .map(|mut t| t.admit(p.source.clone(), Instant::now(), p.done))
            .unwrap_or(true);
        if admit {
            // A closed window stops listening; the scan goes on.
            let _ = on_progress.send(ScanMessage {
                source: p.source.clone(),
                files: p.files,
                unchanged: p.unchanged,
                written: p.written,
                problems: p.problems,
                done: p.done,
            });
        }
    };
    let reports = library.scan(&sources, &observer).await?;
    if library.plan_jobs().await? > 0 {
        runner.kick();
    }
    Ok(reports)
}

/// Starts watching every local source (new files are extracted as they come).
#[tauri::command]
pub(crate) async fn watch_start(
    app: AppHandle,
    watch: State<'_, WatchState>,
) -> Result<WatchStatus, IpcError> {
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    if watch.start(stop_tx) {
        tauri::async_runtime::spawn(async move {
            let state = app.state::<LibraryState>();
            let watch = app.state::<WatchState>();
            let result = match state.library().await {
                Ok(library) => {
                    let observer = |event: &WatchEvent| watch.note(event.to_string());
                    let stop = async {
                        // A dropped sender (app closing) stops the watcher too.
                        let _ = stop_rx.await;
                    };
                    library
                        .watch(WatchOptions::default(), &observer, stop)
                        .await
                }
                Err(err) => Err(err),
            };
            match result {
                Ok(()) => watch.ended(None),
                Err(err) => {
                    crate::error::log_chain("the watcher failed", &err);
                    watch.ended(Some(err.to_string()));
                }
            }
        });
    }
    Ok(watch.status())
}

/// Stops the watcher.
#[tauri::command]
pub(crate) async fn watch_stop(watch: State<'_, WatchState>) -> Result<WatchStatus, IpcError> {
    watch.stop();
    Ok(watch.status())
}

/// Whether the watcher runs and what it did last.
#[tauri::command]
pub(crate) async fn watch_status(watch: State<'_, WatchState>) -> Result<WatchStatus, IpcError> {
    Ok(watch.status())
}
