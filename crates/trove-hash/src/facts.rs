//! What the finder needs to know of a file, as the walker (or the catalog) already has it.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// One regular file as listed: its path and the stat fields that identify its content version.
///
/// `dev` and `ino` identify the file (hard links share them); `size` and `mtime_ns` identify the
/// version of its bytes. Together they key the [`crate::HashCache`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileFacts {
    /// Where the file is.
    pub path: PathBuf,
    /// The device (file system) it is on.
    pub dev: u64,
    /// Its inode on that device.
    pub ino: u64,
    /// Its length in bytes.
    pub size: u64,
    /// Its modification time, in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

impl FileFacts {
    /// Reads the facts of `path` with one `stat` (symbolic links are followed).
    pub fn from_path(path: &Path) -> Result<FileFacts> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        Ok(FileFacts::from_metadata(path.to_path_buf(), &meta))
    }

    /// The facts of `path` from metadata the caller already has.
    pub fn from_metadata(path: PathBuf, meta: &std::fs::Metadata) -> FileFacts {
        FileFacts {
            path,
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime_ns: mtime_ns(meta),
        }
    }
}

/// The modification time of `meta` in nanoseconds since the epoch (negative before 1970).
pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(meta.mtime_nsec())
}
