//! The two hashes of a file: the sampled one that splits candidates cheaply, and the full BLAKE3
//! hash that is its content identity.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::facts::mtime_ns;
use crate::{Error, Result};

/// Bytes sampled at each of the three places (head, middle, tail) by [`partial_hash`].
pub const PARTIAL_BLOCK: u64 = 16 * 1024;

/// The version of the sampling scheme of [`partial_hash`]; a persisted partial hash of another
/// version must be dropped.
pub const PARTIAL_SCHEME: u32 = 1;

/// The `scheme` of a cached digest whose `full` is the MD5 (16 bytes) of a whole file, and
/// `partial` empty: what a single-part S3 upload's ETag is compared with. Only files of the size
/// of some S3 object are ever read for it (the engine's S3 duplicate finding).
pub const MD5_SCHEME: u32 = 2;

/// The `scheme` of a cached digest whose `full` is the SHA-256 (32 bytes) of a whole file: what an
/// S3 object's full-object SHA-256 checksum is compared with.
pub const SHA256_SCHEME: u32 = 3;

/// The `scheme` of a cached digest whose `full` is the BLAKE3 (32 bytes) of a whole file, read
/// together with [`MD5_SCHEME`] and [`SHA256_SCHEME`] for a file the exact finder had no reason
/// to hash (no other local file of its size), so an S3 copy of it can join a group named by it.
pub const BLAKE3_SCHEME: u32 = 4;

/// Files up to this size are read whole by [`partial_hash`]; the exact finder hashes them in full
/// at once, since sampling would read them whole anyway.
pub(crate) const SMALL_FILE: u64 = 3 * PARTIAL_BLOCK;

/// Read size of the full hash: large reads keep system calls few and let BLAKE3 use its widest
/// SIMD paths.
pub(crate) const READ_BUFFER: usize = 1024 * 1024;

/// A 32-byte BLAKE3 hash, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hex digits, as [`fmt::Display`] writes them.
    pub fn from_hex(hex: &str) -> Option<ContentHash> {
        blake3::Hash::from_hex(hex).ok().map(ContentHash::from)
    }
}

impl From<blake3::Hash> for ContentHash {
    fn from(h: blake3::Hash) -> Self {
        ContentHash(*h.as_bytes())
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(blake3::Hash::from_bytes(self.0).to_hex().as_str())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

/// The BLAKE3 hash of all the bytes of `path`: its content identity.
///
/// Large files are hashed on several threads (rayon's global pool).
pub fn hash_file(path: &Path) -> Result<ContentHash> {
    let mut buf = Vec::new();
    full_hash(path, None, &mut buf).map(|(hash, _)| hash)
}

/// Whether `path` still holds the bytes whose hash is `expected`: re-hashes the whole file, as
/// one must before removing a copy on the strength of another.
pub fn verify(path: &Path, expected: &ContentHash) -> Result<bool> {
    Ok(hash_file(path)? == *expected)
}

/// A hash of a sample of `path`: its size and 16 KiB ([`PARTIAL_BLOCK`]) at its head, around its
/// middle byte and at its tail (the whole file up to 48 KiB).
///
/// Equal files have equal partial hashes; files that differ in their first, middle or last bytes,
/// or in size, almost surely do not. A match proves nothing: only [`hash_file`] does.
pub fn partial_hash(path: &Path) -> Result<ContentHash> {
    let file = open_checked(path, None)?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut buf = Vec::new();
    partial_of(&file, path, size, &mut buf)
}

/// [`partial_hash`] of an open file of `size` bytes, reading into `buf`.
pub(crate) fn partial_of(
    file: &File,
    path: &Path,
    size: u64,
    buf: &mut Vec<u8>,
) -> Result<ContentHash> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"trove-hash partial v1\0");
    hasher.update(&size.to_le_bytes());
    let windows: [(u64, u64); 3] = if size <= SMALL_FILE {
        [(0, size), (0, 0), (0, 0)]
    } else {
        // The middle window is centred on byte size/2, so a change of exactly that byte shows.
        let mid = size / 2 - PARTIAL_BLOCK / 2;
        [
            (0, PARTIAL_BLOCK),
            (mid, PARTIAL_BLOCK),
            (size - PARTIAL_BLOCK, PARTIAL_BLOCK),
        ]
    };
    for (offset, len) in windows {
        if len == 0 {
            continue;
        }
        // Lengths here are at most SMALL_FILE, so they fit in usize.
        let len = len as usize;
        buf.resize(len.max(buf.len()), 0);
        let part = &mut buf[..len];
        file.read_exact_at(part, offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::Changed {
                    path: path.to_path_buf(),
                }
            } else {
                Error::io(path, e)
            }
        })?;
        hasher.update(part);
    }
    Ok(hasher.finalize().into())
}

/// The size and modification time a file must still have when it is hashed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expect {
    pub(crate) size: u64,
    pub(crate) mtime_ns: i64,
}

/// Opens the regular file `path` and, when `expect` is given, checks that it is still that
/// version.
///
/// The open does not block: a FIFO put where a file was listed would otherwise wait forever for
/// a writer. (Regular files ignore the flag.)
pub(crate) fn open_checked(path: &Path, expect: Option<Expect>) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        let not_file = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
        return Err(Error::io(path, not_file));
    }
    if let Some(expect) = expect {
        if meta.len() != expect.size || mtime_ns(&meta) != expect.mtime_ns {
            return Err(Error::Changed {
                path: path.to_path_buf(),
            });
        }
    }
    Ok(file)
}

/// The full BLAKE3 hash of `path` and the number of bytes read, reading into `buf`. With
/// `expect`, a file whose size or mtime moved, or that did not hold `size` bytes, is
/// [`Error::Changed`].
pub(crate) fn full_hash(
    path: &Path,
    expect: Option<Expect>,
    buf: &mut Vec<u8>,
) -> Result<(ContentHash, u64)> {
    let mut file = open_checked(path, expect)?;
    let (hash, read) = full_of(&mut file, path, buf)?;
    if expect.is_some_and(|e| e.size != read) {
        return Err(Error::Changed {
            path: path.to_path_buf(),
        });
    }
    Ok((hash, read))
}

/// Hashes the rest of an open file.
pub(crate) fn full_of(
    file: &mut File,
    path: &Path,
    buf: &mut Vec<u8>,
) -> Result<(ContentHash, u64)> {
    buf.resize(READ_BUFFER, 0);
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    loop {
        let n = match file.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        // Splitting a chunk across threads pays off for large ones only (BLAKE3's docs: from
        // about 128 KiB); it also lets one big file use every core once the others are done.
        if n >= 128 * 1024 {
            hasher.update_rayon(&buf[..n]);
        } else {
            hasher.update(&buf[..n]);
        }
        total += n as u64;
    }
    Ok((hasher.finalize().into(), total))
}
