//! Legacy S3 Glacier vaults (aws-sdk-glacier) for Trove's archive restores: archives have ids
//! and a free-text description, no keys; everything goes through jobs that take hours at AWS
//! (seconds on moto).
//!
//! - [`GlacierConfig`] has the shape of an S3 source's settings (profile, region, endpoint);
//!   [`Vault::new`] builds a client from the AWS default chain.
//! - Inventories: [`Vault::start_inventory`] → [`Vault::wait_for_job`] → [`Vault::inventory`]
//!   parses ArchiveId, ArchiveDescription, CreationDate, Size and SHA256TreeHash; archives are
//!   named by their description when it looks like a path ([`Archive::name`]).
//! - Retrievals: [`Vault::start_retrieval`] (tier, optional megabyte-aligned byte range),
//!   [`Vault::describe_job`], then [`Vault::download`]: ranged `GetJobOutput`s into
//!   `<dest>.part`, resumable, every byte verified by the SHA-256 tree hash ([`tree_hash`]) — per
//!   range when Glacier sends one, and over the whole output — with refetches of what does not
//!   match. A server that ignores `Range` (moto answers 200 with the whole body) is coped with.
//!
//! - *Invariant*: no dependency on another Trove crate; stores no secret; every download is
//!   checked against a tree hash before it is renamed into place (or reported unverifiable
//!   when neither the caller nor Glacier knows one).

mod error;
mod inventory;
pub mod tree_hash;
mod vault;

pub use error::{Error, Result};
pub use inventory::{parse_inventory, path_like, Archive, Inventory};
pub use vault::{
    ArchiveDownload, DownloadOptions, ExpectedOutput, GlacierConfig, JobInfo, JobState, Retrieval,
    RetrievalTier, TreeHashCheck, Vault, WaitOptions,
};
