//! S3 sources end to end against a real moto_server: listing a bucket of 5,000 objects across
//! every storage class, incremental rescans, missing objects, the HEAD and probe jobs (through
//! the fault proxy, which counts what was read), and the errors of `add_s3_source`.

use crate::config;
use trove_engine::{JobEvent, JobOptions, Library, ScanProgress};
use trove_search::SearchOptions;
use trove_testkit::{FaultProxy, MotoServer};

/// The storage classes objects cycle through.
const CLASSES: [&str; 7] = [
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

/// Creates `bucket` on the server and puts `n` small objects in it, cycling through the storage
/// classes, each with user metadata; boto3 with 16 threads (moto's PUT is slow one at a time).
fn fill_bucket(moto: &MotoServer, bucket: &str, n: usize) {
    let script = format!(
        r#"
import os, boto3, concurrent.futures as cf
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
s3.create_bucket(Bucket="{bucket}")
classes = {classes:?}
def put(i):
    s3.put_object(Bucket="{bucket}", Key=f"harbour-{{i % 8}}/shot-{{i % 13:02}}/take-{{i:05}}.txt",
                  Body=(f"take {{i}} " * (i % 17 + 1)).encode(), StorageClass=classes[i % 7],
                  Metadata={{"title": f"Take {{i}}", "project": f"harbour-{{i % 8}}",
                            "keywords": "fog, dawn"}})
with cf.ThreadPoolExecutor(16) as pool:
    list(pool.map(put, range({n})))
"#,
        classes = CLASSES,
    );
    moto.run_python(&script);
}

async fn scan(library: &Library) -> trove_core::ScanReport {
    let quiet = |_: &ScanProgress| {};
    let mut reports = library.scan(&[], &quiet).await.expect("scan");
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

async fn run_jobs(library: &Library) -> Vec<JobEvent> {
    library.plan_jobs().await.expect("plan");
    let events = std::sync::Mutex::new(Vec::new());
    let observer = |e: &JobEvent| {
        if !matches!(e, JobEvent::Progress { .. }) {
            events.lock().expect("lock").push(e.clone());
        }
    };
    library
        .run_jobs(&JobOptions::default(), &observer, std::future::pending())
        .await
        .expect("run jobs");
    events.into_inner().expect("lock")
}

async fn search(library: &Library, query: &str) -> trove_engine::SearchReport {
    let options = SearchOptions {
        limit: 5,
        facets: true,
        ..SearchOptions::default()
    };
    library.search(query, &options).await.expect("search")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_of_5000_objects_is_listed_then_rescanned_for_nothing() {
    let moto = MotoServer::start();
    fill_bucket(&moto, "footage", 5_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let library = Library::open(dir.path()).await.expect("open");
    let source = library
        .add_s3_source("s3://footage", &config(&moto.endpoint()))
        .await
        .expect("add source");
    assert_eq!(source.uri, "s3://footage");

    let first = scan(&library).await;
    assert_eq!((first.files, first.added), (5_000, 5_000), "{first:?}");
    let stats = library.stats().await.expect("stats");
    assert_eq!((stats.assets, stats.locations), (5_000, 5_000));

    // Each object is a location with its class, size, ETag and an archived state from the
    // listing alone.
    let asset = library
        .show("s3://footage/harbour-6/shot-06/take-00006.txt".as_ref())
        .await
        .expect("show");
    let location = &asset.locations[0];
    assert_eq!(
        location.uri,
        "s3://footage/harbour-6/shot-06/take-00006.txt"
    );
    assert_eq!(location.storage_class.as_deref(), Some("DEEP_ARCHIVE"));
    assert_eq!(location.size, "take 6 ".len() as u64 * 7);
    assert_eq!(location.etag.as_ref().map(String::len), Some(32));
    assert_eq!(location.archive_state.as_deref(), Some("archived"));
    assert!(location.mtime_ns.is_some());

    // Search by key words and by the storage class facet.
    let hits = search(&library, "take 00042").await;
    assert_eq!(hits.total, 1, "{:?}", hits.hits);
    let deep = search(&library, "storage_class:deep_archive").await;
    assert_eq!(deep.total, 714);
    let classes = &deep.facets["storage_class"];
    assert_eq!(classes.len(), 1, "{classes:?}");
    let archived = search(&library, "state:archived").await;
    assert_eq!(archived.total, 2 * 714);

    // Nothing changed: nothing written.
    let seq = library.stats().await.expect("stats").change_seq;
    let again = scan(&library).await;
    assert_eq!(
        (again.unchanged, again.added, again.updated, again.missing),
        (5_000, 0, 0, 0)
    );
    assert_eq!(library.stats().await.expect("stats").change_seq, seq);

    // A deleted object is missing, never forgotten.
    moto.run_python(
        r#"
import os, boto3
boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
             aws_access_key_id="test", aws_secret_access_key="test").delete_object(
    Bucket="footage", Key="harbour-2/shot-02/take-00002.txt")
"#,
    );
    let third = scan(&library).await;
    assert_eq!((third.missing, third.unchanged), (1, 4_999));
    let stats = library.stats().await.expect("stats");
    assert_eq!((stats.locations, stats.missing), (5_000, 1));
    let gone = library
        .show("s3://footage/harbour-2/shot-02/take-00002.txt".as_ref())
        .await
        .expect("show");
    assert_eq!(gone.locations[0].state, trove_core::LocationState::Missing);
    assert!(!gone.online);
    let report = library.check().await.expect("check");
    assert!(report.ok, "{:?}", report.problems);
}

/// Puts one object with the venv's boto3: `body_file` is read from disk.
fn put(moto: &MotoServer, bucket: &str, key: &str, body_file: &str, class: &str, meta: &str) {
    moto.run_python(&format!(
        r#"
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
try:
    s3.create_bucket(Bucket="{bucket}")
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
s3.put_object(Bucket="{bucket}", Key="{key}", Body=open("{body_file}", "rb").read(),
              StorageClass="{class}", Metadata={meta})
"#
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_fill_metadata_and_only_hot_media_is_probed_through_ranges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mp4 = dir.path().join("clip.mp4");
    // Several MB of noisy video with its index at the front, as streaming encoders write it.
    crate::ffmpeg(
        &mp4,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25",
            "-t",
            "5",
            "-vf",
            "noise=alls=60:allf=t",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "20M",
            "-movflags",
            "+faststart",
        ],
    );
    let size = std::fs::metadata(&mp4).expect("mp4").len();
    let mp4 = mp4.to_str().expect("utf-8 temp path");
    let moto = MotoServer::start();
    put(
        &moto,
        "clips",
        "hot/harbour dawn.mp4",
        mp4,
        "STANDARD",
        r#"{"title": "Harbour at dawn", "keywords": "boats, fog", "reel": "A001"}"#,
    );
    put(
        &moto,
        "clips",
        "cold/archive.mp4",
        mp4,
        "DEEP_ARCHIVE",
        "{}",
    );
    let proxy = FaultProxy::start(moto.addr());
    let library = Library::open(&dir.path().join("library"))
        .await
        .expect("open");
    library
        .add_s3_source("s3://clips", &config(&proxy.endpoint()))
        .await
        .expect("add source");
    let report = scan(&library).await;
    assert_eq!(report.added, 2);
    proxy.clear_requests();

    let events = run_jobs(&library).await;
    let failed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, JobEvent::Failed { .. }))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    // Two HEAD jobs and one probe (the archived object is not probed).
    assert_eq!(events.len(), 3, "{events:?}");

    let requests = proxy.requests();
    let gets: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "GET" && !r.target.contains("tagging"))
        .collect();
    assert!(
        gets.iter().all(|r| !r.target.contains("archive.mp4")),
        "an archived object was read: {gets:?}"
    );
    assert!(!gets.is_empty(), "the hot object was not probed");
    assert!(
        gets.iter().all(|r| r.range.is_some()),
        "ffprobe read without ranges: {gets:?}"
    );
    assert!(
        proxy.body_bytes() < size / 2,
        "{} bytes transferred for a {size}-byte object",
        proxy.body_bytes()
    );

    let hot = library
        .show("s3://clips/hot/harbour dawn.mp4".as_ref())
        .await
        .expect("show");
    assert_eq!(hot.metadata["title"], "Harbour at dawn");
    assert_eq!(hot.provenance["title"], "s3");
    assert_eq!(
        hot.metadata["keywords"],
        serde_json::json!(["boats", "fog"])
    );
    assert_eq!(hot.metadata["custom.reel"], "A001");
    assert_eq!(hot.metadata["video_codec"], "h264");
    assert_eq!(hot.metadata["width"], 640);
    assert_eq!(hot.locations[0].archive_state, None);

    let cold = library
        .show("s3://clips/cold/archive.mp4".as_ref())
        .await
        .expect("show");
    assert_eq!(cold.locations[0].archive_state.as_deref(), Some("archived"));
    assert!(!cold.metadata.contains_key("video_codec"));
    let found = search(&library, "state:archived").await;
    assert_eq!(found.total, 1);
    let found = search(&library, "fog").await;
    assert_eq!(found.total, 1);

    // Nothing changed: nothing to do.
    assert_eq!(library.plan_jobs().await.expect("plan"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_bucket_checks_access_and_names_the_bucket() {
    let moto = MotoServer::start();
    fill_bucket(&moto, "present", 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let library = Library::open(dir.path()).await.expect("open");

    let missing = library
        .add_s3_source("s3://no-such-bucket", &config(&moto.endpoint()))
        .await
        .expect_err("no such bucket");
    assert!(
        missing
            .to_string()
            .contains("no such bucket: s3://no-such-bucket"),
        "{missing}"
    );

    let mut nocreds = config(&moto.endpoint());
    nocreds.s3.profile = Some("nocreds".into());
    let e = library
        .add_s3_source("s3://present", &nocreds)
        .await
        .expect_err("no credentials");
    assert!(e.to_string().contains("s3://present"), "{e}");
    assert_eq!(library.sources().await.expect("sources").len(), 0);

    let bad = library
        .add_s3_source("s3://x", &config(&moto.endpoint()))
        .await
        .expect_err("bad name");
    assert!(bad.to_string().contains("3 to 63"), "{bad}");

    library
        .add_s3_source("s3://present/a/", &config(&moto.endpoint()))
        .await
        .expect("add");
    let overlap = library
        .add_s3_source("s3://present/a/b", &config(&moto.endpoint()))
        .await
        .expect_err("overlap");
    assert!(overlap.to_string().contains("overlaps"), "{overlap}");
}
