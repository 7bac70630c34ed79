//! Embedded metadata of still pictures: EXIF (read with `nom-exif`, for JPEG, TIFF, PNG, HEIF,
//! WebP and the raw formats it knows) and legacy IPTC IIM (JPEG APP13, TIFF tag 33723, read by
//! [`iim`]).
//!
//! Values are schema values like [`crate::extract`]'s, with origin [`Origin::Exif`] (source key
//! `EXIF:<tag name>`) or [`Origin::IptcIim`] (`IPTC:<record>:<dataset>`). EXIF and IPTC may both
//! supply a field (a caption, a creator): both claims are returned, and the caller's precedence
//! rules (or the editor) decide; within one origin a field appears once.
//!
//! - `width`/`height` are as displayed: an EXIF orientation of 90° or 270° swaps them, and the
//!   source key names the stored dimension used. They come from EXIF's pixel dimensions, else
//!   from a JPEG's frame header (origin [`Origin::Probe`], key `JPEG:SOF.width`).
//! - Mirrored orientations (2, 4, 5, 7) give no `rotation`, only a warning.

mod iim;

use crate::date::{parse_tag_date, TagDate};
use crate::text::clean;
use crate::{Error, Extracted, ExtractedValue, Origin, Result};
use nom_exif::{EntryValue, Exif, ExifTag, IfdIndex, MediaParser, MediaSource};
use serde_json::Value;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

/// Reads the EXIF and IPTC IIM metadata of a still picture.
///
/// A picture without either gives `Ok` with no values. A file that is not a picture `nom-exif`
/// recognises, or whose EXIF is broken, is an [`Error::Metadata`] naming the file; damage in the
/// IPTC block or after the metadata only adds warnings.
pub fn read_stills_metadata(path: &Path) -> Result<Extracted> {
    let mut out = Stills::default();
    if let Some(exif) = read_exif(path)? {
        out.exif(&exif);
    }
    if let Some(iptc) = out.tiff_iptc.take() {
        out.iptc(&iptc);
    }
    match scan_jpeg(path) {
        Ok(Some(jpeg)) => {
            if let Some(iptc) = jpeg.iptc {
                out.iptc(&iptc);
            }
            if let Some(sof) = jpeg.size {
                out.jpeg_size(sof);
            }
            out.x.warnings.extend(jpeg.warnings);
        }
        Ok(None) => {}
        Err(e) => {
            return Err(Error::Io {
                path: path.to_owned(),
                source: e,
            })
        }
    }
    out.dimensions();
    Ok(out.x)
}

/// The EXIF of `path`, `None` when it has none.
fn read_exif(path: &Path) -> Result<Option<Exif>> {
    let error = |e: nom_exif::Error| match e {
        nom_exif::Error::Io(source) => Error::Io {
            path: path.to_owned(),
            source,
        },
        other => Error::Metadata {
            path: path.to_owned(),
            message: other.to_string(),
        },
    };
    let source = MediaSource::open(path).map_err(error)?;
    match MediaParser::new().parse_exif(source) {
        Ok(iter) => Ok(Some(iter.into())),
        Err(nom_exif::Error::ExifNotFound) => Ok(None),
        Err(e) => Err(error(e)),
    }
}

/// EXIF's Artist tag, which nom-exif has no name for.
const ARTIST: u16 = 0x013b;

/// Width and height as stored, with their source keys and origin.
struct Size {
    width: (u32, String),
    height: (u32, String),
    origin: Origin,
}

#[derive(Default)]
struct Stills {
    x: Extracted,
    rotation: Option<u32>,
    size: Option<Size>,
    /// IPTC found in a TIFF's IFD0, read after the EXIF.
    tiff_iptc: Option<Vec<u8>>,
}

impl Stills {
    fn push(&mut self, field: &'static str, value: Value, origin: Origin, key: String) {
        let present = self
            .x
            .values
            .iter()
            .any(|v| v.field == field && v.origin == origin);
        if !value.is_null() && !present {
            self.x.values.push(ExtractedValue {
                field,
                value,
                origin,
                source_key: key,
            });
        }
    }

    fn exif(&mut self, exif: &Exif) {
        for entry in exif.entries() {
            let key = match entry.tag().tag() {
                Some(tag) => format!("EXIF:{tag}"),
                None if entry.tag().code() == ARTIST => "EXIF:Artist".to_owned(),
                None => format!("EXIF:0x{:04x}", entry.tag().code()),
            };
            let value = match entry.value() {
                EntryValue::Undefined(bytes) if bytes.len() > 64 => {
                    format!("({} bytes)", bytes.len())
                }
                other => other.to_string(),
            };
            self.x.raw.entry(key).or_insert(value);
        }
        for (_, tag, error) in exif.errors() {
            self.x.warnings.push(format!("EXIF tag {tag:?}: {error}"));
        }
        let get = |tag: ExifTag| exif.get(tag);
        let key = |tag: ExifTag| format!("EXIF:{tag}");

        if let Some(v) = get(ExifTag::DateTimeOriginal) {
            self.exif_date(v, key(ExifTag::DateTimeOriginal));
        }
        for (field, tag) in [
            ("camera_make", ExifTag::Make),
            ("camera_model", ExifTag::Model),
            ("lens", ExifTag::LensModel),
            ("description", ExifTag::ImageDescription),
            ("rights", ExifTag::Copyright),
        ] {
            if let Some(text) = get(tag).and_then(EntryValue::as_str).and_then(clean) {
                self.push(field, text.into(), Origin::Exif, key(tag));
            }
        }
        if let Some(artist) = exif
            .get_by_code(IfdIndex::MAIN, ARTIST)
            .and_then(EntryValue::as_str)
            .and_then(clean)
        {
            // EXIF 2.3: several artists are separated by semicolons.
            let list: Vec<String> = artist.split(';').filter_map(clean).collect();
            self.push("creator", list.into(), Origin::Exif, "EXIF:Artist".into());
        }
        self.gps(exif);
        match get(ExifTag::Orientation).and_then(EntryValue::try_as_integer) {
            Some(o @ (1 | 3 | 6 | 8)) => {
                let degrees = match o {
                    3 => 180,
                    6 => 90,
                    8 => 270,
                    _ => 0,
                };
                self.rotation = Some(degrees);
                self.push(
                    "rotation",
                    degrees.into(),
                    Origin::Exif,
                    key(ExifTag::Orientation),
                );
            }
            Some(o) => self.x.warnings.push(format!(
                "EXIF:Orientation {o} (mirrored or invalid) is not a rotation"
            )),
            None => {}
        }
        let dim = |tag: ExifTag| {
            get(tag)
                .and_then(EntryValue::try_as_integer)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| n > 0)
                .map(|n| (n, key(tag)))
        };
        let pairs = [
            (ExifTag::ExifImageWidth, ExifTag::ExifImageHeight),
            (ExifTag::ImageWidth, ExifTag::ImageHeight),
        ];
        for (w, h) in pairs {
            if let (Some(width), Some(height)) = (dim(w), dim(h)) {
                self.size = Some(Size {
                    width,
                    height,
                    origin: Origin::Exif,
                });
                break;
            }
        }
        // IPTC-NAA in a TIFF's IFD0 (tag 33723), as bytes.
        if let Some(EntryValue::Undefined(bytes) | EntryValue::U8Array(bytes)) =
            exif.get_by_code(IfdIndex::MAIN, 0x83bb)
        {
            self.tiff_iptc = Some(bytes.clone());
        }
    }

    fn exif_date(&mut self, value: &EntryValue, key: String) {
        let text = match value {
            EntryValue::DateTime(dt) => dt.to_rfc3339(),
            EntryValue::NaiveDateTime(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            other => other.to_string(),
        };
        match parse_tag_date(&text) {
            TagDate::Valid(iso) => self.push("captured_at", iso.into(), Origin::Exif, key),
            TagDate::Zero => self
                .x
                .warnings
                .push(format!("ignored placeholder date {text:?} in {key}")),
            TagDate::Invalid => self
                .x
                .warnings
                .push(format!("unreadable date {text:?} in {key}")),
        }
    }

    fn gps(&mut self, exif: &Exif) {
        let Some(gps) = exif.gps_info() else {
            return;
        };
        let has = |tag: ExifTag| exif.get(tag).is_some();
        let coordinates = [
            (
                "gps_latitude",
                ExifTag::GPSLatitude,
                ExifTag::GPSLatitudeRef,
                gps.latitude_decimal(),
                90.0,
            ),
            (
                "gps_longitude",
                ExifTag::GPSLongitude,
                ExifTag::GPSLongitudeRef,
                gps.longitude_decimal(),
                180.0,
            ),
        ];
        for (field, tag, reference, value, limit) in coordinates {
            if !has(tag) {
                continue;
            }
            match value.filter(|v| v.is_finite() && v.abs() <= limit) {
                Some(v) if has(reference) => {
                    self.push(field, round6(v).into(), Origin::Exif, format!("EXIF:{tag}"))
                }
                Some(_) => self
                    .x
                    .warnings
                    .push(format!("EXIF:{tag} without EXIF:{reference} ignored")),
                None => self.x.warnings.push(format!("unreadable EXIF:{tag}")),
            }
        }
        // A missing GPSAltitudeRef means above sea level (EXIF 2.3 default).
        let altitude = gps.altitude_meters().or_else(|| {
            exif.get(ExifTag::GPSAltitude)
                .and_then(EntryValue::as_urational)
                .and_then(|r| r.to_f64())
        });
        if let Some(m) = altitude.filter(|m| m.is_finite()) {
            self.push(
                "gps_altitude",
                round6(m).into(),
                Origin::Exif,
                format!("EXIF:{}", ExifTag::GPSAltitude),
            );
        }
    }

    fn iptc(&mut self, data: &[u8]) {
        let records = match iim::parse_records(data) {
            Ok(records) => records,
            Err(e) => {
                self.x.warnings.push(format!("IPTC IIM unreadable: {e}"));
                return;
            }
        };
        let text = iim::decode(&records);
        self.x.warnings.extend(text.warnings);
        for ((record, dataset), values) in &text.values {
            self.x
                .raw
                .insert(format!("IPTC:{record}:{dataset}"), values.join("; "));
        }
        let first = |dataset: u8| {
            text.values
                .get(&(2, dataset))
                .and_then(|v| v.iter().find_map(|s| clean(s)))
        };
        let key = |dataset: u8| format!("IPTC:2:{dataset}");
        for (field, dataset) in [
            ("title", 5),
            ("rights", 116),
            ("description", 120),
            ("credit", 110),
            ("headline", 105),
            ("location_name", 90),
        ] {
            if let Some(value) = first(dataset) {
                self.push(field, value.into(), Origin::IptcIim, key(dataset));
            }
        }
        for (field, dataset) in [("keywords", 25), ("creator", 80)] {
            let list: Vec<String> = text
                .values
                .get(&(2, dataset))
                .map(|v| v.iter().filter_map(|s| clean(s)).collect())
                .unwrap_or_default();
            if !list.is_empty() {
                self.push(field, list.into(), Origin::IptcIim, key(dataset));
            }
        }
        if let Some(date) = first(55) {
            self.iptc_date(&date, first(60).as_deref());
        }
    }

    /// 2:55 `CCYYMMDD` with 2:60 `HHMMSS±HHMM` when present.
    fn iptc_date(&mut self, date: &str, time: Option<&str>) {
        let key = "IPTC:2:55".to_owned();
        let (Some(y), Some(m), Some(d)) = (date.get(0..4), date.get(4..6), date.get(6..8)) else {
            self.x
                .warnings
                .push(format!("unreadable date {date:?} in {key}"));
            return;
        };
        let mut text = format!("{y}-{m}-{d}");
        if let Some(t) = time.filter(|t| t.len() == 6 || t.len() == 11) {
            if let (Some(h), Some(mi), Some(s)) = (t.get(0..2), t.get(2..4), t.get(4..6)) {
                text.push_str(&format!("T{h}:{mi}:{s}{}", t.get(6..).unwrap_or("")));
            }
        }
        match parse_tag_date(&text) {
            TagDate::Valid(iso) => self.push("captured_at", iso.into(), Origin::IptcIim, key),
            TagDate::Zero | TagDate::Invalid => self
                .x
                .warnings
                .push(format!("unreadable date {text:?} in {key}")),
        }
    }

    fn jpeg_size(&mut self, (width, height): (u32, u32)) {
        if self.size.is_none() && width > 0 && height > 0 {
            self.size = Some(Size {
                width: (width, "JPEG:SOF.width".into()),
                height: (height, "JPEG:SOF.height".into()),
                origin: Origin::Probe,
            });
        }
    }

    /// Pushes `width`/`height` as displayed.
    fn dimensions(&mut self) {
        let Some(size) = self.size.take() else {
            return;
        };
        let (width, height) = if matches!(self.rotation, Some(90 | 270)) {
            (size.height, size.width)
        } else {
            (size.width, size.height)
        };
        self.push("width", width.0.into(), size.origin, width.1);
        self.push("height", height.0.into(), size.origin, height.1);
    }
}

/// Rounds to six decimals (about 0.1 m), which hides the float noise of degree/minute/second
/// rationals.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// What the scan of a JPEG's segments found.
struct Jpeg {
    /// The IPTC-NAA data of the APP13 Photoshop resources.
    iptc: Option<Vec<u8>>,
    /// Width and height from the frame header.
    size: Option<(u32, u32)>,
    warnings: Vec<String>,
}

/// Walks a JPEG's marker segments up to the image data. `Ok(None)` for files that are not
/// JPEG; damage becomes a warning.
fn scan_jpeg(path: &Path) -> std::io::Result<Option<Jpeg>> {
    let mut r = BufReader::new(File::open(path)?);
    let mut soi = [0u8; 2];
    if r.read_exact(&mut soi).is_err() || soi != [0xff, 0xd8] {
        return Ok(None);
    }
    let mut jpeg = Jpeg {
        iptc: None,
        size: None,
        warnings: Vec::new(),
    };
    let mut photoshop = Vec::new();
    if let Err(e) = walk_segments(&mut r, &mut photoshop, &mut jpeg.size) {
        jpeg.warnings.push(format!("JPEG structure: {e}"));
    }
    if !photoshop.is_empty() {
        match iim::photoshop_iptc(&photoshop) {
            Ok(iptc) => jpeg.iptc = iptc.map(<[u8]>::to_vec),
            Err(e) => jpeg
                .warnings
                .push(format!("APP13 Photoshop resources: {e}")),
        }
    }
    Ok(Some(jpeg))
}

fn walk_segments<R: Read + Seek>(
    r: &mut R,
    photoshop: &mut Vec<u8>,
    size: &mut Option<(u32, u32)>,
) -> std::result::Result<(), String> {
    const PHOTOSHOP: &[u8] = b"Photoshop 3.0\0";
    let io = |e: std::io::Error| e.to_string();
    loop {
        let mut byte = [0u8; 1];
        r.read_exact(&mut byte).map_err(io)?;
        if byte[0] != 0xff {
            return Err(format!("marker expected, found 0x{:02x}", byte[0]));
        }
        // Fill bytes: any number of 0xFF before the marker code.
        while byte[0] == 0xff {
            r.read_exact(&mut byte).map_err(io)?;
        }
        let marker = byte[0];
        match marker {
            0xd9 | 0xda => return Ok(()),
            0x01 | 0xd0..=0xd7 => continue,
            _ => {}
        }
        let mut len = [0u8; 2];
        r.read_exact(&mut len).map_err(io)?;
        let len = usize::from(u16::from_be_bytes(len));
        if len < 2 {
            return Err(format!("segment 0x{marker:02x} of length {len}"));
        }
        let body_len = len - 2;
        let is_sof = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
        if marker == 0xed || is_sof {
            let mut body = vec![0u8; body_len];
            r.read_exact(&mut body).map_err(io)?;
            if marker == 0xed {
                if let Some(rest) = body.strip_prefix(PHOTOSHOP) {
                    photoshop.extend_from_slice(rest);
                }
            } else if let Some(b) = body.get(1..5) {
                let height = u32::from(u16::from_be_bytes([b[0], b[1]]));
                let width = u32::from(u16::from_be_bytes([b[2], b[3]]));
                size.get_or_insert((width, height));
            }
        } else {
            let skip = i64::try_from(body_len).map_err(|e| e.to_string())?;
            r.seek_relative(skip).map_err(io)?;
        }
    }
}
