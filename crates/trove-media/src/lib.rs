//! Technical and embedded metadata of audio, video and image files, read with the system
//! `ffprobe`.
//!
//! [`probe`] runs `ffprobe -print_format json -show_format -show_streams -show_error` on one file
//! (with a time limit) and parses its JSON into [`ProbeOutput`]; [`extract`] turns that into
//! schema values ([`Extracted`]), each tagged with its [`Origin`] and the ffprobe key it came
//! from; [`probe_file`] does both.
//!
//! - *Invariant*: every process is started by `process::run` (clippy's `disallowed-methods`
//!   enforces it); ffmpeg is never downloaded.
//! - *Invariant*: no dependency on the catalog or the schema types: callers map
//!   [`ExtractedValue::field`] (a schema key such as `frame_rate`) to claims.
//! - Useful for: container, stream and tag metadata of anything ffmpeg reads. Not useful for:
//!   EXIF of stills, XMP, camera XML sidecars, HDR mastering data (which needs `-show_frames`).

mod audio_tags;
mod date;
mod depth;
mod error;
mod extract;
mod location;
mod output;
mod probe;
mod process;
mod rational;
mod stills;
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
