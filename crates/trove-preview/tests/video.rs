//! Video and audio: every output valid, sizes, rotation, black frames, progress, cancel, errors.

use super::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use trove_preview::{
    inspect_proxy, CancelToken, Error, FilmstripIndex, ProxySettings, WaveformPeaks,
};

#[test]
fn a_480p_clip_gets_every_preview_and_no_upscaling() {
    let tmp = TempDir::new().expect("temp dir");
    let source = clip(tmp.path(), "clip.mp4", "854x480", 2);
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("k1", &source, MediaKind::Video),
        &PreviewSettings::default(),
    );
    assert!(!p.from_cache);
    assert_eq!(p.manifest.stats.ffmpeg_runs, 1);

    let small = p.poster(320).expect("320 poster");
    assert_eq!(decoded_size(&small), (320, 180));
    // 1280 asked, but the source is 854 wide: never upscaled.
    let large = p.poster(1280).expect("1280 poster");
    assert_eq!(decoded_size(&large), (854, 480));

    let (strip, index) = p.filmstrip().expect("filmstrip");
    let index: FilmstripIndex =
        serde_json::from_slice(&std::fs::read(index).expect("index")).expect("index JSON");
    assert_eq!((index.frames, index.columns, index.rows), (20, 5, 4));
    assert_eq!((index.tile_width, index.tile_height), (160, 90));
    assert_eq!(index.times.len(), 20);
    assert!(index.times.windows(2).all(|t| t[0] < t[1]));
    assert_eq!(decoded_size(&strip), (5 * 160, 4 * 90));

    let proxy = inspect_proxy(&p.proxy().expect("proxy")).expect("ffprobe of the proxy");
    assert_eq!(proxy.video_codec, "h264");
    assert_eq!(proxy.pix_fmt, "yuv420p");
    assert_eq!(proxy.profile, "High");
    assert_eq!((proxy.width, proxy.height), (854, 480));
    assert_eq!(proxy.audio_codec.as_deref(), Some("aac"));
    assert!(proxy.faststart(), "moov after mdat: {:?}", proxy.atoms);

    let (json, png) = p.waveform().expect("waveform");
    let peaks: WaveformPeaks =
        serde_json::from_slice(&std::fs::read(json).expect("peaks")).expect("peaks JSON");
    // 2 s in 10 ms blocks, give or take AAC's priming and padding.
    assert!(
        (195..=210).contains(&peaks.length),
        "{} pairs",
        peaks.length
    );
    assert_eq!(peaks.data.len(), 2 * peaks.length as usize);
    // A sine at ffmpeg's default amplitude (1/8) peaks near ±16.
    let top = peaks.data.iter().copied().max().unwrap_or(0);
    assert!((10..=20).contains(&top), "peak {top}");
    assert_eq!(decoded_size(&png), (peaks.length, 128));

    // Nothing but the entry is left: no candidate frames, no temporary folders.
    for file in p.files() {
        assert!(file.is_file(), "{}", file.display());
    }
    let names: Vec<String> = std::fs::read_dir(&p.dir)
        .expect("entry")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("candidate")),
        "{names:?}"
    );
    assert_eq!(
        std::fs::read_dir(cache.root().join("tmp"))
            .expect("tmp")
            .count(),
        0
    );
}

#[test]
fn a_rotated_phone_clip_stays_portrait() {
    let tmp = TempDir::new().expect("temp dir");
    let landscape = clip(tmp.path(), "stored.mp4", "640x360", 1);
    // Stored 640x360 with a display matrix of 90°, as phones write vertical video.
    let src = landscape.to_string_lossy().into_owned();
    let source = ffmpeg(
        tmp.path(),
        "phone.mp4",
        &["-i", &src, "-c", "copy", "-metadata:s:v:0", "rotate=90"],
    );
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("phone", &source, MediaKind::Video),
        &PreviewSettings::default(),
    );
    assert_eq!(p.manifest.display_size, Some((360, 640)));
    let proxy = inspect_proxy(&p.proxy().expect("proxy")).expect("proxy probe");
    assert_eq!((proxy.width, proxy.height), (360, 640));
    assert_eq!(
        proxy.rotation, 0.0,
        "rotation applied, not left for the player"
    );
    let (w, h) = decoded_size(&p.poster(320).expect("poster"));
    assert_eq!((w, h), (320, 569));
}

#[test]
fn a_1080p_clip_that_starts_black_gets_a_picture_poster_and_a_720p_proxy() {
    let tmp = TempDir::new().expect("temp dir");
    let source = ffmpeg(
        tmp.path(),
        "black-start.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=black:s=1920x1080:r=25:d=1.5",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=1920x1080:r=25:d=1.5",
            "-filter_complex",
            "[0:v][1:v]concat=n=2:v=1:a=0[v]",
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("black", &source, MediaKind::Video),
        &PreviewSettings::default(),
    );
    let poster = image::open(p.poster(320).expect("poster")).expect("poster decodes");
    let luma = poster.to_luma8();
    let mean = luma.pixels().map(|p| f64::from(p.0[0])).sum::<f64>() / luma.len() as f64;
    assert!(mean > 40.0, "poster is nearly black (mean luma {mean:.1})");
    let time = p.manifest.posters[0].time.expect("poster time");
    assert!(
        time >= 1.4,
        "poster taken at {time} s, inside the black part"
    );
    assert_eq!(decoded_size(&p.poster(1280).expect("large")), (1280, 720));

    let proxy = inspect_proxy(&p.proxy().expect("proxy")).expect("proxy probe");
    assert_eq!((proxy.width, proxy.height), (1280, 720));
    assert!(proxy.fits(720, 1280) && proxy.faststart());
    assert_eq!(proxy.audio_codec, None);
    assert!(p.waveform().is_none(), "no sound, no waveform");
}

#[test]
fn progress_reports_increasing_percent_up_to_100() {
    let tmp = TempDir::new().expect("temp dir");
    let source = clip(tmp.path(), "clip.mp4", "640x360", 4);
    let (_dir, cache) = cache();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let control = Control::new().on_progress(move |p| {
        sink.lock().expect("progress lock").push(p.clone());
    });
    let settings = PreviewSettings {
        // A slow preset, so that ffmpeg reports more than once.
        proxy: Some(ProxySettings {
            preset: "slow".into(),
            ..ProxySettings::default()
        }),
        ..PreviewSettings::default()
    };
    cache
        .ensure(
            &request("p", &source, MediaKind::Video),
            &settings,
            &control,
        )
        .expect("previews");
    let seen = seen.lock().expect("progress lock");
    let percents: Vec<f32> = seen.iter().map(|p| p.percent).collect();
    assert!(percents.len() >= 3, "{percents:?}");
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert!(
        percents.iter().any(|p| *p > 0.0 && *p < 100.0),
        "{percents:?}"
    );
    assert_eq!(percents.last(), Some(&100.0));
    assert!(seen.iter().any(|p| p.fps.is_some() && p.eta.is_some()));
}

/// ffmpeg processes whose command line mentions `needle`.
fn ffmpeg_processes_with(needle: &str) -> usize {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0;
    };
    procs
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).into_owned())
        .filter(|c| c.starts_with("ffmpeg") || c.contains("/ffmpeg\0"))
        .filter(|c| c.contains(needle))
        .count()
}

#[test]
fn cancel_kills_ffmpeg_promptly() {
    let tmp = TempDir::new().expect("temp dir");
    let source = clip(tmp.path(), "cancel-me.mp4", "640x360", 4);
    let (_dir, cache) = cache();
    let token = CancelToken::new();
    let trigger = token.clone();
    let control = Control::new()
        .with_cancel(token.clone())
        .on_progress(move |_| trigger.cancel());
    let settings = PreviewSettings {
        proxy: Some(ProxySettings {
            preset: "veryslow".into(),
            ..ProxySettings::default()
        }),
        ..PreviewSettings::default()
    };
    let req = request("c", &source, MediaKind::Video);
    let started = Instant::now();
    let result = cache.ensure(&req, &settings, &control);
    let took = started.elapsed();
    assert!(token.is_cancelled(), "no progress before the end");
    match result {
        Err(Error::Cancelled { path }) => assert_eq!(path, source),
        other => panic!("expected Cancelled, got {other:?}"),
    }
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(
        ffmpeg_processes_with("cancel-me.mp4"),
        0,
        "ffmpeg still runs"
    );
    assert!(cache.get(&req.key).expect("get").is_none(), "nothing kept");
    assert_eq!(
        std::fs::read_dir(cache.root().join("tmp"))
            .expect("tmp")
            .count(),
        0
    );
}

#[test]
fn a_corrupt_video_is_an_error_naming_the_file_with_stderr() {
    let tmp = TempDir::new().expect("temp dir");
    let source = tmp.path().join("broken.mp4");
    let junk: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&source, junk).expect("write");
    let (_dir, cache) = cache();
    let err = cache
        .ensure(
            &request("bad", &source, MediaKind::Video),
            &PreviewSettings::default(),
            &Control::new(),
        )
        .expect_err("junk is not video");
    let text = err.to_string();
    assert!(text.contains(&source.display().to_string()), "{text}");
    assert!(text.contains("Invalid data"), "no stderr excerpt: {text}");
    assert!(matches!(err, Error::Tool { .. }), "{err:?}");
}

#[test]
fn a_truncated_video_names_the_file() {
    let tmp = TempDir::new().expect("temp dir");
    let whole = clip(tmp.path(), "whole.mp4", "320x240", 1);
    let bytes = std::fs::read(&whole).expect("read");
    let source = tmp.path().join("truncated.mp4");
    std::fs::write(&source, &bytes[..bytes.len() / 3]).expect("write");
    let (_dir, cache) = cache();
    let err = cache
        .ensure(
            &request("cut", &source, MediaKind::Video),
            &PreviewSettings::default(),
            &Control::new(),
        )
        .expect_err("moov atom is missing");
    let text = err.to_string();
    assert!(text.contains("truncated.mp4"), "{text}");
    assert!(text.contains("moov atom not found"), "{text}");
}

#[test]
fn audio_gets_a_waveform_only() {
    let tmp = TempDir::new().expect("temp dir");
    let source = ffmpeg(
        tmp.path(),
        "tone.wav",
        &["-f", "lavfi", "-i", "sine=f=220:d=3", "-af", "volume=4"],
    );
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("tone", &source, MediaKind::Audio),
        &PreviewSettings::default(),
    );
    assert!(p.manifest.posters.is_empty() && p.proxy().is_none() && p.filmstrip().is_none());
    let (json, png) = p.waveform().expect("waveform");
    let peaks: WaveformPeaks =
        serde_json::from_slice(&std::fs::read(json).expect("peaks")).expect("peaks JSON");
    assert_eq!(peaks.length, 300);
    let top = peaks.data.iter().copied().max().unwrap_or(0);
    assert!((55..=70).contains(&top), "peak {top}");
    assert_eq!(decoded_size(&png), (300, 128));
}

#[test]
fn the_filmstrip_spans_the_picture_when_the_sound_runs_on() {
    let tmp = TempDir::new().expect("temp dir");
    let source = ffmpeg(
        tmp.path(),
        "short-picture.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x180:r=25:d=1",
            "-f",
            "lavfi",
            "-i",
            "sine=d=4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
        ],
    );
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("short", &source, MediaKind::Video),
        &PreviewSettings::default(),
    );
    let (strip, index) = p.filmstrip().expect("filmstrip");
    let index: FilmstripIndex =
        serde_json::from_slice(&std::fs::read(index).expect("index")).expect("index JSON");
    assert!(index.duration < 1.5, "sampled over {} s", index.duration);
    // The last tile holds a picture, not the black of a tile that never came.
    let img = image::open(strip).expect("filmstrip decodes").to_luma8();
    let (x0, y0) = (4 * index.tile_width, 3 * index.tile_height);
    let mut sum = 0.0;
    for y in y0..y0 + index.tile_height {
        for x in x0..x0 + index.tile_width {
            sum += f64::from(img.get_pixel(x, y).0[0]);
        }
    }
    let mean = sum / f64::from(index.tile_width * index.tile_height);
    assert!(mean > 40.0, "last tile is black (mean luma {mean:.1})");
}

#[test]
fn an_ffmpeg_failure_keeps_its_stderr() {
    let tmp = TempDir::new().expect("temp dir");
    let source = clip(tmp.path(), "fine.mp4", "320x240", 1);
    let (_dir, cache) = cache();
    let settings = PreviewSettings {
        proxy: Some(ProxySettings {
            preset: "no-such-preset".into(),
            ..ProxySettings::default()
        }),
        ..PreviewSettings::default()
    };
    let err = cache
        .ensure(
            &request("f", &source, MediaKind::Video),
            &settings,
            &Control::new(),
        )
        .expect_err("x264 refuses the preset");
    let text = err.to_string();
    assert!(matches!(err, Error::Tool { tool: "ffmpeg", .. }), "{err:?}");
    assert!(
        text.contains("fine.mp4") && text.contains("no-such-preset"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_dir(cache.root().join("tmp"))
            .expect("tmp")
            .count(),
        0
    );
}
