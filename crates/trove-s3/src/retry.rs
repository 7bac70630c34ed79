//! Retries with exponential backoff, and the adaptive limit on concurrent requests that
//! throttling (503 SlowDown) lowers and success raises again.
//!
//! The SDK's own retries are turned off (see `bucket.rs`): this module retries instead, so that
//! every retry is counted, a listing resumes from its last page, and throttling slows the whole
//! listing rather than each request alone.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::{Error, Result};

/// How often and how patiently to retry transient failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first delay; each retry doubles it, up to `max_delay`, with full jitter.
    pub base_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        // Full jitter: clients throttled together do not come back together.
        let millis = exp.as_millis().max(1) as u64;
        Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
    }
}

/// Request counters, shared by the tasks of one operation.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) throttled: AtomicU64,
}

/// A limit on requests in flight that halves on throttling and grows by one after a limit's
/// worth of successes (additive increase, multiplicative decrease).
#[derive(Debug)]
pub(crate) struct Limiter {
    semaphore: Semaphore,
    max: usize,
    state: Mutex<LimitState>,
}

#[derive(Debug)]
struct LimitState {
    limit: usize,
    /// Permits to retire as they come back, after a cut.
    debt: usize,
    successes: usize,
    last_cut: Option<Instant>,
    lowest: usize,
}

impl Limiter {
    pub(crate) fn new(max: usize) -> Limiter {
        let max = max.max(1);
        Limiter {
            semaphore: Semaphore::new(max),
            max,
            state: Mutex::new(LimitState {
                limit: max,
                debt: 0,
                successes: 0,
                last_cut: None,
                lowest: max,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LimitState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn acquire(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so this fails only if that changes.
        self.semaphore.acquire().await.ok()
    }

    fn release(&self, permit: SemaphorePermit<'_>) {
        let mut state = self.state();
        if state.debt > 0 {
            state.debt -= 1;
            permit.forget();
        }
    }

    fn succeeded(&self) {
        let mut state = self.state();
        state.successes += 1;
        if state.successes >= state.limit && state.limit < self.max {
            state.successes = 0;
            state.limit += 1;
            if state.debt > 0 {
                state.debt -= 1;
            } else {
                self.semaphore.add_permits(1);
            }
        }
    }

    fn throttled(&self) {
        let mut state = self.state();
        // One burst of 503s is one signal: cut at most every 100 ms.
        if state
            .last_cut
            .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        state.last_cut = Some(Instant::now());
        state.successes = 0;
        let new = (state.limit / 2).max(1);
        let cut = state.limit - new;
        state.limit = new;
        state.lowest = state.lowest.min(new);
        let forgotten = self.semaphore.forget_permits(cut);
        state.debt += cut - forgotten;
    }

    /// The lowest limit reached so far.
    pub(crate) fn lowest(&self) -> usize {
        self.state().lowest
    }
}

/// Runs `op` until it succeeds, fails for good, or runs out of attempts; transient failures
/// (throttling, network) are retried after a backoff. With a limiter, each attempt holds one of
/// its permits and reports throttling to it.
pub(crate) async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    limiter: Option<&Limiter>,
    counters: &Counters,
    mut op: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let permit = match limiter {
            Some(l) => l.acquire().await,
            None => None,
        };
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let result = op().await;
        if let (Some(l), Some(p)) = (limiter, permit) {
            l.release(p);
        }
        match result {
            Ok(value) => {
                if let Some(l) = limiter {
                    l.succeeded();
                }
                return Ok(value);
            }
            Err(err) if err.is_transient() && attempt < policy.max_attempts => {
                if matches!(err, Error::SlowDown { .. }) {
                    counters.throttled.fetch_add(1, Ordering::Relaxed);
                    if let Some(l) = limiter {
                        l.throttled();
                    }
                }
                counters.retries.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(attempt, error = %err, "retrying S3 request");
                tokio::time::sleep(policy.delay(attempt)).await;
            }
            Err(Error::SlowDown { bucket, .. }) => {
                return Err(Error::SlowDown {
                    bucket,
                    attempts: attempt,
                })
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_the_limit_and_success_raises_it() {
        let limiter = Limiter::new(16);
        limiter.throttled();
        assert_eq!(limiter.state().limit, 8);
        assert_eq!(limiter.semaphore.available_permits(), 8);
        // A second 503 of the same burst does not cut again.
        limiter.throttled();
        assert_eq!(limiter.state().limit, 8);
        for _ in 0..8 {
            limiter.succeeded();
        }
        assert_eq!(limiter.state().limit, 9);
        assert_eq!(limiter.semaphore.available_permits(), 9);
        assert_eq!(limiter.lowest(), 8);
    }

    #[test]
    fn delays_grow_and_stay_capped() {
        let policy = RetryPolicy::default();
        assert!(policy.delay(1) <= Duration::from_millis(100));
        assert!(policy.delay(30) <= Duration::from_secs(5));
        assert!(policy.delay(30) >= Duration::from_millis(2500));
    }
}
