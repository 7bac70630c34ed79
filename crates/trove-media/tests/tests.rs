//! trove-media against media made on the spot by the real ffmpeg (scripts/setup.sh installs it).
//! Clips are tiny so that the whole binary runs in a few seconds.
//!
//! Expectations are written as lines of [`dump`]: `field = JSON value (Origin source_key)`.

// Tests build their media with ffmpeg directly; the library goes through its one helper.
#![allow(clippy::disallowed_methods)]

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tempfile::TempDir;
use trove_media::{extract, probe, probe_file, Error, Extracted, ProbeOutput};

mod audio_tags;
mod props;
mod stills;
mod xmp;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `ffmpeg -v error -y ARGS DIR/NAME` and returns the output path.
fn ffmpeg(dir: &TempDir, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.path().join(name);
    let result = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ffmpeg ({e}): run scripts/setup.sh to install it"));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success(),
        "ffmpeg failed making {name}: {stderr}"
    );
    out
}

/// [`ffmpeg`] with whitespace-separated `args` and `-metadata key=value` for each pair.
fn make(dir: &TempDir, name: &str, args: &str, metadata: &[(&str, &str)]) -> PathBuf {
    let tags: Vec<String> = metadata.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut all: Vec<&str> = args.split_whitespace().collect();
    for tag in &tags {
        all.extend(["-metadata", tag]);
    }
    ffmpeg(dir, name, &all)
}

fn extracted(path: &Path) -> Extracted {
    probe_file(path, TIMEOUT).unwrap_or_else(|e| panic!("probe {}: {e}", path.display()))
}

/// One line per value: `width = 64 (Probe streams[0].width)`.
fn dump(x: &Extracted) -> String {
    x.values
        .iter()
        .map(|v| {
            format!(
                "{} = {} ({:?} {})\n",
                v.field, v.value, v.origin, v.source_key
            )
        })
        .collect()
}

/// Asserts that every line of `expected` is a line of `x`'s [`dump`]; returns the dump.
fn assert_lines(x: &Extracted, expected: &str) -> String {
    let dump = dump(x);
    for line in expected.lines().map(str::trim).filter(|l| !l.is_empty()) {
        assert!(
            dump.lines().any(|l| l == line),
            "missing `{line}` in\n{dump}"
        );
    }
    dump
}

/// Asserts that every line of `expected` is a line of the dump, and that no field is there twice.
fn assert_values(x: &Extracted, expected: &str) {
    let dump = assert_lines(x, expected);
    let mut fields: Vec<&str> = x.values.iter().map(|v| v.field).collect();
    let n = fields.len();
    fields.sort_unstable();
    fields.dedup();
    assert_eq!(fields.len(), n, "a field twice in\n{dump}");
}

/// Asserts that `read` fails on a file holding `garbage` with [`Error::Metadata`], and on a
/// missing file with [`Error::Io`] saying "cannot read", both naming the file.
fn assert_garbage_and_missing(
    read: impl Fn(&Path) -> trove_media::Result<Extracted>,
    extension: &str,
    garbage: &[u8],
) {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join(format!("garbage.{extension}"));
    std::fs::write(&path, garbage).expect("write");
    let err = read(&path).expect_err("garbage");
    assert!(matches!(err, Error::Metadata { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );

    let missing = dir.path().join(format!("missing.{extension}"));
    let err = read(&missing).expect_err("missing");
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    let expected = format!("cannot read {}: ", missing.display());
    assert!(err.to_string().starts_with(&expected), "{err}");
}

fn assert_absent(x: &Extracted, fields: &[&str]) {
    for field in fields {
        let found = x.values.iter().any(|v| v.field == *field);
        assert!(!found, "unexpected {field} in\n{}", dump(x));
    }
}

#[test]
fn ffprobe_is_found() {
    let path = trove_media::ffprobe_path()
        .unwrap_or_else(|e| panic!("{e}: run scripts/setup.sh to install ffmpeg"));
    assert!(path.ends_with("ffprobe"), "{}", path.display());
}

#[test]
fn h264_mp4_with_tags_and_timecode() {
    let dir = TempDir::new().expect("tempdir");
    let clip = make(
        &dir,
        "clip.mp4",
        "-f lavfi -i testsrc=size=64x64:rate=25:duration=1
         -f lavfi -i sine=frequency=440:sample_rate=48000:duration=1
         -c:v libx264 -pix_fmt yuv420p -c:a aac -timecode 01:00:00:00",
        &[
            ("title", "Harbour at dawn"),
            ("artist", "Jo Camera"),
            ("comment", "Fog over the cranes"),
            ("keywords", "harbour, fog; cranes"),
            ("copyright", "(c) 2021 Jo"),
            ("creation_time", "2021-05-04T10:11:12Z"),
        ],
    );
    let x = extracted(&clip);
    assert_values(
        &x,
        r#"
        media_type = "video" (Probe streams[0].codec_type)
        container = "mp4" (Probe format.format_name)
        duration = 1.0 (Probe streams[0].duration_ts)
        video_codec = "h264" (Probe streams[0].codec_name)
        video_profile = "High" (Probe streams[0].profile)
        width = 64 (Probe streams[0].width)
        height = 64 (Probe streams[0].height)
        pixel_aspect = "1/1" (Probe streams[0].sample_aspect_ratio)
        frame_rate = "25/1" (Probe streams[0].avg_frame_rate)
        scan_type = "progressive" (Probe streams[0].field_order)
        video_bit_depth = 8 (Probe streams[0].bits_per_raw_sample)
        audio_codec = "aac" (Probe streams[1].codec_name)
        audio_channels = 1 (Probe streams[1].channels)
        sample_rate = 48000 (Probe streams[1].sample_rate)
        timecode_start = "01:00:00:00" (ContainerTags streams[0].tags.timecode)
        title = "Harbour at dawn" (ContainerTags format.tags.title)
        creator = ["Jo Camera"] (ContainerTags format.tags.artist)
        description = "Fog over the cranes" (ContainerTags format.tags.comment)
        keywords = ["harbour","fog","cranes"] (ContainerTags format.tags.keywords)
        rights = "(c) 2021 Jo" (ContainerTags format.tags.copyright)
        captured_at = "2021-05-04T10:11:12Z" (ContainerTags format.tags.creation_time)
        "#,
    );
    let bit_rate = x
        .values
        .iter()
        .find(|v| v.field == "bit_rate")
        .expect("bit_rate");
    assert!(
        bit_rate.value.as_u64().is_some_and(|r| r > 0),
        "{bit_rate:?}"
    );
    assert_eq!(bit_rate.source_key, "format.bit_rate");
    // AAC has no bit depth: its decoder's float samples say nothing about the source.
    assert_absent(&x, &["bit_depth"]);
    assert_eq!(
        x.raw.get("title").map(String::as_str),
        Some("Harbour at dawn")
    );
    assert_eq!(
        x.raw.get("streams[0].timecode").map(String::as_str),
        Some("01:00:00:00")
    );
    assert_eq!(x.raw.get("major_brand").map(String::as_str), Some("isom"));
    assert!(x.warnings.is_empty(), "{:?}", x.warnings);
}

#[test]
fn prores_mov_at_23_976() {
    let dir = TempDir::new().expect("tempdir");
    let clip = make(
        &dir,
        "clip.mov",
        "-f lavfi -i testsrc=size=64x64:rate=24000/1001:duration=0.5
         -f lavfi -i sine=sample_rate=48000:duration=0.5
         -r 24000/1001 -c:v prores_ks -profile:v 3 -pix_fmt yuv422p10le
         -c:a pcm_s24le -timecode 10:00:00:00",
        &[],
    );
    // 12 frames at 24000/1001 last exactly 12 × 1001 / 24000 = 0.5005 s.
    assert_values(
        &extracted(&clip),
        r#"
        container = "mov" (Probe format.format_name)
        duration = 0.5005 (Probe streams[0].duration_ts)
        video_codec = "prores" (Probe streams[0].codec_name)
        video_profile = "HQ" (Probe streams[0].profile)
        frame_rate = "24000/1001" (Probe streams[0].avg_frame_rate)
        video_bit_depth = 10 (Probe streams[0].bits_per_raw_sample)
        bit_depth = 24 (Probe streams[1].bits_per_raw_sample)
        timecode_start = "10:00:00:00" (ContainerTags streams[0].tags.timecode)
        "#,
    );
}

#[test]
fn vertical_clips_report_displayed_size() {
    let dir = TempDir::new().expect("tempdir");
    let src = "-f lavfi -i testsrc=size=64x32:rate=30000/1001:duration=0.3 -c:v libx264";
    let landscape = make(&dir, "landscape.mp4", src, &[]);
    // ffmpeg 5.1 writes a display matrix for a `rotate` tag only when copying the stream.
    let landscape = landscape.to_str().expect("utf-8 temp path");
    let copy = [
        "-i",
        landscape,
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
    ];
    let rotated = ffmpeg(&dir, "rotated.mp4", &copy);
    // ffmpeg 5.1's muxer turns `rotate=90` into a 90° counterclockwise matrix; exiftool reads the
    // same file as Rotation 270, which is what the schema stores (clockwise).
    assert_values(
        &extracted(&rotated),
        r#"
        width = 32 (Probe streams[0].height)
        height = 64 (Probe streams[0].width)
        rotation = 270 (Probe streams[0].side_data_list[0].rotation)
        frame_rate = "30000/1001" (Probe streams[0].avg_frame_rate)
        "#,
    );

    // A natively tall frame needs no rotation.
    let src = "-f lavfi -i testsrc=size=36x64:rate=30000/1001:duration=0.3 -c:v libx264";
    let x = extracted(&make(&dir, "tall.mp4", src, &[]));
    assert_values(
        &x,
        "width = 36 (Probe streams[0].width)
         height = 64 (Probe streams[0].height)",
    );
    assert_absent(&x, &["rotation"]);
}

#[test]
fn mpeg2_in_mxf_at_50() {
    let dir = TempDir::new().expect("tempdir");
    let clip = make(
        &dir,
        "clip.mxf",
        "-f lavfi -i testsrc=size=720x576:rate=50:duration=0.2
         -c:v mpeg2video -r 50 -b:v 2M -f mxf",
        &[],
    );
    assert_values(
        &extracted(&clip),
        r#"
        container = "mxf" (Probe format.format_name)
        duration = 0.2 (Probe streams[0].duration_ts)
        video_codec = "mpeg2video" (Probe streams[0].codec_name)
        frame_rate = "50/1" (Probe streams[0].avg_frame_rate)
        width = 720 (Probe streams[0].width)
        height = 576 (Probe streams[0].height)
        video_bit_depth = 8 (Probe streams[0].pix_fmt)
        timecode_start = "00:00:00:00" (ContainerTags format.tags.timecode)
        "#,
    );
}

#[test]
fn flac_at_96k_with_tags() {
    let dir = TempDir::new().expect("tempdir");
    let track = make(
        &dir,
        "track.flac",
        "-f lavfi -i sine=sample_rate=96000:duration=0.2 -ac 2 -c:a flac -sample_fmt s32",
        &[
            ("TITLE", "Tide"),
            ("ARTIST", "Bo Cy"),
            ("DATE", "2020-01-02"),
        ],
    );
    // Vorbis comment keys keep the case they were written in; the reader ignores case.
    let x = extracted(&track);
    assert_values(
        &x,
        r#"
        media_type = "audio" (Probe streams[0].codec_type)
        container = "flac" (Probe format.format_name)
        duration = 0.2 (Probe streams[0].duration_ts)
        audio_codec = "flac" (Probe streams[0].codec_name)
        sample_rate = 96000 (Probe streams[0].sample_rate)
        audio_channels = 2 (Probe streams[0].channels)
        bit_depth = 24 (Probe streams[0].bits_per_raw_sample)
        title = "Tide" (ContainerTags format.tags.TITLE)
        creator = ["Bo Cy"] (ContainerTags format.tags.ARTIST)
        captured_at = "2020-01-02" (ContainerTags format.tags.DATE)
        "#,
    );
    assert_absent(&x, &["frame_rate", "width"]);
}

#[test]
fn wav_24_bit() {
    let dir = TempDir::new().expect("tempdir");
    let take = make(
        &dir,
        "take.wav",
        "-f lavfi -i sine=sample_rate=48000:duration=0.2 -c:a pcm_s24le",
        &[("title", "Take 3"), ("artist", "Sound Dept")],
    );
    assert_values(
        &extracted(&take),
        r#"
        container = "wav" (Probe format.format_name)
        audio_codec = "pcm_s24le" (Probe streams[0].codec_name)
        bit_depth = 24 (Probe streams[0].bits_per_raw_sample)
        sample_rate = 48000 (Probe streams[0].sample_rate)
        audio_channels = 1 (Probe streams[0].channels)
        title = "Take 3" (ContainerTags format.tags.title)
        creator = ["Sound Dept"] (ContainerTags format.tags.artist)
        "#,
    );
}

#[test]
fn mp3_with_id3_title() {
    let dir = TempDir::new().expect("tempdir");
    let song = make(
        &dir,
        "song.mp3",
        "-f lavfi -i sine=sample_rate=44100:duration=0.2 -c:a libmp3lame",
        &[("title", "Mp3 Title"), ("artist", "Ed")],
    );
    let x = extracted(&song);
    assert_values(
        &x,
        r#"
        media_type = "audio" (Probe streams[0].codec_type)
        container = "mp3" (Probe format.format_name)
        audio_codec = "mp3" (Probe streams[0].codec_name)
        sample_rate = 44100 (Probe streams[0].sample_rate)
        title = "Mp3 Title" (ContainerTags format.tags.title)
        creator = ["Ed"] (ContainerTags format.tags.artist)
        "#,
    );
    assert_absent(&x, &["bit_depth"]);
}

#[test]
fn quicktime_keys_and_location() {
    let dir = TempDir::new().expect("tempdir");
    let clip = make(
        &dir,
        "phone.mov",
        "-f lavfi -i testsrc=size=64x64:rate=30:duration=0.2 -c:v libx264
         -movflags use_metadata_tags",
        &[
            ("title", "Udta title"),
            ("com.apple.quicktime.title", "QuickTime title"),
            ("com.apple.quicktime.make", "Apple"),
            ("com.apple.quicktime.model", "iPhone 12"),
            (
                "com.apple.quicktime.location.ISO6709",
                "+37.7858-122.4064+012.000/",
            ),
            (
                "com.apple.quicktime.creationdate",
                "2021-05-04T12:11:12+0200",
            ),
            ("creation_time", "2021-05-04T10:11:12Z"),
        ],
    );
    assert_values(
        &extracted(&clip),
        r#"
        title = "QuickTime title" (ContainerTags format.tags.com.apple.quicktime.title)
        camera_make = "Apple" (ContainerTags format.tags.com.apple.quicktime.make)
        camera_model = "iPhone 12" (ContainerTags format.tags.com.apple.quicktime.model)
        gps_latitude = 37.7858 (ContainerTags format.tags.com.apple.quicktime.location.ISO6709)
        gps_longitude = -122.4064 (ContainerTags format.tags.com.apple.quicktime.location.ISO6709)
        gps_altitude = 12.0 (ContainerTags format.tags.com.apple.quicktime.location.ISO6709)
        captured_at = "2021-05-04T12:11:12+02:00" (ContainerTags format.tags.com.apple.quicktime.creationdate)
        "#,
    );
}

#[test]
fn mp4_location_atom() {
    let dir = TempDir::new().expect("tempdir");
    let clip = make(
        &dir,
        "android.mp4",
        "-f lavfi -i testsrc=size=64x64:rate=30:duration=0.2 -c:v libx264",
        &[("location", "-33.8568+151.2153/")],
    );
    let x = extracted(&clip);
    assert_values(
        &x,
        "gps_latitude = -33.8568 (ContainerTags format.tags.location)
         gps_longitude = 151.2153 (ContainerTags format.tags.location)",
    );
    assert_absent(&x, &["gps_altitude"]);
}

#[test]
fn still_images_are_images() {
    let dir = TempDir::new().expect("tempdir");
    for (name, container) in [("still.png", "png"), ("still.jpg", "jpeg")] {
        let still = make(
            &dir,
            name,
            "-f lavfi -i testsrc=size=64x48:rate=1 -frames:v 1",
            &[],
        );
        let x = extracted(&still);
        let expected = format!(
            r#"media_type = "image" (Probe streams[0].codec_type)
               container = "{container}" (Probe format.format_name)
               width = 64 (Probe streams[0].width)
               height = 48 (Probe streams[0].height)"#
        );
        assert_values(&x, &expected);
        assert_absent(&x, &["duration", "frame_rate", "video_codec", "bit_rate"]);
    }
}

/// Every corrupt file is an error naming the file, never a panic.
#[test]
fn corrupt_inputs_are_errors_naming_the_file() {
    let dir = TempDir::new().expect("tempdir");
    let src = "-f lavfi -i testsrc=size=64x64:rate=25:duration=1 -c:v libx264";
    let bytes = std::fs::read(make(&dir, "good.mp4", src, &[])).expect("read");
    let write = |name: &str, content: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        path
    };
    let cases = [
        // ffmpeg writes the index (moov) last: a cut file has none.
        write("truncated.mp4", &bytes[..bytes.len() / 2]),
        write("header-only.mp4", &bytes[..300]),
        write("empty.mov", b""),
        write("text.mp4", b"this is text, not a movie\n"),
        write(
            "noise.mkv",
            &[0x1a, 0x45, 0xdf, 0xa3, 0xff, 0x00, 0x13, 0x37],
        ),
        write("text.txt", b"hello\n"),
    ];
    for path in &cases {
        let err = probe_file(path, TIMEOUT).expect_err(&path.display().to_string());
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(matches!(err, Error::Probe { .. }), "{err:?}");
    }
    let message = probe_file(&cases[0], TIMEOUT)
        .expect_err("truncated")
        .to_string();
    assert!(
        message.contains("Invalid data found when processing input"),
        "{message}"
    );
    assert!(message.contains("moov atom not found"), "{message}");

    let missing = dir.path().join("missing.mov");
    let err = probe_file(&missing, TIMEOUT).expect_err("missing");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    match err {
        Error::Io { path, source } => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    let err = probe_file(dir.path(), TIMEOUT).expect_err("folder");
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

/// A file cut after its index still describes itself; the damage shows as warnings.
#[test]
fn cut_faststart_file_probes_with_warnings() {
    let dir = TempDir::new().expect("tempdir");
    let src = "-f lavfi -i testsrc=size=64x64:rate=25:duration=1 -c:v libx264 -movflags +faststart";
    let bytes = std::fs::read(make(&dir, "good.mp4", src, &[])).expect("read");
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).expect("write");
    let x = extracted(&cut);
    assert_values(&x, r#"video_codec = "h264" (Probe streams[0].codec_name)"#);
    assert!(
        x.warnings.iter().any(|w| w.starts_with("ffprobe: ")),
        "{:?}",
        x.warnings
    );
}

#[cfg(unix)]
#[test]
fn a_hanging_probe_times_out() {
    let dir = TempDir::new().expect("tempdir");
    // ffprobe blocks opening a FIFO nobody writes to.
    let fifo = dir.path().join("stuck.mov");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let limit = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let err = probe(&fifo, limit).expect_err("timeout");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(
        err.to_string().contains(&fifo.display().to_string()),
        "{err}"
    );
    match err {
        Error::Timeout { path, after } => assert_eq!((path, after), (fifo, limit)),
        other => panic!("{other:?}"),
    }
}

/// What ffprobe prints for files ffmpeg 5.1 cannot make: a phone's portrait clip, placeholder
/// dates, odd values.
#[test]
fn extraction_from_recorded_output() {
    let output: ProbeOutput = serde_json::from_value(json!({
        "streams": [
            {
                "index": 0, "codec_type": "video", "codec_name": "hevc", "profile": "Main 10",
                "width": 1920, "height": 1080, "pix_fmt": "yuv420p10le",
                "color_primaries": "bt2020", "color_transfer": "arib-std-b67",
                "color_space": "bt2020nc", "field_order": "tt", "sample_aspect_ratio": "0:1",
                "r_frame_rate": "30/1", "avg_frame_rate": "1800000/60059",
                "time_base": "1/600", "duration_ts": 6006, "duration": "10.010000",
                "disposition": { "default": 1, "attached_pic": 0 },
                "tags": { "creation_time": "1904-01-01T00:00:00.000000Z", "rotate": "N/A" },
                "side_data_list": [
                    { "side_data_type": "DOVI configuration record", "dv_profile": 8 },
                    { "side_data_type": "Display Matrix", "displaymatrix": "…", "rotation": -90 }
                ]
            },
            {
                "index": 1, "codec_type": "audio", "codec_name": "aac", "sample_rate": "44100",
                "channels": 2, "sample_fmt": "fltp", "bits_per_sample": 0,
                "tags": { "creation_time": "1970-01-01T00:00:00.000000Z" }
            },
            {
                "index": 2, "codec_type": "video", "codec_name": "mjpeg",
                "disposition": { "attached_pic": 1 }, "width": 300, "height": 300
            },
            {
                "index": 3, "codec_type": "data", "codec_tag_string": "tmcd",
                "tags": { "timecode": "00:59:59;29" }
            }
        ],
        "format": {
            "format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "10.010000", "bit_rate": "N/A",
            "tags": {
                "major_brand": "qt  ",
                "creation_time": "1970-01-01T00:00:00.000000Z",
                "com.apple.quicktime.location.ISO6709": "somewhere",
                "location-eng": "+48.8577+002.2950/",
                "com.apple.quicktime.keywords": "a; b,a ,",
                "com.apple.quicktime.author": "Me",
                "Title-eng": "Localized"
            }
        },
        "some_future_section": []
    }))
    .expect("ffprobe JSON");
    let x = extract(&output);
    assert_values(
        &x,
        r#"
        media_type = "video" (Probe streams[0].codec_type)
        width = 1080 (Probe streams[0].height)
        height = 1920 (Probe streams[0].width)
        rotation = 90 (Probe streams[0].side_data_list[1].rotation)
        frame_rate = "1800000/60059" (Probe streams[0].avg_frame_rate)
        scan_type = "interlaced_tff" (Probe streams[0].field_order)
        video_bit_depth = 10 (Probe streams[0].pix_fmt)
        color_primaries = "bt2020" (Probe streams[0].color_primaries)
        color_transfer = "arib-std-b67" (Probe streams[0].color_transfer)
        color_matrix = "bt2020nc" (Probe streams[0].color_space)
        duration = 10.01 (Probe streams[0].duration_ts)
        container = "mov" (Probe format.format_name)
        timecode_start = "00:59:59;29" (ContainerTags streams[3].tags.timecode)
        gps_latitude = 48.8577 (ContainerTags format.tags.location-eng)
        keywords = ["a","b"] (ContainerTags format.tags.com.apple.quicktime.keywords)
        creator = ["Me"] (ContainerTags format.tags.com.apple.quicktime.author)
        title = "Localized" (ContainerTags format.tags.Title-eng)
        "#,
    );
    assert_absent(
        &x,
        &["pixel_aspect", "captured_at", "bit_rate", "bit_depth"],
    );
    let warnings = x.warnings.join("\n");
    for expected in [
        r#"ignored placeholder date "1970-01-01T00:00:00.000000Z" in format.tags.creation_time"#,
        r#"ignored placeholder date "1904-01-01T00:00:00.000000Z" in streams[0].tags.creation_time"#,
        r#"unreadable location "somewhere" in format.tags.com.apple.quicktime.location.ISO6709"#,
    ] {
        assert!(warnings.contains(expected), "{warnings}");
    }
    assert_eq!(
        x.raw.get("streams[3].timecode").map(String::as_str),
        Some("00:59:59;29")
    );
    assert_eq!(
        x.raw.get("Title-eng").map(String::as_str),
        Some("Localized")
    );
}

#[test]
fn lenient_about_types_and_empty_output() {
    // Numbers as strings and strings as numbers, "N/A", nulls: read what can be read.
    let output: ProbeOutput = serde_json::from_str(
        r#"{"streams": [{"codec_type": "audio", "codec_name": "pcm_s16le", "channels": "2",
            "sample_rate": 48000, "bits_per_sample": "N/A", "sample_fmt": "s16", "tags": null,
            "disposition": null, "side_data_list": "junk"}], "format": null}"#,
    )
    .expect("ffprobe JSON");
    assert_values(
        &extract(&output),
        "audio_channels = 2 (Probe streams[0].channels)
         sample_rate = 48000 (Probe streams[0].sample_rate)
         bit_depth = 16 (Probe streams[0].sample_fmt)",
    );
    let empty = extract(&ProbeOutput::default());
    assert!(empty.values.is_empty() && empty.warnings.is_empty() && empty.raw.is_empty());
}
