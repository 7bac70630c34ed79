//! The crate's errors: each names the file it concerns, so it can be shown as it is.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong with one file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, read or inspected.
    #[error("cannot read {path}: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file's size or modification time changed since it was listed, or while it was read:
    /// its hash would describe neither version.
    #[error("{path} changed while it was being hashed", path = path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// The still image could not be decoded.
    #[error("cannot decode image {path}: {source}", path = path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        source: image::ImageError,
    },
    /// No ffmpeg or ffprobe executable next to the program or on `PATH`.
    #[error("{program} not found on PATH: install ffmpeg (apt-get install ffmpeg)")]
    ToolMissing {
        /// `ffmpeg` or `ffprobe`.
        program: &'static str,
    },
    /// ffmpeg or ffprobe ran and rejected the file, or printed something unexpected.
    #[error("{program} cannot read {path}: {message}", path = path.display())]
    Video {
        /// The file.
        path: PathBuf,
        /// `ffmpeg` or `ffprobe`.
        program: &'static str,
        /// The tool's own words (stderr), or what was wrong with its output.
        message: String,
    },
    /// ffmpeg or ffprobe did not finish in time and was killed.
    #[error("{program} timed out after {after:?} on {path}", path = path.display())]
    Timeout {
        /// The file.
        path: PathBuf,
        /// `ffmpeg` or `ffprobe`.
        program: &'static str,
        /// The time limit that was reached.
        after: Duration,
    },
    /// Bytes given to [`crate::near::Fingerprint::from_bytes`] are not a stored fingerprint.
    #[error("not a stored fingerprint: {reason}")]
    BadFingerprint {
        /// What did not fit.
        reason: &'static str,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
