//! Shared set-up: buckets filled quickly (moto's PUT is slow, so uploads run concurrently).

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{StorageClass as SdkClass, Tag, Tagging};
use tokio::task::JoinSet;
use trove_s3::{Bucket, S3Config};

/// The config of a source at `endpoint` (moto or a proxy in front of it).
pub(crate) fn config(endpoint: &str) -> S3Config {
    S3Config {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.to_owned()),
        path_style: true,
    }
}

/// A client for `bucket`, creating the bucket.
pub(crate) async fn new_bucket(endpoint: &str, name: &str) -> Bucket {
    let bucket = Bucket::new(&config(endpoint), name).await.expect("client");
    bucket
        .client()
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("create bucket");
    bucket
}

/// The storage classes the test objects cycle through.
pub(crate) const CLASSES: [&str; 7] = [
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

/// One object the tests put.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) key: String,
    pub(crate) body: Vec<u8>,
    pub(crate) class: &'static str,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) tags: BTreeMap<String, String>,
}

/// `n` objects under a few prefixes, across all classes, each with user metadata.
pub(crate) fn specs(n: usize) -> Vec<Spec> {
    (0..n)
        .map(|i| Spec {
            key: format!("project-{}/shot-{:02}/clip-{i:05}.mov", i % 8, i % 13),
            body: format!("clip {i} ").repeat(i % 17 + 1).into_bytes(),
            class: CLASSES[i % CLASSES.len()],
            metadata: BTreeMap::from([
                ("project".to_owned(), format!("p{}", i % 8)),
                ("camera".to_owned(), "A-cam".to_owned()),
            ]),
            tags: if i % 500 == 0 {
                BTreeMap::from([("reviewed".to_owned(), "yes".to_owned())])
            } else {
                BTreeMap::new()
            },
        })
        .collect()
}

/// Puts all `specs` with `concurrency` uploads at once.
pub(crate) async fn put_all(bucket: &Bucket, specs: &[Spec], concurrency: usize) {
    let mut running = JoinSet::new();
    for spec in specs.iter().cloned() {
        if running.len() >= concurrency {
            running.join_next().await.expect("task").expect("put");
        }
        let client = bucket.client().clone();
        let name = bucket.name().to_owned();
        running.spawn(async move {
            let mut put = client
                .put_object()
                .bucket(&name)
                .key(&spec.key)
                .storage_class(SdkClass::from(spec.class))
                .body(ByteStream::from(spec.body.clone()));
            for (k, v) in &spec.metadata {
                put = put.metadata(k, v);
            }
            put.send().await.expect("put object");
            if !spec.tags.is_empty() {
                let tags = spec
                    .tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build().expect("tag"))
                    .collect();
                client
                    .put_object_tagging()
                    .bucket(&name)
                    .key(&spec.key)
                    .tagging(
                        Tagging::builder()
                            .set_tag_set(Some(tags))
                            .build()
                            .expect("tagging"),
                    )
                    .send()
                    .await
                    .expect("put tagging");
            }
        });
    }
    while let Some(done) = running.join_next().await {
        done.expect("put task");
    }
}

/// Hex MD5 of `bytes` (the ETag of a single-part upload).
pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
