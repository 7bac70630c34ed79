//! Faults moto does not produce, injected by the proxy between Trove and moto: 503 SlowDown,
//! connections reset mid-listing, a bucket in another region.

use std::collections::HashSet;

use trove_s3::{Bucket, Error, ListOptions};
use trove_testkit::{FaultProxy, Match, MotoServer};

use crate::support::{config, new_bucket, put_all, specs};

/// A bucket of 600 objects on moto, and a proxy in front of it.
async fn setup(name: &str) -> (MotoServer, FaultProxy, Bucket) {
    let moto = MotoServer::start();
    let direct = new_bucket(&moto.endpoint(), name).await;
    put_all(&direct, &specs(600), 24).await;
    let proxy = FaultProxy::start(moto.addr());
    let bucket = Bucket::new(&config(&proxy.endpoint()), name)
        .await
        .expect("client");
    (moto, proxy, bucket)
}

fn unique_keys(entries: &[trove_s3::ObjectEntry]) -> usize {
    entries
        .iter()
        .map(|e| e.key.as_str())
        .collect::<HashSet<_>>()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_down_is_retried_with_backoff_and_lowers_concurrency() {
    let (_moto, proxy, bucket) = setup("throttled").await;
    proxy.slow_down(6, Match::any().query("list-type=2"));
    let options = ListOptions {
        page_size: 40,
        concurrency: 8,
        ..ListOptions::default()
    };
    let (entries, stats) = bucket.list_all(&options).await.expect("list despite 503s");
    assert_eq!(entries.len(), 600);
    assert_eq!(unique_keys(&entries), 600);
    assert_eq!(stats.throttled, 6, "{stats:?}");
    assert!(stats.retries >= 6, "{stats:?}");
    assert!(stats.lowest_concurrency < 8, "{stats:?}");
    // A throttled HEAD has no body, hence no code: its status is enough to retry it.
    proxy.slow_down(2, Match::any().method("HEAD"));
    let head = bucket
        .head(&entries[0].key)
        .await
        .expect("head despite 503s");
    assert_eq!(head.size, entries[0].size);
    let throttled = proxy
        .requests()
        .iter()
        .filter(|r| r.fault == Some("slow-down"))
        .count();
    assert_eq!(throttled, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_down_that_never_ends_is_a_clear_error() {
    let (_moto, proxy, bucket) = setup("always-throttled").await;
    proxy.slow_down(usize::MAX, Match::any());
    let bucket = bucket.with_retry_policy(trove_s3::RetryPolicy {
        max_attempts: 3,
        ..Default::default()
    });
    let err = bucket
        .list_all(&ListOptions::default())
        .await
        .expect_err("throttled for good");
    assert!(
        matches!(err, Error::SlowDown { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "S3 kept throttling requests to s3://always-throttled (503 SlowDown) after 3 attempts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mid_listing_resumes_from_the_last_continuation_token() {
    let (_moto, proxy, bucket) = setup("reset").await;
    // The second page of a flat listing is cut after 3,000 bytes of its body.
    proxy.reset_after(3000, Match::any().query("continuation-token"));
    let options = ListOptions {
        page_size: 100,
        fan_out_depth: 0,
        ..ListOptions::default()
    };
    let (entries, stats) = bucket.list_all(&options).await.expect("list despite reset");
    assert_eq!(entries.len(), 600, "{stats:?}");
    assert_eq!(unique_keys(&entries), 600, "no duplicates");
    assert_eq!(stats.retries, 1, "{stats:?}");
    let requests = proxy.requests();
    let reset = requests
        .iter()
        .position(|r| r.fault == Some("reset"))
        .expect("a reset happened");
    // The retry asked for the very page that was cut, not the start of the listing.
    assert_eq!(requests[reset + 1].target, requests[reset].target);
    assert!(requests[reset].body_bytes == 3000);
    // 6 pages and one retry: nothing was listed twice.
    assert_eq!(requests.len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_region_is_named_and_open_follows_it() {
    let (_moto, proxy, _) = setup("elsewhere").await;
    proxy.wrong_region("eu-west-1");
    let cfg = config(&proxy.endpoint());
    let plain = Bucket::new(&cfg, "elsewhere").await.expect("client");
    let err = plain
        .list_all(&ListOptions::default())
        .await
        .expect_err("wrong region");
    assert_eq!(err.right_region(), Some("eu-west-1"));
    assert_eq!(
        err.to_string(),
        "s3://elsewhere is in another region (eu-west-1): pass --region"
    );
    let err = plain
        .head("project-0/shot-00/clip-00000.mov")
        .await
        .expect_err("head too");
    assert_eq!(err.right_region(), Some("eu-west-1"), "{err:?}");

    let opened = Bucket::open(&cfg, "elsewhere", "")
        .await
        .expect("follows the redirect");
    assert_eq!(opened.region(), "eu-west-1");
    let (entries, _) = opened
        .list_all(&ListOptions::default())
        .await
        .expect("list");
    assert_eq!(entries.len(), 600);
}
