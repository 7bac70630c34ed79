//! Technical and embedded metadata of media files: audio, video and stills, and the XMP that
//! describes them.
//!
//! Readers, each returning [`Extracted`] values:
//!
//! - [`probe`] runs the system `ffprobe -print_format json -show_format -show_streams
//!   -show_error` on one file (with a time limit) into [`ProbeOutput`]; [`extract`] turns that
//!   into technical and container values (duration, codecs, size, frame rate, colour, timecode,
//!   container tags, QuickTime/Android GPS); [`probe_file`] does both.
//! - XMP: [`read_sidecar`] reads a `.xmp` sidecar, [`read_embedded_xmp`] finds the packet embedded
//!   in a file ([`find_xmp_packet`]) and [`read_xmp`] parses one packet; [`write_xmp`] writes a
//!   complete, deterministic sidecar from schema values.
//! - Stills: [`read_stills_metadata`] reads EXIF (with `nom-exif`) and legacy IPTC IIM (Trove's
//!   own reader of JPEG APP13 / TIFF IFD0 records).
//! - Audio: [`read_audio_tags`] reads ID3, Vorbis comments, RIFF INFO, MP4 `ilst` and APE tags
//!   (with `lofty`).
//!
//! - *Invariant*: the crate knows nothing of the catalog or of precedence between sources. Every
//!   value carries the schema key it fills ([`ExtractedValue::field`], e.g. `frame_rate`), its
//!   [`Origin`] and the source key it was read from (`streams[0].r_frame_rate`, `dc:title`,
//!   `EXIF:Make`, `ID3v2:TIT2`); callers turn them into claims and decide which wins.
//! - *Invariant*: every process is started by `trove_core::process::run` (clippy's `disallowed-methods`
//!   enforces it); ffmpeg is never downloaded.
//! - *Invariant*: the parsers of untrusted bytes (XMP, IPTC IIM, ffprobe JSON) return errors or
//!   warnings, never panic (property tests check it).
//! - Not useful for: camera XML sidecars, maker notes, HDR mastering data (which needs
//!   `-show_frames`).

mod audio_tags;
mod date;
mod depth;
mod error;
mod extract;
mod location;
mod output;
mod probe;
mod rational;
mod stills;
mod text;
mod xmp;

pub use audio_tags::read_audio_tags;
pub use error::{Error, Result};
pub use extract::{extract, Extracted, ExtractedValue, Origin};
pub use output::{Format, ProbeError, ProbeOutput, SideData, Stream};
pub use probe::{ffprobe_path, probe};
pub use stills::read_stills_metadata;
pub use xmp::{find_xmp_packet, read_embedded_xmp, read_sidecar, read_xmp, write_xmp, XmpError};

use std::path::Path;
use std::time::Duration;

/// Probes `path` and extracts its schema values: [`probe`] then [`extract`].
pub fn probe_file(path: &Path, timeout: Duration) -> Result<Extracted> {
    probe(path, timeout).map(|output| extract(&output))
}
