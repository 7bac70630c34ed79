//! Where Trove's bytes live.
//!
//! Today: local folders — a parallel walker over the `ignore` crate ([`walk`]), content sniffing
//! ([`sniff`]) and a debounced watcher over `notify` ([`watch`]). S3 buckets and Glacier vaults
//! join here later. Nothing in this crate touches the catalog: it reports what it finds and the
//! engine decides what that means.

pub mod sniff;
pub mod volume;
pub mod walk;
pub mod watch;

pub use sniff::is_sidecar_name;
pub use sniff::{sniff, sniff_name, Sniffed};
pub use walk::{
    is_excluded, walk, FileFacts, Visitor, WalkConfig, WalkItem, WalkProblem, DEFAULT_EXCLUDES,
    IGNORE_FILE,
};
pub use watch::{WatchBatch, Watcher};
