//! Near duplicates: media that look alike without being the same bytes — a resized or
//! recompressed still, a re-encoded or trimmed clip.
//!
//! Each file gets a [`Fingerprint`] ([`still_print`], [`video_print`]); [`similarity`] compares
//! two of one kind from 0 (unrelated) to 1 (alike); [`near_groups`] links every pair at or above a
//! threshold and returns the connected groups with their weakest link as score.

mod still;
mod video;

pub use still::{still_print, StillPrint, STILL_THRESHOLD};
pub use video::{video_print, VideoOptions, VideoPrint, VIDEO_THRESHOLD};

use rayon::prelude::*;

use crate::{Error, Result};

/// What a still or a clip looks like, in a few bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Fingerprint {
    /// A perceptual hash of a still image.
    Still(StillPrint),
    /// Frame hashes of a video at a fixed rate.
    Video(VideoPrint),
}

impl Fingerprint {
    /// A compact, versioned encoding for storage (the catalog keeps it as a BLOB).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Fingerprint::Still(s) => s.encode(),
            Fingerprint::Video(v) => v.encode(),
        }
    }

    /// Decodes [`Fingerprint::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Fingerprint> {
        match bytes.first() {
            Some(&still::TAG) => StillPrint::decode(bytes).map(Fingerprint::Still),
            Some(&video::TAG) => VideoPrint::decode(bytes).map(Fingerprint::Video),
            _ => Err(Error::BadFingerprint {
                reason: "unknown kind",
            }),
        }
    }
}

/// How alike two fingerprints are, from 0 to 1; `None` when one is a still and the other a video.
///
/// Stills: the share of equal bits of their hashes. Video: at the best time offset (so trims
/// match), the share of frames of the overlap whose hashes are close.
pub fn similarity(a: &Fingerprint, b: &Fingerprint) -> Option<f32> {
    match (a, b) {
        (Fingerprint::Still(a), Fingerprint::Still(b)) => Some(a.similarity(b)),
        (Fingerprint::Video(a), Fingerprint::Video(b)) => Some(a.similarity(b)),
        _ => None,
    }
}

/// A group of near duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct NearGroup {
    /// Indexes into the fingerprints given to [`near_groups`], ascending; at least two.
    pub members: Vec<usize>,
    /// The weakest link: the lowest, over members, of their best similarity to another member.
    pub score: f32,
}

/// Groups `prints` whose pairwise [`similarity`] reaches `threshold` (transitively: A~B and B~C
/// put A, B and C in one group). Suggested thresholds: [`STILL_THRESHOLD`], [`VIDEO_THRESHOLD`];
/// the stricter of the two is a safe single setting.
///
/// Compares every pair of one kind (in parallel): fine for thousands, not for millions.
pub fn near_groups(prints: &[Fingerprint], threshold: f32) -> Vec<NearGroup> {
    let n = prints.len();
    let edges: Vec<(usize, usize, f32)> = (0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            (i + 1..n).filter_map(move |j| {
                similarity(&prints[i], &prints[j])
                    .filter(|&s| s >= threshold)
                    .map(|s| (i, j, s))
            })
        })
        .collect();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut best = vec![0.0f32; n];
    for &(i, j, s) in &edges {
        best[i] = best[i].max(s);
        best[j] = best[j].max(s);
        let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
        if ri != rj {
            parent[ri.max(rj)] = ri.min(rj);
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups
        .into_values()
        .filter(|m| m.len() >= 2)
        .map(|members| NearGroup {
            score: members.iter().map(|&m| best[m]).fold(1.0, f32::min),
            members,
        })
        .collect()
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A still print of 32 bytes whose first `ones` bits are set.
    fn still(ones: usize) -> Fingerprint {
        let mut bits = vec![0u8; 32];
        for i in 0..ones {
            bits[i / 8] |= 1 << (i % 8);
        }
        Fingerprint::Still(StillPrint::from_bits(bits))
    }

    #[test]
    fn groups_are_transitive_and_scored_by_their_weakest_link() {
        // A~B 12 bits apart (0.953), B~C 20 (0.922), A~C 32 (0.875); D is far from all.
        let prints = [still(0), still(12), still(32), still(200)];
        let groups = near_groups(&prints, 0.9);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].members, [0, 1, 2]);
        assert!((groups[0].score - (1.0 - 20.0 / 256.0)).abs() < 1e-6);
        assert!(near_groups(&prints, 0.99).is_empty());
    }

    #[test]
    fn stored_bytes_that_are_not_a_fingerprint_are_refused() {
        for bytes in [
            &b""[..],
            b"X",
            b"S\x09ab",
            b"S\x01",
            b"V\x01\x00",
            b"V\x01aaaabbbbbbbb",
            b"V\x01aaaabbbbbbbb\x07",
        ] {
            assert!(Fingerprint::from_bytes(bytes).is_err(), "{bytes:?}");
        }
    }
}
