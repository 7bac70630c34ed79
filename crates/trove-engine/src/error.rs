//! The engine's errors: each names the source, path or asset it concerns.

use std::path::PathBuf;

/// What went wrong in a workflow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] trove_catalog::Error),
    /// The library folder cannot be used.
    #[error("cannot use the library folder {path}: {source}")]
    Library {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No library folder was given and the OS has no data folder for this user.
    #[error("no library folder: pass --library DIR or set TROVE_LIBRARY")]
    NoLibraryDir,
    /// A path given as a source cannot be added.
    #[error("cannot add {path} as a source: {reason}")]
    BadSourcePath {
        /// The path given.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// A source, asset or path given by the user is unknown.
    #[error("{0} not found")]
    NotFound(String),
    /// A request that cannot be carried out as given.
    #[error("{0}")]
    InvalidInput(String),
    /// The file system watcher failed.
    #[error("cannot watch {path}: {source}")]
    Watch {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: trove_storage::watch::NotifyError,
    },
    /// The search index failed (it can be rebuilt from the catalog: `trove search --rebuild`).
    #[error("search index: {0}")]
    Search(String),
    /// An S3 request failed (the message names the bucket and key).
    #[error(transparent)]
    S3(#[from] trove_s3::Error),
    /// A Glacier vault request failed (the message names the vault and job).
    #[error(transparent)]
    Glacier(#[from] trove_glacier::Error),
    /// A background task died.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
