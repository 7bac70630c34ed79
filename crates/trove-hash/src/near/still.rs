//! Perceptual hashes of stills: `image_hasher`'s double gradient (rows and columns of a tiny
//! grayscale copy), which survives resizing and recompression and tells different pictures apart.

use std::path::Path;

use image_hasher::{HashAlg, HasherConfig};

use crate::{Error, Result};

pub(super) const TAG: u8 = b'S';
const VERSION: u8 = 1;

/// Suggested threshold for stills: at most about 1 bit in 10 differs.
pub const STILL_THRESHOLD: f32 = 0.9;

/// Hash width and height given to `image_hasher`.
const HASH_SIZE: u32 = 16;

/// The perceptual hash of a still.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StillPrint {
    bits: Vec<u8>,
}

/// Decodes the image at `path` (format from its content: JPEG, PNG, TIFF, WebP) and hashes it.
/// EXIF orientation is not applied: a rotated copy is a different picture here.
pub fn still_print(path: &Path) -> Result<StillPrint> {
    let image_error = |source| Error::Image {
        path: path.to_path_buf(),
        source,
    };
    let image = image::ImageReader::open(path)
        .map_err(|e| Error::io(path, e))?
        .with_guessed_format()
        .map_err(|e| Error::io(path, e))?
        .decode()
        .map_err(image_error)?;
    let hasher = HasherConfig::new()
        .hash_alg(HashAlg::DoubleGradient)
        .hash_size(HASH_SIZE, HASH_SIZE)
        .to_hasher();
    Ok(StillPrint {
        bits: hasher.hash_image(&image).as_bytes().to_vec(),
    })
}

impl StillPrint {
    #[cfg(test)]
    pub(super) fn from_bits(bits: Vec<u8>) -> StillPrint {
        StillPrint { bits }
    }

    /// The hash's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bits
    }

    /// The share of equal bits, 0 to 1 (0 for hashes of different lengths).
    pub fn similarity(&self, other: &StillPrint) -> f32 {
        if self.bits.len() != other.bits.len() || self.bits.is_empty() {
            return 0.0;
        }
        let differ: u32 = self
            .bits
            .iter()
            .zip(&other.bits)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        1.0 - differ as f32 / (self.bits.len() * 8) as f32
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = vec![TAG, VERSION];
        out.extend_from_slice(&self.bits);
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<StillPrint> {
        match bytes {
            [TAG, VERSION, bits @ ..] if !bits.is_empty() => Ok(StillPrint {
                bits: bits.to_vec(),
            }),
            _ => Err(Error::BadFingerprint {
                reason: "not a still fingerprint of this version",
            }),
        }
    }
}
