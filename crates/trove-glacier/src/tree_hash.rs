//! The SHA-256 tree hash of Glacier: SHA-256 of each 1 MiB chunk, then of the concatenation of
//! adjacent pairs, level by level (an odd one out is carried up unchanged), until one remains.
//! An empty input hashes to the SHA-256 of nothing, as botocore's `calculate_tree_hash` does.
//!
//! [`LeafHasher`] takes bytes as they stream and keeps the leaf hashes, so a download can
//! verify a range (the tree hash of its leaves, when the range is aligned to 1 MiB) and the
//! whole archive (all leaves) without reading anything twice.

use sha2::{Digest, Sha256};

/// The tree hash's chunk size: 1 MiB.
pub const CHUNK: usize = 1024 * 1024;

/// A SHA-256 digest.
pub type Digest32 = [u8; 32];

/// Hashes bytes as they come into 1 MiB leaves.
#[derive(Debug, Clone, Default)]
pub struct LeafHasher {
    leaves: Vec<Digest32>,
    current: Sha256,
    filled: usize,
}

impl LeafHasher {
    /// A hasher with no bytes yet.
    pub fn new() -> LeafHasher {
        LeafHasher::default()
    }

    /// Adds bytes.
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = (CHUNK - self.filled).min(bytes.len());
            self.current.update(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == CHUNK {
                let done = std::mem::take(&mut self.current);
                self.leaves.push(done.finalize().into());
                self.filled = 0;
            }
        }
    }

    /// The leaves of the whole MiB seen so far.
    pub fn completed(&self) -> &[Digest32] {
        &self.leaves
    }

    /// The leaves, the last (partial) one included.
    pub fn finish(mut self) -> Vec<Digest32> {
        if self.filled > 0 {
            self.leaves.push(self.current.finalize().into());
        }
        self.leaves
    }
}

/// The tree hash of these leaves; of no leaves, the SHA-256 of nothing.
pub fn combine(leaves: &[Digest32]) -> Digest32 {
    if leaves.is_empty() {
        return Sha256::digest(b"").into();
    }
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => {
                    let mut h = Sha256::new();
                    h.update(a);
                    h.update(b);
                    h.finalize().into()
                }
                [a] => *a,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    level[0]
}

/// The tree hash of `bytes`.
pub fn tree_hash(bytes: &[u8]) -> Digest32 {
    let mut hasher = LeafHasher::new();
    hasher.update(bytes);
    combine(&hasher.finish())
}

/// Lower-case hex, as Glacier writes tree hashes.
pub fn to_hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(parts: &[&[u8]]) -> Digest32 {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn known_shapes_of_the_tree() {
        // Up to 1 MiB the tree hash is the plain SHA-256.
        assert_eq!(tree_hash(b""), sha(&[b""]));
        assert_eq!(
            to_hex(&tree_hash(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(tree_hash(b"a"), sha(&[b"a"]));
        let mib = bytes(CHUNK);
        assert_eq!(tree_hash(&mib), sha(&[&mib]));
        // 1 MiB + 1: two leaves, one pair.
        let data = bytes(CHUNK + 1);
        let (a, b) = (sha(&[&data[..CHUNK]]), sha(&[&data[CHUNK..]]));
        assert_eq!(tree_hash(&data), sha(&[&a, &b]));
        // 3.5 MiB: four leaves, two pairs, their pair.
        let data = bytes(CHUNK * 7 / 2);
        let l: Vec<Digest32> = data.chunks(CHUNK).map(|c| sha(&[c])).collect();
        assert_eq!(l.len(), 4);
        let top = sha(&[&sha(&[&l[0], &l[1]]), &sha(&[&l[2], &l[3]])]);
        assert_eq!(tree_hash(&data), top);
        // 3 leaves: the odd one is carried up, not hashed again.
        let data = bytes(CHUNK * 5 / 2);
        let l: Vec<Digest32> = data.chunks(CHUNK).map(|c| sha(&[c])).collect();
        assert_eq!(tree_hash(&data), sha(&[&sha(&[&l[0], &l[1]]), &l[2]]));
    }

    #[test]
    fn streaming_in_odd_pieces_gives_the_same_leaves() {
        let data = bytes(CHUNK * 3 + 12_345);
        let mut hasher = LeafHasher::new();
        for piece in data.chunks(77_777) {
            hasher.update(piece);
        }
        assert_eq!(combine(&hasher.finish()), tree_hash(&data));
    }
}
