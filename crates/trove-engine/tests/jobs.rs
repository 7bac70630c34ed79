//! Metadata extraction jobs against media made by the real ffmpeg.

use crate::{extract, ffmpeg, Fixture};
use trove_engine::JobEvent;

#[tokio::test]
async fn probing_fills_technical_and_container_claims() {
    let f = Fixture::new().await;
    let clip = f.media.join("clip.mp4");
    ffmpeg(
        &clip,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=25:duration=1",
            "-metadata",
            "title=Harbour at dawn",
            "-metadata",
            "artist=Jo Camera",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    f.scan().await;
    let (queued, events) = extract(&f).await;
    assert_eq!(queued, 1);
    assert!(
        matches!(events.as_slice(), [JobEvent::Done { .. }]),
        "{events:?}"
    );

    let asset = f.library.show(clip.as_os_str()).await.expect("show");
    let claim = |field: &str| {
        asset
            .claims
            .iter()
            .find(|c| c.field == field)
            .unwrap_or_else(|| panic!("no {field} claim in {:?}", asset.claims))
    };
    assert_eq!(claim("video_codec").value, "h264");
    assert_eq!(claim("video_codec").source, "probe");
    assert_eq!(claim("width").value, 64);
    assert_eq!(claim("title").source, "container_tags");
    assert_eq!(
        asset.metadata.get("title"),
        Some(&serde_json::json!("Harbour at dawn"))
    );
    assert_eq!(
        asset.provenance.get("title").map(String::as_str),
        Some("container_tags")
    );
    assert_eq!(
        asset.metadata.get("frame_rate"),
        Some(&serde_json::json!("25/1"))
    );

    // Nothing changed: nothing to do.
    let (queued, _) = extract(&f).await;
    assert_eq!(queued, 0);
    f.assert_consistent().await;
}

#[tokio::test]
async fn corrupt_media_fails_once_with_its_error_on_the_asset() {
    let f = Fixture::new().await;
    let text = f.write("not-a-movie.mp4", b"this is text, not a movie\n");
    let clip = f.media.join("truncated.mp4");
    ffmpeg(
        &clip,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=25:duration=1",
            "-c:v",
            "libx264",
        ],
    );
    let bytes = std::fs::read(&clip).expect("read");
    std::fs::write(&clip, &bytes[..bytes.len().min(300)]).expect("truncate");
    f.scan().await;
    let (queued, events) = extract(&f).await;
    assert_eq!(queued, 2);
    let failed = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                JobEvent::Failed {
                    retrying: false,
                    ..
                }
            )
        })
        .count();
    assert_eq!(failed, 2, "{events:?}");
    for path in [&text, &clip] {
        let asset = f.library.show(path.as_os_str()).await.expect("show");
        assert_eq!(asset.errors.len(), 1, "{:?}", asset.errors);
        assert!(
            asset.errors[0].contains(&path.display().to_string()),
            "{:?}",
            asset.errors
        );
    }
    // No retry storm: the same files are not queued again.
    let (queued, _) = extract(&f).await;
    assert_eq!(queued, 0);
    // A fixed file is.
    ffmpeg(
        &clip,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=25:duration=1",
            "-c:v",
            "libx264",
        ],
    );
    f.scan().await;
    let (queued, events) = extract(&f).await;
    assert_eq!(queued, 1);
    assert!(
        matches!(events.as_slice(), [JobEvent::Done { .. }]),
        "{events:?}"
    );
    assert!(f
        .library
        .show(clip.as_os_str())
        .await
        .expect("show")
        .errors
        .is_empty());
}
