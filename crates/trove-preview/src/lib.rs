//! Previews of media files in a content-addressed cache: posters (320 and 1280 px wide, chosen
//! to avoid black frames), a filmstrip sprite with its JSON index for hover-scrub, a 720p
//! H.264/AAC MP4 proxy that WebKitGTK plays (`+faststart`, yuv420p, never upscaled, rotation
//! applied), waveform peaks (JSON) and their PNG.
//!
//! ```no_run
//! use trove_preview::*;
//! let cache = PreviewCache::open("/library/previews")?;
//! let source = std::path::Path::new("/media/clip.mov");
//! let request = PreviewRequest {
//!     key: ContentKey::new("blake3:9f2c…")?,      // identical files share one entry
//!     source: source.to_path_buf(),
//!     kind: MediaKind::Video,
//!     fingerprint: Fingerprint::of_file(source)?, // size + mtime; a changed source is remade
//! };
//! let cancel = CancelToken::new();               // cancel.cancel() from any thread kills ffmpeg
//! let control = Control::new()
//!     .with_cancel(cancel.clone())
//!     .on_progress(|p| eprintln!("{:.0}% {:?} fps, eta {:?}", p.percent, p.fps, p.eta));
//! let previews = cache.ensure(&request, &PreviewSettings::default(), &control)?;
//! println!("{:?} {:?}", previews.poster(320), previews.proxy());
//! cache.enforce_cap(20 << 30)?;                   // LRU eviction down to 20 GiB
//! # Ok::<(), trove_preview::Error>(())
//! ```
//!
//! - Video: ffprobe, then **one ffmpeg per source** decodes it once for all its outputs
//!   (`filter_complex` split into proxy, poster candidates and filmstrip tiles; sound to AAC and
//!   to PCM on stdout for the waveform). ffmpeg runs through ffmpeg-sidecar (never downloaded:
//!   the system's `ffmpeg`); its progress events become [`Progress`]; it is killed on cancel, when
//!   its media time stops advancing ([`Limits::stall`]) and past an overall limit relative to
//!   the duration; a failure keeps its last stderr lines in the [`Error`].
//! - Stills: JPEGs (and RAW files' embedded JPEG previews) are decoded with DCT scaling at the
//!   smallest size the widest poster needs, EXIF orientation applied; other formats through the
//!   `image` crate. [`Stats::still_decode`] says which path ran.
//! - *Invariant*: an entry is made in `tmp/` and renamed into place whole; its manifest says what
//!   it holds, so previews stay readable without the source (archived, offline). Entries are
//!   remade only by [`PreviewCache::ensure`] when the fingerprint or settings differ.
//! - *Invariant*: every process is started in `process.rs` (clippy's `disallowed-methods`).
//! - Not useful for: deciding what to preview (the caller's job system), HDR tone mapping,
//!   multi-track audio (the first audio stream is used).

mod cache;
mod control;
mod error;
mod imaging;
mod manifest;
mod probe;
mod process;
mod settings;
mod still;
mod verify;
mod video;
mod waveform;

pub use cache::{CapReport, PreviewCache};
pub use control::{CancelToken, Control, Limits, Progress, ProgressFn};
pub use error::{Error, Result};
pub use manifest::{
    FilmstripEntry, FilmstripIndex, Manifest, PosterEntry, Previews, ProxyEntry, Stats,
    StillDecode, WaveformEntry, WaveformPeaks, MANIFEST_VERSION,
};
pub use settings::{FilmstripSettings, PreviewSettings, ProxySettings, WaveformSettings};
pub use verify::{inspect_proxy, top_level_atoms, ProxyReport};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// What a source is, as the caller knows it (from the catalog's media type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// Posters, filmstrip, proxy, and the waveform of its sound.
    Video,
    /// Waveform only.
    Audio,
    /// Posters only (photos, graphics, RAW files).
    Still,
}

/// The caller's name for the content of a file: files with the same key share one entry (e.g.
/// `blake3:HEX` of the bytes, or `location:42` before hashing is done).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContentKey(String);

impl ContentKey {
    /// Any non-empty string of at most 1,024 bytes.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        let reason = if key.is_empty() {
            Some("empty")
        } else if key.len() > 1024 {
            Some("longer than 1024 bytes")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::InvalidKey { key, reason }),
            None => Ok(Self(key)),
        }
    }

    /// The key as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the source was when its previews were made; a different fingerprint remakes them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The caller's own fingerprint (e.g. a content hash).
    pub fn new(fingerprint: impl Into<String>) -> Self {
        Self(fingerprint.into())
    }

    /// `size:BYTES:mtime:NANOS` of the file at `path`.
    pub fn of_file(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(error::io(path))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Ok(Self(format!("size:{}:mtime:{mtime}", meta.len())))
    }

    /// The fingerprint as stored in the manifest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One source to preview.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewRequest {
    /// The entry it goes to.
    pub key: ContentKey,
    /// The file to read.
    pub source: PathBuf,
    /// What it is.
    pub kind: MediaKind,
    /// What it is now.
    pub fingerprint: Fingerprint,
}

impl PreviewRequest {
    /// A request for `source` under `key`, fingerprinted by size and modification time.
    pub fn new(key: ContentKey, source: impl Into<PathBuf>, kind: MediaKind) -> Result<Self> {
        let source = source.into();
        let fingerprint = Fingerprint::of_file(&source)?;
        Ok(Self {
            key,
            source,
            kind,
            fingerprint,
        })
    }
}
