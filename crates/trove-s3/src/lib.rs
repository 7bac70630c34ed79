//! S3 and S3-compatible buckets (AWS, MinIO, Cloudflare R2, Wasabi, Backblaze B2) for Trove's
//! S3 sources: everything a scan and its follow-up jobs ask of a bucket.
//!
//! - [`S3Location`] parses `s3://bucket/prefix`; [`S3Config`] holds a source's settings
//!   (profile, region, endpoint, path style) and [`Bucket::open`] turns them into a client
//!   through the AWS default credential chain, checking access and following a region redirect.
//! - [`Bucket::list`] lists a prefix with concurrent fan-out over its `/` prefixes and sends
//!   [`ObjectEntry`] batches to a channel; transient failures resume from the last continuation
//!   token, throttling lowers the concurrency ([`ListStats`] tells what it cost).
//! - [`Bucket::read_inventory`] does the same from an S3 Inventory report (CSV.gz).
//! - Per-object work: [`Bucket::head`] (user metadata, checksums, restore state),
//!   [`Bucket::tagging`], [`Bucket::presign_readable`] (for ffprobe's range requests; refuses
//!   archived objects).
//! - [`Error`] classifies failures (no credentials, access denied, no such bucket, wrong region,
//!   SlowDown, network) into messages that name the bucket and key.
//!
//! - *Invariant*: Trove never stores a secret: configs name a profile at most.
//! - *Invariant*: nothing here reads the bytes of an archived object; callers check
//!   [`ObjectEntry::is_archived`] / [`ObjectHead::is_archived`] before a GET or a probe.
//! - *Invariant*: knows nothing of the catalog; reports facts, decides nothing (whether an object
//!   changed, or is missing, is the caller's reconcile).
//! - Restores (issue 8): [`Bucket::restore_object`] / [`Bucket::restore_batch`] (202, 200 and
//!   409 all end in a tracked restore; the state is read back with [`Bucket::head`]);
//!   [`Bucket::download`] (ranged, resumable, verified GETs into a folder, names from
//!   [`safe_local_path`]) and [`Bucket::copy_in_place`] (back to a hot class).
//! - Duplicates (issue 7): [`Bucket::read_object`] streams an object's bytes to a hasher;
//!   [`Bucket::versioning`], [`Bucket::delete_current`] (a delete marker when versioned),
//!   [`Bucket::delete_version`] and [`Bucket::copy_to_key`] remove a copy so it can come back.

mod bucket;
mod content;
mod download;
mod error;
mod inventory;
mod list;
mod location;
mod object;
mod removal;
mod restore;
mod retry;

pub use bucket::{Bucket, S3Config};
pub use download::{part_path, safe_local_path, DownloadOptions, Downloaded, Verification};
pub use error::{Error, Result};
pub use inventory::{
    parse_inventory_csv, InventoryFile, InventoryManifest, InventoryOptions, InventorySchema,
    InventoryStats, ParseCounts,
};
pub use list::{ListOptions, ListStats};
pub use location::S3Location;
pub use object::{ArchiveStatus, ObjectEntry, ObjectHead, RestoreState, StorageClass};
pub use removal::Versioning;
pub use restore::{
    BatchOptions, BatchStats, RestoreItem, RestoreOptions, RestoreOutcome, RestoreResult,
    RestoreTier,
};
pub use retry::RetryPolicy;
