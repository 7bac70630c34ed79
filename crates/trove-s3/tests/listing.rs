//! Listing and per-object reads on moto: the acceptance bucket of 5,000 objects.

use std::collections::HashMap;
use std::time::Instant;

use trove_s3::{ListOptions, StorageClass};
use trove_testkit::MotoServer;

use crate::support::{md5_hex, new_bucket, put_all, specs, CLASSES};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_objects_across_all_classes_list_with_class_size_etag_and_head_gives_metadata(
) {
    let moto = MotoServer::start();
    let bucket = new_bucket(&moto.endpoint(), "acceptance").await;
    let specs = specs(5000);
    let started = Instant::now();
    put_all(&bucket, &specs, 24).await;
    eprintln!("put 5,000 objects in {:?}", started.elapsed());

    let (entries, stats) = bucket
        .list_all(&ListOptions::default())
        .await
        .expect("list");
    assert_eq!(entries.len(), 5000, "{stats:?}");
    assert_eq!(stats.objects, 5000);
    assert_eq!(stats.retries, 0);
    // One flat page (all of project-0 and part of project-1), one listing with the delimiter,
    // then project-1 (after the last key seen) to project-7 in parallel, one page each.
    assert_eq!(stats.prefixes, 8, "{stats:?}");
    assert_eq!(stats.requests, 9, "{stats:?}");
    let by_key: HashMap<&str, _> = entries.iter().map(|e| (e.key.as_str(), e)).collect();
    assert_eq!(by_key.len(), 5000, "no key twice");
    let mut per_class = HashMap::new();
    for spec in &specs {
        let entry = by_key[spec.key.as_str()];
        assert_eq!(entry.size, spec.body.len() as u64, "{}", spec.key);
        assert_eq!(entry.etag.as_deref(), Some(md5_hex(&spec.body).as_str()));
        assert_eq!(entry.storage_class, StorageClass::parse(spec.class));
        assert!(entry.last_modified.is_some());
        assert_eq!(
            entry.is_archived(),
            matches!(spec.class, "GLACIER" | "DEEP_ARCHIVE")
        );
        *per_class.entry(entry.storage_class.clone()).or_insert(0) += 1;
    }
    assert_eq!(per_class.len(), CLASSES.len());

    // A prefix lists only its keys.
    let (project3, _) = bucket
        .list_all(&ListOptions {
            prefix: "project-3/".into(),
            ..ListOptions::default()
        })
        .await
        .expect("list prefix");
    assert_eq!(project3.len(), 625);

    // Per-object work: HEAD gives user metadata (archived objects too), tagging gives tags.
    for spec in specs.iter().step_by(250) {
        let head = bucket.head(&spec.key).await.expect("head");
        assert_eq!(head.user_metadata, spec.metadata, "{}", spec.key);
        assert_eq!(head.storage_class, StorageClass::parse(spec.class));
        assert_eq!(head.size, spec.body.len() as u64);
        assert_eq!(head.etag.as_deref(), Some(md5_hex(&spec.body).as_str()));
        // moto refuses GetObjectTagging on archived objects (InvalidObjectState); S3 does not.
        if !head.is_archived() {
            let tags = bucket.tagging(&spec.key).await.expect("tagging");
            assert_eq!(tags, spec.tags);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versioned_listing_gives_the_current_version_and_head_gives_checksums() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{BucketVersioningStatus, ChecksumAlgorithm, VersioningConfiguration};

    let moto = MotoServer::start();
    let bucket = new_bucket(&moto.endpoint(), "versioned").await;
    let client = bucket.client();
    client
        .put_bucket_versioning()
        .bucket("versioned")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    for (key, body) in [
        ("a.mov", "one"),
        ("a.mov", "two"),
        ("b.mov", "bee"),
        ("gone.mov", "x"),
    ] {
        client
            .put_object()
            .bucket("versioned")
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
            .await
            .expect("put");
    }
    client
        .delete_object()
        .bucket("versioned")
        .key("gone.mov")
        .send()
        .await
        .expect("delete");
    let options = ListOptions {
        versions: true,
        ..ListOptions::default()
    };
    let (mut entries, _) = bucket.list_all(&options).await.expect("list versions");
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["a.mov", "b.mov"]);
    assert_eq!(entries[0].size, 3);
    assert_eq!(entries[0].etag.as_deref(), Some(md5_hex(b"two").as_str()));
    let head = bucket.head("a.mov").await.expect("head");
    assert!(entries[0].version_id.is_some());
    assert_eq!(entries[0].version_id, head.version_id);
    assert!(head.checksums.contains_key("SHA256"), "{head:?}");

    // Many versions across prefixes, in pages of two: the fan-out resumes after the last key
    // (KeyMarker) and still gives each current version once.
    let mut expected = Vec::new();
    for p in 0..3 {
        for k in 0..4 {
            let key = format!("dir-{p}/clip-{k}.mov");
            for v in 0..2 {
                client
                    .put_object()
                    .bucket("versioned")
                    .key(&key)
                    .body(ByteStream::from(format!("{key} v{v}").into_bytes()))
                    .send()
                    .await
                    .expect("put");
            }
            expected.push(key);
        }
    }
    let options = ListOptions {
        versions: true,
        page_size: 2,
        ..ListOptions::default()
    };
    let (entries, stats) = bucket.list_all(&options).await.expect("list versions");
    let mut keys: Vec<_> = entries.iter().map(|e| e.key.clone()).collect();
    keys.sort();
    expected.extend(["a.mov".to_owned(), "b.mov".to_owned()]);
    expected.sort();
    assert_eq!(keys, expected, "{stats:?}");
    let clip = entries
        .iter()
        .find(|e| e.key == "dir-1/clip-2.mov")
        .expect("listed");
    assert_eq!(
        clip.etag.as_deref(),
        Some(md5_hex(b"dir-1/clip-2.mov v1").as_str())
    );

    // Asking for restore status is accepted (moto sends none).
    let options = ListOptions {
        restore_status: true,
        ..ListOptions::default()
    };
    let (entries, _) = bucket.list_all(&options).await.expect("list");
    assert_eq!(entries.len(), expected.len());
}
