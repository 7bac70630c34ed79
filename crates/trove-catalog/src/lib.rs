//! The catalog: Trove's source of truth, in SQLite through sqlx.
//!
//! A [`Catalog`] is one database file, opened in WAL mode with the migrations of `migrations/`
//! applied. Every SQL statement of Trove lives in this crate, so that a second backend
//! (PostgreSQL, for teams) stays an addition rather than a rewrite.
//!
//! Writes that concern assets or locations append to the change sequence through triggers (see
//! the migration), so followers such as the search index never miss one.

mod collections;
mod dupes;
mod dupes_s3;
mod edits;
mod error;
mod follow;
mod integrity;
mod job_control;
mod jobs;
mod locations;
mod merge;
mod restores;
mod s3;
mod sources;
mod views;

pub use collections::{Collection, Journal, NewCollection};
pub use dupes::{quarantine_path, FileHashRow, LocalFile, NearPrintRow, Quality, Removal};
pub use dupes_s3::{S3Copy, S3Removal, S3RemovalKind};
pub use edits::{Edit, UndoReport};
pub use error::{Error, Result};
pub use follow::{AssetRecord, ChangedAssets};
pub use job_control::{JobSelector, ProgressDetail};
pub use jobs::{JobStats, JobTask, JobView, NewClaim, PREVIEW, PROBE};
pub use locations::{Batch, BatchOutcome, KnownLocation, LocationUpdate, NewLocation, Role};
pub use merge::{IdenticalCopies, MergeConflictRow, MergeDone, MergeOutcome};
pub use restores::{
    NewRestore, ReadyBatch, RestoreLocation, RestoreRow, RestoreUpdate, RESTORE_POLL,
    RESTORE_REQUEST,
};
pub use s3::{
    s3_object_uri, HeadFacts, KnownObject, NewObject, ObjectBatch, ObjectFacts, S3Object, S3_HEAD,
    S3_PROBE,
};
pub use sources::{NewSource, SourceRow};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file name of the catalog database inside a library folder.
pub const DATABASE_FILE: &str = "catalog.db";

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// An open catalog. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Catalog {
    pool: SqlitePool,
    path: PathBuf,
}

impl Catalog {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Catalog> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-65536")
            // Fewer, larger checkpoints during scans; each one syncs the database file.
            .pragma("wal_autocheckpoint", "16384");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| Error::Open {
                path: path.to_owned(),
                source,
            })?;
        sqlx::migrate!("../../migrations")
            .run(&pool)
            .await
            .map_err(|source| Error::Migrate {
                path: path.to_owned(),
                source,
            })?;
        Ok(Catalog {
            pool,
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of the last change, or 0 for a new catalog.
    pub async fn change_seq(&self) -> Result<i64> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM changes")
            .fetch_one(&self.pool)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
