//! Content identity for Trove: which files hold the same bytes, and which media look alike.
//!
//! - **Exact duplicates** ([`find_exact`]): files are grouped by size, hard links to one inode are
//!   collapsed into one copy, empty files are left out, then a cheap sampled hash
//!   ([`partial_hash`]: head, middle and tail, with the size mixed in) splits each size group, and
//!   only the files still alike are hashed in full with BLAKE3 ([`hash_file`]), in parallel on a
//!   bounded pool with large reads. Hashes are kept in a [`HashCache`] keyed by (device, inode,
//!   size, mtime), so an unchanged file is never read twice. [`verify`] re-hashes a file before
//!   anything is removed.
//! - **Near duplicates** ([`near`]): perceptual hashes of stills (`image_hasher`) and fingerprints
//!   of video (tiny grayscale frames decoded by the system ffmpeg at a fixed rate, one DCT hash per
//!   frame, compared at the best time offset so that trims of a few seconds still match), grouped
//!   by [`near::near_groups`] with a similarity score and a threshold.
//!
//! - *Invariant*: knows nothing of the catalog, jobs or the engine: facts in, groups and hashes
//!   out. Persisting hashes is the caller's business, through its own [`HashCache`].
//! - *Invariant*: one unreadable file never stops a run; it is reported with its path.
//! - *Invariant*: every external process (ffmpeg, ffprobe) is started by `trove_core::process::run` with a
//!   time limit; clippy's `disallowed-methods` enforces it. ffmpeg is never downloaded.
//! - Not useful for: deciding which copy to keep, or removing anything.

mod cache;
mod digest;
mod error;
mod exact;
mod facts;
pub mod near;
mod together;

pub use cache::{CacheKey, CachedHashes, HashCache, MemoryCache};
pub use digest::{
    hash_file, partial_hash, verify, ContentHash, BLAKE3_SCHEME, MD5_SCHEME, PARTIAL_BLOCK,
    PARTIAL_SCHEME, SHA256_SCHEME,
};
pub use error::{Error, Result};
pub use exact::{find_exact, Exact, FileCopy, Group, Options, Progress, Stage, Stats};
pub use facts::FileFacts;
