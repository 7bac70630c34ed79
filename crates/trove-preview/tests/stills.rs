//! Stills: the scaled JPEG decode, EXIF orientation, other formats, RAW previews.

use super::*;
use trove_preview::StillDecode;

#[test]
fn a_12_megapixel_jpeg_is_decoded_at_one_eighth() {
    let tmp = TempDir::new().expect("temp dir");
    let source = jpeg(tmp.path(), "12mp.jpg", "4000x3000");
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("12mp", &source, MediaKind::Still),
        &PreviewSettings::posters_only(&[320]),
    );
    assert_eq!(
        p.manifest.stats.still_decode,
        Some(StillDecode::JpegScaled { denominator: 8 })
    );
    assert_eq!(decoded_size(&p.poster(320).expect("poster")), (320, 240));

    // With the 1280 poster too, the decode is at 1/2 (2000 px wide).
    let p = ensure(
        &cache,
        &request("12mp", &source, MediaKind::Still),
        &PreviewSettings::default(),
    );
    assert_eq!(
        p.manifest.stats.still_decode,
        Some(StillDecode::JpegScaled { denominator: 2 })
    );
    assert_eq!(decoded_size(&p.poster(1280).expect("poster")), (1280, 960));
}

#[test]
fn exif_orientation_is_applied() {
    let tmp = TempDir::new().expect("temp dir");
    let plain = jpeg(tmp.path(), "plain.jpg", "4000x3000");
    let rotated = tmp.path().join("rotated.jpg");
    let bytes = std::fs::read(&plain).expect("read");
    std::fs::write(&rotated, with_orientation(&bytes, 6)).expect("write");
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("rot", &rotated, MediaKind::Still),
        &PreviewSettings::posters_only(&[320]),
    );
    // Shown 3000 wide: 1/8 gives 375 ≥ 320.
    assert_eq!(
        p.manifest.stats.still_decode,
        Some(StillDecode::JpegScaled { denominator: 8 })
    );
    assert_eq!(decoded_size(&p.poster(320).expect("poster")), (320, 427));
}

#[test]
fn a_png_goes_through_the_image_crate() {
    let tmp = TempDir::new().expect("temp dir");
    let source = ffmpeg(
        tmp.path(),
        "graphic.png",
        &["-f", "lavfi", "-i", "testsrc2=s=800x600", "-frames:v", "1"],
    );
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("png", &source, MediaKind::Still),
        &PreviewSettings::default(),
    );
    assert_eq!(p.manifest.stats.still_decode, Some(StillDecode::Full));
    assert_eq!(decoded_size(&p.poster(320).expect("poster")), (320, 240));
    assert_eq!(decoded_size(&p.poster(1280).expect("poster")), (800, 600));
}

#[test]
fn a_raw_file_uses_its_largest_embedded_jpeg() {
    let tmp = TempDir::new().expect("temp dir");
    let thumb = std::fs::read(jpeg(tmp.path(), "thumb.jpg", "160x120")).expect("thumb");
    let preview = std::fs::read(jpeg(tmp.path(), "preview.jpg", "1600x1200")).expect("preview");
    // A TIFF-like container, as NEF and CR2 are: header, a thumbnail, the preview, sensor data.
    let mut raw = b"II\x2a\0\x08\0\0\0".to_vec();
    raw.extend_from_slice(&[0u8; 1000]);
    raw.extend_from_slice(&thumb);
    raw.extend_from_slice(&[0x55u8; 3000]);
    raw.extend_from_slice(&preview);
    raw.extend_from_slice(&[0xAAu8; 20_000]);
    let source = tmp.path().join("DSC_0001.NEF");
    std::fs::write(&source, raw).expect("write");
    let (_dir, cache) = cache();
    let p = ensure(
        &cache,
        &request("raw", &source, MediaKind::Still),
        &PreviewSettings::posters_only(&[320]),
    );
    assert_eq!(
        p.manifest.stats.still_decode,
        Some(StillDecode::RawEmbeddedJpeg { denominator: 4 })
    );
    assert_eq!(decoded_size(&p.poster(320).expect("poster")), (320, 240));
}

#[test]
fn a_broken_still_is_an_error_naming_the_file() {
    let tmp = TempDir::new().expect("temp dir");
    let source = tmp.path().join("broken.jpg");
    std::fs::write(&source, b"\xFF\xD8\xFF\xE0 not really a jpeg").expect("write");
    let (_dir, cache) = cache();
    let err = cache
        .ensure(
            &request("b", &source, MediaKind::Still),
            &PreviewSettings::default(),
            &Control::new(),
        )
        .expect_err("not an image");
    assert!(err.to_string().contains("broken.jpg"), "{err}");
}
