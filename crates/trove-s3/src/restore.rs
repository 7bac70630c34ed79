//! Restores of archived objects (`RestoreObject`): one at a time or in rate-limited batches.
//!
//! S3 answers a restore in three ways that are all success for Trove — 202 (started), 200
//! (already restored; the expiry is extended) and 409 `RestoreAlreadyInProgress` — and the SDK
//! hides the first difference: an interceptor records the HTTP status. Throttling (503
//! SlowDown) is retried with backoff by `retry.rs`; a refused Expedited retrieval (503
//! `GlacierExpeditedRetrievalNotAvailable`) is not, since retrying it would only cost money
//! later: the caller chooses another tier.
//!
//! The state of a restore is read by [`Bucket::head`]: [`ObjectHead::restore`](crate::ObjectHead)
//! parses `x-amz-restore` into a [`RestoreState`] (`None` when no restore is known).

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{GlacierJobParameters, RestoreRequest, Tier};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

use crate::error::classify;
use crate::object::RestoreState;
use crate::retry::{retry, Counters, Limiter};
use crate::{Bucket, Error, Result};

/// A retrieval tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RestoreTier {
    /// Minutes; GLACIER and the Archive Access tier only, and AWS may refuse it under load.
    Expedited,
    /// Hours.
    Standard,
    /// The cheapest and slowest.
    Bulk,
}

impl RestoreTier {
    fn sdk(self) -> Tier {
        match self {
            RestoreTier::Expedited => Tier::Expedited,
            RestoreTier::Standard => Tier::Standard,
            RestoreTier::Bulk => Tier::Bulk,
        }
    }
}

/// What to ask of S3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Days the temporary copy stays readable. `None` for Intelligent-Tiering archive tiers,
    /// whose restores must omit Days (the object moves back to Frequent Access).
    pub days: Option<u32>,
    /// The tier.
    pub tier: RestoreTier,
}

/// How S3 took a restore request. Every one of them ends in a tracked restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// 202 Accepted: the restore started.
    Started,
    /// 200 OK: a temporary copy was already there; its expiry now counts from this request.
    AlreadyRestored {
        /// The new expiry, read back with a HEAD (`None` when that HEAD failed or S3 sent none).
        expiry: Option<SystemTime>,
    },
    /// 409 `RestoreAlreadyInProgress`: someone already asked and S3 is working on it.
    InProgress,
}

/// Records the HTTP status of the response, which `RestoreObjectOutput` does not tell.
#[derive(Debug, Clone, Default)]
struct StatusRecorder(Arc<AtomicU16>);

impl Intercept for StatusRecorder {
    fn name(&self) -> &'static str {
        "TroveRestoreStatus"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0
            .store(context.response().status().as_u16(), Ordering::Relaxed);
        Ok(())
    }
}

/// One object of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreItem {
    /// The key.
    pub key: String,
    /// The version, when the bucket is versioned.
    pub version_id: Option<String>,
    /// Days and tier.
    pub options: RestoreOptions,
}

/// How a batch of restores is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchOptions {
    /// Requests in flight at most (halved on throttling, grown again on success).
    pub concurrency: usize,
    /// Requests started per second at most (AWS allows about 1,000 per account and region).
    pub per_second: f64,
}

impl Default for BatchOptions {
    fn default() -> BatchOptions {
        BatchOptions {
            concurrency: 16,
            per_second: 100.0,
        }
    }
}

/// The result of one request of a batch, with the time it was sent (what the catalog records
/// as requested-at).
#[derive(Debug)]
pub struct RestoreResult {
    /// The item.
    pub item: RestoreItem,
    /// When the (last) request was sent.
    pub requested_at: SystemTime,
    /// What S3 said.
    pub outcome: Result<RestoreOutcome>,
}

/// Counts of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Requests sent, retries included.
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// 503 SlowDown answers.
    pub throttled: u64,
    /// The lowest concurrency throttling brought the batch to.
    pub lowest_concurrency: usize,
}

impl Bucket {
    /// Asks S3 to restore `key` (one version of it, when given). 202, 200 and 409
    /// `RestoreAlreadyInProgress` are all success ([`RestoreOutcome`]); throttling is retried;
    /// a refused Expedited retrieval is [`Error::ExpeditedUnavailable`]; an object that is not
    /// archived is [`Error::NotArchived`].
    pub async fn restore_object(
        &self,
        key: &str,
        version_id: Option<&str>,
        options: RestoreOptions,
    ) -> Result<RestoreOutcome> {
        self.restore_counted(key, version_id, options, None, &Counters::default())
            .await
    }

    async fn restore_counted(
        &self,
        key: &str,
        version_id: Option<&str>,
        options: RestoreOptions,
        limiter: Option<&Limiter>,
        counters: &Counters,
    ) -> Result<RestoreOutcome> {
        let parameters = GlacierJobParameters::builder()
            .tier(options.tier.sdk())
            .build()
            .map_err(|e| Error::InvalidConfig {
                option: "restore tier",
                reason: e.to_string(),
            })?;
        let request = RestoreRequest::builder()
            .set_days(options.days.map(|d| d.min(i32::MAX as u32) as i32))
            .glacier_job_parameters(parameters)
            .build();
        let status = StatusRecorder::default();
        let outcome = retry(&self.retry, limiter, counters, || async {
            status.0.store(0, Ordering::Relaxed);
            let sent = self
                .client
                .restore_object()
                .bucket(&*self.name)
                .key(key)
                .set_version_id(version_id.map(str::to_owned))
                .restore_request(request.clone())
                .customize()
                .interceptor(status.clone())
                .send()
                .await;
            match sent {
                Ok(_) => Ok(status.0.load(Ordering::Relaxed)),
                Err(err) => self.restore_error(err, key).map(|()| 409),
            }
        })
        .await?;
        match outcome {
            409 => Ok(RestoreOutcome::InProgress),
            200 => {
                let expiry = match self.head_version(key, version_id).await {
                    Ok(head) => match head.restore {
                        Some(RestoreState::Restored { expiry }) => expiry,
                        _ => None,
                    },
                    Err(e) => {
                        tracing::warn!(key, error = %e, "restored, but the HEAD for the new expiry failed");
                        None
                    }
                };
                Ok(RestoreOutcome::AlreadyRestored { expiry })
            }
            _ => Ok(RestoreOutcome::Started),
        }
    }

    /// `Ok(())` for 409 `RestoreAlreadyInProgress` (a success), the classified error otherwise.
    fn restore_error<E>(
        &self,
        err: SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
        key: &str,
    ) -> Result<()>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if let SdkError::ServiceError(context) = &err {
            match context.err().code() {
                Some("RestoreAlreadyInProgress") => return Ok(()),
                Some("InvalidObjectState") => {
                    return Err(Error::NotArchived {
                        bucket: self.name().to_owned(),
                        key: key.to_owned(),
                    })
                }
                _ => {}
            }
        }
        Err(classify(err, self.target(Some(key))))
    }

    /// Sends the restores of `items`, at most `options.concurrency` at once and
    /// `options.per_second` a second, each retried on throttling (which also lowers the
    /// concurrency). Results come back in the order of `items`; one failure does not stop the
    /// others.
    pub async fn restore_batch(
        &self,
        items: Vec<RestoreItem>,
        options: BatchOptions,
    ) -> (Vec<RestoreResult>, BatchStats) {
        let limiter = Arc::new(Limiter::new(options.concurrency));
        let counters = Arc::new(Counters::default());
        let pacer = Arc::new(Pacer::new(options.per_second));
        let mut tasks = JoinSet::new();
        let total = items.len();
        for (index, item) in items.into_iter().enumerate() {
            let bucket = self.clone();
            let limiter = Arc::clone(&limiter);
            let counters = Arc::clone(&counters);
            let pacer = Arc::clone(&pacer);
            tasks.spawn(async move {
                pacer.wait().await;
                let requested_at = SystemTime::now();
                let outcome = bucket
                    .restore_counted(
                        &item.key,
                        item.version_id.as_deref(),
                        item.options,
                        Some(&limiter),
                        &counters,
                    )
                    .await;
                (
                    index,
                    RestoreResult {
                        item,
                        requested_at,
                        outcome,
                    },
                )
            });
        }
        let mut results: Vec<Option<RestoreResult>> = (0..total).map(|_| None).collect();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((index, result)) => results[index] = Some(result),
                // A task panicked: its slot stays empty and is reported below.
                Err(e) => tracing::error!(error = %e, "a restore task failed"),
            }
        }
        let results = results
            .into_iter()
            .flatten()
            .collect::<Vec<RestoreResult>>();
        let stats = BatchStats {
            requests: counters.requests.load(Ordering::Relaxed),
            retries: counters.retries.load(Ordering::Relaxed),
            throttled: counters.throttled.load(Ordering::Relaxed),
            lowest_concurrency: limiter.lowest(),
        };
        (results, stats)
    }
}

/// Spaces request starts at least `1 / per_second` apart.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(per_second: f64) -> Pacer {
        let interval = if per_second.is_finite() && per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        Pacer {
            interval,
            next: Mutex::new(Instant::now()),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pacer_spaces_requests() {
        let pacer = Pacer::new(50.0);
        let start = Instant::now();
        for _ in 0..6 {
            pacer.wait().await;
        }
        // Five intervals of 20 ms after the first, immediate, start.
        assert!(
            start.elapsed() >= Duration::from_millis(100),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn restore_headers_parse_every_state() {
        // The parser of `object.rs` serves restores; these are the forms S3 and moto send.
        assert_eq!(
            RestoreState::parse_header(r#"ongoing-request="true""#),
            Some(RestoreState::InProgress)
        );
        let ready = RestoreState::parse_header(
            r#"ongoing-request="false", expiry-date="Sat, 05 Dec 2026 18:28:51 GMT""#,
        );
        assert!(matches!(
            ready,
            Some(RestoreState::Restored { expiry: Some(_) })
        ));
        // An unreadable date still means readable, expiry unknown.
        assert_eq!(
            RestoreState::parse_header(r#"ongoing-request="false", expiry-date="soon""#),
            Some(RestoreState::Restored { expiry: None })
        );
        assert_eq!(RestoreState::parse_header(""), None);
    }
}
