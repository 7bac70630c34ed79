//! From ffprobe's output to schema values: technical data measured by the probe, descriptive
//! data from container tags, each value with the ffprobe key it came from.
//!
//! Technical fields (origin [`Origin::Probe`]) come from the first video stream that is not cover
//! art and the first audio stream: `container`, `duration`, `bit_rate`, `media_type`,
//! `video_codec`, `video_profile`, `width`/`height` (as displayed: a 90° or 270° display matrix
//! swaps them, and `rotation` says by how much, clockwise), `pixel_aspect`, `frame_rate`,
//! `scan_type`, `color_primaries`/`color_transfer`/`color_matrix`, `video_bit_depth`,
//! `audio_codec`, `audio_channels`, `sample_rate`, `bit_depth` (audio; not for lossy codecs).
//!
//! One value per field. Where several keys could supply a field, the first present in this order
//! wins (the order of trove's precedence rules within what ffprobe can see):
//! - `title`: `com.apple.quicktime.title`, `title`;
//! - `creator`: `com.apple.quicktime.author`, `com.apple.quicktime.artist`, `artist`, `author`;
//! - `description`: `com.apple.quicktime.description`, `description`,
//!   `com.apple.quicktime.comment`, `comment`;
//! - `keywords`: `com.apple.quicktime.keywords`, `keywords` (split on `,` and `;`);
//! - `rights`: `com.apple.quicktime.copyright`, `copyright`;
//! - `captured_at`: `com.apple.quicktime.creationdate` (carries a zone), `creation_time`, `date`
//!   — placeholder dates (1904-01-01, 1970-01-01T00:00:00, 0000) are skipped with a warning;
//! - GPS: `com.apple.quicktime.location.ISO6709`, `location`;
//! - `camera_make`/`camera_model`: `com.apple.quicktime.make`/`model`,
//!   `com.android.manufacturer`/`model`;
//! - `timecode_start`: the container's `timecode` tag, the video stream's, then any stream's
//!   (the QuickTime `tmcd` track).
//!
//! Tag keys match without regard to case and with or without a language suffix (`title-eng`);
//! the container's tags are searched before the streams'.

use crate::date::{parse_tag_date, TagDate};
use crate::depth::{pix_fmt_bit_depth, sample_fmt_bit_depth};
use crate::location::parse_iso6709;
use crate::output::{ProbeOutput, Stream};
use crate::rational::{pick_frame_rate, Rational};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// What [`extract`] read from one probe.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extracted {
    /// One value per schema field found.
    pub values: Vec<ExtractedValue>,
    /// Things worth telling the user that did not stop the extraction: values that could not be
    /// read, placeholder dates that were dropped, ffprobe's complaints about damaged data.
    pub warnings: Vec<String>,
    /// Every tag verbatim: container tags under their own key, stream tags as
    /// `streams[i].key`.
    pub raw: BTreeMap<String, String>,
}

/// One schema value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedValue {
    /// The schema key, e.g. `frame_rate`, `title`.
    pub field: &'static str,
    /// The value: strings, integers, seconds as a float, lists of strings.
    pub value: Value,
    /// Whether the probe measured it or a tag stated it.
    pub origin: Origin,
    /// The ffprobe key read, e.g. `streams[0].avg_frame_rate`,
    /// `format.tags.com.apple.quicktime.title`. For a rotated picture, `width` names the stored
    /// height it was taken from.
    pub source_key: String,
}

/// Where an extracted value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Stream or container properties ffprobe reads from the coded data and headers.
    Probe,
    /// A container or stream tag (metadata someone wrote).
    ContainerTags,
    /// An EXIF field of a still picture.
    Exif,
    /// A legacy IPTC IIM record (JPEG APP13).
    IptcIim,
    /// An XMP sidecar file (`clip.xmp`, `clip.mov.xmp`).
    SidecarXmp,
    /// The XMP packet embedded in the media file.
    EmbeddedXmp,
}

impl Origin {
    /// The claim source this origin stands for (trove-core's `ClaimSource` names).
    pub fn claim_source(self) -> &'static str {
        match self {
            Origin::Probe => "probe",
            Origin::ContainerTags => "container_tags",
            Origin::SidecarXmp => "sidecar_xmp",
            Origin::EmbeddedXmp => "embedded_xmp",
            Origin::Exif => "exif",
            Origin::IptcIim => "iptc_iim",
        }
    }
}

/// Still-picture codecs: a single frame of one of these is an image, not a video.
const IMAGE_CODECS: [&str; 22] = [
    "png", "apng", "mjpeg", "jpeg2000", "jpegls", "jpegxl", "bmp", "tiff", "webp", "gif", "ppm",
    "pgm", "pgmyuv", "pbm", "pam", "dpx", "exr", "sgi", "targa", "pcx", "qoi", "hdr",
];

/// Lossless or uncompressed audio codecs, whose decoded sample format is their true depth.
const LOSSLESS_AUDIO: [&str; 8] = [
    "flac", "alac", "wavpack", "tta", "ape", "truehd", "mlp", "shorten",
];

/// Reads the schema values out of a probe. Never fails: what cannot be read becomes a warning.
pub fn extract(probe: &ProbeOutput) -> Extracted {
    let mut x = Extractor {
        probe,
        out: Extracted::default(),
    };
    x.raw_tags();
    x.technical();
    x.descriptive();
    x.out
        .warnings
        .extend(probe.diagnostics.iter().map(|d| format!("ffprobe: {d}")));
    let mut seen = std::collections::HashSet::new();
    x.out.warnings.retain(|w| seen.insert(w.clone()));
    x.out
}

struct Extractor<'a> {
    probe: &'a ProbeOutput,
    out: Extracted,
}

/// A tag found: the source key ("format.tags.title") and its value.
struct Tag<'a> {
    key: String,
    value: &'a str,
}

impl<'a> Extractor<'a> {
    fn push(&mut self, field: &'static str, value: impl Into<Value>, origin: Origin, key: String) {
        let value = value.into();
        if !value.is_null() {
            self.out.values.push(ExtractedValue {
                field,
                value,
                origin,
                source_key: key,
            });
        }
    }

    fn warn(&mut self, warning: String) {
        self.out.warnings.push(warning);
    }

    fn raw_tags(&mut self) {
        if let Some(format) = &self.probe.format {
            for (k, v) in &format.tags {
                self.out.raw.insert(k.clone(), v.clone());
            }
        }
        for (i, stream) in self.probe.streams.iter().enumerate() {
            for (k, v) in &stream.tags {
                self.out.raw.insert(format!("streams[{i}].{k}"), v.clone());
            }
        }
    }

    /// The first stream of `codec_type` that is not cover art, with its position.
    fn stream(&self, codec_type: &str) -> Option<(usize, &'a Stream)> {
        self.probe
            .streams
            .iter()
            .enumerate()
            .find(|(_, s)| s.codec_type.as_deref() == Some(codec_type) && !s.is_attached_pic())
    }

    fn technical(&mut self) {
        let video = self.stream("video");
        let audio = self.stream("audio");
        let format_name = self
            .probe
            .format
            .as_ref()
            .and_then(|f| f.format_name.as_deref());
        let is_image = video.is_some_and(|(_, v)| is_still(format_name, v));
        let media_type = match (video, audio) {
            (Some((i, _)), _) => Some((if is_image { "image" } else { "video" }, i)),
            (None, Some((i, _))) => Some(("audio", i)),
            (None, None) => None,
        };
        if let Some((media_type, i)) = media_type {
            self.push(
                "media_type",
                media_type,
                Origin::Probe,
                format!("streams[{i}].codec_type"),
            );
        }
        self.container(video.map(|(_, v)| v));
        if !is_image {
            self.duration(video.or(audio));
            self.bit_rate(video.or(audio));
        }
        if let Some((i, v)) = video {
            self.video(i, v, is_image);
        }
        if let Some((i, a)) = audio {
            self.audio(i, a);
        }
        self.timecode(video.map(|(i, _)| i));
    }

    fn container(&mut self, video: Option<&Stream>) {
        let Some(format) = &self.probe.format else {
            return;
        };
        let Some(name) = format.format_name.as_deref() else {
            return;
        };
        let brand = tag_value(&format.tags, "major_brand");
        let codec = video.and_then(|v| v.codec_name.as_deref());
        if let Some(container) = container_name(name, brand, codec) {
            self.push(
                "container",
                container,
                Origin::Probe,
                "format.format_name".into(),
            );
        }
    }

    /// The exact duration: the main stream's `duration_ts × time_base`, else the stream's or the
    /// container's rounded `duration`.
    fn duration(&mut self, main: Option<(usize, &Stream)>) {
        if let Some((i, s)) = main {
            let time_base = s.time_base.as_deref().and_then(Rational::parse);
            if let (Some(ts), Some(tb)) = (s.duration_ts.filter(|&ts| ts > 0), time_base) {
                if tb.num() > 0 {
                    let secs = (i128::from(ts) * i128::from(tb.num())) as f64 / tb.den() as f64;
                    self.push(
                        "duration",
                        secs,
                        Origin::Probe,
                        format!("streams[{i}].duration_ts"),
                    );
                    return;
                }
            }
            if let Some(secs) = positive_seconds(s.duration.as_deref()) {
                self.push(
                    "duration",
                    secs,
                    Origin::Probe,
                    format!("streams[{i}].duration"),
                );
                return;
            }
        }
        let format_duration = self
            .probe
            .format
            .as_ref()
            .and_then(|f| f.duration.as_deref());
        if let Some(secs) = positive_seconds(format_duration) {
            self.push("duration", secs, Origin::Probe, "format.duration".into());
        }
    }

    fn bit_rate(&mut self, main: Option<(usize, &Stream)>) {
        let format_rate = self
            .probe
            .format
            .as_ref()
            .and_then(|f| f.bit_rate.as_deref());
        if let Some(rate) = positive_int(format_rate) {
            self.push("bit_rate", rate, Origin::Probe, "format.bit_rate".into());
        } else if let Some((i, s)) = main {
            if let Some(rate) = positive_int(s.bit_rate.as_deref()) {
                self.push(
                    "bit_rate",
                    rate,
                    Origin::Probe,
                    format!("streams[{i}].bit_rate"),
                );
            }
        }
    }

    fn video(&mut self, i: usize, v: &Stream, is_image: bool) {
        let key = |name: &str| format!("streams[{i}].{name}");
        if !is_image {
            if let Some(codec) = known(v.codec_name.as_deref()) {
                self.push("video_codec", codec, Origin::Probe, key("codec_name"));
            }
            if let Some(profile) = known(v.profile.as_deref()) {
                self.push("video_profile", profile, Origin::Probe, key("profile"));
            }
        }
        let rotation = self.rotation(i, v);
        let swap = matches!(rotation, Some(90 | 270));
        let (w, h) = (v.width.filter(|&w| w > 0), v.height.filter(|&h| h > 0));
        let (width, height) = if swap {
            ((h, "height"), (w, "width"))
        } else {
            ((w, "width"), (h, "height"))
        };
        if let Some(width_value) = width.0 {
            self.push("width", width_value, Origin::Probe, key(width.1));
        }
        if let Some(height_value) = height.0 {
            self.push("height", height_value, Origin::Probe, key(height.1));
        }
        if let Some(sar) = v.sample_aspect_ratio.as_deref().and_then(Rational::parse) {
            if sar.num() > 0 {
                self.push(
                    "pixel_aspect",
                    sar.to_string(),
                    Origin::Probe,
                    key("sample_aspect_ratio"),
                );
            }
        }
        if !is_image {
            let rates = (v.r_frame_rate.as_deref(), v.avg_frame_rate.as_deref());
            if let Some((rate, from_avg)) = pick_frame_rate(rates.0, rates.1) {
                let name = if from_avg {
                    "avg_frame_rate"
                } else {
                    "r_frame_rate"
                };
                self.push("frame_rate", rate.to_string(), Origin::Probe, key(name));
            }
            let scan = match v.field_order.as_deref() {
                Some("progressive") => Some("progressive"),
                // tb: top field coded first, bottom displayed first; bt the other way round.
                Some("tt" | "bt") => Some("interlaced_tff"),
                Some("bb" | "tb") => Some("interlaced_bff"),
                _ => None,
            };
            if let Some(scan) = scan {
                self.push("scan_type", scan, Origin::Probe, key("field_order"));
            }
        }
        for (field, value, name) in [
            ("color_primaries", &v.color_primaries, "color_primaries"),
            ("color_transfer", &v.color_transfer, "color_transfer"),
            ("color_matrix", &v.color_space, "color_space"),
        ] {
            if let Some(value) = known(value.as_deref()) {
                self.push(field, value, Origin::Probe, key(name));
            }
        }
        if let Some(bits) = positive_int(v.bits_per_raw_sample.as_deref()) {
            self.push(
                "video_bit_depth",
                bits,
                Origin::Probe,
                key("bits_per_raw_sample"),
            );
        } else if let Some(pix_fmt) = v.pix_fmt.as_deref() {
            match pix_fmt_bit_depth(pix_fmt) {
                Some(bits) => self.push("video_bit_depth", bits, Origin::Probe, key("pix_fmt")),
                None => tracing::debug!(pix_fmt, "no bit depth for this pixel format"),
            }
        }
    }

    /// Degrees clockwise to turn the stored picture for display (0, 90, 180, 270), from the
    /// display matrix or the older `rotate` tag; pushed as `rotation` when present.
    fn rotation(&mut self, i: usize, v: &Stream) -> Option<i64> {
        let matrix = v
            .side_data_list
            .iter()
            .enumerate()
            .find_map(|(j, sd)| sd.rotation.map(|r| (j, r)));
        if let Some((j, counterclockwise)) = matrix {
            // ffprobe prints the matrix's counterclockwise angle; the schema stores clockwise,
            // like the `rotate` tag and exiftool's Rotation.
            let degrees = (-counterclockwise.round() as i64).rem_euclid(360);
            let key = format!("streams[{i}].side_data_list[{j}].rotation");
            self.push("rotation", degrees, Origin::Probe, key);
            return Some(degrees);
        }
        let tag = v
            .tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("rotate"))?;
        let key = format!("streams[{i}].tags.{}", tag.0);
        match tag.1.trim().parse::<f64>() {
            Ok(r) if r.is_finite() => {
                let degrees = (r.round() as i64).rem_euclid(360);
                self.push("rotation", degrees, Origin::ContainerTags, key);
                Some(degrees)
            }
            _ => {
                self.warn(format!("unreadable rotation {:?} in {key}", tag.1));
                None
            }
        }
    }

    fn audio(&mut self, i: usize, a: &Stream) {
        let key = |name: &str| format!("streams[{i}].{name}");
        if let Some(codec) = known(a.codec_name.as_deref()) {
            self.push("audio_codec", codec, Origin::Probe, key("codec_name"));
        }
        if let Some(channels) = a.channels.filter(|&c| c > 0) {
            self.push("audio_channels", channels, Origin::Probe, key("channels"));
        }
        if let Some(rate) = positive_int(a.sample_rate.as_deref()) {
            self.push("sample_rate", rate, Origin::Probe, key("sample_rate"));
        }
        let codec = a.codec_name.as_deref().unwrap_or("");
        let lossless = codec.starts_with("pcm_") || LOSSLESS_AUDIO.contains(&codec);
        if let Some(bits) = positive_int(a.bits_per_raw_sample.as_deref()) {
            self.push("bit_depth", bits, Origin::Probe, key("bits_per_raw_sample"));
        } else if let Some(bits) = a.bits_per_sample.filter(|&b| b > 0) {
            self.push("bit_depth", bits, Origin::Probe, key("bits_per_sample"));
        } else if lossless {
            // Lossy codecs decode to float whatever went in: their sample format says nothing.
            if let Some(bits) = a.sample_fmt.as_deref().and_then(sample_fmt_bit_depth) {
                self.push("bit_depth", bits, Origin::Probe, key("sample_fmt"));
            }
        }
    }

    fn timecode(&mut self, video: Option<usize>) {
        let mut candidates: Vec<Tag<'a>> = Vec::new();
        if let Some(format) = &self.probe.format {
            candidates.extend(find_in(&format.tags, "format.tags.", "timecode"));
        }
        let streams = &self.probe.streams;
        let order = video
            .into_iter()
            .chain((0..streams.len()).filter(|&i| Some(i) != video));
        for i in order {
            candidates.extend(find_in(
                &streams[i].tags,
                &format!("streams[{i}].tags."),
                "timecode",
            ));
        }
        for tag in candidates {
            if is_timecode(tag.value) {
                self.push(
                    "timecode_start",
                    tag.value.trim(),
                    Origin::ContainerTags,
                    tag.key,
                );
                return;
            }
            self.warn(format!(
                "unreadable timecode {:?} in {}",
                tag.value, tag.key
            ));
        }
    }

    /// Every tag matching one of `keys`, in the order of `keys`, container before streams.
    fn tags(&self, keys: &[&str]) -> Vec<Tag<'a>> {
        let mut found = Vec::new();
        for key in keys {
            if let Some(format) = &self.probe.format {
                found.extend(find_in(&format.tags, "format.tags.", key));
            }
            for (i, stream) in self.probe.streams.iter().enumerate() {
                found.extend(find_in(&stream.tags, &format!("streams[{i}].tags."), key));
            }
        }
        found
    }

    fn first_tag(&self, keys: &[&str]) -> Option<Tag<'a>> {
        self.tags(keys).into_iter().next()
    }

    fn descriptive(&mut self) {
        let text_fields: [(&'static str, &[&str]); 5] = [
            ("title", &["com.apple.quicktime.title", "title"]),
            (
                "description",
                &[
                    "com.apple.quicktime.description",
                    "description",
                    "com.apple.quicktime.comment",
                    "comment",
                ],
            ),
            ("rights", &["com.apple.quicktime.copyright", "copyright"]),
            (
                "camera_make",
                &["com.apple.quicktime.make", "com.android.manufacturer"],
            ),
            (
                "camera_model",
                &["com.apple.quicktime.model", "com.android.model"],
            ),
        ];
        for (field, keys) in text_fields {
            if let Some(tag) = self.first_tag(keys) {
                self.push(field, tag.value.trim(), Origin::ContainerTags, tag.key);
            }
        }
        let creator_keys = [
            "com.apple.quicktime.author",
            "com.apple.quicktime.artist",
            "artist",
            "author",
        ];
        if let Some(tag) = self.first_tag(&creator_keys) {
            let creators = Value::from(vec![tag.value.trim()]);
            self.push("creator", creators, Origin::ContainerTags, tag.key);
        }
        if let Some(tag) = self.first_tag(&["com.apple.quicktime.keywords", "keywords"]) {
            let mut keywords: Vec<&str> = Vec::new();
            for word in tag
                .value
                .split([',', ';'])
                .map(str::trim)
                .filter(|w| !w.is_empty())
            {
                if !keywords.contains(&word) {
                    keywords.push(word);
                }
            }
            if !keywords.is_empty() {
                self.push("keywords", keywords, Origin::ContainerTags, tag.key);
            }
        }
        self.captured_at();
        self.gps();
    }

    fn captured_at(&mut self) {
        let keys = ["com.apple.quicktime.creationdate", "creation_time", "date"];
        for tag in self.tags(&keys) {
            match parse_tag_date(tag.value) {
                TagDate::Valid(iso) => {
                    self.push("captured_at", iso, Origin::ContainerTags, tag.key);
                    return;
                }
                TagDate::Zero => {
                    self.warn(format!(
                        "ignored placeholder date {:?} in {}",
                        tag.value, tag.key
                    ));
                }
                TagDate::Invalid => {
                    self.warn(format!("unreadable date {:?} in {}", tag.value, tag.key));
                }
            }
        }
    }

    fn gps(&mut self) {
        for tag in self.tags(&["com.apple.quicktime.location.ISO6709", "location"]) {
            let Some(point) = parse_iso6709(tag.value) else {
                self.warn(format!(
                    "unreadable location {:?} in {}",
                    tag.value, tag.key
                ));
                continue;
            };
            self.push(
                "gps_latitude",
                point.latitude,
                Origin::ContainerTags,
                tag.key.clone(),
            );
            self.push(
                "gps_longitude",
                point.longitude,
                Origin::ContainerTags,
                tag.key.clone(),
            );
            if let Some(altitude) = point.altitude {
                self.push("gps_altitude", altitude, Origin::ContainerTags, tag.key);
            }
            return;
        }
    }
}

/// Tags of one map whose key is `key` (any case), then those with a language suffix
/// (`title-eng`), skipping empty values.
fn find_in<'a>(tags: &'a BTreeMap<String, String>, prefix: &str, key: &str) -> Vec<Tag<'a>> {
    let exact = tags.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key));
    let localized = tags.iter().filter(|(k, _)| {
        k.len() == key.len() + 4
            && k.is_char_boundary(key.len())
            && k[..key.len()].eq_ignore_ascii_case(key)
            && k.as_bytes()[key.len()] == b'-'
            && k[key.len() + 1..].bytes().all(|b| b.is_ascii_alphabetic())
    });
    exact
        .chain(localized)
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| Tag {
            key: format!("{prefix}{k}"),
            value: v.as_str(),
        })
        .collect()
}

fn tag_value<'a>(tags: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// A readable container name: the ISO family by its major brand ("mov", "mp4", "m4a", "3gp"),
/// image pipes by their format ("png"), anything else the demuxer's first name ("mxf",
/// "matroska", "wav").
fn container_name(
    format_name: &str,
    major_brand: Option<&str>,
    codec: Option<&str>,
) -> Option<String> {
    let first = format_name.split(',').next().unwrap_or(format_name).trim();
    if first.is_empty() {
        return None;
    }
    if first == "mov" {
        let brand = major_brand.map(|b| b.trim().to_ascii_lowercase());
        let name = match brand.as_deref() {
            // QuickTime files older than the ftyp box have no brand.
            None | Some("" | "qt") => "mov",
            Some("m4a" | "m4b" | "m4p") => "m4a",
            Some(b) if b.starts_with("3g2") => "3g2",
            Some(b) if b.starts_with("3g") => "3gp",
            Some("mj2" | "mjp2") => "mj2",
            Some(_) => "mp4",
        };
        return Some(name.to_owned());
    }
    if let Some(image) = first.strip_suffix("_pipe") {
        return Some(image.to_owned());
    }
    if first == "image2" {
        return Some(match codec {
            Some("mjpeg") => "jpeg".to_owned(),
            Some(codec) => codec.to_owned(),
            None => first.to_owned(),
        });
    }
    Some(first.to_owned())
}

/// Whether a video stream is one still picture.
fn is_still(format_name: Option<&str>, video: &Stream) -> bool {
    let format = format_name.unwrap_or("");
    if format == "image2" || format.ends_with("_pipe") {
        return true;
    }
    let codec = video.codec_name.as_deref().unwrap_or("");
    let frames = video
        .nb_frames
        .as_deref()
        .and_then(|n| n.trim().parse::<u64>().ok());
    IMAGE_CODECS.contains(&codec) && frames.is_none_or(|n| n <= 1)
}

/// `None` for ffprobe's "unknown"/"unspecified"/"reserved" placeholders and empty values.
fn known(value: Option<&str>) -> Option<&str> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty() && !["unknown", "unspecified", "reserved", "N/A"].contains(v))
}

fn positive_int(text: Option<&str>) -> Option<u64> {
    text?.trim().parse::<u64>().ok().filter(|&n| n > 0)
}

fn positive_seconds(text: Option<&str>) -> Option<f64> {
    text?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
}

/// "01:00:00:00", or "00:59:59;29" for drop frame: the forms ffmpeg prints and the schema takes.
fn is_timecode(text: &str) -> bool {
    let b = text.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 11
        && digits(0..2)
        && b[2] == b':'
        && digits(3..5)
        && b[5] == b':'
        && digits(6..8)
        && matches!(b[8], b':' | b';')
        && digits(9..11)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names() {
        let mov = "mov,mp4,m4a,3gp,3g2,mj2";
        let check = |name: &str, brand: Option<&str>, codec: Option<&str>, expect: &str| {
            assert_eq!(
                container_name(name, brand, codec).as_deref(),
                Some(expect),
                "{name} {brand:?}"
            );
        };
        check(mov, Some("qt  "), None, "mov");
        check(mov, None, None, "mov");
        check(mov, Some("isom"), None, "mp4");
        check(mov, Some("mp42"), None, "mp4");
        check(mov, Some("M4A "), None, "m4a");
        check(mov, Some("3gp5"), None, "3gp");
        check(mov, Some("3g2a"), None, "3g2");
        check("mxf", None, None, "mxf");
        check("matroska,webm", None, None, "matroska");
        check("png_pipe", None, Some("png"), "png");
        check("image2", None, Some("mjpeg"), "jpeg");
        assert_eq!(container_name("", None, None), None);
    }

    #[test]
    fn timecodes() {
        for ok in ["01:00:00:00", "00:59:59;29", " 10:00:00:00 "] {
            assert!(is_timecode(ok), "{ok}");
        }
        for bad in [
            "",
            "1:00:00:00",
            "01:00:00",
            "aa:00:00:00",
            "01-00-00-00",
            "01:00:00:0x",
            "10:00:00.00",
            "01:00:00:000",
        ] {
            assert!(!is_timecode(bad), "{bad}");
        }
    }

    #[test]
    fn localized_tag_keys() {
        let tags: BTreeMap<String, String> = [
            ("location-eng", "+1.0+2.0/"),
            ("TITLE", "Upper"),
            ("title-x", "not a language"),
            ("Comment", " "),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let keys = |key: &str| {
            find_in(&tags, "format.tags.", key)
                .into_iter()
                .map(|t| t.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys("location"), ["format.tags.location-eng"]);
        assert_eq!(keys("title"), ["format.tags.TITLE"]);
        assert!(keys("comment").is_empty());
    }
}
