//! Running jobs: metadata extraction (probe) today; previews, hashing and restores later.
//!
//! Work is planned from the catalog (`plan_jobs`: every media file not extracted as it is now gets
//! a `probe` job), leased in small batches and run on a bounded number of blocking threads, one
//! ffprobe process each. A job that fails on the file itself (corrupt, not media) fails for good
//! with its error kept on the asset, and is not retried until the file changes; a timeout is
//! retried a few times with growing delays.

use crate::{Error, Library, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use trove_catalog::{
    JobSelector, JobStats, JobTask, JobView, NewClaim, ProgressDetail, PREVIEW, PROBE, S3_HEAD,
    S3_PROBE,
};
use trove_preview::{CancelToken, PreviewCache};

/// Attempts before a job that keeps timing out is given up.
const MAX_ATTEMPTS: i64 = 3;
/// The priority of work someone is waiting for (an asset open in the desktop).
const FOREGROUND_PRIORITY: i64 = 100;
/// How often a runner re-reads the state of the jobs it holds and saves their progress.
const CONTROL_INTERVAL: Duration = Duration::from_secs(1);
/// How long a worker holds a job before another may take it over.
const LEASE_SECS: i64 = 600;

/// How jobs run.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Jobs run at once (ffprobe processes).
    pub workers: usize,
    /// Longest time one ffprobe may take.
    pub probe_timeout: Duration,
    /// S3 HEAD jobs run at once, beside `workers` (they wait on the network, not the CPU).
    pub s3_workers: usize,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            probe_timeout: Duration::from_secs(60),
            s3_workers: 16,
        }
    }
}

/// Something the job runner did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JobEvent {
    /// A job finished.
    Done {
        /// Job id.
        id: i64,
        /// The file.
        path: String,
    },
    /// A running job reported progress.
    Progress {
        /// Job id.
        id: i64,
        /// Fraction done, 0..=1.
        fraction: f64,
        /// Frames per second (media work).
        fps: Option<f64>,
        /// Estimated seconds left.
        eta_secs: Option<f64>,
    },
    /// A job failed; `retrying` when it will run again.
    Failed {
        /// Job id.
        id: i64,
        /// The file.
        path: String,
        /// What went wrong.
        error: String,
        /// Whether it will be tried again.
        retrying: bool,
    },
}

/// What a run of the queue did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobRunSummary {
    /// Jobs finished.
    pub done: u64,
    /// Jobs failed for good.
    pub failed: u64,
    /// Jobs put back to be retried.
    pub retried: u64,
    /// Jobs stopped while running because someone paused or cancelled them.
    pub stopped: u64,
    /// Whether the run ended because the queue is paused (`trove jobs resume`).
    pub paused: bool,
}

pub(crate) enum Outcome {
    Done {
        claims: Vec<NewClaim>,
        media_type: Option<&'static str>,
        sources: &'static [&'static str],
        problem: Option<String>,
    },
    Retry(String),
    Failed(String),
    /// Paused or cancelled by someone while it ran; its state is left as they set it.
    Stopped,
    /// Previews made (or found) in the cache entry `key`.
    Previewed {
        /// The cache entry.
        key: String,
    },
    /// An S3 object's HEAD and tags read.
    S3Head {
        claims: Vec<NewClaim>,
        head: trove_catalog::HeadFacts,
    },
}

/// A running job's report of how far it got.
pub(crate) struct Progress {
    pub(crate) job: i64,
    pub(crate) fraction: f64,
    pub(crate) detail: ProgressDetail,
}

/// What a worker gets besides its task.
pub(crate) struct WorkContext {
    /// Set when the job is paused or cancelled: the worker stops as soon as it can.
    pub(crate) cancel: CancelToken,
    /// Where it reports progress.
    pub(crate) progress: tokio::sync::mpsc::UnboundedSender<Progress>,
    options: JobOptions,
    previews: Arc<PreviewCache>,
    /// For jobs that look up more than their task says (S3 objects).
    pub(crate) catalog: trove_catalog::Catalog,
    /// Clients of S3 sources, shared by the workers.
    pub(crate) s3: Arc<crate::s3::Buckets>,
}

impl WorkContext {
    /// Longest time one ffprobe may take.
    pub(crate) fn probe_timeout(&self) -> Duration {
        self.options.probe_timeout
    }
}

/// Runs one job of any kind.
fn work(task: &JobTask, context: &WorkContext) -> Result<Outcome> {
    if context.cancel.is_cancelled() {
        return Ok(Outcome::Stopped);
    }
    match task.kind.as_str() {
        PREVIEW => Ok(crate::previews::make(task, context, &context.previews)),
        S3_HEAD => Ok(crate::s3::head(task, context)),
        S3_PROBE => Ok(crate::s3::probe(task, context)),
        _ => probe(task, context.options.probe_timeout),
    }
}

/// Claim sources a media file's extraction states (and replaces on the next one).
const MEDIA_SOURCES: &[&str] = &[
    "probe",
    "container_tags",
    "exif",
    "iptc_iim",
    "embedded_xmp",
];
/// Claim sources a sidecar's extraction states.
const SIDECAR_SOURCES: &[&str] = &["sidecar_xmp"];

pub(crate) fn claims(values: Vec<trove_media::ExtractedValue>) -> Vec<NewClaim> {
    values
        .into_iter()
        .map(|v| NewClaim {
            field: v.field.to_owned(),
            value: v.value,
            source: v.origin.claim_source().to_owned(),
            source_key: Some(v.source_key),
        })
        .collect()
}

/// How a failure of the file's main reader counts.
fn failure(task: &JobTask, error: trove_media::Error) -> Result<Outcome> {
    match error {
        e @ trove_media::Error::FfprobeMissing => Err(Error::InvalidInput(e.to_string())),
        e @ trove_media::Error::Timeout { .. } => Ok(Outcome::Retry(e.to_string())),
        trove_media::Error::Io { ref source, .. }
            if source.kind() != std::io::ErrorKind::NotFound =>
        {
            Ok(Outcome::Retry(format!("{}: {source}", task.path.display())))
        }
        e => Ok(Outcome::Failed(e.to_string())),
    }
}

/// Reads everything Trove knows how to read from one location.
fn probe(task: &JobTask, timeout: Duration) -> Result<Outcome> {
    if task.role == trove_catalog::Role::Sidecar {
        return match trove_media::read_sidecar(&task.path) {
            Ok(extracted) => Ok(Outcome::Done {
                claims: claims(extracted.values),
                media_type: None,
                sources: SIDECAR_SOURCES,
                problem: None,
            }),
            Err(e) => failure(task, e),
        };
    }
    let mut extracted = match trove_media::probe_file(&task.path, timeout) {
        Ok(extracted) => extracted,
        Err(e) => return failure(task, e),
    };
    let media_type = extracted
        .values
        .iter()
        .find(|v| v.field == "media_type")
        .and_then(|v| match v.value.as_str() {
            Some("video") => Some("video"),
            Some("audio") => Some("audio"),
            Some("image") => Some("image"),
            _ => None,
        });
    // Secondary readers add what ffprobe does not see. Their failure does not fail the job (the
    // file was readable and its technical values are kept) but is kept as a problem on the asset.
    let mut problems = Vec::new();
    let secondary = match media_type.unwrap_or(task.media_type.as_str()) {
        "image" => Some(trove_media::read_stills_metadata(&task.path)),
        "audio" => {
            // Tag readers know RIFF INFO, ID3 and Vorbis comments better than ffprobe's tags.
            let tags = trove_media::read_audio_tags(&task.path);
            if tags.is_ok() {
                extracted
                    .values
                    .retain(|v| v.origin != trove_media::Origin::ContainerTags);
            }
            Some(tags)
        }
        _ => None,
    };
    match secondary {
        Some(Ok(more)) => extracted.values.extend(more.values),
        Some(Err(e)) => problems.push(e.to_string()),
        None => {}
    }
    match trove_media::read_embedded_xmp(&task.path) {
        Ok(Some(xmp)) => extracted.values.extend(xmp.values),
        Ok(None) => {}
        Err(e) => problems.push(e.to_string()),
    }
    Ok(Outcome::Done {
        claims: claims(extracted.values),
        media_type,
        sources: MEDIA_SOURCES,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    })
}

/// This process as a lease owner: "host:pid".
pub(crate) fn lease_owner() -> String {
    format!("{}:{}", host_name(), std::process::id())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

impl Library {
    /// Requeues jobs held by processes of this machine that no longer run (killed, crashed), so
    /// interrupted work resumes now rather than when the lease runs out.
    pub async fn release_dead_leases(&self) -> Result<u64> {
        let host = host_name();
        let mut released = 0;
        for owner in self.catalog.lease_owners().await? {
            let Some((owner_host, pid)) = owner.rsplit_once(':') else {
                continue;
            };
            let alive = std::path::Path::new("/proc").join(pid).exists();
            if owner_host == host && !alive && pid.parse::<u32>().is_ok() {
                released += self.catalog.release_leases(&owner).await?;
            }
        }
        Ok(released)
    }

    /// Pauses the whole queue or some jobs (running ones stop and wait); returns how many jobs.
    pub async fn pause_jobs(&self, selector: JobSelector<'_>) -> Result<u64> {
        Ok(self.catalog.pause_jobs(selector).await?)
    }

    /// Resumes the queue or some paused jobs; returns how many jobs were requeued.
    pub async fn resume_jobs(&self, selector: JobSelector<'_>) -> Result<u64> {
        Ok(self.catalog.resume_jobs(selector).await?)
    }

    /// Cancels unfinished jobs; returns how many.
    pub async fn cancel_jobs(&self, selector: JobSelector<'_>) -> Result<u64> {
        Ok(self.catalog.cancel_jobs(selector).await?)
    }

    /// Queues failed or cancelled jobs again, with fresh attempts; returns how many.
    pub async fn retry_jobs(&self, selector: JobSelector<'_>) -> Result<u64> {
        Ok(self.catalog.retry_jobs(selector).await?)
    }

    /// Moves the pending jobs of an asset (id, path or URI) to the front of the queue.
    pub async fn prioritize(&self, asset: &std::ffi::OsStr) -> Result<u64> {
        let id = self.resolve_asset(asset).await?;
        Ok(self
            .catalog
            .prioritize_asset(id, FOREGROUND_PRIORITY)
            .await?)
    }

    /// Queues the work the catalog calls for; returns how many jobs were added.
    pub async fn plan_jobs(&self) -> Result<u64> {
        let mut queued = self.catalog.enqueue_probes().await?;
        queued += self.catalog.enqueue_s3_heads().await?;
        queued += self.catalog.enqueue_s3_probes().await?;
        Ok(queued)
    }

    /// Queue counts.
    pub async fn job_stats(&self) -> Result<JobStats> {
        Ok(self.catalog.job_stats().await?)
    }

    /// Jobs, unfinished first, up to `limit`.
    pub async fn jobs(&self, limit: u32) -> Result<Vec<JobView>> {
        Ok(self.catalog.jobs(limit).await?)
    }

    /// Runs queued jobs until none is runnable, the queue is paused, or `stop` completes.
    ///
    /// Up to `options.workers` jobs run at once on blocking threads; the slots refill as jobs
    /// finish. Every [`CONTROL_INTERVAL`] the runner re-reads the jobs it holds: those paused or
    /// cancelled by someone (any process) are told to stop, and their state is left as set.
    pub async fn run_jobs<F>(
        &self,
        options: &JobOptions,
        observer: &(dyn Fn(&JobEvent) + Send + Sync),
        stop: F,
    ) -> Result<JobRunSummary>
    where
        F: Future<Output = ()>,
    {
        let mut summary = JobRunSummary::default();
        let workers = options.workers.max(1);
        let me = lease_owner();
        self.release_dead_leases().await?;
        // Restore requests and the restore checks that are due go first: a few quick network
        // calls; what is not finished is rescheduled by the poller itself.
        let restores = self.run_restore_jobs(false).await?;
        if restores.requested + restores.checked > 0 {
            tracing::info!(
                requested = restores.requested,
                checked = restores.checked,
                ready = restores.ready,
                "restore jobs run"
            );
        }
        tokio::pin!(stop);
        let mut running: tokio::task::JoinSet<(JobTask, Result<Outcome>)> =
            tokio::task::JoinSet::new();
        let mut held: Vec<(i64, CancelToken)> = Vec::new();
        let previews = Arc::new(self.preview_cache()?);
        let buckets = Arc::new(crate::s3::Buckets::default());
        // S3 HEADs run in slots of their own: they wait on the network.
        let mut heads_running = 0usize;
        let mut previewed = 0;
        let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        let mut last_saved: HashMap<i64, Instant> = HashMap::new();
        let mut control = tokio::time::interval(CONTROL_INTERVAL);
        control.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Refill free slots, unless the queue is paused.
            let free = workers.saturating_sub(running.len() - heads_running);
            let heads_free = options.s3_workers.saturating_sub(heads_running);
            if free > 0 || heads_free > 0 {
                if self.catalog.queue_paused().await? {
                    summary.paused = true;
                } else {
                    // Metadata first (quick, and what search needs), then previews.
                    let mut tasks = Vec::new();
                    for kind in [PROBE, S3_PROBE] {
                        let left = free.saturating_sub(tasks.len());
                        if left > 0 {
                            tasks.extend(
                                self.catalog
                                    .lease_jobs(
                                        kind,
                                        u32::try_from(left).unwrap_or(u32::MAX),
                                        LEASE_SECS,
                                        &me,
                                    )
                                    .await?,
                            );
                        }
                    }
                    let left = free.saturating_sub(tasks.len());
                    if left > 0 {
                        tasks.extend(
                            self.catalog
                                .lease_jobs(
                                    PREVIEW,
                                    u32::try_from(left).unwrap_or(u32::MAX),
                                    LEASE_SECS,
                                    &me,
                                )
                                .await?,
                        );
                    }
                    if heads_free > 0 {
                        tasks.extend(
                            self.catalog
                                .lease_jobs(
                                    S3_HEAD,
                                    u32::try_from(heads_free).unwrap_or(u32::MAX),
                                    LEASE_SECS,
                                    &me,
                                )
                                .await?,
                        );
                    }
                    for task in tasks {
                        if task.kind == S3_HEAD {
                            heads_running += 1;
                        }
                        let cancel = CancelToken::new();
                        held.push((task.id, cancel.clone()));
                        let context = WorkContext {
                            cancel,
                            progress: progress_tx.clone(),
                            options: options.clone(),
                            previews: previews.clone(),
                            catalog: self.catalog.clone(),
                            s3: buckets.clone(),
                        };
                        running.spawn_blocking(move || {
                            let outcome = work(&task, &context);
                            (task, outcome)
                        });
                    }
                }
            }
            if running.is_empty() {
                break;
            }
            let joined = tokio::select! {
                joined = running.join_next() => joined,
                Some(p) = progress_rx.recv() => {
                    observer(&JobEvent::Progress {
                        id: p.job,
                        fraction: p.fraction,
                        fps: p.detail.fps,
                        eta_secs: p.detail.eta_secs,
                    });
                    let due = last_saved.get(&p.job).is_none_or(|t| t.elapsed() >= CONTROL_INTERVAL);
                    if due {
                        last_saved.insert(p.job, Instant::now());
                        self.catalog.set_progress(p.job, p.fraction, &p.detail).await?;
                    }
                    continue;
                }
                _ = control.tick() => {
                    let ids: Vec<i64> = held.iter().map(|(id, _)| *id).collect();
                    let stopped = self.catalog.stopped_jobs(&ids).await?;
                    for (id, cancel) in &held {
                        if stopped.contains(id) {
                            cancel.cancel();
                        }
                    }
                    continue;
                }
                _ = &mut stop => {
                    // Leases run out (or are released as dead) and the jobs run again later.
                    for (_, cancel) in &held {
                        cancel.cancel();
                    }
                    running.abort_all();
                    return Ok(summary);
                }
            };
            let Some(joined) = joined else { break };
            let (task, outcome) =
                joined.map_err(|e| Error::Internal(format!("a job worker failed: {e}")))?;
            held.retain(|(id, _)| *id != task.id);
            if task.kind == S3_HEAD {
                heads_running -= 1;
            }
            last_saved.remove(&task.id);
            let path = task.path.to_string_lossy().into_owned();
            match outcome? {
                Outcome::Done {
                    claims,
                    media_type,
                    sources,
                    problem,
                } => {
                    self.catalog
                        .complete_probe(&task, sources, &claims, media_type, problem.as_deref())
                        .await?;
                    summary.done += 1;
                    observer(&JobEvent::Done { id: task.id, path });
                }
                Outcome::Stopped => summary.stopped += 1,
                Outcome::S3Head { claims, head } => {
                    self.catalog.complete_s3_head(&task, &head, &claims).await?;
                    summary.done += 1;
                    observer(&JobEvent::Done { id: task.id, path });
                }
                Outcome::Previewed { key } => {
                    self.catalog.complete_preview(&task, &key).await?;
                    summary.done += 1;
                    previewed += 1;
                    observer(&JobEvent::Done { id: task.id, path });
                }
                Outcome::Retry(error) if task.attempts < MAX_ATTEMPTS => {
                    let delay = 10 * (1 << task.attempts.min(6));
                    self.catalog.fail_job(&task, &error, Some(delay)).await?;
                    summary.retried += 1;
                    observer(&JobEvent::Failed {
                        id: task.id,
                        path,
                        error,
                        retrying: true,
                    });
                }
                Outcome::Retry(error) | Outcome::Failed(error) => {
                    self.catalog.fail_job(&task, &error, None).await?;
                    summary.failed += 1;
                    observer(&JobEvent::Failed {
                        id: task.id,
                        path,
                        error,
                        retrying: false,
                    });
                }
            }
        }
        if previewed > 0 {
            self.enforce_preview_cap().await?;
        }
        Ok(summary)
    }
}
