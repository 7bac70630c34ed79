//! Throttling of progress streams sent to the UI over `tauri::ipc::Channel`.
//!
//! The engine reports progress as often as it likes; the webview only needs a few updates a
//! second. Per stream key (a job id, a source), the first update and the last one (a job that
//! finished or failed, a scan that is done) always pass; in between, at most one per interval.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How often progress of one stream reaches the UI at most.
pub(crate) const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Decides which updates of each stream are sent.
#[derive(Debug)]
pub(crate) struct Throttle<K> {
    interval: Duration,
    last_sent: HashMap<K, Instant>,
}

impl<K: Eq + Hash> Throttle<K> {
    /// A throttle letting one update per `interval` through for each key.
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_sent: HashMap::new(),
        }
    }

    /// Whether an update of `key` at `now` should be sent; `last` marks the stream's final one,
    /// which always passes and forgets the key.
    pub(crate) fn admit(&mut self, key: K, now: Instant, last: bool) -> bool {
        if last {
            self.last_sent.remove(&key);
            return true;
        }
        match self.last_sent.get(&key) {
            Some(sent) if now.saturating_duration_since(*sent) < self.interval => false,
            _ => {
                self.last_sent.insert(key, now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_passes_then_one_per_interval_and_last_always() {
        let mut throttle = Throttle::new(Duration::from_millis(100));
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        assert!(throttle.admit(1, at(0), false), "the first update is sent");
        assert!(!throttle.admit(1, at(30), false));
        assert!(!throttle.admit(1, at(99), false));
        assert!(throttle.admit(1, at(100), false), "one interval later");
        assert!(!throttle.admit(1, at(150), false));
        assert!(
            throttle.admit(1, at(151), true),
            "the last update is always sent"
        );
        assert!(
            throttle.admit(1, at(152), false),
            "a finished stream starts afresh"
        );
    }

    #[test]
    fn streams_are_throttled_independently() {
        let mut throttle = Throttle::new(Duration::from_millis(100));
        let now = Instant::now();
        assert!(throttle.admit("a", now, false));
        assert!(throttle.admit("b", now, false));
        assert!(!throttle.admit("a", now, false));
    }
}
