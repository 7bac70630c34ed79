//! Media types: the coarse class of a file that decides what Trove does with it.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// File extension (lower case) of XMP sidecars.
pub const SIDECAR_EXTENSION: &str = "xmp";

/// The class of a location's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    /// Moving pictures, with or without sound.
    Video,
    /// Sound only.
    Audio,
    /// Stills, including camera raw.
    Image,
    /// Documents: PDF, text, office files, subtitles.
    Document,
    /// An XMP sidecar that describes another file.
    Sidecar,
    /// Anything else.
    Other,
}

impl MediaType {
    /// Every media type, in display order.
    pub const ALL: [MediaType; 6] = [
        MediaType::Video,
        MediaType::Audio,
        MediaType::Image,
        MediaType::Document,
        MediaType::Sidecar,
        MediaType::Other,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Video => "video",
            MediaType::Audio => "audio",
            MediaType::Image => "image",
            MediaType::Document => "document",
            MediaType::Sidecar => "sidecar",
            MediaType::Other => "other",
        }
    }

    /// The media type a MIME type implies.
    pub fn from_mime(mime: &str) -> MediaType {
        let (top, sub) = mime.split_once('/').unwrap_or((mime, ""));
        match top {
            "video" => MediaType::Video,
            "audio" => MediaType::Audio,
            "image" => MediaType::Image,
            "text" => MediaType::Document,
            "application" => match sub {
                "mxf" => MediaType::Video,
                "rdf+xml" if mime.contains("xmp") => MediaType::Sidecar,
                "pdf" | "rtf" | "msword" | "epub+zip" | "x-subrip" => MediaType::Document,
                s if s.starts_with("vnd.openxmlformats") || s.starts_with("vnd.oasis") => {
                    MediaType::Document
                }
                _ => MediaType::Other,
            },
            _ => MediaType::Other,
        }
    }

    /// How strongly a bare sidecar (`clip.xmp`) prefers a sibling of this type, lower first.
    pub fn sidecar_preference(self) -> u8 {
        match self {
            MediaType::Video => 0,
            MediaType::Image => 1,
            MediaType::Audio => 2,
            MediaType::Document => 3,
            MediaType::Other => 4,
            MediaType::Sidecar => u8::MAX,
        }
    }
}

impl std::fmt::Display for MediaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MediaType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        MediaType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| Error::Invalid {
                kind: "media type",
                value: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in MediaType::ALL {
            assert_eq!(t.as_str().parse::<MediaType>().ok(), Some(t));
        }
        assert!("movie".parse::<MediaType>().is_err());
    }

    #[test]
    fn mime_classes() {
        let check =
            |mime: &str, want: MediaType| assert_eq!(MediaType::from_mime(mime), want, "{mime}");
        check("video/quicktime", MediaType::Video);
        check("application/mxf", MediaType::Video);
        check("audio/x-wav", MediaType::Audio);
        check("image/x-canon-cr2", MediaType::Image);
        check("application/pdf", MediaType::Document);
        check("text/plain", MediaType::Document);
        check("application/zip", MediaType::Other);
    }
}
