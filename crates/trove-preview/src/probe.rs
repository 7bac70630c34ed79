//! What a preview needs to know of a media file before ffmpeg runs: its duration, the displayed
//! size of its video (sample aspect ratio and rotation applied) and whether it has audio.
//! Read with the system ffprobe into this crate's own small serde types.

use crate::control::Control;
use crate::error::{Error, Result};
use crate::process::{run_tool, tail_text};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// The facts of one media file that shape its previews.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MediaInfo {
    /// Seconds, when known.
    pub(crate) duration: Option<f64>,
    /// The first video stream that is not cover art.
    pub(crate) video: Option<VideoInfo>,
    /// Whether there is an audio stream.
    pub(crate) audio: bool,
}

/// A video stream's size as stored and as shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct VideoInfo {
    /// Its index among the video streams (`0:v:N`).
    pub(crate) index: usize,
    /// Stored width and height in pixels.
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Displayed width and height: square pixels, rotation applied (what ffmpeg's autorotate
    /// and a `setsar=1` scale produce).
    pub(crate) display_width: u32,
    pub(crate) display_height: u32,
    /// The stream's own duration in seconds, when known (it may be shorter than the file's,
    /// e.g. when the sound runs on): frames are sampled over this one.
    pub(crate) duration: Option<f64>,
    /// Whether the stream is interlaced (deinterlaced before scaling).
    pub(crate) interlaced: bool,
}

#[derive(Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Deserialize)]
struct Format {
    duration: Option<String>,
}

#[derive(Deserialize)]
struct Stream {
    codec_type: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    sample_aspect_ratio: Option<String>,
    duration: Option<String>,
    field_order: Option<String>,
    #[serde(default)]
    side_data_list: Vec<SideData>,
    #[serde(default)]
    tags: Tags,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Deserialize, Default)]
struct Tags {
    rotate: Option<String>,
    /// Matroska keeps stream durations here, as `HH:MM:SS.nnnnnnnnn`.
    #[serde(rename = "DURATION")]
    duration: Option<String>,
}

#[derive(Deserialize, Default)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize)]
struct SideData {
    rotation: Option<f64>,
}

/// Runs ffprobe on `path`.
pub(crate) fn probe(path: &Path, timeout: Duration, control: &Control) -> Result<MediaInfo> {
    let program = ffmpeg_sidecar::ffprobe::ffprobe_path();
    let args = [
        "-v".as_ref(),
        "error".as_ref(),
        "-print_format".as_ref(),
        "json".as_ref(),
        "-show_format".as_ref(),
        "-show_streams".as_ref(),
        path.as_os_str(),
    ];
    let done = run_tool("ffprobe", &program, args, path, timeout, control)?;
    if !done.status.success() {
        return Err(Error::Tool {
            tool: "ffprobe",
            path: path.to_path_buf(),
            status: done.status.to_string(),
            stderr: tail_text(&done.stderr),
        });
    }
    let output: Output = serde_json::from_slice(&done.stdout).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    let info = interpret(output);
    if info.video.is_none() && !info.audio {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "ffprobe finds no video or audio stream{}",
                match tail_text(&done.stderr) {
                    s if s.is_empty() => String::new(),
                    s => format!(": {s}"),
                }
            ),
        });
    }
    Ok(info)
}

fn interpret(output: Output) -> MediaInfo {
    let number = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<f64>().ok());
    let video_stream = output
        .streams
        .iter()
        .filter(|s| s.codec_type.as_deref() == Some("video"))
        .enumerate()
        .find(|(_, s)| {
            s.disposition.attached_pic == 0 && s.width.unwrap_or(0) > 0 && s.height.unwrap_or(0) > 0
        });
    let video = video_stream.map(|(index, s)| {
        let (width, height) = (s.width.unwrap_or(0), s.height.unwrap_or(0));
        let rotation = s
            .side_data_list
            .iter()
            .find_map(|d| d.rotation)
            .or_else(|| number(&s.tags.rotate))
            .unwrap_or(0.0);
        let (display_width, display_height) = display_size(
            width,
            height,
            parse_ratio(s.sample_aspect_ratio.as_deref()),
            rotation,
        );
        let duration = number(&s.duration)
            .or_else(|| {
                s.tags
                    .duration
                    .as_deref()
                    .and_then(crate::process::parse_time)
            })
            .filter(|d| d.is_finite() && *d > 0.0);
        let interlaced = matches!(s.field_order.as_deref(), Some("tt" | "bb" | "tb" | "bt"));
        VideoInfo {
            index,
            width,
            height,
            display_width,
            display_height,
            duration,
            interlaced,
        }
    });
    let audio = output
        .streams
        .iter()
        .any(|s| s.codec_type.as_deref() == Some("audio"));
    let duration = output
        .format
        .as_ref()
        .and_then(|f| number(&f.duration))
        .or_else(|| output.streams.iter().find_map(|s| number(&s.duration)))
        .filter(|d| d.is_finite() && *d > 0.0);
    MediaInfo {
        duration,
        video,
        audio,
    }
}

/// `"16:15"` → 16/15; absent, zero or malformed ratios are square pixels.
fn parse_ratio(text: Option<&str>) -> f64 {
    let ratio = text.and_then(|t| {
        let (n, d) = t.split_once(':')?;
        let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
        (n > 0.0 && d > 0.0).then_some(n / d)
    });
    ratio.unwrap_or(1.0)
}

/// The size a player shows: the width stretched by the sample aspect ratio, then turned by a
/// quarter-turn rotation.
pub(crate) fn display_size(width: u32, height: u32, sar: f64, rotation: f64) -> (u32, u32) {
    let stretched = ((f64::from(width) * sar).round() as u32).max(1);
    let quarter = ((rotation / 90.0).round() as i64).rem_euclid(2) == 1;
    if quarter {
        (height, stretched)
    } else {
        (stretched, height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_size_applies_sar_and_rotation() {
        assert_eq!(display_size(1920, 1080, 1.0, 0.0), (1920, 1080));
        assert_eq!(display_size(1920, 1080, 1.0, -90.0), (1080, 1920));
        assert_eq!(display_size(1920, 1080, 1.0, 270.0), (1080, 1920));
        assert_eq!(display_size(1920, 1080, 1.0, 180.0), (1920, 1080));
        // DV PAL widescreen: 720x576 at 64:45 shows as 1024x576.
        assert_eq!(
            display_size(720, 576, parse_ratio(Some("64:45")), 0.0),
            (1024, 576)
        );
        assert_eq!(parse_ratio(Some("0:1")), 1.0);
        assert_eq!(parse_ratio(None), 1.0);
    }

    #[test]
    fn cover_art_is_not_video() {
        let json = r#"{"streams":[{"codec_type":"audio"},
            {"codec_type":"video","width":600,"height":600,"disposition":{"attached_pic":1}}],
            "format":{"duration":"3.5"}}"#;
        let info = interpret(serde_json::from_str(json).expect("json"));
        assert_eq!(info.video, None);
        assert!(info.audio);
        assert_eq!(info.duration, Some(3.5));
    }
}
