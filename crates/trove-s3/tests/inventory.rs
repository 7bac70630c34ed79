//! Indexing from an S3 Inventory report (moto makes none: the test writes one in S3's format).

use std::io::Write;

use aws_sdk_s3::primitives::ByteStream;
use flate2::write::GzEncoder;
use trove_s3::{Bucket, Error, InventoryOptions, StorageClass};
use trove_testkit::{FaultProxy, Match, MotoServer};

use crate::support::{config, md5_hex, new_bucket, CLASSES};

const SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IntelligentTieringAccessTier";

/// A CSV.gz data file of `lines` lines starting at `first`; every 10th line is an old version.
fn data_file(first: usize, lines: usize) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in first..first + lines {
        let latest = if i % 10 == 9 { "false" } else { "true" };
        writeln!(
            gz,
            "\"media\",\"footage/day+{}/clip%20{i}.mov\",\"v{i}\",\"{latest}\",\"false\",\"{}\",\"2024-05-01T10:00:00.000Z\",\"etag{i}\",\"{}\",\"\"",
            i % 5,
            i * 3,
            CLASSES[i % CLASSES.len()]
        )
        .expect("write csv");
    }
    gz.finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inventory_report_indexes_the_bucket_and_survives_a_cut_download() {
    let moto = MotoServer::start();
    let direct = new_bucket(&moto.endpoint(), "inventory").await;
    let files: Vec<(String, Vec<u8>)> = (0..3)
        .map(|n| {
            (
                format!("media/daily/data/part-{n}.csv.gz"),
                data_file(n * 1000, 1000),
            )
        })
        .collect();
    let mut manifest_files = Vec::new();
    for (key, body) in &files {
        direct
            .client()
            .put_object()
            .bucket("inventory")
            .key(key)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .expect("put data file");
        manifest_files.push(
            serde_json::json!({"key": key, "size": body.len(), "MD5checksum": md5_hex(body)}),
        );
    }
    let manifest = serde_json::json!({
        "sourceBucket": "media",
        "destinationBucket": "arn:aws:s3:::inventory",
        "version": "2016-11-30",
        "creationTimestamp": "1714557600000",
        "fileFormat": "CSV",
        "fileSchema": SCHEMA,
        "files": manifest_files,
    });
    let manifest_key = "media/daily/2024-05-01T01-00Z/manifest.json";
    direct
        .client()
        .put_object()
        .bucket("inventory")
        .key(manifest_key)
        .body(ByteStream::from(
            serde_json::to_vec(&manifest).expect("json"),
        ))
        .send()
        .await
        .expect("put manifest");

    let proxy = FaultProxy::start(moto.addr());
    let bucket = Bucket::new(&config(&proxy.endpoint()), "inventory")
        .await
        .expect("client");
    proxy.reset_after(5000, Match::any().path("part-1.csv.gz"));
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let collect = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(batch) = rx.recv().await {
            all.extend(batch);
        }
        all
    });
    let options = InventoryOptions {
        prefix: "footage/".into(),
        ..InventoryOptions::default()
    };
    let stats = bucket
        .read_inventory(manifest_key, &options, tx)
        .await
        .expect("read inventory");
    let entries = collect.await.expect("collect");
    assert_eq!(stats.source_bucket, "media");
    assert_eq!(stats.files, 3);
    assert_eq!(stats.lines, 3000);
    assert_eq!(stats.objects, 2700, "old versions are left out");
    assert_eq!(stats.resumed, 1, "{stats:?}");
    assert_eq!(entries.len(), 2700);
    let e = entries
        .iter()
        .find(|e| e.key == "footage/day 2/clip 1002.mov")
        .expect("keys are URL-decoded");
    assert_eq!(e.size, 3006);
    assert_eq!(e.etag.as_deref(), Some("etag1002"));
    assert_eq!(e.storage_class, StorageClass::parse(CLASSES[1002 % 7]));
    assert_eq!(e.version_id.as_deref(), Some("v1002"));
    // The resumed download asked for the rest only.
    let ranged: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter_map(|r| r.range)
        .collect();
    assert_eq!(ranged, ["bytes=5000-"]);

    // A damaged file is refused, naming it.
    proxy.flip_byte(100, Match::any().path("part-2.csv.gz"));
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let err = bucket
        .read_inventory(manifest_key, &options, tx)
        .await
        .expect_err("damaged");
    drain.await.expect("drain");
    match &err {
        Error::Inventory { key, .. } => assert_eq!(key, "media/daily/data/part-2.csv.gz"),
        other => panic!("{other:?}"),
    }

    // Parquet reports are refused clearly.
    let mut parquet = manifest.clone();
    parquet["fileFormat"] = "Parquet".into();
    direct
        .client()
        .put_object()
        .bucket("inventory")
        .key("parquet/manifest.json")
        .body(ByteStream::from(
            serde_json::to_vec(&parquet).expect("json"),
        ))
        .send()
        .await
        .expect("put manifest");
    let (tx, _rx) = tokio::sync::mpsc::channel(16);
    let err = bucket
        .read_inventory("parquet/manifest.json", &options, tx)
        .await
        .expect_err("parquet");
    assert_eq!(
        err.to_string(),
        "S3 inventory s3://inventory/parquet/manifest.json: format Parquet is not supported (configure the inventory as CSV)"
    );
}
