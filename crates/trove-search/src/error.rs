//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong in the search index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The query text is not valid; `position` is the character (not byte) offset of the
    /// problem in the query.
    #[error("invalid query at character {position}: {message}")]
    Query {
        /// What is wrong, for people.
        message: String,
        /// The character offset into the query where the problem is.
        position: usize,
    },
    /// Another process holds the index's writer lock (a `trove watch`, or another command
    /// syncing); this handle can search but not write.
    #[error("the search index is being updated by another Trove process")]
    Locked,
    /// tantivy failed (I/O inside the index, a corrupt index, a held writer lock, ...).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A file-system operation on the index directory failed.
    #[error("search index directory {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
