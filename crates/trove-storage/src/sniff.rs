//! Content sniffing: the MIME and media type of a file, from its first bytes, then its name.
//!
//! Magic bytes win because names lie (a `.mov` that is really MP4 is still video); the extension
//! decides when the content says nothing (empty files, text, professional formats that `infer`
//! does not know such as MXF or camera raw video).

use std::io::{self, Read};
use std::path::Path;
use trove_core::{MediaType, SIDECAR_EXTENSION};

/// Bytes read for sniffing: enough for every signature `infer` checks in media files.
const SNIFF_BYTES: usize = 1024;

/// What sniffing found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// The MIME type, when one is known.
    pub mime: Option<String>,
    /// The media type.
    pub media_type: MediaType,
}

/// Professional formats that generic MIME tables miss, by lower-case extension.
const PRO_FORMATS: &[(&str, &str)] = &[
    ("mxf", "application/mxf"),
    ("r3d", "video/x-red-r3d"),
    ("braw", "video/x-blackmagic-raw"),
    ("ari", "image/x-arri-raw"),
    ("mts", "video/mp2t"),
    ("m2ts", "video/mp2t"),
    ("dpx", "image/x-dpx"),
    ("exr", "image/x-exr"),
    ("cr3", "image/x-canon-cr3"),
    ("arw", "image/x-sony-arw"),
    ("nef", "image/x-nikon-nef"),
    ("dng", "image/x-adobe-dng"),
    ("bwf", "audio/x-wav"),
    ("srt", "application/x-subrip"),
];

/// Whether a file name is an XMP sidecar's (`*.xmp`, any case).
pub fn is_sidecar_name(name: &[u8]) -> bool {
    extension(name).is_some_and(|e| e == SIDECAR_EXTENSION)
}

fn extension(name: &[u8]) -> Option<String> {
    let dot = name.iter().rposition(|&b| b == b'.')?;
    (dot > 0)
        .then(|| String::from_utf8_lossy(&name[dot + 1..]).to_ascii_lowercase())
        .filter(|e| !e.is_empty())
}

/// Sniffs the file at `path` whose name (last component) is `name`.
pub fn sniff(path: &Path, name: &[u8]) -> io::Result<Sniffed> {
    let ext = extension(name);
    if ext.as_deref() == Some(SIDECAR_EXTENSION) {
        return Ok(Sniffed {
            mime: Some("application/rdf+xml".to_owned()),
            media_type: MediaType::Sidecar,
        });
    }
    let mut head = [0u8; SNIFF_BYTES];
    let mut file = std::fs::File::open(path)?;
    let mut len = 0;
    while len < head.len() {
        match file.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(classify(&head[..len], ext.as_deref()))
}

/// Classifies a file by its name alone, for when its content cannot be read.
pub fn sniff_name(name: &[u8]) -> Sniffed {
    if is_sidecar_name(name) {
        return Sniffed {
            mime: Some("application/rdf+xml".to_owned()),
            media_type: MediaType::Sidecar,
        };
    }
    classify(&[], extension(name).as_deref())
}

/// Classifies a file from its first bytes and lower-case extension.
pub fn classify(head: &[u8], ext: Option<&str>) -> Sniffed {
    let by_ext = ext.and_then(|e| {
        PRO_FORMATS
            .iter()
            .find(|(x, _)| *x == e)
            .map(|(_, m)| (*m).to_owned())
            .or_else(|| mime_guess::from_ext(e).first_raw().map(str::to_owned))
    });
    let by_content = infer::get(head).map(|t| t.mime_type().to_owned());
    // Content wins, except where it only recognises the wrapper and the name is more specific:
    // a ZIP-based office file, or a TIFF-based camera raw.
    let mime = match (by_content, by_ext) {
        (Some(c), Some(e)) if (c == "application/zip" || c == "image/tiff") && e != c => Some(e),
        (Some(c), _) => Some(c),
        (None, e) => e,
    };
    let media_type = mime
        .as_deref()
        .map(MediaType::from_mime)
        .unwrap_or(MediaType::Other);
    Sniffed { mime, media_type }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_then_extension() {
        let mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";
        // A mislabelled file is classified by its content.
        assert_eq!(classify(mp4, Some("txt")).media_type, MediaType::Video);
        assert_eq!(classify(b"", Some("mxf")).media_type, MediaType::Video);
        assert_eq!(
            classify(b"", Some("mxf")).mime.as_deref(),
            Some("application/mxf")
        );
        assert_eq!(
            classify(b"RIFF\x24\x00\x00\x00WAVEfmt ", None).media_type,
            MediaType::Audio
        );
        assert_eq!(
            classify(b"\xff\xd8\xff\xe0", Some("jpg")).media_type,
            MediaType::Image
        );
        assert_eq!(
            classify(b"hello", Some("pdf")).media_type,
            MediaType::Document
        );
        assert_eq!(
            classify(b"hello", None),
            Sniffed {
                mime: None,
                media_type: MediaType::Other
            }
        );
    }

    #[test]
    fn sidecar_names() {
        assert!(is_sidecar_name(b"clip.xmp"));
        assert!(is_sidecar_name(b"clip.MOV.XMP"));
        assert!(!is_sidecar_name(b".xmp"));
        assert!(!is_sidecar_name(b"xmp"));
    }
}
