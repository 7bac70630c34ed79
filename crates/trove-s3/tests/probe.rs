//! Probing media in a bucket without downloading it: ffprobe reads a presigned URL with range
//! requests, and the proxy counts what it transferred.

use std::process::Command;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use trove_s3::Bucket;
use trove_testkit::{FaultProxy, MotoServer};

use crate::support::{config, new_bucket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffprobe_through_a_presigned_url_reads_only_ranges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mp4 = dir.path().join("clip.mp4");
    // About 15 MB of noisy video, moov at the front (as encoders for streaming write it).
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25",
            "-t",
            "5",
        ])
        .args([
            "-vf",
            "noise=alls=60:allf=t",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ])
        .args(["-b:v", "20M", "-movflags", "+faststart"])
        .arg(&mp4)
        .status()
        .expect("run ffmpeg (apt-get install ffmpeg)");
    assert!(status.success());
    let body = std::fs::read(&mp4).expect("read mp4");
    let size = body.len() as u64;
    assert!(size > 10_000_000, "{size}");

    let moto = MotoServer::start();
    let direct = new_bucket(&moto.endpoint(), "media").await;
    direct
        .client()
        .put_object()
        .bucket("media")
        .key("clips/clip one.mp4")
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("put mp4");
    let proxy = FaultProxy::start(moto.addr());
    let bucket = Bucket::new(&config(&proxy.endpoint()), "media")
        .await
        .expect("client");
    let head = bucket.head("clips/clip one.mp4").await.expect("head");
    assert!(!head.is_archived());
    let url = bucket
        .presign_readable(&head, Duration::from_secs(600))
        .await
        .expect("presign");

    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(&url)
        .env_remove("AWS_CA_BUNDLE")
        .output()
        .expect("run ffprobe");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["streams"][0]["codec_name"], "h264");
    assert_eq!(json["format"]["size"], size.to_string());

    // Only GETs read bytes (the HEAD above may be recorded late).
    // An archived object is never read: no URL, no request.
    direct
        .client()
        .put_object()
        .bucket("media")
        .key("clips/archived.mp4")
        .storage_class(aws_sdk_s3::types::StorageClass::DeepArchive)
        .body(ByteStream::from_static(b"not read"))
        .send()
        .await
        .expect("put archived");
    let archived = bucket.head("clips/archived.mp4").await.expect("head");
    let gets = || {
        proxy
            .requests()
            .iter()
            .filter(|r| r.method == "GET")
            .count()
    };
    let before = gets();
    let err = bucket
        .presign_readable(&archived, Duration::from_secs(600))
        .await
        .expect_err("archived");
    assert_eq!(
        err.to_string(),
        "s3://media/clips/archived.mp4 is archived and must be restored before it can be read"
    );
    assert_eq!(gets(), before);

    let requests: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.method != "HEAD")
        .collect();
    let transferred: u64 = requests.iter().map(|r| r.body_bytes).sum();
    eprintln!(
        "ffprobe: {} requests, {transferred} of {size} bytes",
        requests.len()
    );
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.range.is_some()),
        "{requests:?}"
    );
    assert!(
        transferred < size / 4,
        "ffprobe read {transferred} of {size} bytes: {requests:?}"
    );
}
