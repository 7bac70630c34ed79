//! Full hashes of same-size candidates read in step: one BLAKE3 per distinct content instead of
//! one per file.
//!
//! The candidates of one size (and one sample) are read chunk by chunk together. Files whose
//! chunks are equal so far share one hasher, fed the chunk once; the others are compared with it
//! (`memcmp`, several times cheaper than hashing). Where a file's chunk differs, it leaves with
//! a clone of the hasher's state before that chunk — the bytes before were the same — and goes
//! on as its own content. At the end every file has the BLAKE3 of all its bytes, exactly as
//! [`crate::hash_file`] would give it, and copies cost a read and a compare instead of a hash.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::digest::{open_checked, Expect};
use crate::{ContentHash, Error, Result};

/// At most this many files are read in step (each needs a chunk buffer); larger sets of
/// candidates are read in several sets of this size.
pub(crate) const MAX_TOGETHER: usize = 16;

thread_local! {
    /// Each hashing thread's chunk buffers, kept from one set to the next (fresh megabytes
    /// would be page-faulted and zeroed by the kernel every time). Taken out for a call rather
    /// than borrowed: while `update_rayon` waits for its halves, rayon may run another set on
    /// this very thread, which then simply gets buffers of its own.
    static BUFFERS: std::cell::Cell<Vec<Vec<u8>>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Bytes read from each file per step: small enough that the chunks of a set stay in the
/// core's cache between the read, the compare and the hash.
const CHUNK: usize = 256 * 1024;

/// One file to hash.
pub(crate) struct Candidate<'a> {
    pub(crate) path: &'a Path,
    pub(crate) expect: Expect,
}

/// What became of one candidate: its hash, or why it has none.
pub(crate) type Outcome = Result<ContentHash>;

/// Hashes `files`, all of `size` bytes, reading them in step; returns one outcome per file in
/// order, and the bytes read. `cancelled` is asked between chunks (a cancelled run returns no
/// outcomes); `progress` is told the bytes of each step.
pub(crate) fn hash_together(
    files: &[Candidate<'_>],
    size: u64,
    cancelled: &dyn Fn() -> bool,
    progress: &dyn Fn(u64),
) -> (Vec<Option<Outcome>>, u64) {
    let mut outcomes: Vec<Option<Outcome>> = (0..files.len()).map(|_| None).collect();
    let mut open: Vec<(usize, File)> = Vec::with_capacity(files.len());
    for (i, c) in files.iter().enumerate() {
        match open_checked(c.path, Some(c.expect)) {
            Ok(file) => open.push((i, file)),
            Err(e) => outcomes[i] = Some(Err(e)),
        }
    }
    // Files are indexed by their place in `open`; each content is a hasher and its files.
    let mut contents: Vec<(blake3::Hasher, Vec<usize>)> =
        vec![(blake3::Hasher::new(), (0..open.len()).collect())];
    let chunk = (size.min(CHUNK as u64)) as usize;
    let mut bufs = BUFFERS.take();
    bufs.resize_with(bufs.len().max(open.len()), Vec::new);
    for buf in &mut bufs {
        if buf.len() < chunk {
            buf.resize(chunk, 0);
        }
    }
    let mut read = 0u64;
    let mut offset = 0u64;
    while offset < size && !contents.is_empty() {
        if cancelled() {
            BUFFERS.set(bufs);
            return (Vec::new(), read);
        }
        let len = (size - offset).min(CHUNK as u64) as usize;
        let mut next = Vec::with_capacity(contents.len());
        for (hasher, members) in contents {
            let mut alike: Vec<Vec<usize>> = Vec::new();
            for m in members {
                let (i, file) = &open[m];
                if let Err(e) = read_chunk(file, files[*i].path, &mut bufs[m][..len], offset) {
                    outcomes[*i] = Some(Err(e));
                    continue;
                }
                read += len as u64;
                match alike
                    .iter_mut()
                    .find(|class| bufs[class[0]][..len] == bufs[m][..len])
                {
                    Some(class) => class.push(m),
                    None => alike.push(vec![m]),
                }
            }
            for class in alike {
                let mut h = hasher.clone();
                let chunk = &bufs[class[0]][..len];
                // Splitting a chunk across threads pays off for large ones only (BLAKE3's docs:
                // from about 128 KiB); it lets one big content use every core at the end.
                if len >= 128 * 1024 {
                    h.update_rayon(chunk);
                } else {
                    h.update(chunk);
                }
                next.push((h, class));
            }
        }
        let stepped: usize = next.iter().map(|(_, members)| members.len()).sum();
        progress((stepped * len) as u64);
        contents = next;
        offset += len as u64;
    }
    BUFFERS.set(bufs);
    for (hasher, members) in contents {
        let hash = ContentHash::from(hasher.finalize());
        for m in members {
            let (i, file) = &open[m];
            // A file that grew since it was listed is not the version the caller knows.
            let mut probe = [0u8; 1];
            outcomes[*i] = Some(match file.read_at(&mut probe, size) {
                Ok(0) => Ok(hash),
                Ok(_) => Err(Error::Changed {
                    path: files[*i].path.to_path_buf(),
                }),
                Err(e) => Err(Error::io(files[*i].path, e)),
            });
        }
    }
    (outcomes, read)
}

/// Reads exactly `buf.len()` bytes at `offset`; a file that ends early changed.
fn read_chunk(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<()> {
    file.read_exact_at(buf, offset).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::Changed {
                path: path.to_path_buf(),
            }
        } else {
            Error::io(path, e)
        }
    })
}
