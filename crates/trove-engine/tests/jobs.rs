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

/// People control the queue: pause it (nothing runs), pause, prioritise, cancel and retry jobs.
#[tokio::test]
async fn the_queue_pauses_resumes_cancels_and_retries() {
    use trove_engine::JobSelector;
    let f = Fixture::new().await;
    let good = f.write("good.mp4", b"");
    ffmpeg(
        &good,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=32x24:rate=5:duration=1",
            "-c:v",
            "mpeg4",
        ],
    );
    let later = f.media.join("later.mp4");
    ffmpeg(
        &later,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=32x24:rate=5:duration=1",
            "-c:v",
            "mpeg4",
        ],
    );
    let bad = f.write("bad.mp4", b"not a movie at all");
    f.scan().await;
    assert_eq!(f.library.plan_jobs().await.expect("plan"), 3);
    let run = || async {
        f.library
            .run_jobs(
                &trove_engine::JobOptions::default(),
                &|_| {},
                std::future::pending(),
            )
            .await
            .expect("run")
    };

    // A paused queue runs nothing, and says so.
    assert_eq!(
        f.library.pause_jobs(JobSelector::All).await.expect("pause"),
        3
    );
    let stats = f.library.job_stats().await.expect("stats");
    assert!(stats.queue_paused);
    assert_eq!((stats.queued, stats.paused), (0, 3));
    let summary = run().await;
    assert!(summary.paused);
    assert_eq!(summary.done, 0);

    // Resuming one job while the queue stays paused still runs nothing; resuming the queue
    // runs the rest, except a job paused by itself.
    assert_eq!(
        f.library
            .resume_jobs(JobSelector::All)
            .await
            .expect("resume"),
        3
    );
    let bad_asset = f.library.show(bad.as_os_str()).await.expect("show").id;
    let bad_job = f
        .library
        .jobs(10)
        .await
        .expect("jobs")
        .into_iter()
        .find(|j| j.asset_id == Some(bad_asset))
        .expect("bad job")
        .id;
    assert_eq!(
        f.library
            .pause_jobs(JobSelector::Ids(&[bad_job]))
            .await
            .expect("pause one"),
        1
    );
    assert_eq!(
        f.library
            .prioritize(later.as_os_str())
            .await
            .expect("prioritize"),
        1
    );
    let top = f.library.jobs(10).await.expect("jobs");
    assert_eq!(top[0].priority, 100, "{top:?}");
    let summary = run().await;
    assert_eq!(
        (summary.done, summary.failed, summary.paused),
        (2, 0, false)
    );
    assert_eq!(f.library.job_stats().await.expect("stats").paused, 1);

    // Cancelled, it does not run; retried, it runs (and fails on the bad file, once).
    assert_eq!(
        f.library
            .cancel_jobs(JobSelector::Ids(&[bad_job]))
            .await
            .expect("cancel"),
        1
    );
    assert_eq!(run().await.done + run().await.failed, 0);
    assert_eq!(
        f.library
            .retry_jobs(JobSelector::Ids(&[bad_job]))
            .await
            .expect("retry"),
        1
    );
    let summary = run().await;
    assert_eq!((summary.done, summary.failed), (0, 1));
    let failed = f.library.job_stats().await.expect("stats");
    assert_eq!((failed.failed, failed.queued), (1, 0));
}
