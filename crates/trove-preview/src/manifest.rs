//! The manifest of a cache entry (`manifest.json`): what was made, from which source
//! fingerprint and settings, in which files. Everything the caller reads about an entry comes
//! from here, so previews stay readable when the source is gone.

use crate::MediaKind;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The manifest format; entries of another version are remade.
pub const MANIFEST_VERSION: u32 = 1;

/// What one cache entry holds. File names are relative to the entry's folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`] when written.
    pub version: u32,
    /// The caller's content key.
    pub key: String,
    /// The source fingerprint the previews were made from.
    pub fingerprint: String,
    /// A digest of the [`PreviewSettings`](crate::PreviewSettings) that shaped the files.
    pub settings: String,
    /// What the source was.
    pub kind: MediaKind,
    /// When the entry was made (milliseconds since the Unix epoch).
    pub created_unix_ms: u64,
    /// The media's duration in seconds (video and audio).
    pub duration: Option<f64>,
    /// The picture's displayed size (rotation and pixel aspect applied).
    pub display_size: Option<(u32, u32)>,
    /// Poster images, one per asked width.
    pub posters: Vec<PosterEntry>,
    /// The hover-scrub sprite of a video.
    pub filmstrip: Option<FilmstripEntry>,
    /// The H.264/AAC proxy of a video.
    pub proxy: Option<ProxyEntry>,
    /// The waveform of audio (or of a video's sound).
    pub waveform: Option<WaveformEntry>,
    /// How the entry was made.
    pub stats: Stats,
}

/// One poster (JPEG).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PosterEntry {
    /// The width asked for (the file is narrower when the source is).
    pub requested_width: u32,
    /// The image's width.
    pub width: u32,
    /// The image's height.
    pub height: u32,
    /// File name.
    pub file: String,
    /// For video: the media time of the frame, in seconds.
    pub time: Option<f64>,
}

/// The filmstrip sprite (JPEG, tiles left to right, then top to bottom) and its JSON index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilmstripEntry {
    /// The sprite's file name.
    pub file: String,
    /// The index's file name ([`FilmstripIndex`] as JSON).
    pub index_file: String,
    /// Frames in the sprite.
    pub frames: u32,
    /// Tiles per row.
    pub columns: u32,
    /// Rows of tiles.
    pub rows: u32,
    /// One tile's width in pixels.
    pub tile_width: u32,
    /// One tile's height in pixels.
    pub tile_height: u32,
}

/// The JSON index written beside a filmstrip, for the hover-scrub of the UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilmstripIndex {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The sprite's file name.
    pub image: String,
    /// Frames in the sprite.
    pub frames: u32,
    /// Tiles per row.
    pub columns: u32,
    /// Rows of tiles.
    pub rows: u32,
    /// One tile's width in pixels.
    pub tile_width: u32,
    /// One tile's height in pixels.
    pub tile_height: u32,
    /// The media time of each tile, in seconds.
    pub times: Vec<f64>,
    /// The media's duration in seconds.
    pub duration: f64,
}

/// The proxy (MP4, H.264 yuv420p + AAC, `moov` first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProxyEntry {
    /// File name.
    pub file: String,
    /// Width in pixels (square pixels).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Waveform peaks (JSON, [`WaveformPeaks`]) and their picture (PNG).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaveformEntry {
    /// The peaks' file name.
    pub json_file: String,
    /// The picture's file name.
    pub png_file: String,
    /// Number of min/max pairs.
    pub peaks: u32,
}

/// The waveform JSON: `data` holds `length` pairs of (min, max), each in -127..=127 (`bits` 8),
/// of the sound mixed to mono.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaveformPeaks {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The rate the sound was resampled to before the peaks were taken.
    pub sample_rate: u32,
    /// Samples behind each pair.
    pub samples_per_peak: u32,
    /// Bits of each value (8: -127..=127).
    pub bits: u32,
    /// Number of pairs.
    pub length: u32,
    /// min0, max0, min1, max1, …
    pub data: Vec<i8>,
}

/// How an entry was made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// For stills: which decode path ran.
    pub still_decode: Option<StillDecode>,
    /// ffmpeg processes started (one per video or audio source).
    pub ffmpeg_runs: u32,
    /// Wall-clock time to make the entry, in milliseconds.
    pub took_ms: u64,
}

/// The decode path of a still.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "path")]
pub enum StillDecode {
    /// A JPEG decoded with DCT scaling at 1/`denominator` of its size.
    JpegScaled {
        /// 1, 2, 4 or 8.
        denominator: u8,
    },
    /// A RAW file's embedded JPEG preview, decoded with DCT scaling.
    RawEmbeddedJpeg {
        /// 1, 2, 4 or 8.
        denominator: u8,
    },
    /// Decoded whole by the `image` crate (PNG, TIFF, WebP, GIF, BMP, odd JPEGs).
    Full,
}

/// The previews of one cache entry, with the paths of its files.
#[derive(Clone, Debug, PartialEq)]
pub struct Previews {
    /// The entry's folder.
    pub dir: PathBuf,
    /// What it holds.
    pub manifest: Manifest,
    /// Whether this call found the entry ready (nothing was made).
    pub from_cache: bool,
}

impl Previews {
    /// The path of a file named in the manifest.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// The poster asked at `requested_width` (e.g. 320 or 1280).
    pub fn poster(&self, requested_width: u32) -> Option<PathBuf> {
        self.manifest
            .posters
            .iter()
            .find(|p| p.requested_width == requested_width)
            .map(|p| self.path(&p.file))
    }

    /// The proxy MP4.
    pub fn proxy(&self) -> Option<PathBuf> {
        self.manifest.proxy.as_ref().map(|p| self.path(&p.file))
    }

    /// The filmstrip sprite and its JSON index.
    pub fn filmstrip(&self) -> Option<(PathBuf, PathBuf)> {
        self.manifest
            .filmstrip
            .as_ref()
            .map(|f| (self.path(&f.file), self.path(&f.index_file)))
    }

    /// The waveform peaks (JSON) and picture (PNG).
    pub fn waveform(&self) -> Option<(PathBuf, PathBuf)> {
        self.manifest
            .waveform
            .as_ref()
            .map(|w| (self.path(&w.json_file), self.path(&w.png_file)))
    }

    /// Every file of the entry, manifest excluded.
    pub fn files(&self) -> Vec<PathBuf> {
        let m = &self.manifest;
        let mut names: Vec<&str> = m.posters.iter().map(|p| p.file.as_str()).collect();
        if let Some(f) = &m.filmstrip {
            names.extend([f.file.as_str(), f.index_file.as_str()]);
        }
        if let Some(p) = &m.proxy {
            names.push(&p.file);
        }
        if let Some(w) = &m.waveform {
            names.extend([w.json_file.as_str(), w.png_file.as_str()]);
        }
        names.into_iter().map(|n| self.path(n)).collect()
    }
}

/// The manifest's path in an entry folder.
pub(crate) fn manifest_path(dir: &Path) -> PathBuf {
    dir.join("manifest.json")
}
