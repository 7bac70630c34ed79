//! trove-hash against real files: exact duplicates on trees written by the tests, near
//! duplicates on stills drawn by the tests and clips made on the spot by the real ffmpeg
//! (scripts/setup.sh installs it).

// Tests make their clips with ffmpeg directly; the library goes through its one helper.
#![allow(clippy::disallowed_methods)]

mod exact;
mod near;

use std::path::{Path, PathBuf};

/// A small deterministic generator (xorshift64*), so fixtures need no data files and no crate.
pub(crate) struct Bytes(u64);

impl Bytes {
    pub(crate) fn new(seed: u64) -> Self {
        Bytes(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn fill(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// Writes `bytes` to `dir/rel`, creating folders.
pub(crate) fn write(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folder");
    }
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

/// Runs `ffmpeg -v error -y -nostdin ARGS OUT`.
pub(crate) fn ffmpeg(args: &str, out: &Path) {
    let result = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args.split_whitespace())
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ffmpeg ({e}): run scripts/setup.sh to install it"));
    assert!(
        result.status.success(),
        "ffmpeg {args} failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
}
