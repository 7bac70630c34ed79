//! Restores and downloads against moto_server: ten DEEP_ARCHIVE objects restored, tracked to
//! ready and downloaded byte for byte (one of them keyed `../../escape.mov`); moto's state
//! manager for restores that take time; the proxy for what moto never says (409, 503, an
//! in-progress header, resets, flipped bytes).

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::StorageClass as SdkClass;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use sha2::{Digest, Sha256};
use trove_s3::{
    BatchOptions, Bucket, DownloadOptions, Error, ObjectHead, RestoreItem, RestoreOptions,
    RestoreOutcome, RestoreState, RestoreTier, StorageClass, Verification,
};
use trove_testkit::{FaultProxy, Match, MotoServer, RequestRecord};

use crate::support::{config, new_bucket};

const BULK_7: RestoreOptions = RestoreOptions {
    days: Some(7),
    tier: RestoreTier::Bulk,
};

/// Distinct, incompressible-looking bytes.
fn body(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

async fn put(bucket: &Bucket, key: &str, bytes: &[u8], class: &str, with_sha256: bool) {
    let mut put = bucket
        .client()
        .put_object()
        .bucket(bucket.name())
        .key(key)
        .storage_class(SdkClass::from(class))
        .body(ByteStream::from(bytes.to_vec()));
    if with_sha256 {
        put = put.checksum_algorithm(ChecksumAlgorithm::Sha256);
    }
    put.send().await.expect("put object");
}

/// HEADs `key` until `done` says so, or fails after 30 s.
async fn head_until(bucket: &Bucket, key: &str, done: impl Fn(&ObjectHead) -> bool) -> ObjectHead {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let head = bucket.head(key).await.expect("head");
        if done(&head) {
            return head;
        }
        assert!(Instant::now() < deadline, "{key} never got there: {head:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The proxy's log once `done` says it is complete (or after 5 s): the proxy records a request
/// after its response went out, so the client can be a step ahead of the log.
async fn settled(
    proxy: &FaultProxy,
    done: impl Fn(&[RequestRecord]) -> bool,
) -> Vec<RequestRecord> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = proxy.requests();
        if done(&log) || Instant::now() > deadline {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn set_transition(moto: &MotoServer, transition: &str) {
    moto.run_python(&format!(
        r#"
import json, os, urllib.request
body = json.dumps({{"model_name": "s3::keyrestore", "transition": {transition}}}).encode()
req = urllib.request.Request(os.environ["ENDPOINT"] + "/moto-api/state-manager/set-transition", data=body, method="POST")
urllib.request.urlopen(req).read()
"#
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_deep_archive_objects_restore_track_and_download_identically() {
    let moto = MotoServer::start();
    let bucket = new_bucket(&moto.endpoint(), "archive").await;
    let mut objects = Vec::new();
    for i in 0..10u64 {
        let key = if i == 0 {
            "../../escape.mov".to_owned()
        } else {
            format!("projects/p{}/clip-{i}.mov", i % 3)
        };
        let bytes = body(i, 50_000 + i as usize * 37_001);
        // Half carry a SHA-256 checksum, the others only their MD5 ETag.
        put(&bucket, &key, &bytes, "DEEP_ARCHIVE", i % 2 == 0).await;
        objects.push((key, bytes));
    }
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("restored");

    // Before the restore no GET is even sent.
    let head = bucket.head(&objects[1].0).await.expect("head");
    assert!(head.is_archived());
    let err = bucket
        .download(&head, &dir, &DownloadOptions::default())
        .await
        .expect_err("archived");
    assert!(matches!(err, Error::InvalidObjectState { .. }), "{err:?}");

    let items: Vec<RestoreItem> = objects
        .iter()
        .map(|(key, _)| RestoreItem {
            key: key.clone(),
            version_id: None,
            options: BULK_7,
        })
        .collect();
    let (results, stats) = bucket
        .restore_batch(items.clone(), BatchOptions::default())
        .await;
    assert_eq!(results.len(), 10);
    for r in &results {
        assert_eq!(
            r.outcome.as_ref().expect("restore"),
            &RestoreOutcome::Started,
            "{}",
            r.item.key
        );
    }
    assert_eq!(stats.requests, 10);
    // Starting again is no error: each is already restored (moto finishes at once), with the
    // expiry read back.
    let (again, _) = bucket.restore_batch(items, BatchOptions::default()).await;
    for r in &again {
        match r.outcome.as_ref().expect("restore again") {
            RestoreOutcome::AlreadyRestored { expiry: Some(_) } | RestoreOutcome::InProgress => {}
            other => panic!("{}: {other:?}", r.item.key),
        }
    }

    let options = DownloadOptions {
        part_size: 64 * 1024,
        ..DownloadOptions::default()
    };
    for (i, (key, bytes)) in objects.iter().enumerate() {
        let head = head_until(&bucket, key, |h| {
            matches!(h.restore, Some(RestoreState::Restored { expiry: Some(_) }))
        })
        .await;
        assert_eq!(head.storage_class, StorageClass::DeepArchive);
        let done = bucket
            .download(&head, &dir, &options)
            .await
            .expect("download");
        assert!(done.path.starts_with(&dir), "{}", done.path.display());
        let written = std::fs::read(&done.path).expect("read back");
        assert_eq!(sha256(&written), sha256(bytes), "{key}");
        match (&done.verification, i % 2) {
            (Verification::Sha256(_), 0) | (Verification::Md5(_), 1) => {}
            (other, _) => panic!("{key}: {other:?}"),
        }
        assert!(!trove_s3::part_path(&done.path).exists());
    }
    assert_eq!(
        std::fs::read(dir.join("escape.mov"))
            .map(|b| sha256(&b))
            .expect("escape.mov inside DIR"),
        sha256(&objects[0].1)
    );
    assert!(!root.path().join("escape.mov").exists());
    assert!(!root
        .path()
        .parent()
        .expect("parent")
        .join("escape.mov")
        .exists());

    // Downloading again finds the verified file and fetches nothing.
    let head = bucket.head(&objects[3].0).await.expect("head");
    let again = bucket.download(&head, &dir, &options).await.expect("again");
    assert!(again.already_present);
    assert_eq!(again.requests, 0);
    // A different file in the way is not overwritten.
    std::fs::write(&again.path, b"someone else's").expect("write");
    let err = bucket
        .download(&head, &dir, &options)
        .await
        .expect_err("in the way");
    assert!(matches!(err, Error::DestinationExists { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_that_takes_time_is_in_progress_until_ready() {
    let moto = MotoServer::start();
    let bucket = new_bucket(&moto.endpoint(), "slow").await;
    put(&bucket, "reel.mov", &body(7, 10_000), "GLACIER", false).await;
    // Each HEAD, GET or restore of the key advances moto's restore by one step.
    set_transition(&moto, r#"{"progression": "manual", "times": 4}"#);
    let outcome = bucket
        .restore_object("reel.mov", None, BULK_7)
        .await
        .expect("restore");
    assert_eq!(outcome, RestoreOutcome::Started);
    let head = bucket.head("reel.mov").await.expect("head");
    assert_eq!(head.restore, Some(RestoreState::InProgress));
    assert!(head.is_archived());
    let err = bucket
        .download(
            &head,
            Path::new("/nonexistent"),
            &DownloadOptions::default(),
        )
        .await
        .expect_err("not yet");
    assert!(matches!(err, Error::InvalidObjectState { .. }));
    let ready = head_until(&bucket, "reel.mov", |h| !h.is_archived()).await;
    assert!(matches!(
        ready.restore,
        Some(RestoreState::Restored { expiry: Some(_) })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_throttling_and_refusals_through_the_proxy() {
    let moto = MotoServer::start();
    new_bucket(&moto.endpoint(), "faulty").await;
    let proxy = FaultProxy::start(moto.addr());
    let bucket = Bucket::new(&config(&proxy.endpoint()), "faulty")
        .await
        .expect("client")
        .with_retry_policy(trove_s3::RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        });
    put(&bucket, "a.mov", &body(1, 1000), "DEEP_ARCHIVE", false).await;
    put(&bucket, "hot.mov", &body(2, 1000), "STANDARD", false).await;
    let restores = || Match::any().method("POST").query("restore");

    // 409: someone already asked.
    proxy.error(
        1,
        restores(),
        409,
        "RestoreAlreadyInProgress",
        "Object restore is already in progress",
    );
    let outcome = bucket
        .restore_object("a.mov", None, BULK_7)
        .await
        .expect("409 is fine");
    assert_eq!(outcome, RestoreOutcome::InProgress);
    settled(&proxy, |log| log.iter().any(|r| r.status == 409)).await;

    // 503 SlowDown twice, then moto's 202.
    proxy.clear_requests();
    proxy.slow_down(2, restores());
    let outcome = bucket
        .restore_object("a.mov", None, BULK_7)
        .await
        .expect("after 503s");
    assert_eq!(outcome, RestoreOutcome::Started);
    let log = settled(&proxy, |log| log.len() >= 3).await;
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 202]);

    // A second real restore is a 200: already restored, expiry read back.
    let outcome = bucket
        .restore_object("a.mov", None, BULK_7)
        .await
        .expect("200");
    assert!(
        matches!(outcome, RestoreOutcome::AlreadyRestored { expiry: Some(_) }),
        "{outcome:?}"
    );

    // Expedited refused for capacity: a typed error, not retried.
    settled(&proxy, |log| log.len() >= 5).await;
    proxy.clear_requests();
    proxy.error(
        1,
        restores(),
        503,
        "GlacierExpeditedRetrievalNotAvailable",
        "Glacier expedited retrievals are currently not available, please try again later",
    );
    let expedited = RestoreOptions {
        days: Some(1),
        tier: RestoreTier::Expedited,
    };
    let err = bucket
        .restore_object("a.mov", None, expedited)
        .await
        .expect_err("refused");
    assert!(
        matches!(err, Error::ExpeditedUnavailable { ref key, .. } if key == "a.mov"),
        "{err:?}"
    );
    assert_eq!(settled(&proxy, |log| !log.is_empty()).await.len(), 1);

    // A hot object needs no restore.
    let err = bucket
        .restore_object("hot.mov", None, BULK_7)
        .await
        .expect_err("hot");
    assert!(matches!(err, Error::NotArchived { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "s3://faulty/hot.mov is not archived: it needs no restore"
    );

    // A HEAD saying the restore is still going: tracked as in progress, no download.
    proxy.set_header(
        1,
        Match::any().method("HEAD"),
        "x-amz-restore",
        "ongoing-request=\"true\"",
    );
    let head = bucket.head("a.mov").await.expect("head");
    assert_eq!(head.restore, Some(RestoreState::InProgress));
    assert!(head.is_archived());
    let head = bucket.head("a.mov").await.expect("head");
    assert!(matches!(head.restore, Some(RestoreState::Restored { .. })));

    // Batches keep going through throttling, and say what it cost.
    put(&bucket, "b.mov", &body(3, 1000), "GLACIER", false).await;
    put(&bucket, "c.mov", &body(4, 1000), "GLACIER", false).await;
    proxy.slow_down(3, restores());
    let items = ["b.mov", "c.mov"]
        .iter()
        .map(|k| RestoreItem {
            key: (*k).into(),
            version_id: None,
            options: BULK_7,
        })
        .collect();
    let (results, stats) = bucket.restore_batch(items, BatchOptions::default()).await;
    assert!(results.iter().all(|r| r
        .outcome
        .as_ref()
        .is_ok_and(|o| *o == RestoreOutcome::Started)));
    assert_eq!(stats.throttled, 3, "{stats:?}");
    assert_eq!(stats.requests, 5, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_resume_after_resets_and_refetch_corrupted_bytes() {
    let moto = MotoServer::start();
    let direct = new_bucket(&moto.endpoint(), "resume").await;
    let bytes = body(9, 1_000_000);
    put(&direct, "big.mov", &bytes, "DEEP_ARCHIVE", true).await;
    direct
        .restore_object("big.mov", None, BULK_7)
        .await
        .expect("restore");
    let proxy = FaultProxy::start(moto.addr());
    let bucket = Bucket::new(&config(&proxy.endpoint()), "resume")
        .await
        .expect("client");
    let head = head_until(&bucket, "big.mov", |h| !h.is_archived()).await;
    let root = tempfile::tempdir().expect("tempdir");
    let options = DownloadOptions {
        part_size: 256 * 1024,
        ..DownloadOptions::default()
    };

    // A .part left by an earlier run holds the first 300,000 bytes; the connection then breaks
    // 100,000 bytes into the first range.
    let dest = root.path().join("big.mov");
    std::fs::write(trove_s3::part_path(&dest), &bytes[..300_000]).expect("part");
    proxy.reset_after(100_000, Match::any().method("GET").path("big.mov"));
    let done = bucket
        .download_file(&head, &dest, &options)
        .await
        .expect("download");
    assert_eq!(done.resumed_from, 300_000);
    assert_eq!(done.retries, 1);
    assert!(matches!(done.verification, Verification::Sha256(_)));
    assert_eq!(sha256(&std::fs::read(&dest).expect("read")), sha256(&bytes));
    let gets = |log: &[RequestRecord]| -> u64 {
        log.iter()
            .filter(|r| r.method == "GET")
            .map(|r| r.body_bytes)
            .sum()
    };
    let log = settled(&proxy, |log| gets(log) >= 700_000).await;
    let ranges: Vec<String> = log
        .iter()
        .filter(|r| r.method == "GET")
        .filter_map(|r| r.range.clone())
        .collect();
    assert_eq!(ranges[0], "bytes=300000-562143");
    // After the reset, the range resumes from the last byte written.
    assert_eq!(ranges[1], "bytes=400000-562143");
    assert_eq!(gets(&log), 700_000, "nothing fetched twice");

    // A flipped byte in transit: caught by the checksum, the object fetched again.
    let dest = root.path().join("again.mov");
    proxy.flip_byte(1234, Match::any().method("GET").path("big.mov"));
    let done = bucket
        .download_file(&head, &dest, &options)
        .await
        .expect("refetched");
    assert_eq!(done.refetches, 1);
    assert_eq!(sha256(&std::fs::read(&dest).expect("read")), sha256(&bytes));

    // Corrupted every time (one GET per attempt here): an error naming the key, and no file
    // left behind.
    let dest = root.path().join("never.mov");
    for _ in 0..3 {
        proxy.flip_byte(10, Match::any().method("GET").path("big.mov"));
    }
    let whole = DownloadOptions {
        part_size: 4 * 1024 * 1024,
        ..options
    };
    let err = bucket
        .download_file(&head, &dest, &whole)
        .await
        .expect_err("mismatch");
    assert!(
        matches!(err, Error::ChecksumMismatch { ref key, attempts: 3, .. } if key == "big.mov"),
        "{err:?}"
    );
    assert!(err.to_string().contains("s3://resume/big.mov"), "{err}");
    assert!(!dest.exists());
    assert!(!trove_s3::part_path(&dest).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_place_copies_and_multipart_objects() {
    let moto = MotoServer::start();
    let bucket = new_bucket(&moto.endpoint(), "inplace").await;
    let bytes = body(5, 20_000);
    put(&bucket, "keep me/clip 1.mov", &bytes, "DEEP_ARCHIVE", false).await;
    let head = bucket.head("keep me/clip 1.mov").await.expect("head");
    let err = bucket
        .copy_in_place(&head, &StorageClass::Standard)
        .await
        .expect_err("archived");
    assert!(matches!(err, Error::InvalidObjectState { .. }));
    bucket
        .restore_object("keep me/clip 1.mov", None, BULK_7)
        .await
        .expect("restore");
    let head = head_until(&bucket, "keep me/clip 1.mov", |h| !h.is_archived()).await;
    bucket
        .copy_in_place(&head, &StorageClass::Standard)
        .await
        .expect("copy");
    let after = bucket.head("keep me/clip 1.mov").await.expect("head");
    assert_eq!(after.storage_class, StorageClass::Standard);
    assert_eq!(after.size, bytes.len() as u64);

    // A multipart upload's ETag is no hash of the content: downloaded, but unverifiable.
    let big = body(6, 5 * 1024 * 1024 + 1000);
    let client = bucket.client();
    let upload = client
        .create_multipart_upload()
        .bucket("inplace")
        .key("multi.mov")
        .metadata("camera", "A-cam")
        .send()
        .await
        .expect("create");
    let id = upload.upload_id().expect("id");
    let mut parts = Vec::new();
    for (n, chunk) in [&big[..5 * 1024 * 1024], &big[5 * 1024 * 1024..]]
        .iter()
        .enumerate()
    {
        let part = client
            .upload_part()
            .bucket("inplace")
            .key("multi.mov")
            .upload_id(id)
            .part_number(n as i32 + 1)
            .body(ByteStream::from(chunk.to_vec()))
            .send()
            .await
            .expect("part");
        parts.push(
            CompletedPart::builder()
                .part_number(n as i32 + 1)
                .set_e_tag(part.e_tag().map(str::to_owned))
                .build(),
        );
    }
    client
        .complete_multipart_upload()
        .bucket("inplace")
        .key("multi.mov")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let head = bucket.head("multi.mov").await.expect("head");
    assert!(
        head.etag.as_deref().is_some_and(|e| e.ends_with("-2")),
        "{head:?}"
    );
    let root = tempfile::tempdir().expect("tempdir");
    let done = bucket
        .download(&head, root.path(), &DownloadOptions::default())
        .await
        .expect("download");
    assert!(
        matches!(done.verification, Verification::Unverifiable(ref r) if r.contains("multipart"))
    );
    assert_eq!(
        sha256(&std::fs::read(&done.path).expect("read")),
        sha256(&big)
    );

    // Objects over 5 GiB are copied in place part by part; here with 5 MiB parts.
    bucket
        .copy_in_place_multipart(&head, &StorageClass::StandardIa, 5 * 1024 * 1024)
        .await
        .expect("multipart copy");
    let after = bucket.head("multi.mov").await.expect("head");
    assert_eq!(after.storage_class, StorageClass::StandardIa);
    assert_eq!(after.size, big.len() as u64);
    assert_eq!(
        after.user_metadata.get("camera").map(String::as_str),
        Some("A-cam")
    );
    let again = bucket
        .download_file(
            &after,
            &root.path().join("copied.mov"),
            &DownloadOptions::default(),
        )
        .await
        .expect("download the copy");
    assert_eq!(
        sha256(&std::fs::read(&again.path).expect("read")),
        sha256(&big)
    );
}
