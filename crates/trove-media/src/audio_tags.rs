//! Descriptive tags of audio files read with `lofty`: ID3v2/ID3v1 (MP3, WAV, AIFF), Vorbis
//! comments (FLAC, Ogg, Opus), RIFF INFO (WAV), MP4 `ilst` (M4A) and APE tags.
//!
//! Only tags: technical values (rate, channels, depth, duration) are the probe's job, so lofty is
//! told not to read them. Every value has origin [`Origin::ContainerTags`] and a source key
//! `<tag format>:<native key>`, e.g. `ID3v2:TIT2`, `Vorbis:TITLE`, `RIFF:INAM`, `ilst:©nam`.
//!
//! When a file carries several tags, each field comes from the first that has it, in this order:
//! `ilst`, Vorbis, RIFF INFO (in a WAV its ID3 chunk is ignored by exiftool and ffprobe, so RIFF
//! INFO is the one people see), ID3v2, APE, AIFF text, ID3v1.
//!
//! - *Limitation*: lofty's generic tag keeps only the keys it can map to its own item keys, so
//!   `raw` holds those (with all their values), not custom ones such as arbitrary `TXXX` frames.

use crate::date::{parse_tag_date, TagDate};
use crate::text::clean;
use crate::{Error, Extracted, ExtractedValue, Origin, Result};
use lofty::config::ParseOptions;
use lofty::file::TaggedFileExt;
use lofty::prelude::ItemKey;
use lofty::probe::Probe;
use lofty::tag::{ItemValue, Tag, TagType};
use std::path::Path;

/// Tag formats in the order their values win.
const PRECEDENCE: [TagType; 7] = [
    TagType::Mp4Ilst,
    TagType::VorbisComments,
    TagType::RiffInfo,
    TagType::Id3v2,
    TagType::Ape,
    TagType::AiffText,
    TagType::Id3v1,
];

/// Reads the descriptive tags of an audio file: `title`, `creator` (the artists, a list),
/// `description` (the comment), `rights` (the copyright), `captured_at` (the recording date or
/// year, as given), plus every tag item in `raw`.
///
/// A file lofty does not recognise, or whose tags are broken, is an [`Error::Metadata`] naming
/// the file; a file without tags gives `Ok` with no values.
pub fn read_audio_tags(path: &Path) -> Result<Extracted> {
    let metadata_error = |message: String| Error::Metadata {
        path: path.to_owned(),
        message,
    };
    let probe = Probe::open(path).map_err(|e| match e.kind() {
        lofty::error::ErrorKind::Io(_) => io_error(path, e),
        _ => metadata_error(e.to_string()),
    })?;
    let probe = probe.guess_file_type().map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let file = probe
        .options(ParseOptions::new().read_properties(false))
        .read()
        // The file opened: a read error now (even an I/O one, such as a seek before the start
        // while hunting for a frame) means its content is not what its type promises.
        .map_err(|e| metadata_error(e.to_string()))?;
    let mut tags: Vec<&Tag> = file.tags().iter().collect();
    tags.sort_by_key(|t| rank(t.tag_type()));
    Ok(extract_tags(&tags))
}

fn io_error(path: &Path, e: lofty::error::LoftyError) -> Error {
    Error::Io {
        path: path.to_owned(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn rank(tag_type: TagType) -> usize {
    PRECEDENCE
        .iter()
        .position(|t| *t == tag_type)
        .unwrap_or(PRECEDENCE.len())
}

/// The prefix of source keys for a tag format.
fn prefix(tag_type: TagType) -> &'static str {
    match tag_type {
        TagType::Id3v2 => "ID3v2",
        TagType::Id3v1 => "ID3v1",
        TagType::VorbisComments => "Vorbis",
        TagType::RiffInfo => "RIFF",
        TagType::Mp4Ilst => "ilst",
        TagType::Ape => "APE",
        TagType::AiffText => "AIFF",
        _ => "tag",
    }
}

/// `ID3v2:TIT2`: the tag format and the item's native key (lofty's name when it has none).
fn source_key(tag_type: TagType, key: ItemKey) -> String {
    match key.map_key(tag_type) {
        Some(native) => format!("{}:{native}", prefix(tag_type)),
        None => format!("{}:{key:?}", prefix(tag_type)),
    }
}

/// The text values of `key` in `tag`, cleaned; ID3v2.4 separates several values with NUL.
fn texts(tag: &Tag, key: ItemKey) -> Vec<String> {
    tag.get_strings(key)
        .flat_map(|s| s.split('\0'))
        .filter_map(clean)
        .collect()
}

fn extract_tags(tags: &[&Tag]) -> Extracted {
    let mut out = Extracted::default();
    for tag in tags {
        for item in tag.items() {
            let text = match item.value() {
                ItemValue::Text(s) | ItemValue::Locator(s) => s.clone(),
                ItemValue::Binary(b) => format!("({} bytes)", b.len()),
            };
            let key = source_key(tag.tag_type(), item.key());
            out.raw
                .entry(key)
                .and_modify(|v| {
                    v.push_str("; ");
                    v.push_str(&text);
                })
                .or_insert(text);
        }
    }
    let fields = [
        ("title", ItemKey::TrackTitle),
        ("description", ItemKey::Comment),
        ("rights", ItemKey::CopyrightMessage),
    ];
    for (field, key) in fields {
        let found = tags.iter().find_map(|t| {
            texts(t, key)
                .into_iter()
                .next()
                .map(|v| (v, source_key(t.tag_type(), key)))
        });
        if let Some((value, source_key)) = found {
            out.values.push(ExtractedValue {
                field,
                value: value.into(),
                origin: Origin::ContainerTags,
                source_key,
            });
        }
    }
    let artists = tags.iter().find_map(|t| {
        let list = texts(t, ItemKey::TrackArtist);
        (!list.is_empty()).then(|| (list, source_key(t.tag_type(), ItemKey::TrackArtist)))
    });
    if let Some((list, source_key)) = artists {
        out.values.push(ExtractedValue {
            field: "creator",
            value: list.into(),
            origin: Origin::ContainerTags,
            source_key,
        });
    }
    captured_at(tags, &mut out);
    out
}

/// The first readable recording date (or year), in tag precedence order.
fn captured_at(tags: &[&Tag], out: &mut Extracted) {
    for tag in tags {
        for key in [ItemKey::RecordingDate, ItemKey::Year] {
            let Some(text) = texts(tag, key).into_iter().next() else {
                continue;
            };
            let source_key = source_key(tag.tag_type(), key);
            match parse_tag_date(&text) {
                TagDate::Valid(iso) => {
                    out.values.push(ExtractedValue {
                        field: "captured_at",
                        value: iso.into(),
                        origin: Origin::ContainerTags,
                        source_key,
                    });
                    return;
                }
                TagDate::Zero => out
                    .warnings
                    .push(format!("ignored placeholder date {text:?} in {source_key}")),
                TagDate::Invalid => out
                    .warnings
                    .push(format!("unreadable date {text:?} in {source_key}")),
            }
        }
    }
}
