//! `read_audio_tags` against audio files made by ffmpeg with `-metadata`.

use super::{assert_absent, assert_garbage_and_missing, assert_values, dump, make};
use tempfile::TempDir;
use trove_media::{read_audio_tags, Origin};

const TAGS: [(&str, &str); 5] = [
    ("title", "T"),
    ("artist", "A"),
    ("comment", "C"),
    ("copyright", "© R"),
    ("date", "2020-01-02"),
];

#[test]
fn mp3_id3v2() {
    let dir = TempDir::new().expect("tempdir");
    let mp3 = make(
        &dir,
        "song.mp3",
        "-f lavfi -i sine=d=0.2 -c:a libmp3lame",
        &TAGS,
    );
    let x = read_audio_tags(&mp3).expect("read");
    assert_values(
        &x,
        r#"
        title = "T" (ContainerTags ID3v2:TIT2)
        creator = ["A"] (ContainerTags ID3v2:TPE1)
        rights = "© R" (ContainerTags ID3v2:TCOP)
        captured_at = "2020-01-02" (ContainerTags ID3v2:TDRC)
        "#,
    );
    assert!(x.values.iter().all(|v| v.origin == Origin::ContainerTags));
    assert_eq!(x.raw.get("ID3v2:TIT2").map(String::as_str), Some("T"));
    // ffmpeg writes `comment` as a TXXX frame, which lofty's generic tag drops (no COMM).
    assert_absent(&x, &["description"]);
    // The encoder tag ffmpeg adds is kept raw, not as a field.
    assert!(x.raw.contains_key("ID3v2:TSSE"), "{:?}", x.raw);
}

#[test]
fn flac_vorbis_comments_at_96k() {
    let dir = TempDir::new().expect("tempdir");
    let flac = make(
        &dir,
        "hi.flac",
        "-f lavfi -i sine=d=0.2 -ar 96000 -sample_fmt s32",
        &[("title", "T"), ("artist", "A"), ("genre", "Ambient")],
    );
    let x = read_audio_tags(&flac).expect("read");
    assert_values(
        &x,
        r#"
        title = "T" (ContainerTags Vorbis:TITLE)
        creator = ["A"] (ContainerTags Vorbis:ARTIST)
        "#,
    );
    assert_absent(&x, &["keywords", "sample_rate", "bit_depth", "duration"]);
    assert_eq!(
        x.raw.get("Vorbis:GENRE").map(String::as_str),
        Some("Ambient")
    );
}

#[test]
fn wav_riff_info_24_bit() {
    let dir = TempDir::new().expect("tempdir");
    let wav = make(
        &dir,
        "take.wav",
        "-f lavfi -i sine=d=0.2 -c:a pcm_s24le",
        &[("title", "T"), ("artist", "A"), ("copyright", "© R")],
    );
    let x = read_audio_tags(&wav).expect("read");
    assert_values(
        &x,
        r#"
        title = "T" (ContainerTags RIFF:INAM)
        creator = ["A"] (ContainerTags RIFF:IART)
        rights = "© R" (ContainerTags RIFF:ICOP)
        "#,
    );
}

#[test]
fn m4a_ilst() {
    let dir = TempDir::new().expect("tempdir");
    let m4a = make(&dir, "song.m4a", "-f lavfi -i sine=d=0.2 -c:a aac", &TAGS);
    let x = read_audio_tags(&m4a).expect("read");
    assert_values(
        &x,
        r#"
        title = "T" (ContainerTags ilst:©nam)
        creator = ["A"] (ContainerTags ilst:©ART)
        description = "C" (ContainerTags ilst:©cmt)
        captured_at = "2020-01-02" (ContainerTags ilst:©day)
        "#,
    );
}

#[test]
fn untagged_audio_has_no_values() {
    let dir = TempDir::new().expect("tempdir");
    let wav = make(
        &dir,
        "plain.wav",
        "-f lavfi -i sine=d=0.2 -fflags +bitexact",
        &[],
    );
    let x = read_audio_tags(&wav).expect("read");
    assert!(x.values.is_empty(), "{}", dump(&x));
}

#[test]
fn garbage_and_missing_files_are_errors_naming_the_file() {
    assert_garbage_and_missing(read_audio_tags, "mp3", b"not audio at all, just text\n");
}

/// A FLAC cut anywhere never panics.
#[test]
fn cut_audio_never_panics() {
    let dir = TempDir::new().expect("tempdir");
    let flac = make(&dir, "t.flac", "-f lavfi -i sine=d=0.2", &TAGS);
    let bytes = std::fs::read(&flac).expect("read");
    let cut = dir.path().join("cut.flac");
    for len in (0..bytes.len().min(4096)).step_by(13) {
        std::fs::write(&cut, &bytes[..len]).expect("write");
        let _ = read_audio_tags(&cut);
    }
}
