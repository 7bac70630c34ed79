//! The metadata issue's acceptance, end to end: media made here by ffmpeg and exiftool, scanned,
//! extracted by jobs, and each expected value checked in the asset view (`show --json`) with the
//! source it must come from. Corrupt files end with an error on their asset.

use crate::{extract, ffmpeg, tool, Fixture};
use serde_json::{json, Value};
use trove_core::AssetView;

/// Asserts that `field` is effectively `want`, from `source`.
fn expect(view: &AssetView, field: &str, want: Value, source: &str) {
    let got = view.metadata.get(field).unwrap_or_else(|| {
        panic!(
            "{}: no {field}; metadata {:?}, errors {:?}",
            view.title, view.metadata, view.errors
        )
    });
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) if !got.is_i64() || !want.is_i64() => {
            assert!(
                (g - w).abs() < 1e-4,
                "{}: {field} is {got}, want {want}",
                view.title
            )
        }
        _ => assert_eq!(got, &want, "{}: {field}", view.title),
    }
    assert_eq!(
        view.provenance.get(field).map(String::as_str),
        Some(source),
        "{}: the source of {field}",
        view.title
    );
}

#[tokio::test]
async fn every_reader_lands_in_show_with_its_source() {
    let f = Fixture::new().await;
    let m = |name: &str| f.media.join(name);

    ffmpeg(
        &m("tagged.mp4"),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=25:duration=1",
            "-metadata",
            "title=Harbour at dawn",
            "-metadata",
            "artist=Jo Camera",
            "-metadata",
            "comment=First light",
            "-metadata",
            "creation_time=2021-05-04T10:11:12Z",
            "-timecode",
            "01:00:00:00",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    ffmpeg(
        &m("prores.mov"),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=24000/1001:duration=0.5",
            "-metadata",
            "title=Embedded title",
            "-c:v",
            "prores_ks",
            "-profile:v",
            "3",
            "-pix_fmt",
            "yuv422p10le",
        ],
    );
    f.write(
        "prores.xmp",
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Sidecar title</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"#,
    );
    ffmpeg(
        &m("vertical.mp4"),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=36x64:rate=30000/1001:duration=0.5",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    ffmpeg(
        &m("mpeg2.mxf"),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=720x576:rate=50:duration=0.2",
            "-c:v",
            "mpeg2video",
            "-f",
            "mxf",
        ],
    );
    let jpeg = m("still.jpg");
    ffmpeg(
        &jpeg,
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=32x24",
            "-frames:v",
            "1",
        ],
    );
    tool(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-EXIF:Make=Canon",
            "-EXIF:Model=EOS R5",
            "-GPSLatitude=37.7858",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=122.4064",
            "-GPSLongitudeRef=W",
            "-XMP-dc:Title=Blue hour",
            "-XMP-dc:Description=Boats at anchor",
            "-IPTC:Keywords=harbour",
            "-IPTC:Keywords=blue",
            "-IPTC:By-line=Sam",
            "-IPTC:CopyrightNotice=(c) Sam",
            jpeg.to_str().expect("UTF-8"),
        ],
    );
    let sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.3"];
    let tagged = |title: &'static str| ["-metadata", title, "-metadata", "artist=The Band"];
    ffmpeg(
        &m("song.mp3"),
        &[
            &sine[..],
            &tagged("title=Song")[..],
            &["-c:a", "libmp3lame"][..],
        ]
        .concat(),
    );
    ffmpeg(
        &m("hires.flac"),
        &[
            &sine[..],
            &tagged("title=Hi-res")[..],
            &["-ar", "96000", "-sample_fmt", "s32"][..],
        ]
        .concat(),
    );
    ffmpeg(
        &m("take.wav"),
        &[
            &sine[..],
            &tagged("title=Take 1")[..],
            &["-c:a", "pcm_s24le"][..],
        ]
        .concat(),
    );

    // Corrupt inputs.
    let whole = std::fs::read(m("tagged.mp4")).expect("read");
    f.write("truncated.mp4", &whole[..whole.len() / 3]);
    f.write("empty.mov", b"");
    f.write("text.mp4", b"just some text\n");
    f.write(
        "garbage.jpg",
        b"\xff\xd8\xff\xe0 not really a jpeg \x00\x01\x02",
    );

    f.scan().await;
    extract(&f).await;
    let show = |name: &str| {
        let path = m(name);
        let library = f.library.clone();
        async move { library.show(path.as_os_str()).await.expect("show") }
    };

    let v = show("tagged.mp4").await;
    expect(&v, "title", json!("Harbour at dawn"), "container_tags");
    expect(&v, "creator", json!(["Jo Camera"]), "container_tags");
    expect(&v, "description", json!("First light"), "container_tags");
    expect(&v, "timecode_start", json!("01:00:00:00"), "container_tags");
    expect(&v, "frame_rate", json!("25/1"), "probe");
    expect(&v, "video_codec", json!("h264"), "probe");
    assert!(v.metadata["captured_at"]
        .as_str()
        .is_some_and(|d| d.starts_with("2021-05-04T10:11:12")));

    let v = show("prores.mov").await;
    expect(&v, "title", json!("Sidecar title"), "sidecar_xmp");
    expect(&v, "frame_rate", json!("24000/1001"), "probe");
    expect(&v, "video_codec", json!("prores"), "probe");
    expect(&v, "video_bit_depth", json!(10), "probe");

    let v = show("vertical.mp4").await;
    expect(&v, "width", json!(36), "probe");
    expect(&v, "height", json!(64), "probe");
    expect(&v, "frame_rate", json!("30000/1001"), "probe");

    let v = show("mpeg2.mxf").await;
    expect(&v, "container", json!("mxf"), "probe");
    expect(&v, "frame_rate", json!("50/1"), "probe");
    expect(&v, "video_codec", json!("mpeg2video"), "probe");

    let v = show("still.jpg").await;
    expect(&v, "camera_make", json!("Canon"), "exif");
    expect(&v, "camera_model", json!("EOS R5"), "exif");
    expect(&v, "gps_latitude", json!(37.7858), "exif");
    expect(&v, "gps_longitude", json!(-122.4064), "exif");
    expect(&v, "title", json!("Blue hour"), "embedded_xmp");
    expect(&v, "description", json!("Boats at anchor"), "embedded_xmp");
    expect(&v, "keywords", json!(["harbour", "blue"]), "iptc_iim");
    expect(&v, "creator", json!(["Sam"]), "iptc_iim");
    expect(&v, "rights", json!("(c) Sam"), "iptc_iim");

    let v = show("song.mp3").await;
    expect(&v, "title", json!("Song"), "container_tags");
    expect(&v, "audio_codec", json!("mp3"), "probe");
    let v = show("hires.flac").await;
    expect(&v, "title", json!("Hi-res"), "container_tags");
    expect(&v, "sample_rate", json!(96000), "probe");
    let v = show("take.wav").await;
    expect(&v, "title", json!("Take 1"), "container_tags");
    expect(&v, "creator", json!(["The Band"]), "container_tags");
    expect(&v, "bit_depth", json!(24), "probe");

    for corrupt in ["truncated.mp4", "empty.mov", "text.mp4", "garbage.jpg"] {
        let v = show(corrupt).await;
        assert_eq!(v.errors.len(), 1, "{corrupt}: {:?}", v.errors);
        assert!(v.errors[0].contains(corrupt), "{corrupt}: {:?}", v.errors);
    }
    // Failed once, not retried: nothing is queued again.
    assert_eq!(f.library.plan_jobs().await.expect("plan"), 0);
    f.assert_consistent().await;
}
