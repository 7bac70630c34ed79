//! The unified metadata schema: every field Trove knows, with its kind, class and standard
//! mappings, plus the custom fields editors define, and the validation that normalises values.
//!
//! The registry is static and values are JSON, so a new field or a new custom field never needs a
//! catalog migration: the catalog stores claims as `(field key, JSON value, source)` and this
//! module says what a key means. Semantics follow the IPTC Video Metadata Hub; `xmp` names the
//! property Trove reads first and writes. `docs/metadata-schema.md` is the human-readable form.

use crate::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// The shape of a field's value, and so how [`validate`] normalises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One string, trimmed, without control characters other than tab and newline.
    Text,
    /// A list of strings (an XMP bag or seq); order is kept, case-insensitive duplicates dropped.
    TextList,
    /// A whole number (JSON integer).
    Integer,
    /// A finite floating-point number (JSON number).
    Number,
    /// An exact ratio stored as the string `"num/den"`, e.g. `"24000/1001"`; see [`Rational`].
    Rational,
    /// ISO 8601 / XMP date: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or a date-time with an optional zone.
    DateTime,
    /// SMPTE timecode `HH:MM:SS:FF`, or `HH:MM:SS;FF` for drop frame.
    Timecode,
    /// `true` or `false`.
    Bool,
    /// One of a closed list of lower-case names.
    Choice(&'static [&'static str]),
}

impl FieldKind {
    /// The kind's name in documentation and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::TextList => "text list",
            FieldKind::Integer => "integer",
            FieldKind::Number => "number",
            FieldKind::Rational => "rational",
            FieldKind::DateTime => "date-time",
            FieldKind::Timecode => "timecode",
            FieldKind::Bool => "bool",
            FieldKind::Choice(_) => "choice",
        }
    }
}

/// What a field is about; decides which sources may set it and in which order (see
/// [`crate::precedence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldClass {
    /// What the content shows and how editors file it: title, keywords, rating.
    Descriptive,
    /// Who made it and who may use it: creator, copyright, credit.
    Rights,
    /// Where, when and with what it was captured: capture date, GPS, camera, lens.
    Capture,
    /// Technical facts measured from the file: codec, size, frame rate, colour, audio format.
    Technical,
    /// The file's own history, written by software: creation and modification dates.
    Administrative,
}

impl FieldClass {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldClass::Descriptive => "descriptive",
            FieldClass::Rights => "rights",
            FieldClass::Capture => "capture",
            FieldClass::Technical => "technical",
            FieldClass::Administrative => "administrative",
        }
    }
}

/// Inclusive numeric limits of an integer or number field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// The smallest allowed value.
    pub min: f64,
    /// The largest allowed value.
    pub max: f64,
}

/// One field of the registry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldDef {
    /// The stable snake_case key used in claims, the catalog, CSV columns and JSON.
    pub key: &'static str,
    /// The label shown to editors.
    pub label: &'static str,
    /// The shape of the value.
    pub kind: FieldKind,
    /// What the field is about; decides precedence and whether users may edit it.
    pub class: FieldClass,
    /// Inclusive limits for integer and number fields.
    pub bounds: Option<Bounds>,
    /// The XMP property Trove reads first and writes, as `prefix:Name` (a `/` path into a struct).
    pub xmp: Option<&'static str>,
    /// The IPTC Video Metadata Hub property, where one exists.
    pub vmhub: Option<&'static str>,
    /// What the value means, its unit and where it usually comes from.
    pub description: &'static str,
}

impl FieldDef {
    const fn new(
        key: &'static str,
        label: &'static str,
        kind: FieldKind,
        class: FieldClass,
        xmp: Option<&'static str>,
        vmhub: Option<&'static str>,
        description: &'static str,
    ) -> FieldDef {
        FieldDef {
            key,
            label,
            kind,
            class,
            bounds: None,
            xmp,
            vmhub,
            description,
        }
    }

    const fn bounded(self, min: f64, max: f64) -> FieldDef {
        FieldDef {
            bounds: Some(Bounds { min, max }),
            ..self
        }
    }
}

/// Names of the `media_type` field: [`crate::MediaType`] without `sidecar`, which is never an asset.
const MEDIA_TYPES: &[&str] = &["video", "audio", "image", "document", "other"];

/// Names of the `scan_type` field. ffprobe's `field_order` maps `tt`/`tb` to `interlaced_tff` and
/// `bb`/`bt` to `interlaced_bff`.
const SCAN_TYPES: &[&str] = &["progressive", "interlaced_tff", "interlaced_bff"];

use FieldClass::{Administrative, Capture, Descriptive, Rights, Technical};
use FieldKind::{Bool, Choice, DateTime, Integer, Number, Text, TextList, Timecode};

/// Every field Trove knows, in display order (grouped by class).
// One compact entry per field reads better as a table than rustfmt's one argument per line.
#[rustfmt::skip]
pub static FIELDS: &[FieldDef] = &[
    // Descriptive.
    FieldDef::new("title", "Title", Text, Descriptive, Some("dc:title"), Some("Title"),
        "Short name of the asset (the x-default of dc:title); the file name is the last fallback."),
    FieldDef::new("headline", "Headline", Text, Descriptive, Some("photoshop:Headline"), Some("Headline"),
        "One-line synopsis of the content."),
    FieldDef::new("description", "Description", Text, Descriptive, Some("dc:description"), Some("Description"),
        "What can be seen and heard (the x-default of dc:description)."),
    FieldDef::new("keywords", "Keywords", TextList, Descriptive, Some("dc:subject"), Some("Keywords"),
        "Unordered keywords (XMP bag); duplicates that differ only in case are dropped."),
    FieldDef::new("rating", "Rating", Integer, Descriptive, Some("xmp:Rating"), None,
        "Editor's star rating: -1 rejected, 0 unrated, 1 to 5 stars.")
        .bounded(-1.0, 5.0),
    FieldDef::new("label", "Label", Text, Descriptive, Some("xmp:Label"), None,
        "Colour or workflow label, e.g. Red or Approved."),
    // Rights.
    FieldDef::new("creator", "Creator", TextList, Rights, Some("dc:creator"), Some("Creator"),
        "People or organisations who made the content, in order (XMP seq)."),
    FieldDef::new("rights", "Copyright notice", Text, Rights, Some("dc:rights"), Some("Copyright Notice"),
        "Copyright notice, e.g. \"© 2024 Harbour Films\"."),
    FieldDef::new("copyright_owner", "Copyright owner", Text, Rights,
        Some("plus:CopyrightOwner/plus:CopyrightOwnerName"), Some("Copyright Owner"),
        "Who holds the copyright."),
    FieldDef::new("credit", "Credit line", Text, Rights, Some("photoshop:Credit"), Some("Credit Line"),
        "How the content must be credited when published."),
    // Capture.
    FieldDef::new("captured_at", "Captured", DateTime, Capture, Some("photoshop:DateCreated"), Some("Date Created"),
        "When the content was shot or recorded, with its zone when known (EXIF DateTimeOriginal and \
         offset, QuickTime creationdate)."),
    FieldDef::new("location_name", "Location", Text, Capture,
        Some("Iptc4xmpExt:LocationCreated/Iptc4xmpExt:LocationName"), Some("Location Created: Name"),
        "Name of the place where the content was captured."),
    FieldDef::new("gps_latitude", "Latitude", Number, Capture, Some("exif:GPSLatitude"),
        Some("Location Created: GPS Latitude"),
        "WGS 84 latitude in decimal degrees, north positive.")
        .bounded(-90.0, 90.0),
    FieldDef::new("gps_longitude", "Longitude", Number, Capture, Some("exif:GPSLongitude"),
        Some("Location Created: GPS Longitude"),
        "WGS 84 longitude in decimal degrees, east positive.")
        .bounded(-180.0, 180.0),
    FieldDef::new("gps_altitude", "Altitude", Number, Capture, Some("exif:GPSAltitude"),
        Some("Location Created: GPS Altitude"),
        "Metres above sea level; negative below it."),
    FieldDef::new("camera_make", "Camera make", Text, Capture, Some("tiff:Make"),
        Some("Recording Device: Manufacturer"),
        "Manufacturer of the camera or recorder."),
    FieldDef::new("camera_model", "Camera model", Text, Capture, Some("tiff:Model"),
        Some("Recording Device: Model Name"),
        "Model of the camera or recorder."),
    FieldDef::new("lens", "Lens", Text, Capture, Some("exifEX:LensModel"),
        Some("Recording Device: Attached Lens Description"),
        "Lens model as the camera reports it."),
    // Administrative.
    FieldDef::new("created_at", "Created", DateTime, Administrative, Some("xmp:CreateDate"), None,
        "When this file's content was created or digitised (an export, an encode, a scan); not the \
         capture time."),
    FieldDef::new("modified_at", "Modified", DateTime, Administrative, Some("xmp:ModifyDate"), Some("Date Modified"),
        "When the content was last modified."),
    // Technical.
    FieldDef::new("media_type", "Media type", Choice(MEDIA_TYPES), Technical, None, None,
        "Coarse class of the asset, as Trove's content sniffing decides."),
    FieldDef::new("container", "Container", Text, Technical,
        Some("Iptc4xmpExt:ContainerFormat/Iptc4xmpExt:Name"), Some("Container Format"),
        "File format, e.g. mov, mp4, mxf, matroska, wav, jpeg."),
    FieldDef::new("duration", "Duration", Number, Technical, Some("xmpDM:duration"), Some("Duration"),
        "Length in seconds (exactly duration_ts × time_base where the container gives it).")
        .bounded(0.0, 1e9),
    FieldDef::new("video_codec", "Video codec", Text, Technical, Some("xmpDM:videoCompressor"), None,
        "Video codec as ffprobe names it, e.g. h264, hevc, prores, dnxhd."),
    FieldDef::new("video_profile", "Video profile", Text, Technical,
        Some("Iptc4xmpExt:videoEncodingProfile"), Some("Video Encoding Profile"),
        "Codec profile and level, e.g. High@4.1, Main 10, 422 HQ."),
    FieldDef::new("width", "Width", Integer, Technical, Some("xmpDM:videoFrameSize/stDim:w"), Some("Frame Size"),
        "Width in pixels as displayed: after rotation (a 90° clip recorded 1920x1080 is 1080 wide), before pixel aspect.")
        .bounded(1.0, 1_000_000.0),
    FieldDef::new("height", "Height", Integer, Technical, Some("xmpDM:videoFrameSize/stDim:h"), Some("Frame Size"),
        "Height in pixels as displayed: after rotation, before pixel aspect.")
        .bounded(1.0, 1_000_000.0),
    FieldDef::new("rotation", "Rotation", Integer, Technical, None, None,
        "Clockwise display rotation in degrees (0, 90, 180, 270) from the container's display matrix.")
        .bounded(0.0, 359.0),
    FieldDef::new("pixel_aspect", "Pixel aspect", FieldKind::Rational, Technical,
        Some("xmpDM:videoPixelAspectRatio"), None,
        "Sample (pixel) aspect ratio, e.g. 1/1, or 4/3 for anamorphic HDV."),
    FieldDef::new("frame_rate", "Frame rate", FieldKind::Rational, Technical, Some("xmpDM:videoFrameRate"),
        Some("Frame Rate"),
        "Frames per second as an exact ratio, e.g. 24000/1001 for 23.976."),
    FieldDef::new("variable_frame_rate", "Variable frame rate", Bool, Technical, None, None,
        "True when frame durations vary (phone and screen recordings)."),
    FieldDef::new("scan_type", "Scan type", Choice(SCAN_TYPES), Technical, Some("xmpDM:videoFieldOrder"), None,
        "Progressive, or interlaced with the top (tff) or bottom (bff) field first."),
    FieldDef::new("timecode_start", "Start timecode", Timecode, Technical,
        Some("xmpDM:startTimecode/xmpDM:timeValue"), Some("Timecode Start"),
        "Timecode of the first frame; its rate is frame_rate."),
    FieldDef::new("bit_rate", "Bit rate", Integer, Technical, None, None,
        "Overall bit rate in bits per second (the container's).")
        .bounded(0.0, 1e15),
    FieldDef::new("video_bit_depth", "Video bit depth", Integer, Technical, None, None,
        "Bits per colour component, e.g. 8, 10, 12.")
        .bounded(1.0, 32.0),
    FieldDef::new("color_primaries", "Colour primaries", Text, Technical, None, None,
        "Colour primaries as ffprobe names them, e.g. bt709, bt2020."),
    FieldDef::new("color_transfer", "Colour transfer", Text, Technical, None, None,
        "Transfer characteristics, e.g. bt709, smpte2084 (PQ, HDR10), arib-std-b67 (HLG)."),
    FieldDef::new("color_matrix", "Colour matrix", Text, Technical, None, None,
        "Matrix coefficients (ffprobe color_space), e.g. bt709, bt2020nc."),
    FieldDef::new("audio_codec", "Audio codec", Text, Technical, Some("xmpDM:audioCompressor"), None,
        "Audio codec as ffprobe names it, e.g. aac, pcm_s24le, mp3, flac."),
    FieldDef::new("audio_channels", "Audio channels", Integer, Technical,
        Some("Iptc4xmpExt:audioChannelCount"), Some("Audio Channel Count"),
        "Number of audio channels of the main audio stream.")
        .bounded(1.0, 1024.0),
    FieldDef::new("sample_rate", "Sample rate", Integer, Technical, Some("xmpDM:audioSampleRate"),
        Some("Audio Sample Rate"),
        "Audio samples per second, e.g. 48000.")
        .bounded(1.0, 100_000_000.0),
    FieldDef::new("bit_depth", "Audio bit depth", Integer, Technical,
        Some("Iptc4xmpExt:audioBitsPerSample"), Some("Audio Bits per Sample"),
        "Audio bits per sample, e.g. 16, 24, 32.")
        .bounded(1.0, 64.0),
];

/// The registry field with this key.
pub fn field(key: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| f.key == key)
}

/// Why a value, a field or a custom field definition was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value does not have the field's shape.
    #[error("{field}: expected {expected}, got {value}")]
    Invalid {
        /// The field key.
        field: String,
        /// What the field accepts, e.g. "an integer".
        expected: &'static str,
        /// The refused value as JSON text (shortened).
        value: String,
    },
    /// A number outside the field's [`Bounds`].
    #[error("{field}: {value} is outside {min} to {max}")]
    OutOfRange {
        /// The field key.
        field: String,
        /// The refused value as JSON text.
        value: String,
        /// The smallest allowed value.
        min: f64,
        /// The largest allowed value.
        max: f64,
    },
    /// A choice field given a name that is not among its choices.
    #[error("{field}: {value} is not one of {choices:?}")]
    NotAChoice {
        /// The field key.
        field: String,
        /// The refused value as JSON text.
        value: String,
        /// The allowed names.
        choices: Vec<String>,
    },
    /// A user edit of a field that only files and probes set (see [`crate::editable`]).
    #[error("{field} cannot be edited: it is measured from the file")]
    NotEditable {
        /// The field key.
        field: String,
    },
    /// A key that is neither in the registry nor a custom field.
    #[error("unknown field {field:?}")]
    UnknownField {
        /// The key as given.
        field: String,
    },
    /// A custom field definition that is not acceptable.
    #[error("custom field {key:?}: {reason}")]
    InvalidCustomField {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Checks `value` against `field` and returns its normalised form.
///
/// JSON `null` means "no value" and is returned as is (a user's `null` claim clears a field).
/// Text is trimmed and stripped of control characters, and empty text or lists become `null`.
/// Rationals become `"num/den"` (`29.97` → `"30000/1001"`), dates their ISO 8601 form (EXIF's
/// `2024:05:01 14:30:00` → `2024-05-01T14:30:00`), choices their canonical spelling.
pub fn validate(field: &FieldDef, value: &Value) -> Result<Value, ValueError> {
    normalise(field.key, field.kind, field.bounds, value)
}

fn normalise(
    key: &str,
    kind: FieldKind,
    bounds: Option<Bounds>,
    value: &Value,
) -> Result<Value, ValueError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let invalid = |expected: &'static str| ValueError::Invalid {
        field: key.to_owned(),
        expected,
        value: shown(value),
    };
    match kind {
        FieldKind::Text => match value {
            Value::String(s) => Ok(text_or_null(clean_text(s))),
            _ => Err(invalid("text")),
        },
        FieldKind::TextList => {
            let items = match value {
                Value::Array(items) => items.as_slice(),
                Value::String(_) => std::slice::from_ref(value),
                _ => return Err(invalid("a list of text")),
            };
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for item in items {
                let Value::String(s) = item else {
                    return Err(invalid("a list of text"));
                };
                let s = clean_text(s);
                if !s.is_empty() && seen.insert(s.to_lowercase()) {
                    out.push(Value::String(s));
                }
            }
            Ok(if out.is_empty() {
                Value::Null
            } else {
                Value::Array(out)
            })
        }
        FieldKind::Integer => {
            let n = integer(value).ok_or_else(|| invalid("an integer"))?;
            check_bounds(key, n as f64, bounds, value)?;
            Ok(Value::from(n))
        }
        FieldKind::Number => {
            let x = number(value).ok_or_else(|| invalid("a number"))?;
            check_bounds(key, x, bounds, value)?;
            Ok(Value::from(x))
        }
        FieldKind::Rational => {
            let r = match value {
                Value::String(s) => Rational::parse(s),
                Value::Number(n) => n.as_f64().and_then(Rational::from_f64),
                _ => None,
            };
            match r {
                Some(r) if r.num() > 0 => Ok(Value::String(r.to_string())),
                _ => Err(invalid("a positive ratio such as 24000/1001, 25 or 29.97")),
            }
        }
        FieldKind::DateTime => value
            .as_str()
            .and_then(parse_datetime)
            .map(Value::String)
            .ok_or_else(|| invalid("an ISO 8601 date such as 2024-05-01T14:30:00+02:00")),
        FieldKind::Timecode => value
            .as_str()
            .and_then(parse_timecode)
            .map(Value::String)
            .ok_or_else(|| {
                invalid("a timecode such as 01:00:00:00, or 01:00:00;00 for drop frame")
            }),
        FieldKind::Bool => match value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(invalid("true or false")),
        },
        FieldKind::Choice(choices) => choice(key, choices.iter().copied(), value),
    }
}

/// A JSON value as text for an error message, shortened so a huge value cannot flood a log.
fn shown(value: &Value) -> String {
    const MAX: usize = 80;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

/// Trims and drops control characters other than tab and newline (invalid in XMP, and noise).
fn clean_text(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    kept.trim().to_owned()
}

fn text_or_null(s: String) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::String(s)
    }
}

fn integer(value: &Value) -> Option<i64> {
    let from_f64 = |x: f64| {
        // The range check keeps the cast exact; `i64::MAX as f64` itself rounds up, so `<`.
        (x.is_finite() && x.fract() == 0.0 && x >= i64::MIN as f64 && x < i64::MAX as f64)
            .then_some(x as i64)
    };
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(from_f64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(from_f64))
        }
        _ => None,
    }
}

fn number(value: &Value) -> Option<f64> {
    let x = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

fn check_bounds(
    key: &str,
    x: f64,
    bounds: Option<Bounds>,
    value: &Value,
) -> Result<(), ValueError> {
    match bounds {
        Some(Bounds { min, max }) if !(min..=max).contains(&x) => Err(ValueError::OutOfRange {
            field: key.to_owned(),
            value: shown(value),
            min,
            max,
        }),
        _ => Ok(()),
    }
}

/// Matches a choice case-insensitively and returns its canonical spelling.
fn choice<'a>(
    key: &str,
    choices: impl Iterator<Item = &'a str> + Clone,
    value: &Value,
) -> Result<Value, ValueError> {
    let given = value.as_str().map(str::trim);
    let found = given.and_then(|g| choices.clone().find(|c| c.eq_ignore_ascii_case(g)));
    match (given, found) {
        (Some(""), _) => Ok(Value::Null),
        (_, Some(c)) => Ok(Value::String(c.to_owned())),
        _ => Err(ValueError::NotAChoice {
            field: key.to_owned(),
            value: shown(value),
            choices: choices.map(str::to_owned).collect(),
        }),
    }
}

/// Parses an ISO 8601 / XMP date or date-time (or EXIF's `YYYY:MM:DD hh:mm:ss`) into the
/// canonical `YYYY-MM-DDThh:mm[:ss[.f]][Z|±hh:mm]`, keeping the precision it was given.
fn parse_datetime(input: &str) -> Option<String> {
    let input = input.trim();
    let bytes = input.as_bytes();
    let exif;
    let text =
        if bytes.len() >= 10 && bytes[..10].is_ascii() && bytes[4] == b':' && bytes[7] == b':' {
            exif = format!("{}-{}-{}", &input[..4], &input[5..7], &input[8..]);
            exif.as_str()
        } else {
            input
        };
    let mut c = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let year = c.digits(4..=4)?;
    if year == 0 {
        return None;
    }
    let mut out = format!("{year:04}");
    if c.done() {
        return Some(out);
    }
    c.expect(b'-')?;
    let month = c.two_digits().filter(|m| (1..=12).contains(m))?;
    out.push_str(&format!("-{month:02}"));
    if c.done() {
        return Some(out);
    }
    c.expect(b'-')?;
    let day = c
        .two_digits()
        .filter(|d| (1..=days_in_month(year, month)).contains(d))?;
    out.push_str(&format!("-{day:02}"));
    if c.done() {
        return Some(out);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let hour = c.two_digits().filter(|h| *h < 24)?;
    c.expect(b':')?;
    let minute = c.two_digits().filter(|m| *m < 60)?;
    out.push_str(&format!("T{hour:02}:{minute:02}"));
    if c.eat(b':') {
        let second = c.two_digits().filter(|s| *s < 60)?;
        out.push_str(&format!(":{second:02}"));
        if c.eat(b'.') || c.eat(b',') {
            let start = c.at;
            c.digits(1..=9)?;
            out.push('.');
            out.push_str(&text[start..c.at]);
        }
    }
    if c.eat(b'Z') || c.eat(b'z') {
        out.push('Z');
    } else if !c.done() {
        let sign = if c.eat(b'+') {
            '+'
        } else if c.eat(b'-') {
            '-'
        } else {
            return None;
        };
        let zone_hours = c.two_digits().filter(|h| *h < 24)?;
        let zone_minutes = if c.eat(b':') || !c.done() {
            c.two_digits().filter(|m| *m < 60)?
        } else {
            0
        };
        out.push_str(&format!("{sign}{zone_hours:02}:{zone_minutes:02}"));
    }
    c.done().then_some(out)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        // Gregorian leap years, written as a match to stay within the crate's 1.85 toolchain
        // floor (clippy suggests `is_multiple_of`, stable since 1.87).
        2 => match (year % 4, year % 100, year % 400) {
            (_, _, 0) => 29,
            (_, 0, _) => 28,
            (0, _, _) => 29,
            _ => 28,
        },
        _ => 31,
    }
}

/// Parses `HH:MM:SS:FF` or drop-frame `HH:MM:SS;FF` (any `;` marks drop frame) and pads it.
fn parse_timecode(input: &str) -> Option<String> {
    let input = input.trim();
    let mut parts = [0u32; 4];
    let mut count = 0;
    for part in input.split([':', ';']) {
        let slot = parts.get_mut(count)?;
        if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
        count += 1;
    }
    let [hours, minutes, seconds, frames] = parts;
    if count != 4 || hours >= 24 || minutes >= 60 || seconds >= 60 || frames >= 60 {
        return None;
    }
    let drop_frame = input.contains(';');
    // Drop frame skips frame numbers 0 and 1 at the start of every minute except each tenth.
    if drop_frame && seconds == 0 && minutes % 10 != 0 && frames < 2 {
        return None;
    }
    let sep = if drop_frame { ';' } else { ':' };
    Some(format!(
        "{hours:02}:{minutes:02}:{seconds:02}{sep}{frames:02}"
    ))
}

/// A byte cursor for the small parsers above.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.bytes.get(self.at) == Some(&b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    /// Reads as many ASCII digits as it can, up to the end of `len`, and at least its start.
    fn digits(&mut self, len: std::ops::RangeInclusive<usize>) -> Option<u32> {
        let run = self.bytes[self.at..]
            .iter()
            .take(*len.end())
            .take_while(|b| b.is_ascii_digit())
            .count();
        if run < *len.start() {
            return None;
        }
        let text = std::str::from_utf8(&self.bytes[self.at..self.at + run]).ok()?;
        self.at += run;
        text.parse().ok()
    }

    fn two_digits(&mut self) -> Option<u32> {
        self.digits(2..=2)
    }
}

/// An exact, non-negative ratio such as a frame rate (`24000/1001`) or a pixel aspect (`4/3`),
/// always in lowest terms. Its text and JSON form is `"num/den"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational {
    num: u32,
    den: u32,
}

impl Rational {
    /// The ratio `num/den` in lowest terms; `None` when `den` is zero.
    pub fn new(num: u32, den: u32) -> Option<Rational> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(Rational {
            num: num / g,
            den: den / g,
        })
    }

    /// The numerator.
    pub fn num(self) -> u32 {
        self.num
    }

    /// The denominator (never zero).
    pub fn den(self) -> u32 {
        self.den
    }

    /// Parses `"24000/1001"`, `"16:9"`, `"25"` or a decimal such as `"29.97"`.
    ///
    /// Decimals near an NTSC rate (23.976, 29.97, 47.952, 59.94, 119.88, 239.76, within 0.005,
    /// so the rounded 23.98 counts) become the exact `n×1000/1001`; other decimals are exact.
    pub fn parse(text: &str) -> Option<Rational> {
        let text = text.trim();
        match text.split_once(['/', ':']) {
            Some((num, den)) => Rational::new(plain_u32(num.trim())?, plain_u32(den.trim())?),
            None => parse_decimal(text),
        }
    }

    /// The ratio nearest to `x`, recognising NTSC rates as [`Rational::parse`] does.
    pub fn from_f64(x: f64) -> Option<Rational> {
        if !x.is_finite() || x < 0.0 {
            return None;
        }
        // `{}` prints the shortest decimal that reads back as `x`, never in exponent form.
        parse_decimal(&format!("{x}"))
    }

    /// The ratio as a float, e.g. 23.976023976023978 for 24000/1001.
    pub fn to_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }
}

/// The NTSC family: rates of `n × 1000/1001` frames per second.
const NTSC_BASES: [u32; 6] = [24, 30, 48, 60, 120, 240];

fn parse_decimal(text: &str) -> Option<Rational> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        let x: f64 = text.parse().ok()?;
        let ntsc = NTSC_BASES
            .into_iter()
            .find(|&n| (x - f64::from(n) * 1000.0 / 1001.0).abs() < 0.005);
        if let Some(n) = ntsc {
            return Rational::new(n * 1000, 1001);
        }
    }
    if int.len() > 12 || frac.len() > 9 {
        return None;
    }
    let den = 10u64.pow(u32::try_from(frac.len()).ok()?);
    let int_value: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_value: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let num = int_value.checked_mul(den)?.checked_add(frac_value)?;
    let g = gcd64(num, den);
    Rational::new(u32::try_from(num / g).ok()?, u32::try_from(den / g).ok()?)
}

/// A `u32` written as plain digits (no sign, which `u32::from_str` would accept).
fn plain_u32(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Greatest common divisor; not zero when `b` is not.
fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn gcd64(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd64(b, a % b)
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl FromStr for Rational {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Rational::parse(s).ok_or_else(|| Error::Invalid {
            kind: "rational",
            value: s.to_owned(),
        })
    }
}

impl Serialize for Rational {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rational {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The prefix of every custom field key.
pub const CUSTOM_PREFIX: &str = "custom.";

/// Whether `key` is a well-formed custom field key: `custom.` then 1 to 64 of `[a-z0-9_]`.
pub fn is_custom_key(key: &str) -> bool {
    key.strip_prefix(CUSTOM_PREFIX).is_some_and(|name| {
        (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// The value type of a custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "choices", rename_all = "snake_case")]
pub enum CustomKind {
    /// Free text.
    Text,
    /// A number.
    Number,
    /// An ISO 8601 date or date-time, normalised like [`FieldKind::DateTime`].
    Date,
    /// One of the listed names (matched case-insensitively, stored as listed).
    Choice(Vec<String>),
}

/// A field that editors add at run time, stored by the catalog as a row (its JSON form is
/// `{"key": "custom.shoot_day", "label": "Shoot day", "kind": {"type": "number"}}`).
///
/// Constructing or deserializing one checks the key, the label and the choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCustomFieldDef")]
pub struct CustomFieldDef {
    key: String,
    label: String,
    kind: CustomKind,
}

#[derive(Deserialize)]
struct RawCustomFieldDef {
    key: String,
    label: String,
    kind: CustomKind,
}

impl TryFrom<RawCustomFieldDef> for CustomFieldDef {
    type Error = ValueError;

    fn try_from(raw: RawCustomFieldDef) -> Result<Self, ValueError> {
        CustomFieldDef::new(&raw.key, &raw.label, raw.kind)
    }
}

impl CustomFieldDef {
    /// A checked definition: the key must satisfy [`is_custom_key`], the label must not be
    /// empty, and a choice needs at least one name, with no duplicates (ignoring case).
    pub fn new(key: &str, label: &str, kind: CustomKind) -> Result<CustomFieldDef, ValueError> {
        let refuse = |reason| ValueError::InvalidCustomField {
            key: key.to_owned(),
            reason,
        };
        if !is_custom_key(key) {
            return Err(refuse(
                "a key is \"custom.\" followed by 1 to 64 of a-z, 0-9 and _",
            ));
        }
        let label = clean_text(label);
        if label.is_empty() {
            return Err(refuse("the label is empty"));
        }
        let kind = match kind {
            CustomKind::Choice(names) => {
                let names: Vec<String> = names.iter().map(|n| clean_text(n)).collect();
                let mut seen = HashSet::new();
                if names.is_empty() || names.iter().any(String::is_empty) {
                    return Err(refuse("a choice needs at least one non-empty name"));
                }
                if !names.iter().all(|n| seen.insert(n.to_lowercase())) {
                    return Err(refuse("a choice lists the same name twice"));
                }
                CustomKind::Choice(names)
            }
            other => other,
        };
        Ok(CustomFieldDef {
            key: key.to_owned(),
            label,
            kind,
        })
    }

    /// The key, `custom.` followed by the name.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The label shown to editors.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The value type.
    pub fn kind(&self) -> &CustomKind {
        &self.kind
    }

    /// Checks a value for this field and returns its normalised form, like [`validate`].
    pub fn validate(&self, value: &Value) -> Result<Value, ValueError> {
        let kind = match &self.kind {
            CustomKind::Text => FieldKind::Text,
            CustomKind::Number => FieldKind::Number,
            CustomKind::Date => FieldKind::DateTime,
            CustomKind::Choice(names) if !value.is_null() => {
                return choice(&self.key, names.iter().map(String::as_str), value);
            }
            CustomKind::Choice(_) => return Ok(Value::Null),
        };
        normalise(&self.key, kind, None, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MediaType;
    use serde_json::json;

    /// Validates `input` for the registry field `key`; `expect` is the normalised JSON, or
    /// `error: ` and the message.
    fn check(key: &str, input: Value, expect: &str) {
        let def = field(key).expect("registry field");
        let got = match validate(def, &input) {
            Ok(v) => v.to_string(),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expect, "{key} = {input}");
    }

    #[test]
    fn rationals() {
        check("frame_rate", json!("30000/1001"), r#""30000/1001""#);
        check("frame_rate", json!("29.97"), r#""30000/1001""#);
        check("frame_rate", json!(" 23.976 "), r#""24000/1001""#);
        check("frame_rate", json!("23.98"), r#""24000/1001""#);
        check("frame_rate", json!(59.94), r#""60000/1001""#);
        check("frame_rate", json!(23.976), r#""24000/1001""#);
        check("frame_rate", json!("25"), r#""25/1""#);
        check("frame_rate", json!(25), r#""25/1""#);
        check("frame_rate", json!("24.000"), r#""24/1""#);
        check("frame_rate", json!("12.5"), r#""25/2""#);
        check("frame_rate", json!("48000/2002"), r#""24000/1001""#);
        check("pixel_aspect", json!("4:3"), r#""4/3""#);
        let refused =
            r#"error: frame_rate: expected a positive ratio such as 24000/1001, 25 or 29.97, got "#;
        check("frame_rate", json!("0/0"), &format!(r#"{refused}"0/0""#));
        check("frame_rate", json!("0/1"), &format!(r#"{refused}"0/1""#));
        check("frame_rate", json!("-25"), &format!(r#"{refused}"-25""#));
        check(
            "frame_rate",
            json!("+25/1"),
            &format!(r#"{refused}"+25/1""#),
        );
        check("frame_rate", json!("fast"), &format!(r#"{refused}"fast""#));
        check("frame_rate", json!(true), &format!("{refused}true"));
    }

    #[test]
    fn rational_type() {
        let ntsc = Rational::parse("29.97").expect("parses");
        assert_eq!((ntsc.num(), ntsc.den()), (30000, 1001));
        assert!((ntsc.to_f64() - 29.97).abs() < 0.001);
        assert_eq!(ntsc.to_string(), "30000/1001");
        assert_eq!(
            "24000/1001".parse::<Rational>().ok(),
            Rational::new(24000, 1001)
        );
        assert_eq!(Rational::new(1, 0), None);
        assert_eq!(Rational::from_f64(f64::NAN), None);
        assert_eq!(Rational::from_f64(0.5), Rational::new(1, 2));
        let json = serde_json::to_string(&ntsc).expect("serializes");
        assert_eq!(json, r#""30000/1001""#);
        assert_eq!(serde_json::from_str::<Rational>(&json).ok(), Some(ntsc));
    }

    #[test]
    fn numbers_and_ranges() {
        check("rating", json!(5), "5");
        check("rating", json!("3"), "3");
        check("rating", json!(4.0), "4");
        check("rating", json!(-1), "-1");
        check("rating", json!(6), "error: rating: 6 is outside -1 to 5");
        check(
            "rating",
            json!(2.5),
            "error: rating: expected an integer, got 2.5",
        );
        check("gps_latitude", json!(51.5), "51.5");
        check("gps_latitude", json!("-33.86"), "-33.86");
        check(
            "gps_latitude",
            json!(91),
            "error: gps_latitude: 91 is outside -90 to 90",
        );
        check("gps_longitude", json!(-180), "-180.0");
        check(
            "gps_longitude",
            json!(180.5),
            "error: gps_longitude: 180.5 is outside -180 to 180",
        );
        check("gps_altitude", json!(-12.5), "-12.5");
        check(
            "gps_altitude",
            json!("NaN"),
            r#"error: gps_altitude: expected a number, got "NaN""#,
        );
        check("width", json!(1920), "1920");
        check("width", json!(0), "error: width: 0 is outside 1 to 1000000");
        check(
            "duration",
            json!(-1),
            "error: duration: -1 is outside 0 to 1000000000",
        );
    }

    #[test]
    fn choices_and_bools() {
        check("scan_type", json!("Progressive"), r#""progressive""#);
        check("scan_type", json!("interlaced_TFF"), r#""interlaced_tff""#);
        check(
            "scan_type",
            json!("mixed"),
            r#"error: scan_type: "mixed" is not one of ["progressive", "interlaced_tff", "interlaced_bff"]"#,
        );
        check("scan_type", json!(""), "null");
        check("variable_frame_rate", json!("True"), "true");
        check("variable_frame_rate", json!(false), "false");
        check(
            "variable_frame_rate",
            json!(1),
            "error: variable_frame_rate: expected true or false, got 1",
        );
    }

    #[test]
    fn text_and_lists() {
        check(
            "title",
            json!("  Harbour at dawn\u{7} "),
            r#""Harbour at dawn""#,
        );
        check(
            "description",
            json!("line one\r\nline two"),
            r#""line one\nline two""#,
        );
        check("title", json!("   "), "null");
        check("title", json!(3), "error: title: expected text, got 3");
        check(
            "keywords",
            json!(["Harbour", " harbour ", "boat", ""]),
            r#"["Harbour","boat"]"#,
        );
        check("keywords", json!("boat, harbour"), r#"["boat, harbour"]"#);
        check("keywords", json!([]), "null");
        check(
            "keywords",
            json!(["boat", 1]),
            r#"error: keywords: expected a list of text, got ["boat",1]"#,
        );
        check("creator", json!(["B", "A", "b"]), r#"["B","A"]"#);
        check("title", Value::Null, "null");
    }

    #[test]
    fn dates() {
        check(
            "captured_at",
            json!("2024:05:01 14:30:00"),
            r#""2024-05-01T14:30:00""#,
        );
        check(
            "captured_at",
            json!("2024-05-01T14:30:00.25+0200"),
            r#""2024-05-01T14:30:00.25+02:00""#,
        );
        check(
            "captured_at",
            json!("2024-05-01t14:30z"),
            r#""2024-05-01T14:30Z""#,
        );
        check(
            "captured_at",
            json!("2024-05-01T14:30:00-05"),
            r#""2024-05-01T14:30:00-05:00""#,
        );
        check("captured_at", json!("2024-05"), r#""2024-05""#);
        check("captured_at", json!("2024"), r#""2024""#);
        check("captured_at", json!("2024-02-29"), r#""2024-02-29""#);
        check("captured_at", json!("2000-02-29"), r#""2000-02-29""#);
        let refused =
            "error: captured_at: expected an ISO 8601 date such as 2024-05-01T14:30:00+02:00, got ";
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "0000:00:00 00:00:00",
            "2024-13-01",
            "2024-05-01T24:00",
            "2024-05-01Z",
            "24-05-01",
            "2024-05-01T14:30:00+02:00 extra",
            "yesterday",
        ] {
            check(
                "captured_at",
                json!(bad),
                &format!("{refused}{}", json!(bad)),
            );
        }
    }

    #[test]
    fn timecodes() {
        check("timecode_start", json!("01:00:00:00"), r#""01:00:00:00""#);
        check("timecode_start", json!("1:2:3:4"), r#""01:02:03:04""#);
        check("timecode_start", json!("00:10:00;00"), r#""00:10:00;00""#);
        check("timecode_start", json!("00;01;00;02"), r#""00:01:00;02""#);
        let refused = "error: timecode_start: expected a timecode such as 01:00:00:00, or 01:00:00;00 for drop frame, got ";
        for bad in [
            "00:01:00;00",
            "25:00:00:00",
            "01:00:00",
            "01:00:00:00:00",
            "01:00:00:xx",
        ] {
            check(
                "timecode_start",
                json!(bad),
                &format!("{refused}{}", json!(bad)),
            );
        }
    }

    #[test]
    fn custom_fields() {
        let check_key = |key: &str, ok: bool| assert_eq!(is_custom_key(key), ok, "{key}");
        check_key("custom.shoot_day", true);
        check_key("custom.a1", true);
        check_key("shoot_day", false);
        check_key("custom.", false);
        check_key("custom.Shoot", false);
        check_key("custom.shoot-day", false);
        check_key("custom.shoot.day", false);
        check_key(&format!("custom.{}", "a".repeat(65)), false);

        let refused = |key: &str, label: &str, kind: CustomKind| {
            CustomFieldDef::new(key, label, kind)
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(
            refused("title", "Title", CustomKind::Text).as_deref(),
            Some(
                r#"custom field "title": a key is "custom." followed by 1 to 64 of a-z, 0-9 and _"#
            )
        );
        assert!(refused("custom.x", " ", CustomKind::Text).is_some());
        assert!(refused("custom.x", "X", CustomKind::Choice(vec![])).is_some());
        assert!(refused(
            "custom.x",
            "X",
            CustomKind::Choice(vec!["A".into(), "a".into()])
        )
        .is_some());

        let stage = CustomFieldDef::new(
            "custom.stage",
            "Stage",
            CustomKind::Choice(vec!["Rough cut".into(), " Final ".into()]),
        )
        .expect("valid definition");
        assert_eq!(
            stage.kind(),
            &CustomKind::Choice(vec!["Rough cut".into(), "Final".into()])
        );
        assert_eq!(stage.validate(&json!("final")), Ok(json!("Final")));
        assert!(stage.validate(&json!("draft")).is_err());

        let json = serde_json::to_string(&stage).expect("serializes");
        assert_eq!(
            json,
            r#"{"key":"custom.stage","label":"Stage","kind":{"type":"choice","choices":["Rough cut","Final"]}}"#
        );
        assert_eq!(
            serde_json::from_str::<CustomFieldDef>(&json).ok(),
            Some(stage)
        );
        let bad = r#"{"key":"custom.Bad","label":"Bad","kind":{"type":"text"}}"#;
        assert!(serde_json::from_str::<CustomFieldDef>(bad).is_err());

        let day = CustomFieldDef::new("custom.shoot_day", "Shoot day", CustomKind::Date)
            .expect("valid definition");
        assert_eq!(day.validate(&json!("2024:05:01")), Ok(json!("2024-05-01")));
        let budget = CustomFieldDef::new("custom.budget", "Budget", CustomKind::Number)
            .expect("valid definition");
        assert_eq!(
            budget.validate(&json!("lots")).map_err(|e| e.to_string()),
            Err(r#"custom.budget: expected a number, got "lots""#.to_owned())
        );
    }

    #[test]
    fn registry_is_consistent() {
        let mut keys = HashSet::new();
        for f in FIELDS {
            assert!(keys.insert(f.key), "duplicate key {}", f.key);
            assert!(
                f.key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{} is not snake_case",
                f.key
            );
            assert!(!is_custom_key(f.key));
            assert_eq!(
                f.bounds.is_some(),
                matches!(f.kind, FieldKind::Integer | FieldKind::Number)
                    && !matches!(f.key, "gps_altitude"),
                "bounds of {}",
                f.key
            );
        }
        assert_eq!(
            field("frame_rate").map(|f| f.kind),
            Some(FieldKind::Rational)
        );
        assert!(field("custom.anything").is_none());
        for name in MEDIA_TYPES {
            assert!(name.parse::<MediaType>().is_ok(), "{name}");
        }
    }

    /// The schema table of `docs/metadata-schema.md`, generated from [`FIELDS`].
    fn schema_table() -> String {
        let mut out = String::from(
            "| key | label | kind | class | XMP | Video Metadata Hub | editable |\n\
             |---|---|---|---|---|---|---|\n",
        );
        for f in FIELDS {
            let mut kind = match f.kind {
                FieldKind::Choice(names) => format!("choice: {}", names.join(", ")),
                k => k.as_str().to_owned(),
            };
            if let Some(Bounds { min, max }) = f.bounds {
                kind.push_str(&format!(", {min} to {max}"));
            }
            let code = |s: Option<&str>| s.map_or("—".to_owned(), |s| format!("`{s}`"));
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} |\n",
                f.key,
                f.label,
                kind,
                f.class.as_str(),
                code(f.xmp),
                f.vmhub.unwrap_or("—"),
                if crate::editable(f) { "yes" } else { "no" },
            ));
        }
        out
    }

    #[test]
    fn docs_schema_table_is_current() {
        let docs = include_str!("../../../docs/metadata-schema.md");
        let table = schema_table();
        assert!(
            docs.contains(&table),
            "docs/metadata-schema.md is out of date; its table should read:\n{table}"
        );
    }
}
