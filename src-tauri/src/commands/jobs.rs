//! The jobs panel: the queue's snapshot, the runner's stream of progress, cancel and retry, and
//! "make previews" (the engine plans preview jobs; the app's runner works through them).

use std::sync::Mutex;
use std::time::Instant;

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use trove_engine::{JobEvent, JobOptions, JobSelector};

use crate::error::IpcError;
use crate::progress::{Throttle, PROGRESS_INTERVAL};
use crate::state::{LibraryState, RunnerState};
use crate::views::{JobMessage, JobsSnapshot};

/// Jobs listed in the panel at most.
const LISTED_JOBS: u32 = 200;

/// Queue counts and the latest jobs.
#[tauri::command]
pub(crate) async fn jobs_list(
    state: State<'_, LibraryState>,
    runner: State<'_, RunnerState>,
) -> Result<JobsSnapshot, IpcError> {
    let library = state.library().await?;
    Ok(JobsSnapshot {
        stats: library.job_stats().await?,
        jobs: library.jobs(LISTED_JOBS).await?,
        runner_busy: runner.is_busy(),
    })
}

/// Streams the runner's messages (throttled progress, every finish and failure) to `channel`.
#[tauri::command]
pub(crate) async fn jobs_subscribe(
    runner: State<'_, RunnerState>,
    channel: Channel<JobMessage>,
) -> Result<(), IpcError> {
    runner.subscribe(channel);
    Ok(())
}

/// Cancels jobs (a running one stops within a second, its ffmpeg killed).
#[tauri::command]
pub(crate) async fn jobs_cancel(
    state: State<'_, LibraryState>,
    ids: Vec<i64>,
) -> Result<u64, IpcError> {
    let library = state.library().await?;
    Ok(library.cancel_jobs(JobSelector::Ids(&ids)).await?)
}

/// Queues failed or cancelled jobs again and wakes the runner.
#[tauri::command]
pub(crate) async fn jobs_retry(
    state: State<'_, LibraryState>,
    runner: State<'_, RunnerState>,
    ids: Vec<i64>,
) -> Result<u64, IpcError> {
    let library = state.library().await?;
    let queued = library.retry_jobs(JobSelector::Ids(&ids)).await?;
    runner.kick();
    Ok(queued)
}

/// Plans previews (posters, filmstrip, proxy, waveform) for every local media file without
/// current ones, and wakes the runner; returns how many jobs were queued.
#[tauri::command]
pub(crate) async fn previews_make(
    state: State<'_, LibraryState>,
    runner: State<'_, RunnerState>,
) -> Result<u64, IpcError> {
    let library = state.library().await?;
    let queued = library.plan_previews().await?;
    runner.kick();
    Ok(queued)
}

/// The app's job runner: waits for a kick, runs the queue until nothing is runnable, reports
/// to the subscribers, and waits again. Runs for the life of the app.
pub(crate) async fn run_forever(app: AppHandle) {
    let runner = app.state::<RunnerState>();
    let state = app.state::<LibraryState>();
    // Work left by an earlier run (or another process) starts without waiting for a click.
    runner.kick();
    loop {
        runner.kick.notified().await;
        let library = match state.library().await {
            Ok(library) => library,
            Err(err) => {
                crate::error::log_chain("the job runner cannot open the library", &err);
                continue;
            }
        };
        runner
            .busy
            .store(true, std::sync::atomic::Ordering::Relaxed);
        runner.broadcast(&JobMessage::Started);
        let throttle = Mutex::new(Throttle::new(PROGRESS_INTERVAL));
        let observer = |event: &JobEvent| {
            let (id, last) = match event {
                JobEvent::Progress { id, .. } => (*id, false),
                JobEvent::Done { id, .. } | JobEvent::Failed { id, .. } => (*id, true),
            };
            let admit = throttle
                .lock()
                .map(|mut t| t.admit(id, Instant::now(), last))
                .unwrap_or(true);
            if admit {
                runner.broadcast(&JobMessage::from(event));
            }
        };
        let summary = library
            .run_jobs(
                &JobOptions::default(),
                &observer,
                std::future::pending::<()>(),
            )
            .await;
        runner
            .busy
            .store(false, std::sync::atomic::Ordering::Relaxed);
        match summary {
            Ok(summary) => runner.broadcast(&JobMessage::Idle {
                done: summary.done,
                failed: summary.failed,
            }),
            Err(err) => {
                crate::error::log_chain("the job runner stopped", &err);
                runner.broadcast(&JobMessage::Idle { done: 0, failed: 0 });
            }
        }
    }
}
