//! The catalog's errors: each names what it concerns.

use std::path::PathBuf;

/// What went wrong in the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database file could not be opened or created.
    #[error("cannot open the catalog {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: sqlx::Error,
    },
    /// A migration failed; the catalog is left as it was before it.
    #[error("cannot migrate the catalog {path}: {source}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: sqlx::migrate::MigrateError,
    },
    /// A source with this URI is already in the catalog.
    #[error("source {uri} is already in the library")]
    SourceExists {
        /// The source's URI.
        uri: String,
    },
    /// A live collection already has this name (names ignore case).
    #[error("a collection named {name:?} already exists")]
    CollectionExists {
        /// The name asked for.
        name: String,
    },
    /// No live collection has this name.
    #[error("no collection named {name:?}")]
    NoSuchCollection {
        /// The name asked for.
        name: String,
    },
    /// A stored value does not parse (a damaged or newer catalog).
    #[error("catalog row {table}#{id} has an invalid value: {source}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row id.
        id: i64,
        /// What did not parse.
        source: trove_core::Error,
    },
    /// A result the catalog built does not decode.
    #[error("cannot decode {what} from the catalog: {message}")]
    Decode {
        /// What was being read.
        what: &'static str,
        /// Why it failed.
        message: String,
    },
    /// Any other database error.
    #[error("catalog query failed: {0}")]
    Sqlx(#[from] sqlx::Error),
}

/// Result with the catalog's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
