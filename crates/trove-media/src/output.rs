//! ffprobe's JSON (`-show_format -show_streams -show_error`) as typed values.
//!
//! The types mirror ffprobe's own names and keep its representation: numbers that ffprobe prints
//! as strings (`"duration": "1.001000"`, `"bit_rate": "565850"`) stay strings and rates stay
//! rationals, so nothing is rounded before [`crate::extract`] reads them. Every field is optional
//! and read leniently — a number where a string was expected, or `"N/A"`, never fails the whole
//! probe — because fields come and go between ffmpeg versions and containers.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything ffprobe printed about one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProbeOutput {
    /// The streams, in file order (`streams[i]` in source keys is this position).
    #[serde(default)]
    pub streams: Vec<Stream>,
    /// The container.
    #[serde(default)]
    pub format: Option<Format>,
    /// Set when ffprobe failed to open or read the file.
    #[serde(default)]
    pub error: Option<ProbeError>,
    /// Warnings ffprobe wrote to stderr while reading a file it could still describe (for
    /// example "mov: stream 0, offset 0xac9: partial file"). Filled by [`crate::probe`].
    #[serde(skip)]
    pub diagnostics: Vec<String>,
}

/// ffprobe's `error` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProbeError {
    /// The AVERROR code.
    #[serde(default, deserialize_with = "lenient::int")]
    pub code: Option<i64>,
    /// Its text, e.g. "Invalid data found when processing input".
    #[serde(default, deserialize_with = "lenient::text")]
    pub string: Option<String>,
}

/// ffprobe's `format` object: the container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Format {
    /// The input as given to ffprobe.
    #[serde(default, deserialize_with = "lenient::text")]
    pub filename: Option<String>,
    /// Number of streams.
    #[serde(default, deserialize_with = "lenient::int")]
    pub nb_streams: Option<i64>,
    /// The demuxer's names, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    #[serde(default, deserialize_with = "lenient::text")]
    pub format_name: Option<String>,
    /// e.g. "QuickTime / MOV".
    #[serde(default, deserialize_with = "lenient::text")]
    pub format_long_name: Option<String>,
    /// Seconds, as printed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub start_time: Option<String>,
    /// Seconds, as printed (microsecond precision).
    #[serde(default, deserialize_with = "lenient::text")]
    pub duration: Option<String>,
    /// Bytes, as printed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub size: Option<String>,
    /// Bits per second, as printed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub bit_rate: Option<String>,
    /// How sure the demuxer was (100 = certain).
    #[serde(default, deserialize_with = "lenient::int")]
    pub probe_score: Option<i64>,
    /// Container tags, keys verbatim.
    #[serde(default, deserialize_with = "lenient::tags")]
    pub tags: BTreeMap<String, String>,
}

/// One of ffprobe's `streams`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Stream {
    /// Index in the container.
    #[serde(default, deserialize_with = "lenient::int")]
    pub index: Option<i64>,
    /// "video", "audio", "data", "subtitle", "attachment".
    #[serde(default, deserialize_with = "lenient::text")]
    pub codec_type: Option<String>,
    /// e.g. "h264", "prores", "pcm_s24le".
    #[serde(default, deserialize_with = "lenient::text")]
    pub codec_name: Option<String>,
    /// e.g. "Apple ProRes (iCodec Pro)".
    #[serde(default, deserialize_with = "lenient::text")]
    pub codec_long_name: Option<String>,
    /// e.g. "High", "HQ".
    #[serde(default, deserialize_with = "lenient::text")]
    pub profile: Option<String>,
    /// The FourCC, e.g. "apch", "tmcd".
    #[serde(default, deserialize_with = "lenient::text")]
    pub codec_tag_string: Option<String>,
    /// Codec level (-99 when unknown).
    #[serde(default, deserialize_with = "lenient::int")]
    pub level: Option<i64>,
    /// Stored width in pixels, before any display rotation.
    #[serde(default, deserialize_with = "lenient::int")]
    pub width: Option<i64>,
    /// Stored height in pixels, before any display rotation.
    #[serde(default, deserialize_with = "lenient::int")]
    pub height: Option<i64>,
    /// e.g. "1:1".
    #[serde(default, deserialize_with = "lenient::text")]
    pub sample_aspect_ratio: Option<String>,
    /// e.g. "16:9".
    #[serde(default, deserialize_with = "lenient::text")]
    pub display_aspect_ratio: Option<String>,
    /// e.g. "yuv422p10le".
    #[serde(default, deserialize_with = "lenient::text")]
    pub pix_fmt: Option<String>,
    /// "tv" or "pc".
    #[serde(default, deserialize_with = "lenient::text")]
    pub color_range: Option<String>,
    /// The matrix coefficients, e.g. "bt709".
    #[serde(default, deserialize_with = "lenient::text")]
    pub color_space: Option<String>,
    /// e.g. "smpte2084".
    #[serde(default, deserialize_with = "lenient::text")]
    pub color_transfer: Option<String>,
    /// e.g. "bt2020".
    #[serde(default, deserialize_with = "lenient::text")]
    pub color_primaries: Option<String>,
    /// "progressive", "tt", "bb", "tb", "bt" or "unknown".
    #[serde(default, deserialize_with = "lenient::text")]
    pub field_order: Option<String>,
    /// The lowest rate that represents all timestamps, e.g. "24000/1001".
    #[serde(default, deserialize_with = "lenient::text")]
    pub r_frame_rate: Option<String>,
    /// Frames over duration, e.g. "24000/1001"; "0/0" when unknown.
    #[serde(default, deserialize_with = "lenient::text")]
    pub avg_frame_rate: Option<String>,
    /// The unit of `duration_ts`, e.g. "1/24000".
    #[serde(default, deserialize_with = "lenient::text")]
    pub time_base: Option<String>,
    /// First timestamp in `time_base` units.
    #[serde(default, deserialize_with = "lenient::int")]
    pub start_pts: Option<i64>,
    /// Seconds, as printed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub start_time: Option<String>,
    /// Duration in `time_base` units: the exact duration.
    #[serde(default, deserialize_with = "lenient::int")]
    pub duration_ts: Option<i64>,
    /// Seconds, as printed (rounded to microseconds).
    #[serde(default, deserialize_with = "lenient::text")]
    pub duration: Option<String>,
    /// Bits per second, as printed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub bit_rate: Option<String>,
    /// Bits per sample as coded, as printed (often absent for video).
    #[serde(default, deserialize_with = "lenient::text")]
    pub bits_per_raw_sample: Option<String>,
    /// Audio bits per sample (0 for compressed audio).
    #[serde(default, deserialize_with = "lenient::int")]
    pub bits_per_sample: Option<i64>,
    /// Frame count, as printed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub nb_frames: Option<String>,
    /// The decoder's sample format, e.g. "s16", "fltp".
    #[serde(default, deserialize_with = "lenient::text")]
    pub sample_fmt: Option<String>,
    /// Hz, as printed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub sample_rate: Option<String>,
    /// Audio channels.
    #[serde(default, deserialize_with = "lenient::int")]
    pub channels: Option<i64>,
    /// e.g. "stereo", "5.1(side)".
    #[serde(default, deserialize_with = "lenient::text")]
    pub channel_layout: Option<String>,
    /// Flags such as `default` and `attached_pic` (cover art), 0 or 1.
    #[serde(default, deserialize_with = "lenient::flags")]
    pub disposition: BTreeMap<String, i64>,
    /// Stream tags, keys verbatim.
    #[serde(default, deserialize_with = "lenient::tags")]
    pub tags: BTreeMap<String, String>,
    /// Side data such as the display matrix.
    #[serde(default, deserialize_with = "lenient::side_data")]
    pub side_data_list: Vec<SideData>,
}

/// One entry of a stream's `side_data_list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SideData {
    /// e.g. "Display Matrix".
    #[serde(default, deserialize_with = "lenient::text")]
    pub side_data_type: Option<String>,
    /// For a display matrix: degrees as ffprobe prints them (counterclockwise; ffprobe 5.1 prints
    /// 90 for a clip that players turn 90° counterclockwise, -90 for a phone held upright).
    #[serde(default, deserialize_with = "lenient::float")]
    pub rotation: Option<f64>,
    /// The matrix, as printed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub displaymatrix: Option<String>,
}

impl Stream {
    /// Whether the stream is cover art or a thumbnail rather than moving pictures.
    pub fn is_attached_pic(&self) -> bool {
        self.disposition.get("attached_pic").copied().unwrap_or(0) != 0
    }
}

/// Deserializers that accept what ffprobe may print and turn anything unexpected into `None`.
mod lenient {
    use super::SideData;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;
    use std::collections::BTreeMap;

    pub(super) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        })
    }

    pub(super) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        })
    }

    pub(super) fn float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|f: &f64| f.is_finite()))
    }

    pub(super) fn tags<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, String>, D::Error> {
        let Some(Value::Object(map)) = Option::<Value>::deserialize(d)? else {
            return Ok(BTreeMap::new());
        };
        Ok(map
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect())
    }

    pub(super) fn flags<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, i64>, D::Error> {
        let Some(Value::Object(map)) = Option::<Value>::deserialize(d)? else {
            return Ok(BTreeMap::new());
        };
        Ok(map
            .into_iter()
            .filter_map(|(k, v)| v.as_i64().map(|v| (k, v)))
            .collect())
    }

    pub(super) fn side_data<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SideData>, D::Error> {
        let Some(Value::Array(items)) = Option::<Value>::deserialize(d)? else {
            return Ok(Vec::new());
        };
        // An entry of an unexpected shape is skipped, not fatal.
        Ok(items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect())
    }
}
