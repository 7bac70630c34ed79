//! Hashes remembered per file version, so that an unchanged file is never read again.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{ContentHash, FileFacts};

/// The version of a file that a hash describes: same device, inode, size and modification time
/// means the same bytes (as far as a scanner can tell without reading them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The device.
    pub dev: u64,
    /// The inode.
    pub ino: u64,
    /// The length in bytes.
    pub size: u64,
    /// The modification time in nanoseconds since the epoch.
    pub mtime_ns: i64,
}

impl From<&FileFacts> for CacheKey {
    fn from(f: &FileFacts) -> Self {
        CacheKey {
            dev: f.dev,
            ino: f.ino,
            size: f.size,
            mtime_ns: f.mtime_ns,
        }
    }
}

/// What is known of one file version. Either may be missing.
///
/// A stored `partial` is only valid for the sampling scheme [`crate::PARTIAL_SCHEME`]; a cache
/// that outlives a program version should store the scheme beside it and drop partials of
/// another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CachedHashes {
    /// The sampled hash ([`crate::partial_hash`]).
    pub partial: Option<ContentHash>,
    /// The BLAKE3 hash of all the bytes ([`crate::hash_file`]).
    pub full: Option<ContentHash>,
}

/// Where [`crate::find_exact`] looks up and records hashes. The engine keeps them in the
/// catalog; [`MemoryCache`] keeps them for one process.
///
/// Called from several hashing threads at once; `put` is called once per file version hashed,
/// with everything known of it (earlier values included), so it may simply overwrite. A store
/// that is slow to query from many threads (SQLite) can instead fill a [`MemoryCache`] with the
/// hashes of the files it passes in (it is a `FromIterator`), run with that, and write back
/// [`MemoryCache::into_entries`].
pub trait HashCache: Sync {
    /// What is known of this file version, if anything.
    fn get(&self, key: &CacheKey) -> Option<CachedHashes>;
    /// Records what is now known of this file version.
    fn put(&self, key: &CacheKey, hashes: CachedHashes);
}

/// A [`HashCache`] in memory, for one process (and for tests).
#[derive(Debug, Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<CacheKey, CachedHashes>>,
}

impl MemoryCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many file versions it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everything it holds, in no particular order: for writing back to a lasting store after a
    /// run that was given a cache filled from it (see [`HashCache`]).
    pub fn into_entries(self) -> Vec<(CacheKey, CachedHashes)> {
        self.entries
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .into_iter()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, CachedHashes>> {
        // A panic elsewhere cannot leave a half-written entry, so a poisoned lock is still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl FromIterator<(CacheKey, CachedHashes)> for MemoryCache {
    fn from_iter<I: IntoIterator<Item = (CacheKey, CachedHashes)>>(entries: I) -> Self {
        MemoryCache {
            entries: Mutex::new(entries.into_iter().collect()),
        }
    }
}

impl HashCache for MemoryCache {
    fn get(&self, key: &CacheKey) -> Option<CachedHashes> {
        self.lock().get(key).copied()
    }

    fn put(&self, key: &CacheKey, hashes: CachedHashes) {
        self.lock().insert(*key, hashes);
    }
}

/// A cache that knows nothing and keeps nothing: every run reads everything.
impl HashCache for () {
    fn get(&self, _key: &CacheKey) -> Option<CachedHashes> {
        None
    }

    fn put(&self, _key: &CacheKey, _hashes: CachedHashes) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_cache_is_filled_from_and_emptied_into_entries() {
        let key = CacheKey {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns: -4,
        };
        let hashes = CachedHashes {
            partial: None,
            full: Some(ContentHash([7; 32])),
        };
        let cache: MemoryCache = [(key, hashes)].into_iter().collect();
        assert_eq!(cache.get(&key), Some(hashes));
        assert_eq!(cache.get(&CacheKey { size: 4, ..key }), None);
        assert_eq!(cache.into_entries(), [(key, hashes)]);
    }
}
