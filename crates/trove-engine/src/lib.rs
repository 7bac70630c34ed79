//! Trove's application layer: the one API that the CLI and the desktop call.
//!
//! A [`Library`] is a folder holding the catalog (and, later, the search index, previews and
//! journals). Its methods are the workflows: add sources, scan them, watch them, report.

mod collections;
mod dupes;
mod dupes_s3;
mod error;
mod exchange;
mod jobs;
mod library;
mod meta;
mod previews;
mod resolve;
mod restore;
mod s3;
mod scan;
mod search;
mod vault;
mod volumes;
mod watch;

pub use collections::CollectionChange;
pub use dupes::{
    DupeGroup, DupeMember, DupesOptions, DupesReport, GroupPlan, KeepPolicy, RemovalReport,
    RemoveOptions, Skipped, QUARANTINE_DIR,
};
pub use dupes_s3::S3_QUARANTINE_PREFIX;
pub use error::{Error, Result};
pub use exchange::{
    ExportFormat, ExportProblem, ExportReport, ImportChange, ImportProblem, ImportReport,
};
pub use jobs::{JobEvent, JobOptions, JobRunSummary};
pub use library::{library_dir, Library, LIBRARY_ENV};
pub use meta::{Assignment, MetaSetReport};
pub use previews::{CACHE_CAP_SETTING, PREVIEWS_DIR};
pub use restore::{
    DownloadReport, DownloadTarget, DownloadedObject, PlannedRestore, RestoreCounts, RestoreEvent,
    RestorePlanReport, RestoreRunSummary, RestoreStartReport, RestoreStatusReport, StatusOptions,
    PRICES_FILE,
};
pub use s3::S3SourceConfig;
pub use scan::{ScanObserver, ScanProgress};
pub use search::{SearchReport, SyncReport, INDEX_DIR};
pub use trove_catalog::{
    Collection, JobSelector, JobStats, JobView, MergeDone, ProgressDetail, RestoreRow, UndoReport,
};
pub use trove_glacier::GlacierConfig;
pub use trove_preview::Previews;
pub use trove_s3::S3Config;
pub use watch::{WatchEvent, WatchOptions};
