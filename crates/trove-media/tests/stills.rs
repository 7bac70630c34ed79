//! `read_stills_metadata` against pictures made by ffmpeg and tagged by exiftool.

use super::{assert_absent, assert_garbage_and_missing, assert_lines, assert_values, dump, ffmpeg};
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;
use trove_media::Extracted;
use trove_media::{read_stills_metadata, Origin};

/// Runs `exiftool -overwrite_original ARGS FILE`.
fn exiftool(file: &Path, args: &[&str]) {
    let result = Command::new("exiftool")
        .args(["-q", "-overwrite_original"])
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run exiftool ({e}): run scripts/setup.sh"));
    assert!(
        result.status.success(),
        "exiftool failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
}

fn blue_jpeg(dir: &TempDir) -> std::path::PathBuf {
    ffmpeg(
        dir,
        "x.jpg",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=32x24",
            "-frames:v",
            "1",
        ],
    )
}

/// Like [`assert_values`], but a field may come from both EXIF and IPTC (once from each).
fn assert_claims(x: &Extracted, expected: &str) {
    let dump = assert_lines(x, expected);
    let mut claims: Vec<(&str, Origin)> = x.values.iter().map(|v| (v.field, v.origin)).collect();
    let n = claims.len();
    claims.sort_unstable_by_key(|(f, o)| (*f, o.claim_source()));
    claims.dedup();
    assert_eq!(claims.len(), n, "a field twice from one origin in\n{dump}");
}

#[test]
fn jpeg_exif_and_iptc() {
    let dir = TempDir::new().expect("tempdir");
    let jpg = blue_jpeg(&dir);
    exiftool(
        &jpg,
        &[
            "-EXIF:Make=Canon",
            "-EXIF:Model=Canon EOS R5",
            "-EXIF:LensModel=RF24-105mm F4 L IS USM",
            "-EXIF:DateTimeOriginal=2021:05:04 10:11:12",
            "-EXIF:OffsetTimeOriginal=+02:00",
            "-GPSLatitude=37.7858",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=122.4064",
            "-GPSLongitudeRef=W",
            "-GPSAltitude=12",
            "-EXIF:Orientation#=6",
            "-EXIF:Artist=Jo",
            "-EXIF:Copyright=© Jo",
            "-EXIF:ImageDescription=Harbour at dawn",
            "-IPTC:CodedCharacterSet=UTF8",
            "-IPTC:Keywords=harbour",
            "-IPTC:Keywords=dawn",
            "-IPTC:Keywords=Hafen-Café",
            "-IPTC:By-line=Sam",
            "-IPTC:CopyrightNotice=© Sam Ltd",
            "-IPTC:Caption-Abstract=Boats leaving",
            "-IPTC:ObjectName=Harbour",
            "-IPTC:Headline=Morning",
            "-IPTC:Credit=Trove Agency",
            "-IPTC:City=Hamburg",
            "-IPTC:Country-PrimaryLocationName=Germany",
            "-IPTC:DateCreated=2021:05:04",
            "-IPTC:TimeCreated=10:11:12+02:00",
        ],
    );
    let x = read_stills_metadata(&jpg).expect("read");
    assert_claims(
        &x,
        r#"
        captured_at = "2021-05-04T10:11:12+02:00" (Exif EXIF:DateTimeOriginal)
        camera_make = "Canon" (Exif EXIF:Make)
        camera_model = "Canon EOS R5" (Exif EXIF:Model)
        lens = "RF24-105mm F4 L IS USM" (Exif EXIF:LensModel)
        description = "Harbour at dawn" (Exif EXIF:ImageDescription)
        rights = "© Jo" (Exif EXIF:Copyright)
        creator = ["Jo"] (Exif EXIF:Artist)
        gps_latitude = 37.7858 (Exif EXIF:GPSLatitude)
        gps_longitude = -122.4064 (Exif EXIF:GPSLongitude)
        gps_altitude = 12.0 (Exif EXIF:GPSAltitude)
        rotation = 90 (Exif EXIF:Orientation)
        width = 24 (Probe JPEG:SOF.height)
        height = 32 (Probe JPEG:SOF.width)
        title = "Harbour" (IptcIim IPTC:2:5)
        keywords = ["harbour","dawn","Hafen-Café"] (IptcIim IPTC:2:25)
        creator = ["Sam"] (IptcIim IPTC:2:80)
        rights = "© Sam Ltd" (IptcIim IPTC:2:116)
        description = "Boats leaving" (IptcIim IPTC:2:120)
        headline = "Morning" (IptcIim IPTC:2:105)
        credit = "Trove Agency" (IptcIim IPTC:2:110)
        location_name = "Hamburg" (IptcIim IPTC:2:90)
        captured_at = "2021-05-04T10:11:12+02:00" (IptcIim IPTC:2:55)
        "#,
    );
    assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    assert_eq!(x.raw.get("IPTC:2:101").map(String::as_str), Some("Germany"));
    assert_eq!(x.raw.get("EXIF:Make").map(String::as_str), Some("Canon"));
    for v in &x.values {
        let expected = if v.source_key.starts_with("IPTC:") {
            "iptc_iim"
        } else if v.source_key.starts_with("EXIF:") {
            "exif"
        } else {
            "probe"
        };
        assert_eq!(v.origin.claim_source(), expected, "{v:?}");
    }
}

#[test]
fn latin1_iptc_and_exif_without_offset() {
    let dir = TempDir::new().expect("tempdir");
    let jpg = blue_jpeg(&dir);
    exiftool(
        &jpg,
        &[
            "-charset",
            "iptc=Latin",
            "-EXIF:DateTimeOriginal=2020:01:02 03:04:05",
            "-EXIF:ExifImageWidth=32",
            "-EXIF:ExifImageHeight=24",
            "-EXIF:Orientation#=3",
            "-GPSLatitude=33.8568",
            "-GPSLatitudeRef=S",
            "-IPTC:Keywords=Café",
        ],
    );
    let x = read_stills_metadata(&jpg).expect("read");
    assert_values(
        &x,
        r#"
        captured_at = "2020-01-02T03:04:05" (Exif EXIF:DateTimeOriginal)
        rotation = 180 (Exif EXIF:Orientation)
        width = 32 (Exif EXIF:ExifImageWidth)
        height = 24 (Exif EXIF:ExifImageHeight)
        gps_latitude = -33.8568 (Exif EXIF:GPSLatitude)
        keywords = ["Café"] (IptcIim IPTC:2:25)
        "#,
    );
    assert_absent(&x, &["gps_longitude", "camera_make", "title"]);
}

#[test]
fn pictures_without_metadata_have_no_values() {
    let dir = TempDir::new().expect("tempdir");
    let png = ffmpeg(
        &dir,
        "plain.png",
        &["-f", "lavfi", "-i", "color=c=red:s=16x16", "-frames:v", "1"],
    );
    let x = read_stills_metadata(&png).expect("read png");
    assert!(x.values.is_empty(), "{}", dump(&x));
    assert!(x.warnings.is_empty(), "{:?}", x.warnings);

    // A bare JPEG has no EXIF: only its frame size.
    let jpg = blue_jpeg(&dir);
    let x = read_stills_metadata(&jpg).expect("read jpeg");
    assert_values(
        &x,
        "width = 32 (Probe JPEG:SOF.width)
         height = 24 (Probe JPEG:SOF.height)",
    );
    assert_eq!(x.values.len(), 2, "{}", dump(&x));
    assert!(x.values.iter().all(|v| v.origin == Origin::Probe));
}

#[test]
fn garbage_and_missing_files_are_errors_naming_the_file() {
    assert_garbage_and_missing(
        read_stills_metadata,
        "jpg",
        b"\x00\x01this is not a picture at all\xff\xd8",
    );
}

/// A JPEG cut anywhere (through its EXIF, its IPTC or its image data) never panics.
#[test]
fn cut_jpegs_never_panic() {
    let dir = TempDir::new().expect("tempdir");
    let jpg = blue_jpeg(&dir);
    exiftool(
        &jpg,
        &[
            "-EXIF:Make=Canon",
            "-GPSLatitude=1",
            "-GPSLatitudeRef=N",
            "-IPTC:Keywords=harbour",
        ],
    );
    let bytes = std::fs::read(&jpg).expect("read");
    let cut = dir.path().join("cut.jpg");
    for len in (0..bytes.len()).step_by(7) {
        std::fs::write(&cut, &bytes[..len]).expect("write");
        let _ = read_stills_metadata(&cut);
    }
}
