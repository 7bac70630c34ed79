//! Video fingerprints: the system ffmpeg decodes tiny 32×32 grayscale frames at a fixed rate;
//! each frame gets a 63-bit DCT hash (the signs of its lowest frequencies against their median),
//! which survives re-encoding, resizing and bitrate changes. Two clips are compared at the best
//! time offset, so a copy trimmed by a few seconds still lines up with its original.

use std::path::Path;
use std::time::Duration;

use crate::{Error, Result};
use trove_core::process::{find_tool, run, RunError};

pub(super) const TAG: u8 = b'V';
const VERSION: u8 = 1;

/// Suggested threshold for video: at the best offset, 80 % of the frames alike.
pub const VIDEO_THRESHOLD: f32 = 0.8;

/// Side of the decoded frames, in pixels.
const SIDE: usize = 32;
/// The lowest `LOW × LOW` DCT frequencies make the hash (the DC term left out: 63 bits).
const LOW: usize = 8;
/// Two frame hashes this close (in differing bits out of 63) show the same picture.
const FRAME_BITS: u32 = 12;
/// A frame whose strongest low frequency is below this is flat (black, one colour): its hash
/// is noise, so it neither matches nor mismatches. About 4 grey levels of amplitude.
const FLAT: f32 = 4.0 * (SIDE * SIDE) as f32 / 4.0;

/// How [`video_print`] runs.
#[derive(Debug, Clone)]
pub struct VideoOptions {
    /// Time limit for each of ffprobe and ffmpeg on one file.
    pub timeout: Duration,
}

impl Default for VideoOptions {
    fn default() -> Self {
        VideoOptions {
            timeout: Duration::from_secs(600),
        }
    }
}

/// Frame hashes of a clip, sampled at a fixed rate.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoPrint {
    /// Frames sampled per second: 4 for clips up to 2.5 minutes, halved for each doubling of
    /// the duration (every rate is 4 × 2^-k, so two rates always divide evenly).
    pub rate: f32,
    /// The clip's duration in seconds, as ffprobe reports it.
    pub duration: f64,
    /// One hash per sampled frame; `None` for flat frames, which carry no information.
    pub frames: Vec<Option<u64>>,
}

/// Samples frames of the video at `path` with ffprobe and ffmpeg (each within
/// `options.timeout`) and hashes them.
pub fn video_print(path: &Path, options: &VideoOptions) -> Result<VideoPrint> {
    let duration = duration(path, options.timeout)?;
    let rate = rate_for(duration);
    let ffmpeg = find_tool("ffmpeg").ok_or(Error::ToolMissing { program: "ffmpeg" })?;
    let filter = format!(
        "fps={},scale={SIDE}:{SIDE}:flags=area,format=gray",
        rate_expr(rate)
    );
    let args: Vec<&std::ffi::OsStr> = vec![
        "-v".as_ref(),
        "error".as_ref(),
        "-nostdin".as_ref(),
        "-i".as_ref(),
        path.as_os_str(),
        "-map".as_ref(),
        "0:v:0".as_ref(),
        "-vf".as_ref(),
        filter.as_ref(),
        "-f".as_ref(),
        "rawvideo".as_ref(),
        "pipe:1".as_ref(),
    ];
    let out = finished(path, "ffmpeg", run(&ffmpeg, args, options.timeout), options)?;
    let frames: Vec<Option<u64>> = out.chunks_exact(SIDE * SIDE).map(frame_hash).collect();
    if frames.is_empty() {
        return Err(Error::Video {
            path: path.to_path_buf(),
            program: "ffmpeg",
            message: "no video frames".into(),
        });
    }
    Ok(VideoPrint {
        rate,
        duration,
        frames,
    })
}

/// The duration of the file's container in seconds, from ffprobe.
fn duration(path: &Path, timeout: Duration) -> Result<f64> {
    let ffprobe = find_tool("ffprobe").ok_or(Error::ToolMissing { program: "ffprobe" })?;
    let args: Vec<&std::ffi::OsStr> = vec![
        "-v".as_ref(),
        "error".as_ref(),
        "-show_entries".as_ref(),
        "format=duration".as_ref(),
        "-of".as_ref(),
        "default=noprint_wrappers=1:nokey=1".as_ref(),
        path.as_os_str(),
    ];
    let options = VideoOptions { timeout };
    let out = finished(path, "ffprobe", run(&ffprobe, args, timeout), &options)?;
    let text = String::from_utf8_lossy(&out);
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or_else(|| Error::Video {
            path: path.to_path_buf(),
            program: "ffprobe",
            message: format!("no duration (ffprobe printed {:?})", text.trim()),
        })
}

/// The stdout of a run that succeeded, or the error that names the file.
fn finished(
    path: &Path,
    program: &'static str,
    outcome: Result<trove_core::process::Finished, RunError>,
    options: &VideoOptions,
) -> Result<Vec<u8>> {
    match outcome {
        Ok(done) if done.status.success() => Ok(done.stdout),
        Ok(done) => Err(Error::Video {
            path: path.to_path_buf(),
            program,
            message: String::from_utf8_lossy(&done.stderr).trim().to_string(),
        }),
        Err(RunError::Timeout { .. } | RunError::Stopped) => Err(Error::Timeout {
            path: path.to_path_buf(),
            program,
            after: options.timeout,
        }),
        Err(RunError::Io(e)) => Err(Error::io(path, e)),
    }
}

/// Frames per second for a clip of `duration` seconds: 4 up to 150 s, then halved per doubling,
/// so a clip gives at most 600 frames (and no fewer than 1 per 8 s).
fn rate_for(duration: f64) -> f32 {
    let mut rate = 4.0f32;
    let mut limit = 150.0;
    while duration > limit && rate > 0.125 {
        rate /= 2.0;
        limit *= 2.0;
    }
    rate
}

/// `rate` as ffmpeg's fps filter takes it: `4`, `2`, `1`, `1/2`, …
fn rate_expr(rate: f32) -> String {
    if rate >= 1.0 {
        format!("{}", rate.round() as u32)
    } else {
        format!("1/{}", (1.0 / rate).round() as u32)
    }
}

/// The DCT hash of one 32×32 grayscale frame, or `None` when the frame is flat.
fn frame_hash(pixels: &[u8]) -> Option<u64> {
    let cos = cos_table();
    // Rows first: for each row y, the LOW lowest frequencies along x.
    let mut rows = [[0f32; LOW]; SIDE];
    for (y, row) in rows.iter_mut().enumerate() {
        let line = &pixels[y * SIDE..(y + 1) * SIDE];
        for (u, out) in row.iter_mut().enumerate() {
            *out = line
                .iter()
                .zip(&cos[u])
                .map(|(&p, &c)| f32::from(p) * c)
                .sum();
        }
    }
    // Then columns: coefficient (v, u) for the LOW × LOW block.
    let mut coef = [0f32; LOW * LOW];
    for v in 0..LOW {
        for u in 0..LOW {
            coef[v * LOW + u] = (0..SIDE).map(|y| rows[y][u] * cos[v][y]).sum();
        }
    }
    let ac = &coef[1..];
    if ac.iter().all(|c| c.abs() < FLAT) {
        return None;
    }
    let mut sorted = ac.to_vec();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    Some(
        ac.iter()
            .enumerate()
            .filter(|(_, &c)| c > median)
            .fold(0u64, |bits, (i, _)| bits | 1 << i),
    )
}

/// cos((2x + 1) u π / 2N) for the LOW lowest frequencies u.
fn cos_table() -> &'static [[f32; SIDE]; LOW] {
    static TABLE: std::sync::OnceLock<[[f32; SIDE]; LOW]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [[0f32; SIDE]; LOW];
        for (u, row) in t.iter_mut().enumerate() {
            for (x, c) in row.iter_mut().enumerate() {
                let angle =
                    (2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / (2 * SIDE) as f64;
                *c = angle.cos() as f32;
            }
        }
        t
    })
}

impl VideoPrint {
    /// How alike two clips are, 0 to 1: at the time offset where they agree best, the share of
    /// frames (of the overlap, both not flat) whose hashes are close. The overlap must cover at
    /// least half of the shorter clip, so a trim of a few seconds matches and a shared second
    /// of black does not.
    pub fn similarity(&self, other: &VideoPrint) -> f32 {
        // Bring both to the lower rate; rates are 4 × 2^-k, so the ratio is a whole number.
        let (hi, lo) = if self.rate >= other.rate {
            (self, other)
        } else {
            (other, self)
        };
        let step = (hi.rate / lo.rate).round().max(1.0) as usize;
        (0..step)
            .map(|phase| {
                let thinned: Vec<Option<u64>> = hi
                    .frames
                    .iter()
                    .skip(phase)
                    .step_by(step)
                    .copied()
                    .collect();
                best_offset(&thinned, &lo.frames)
            })
            .fold(0.0, f32::max)
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = vec![TAG, VERSION];
        out.extend_from_slice(&self.rate.to_le_bytes());
        out.extend_from_slice(&self.duration.to_le_bytes());
        for frame in &self.frames {
            match frame {
                Some(bits) => {
                    out.push(1);
                    out.extend_from_slice(&bits.to_le_bytes());
                }
                None => out.push(0),
            }
        }
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<VideoPrint> {
        let bad = |reason| Error::BadFingerprint { reason };
        let rest = match bytes {
            [TAG, VERSION, rest @ ..] => rest,
            _ => return Err(bad("not a video fingerprint of this version")),
        };
        let (rate, rest) = rest.split_first_chunk::<4>().ok_or(bad("truncated"))?;
        let (duration, mut rest) = rest.split_first_chunk::<8>().ok_or(bad("truncated"))?;
        let mut frames = Vec::new();
        while let Some((&flag, tail)) = rest.split_first() {
            match flag {
                0 => {
                    frames.push(None);
                    rest = tail;
                }
                1 => {
                    let (bits, tail) = tail.split_first_chunk::<8>().ok_or(bad("truncated"))?;
                    frames.push(Some(u64::from_le_bytes(*bits)));
                    rest = tail;
                }
                _ => return Err(bad("bad frame flag")),
            }
        }
        if frames.is_empty() {
            return Err(bad("no frames"));
        }
        Ok(VideoPrint {
            rate: f32::from_le_bytes(*rate),
            duration: f64::from_le_bytes(*duration),
            frames,
        })
    }
}

/// The best share of close frames over the offsets where `a` and `b` overlap by at least half
/// of the shorter one.
fn best_offset(a: &[Option<u64>], b: &[Option<u64>]) -> f32 {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let min_overlap = ((n.min(m) + 1) / 2).max(1);
    let mut best = 0.0f32;
    // Frame i of `a` is compared with frame i + d of `b`.
    for d in (min_overlap - n)..=(m - min_overlap) {
        let (mut informative, mut close) = (0u32, 0u32);
        for i in 0.max(-d)..n.min(m - d) {
            if let (Some(x), Some(y)) = (a[i as usize], b[(i + d) as usize]) {
                informative += 1;
                if (x ^ y).count_ones() <= FRAME_BITS {
                    close += 1;
                }
            }
        }
        // Offsets where most of the overlap is flat say nothing.
        if informative > 0 && informative as isize * 2 >= min_overlap {
            best = best.max(close as f32 / informative as f32);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_halve_with_duration_and_divide_evenly() {
        assert_eq!(rate_for(20.0), 4.0);
        assert_eq!(rate_for(150.0), 4.0);
        assert_eq!(rate_for(151.0), 2.0);
        assert_eq!(rate_for(3600.0), 0.125);
        assert_eq!(rate_expr(0.25), "1/4");
        assert_eq!(rate_expr(2.0), "2");
    }

    #[test]
    fn flat_frames_have_no_hash_and_patterns_do() {
        assert_eq!(frame_hash(&[90; SIDE * SIDE]), None);
        let stripes: Vec<u8> = (0..SIDE * SIDE)
            .map(|i| if i % SIDE < 16 { 20 } else { 200 })
            .collect();
        assert!(frame_hash(&stripes).is_some());
    }

    #[test]
    fn a_shifted_sequence_matches_at_its_offset() {
        let clip: Vec<Option<u64>> = (0..80u64)
            .map(|i| Some(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
            .collect();
        let trimmed = &clip[10..];
        assert_eq!(best_offset(&clip, trimmed), 1.0);
        let other: Vec<Option<u64>> = (0..80u64)
            .map(|i| Some(!i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
            .collect();
        assert!(best_offset(&clip, &other) < 0.1);
    }
}
