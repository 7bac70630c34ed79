//! The crate's errors: each names the file it concerns, so a failed probe can be shown as is.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong while probing a file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No ffprobe executable next to the program or on `PATH`.
    #[error("ffprobe not found on PATH: install ffmpeg (apt-get install ffmpeg)")]
    FfprobeMissing,
    /// ffprobe ran and rejected the file (corrupt, truncated, not media).
    #[error("ffprobe cannot read {path}: {message}", path = path.display())]
    Probe {
        /// The file.
        path: PathBuf,
        /// ffprobe's own words: its error string and stderr, e.g.
        /// "Invalid data found when processing input; moov atom not found".
        message: String,
    },
    /// ffprobe did not finish in time and was killed.
    #[error("ffprobe timed out after {after:?} on {path}", path = path.display())]
    Timeout {
        /// The file.
        path: PathBuf,
        /// The time limit that was reached.
        after: Duration,
    },
    /// The file (media, sidecar) could not be opened or read, or ffprobe could not be started
    /// on it.
    #[error("cannot read {path}: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// ffprobe's output was not the JSON it should print.
    #[error("unreadable ffprobe output for {path}: {message}", path = path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said.
        message: String,
    },
    /// Embedded metadata (EXIF, IPTC, audio tags) could not be read: the file is damaged or not
    /// of the kind it claims to be.
    #[error("cannot read metadata of {path}: {message}", path = path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        message: String,
    },
    /// An XMP packet or sidecar could not be parsed.
    #[error("unreadable XMP in {path}: {message}", path = path.display())]
    Xmp {
        /// The file.
        path: PathBuf,
        /// What failed, e.g. "XML error at byte 120: ...".
        message: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
