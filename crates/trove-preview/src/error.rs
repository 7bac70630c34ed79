//! The crate's errors: each names the file it concerns, so a failed preview can be shown as is.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong while making or reading previews.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder (source, cache entry, output) could not be read or written.
    #[error("{path}: {source}", path = path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The caller's content key cannot name a cache entry.
    #[error("invalid content key {key:?}: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// ffmpeg or ffprobe could not be started (not installed, not executable).
    #[error("cannot start {tool} for {path}: {source}", path = path.display())]
    Spawn {
        /// `ffmpeg` or `ffprobe`.
        tool: &'static str,
        /// The source file it was started for.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// ffmpeg or ffprobe ran and failed on the file: corrupt, truncated or not media.
    #[error("{tool} failed on {path} ({status}): {stderr}", path = path.display())]
    Tool {
        /// `ffmpeg` or `ffprobe`.
        tool: &'static str,
        /// The source file.
        path: PathBuf,
        /// The exit status.
        status: String,
        /// The last lines of its stderr (bounded), the errors first.
        stderr: String,
    },
    /// ffmpeg or ffprobe made no progress, or ran past its time limit, and was killed.
    #[error("{tool} killed on {path} after {after:?}: {reason}; stderr: {stderr}", path = path.display())]
    Timeout {
        /// `ffmpeg` or `ffprobe`.
        tool: &'static str,
        /// The source file.
        path: PathBuf,
        /// How long it ran.
        after: Duration,
        /// `no progress` or `time limit`.
        reason: &'static str,
        /// The last lines of its stderr (bounded).
        stderr: String,
    },
    /// The caller's cancel token was set; any ffmpeg was killed and nothing was kept.
    #[error("previews of {path} cancelled", path = path.display())]
    Cancelled {
        /// The source file.
        path: PathBuf,
    },
    /// The file is not media this crate can preview (no video or audio stream, an image
    /// format it cannot decode, a RAW file without an embedded JPEG).
    #[error("cannot preview {path}: {reason}", path = path.display())]
    Unsupported {
        /// The source file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An image (a still, or a frame ffmpeg wrote) could not be decoded or encoded.
    #[error("cannot decode or encode image {path}: {message}", path = path.display())]
    Image {
        /// The image file.
        path: PathBuf,
        /// What the codec said.
        message: String,
    },
    /// ffprobe's JSON or a cache manifest could not be parsed or written.
    #[error("unreadable JSON in {path}: {source}", path = path.display())]
    Json {
        /// The file (or the source that ffprobe described).
        path: PathBuf,
        /// The parser's error.
        source: serde_json::Error,
    },
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
