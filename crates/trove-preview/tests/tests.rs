//! trove-preview against media made on the spot by the real ffmpeg (scripts/setup.sh installs
//! it). Clips are small and short so that the whole binary runs in well under a minute.

// Tests build their media with ffmpeg directly; the library goes through its one helper.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;
use trove_preview::{
    ContentKey, Control, MediaKind, PreviewCache, PreviewRequest, PreviewSettings, Previews,
};

mod cache;
mod stills;
mod video;

/// Runs `ffmpeg -v error -y ARGS DIR/NAME` and returns the output path.
fn ffmpeg(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let result = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .arg(&out)
        .output()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(
        result.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// A test clip: `testsrc2` of `size` for `seconds`, H.264 (ultrafast) with a sine tone.
fn clip(dir: &Path, name: &str, size: &str, seconds: u32) -> PathBuf {
    let video = format!("testsrc2=s={size}:r=25:d={seconds}");
    let audio = format!("sine=f=440:d={seconds}");
    ffmpeg(
        dir,
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            &video,
            "-f",
            "lavfi",
            "-i",
            &audio,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ],
    )
}

/// A JPEG of `size` (e.g. `4000x3000`) from `testsrc2`.
fn jpeg(dir: &Path, name: &str, size: &str) -> PathBuf {
    let video = format!("testsrc2=s={size}");
    ffmpeg(
        dir,
        name,
        &["-f", "lavfi", "-i", &video, "-frames:v", "1", "-q:v", "4"],
    )
}

/// The JPEG `bytes` with an EXIF APP1 segment holding only `orientation` (1–8).
fn with_orientation(bytes: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one IFD0 entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = bytes[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&bytes[2..]);
    out
}

/// A cache in a fresh folder.
fn cache() -> (TempDir, PreviewCache) {
    let dir = TempDir::new().expect("temp dir");
    let cache = PreviewCache::open(dir.path().join("previews")).expect("cache opens");
    (dir, cache)
}

fn request(key: &str, source: &Path, kind: MediaKind) -> PreviewRequest {
    let key = ContentKey::new(key).expect("key");
    PreviewRequest::new(key, source, kind).expect("source fingerprint")
}

fn ensure(cache: &PreviewCache, req: &PreviewRequest, settings: &PreviewSettings) -> Previews {
    cache
        .ensure(req, settings, &Control::new())
        .unwrap_or_else(|e| panic!("previews of {}: {e}", req.source.display()))
}

/// The dimensions of an image file, decoded whole (so a broken file fails here).
fn decoded_size(path: &Path) -> (u32, u32) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (img.width(), img.height())
}
