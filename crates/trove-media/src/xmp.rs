//! XMP: reading packets (embedded or sidecar) into schema values, and writing sidecars.
//!
//! - [`read_xmp`] parses one packet into [`Extracted`] values keyed by the schema's field names;
//!   each value's `source_key` is the property path with canonical prefixes
//!   (`dc:title`, `xmpDM:startTimecode/xmpDM:timeValue`), whatever prefixes the packet used.
//! - [`find_xmp_packet`] locates a packet in a byte buffer; [`read_embedded_xmp`] scans the first
//!   and last 4 MiB of a file for one (JPEG APP1, MP4/MOV `uuid`/`XMP_` boxes, WAV `_PMX`, ID3
//!   PRIV all carry the packet as plain text); [`read_sidecar`] reads a `.xmp` file.
//! - [`write_xmp`] turns schema values into a complete sidecar, writing only the property the
//!   schema lists for each field (the reader also accepts aliases such as `aux:Lens`).
//!
//! *Invariant*: namespaces are matched by URI, never by prefix. Text is stripped of control
//! characters other than tab and newline, which XMP cannot carry.

mod dom;
mod gps;
mod write;

pub use write::write_xmp;

use crate::error::{Error, Result};
use crate::extract::{Extracted, ExtractedValue, Origin};
use crate::text::clean;
use dom::{Name, Node};
use gps::Axis;
use serde_json::Value;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

pub(crate) const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub(crate) const XML: &str = "http://www.w3.org/XML/1998/namespace";

/// A namespace: its URI and the prefix Trove writes and names it by.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Ns {
    pub(crate) prefix: &'static str,
    pub(crate) uri: &'static str,
}

pub(crate) const DC: Ns = Ns {
    prefix: "dc",
    uri: "http://purl.org/dc/elements/1.1/",
};
pub(crate) const XMP: Ns = Ns {
    prefix: "xmp",
    uri: "http://ns.adobe.com/xap/1.0/",
};
pub(crate) const PHOTOSHOP: Ns = Ns {
    prefix: "photoshop",
    uri: "http://ns.adobe.com/photoshop/1.0/",
};
pub(crate) const EXIF: Ns = Ns {
    prefix: "exif",
    uri: "http://ns.adobe.com/exif/1.0/",
};
pub(crate) const EXIF_EX: Ns = Ns {
    prefix: "exifEX",
    uri: "http://cipa.jp/exif/1.0/",
};
pub(crate) const TIFF: Ns = Ns {
    prefix: "tiff",
    uri: "http://ns.adobe.com/tiff/1.0/",
};
pub(crate) const AUX: Ns = Ns {
    prefix: "aux",
    uri: "http://ns.adobe.com/exif/1.0/aux/",
};
pub(crate) const XMP_DM: Ns = Ns {
    prefix: "xmpDM",
    uri: "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
};
pub(crate) const IPTC_CORE: Ns = Ns {
    prefix: "Iptc4xmpCore",
    uri: "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
};
pub(crate) const IPTC_EXT: Ns = Ns {
    prefix: "Iptc4xmpExt",
    uri: "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
};
pub(crate) const PLUS: Ns = Ns {
    prefix: "plus",
    uri: "http://ns.useplus.org/ldf/xmp/1.0/",
};
pub(crate) const ST_DIM: Ns = Ns {
    prefix: "stDim",
    uri: "http://ns.adobe.com/xap/1.0/sType/Dimensions#",
};

/// Every namespace Trove knows, in the order the writer declares them.
pub(crate) const NAMESPACES: [&Ns; 12] = [
    &DC, &XMP, &PHOTOSHOP, &IPTC_CORE, &IPTC_EXT, &PLUS, &EXIF, &EXIF_EX, &TIFF, &AUX, &XMP_DM,
    &ST_DIM,
];

/// How a struct-valued step of a path holds its struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The property is the value (or the struct) itself.
    Plain,
    /// An unordered array of structs (the reader takes the first).
    Bag,
    /// An ordered array of structs (the reader takes the first).
    Seq,
}

/// One step of a property path.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) ns: &'static Ns,
    pub(crate) name: &'static str,
    pub(crate) shape: Shape,
}

const fn p(ns: &'static Ns, name: &'static str) -> Step {
    Step {
        ns,
        name,
        shape: Shape::Plain,
    }
}

const fn bag(ns: &'static Ns, name: &'static str) -> Step {
    Step {
        ns,
        name,
        shape: Shape::Bag,
    }
}

const fn seq(ns: &'static Ns, name: &'static str) -> Step {
    Step {
        ns,
        name,
        shape: Shape::Seq,
    }
}

/// What an XMP property holds, and so how it is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Simple text.
    Text,
    /// A language alternative: the `x-default` item is the value.
    LangAlt,
    /// An unordered list of text.
    Bag,
    /// An ordered list of text.
    Seq,
    /// An integer.
    Int,
    /// Signed decimal degrees in XMP's `DDD,MM.mmk` form.
    Coordinate(Axis),
    /// Metres as a rational, below sea level when `exif:GPSAltitudeRef` is 1.
    Altitude,
    /// An `xmpDM:Time` struct (`xmpDM:value` × `xmpDM:scale`), seconds in the schema.
    Duration,
    /// `xmpDM:videoFieldOrder`: Upper, Lower, Progressive.
    FieldOrder,
}

/// One XMP property that supplies a schema field.
#[derive(Debug)]
pub(crate) struct Prop {
    pub(crate) field: &'static str,
    pub(crate) path: &'static [Step],
    pub(crate) kind: Kind,
    /// Whether the writer writes it: exactly one property per field, the schema's.
    pub(crate) write: bool,
}

const fn w(field: &'static str, path: &'static [Step], kind: Kind) -> Prop {
    Prop {
        field,
        path,
        kind,
        write: true,
    }
}

const fn alias(field: &'static str, path: &'static [Step], kind: Kind) -> Prop {
    Prop {
        field,
        path,
        kind,
        write: false,
    }
}

/// The schema's XMP column, then the aliases a reader accepts. For each field, the first property
/// present wins; the writer writes the entries marked `write`, in this order.
pub(crate) const PROPS: &[Prop] = &[
    w("title", &[p(&DC, "title")], Kind::LangAlt),
    w("headline", &[p(&PHOTOSHOP, "Headline")], Kind::Text),
    w("description", &[p(&DC, "description")], Kind::LangAlt),
    w("keywords", &[p(&DC, "subject")], Kind::Bag),
    w("rating", &[p(&XMP, "Rating")], Kind::Int),
    w("label", &[p(&XMP, "Label")], Kind::Text),
    w("creator", &[p(&DC, "creator")], Kind::Seq),
    w("rights", &[p(&DC, "rights")], Kind::LangAlt),
    w(
        "copyright_owner",
        &[seq(&PLUS, "CopyrightOwner"), p(&PLUS, "CopyrightOwnerName")],
        Kind::Text,
    ),
    w("credit", &[p(&PHOTOSHOP, "Credit")], Kind::Text),
    w("captured_at", &[p(&PHOTOSHOP, "DateCreated")], Kind::Text),
    alias("captured_at", &[p(&EXIF, "DateTimeOriginal")], Kind::Text),
    w(
        "location_name",
        &[
            bag(&IPTC_EXT, "LocationCreated"),
            p(&IPTC_EXT, "LocationName"),
        ],
        Kind::LangAlt,
    ),
    alias("location_name", &[p(&IPTC_CORE, "Location")], Kind::Text),
    w(
        "gps_latitude",
        &[p(&EXIF, "GPSLatitude")],
        Kind::Coordinate(Axis::Latitude),
    ),
    w(
        "gps_longitude",
        &[p(&EXIF, "GPSLongitude")],
        Kind::Coordinate(Axis::Longitude),
    ),
    w("gps_altitude", &[p(&EXIF, "GPSAltitude")], Kind::Altitude),
    w("camera_make", &[p(&TIFF, "Make")], Kind::Text),
    alias(
        "camera_make",
        &[bag(&IPTC_EXT, "RecDevice"), p(&IPTC_EXT, "Manufacturer")],
        Kind::Text,
    ),
    w("camera_model", &[p(&TIFF, "Model")], Kind::Text),
    alias(
        "camera_model",
        &[bag(&IPTC_EXT, "RecDevice"), p(&IPTC_EXT, "ModelName")],
        Kind::Text,
    ),
    w("lens", &[p(&EXIF_EX, "LensModel")], Kind::Text),
    alias("lens", &[p(&AUX, "Lens")], Kind::Text),
    alias(
        "lens",
        &[
            bag(&IPTC_EXT, "RecDevice"),
            p(&IPTC_EXT, "AttLensDescription"),
        ],
        Kind::Text,
    ),
    w("created_at", &[p(&XMP, "CreateDate")], Kind::Text),
    w("modified_at", &[p(&XMP, "ModifyDate")], Kind::Text),
    w(
        "container",
        &[p(&IPTC_EXT, "ContainerFormat"), p(&IPTC_EXT, "Name")],
        Kind::LangAlt,
    ),
    w("duration", &[p(&XMP_DM, "duration")], Kind::Duration),
    w("video_codec", &[p(&XMP_DM, "videoCompressor")], Kind::Text),
    w(
        "video_profile",
        &[p(&IPTC_EXT, "videoEncodingProfile")],
        Kind::Text,
    ),
    w(
        "width",
        &[p(&XMP_DM, "videoFrameSize"), p(&ST_DIM, "w")],
        Kind::Int,
    ),
    alias("width", &[p(&EXIF, "PixelXDimension")], Kind::Int),
    w(
        "height",
        &[p(&XMP_DM, "videoFrameSize"), p(&ST_DIM, "h")],
        Kind::Int,
    ),
    alias("height", &[p(&EXIF, "PixelYDimension")], Kind::Int),
    w(
        "pixel_aspect",
        &[p(&XMP_DM, "videoPixelAspectRatio")],
        Kind::Text,
    ),
    w("frame_rate", &[p(&XMP_DM, "videoFrameRate")], Kind::Text),
    w(
        "scan_type",
        &[p(&XMP_DM, "videoFieldOrder")],
        Kind::FieldOrder,
    ),
    w(
        "timecode_start",
        &[p(&XMP_DM, "startTimecode"), p(&XMP_DM, "timeValue")],
        Kind::Text,
    ),
    w("audio_codec", &[p(&XMP_DM, "audioCompressor")], Kind::Text),
    w(
        "audio_channels",
        &[p(&IPTC_EXT, "audioChannelCount")],
        Kind::Int,
    ),
    w("sample_rate", &[p(&XMP_DM, "audioSampleRate")], Kind::Int),
    w(
        "bit_depth",
        &[p(&IPTC_EXT, "audioBitsPerSample")],
        Kind::Int,
    ),
];

/// Why an XMP packet could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmpError {
    /// The packet is not UTF-8 (XMP in UTF-16 or UTF-32 is not supported).
    #[error("XMP packet is not UTF-8 (invalid byte at {offset})")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// The XML is not well formed.
    #[error("XML error at byte {offset}: {message}")]
    Xml {
        /// Where the parser stopped.
        offset: u64,
        /// What the XML parser said.
        message: String,
    },
    /// An element is still open at the end of the packet.
    #[error("element <{element}> is not closed")]
    Unclosed {
        /// The element, as `prefix:name`.
        element: String,
    },
    /// A closing tag without its opening tag.
    #[error("closing tag </{element}> without an opening tag")]
    Unbalanced {
        /// The element as written.
        element: String,
    },
    /// A name uses a prefix no `xmlns:` declares.
    #[error("undeclared namespace prefix {prefix:?}")]
    UndeclaredPrefix {
        /// The prefix.
        prefix: String,
    },
    /// An entity other than XML's five and character references.
    #[error("unknown entity &{entity};")]
    UnknownEntity {
        /// The entity's name.
        entity: String,
    },
    /// Well-formed XML without an `rdf:RDF` element: not XMP.
    #[error("no rdf:RDF element: not an XMP packet")]
    NoRdf,
}

/// Reads the schema values out of one XMP packet. Values are tagged with `origin`; properties
/// that are present but unreadable (a rating of "high") become warnings. Every simple property
/// is also kept verbatim in [`Extracted::raw`], under its canonical path.
pub fn read_xmp(packet: &[u8], origin: Origin) -> Result<Extracted, XmpError> {
    let props = dom::properties(packet)?;
    let mut out = Extracted::default();
    raw(&props, "", &mut out.raw);
    let mut done: Vec<&str> = Vec::new();
    for prop in PROPS {
        if done.contains(&prop.field) {
            continue;
        }
        let Some(node) = lookup(&props, prop.path) else {
            continue;
        };
        let key = path_key(prop.path);
        match convert(node, prop, &props) {
            Ok(Some(value)) => {
                done.push(prop.field);
                out.values.push(ExtractedValue {
                    field: prop.field,
                    value,
                    origin,
                    source_key: key,
                });
            }
            Ok(None) => {}
            Err(text) => out
                .warnings
                .push(format!("{key}: cannot read {text:?} as {}", prop.field)),
        }
    }
    Ok(out)
}

/// `dc:title`, `xmpDM:startTimecode/xmpDM:timeValue`.
fn path_key(path: &[Step]) -> String {
    path.iter()
        .map(|s| format!("{}:{}", s.ns.prefix, s.name))
        .collect::<Vec<_>>()
        .join("/")
}

/// The canonical prefix of a namespace, else the prefix the packet used.
fn prefix_of(name: &Name) -> &str {
    NAMESPACES
        .iter()
        .find(|ns| ns.uri == name.ns)
        .map(|ns| ns.prefix)
        .unwrap_or(&name.prefix)
}

fn raw(props: &[(Name, Node)], parent: &str, out: &mut std::collections::BTreeMap<String, String>) {
    for (name, node) in props {
        let key = format!("{parent}{}:{}", prefix_of(name), name.local);
        match node {
            Node::Text(t) => {
                out.entry(key)
                    .or_insert_with(|| clean(t).unwrap_or_default());
            }
            Node::Array(items) => {
                let texts: Vec<String> = items
                    .iter()
                    .filter_map(|(_, n)| match n {
                        Node::Text(t) => Some(clean(t).unwrap_or_default()),
                        _ => None,
                    })
                    .collect();
                if texts.len() == items.len() {
                    let json = Value::from(texts).to_string();
                    out.entry(key).or_insert(json);
                } else if let Some((_, Node::Struct(fields))) = items.first() {
                    raw(fields, &format!("{key}/"), out);
                }
            }
            Node::Struct(fields) => raw(fields, &format!("{key}/"), out),
        }
    }
}

/// Follows `path` through structs (and the first struct of an array of structs).
fn lookup<'a>(props: &'a [(Name, Node)], path: &[Step]) -> Option<&'a Node> {
    let (step, rest) = path.split_first()?;
    let node = props
        .iter()
        .find(|(n, _)| n.ns == step.ns.uri && n.local == step.name)
        .map(|(_, v)| v)?;
    if rest.is_empty() {
        return Some(node);
    }
    let fields = match node {
        Node::Struct(fields) => fields,
        Node::Array(items) => match items.first() {
            Some((_, Node::Struct(fields))) => fields,
            _ => return None,
        },
        Node::Text(_) => return None,
    };
    lookup(fields, rest)
}

/// The text of a simple value, or of an array's `x-default` (else first) item.
fn text(node: &Node) -> Option<String> {
    match node {
        Node::Text(t) => clean(t),
        Node::Array(items) => {
            let item = items
                .iter()
                .find(|(lang, _)| lang.as_deref() == Some("x-default"))
                .or_else(|| items.first())?;
            text(&item.1)
        }
        Node::Struct(_) => None,
    }
}

/// A number written as a decimal or as a rational `n/d`.
fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    let value = match text.split_once('/') {
        Some((n, d)) => {
            let d: f64 = d.trim().parse().ok()?;
            if d == 0.0 {
                return None;
            }
            n.trim().parse::<f64>().ok()? / d
        }
        None => text.parse().ok()?,
    };
    value.is_finite().then_some(value)
}

/// Converts a property's node to its schema value: `Ok(None)` when empty, `Err(text)` when
/// present but unreadable.
fn convert(node: &Node, prop: &Prop, props: &[(Name, Node)]) -> Result<Option<Value>, String> {
    match prop.kind {
        Kind::Text | Kind::LangAlt => Ok(text(node).map(Value::from)),
        Kind::Bag | Kind::Seq => {
            let items: Vec<String> = match node {
                Node::Array(items) => items.iter().filter_map(|(_, n)| text(n)).collect(),
                other => text(other).into_iter().collect(),
            };
            Ok((!items.is_empty()).then(|| Value::from(items)))
        }
        Kind::Int => {
            let Some(t) = text(node) else { return Ok(None) };
            match number(&t) {
                Some(v) if v.fract() == 0.0 && v.abs() < 9e15 => Ok(Some(Value::from(v as i64))),
                _ => Err(t),
            }
        }
        Kind::Coordinate(axis) => {
            let Some(t) = text(node) else { return Ok(None) };
            gps::parse_coordinate(&t, axis)
                .map(|v| Some(Value::from(v)))
                .ok_or(t)
        }
        Kind::Altitude => {
            let Some(t) = text(node) else { return Ok(None) };
            let metres = number(&t).ok_or_else(|| t.clone())?;
            let below = lookup(props, &[p(&EXIF, "GPSAltitudeRef")])
                .and_then(text)
                .is_some_and(|r| r == "1");
            let metres = if below { -metres } else { metres };
            Ok(Some(Value::from((metres * 1e6).round() / 1e6)))
        }
        Kind::Duration => {
            let (value, scale) = match node {
                Node::Struct(fields) => (
                    lookup(fields, &[p(&XMP_DM, "value")]).and_then(text),
                    lookup(fields, &[p(&XMP_DM, "scale")]).and_then(text),
                ),
                other => (text(other), None),
            };
            let Some(value) = value else { return Ok(None) };
            let scale = match &scale {
                Some(s) => number(s).ok_or_else(|| s.clone())?,
                None => 1.0,
            };
            let seconds = number(&value).ok_or_else(|| value.clone())? * scale;
            Ok(Some(Value::from(seconds)))
        }
        Kind::FieldOrder => {
            let Some(t) = text(node) else { return Ok(None) };
            let scan = match t.to_ascii_lowercase().as_str() {
                "upper" => "interlaced_tff",
                "lower" => "interlaced_bff",
                "progressive" => "progressive",
                _ => return Err(t),
            };
            Ok(Some(Value::from(scan)))
        }
    }
}

/// How much of each end of a file [`read_embedded_xmp`] reads.
const SCAN_BYTES: u64 = 4 << 20;

/// Finds an XMP packet in `bytes`: `<?xpacket begin=` … `<?xpacket end=…?>`, else a bare
/// `<x:xmpmeta` … `</x:xmpmeta>`. The first one wins.
pub fn find_xmp_packet(bytes: &[u8]) -> Option<&[u8]> {
    let wrapped = find(bytes, b"<?xpacket begin=").and_then(|start| {
        let end = start + find(&bytes[start..], b"<?xpacket end=")?;
        let close = end + find(&bytes[end..], b"?>")? + 2;
        Some(&bytes[start..close])
    });
    wrapped.or_else(|| {
        let start = find(bytes, b"<x:xmpmeta")?;
        let tag = b"</x:xmpmeta>";
        let end = start + find(&bytes[start..], tag)? + tag.len();
        Some(&bytes[start..end])
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads the XMP packet embedded in `path`, looking at the first and the last 4 MiB (where
/// JPEG, MP4/MOV, WAV and MP3 writers put it). `Ok(None)` when there is none; a packet that
/// does not parse is an [`Error::Xmp`].
pub fn read_embedded_xmp(path: &Path) -> Result<Option<Extracted>> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = Vec::new();
    (&mut file)
        .take(SCAN_BYTES)
        .read_to_end(&mut head)
        .map_err(io)?;
    let mut chunks = vec![head];
    if len > SCAN_BYTES {
        let start = (len - SCAN_BYTES).max(SCAN_BYTES);
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut tail = Vec::new();
        file.take(SCAN_BYTES).read_to_end(&mut tail).map_err(io)?;
        chunks.push(tail);
    }
    for chunk in &chunks {
        if let Some(packet) = find_xmp_packet(chunk) {
            return read_xmp(packet, Origin::EmbeddedXmp)
                .map(Some)
                .map_err(|e| Error::Xmp {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                });
        }
    }
    Ok(None)
}

/// Reads an XMP sidecar (`clip.xmp`, `clip.mov.xmp`); its values have [`Origin::SidecarXmp`].
pub fn read_sidecar(path: &Path) -> Result<Extracted> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let packet = find_xmp_packet(&bytes).unwrap_or(&bytes);
    read_xmp(packet, Origin::SidecarXmp).map_err(|e| Error::Xmp {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
