//! What the caller holds while previews are made: a cancel token, a progress callback, and the
//! time limits that decide when a silent or overlong ffmpeg is killed.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A flag the caller sets (from any thread) to stop the work; a running ffmpeg is killed within
/// about 50 ms. Clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How far the work on one source has come, from ffmpeg's progress lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// 0 to 100: the media time decoded over the duration; 100 only when all outputs are done.
    pub percent: f32,
    /// Frames per second ffmpeg reports, when it reports video frames.
    pub fps: Option<f32>,
    /// Media seconds per wall-clock second (2.0 is twice real time).
    pub speed: Option<f32>,
    /// Estimated time left, from the speed and the media time still to decode.
    pub eta: Option<Duration>,
}

/// The callback that receives [`Progress`]; it runs on the thread that makes the previews.
pub type ProgressFn = dyn Fn(&Progress) + Send + Sync;

/// Cancel token and progress callback for one [`ensure`](crate::PreviewCache::ensure) call.
#[derive(Default)]
pub struct Control {
    pub(crate) cancel: CancelToken,
    pub(crate) progress: Option<Box<ProgressFn>>,
}

impl Control {
    /// No cancel token of the caller's, no progress callback.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the work when `token` is set.
    pub fn with_cancel(mut self, token: CancelToken) -> Self {
        self.cancel = token;
        self
    }

    /// Sends progress to `f` (about twice a second while ffmpeg runs, and 100 at the end).
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    pub(crate) fn report(&self, progress: &Progress) {
        if let Some(f) = &self.progress {
            f(progress);
        }
    }
}

impl fmt::Debug for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Control")
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// When a tool is killed: after `stall` without its media time advancing, or after the larger
/// of `floor` and `per_media_second` times the media's duration.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// The longest a tool may go without progress.
    pub stall: Duration,
    /// The overall limit for short media.
    pub floor: Duration,
    /// The overall limit per second of media, for long media.
    pub per_media_second: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            stall: Duration::from_secs(30),
            floor: Duration::from_secs(120),
            per_media_second: 10.0,
        }
    }
}

impl Limits {
    /// The overall time limit for media of `duration` seconds.
    pub(crate) fn overall(&self, duration: Option<f64>) -> Duration {
        let scaled = duration
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| Duration::from_secs_f64((d * self.per_media_second).min(86_400.0)))
            .unwrap_or_default();
        scaled.max(self.floor)
    }
}
