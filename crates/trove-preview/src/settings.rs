//! What to make, and how: poster widths, filmstrip layout, proxy encoding, waveform resolution,
//! time limits. The digest of the shaping parts is kept in each manifest, so changed settings
//! remake an entry.

use crate::control::Limits;
use serde::{Deserialize, Serialize};

/// What [`PreviewCache::ensure`](crate::PreviewCache::ensure) makes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewSettings {
    /// Poster widths in pixels (never wider than the source): video and stills.
    pub poster_widths: Vec<u32>,
    /// Frames of a video compared for the poster (evenly spaced; the one with the most luma
    /// variance wins, so black and flat frames lose).
    pub poster_candidates: u32,
    /// The hover-scrub sprite of a video; `None` makes none.
    pub filmstrip: Option<FilmstripSettings>,
    /// The proxy of a video; `None` makes none.
    pub proxy: Option<ProxySettings>,
    /// The waveform of audio and of a video's sound; `None` makes none.
    pub waveform: Option<WaveformSettings>,
    /// When ffmpeg and ffprobe are killed.
    pub limits: Limits,
}

impl Default for PreviewSettings {
    fn default() -> Self {
        Self {
            poster_widths: vec![320, 1280],
            poster_candidates: 6,
            filmstrip: Some(FilmstripSettings::default()),
            proxy: Some(ProxySettings::default()),
            waveform: Some(WaveformSettings::default()),
            limits: Limits::default(),
        }
    }
}

impl PreviewSettings {
    /// Posters only (e.g. grid thumbnails of stills): no filmstrip, proxy or waveform.
    pub fn posters_only(widths: &[u32]) -> Self {
        Self {
            poster_widths: widths.to_vec(),
            filmstrip: None,
            proxy: None,
            waveform: None,
            ..Self::default()
        }
    }

    /// A digest of everything that shapes the files (limits excluded).
    pub(crate) fn digest(&self) -> String {
        let shaping = (
            &self.poster_widths,
            self.poster_candidates,
            &self.filmstrip,
            &self.proxy,
            &self.waveform,
        );
        let json = serde_json::to_vec(&shaping).unwrap_or_default();
        blake3::hash(&json).to_hex()[..16].to_owned()
    }
}

/// The filmstrip's layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilmstripSettings {
    /// Frames, evenly spaced over the duration.
    pub frames: u32,
    /// Tiles per row.
    pub columns: u32,
    /// Tile width in pixels (height follows the picture).
    pub tile_width: u32,
}

impl Default for FilmstripSettings {
    fn default() -> Self {
        Self {
            frames: 20,
            columns: 5,
            tile_width: 160,
        }
    }
}

/// The proxy's size and encoding.
///
/// Size: the picture as displayed (rotation applied, pixels made square) fits in
/// `max_long_side`×`max_short_side` when landscape and `max_short_side`×`max_long_side` when
/// portrait, and is never upscaled. So "720p" is 1280×720 for landscape and 720×1280 for
/// vertical phone video: the short side is at most 720 lines either way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProxySettings {
    /// The short side's limit (720).
    pub max_short_side: u32,
    /// The long side's limit (1280).
    pub max_long_side: u32,
    /// x264 constant rate factor.
    pub crf: u32,
    /// x264 preset.
    pub preset: String,
    /// AAC bit rate in kbit/s.
    pub audio_kbps: u32,
}

impl Default for ProxySettings {
    fn default() -> Self {
        Self {
            max_short_side: 720,
            max_long_side: 1280,
            crf: 23,
            preset: "veryfast".into(),
            audio_kbps: 128,
        }
    }
}

/// The waveform's resolution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WaveformSettings {
    /// Min/max pairs over the whole duration (fewer for very short sound).
    pub peaks: u32,
    /// The rate the sound is resampled to (mono) before peaks are taken.
    pub sample_rate: u32,
    /// The PNG's height (its width is `peaks`).
    pub png_height: u32,
}

impl Default for WaveformSettings {
    fn default() -> Self {
        Self {
            peaks: 1000,
            sample_rate: 8000,
            png_height: 128,
        }
    }
}
