//! Near duplicates: a re-encoded and a trimmed clip, and a resized still, each found with its
//! original; unrelated media not.

use std::path::{Path, PathBuf};

use image::{ImageBuffer, Rgb, RgbImage};
use tempfile::TempDir;
use trove_hash::near::{
    near_groups, similarity, still_print, video_print, Fingerprint, NearGroup, VideoOptions,
    STILL_THRESHOLD, VIDEO_THRESHOLD,
};

use crate::{ffmpeg, Bytes};

/// A picture of soft gradients and a few dozen discs, different for every seed.
fn picture(seed: u64, width: u32, height: u32) -> RgbImage {
    let mut rng = Bytes::new(seed);
    let discs: Vec<(f32, f32, f32, [u8; 3])> = (0..40)
        .map(|_| {
            let x = (rng.next() % u64::from(width)) as f32;
            let y = (rng.next() % u64::from(height)) as f32;
            let r = 20.0 + (rng.next() % 200) as f32;
            let c = rng.next().to_le_bytes();
            (x, y, r, [c[0], c[1], c[2]])
        })
        .collect();
    let phase = (seed % 7) as f32;
    ImageBuffer::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let base = [
            (128.0 + 100.0 * (fx / 150.0 + phase).sin()) as u8,
            (128.0 + 100.0 * (fy / 110.0 - phase).cos()) as u8,
            ((fx + fy) / 12.0) as u8,
        ];
        let disc = discs
            .iter()
            .rev()
            .find(|(cx, cy, r, _)| (fx - cx).powi(2) + (fy - cy).powi(2) < r * r);
        Rgb(disc.map_or(base, |d| d.3))
    })
}

fn save_jpeg(image: &RgbImage, path: &Path, quality: u8) {
    let file = std::fs::File::create(path).expect("create jpeg");
    let mut encoder =
        image::codecs::jpeg::JpegEncoder::new_with_quality(std::io::BufWriter::new(file), quality);
    encoder.encode_image(image).expect("encode jpeg");
}

/// The groups as lists of names.
fn named(groups: &[NearGroup], names: &[&str]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| g.members.iter().map(|&m| names[m].to_string()).collect())
        .collect()
}

#[test]
fn issue_7_a_resized_recompressed_jpeg_is_grouped_with_its_original() {
    let dir = TempDir::new().expect("temp dir");
    let original = picture(1, 1600, 1200);
    let path = |name: &str| dir.path().join(name);
    save_jpeg(&original, &path("original.jpg"), 92);
    let smaller =
        image::imageops::resize(&original, 640, 480, image::imageops::FilterType::Triangle);
    save_jpeg(&smaller, &path("resized.jpg"), 60);
    smaller.save(path("resized.png")).expect("png");
    save_jpeg(&picture(2, 1600, 1200), &path("other.jpg"), 92);
    save_jpeg(&picture(3, 1600, 1200), &path("third.jpg"), 92);

    let names = [
        "original.jpg",
        "resized.jpg",
        "resized.png",
        "other.jpg",
        "third.jpg",
    ];
    let prints: Vec<Fingerprint> = names
        .iter()
        .map(|n| Fingerprint::Still(still_print(&path(n)).expect("still print")))
        .collect();
    for (i, a) in prints.iter().enumerate() {
        for (j, b) in prints.iter().enumerate().skip(i + 1) {
            eprintln!("{} ~ {}: {:?}", names[i], names[j], similarity(a, b));
        }
    }
    let groups = near_groups(&prints, STILL_THRESHOLD);
    assert_eq!(
        named(&groups, &names),
        [["original.jpg", "resized.jpg", "resized.png"]]
    );
    assert!(groups[0].score >= STILL_THRESHOLD && groups[0].score <= 1.0);
    // A stored fingerprint compares like the one it was made from.
    let stored = Fingerprint::from_bytes(&prints[1].to_bytes()).expect("decode");
    assert_eq!(stored, prints[1]);
    assert!(still_print(&path("missing.jpg")).is_err());
    std::fs::write(path("broken.jpg"), b"\xff\xd8\xff not really").expect("write");
    assert!(matches!(
        still_print(&path("broken.jpg")),
        Err(trove_hash::Error::Image { .. })
    ));
}

/// Makes the clips of the video test in `dir`: a 20 s 1080p original (a Mandelbrot zoom with
/// noise), its 720p re-encode at another bitrate, a copy trimmed by 2.5 s at the start, and two
/// unrelated clips.
fn clips(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let p = |name: &str| dir.join(name);
    let original = p("original.mp4");
    ffmpeg(
        "-f lavfi -i mandelbrot=size=320x180:rate=10,scale=1920:1080,noise=alls=12:allf=t \
         -t 20 -c:v libx264 -preset ultrafast -b:v 4M -pix_fmt yuv420p",
        &original,
    );
    let orig = original.display().to_string();
    let jobs = [
        (
            "reencode-720p.mp4",
            format!("-i {orig} -vf scale=1280:720 -c:v libx264 -preset ultrafast -b:v 600k"),
        ),
        (
            "trimmed.mp4",
            format!("-ss 2.5 -i {orig} -c:v libx264 -preset ultrafast -crf 30"),
        ),
        (
            "testsrc2.mp4",
            "-f lavfi -i testsrc2=size=640x360:rate=10 -t 20 -c:v libx264 -preset ultrafast"
                .to_string(),
        ),
        (
            "smptebars.mp4",
            "-f lavfi -i smptebars=size=640x360:rate=10,noise=alls=10:allf=t -t 20 -c:v libx264 \
             -preset ultrafast"
                .to_string(),
        ),
    ];
    std::thread::scope(|s| {
        for (name, args) in &jobs {
            s.spawn(|| ffmpeg(args, &p(name)));
        }
    });
    let mut out = vec![("original.mp4", original)];
    out.extend(jobs.iter().map(|(name, _)| (*name, p(name))));
    out
}

#[test]
fn issue_7_a_reencoded_and_a_trimmed_clip_are_grouped_with_their_original() {
    let dir = TempDir::new().expect("temp dir");
    let clips = clips(dir.path());
    let names: Vec<&str> = clips.iter().map(|(n, _)| *n).collect();
    let prints: Vec<Fingerprint> = std::thread::scope(|s| {
        let handles: Vec<_> = clips
            .iter()
            .map(|(_, path)| {
                s.spawn(move || video_print(path, &VideoOptions::default()).expect("video print"))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| Fingerprint::Video(h.join().expect("thread")))
            .collect()
    });
    for (i, a) in prints.iter().enumerate() {
        for (j, b) in prints.iter().enumerate().skip(i + 1) {
            eprintln!("{} ~ {}: {:?}", names[i], names[j], similarity(a, b));
        }
    }
    let groups = near_groups(&prints, VIDEO_THRESHOLD);
    assert_eq!(
        named(&groups, &names),
        [["original.mp4", "reencode-720p.mp4", "trimmed.mp4"]]
    );
    let Fingerprint::Video(trimmed) = &prints[2] else {
        unreachable!("made as video")
    };
    assert_eq!(trimmed.rate, 4.0);
    assert!(
        (trimmed.duration - 17.5).abs() < 0.3,
        "{}",
        trimmed.duration
    );
    // Stored and read back, a fingerprint compares the same.
    let stored = Fingerprint::from_bytes(&prints[2].to_bytes()).expect("decode");
    assert_eq!(
        similarity(&stored, &prints[0]),
        similarity(&prints[2], &prints[0])
    );
    // A still and a clip are never compared.
    let still = Fingerprint::from_bytes(b"S\x01\x00\x00").expect("still");
    assert_eq!(similarity(&still, &prints[0]), None);
    let not_video = dir.path().join("not-video.mp4");
    std::fs::write(&not_video, b"nothing here").expect("write");
    assert!(matches!(
        video_print(&not_video, &VideoOptions::default()),
        Err(trove_hash::Error::Video { .. })
    ));
}
