//! Checks of a proxy as a player sees it: ffprobe's codec, profile, pixel format and size, and
//! the top-level MP4 atom order (`moov` before `mdat` means playback starts before the whole
//! file has arrived). Used by the tests and the benchmark, and useful to a `check` command.

use crate::control::Control;
use crate::error::{io, Error, Result};
use crate::process::{run_tool, tail_text};
use serde::Deserialize;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

/// What a proxy file is.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyReport {
    /// The first video stream's codec (`h264`).
    pub video_codec: String,
    /// Its profile (`High`, `Main`).
    pub profile: String,
    /// Its pixel format (`yuv420p`).
    pub pix_fmt: String,
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
    /// Any rotation left in the stream's display matrix, in degrees.
    pub rotation: f64,
    /// The first audio stream's codec (`aac`), if any.
    pub audio_codec: Option<String>,
    /// The top-level atoms in file order (`ftyp`, `moov`, `free`, `mdat`).
    pub atoms: Vec<String>,
}

impl ProxyReport {
    /// Whether `moov` comes before `mdat`.
    pub fn faststart(&self) -> bool {
        let at = |name: &str| self.atoms.iter().position(|a| a == name);
        matches!((at("moov"), at("mdat")), (Some(m), Some(d)) if m < d)
    }

    /// Whether the picture is at most `lines` on its short side and `long` on its long side.
    pub fn fits(&self, lines: u32, long: u32) -> bool {
        self.width.min(self.height) <= lines && self.width.max(self.height) <= long
    }
}

#[derive(Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<Stream>,
}

#[derive(Deserialize)]
struct Stream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    profile: Option<String>,
    pix_fmt: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    #[serde(default)]
    side_data_list: Vec<SideData>,
}

#[derive(Deserialize)]
struct SideData {
    rotation: Option<f64>,
}

/// Probes the proxy at `path` and reads its atom order.
pub fn inspect_proxy(path: &Path) -> Result<ProxyReport> {
    let program = ffmpeg_sidecar::ffprobe::ffprobe_path();
    let args = [
        "-v".as_ref(),
        "error".as_ref(),
        "-print_format".as_ref(),
        "json".as_ref(),
        "-show_streams".as_ref(),
        path.as_os_str(),
    ];
    let control = Control::new();
    let done = run_tool(
        "ffprobe",
        &program,
        args,
        path,
        Duration::from_secs(30),
        &control,
    )?;
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
    let video = output
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video"))
        .ok_or_else(|| Error::Unsupported {
            path: path.to_path_buf(),
            reason: "no video stream".into(),
        })?;
    let audio = output
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"));
    Ok(ProxyReport {
        video_codec: video.codec_name.clone().unwrap_or_default(),
        profile: video.profile.clone().unwrap_or_default(),
        pix_fmt: video.pix_fmt.clone().unwrap_or_default(),
        width: video.width.unwrap_or(0),
        height: video.height.unwrap_or(0),
        rotation: video
            .side_data_list
            .iter()
            .find_map(|d| d.rotation)
            .unwrap_or(0.0),
        audio_codec: audio.and_then(|a| a.codec_name.clone()),
        atoms: top_level_atoms(path)?,
    })
}

/// The types of the top-level atoms (boxes) of an MP4/MOV file, in order.
pub fn top_level_atoms(path: &Path) -> Result<Vec<String>> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let len = file.metadata().map_err(io(path))?.len();
    let mut atoms = Vec::new();
    let mut at = 0u64;
    while at + 8 <= len && atoms.len() < 1024 {
        file.seek(SeekFrom::Start(at)).map_err(io(path))?;
        let mut header = [0u8; 16];
        let want = if at + 16 <= len { 16 } else { 8 };
        file.read_exact(&mut header[..want]).map_err(io(path))?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = String::from_utf8_lossy(&header[4..8]).into_owned();
        let size = match size32 {
            0 => len - at,
            1 if want == 16 => u64::from_be_bytes([
                header[8], header[9], header[10], header[11], header[12], header[13], header[14],
                header[15],
            ]),
            n => u64::from(n),
        };
        atoms.push(kind);
        if size < 8 {
            break;
        }
        at += size;
    }
    Ok(atoms)
}
