//! Video and audio previews from one ffmpeg process per source: the source is decoded once and
//! a `filter_complex` splits the picture into the proxy, the poster candidates and the filmstrip
//! tiles, while the sound goes to the proxy's AAC track and, as 8 kHz mono PCM on stdout, to the
//! waveform. The poster is then chosen among the candidates in Rust (most luma variance).

use crate::control::Control;
use crate::error::{io, Error, Result};
use crate::imaging::{even, even_round, fit_width, luma_variance, resize, write_jpeg};
use crate::manifest::{
    FilmstripEntry, FilmstripIndex, PosterEntry, ProxyEntry, WaveformEntry, MANIFEST_VERSION,
};
use crate::probe::{MediaInfo, VideoInfo};
use crate::process::{run_ffmpeg, FfmpegJob};
use crate::settings::{PreviewSettings, ProxySettings};
use crate::still;
use crate::waveform::{self, PeakCollector};
use ffmpeg_sidecar::command::FfmpegCommand;
use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The share of the progress bar that ffmpeg's run covers; the rest is poster choice and files.
const FFMPEG_SPAN: f32 = 95.0;
/// When the duration is unknown, frames are sampled as if it were this long (seconds).
const UNKNOWN_DURATION: f64 = 10.0;

/// What one ffmpeg run made.
#[derive(Debug, Default)]
pub(crate) struct Made {
    pub(crate) posters: Vec<PosterEntry>,
    pub(crate) filmstrip: Option<FilmstripEntry>,
    pub(crate) proxy: Option<ProxyEntry>,
    pub(crate) waveform: Option<WaveformEntry>,
}

/// The proxy's size: the displayed picture fitted into the landscape or portrait box, never
/// upscaled, even on both sides.
pub(crate) fn proxy_size(video: &VideoInfo, settings: &ProxySettings) -> (u32, u32) {
    let (w, h) = (
        f64::from(video.display_width),
        f64::from(video.display_height),
    );
    let (box_w, box_h) = if w >= h {
        (settings.max_long_side, settings.max_short_side)
    } else {
        (settings.max_short_side, settings.max_long_side)
    };
    let scale = (f64::from(box_w) / w).min(f64::from(box_h) / h).min(1.0);
    (even(w * scale), even(h * scale))
}

/// `file:PATH`, so that ffmpeg never reads a colon in a name as a protocol.
fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}

/// A frame rate that yields `count` frames over `duration` seconds.
fn rate(count: u32, duration: f64) -> String {
    format!("{:.6}", f64::from(count) / duration)
}

/// Makes the previews of a video or audio source in `dir`.
pub(crate) fn make(
    source: &Path,
    info: &MediaInfo,
    dir: &Path,
    settings: &PreviewSettings,
    control: &Control,
) -> Result<Made> {
    let duration = info.duration.unwrap_or(UNKNOWN_DURATION);
    let mut graph: Vec<String> = Vec::new();
    // The outputs' options; they follow the input and the graph on the command line.
    let mut outputs = Outputs::default();

    let video = info.video;
    // Frames are sampled over the picture's own duration when it is known.
    let duration = video.and_then(|v| v.duration).unwrap_or(duration);
    let candidates = settings.poster_candidates.max(1);
    let wants_posters = !settings.poster_widths.is_empty();
    let mut plan = Plan::default();
    if let Some(v) = video {
        let mut branches: Vec<&str> = Vec::new();
        if settings.proxy.is_some() {
            branches.push("proxy");
        }
        if wants_posters {
            branches.push("poster");
        }
        if settings.filmstrip.is_some() {
            branches.push("strip");
        }
        // Interlaced sources (broadcast MPEG-2, DV) are deinterlaced once, for every branch.
        let input = if v.interlaced && !branches.is_empty() {
            graph.push(format!(
                "[0:v:{}]bwdif=mode=send_frame:deint=interlaced[progressive]",
                v.index
            ));
            "[progressive]".to_owned()
        } else {
            format!("[0:v:{}]", v.index)
        };
        let labels: Vec<String> = branches.iter().map(|b| format!("[{b}]")).collect();
        match labels.len() {
            0 => {}
            1 => graph.push(format!("{input}null{}", labels[0])),
            n => graph.push(format!("{input}split={n}{}", labels.concat())),
        }
        if let Some(proxy) = &settings.proxy {
            let (w, h) = proxy_size(&v, proxy);
            graph.push(format!(
                "[proxy]scale={w}:{h}:flags=bicubic,setsar=1,format=yuv420p[proxy_out]"
            ));
            outputs.args(["-map", "[proxy_out]"]);
            if info.audio {
                outputs.args(["-map", "0:a:0"]);
                outputs.args(["-c:a", "aac", "-ac", "2"]);
                outputs.args(["-b:a", &format!("{}k", proxy.audio_kbps)]);
            }
            outputs.args(["-c:v", "libx264", "-preset", &proxy.preset]);
            outputs.args(["-crf", &proxy.crf.to_string()]);
            outputs.args(["-profile:v", "high", "-pix_fmt", "yuv420p"]);
            outputs.args(["-movflags", "+faststart", "-f", "mp4"]);
            outputs.arg(file_url(&dir.join("proxy.mp4")));
            plan.proxy = Some(ProxyEntry {
                file: "proxy.mp4".into(),
                width: w,
                height: h,
            });
        }
        if wants_posters {
            let widest = settings.poster_widths.iter().copied().max().unwrap_or(320);
            let (w, h) = fit_width(v.display_width, v.display_height, widest);
            graph.push(format!(
                "[poster]fps={},scale={}:{},setsar=1,format=yuvj420p[poster_out]",
                rate(candidates, duration),
                even(f64::from(w)),
                even(f64::from(h)),
            ));
            outputs.args(["-map", "[poster_out]", "-fps_mode", "passthrough"]);
            outputs.args(["-frames:v", &candidates.to_string(), "-q:v", "2"]);
            outputs.args(["-f", "image2"]);
            outputs.arg(file_url(&escape_pattern(&dir.join("candidate-%02d.jpg"))));
        }
        if let Some(strip) = &settings.filmstrip {
            let frames = strip.frames.max(1);
            let columns = strip.columns.clamp(1, frames);
            let rows = frames.div_ceil(columns);
            let tile_w = even(f64::from(strip.tile_width));
            let tile_h = even_round(
                f64::from(tile_w) * f64::from(v.display_height) / f64::from(v.display_width),
            );
            graph.push(format!(
                "[strip]fps={},scale={tile_w}:{tile_h},setsar=1,tile={columns}x{rows},format=yuvj420p[strip_out]",
                rate(frames, duration),
            ));
            outputs.args(["-map", "[strip_out]", "-frames:v", "1", "-q:v", "4"]);
            outputs.args(["-f", "image2", "-update", "1"]);
            outputs.arg(file_url(&dir.join("filmstrip.jpg")));
            plan.filmstrip = Some(FilmstripEntry {
                file: "filmstrip.jpg".into(),
                index_file: "filmstrip.json".into(),
                frames,
                columns,
                rows,
                tile_width: tile_w,
                tile_height: tile_h,
            });
        }
    }
    let peaks = Arc::new(Mutex::new(None::<PeakCollector>));
    if let (Some(wave), true) = (&settings.waveform, info.audio) {
        graph.push(format!(
            "[0:a:0]aresample={},aformat=sample_fmts=s16:channel_layouts=mono[wave_out]",
            wave.sample_rate
        ));
        outputs.args([
            "-map",
            "[wave_out]",
            "-c:a",
            "pcm_s16le",
            "-f",
            "s16le",
            "pipe:1",
        ]);
        if let Ok(mut slot) = peaks.lock() {
            *slot = Some(PeakCollector::new(wave.sample_rate));
        }
    }
    if graph.is_empty() {
        return Ok(Made::default());
    }
    let mut command = FfmpegCommand::new_with_path(ffmpeg_sidecar::paths::ffmpeg_path());
    // `-nostdin`: ffmpeg-sidecar pipes stdin, and nothing should be read from it as keys.
    command
        .hide_banner()
        .overwrite()
        .arg("-nostdin")
        .input(file_url(source));
    command.args([OsString::from("-filter_complex"), graph.join(";").into()]);
    command.args(outputs.0);

    let sink_peaks = Arc::clone(&peaks);
    run_ffmpeg(FfmpegJob {
        command,
        source,
        duration: info.duration,
        limits: &settings.limits,
        control,
        stdout: Some(Box::new(move |bytes: &[u8]| {
            if let Ok(mut slot) = sink_peaks.lock() {
                if let Some(c) = slot.as_mut() {
                    c.push(bytes);
                }
            }
        })),
        percent_span: FFMPEG_SPAN,
    })?;

    let mut made = Made::default();
    if let Some(v) = video {
        if wants_posters {
            made.posters = choose_poster(source, dir, &v, candidates, duration, settings)?;
        }
        if let Some(strip) = plan.filmstrip {
            let path = dir.join(&strip.file);
            if !path.is_file() {
                return Err(missing(source, "filmstrip"));
            }
            let index = FilmstripIndex {
                version: MANIFEST_VERSION,
                image: strip.file.clone(),
                frames: strip.frames,
                columns: strip.columns,
                rows: strip.rows,
                tile_width: strip.tile_width,
                tile_height: strip.tile_height,
                times: (0..strip.frames)
                    .map(|i| f64::from(i) * duration / f64::from(strip.frames))
                    .collect(),
                duration,
            };
            write_json(&dir.join(&strip.index_file), &index)?;
            made.filmstrip = Some(strip);
        }
        if let Some(proxy) = plan.proxy {
            if !dir.join(&proxy.file).is_file() {
                return Err(missing(source, "proxy"));
            }
            made.proxy = Some(proxy);
        }
    }
    let collector = peaks.lock().ok().and_then(|mut slot| slot.take());
    if let (Some(wave), Some(collector)) = (&settings.waveform, collector) {
        let peaks = collector.finish(wave.peaks, wave.sample_rate);
        made.waveform = Some(waveform::write(&peaks, dir, wave.png_height)?);
    }
    Ok(made)
}

/// The outputs planned before ffmpeg runs.
#[derive(Default)]
struct Plan {
    proxy: Option<ProxyEntry>,
    filmstrip: Option<FilmstripEntry>,
}

/// Output options and file names, in order.
#[derive(Default)]
struct Outputs(Vec<OsString>);

impl Outputs {
    fn args<const N: usize>(&mut self, args: [&str; N]) {
        self.0.extend(args.iter().map(OsString::from));
    }

    fn arg(&mut self, arg: OsString) {
        self.0.push(arg);
    }
}

/// An image2 output pattern with any `%` of the folder doubled.
fn escape_pattern(path: &Path) -> std::path::PathBuf {
    let dir = path.parent().unwrap_or(Path::new(""));
    let escaped = dir.to_string_lossy().replace('%', "%%");
    if escaped == dir.to_string_lossy() {
        return path.to_path_buf();
    }
    let name = path.file_name().unwrap_or_default();
    Path::new(&escaped).join(name)
}

/// Picks the candidate with the most luma variance and writes the posters from it. The
/// candidates are compared at 1/8 of their size (DCT-scaled decode); the winner is decoded whole
/// only when a poster narrower than it is asked, and is kept as is for the widest poster.
fn choose_poster(
    source: &Path,
    dir: &Path,
    video: &VideoInfo,
    candidates: u32,
    duration: f64,
    settings: &PreviewSettings,
) -> Result<Vec<PosterEntry>> {
    let mut best: Option<(f64, u32)> = None;
    for i in 1..=candidates {
        let path = candidate_path(dir, i);
        if !path.is_file() {
            continue;
        }
        let small = still::decode(&path, 1).map_err(|e| match e {
            Error::Image { message, .. } => Error::Image { path, message },
            other => other,
        })?;
        let variance = luma_variance(&small.image);
        // Ties keep the earlier frame; a later one must be clearly better.
        if best.is_none_or(|(v, _)| variance > v * 1.05 + 1.0) {
            best = Some((variance, i));
        }
    }
    let Some((_, index)) = best else {
        return Err(missing(source, "poster frames"));
    };
    let chosen = candidate_path(dir, index);
    let frame = image::open(&chosen)
        .map_err(|e| Error::Image {
            path: chosen.clone(),
            message: e.to_string(),
        })?
        .to_rgb8();
    let time = f64::from(index - 1) * duration / f64::from(candidates);
    let mut posters = Vec::new();
    let mut kept = false;
    for &width in &settings.poster_widths {
        let (w, h) = fit_width(video.display_width, video.display_height, width);
        let (w, h) = (w.min(frame.width()), h.min(frame.height()));
        let file = format!("poster-{width}.jpg");
        let target = dir.join(&file);
        if (w, h) == frame.dimensions() && !kept {
            // ffmpeg's own JPEG of the frame is the widest poster: no second encode.
            std::fs::rename(&chosen, &target).map_err(io(&target))?;
            kept = true;
        } else {
            let img = resize(&frame, w, h).map_err(|message| Error::Image {
                path: source.to_path_buf(),
                message,
            })?;
            write_jpeg(&img, &target)?;
        }
        posters.push(PosterEntry {
            requested_width: width,
            width: w,
            height: h,
            file,
            time: Some(time),
        });
    }
    for i in 1..=candidates {
        let path = candidate_path(dir, i);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path)(e)),
            _ => {}
        }
    }
    Ok(posters)
}

fn candidate_path(dir: &Path, i: u32) -> std::path::PathBuf {
    dir.join(format!("candidate-{i:02}.jpg"))
}

fn missing(source: &Path, what: &str) -> Error {
    Error::Tool {
        tool: "ffmpeg",
        path: source.to_path_buf(),
        status: "exit 0".into(),
        stderr: format!("ffmpeg wrote no {what}"),
    }
}

pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    std::fs::write(path, bytes).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(w: u32, h: u32) -> VideoInfo {
        VideoInfo {
            index: 0,
            width: w,
            height: h,
            display_width: w,
            display_height: h,
            duration: None,
            interlaced: false,
        }
    }

    #[test]
    fn proxy_fits_720_lines_and_never_upscales() {
        let s = ProxySettings::default();
        assert_eq!(proxy_size(&video(1920, 1080), &s), (1280, 720));
        assert_eq!(proxy_size(&video(3840, 2160), &s), (1280, 720));
        assert_eq!(proxy_size(&video(1080, 1920), &s), (720, 1280));
        assert_eq!(proxy_size(&video(854, 480), &s), (854, 480));
        assert_eq!(proxy_size(&video(2048, 858), &s), (1280, 536));
        assert_eq!(proxy_size(&video(1024, 576), &s), (1024, 576));
        assert_eq!(proxy_size(&video(641, 361), &s), (640, 360));
    }
}
