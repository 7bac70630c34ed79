//! Running jobs: metadata extraction (probe) today; previews, hashing and restores later.
//!
//! Work is planned from the catalog (`plan_jobs`: every media file not extracted as it is now gets
//! a `probe` job), leased in small batches and run on a bounded number of blocking threads, one
//! ffprobe process each. A job that fails on the file itself (corrupt, not media) fails for good
//! with its error kept on the asset, and is not retried until the file changes; a timeout is
//! retried a few times with growing delays.

use crate::{Error, Library, Result};
use serde::Serialize;
use std::future::Future;
use std::time::Duration;
use trove_catalog::{JobStats, JobTask, JobView, NewClaim, PROBE};

/// Attempts before a job that keeps timing out is given up.
const MAX_ATTEMPTS: i64 = 3;
/// How long a worker holds a job before another may take it over.
const LEASE_SECS: i64 = 600;

/// How jobs run.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Jobs run at once (ffprobe processes).
    pub workers: usize,
    /// Longest time one ffprobe may take.
    pub probe_timeout: Duration,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            probe_timeout: Duration::from_secs(60),
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
}

enum Outcome {
    Done {
        claims: Vec<NewClaim>,
        media_type: Option<&'static str>,
        sources: &'static [&'static str],
        problem: Option<String>,
    },
    Retry(String),
    Failed(String),
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

fn claims(values: Vec<trove_media::ExtractedValue>) -> Vec<NewClaim> {
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
fn lease_owner() -> String {
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

    /// Queues the work the catalog calls for; returns how many jobs were added.
    pub async fn plan_jobs(&self) -> Result<u64> {
        Ok(self.catalog.enqueue_probes().await?)
    }

    /// Queue counts.
    pub async fn job_stats(&self) -> Result<JobStats> {
        Ok(self.catalog.job_stats().await?)
    }

    /// Jobs, unfinished first, up to `limit`.
    pub async fn jobs(&self, limit: u32) -> Result<Vec<JobView>> {
        Ok(self.catalog.jobs(limit).await?)
    }

    /// Runs queued jobs until none is runnable or `stop` completes.
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
        tokio::pin!(stop);
        loop {
            let tasks = self
                .catalog
                .lease_jobs(
                    PROBE,
                    u32::try_from(workers).unwrap_or(u32::MAX),
                    LEASE_SECS,
                    &me,
                )
                .await?;
            if tasks.is_empty() {
                break;
            }
            let mut running = tokio::task::JoinSet::new();
            for task in tasks {
                let timeout = options.probe_timeout;
                running.spawn_blocking(move || {
                    let outcome = probe(&task, timeout);
                    (task, outcome)
                });
            }
            while let Some(joined) = tokio::select! {
                joined = running.join_next() => joined,
                _ = &mut stop => {
                    // Leases run out and the jobs run again next time.
                    running.abort_all();
                    return Ok(summary);
                }
            } {
                let (task, outcome) =
                    joined.map_err(|e| Error::Internal(format!("a job worker failed: {e}")))?;
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
        }
        Ok(summary)
    }
}
