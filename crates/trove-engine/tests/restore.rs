//! Restores end to end against a real moto_server, through the fault proxy (which counts the
//! RestoreObject requests and plays the in-progress header moto never sends): plan with cost,
//! ETA and refusals; start twice = one restore each; a new process sees them ready; verified
//! downloads that stay in their folder; a restore interrupted before it is ready; restore
//! avoidance by a local copy of the same bytes.

use crate::config;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;
use trove_core::restore::{Decision, PlanRequest, Refusal, Tier};
use trove_engine::{
    DownloadTarget, JobSelector, Library, RestoreEvent, ScanProgress, StatusOptions,
};
use trove_testkit::{FaultProxy, Match, MotoServer, RequestRecord};

/// The bytes of object `i`: distinct lengths and contents.
fn body(i: usize) -> Vec<u8> {
    (0..1000 + i * 137)
        .map(|j| ((i * 31 + j) % 251) as u8)
        .collect()
}

/// Creates `bucket` and puts `keys[i]` with `body(i)` in DEEP_ARCHIVE.
fn put_archived(moto: &MotoServer, bucket: &str, keys: &[&str]) {
    moto.run_python(&format!(
        r#"
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
s3.create_bucket(Bucket="{bucket}")
for i, key in enumerate({keys:?}):
    body = bytes((i * 31 + j) % 251 for j in range(1000 + i * 137))
    s3.put_object(Bucket="{bucket}", Key=key, Body=body, StorageClass="DEEP_ARCHIVE")
"#
    ));
}

async fn library_with_bucket(dir: &Path, endpoint: &str, bucket: &str) -> Library {
    let library = Library::open(&dir.join("library")).await.expect("open");
    library
        .add_s3_source(&format!("s3://{bucket}"), &config(endpoint))
        .await
        .expect("add source");
    let quiet = |_: &ScanProgress| {};
    library.scan(&[], &quiet).await.expect("scan");
    library
}

async fn all_assets(library: &Library) -> Vec<OsString> {
    library
        .query_assets("")
        .await
        .expect("query")
        .into_iter()
        .map(|id| OsString::from(id.to_string()))
        .collect()
}

fn restore_requests(log: &[RequestRecord]) -> usize {
    log.iter()
        .filter(|r| r.method == "POST" && r.target.contains("restore"))
        .count()
}

/// The proxy records a request after its response went out: wait until it has `n`.
async fn settled_restores(proxy: &FaultProxy, n: usize) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let seen = restore_requests(&proxy.requests());
        if seen >= n || std::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const STANDARD_7: PlanRequest = PlanRequest {
    tier: Tier::Standard,
    days: 7,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_deep_archive_objects_are_planned_restored_once_and_downloaded() {
    let moto = MotoServer::start();
    let mut keys: Vec<String> = (0..9).map(|i| format!("reel-1/clip-{i:02}.mov")).collect();
    keys.push("../../escape.mov".into());
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    put_archived(&moto, "cold-footage", &key_refs);
    let proxy = FaultProxy::start(moto.addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let library = library_with_bucket(dir.path(), &proxy.endpoint(), "cold-footage").await;
    let assets = all_assets(&library).await;
    assert_eq!(assets.len(), 10);
    let total: u64 = (0..10).map(|i| body(i).len() as u64).sum();

    // The plan: ten objects, their bytes, a cost and an ETA in Standard, Expedited refused.
    let plan = library
        .restore_plan(&assets, STANDARD_7)
        .await
        .expect("plan");
    assert_eq!((plan.to_restore, plan.bytes, plan.refused), (10, total, 0));
    let cost = plan
        .estimate
        .cost
        .expect("a price for Deep Archive Standard");
    // 10 requests at $0.10 per 1,000 plus the bytes at $0.02 per GiB.
    let expected = 10.0 / 1000.0 * 0.10 + total as f64 / 1_073_741_824.0 * 0.02;
    assert!((cost - expected).abs() < 1e-9, "{cost} vs {expected}");
    let eta = plan.estimate.eta.expect("an ETA");
    assert_eq!(eta.max, Duration::from_secs(12 * 3600));
    let expedited = plan
        .by_tier
        .iter()
        .find(|e| e.tier == Tier::Expedited)
        .expect("expedited estimate");
    assert_eq!((expedited.objects, expedited.refused), (0, 10));
    assert!(!plan.prices_as_of.is_empty());

    let refused = library
        .restore_plan(
            &assets,
            PlanRequest {
                tier: Tier::Expedited,
                days: 7,
            },
        )
        .await
        .expect("plan expedited");
    assert_eq!((refused.to_restore, refused.refused), (0, 10));
    for o in &refused.objects {
        assert!(
            matches!(
                &o.decision,
                Decision::Refused(Refusal::TierNotAllowed { .. })
            ),
            "{o:?}"
        );
        assert!(o.message.contains("Expedited"), "{}", o.message);
    }
    // A plan sends nothing.
    assert_eq!(restore_requests(&proxy.requests()), 0);

    // Start twice: one request per object.
    let started = library
        .restore_start(&assets, STANDARD_7)
        .await
        .expect("start");
    assert_eq!((started.recorded, started.run.requested), (10, 10));
    assert!(started.run.failed.is_empty(), "{:?}", started.run.failed);
    let again = library
        .restore_start(&assets, STANDARD_7)
        .await
        .expect("again");
    assert_eq!((again.recorded, again.run.requested), (0, 0));
    assert_eq!(again.plan.in_progress, 10);
    assert_eq!(settled_restores(&proxy, 10).await, 10);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(restore_requests(&proxy.requests()), 10);
    // The work is in the job queue: ten requests done, ten polls waiting.
    let jobs = library.jobs(500).await.expect("jobs");
    let count = |kind: &str, state: &str| {
        jobs.iter()
            .filter(|j| j.kind == kind && j.state == state)
            .count()
    };
    assert_eq!(count("restore_request", "done"), 10);
    assert_eq!(count("restore_poll", "queued"), 10);
    drop(library);

    // A new process: the restores are in the catalog; a check finds them ready.
    let library = Library::open(&dir.path().join("library"))
        .await
        .expect("reopen");
    let before = library
        .restore_status(StatusOptions {
            offline: true,
            ..StatusOptions::default()
        })
        .await
        .expect("status");
    assert_eq!(before.counts.in_progress, 10);
    let status = library
        .restore_status(StatusOptions {
            refresh: true,
            ..StatusOptions::default()
        })
        .await
        .expect("status");
    assert_eq!(status.counts.ready, 10, "{:?}", status.restores);
    assert_eq!(status.run.checked, 10);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    for r in &status.restores {
        let expiry = r.expiry.expect("the expiry S3 reported");
        assert!(expiry > now + 6 * 86_400, "{r:?}");
    }
    let batches: Vec<_> = status
        .events
        .iter()
        .filter(|e| matches!(e, RestoreEvent::BatchReady { ready: 10, .. }))
        .collect();
    assert_eq!(batches.len(), 1, "{:?}", status.events);
    // Announced once.
    let later = library
        .restore_status(StatusOptions::default())
        .await
        .expect("status");
    assert!(
        !later
            .events
            .iter()
            .any(|e| matches!(e, RestoreEvent::BatchReady { .. })),
        "{:?}",
        later.events
    );
    // Ready for long enough (moto's expiry is the request time plus 7 days, not rounded up to
    // midnight as S3's is, so ask for one day): a new start sends nothing.
    let one_day = PlanRequest {
        tier: Tier::Standard,
        days: 1,
    };
    let third = library
        .restore_start(&assets, one_day)
        .await
        .expect("third");
    assert_eq!((third.recorded, third.plan.no_restore_needed), (0, 10));
    assert_eq!(restore_requests(&proxy.requests()), 10);

    // Download: identical bytes, every file inside the folder, verified by MD5 (ETag); a
    // connection reset 700 bytes into one object resumes from where it broke.
    proxy.clear_requests();
    proxy.reset_after(700, Match::any().method("GET").path("clip-03.mov"));
    let out = dir.path().join("out");
    let report = library
        .restore_download(&assets, &DownloadTarget::Folder(out.clone()))
        .await
        .expect("download");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.downloaded.len(), 10);
    let canonical = std::fs::canonicalize(&out).expect("out");
    for d in &report.downloaded {
        let path = d.path.as_ref().expect("a file");
        assert!(
            std::fs::canonicalize(path)
                .expect("written")
                .starts_with(&canonical),
            "{} escaped {}",
            path.display(),
            out.display()
        );
        assert_eq!(d.verification, "md5", "{d:?}");
        let key = d.uri.strip_prefix("s3://cold-footage/").expect("uri");
        let i = keys.iter().position(|k| k == key).expect("a known key");
        assert_eq!(std::fs::read(path).expect("read"), body(i), "{key}");
    }
    assert!(!dir.path().join("escape.mov").exists());
    assert!(out.join("escape.mov").exists());
    let ranges: Vec<Option<String>> = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.target.contains("clip-03.mov"))
        .map(|r| r.range.clone())
        .collect();
    assert!(
        ranges
            .iter()
            .flatten()
            .any(|r| r.starts_with("bytes=") && !r.starts_with("bytes=0-")),
        "no resumed range after the reset: {ranges:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restores_survive_quitting_before_they_are_sent_or_ready() {
    let moto = MotoServer::start();
    put_archived(&moto, "slow-vault", &["a.mov", "b.mov"]);
    let proxy = FaultProxy::start(moto.addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let library = library_with_bucket(dir.path(), &proxy.endpoint(), "slow-vault").await;
    let assets = all_assets(&library).await;

    // Recorded, not sent: the queue is paused, as if the process died before sending.
    library.pause_jobs(JobSelector::All).await.expect("pause");
    let started = library
        .restore_start(&assets, STANDARD_7)
        .await
        .expect("start");
    assert_eq!((started.recorded, started.run.requested), (2, 0));
    let status = library
        .restore_status(StatusOptions {
            offline: true,
            ..StatusOptions::default()
        })
        .await
        .expect("status");
    assert_eq!(status.counts.pending, 2);
    assert_eq!(restore_requests(&proxy.requests()), 0);
    library.resume_jobs(JobSelector::All).await.expect("resume");
    drop(library);

    // S3 takes its time: HEADs say the restore is under way.
    proxy.set_header(
        2,
        Match::any().method("HEAD"),
        "x-amz-restore",
        "ongoing-request=\"true\"",
    );
    let library = Library::open(&dir.path().join("library"))
        .await
        .expect("reopen");
    // The job runner (`trove jobs wait`, the desktop's) sends the pending requests.
    library
        .run_jobs(
            &trove_engine::JobOptions::default(),
            &|_| {},
            std::future::pending(),
        )
        .await
        .expect("run jobs");
    assert_eq!(settled_restores(&proxy, 2).await, 2);
    let status = library
        .restore_status(StatusOptions {
            offline: true,
            ..StatusOptions::default()
        })
        .await
        .expect("status");
    assert_eq!(
        status.counts.in_progress, 2,
        "the pending requests are sent"
    );
    let status = library
        .restore_status(StatusOptions {
            refresh: true,
            ..StatusOptions::default()
        })
        .await
        .expect("status");
    assert_eq!(status.run.checked, 2);
    assert_eq!(status.counts.in_progress, 2, "{:?}", status.restores);
    for r in &status.restores {
        assert_eq!(r.checks, 1);
        assert!(r.next_check.expect("next check") > r.last_checked.expect("checked"));
    }
    drop(library);

    // Another process later: ready, nothing lost, nothing asked twice.
    let library = Library::open(&dir.path().join("library"))
        .await
        .expect("reopen");
    let status = library
        .restore_status(StatusOptions {
            refresh: true,
            ..StatusOptions::default()
        })
        .await
        .expect("status");
    assert_eq!(status.counts.ready, 2, "{:?}", status.restores);
    assert_eq!(status.restores.len(), 2);
    assert_eq!(restore_requests(&proxy.requests()), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_object_with_a_local_copy_needs_no_restore() {
    let moto = MotoServer::start();
    put_archived(&moto, "backup", &["masters/a.mov", "masters/b.mov"]);
    let proxy = FaultProxy::start(moto.addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media).expect("media");
    // The same bytes as masters/a.mov (body 0), under another name.
    std::fs::write(media.join("edit-copy.mov"), body(0)).expect("write");
    let library = Library::open(&dir.path().join("library"))
        .await
        .expect("open");
    library.add_local_source(&media, true).await.expect("local");
    library
        .add_s3_source("s3://backup", &config(&proxy.endpoint()))
        .await
        .expect("s3");
    let quiet = |_: &ScanProgress| {};
    library.scan(&[], &quiet).await.expect("scan");
    let a: Vec<OsString> = vec!["s3://backup/masters/a.mov".into()];
    let b: Vec<OsString> = vec!["s3://backup/masters/b.mov".into()];

    let plan = library.restore_plan(&a, STANDARD_7).await.expect("plan");
    assert_eq!((plan.to_restore, plan.no_restore_needed), (0, 1));
    let o = &plan.objects[0];
    assert!(
        matches!(&o.decision, Decision::NoRestoreNeeded { reason } if reason.contains("edit-copy.mov")),
        "{o:?}"
    );
    assert!(o.message.contains("edit-copy.mov"), "{}", o.message);
    let started = library.restore_start(&a, STANDARD_7).await.expect("start");
    assert_eq!((started.recorded, started.run.requested), (0, 0));
    // The price table is the library's own when it has one (dated), and a broken one names
    // its file.
    let mut prices = trove_core::restore::PriceTable {
        as_of: "2030-01-01".into(),
        ..trove_core::restore::PriceTable::default()
    };
    for p in &mut prices.prices {
        p.per_1000_requests *= 10.0;
    }
    let table = library.dir().join(trove_engine::PRICES_FILE);
    std::fs::write(&table, serde_json::to_vec(&prices).expect("json")).expect("write");
    let priced = library.restore_plan(&b, STANDARD_7).await.expect("plan b");
    assert_eq!(priced.prices_as_of, "2030-01-01");
    let cost = priced.estimate.cost.expect("cost");
    let bytes = priced.bytes as f64 / 1_073_741_824.0;
    assert!(
        (cost - (1.0 / 1000.0 * 1.0 + bytes * 0.02)).abs() < 1e-9,
        "{cost}"
    );
    std::fs::write(&table, b"{ not json").expect("write");
    let broken = library
        .restore_plan(&b, STANDARD_7)
        .await
        .expect_err("broken table");
    assert!(
        broken.to_string().contains(trove_engine::PRICES_FILE),
        "{broken}"
    );
    std::fs::remove_file(&table).expect("remove");
    // The other object has no copy: it is restored.
    let other = library
        .restore_start(&b, STANDARD_7)
        .await
        .expect("start b");
    assert_eq!((other.recorded, other.run.requested), (1, 1));
    assert_eq!(settled_restores(&proxy, 1).await, 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = proxy.requests();
    assert_eq!(restore_requests(&log), 1);
    assert!(
        log.iter()
            .filter(|r| r.method == "POST")
            .all(|r| r.target.contains("b.mov")),
        "{log:?}"
    );
}

/// Creates `vault` and uploads `archives` (description, bytes index for `body`).
fn put_vault(moto: &MotoServer, vault: &str, archives: &[(&str, usize)]) {
    moto.run_python(&format!(
        r#"
import os, boto3
g = boto3.client("glacier", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test")
g.create_vault(vaultName="{vault}")
for description, i in {archives:?}:
    body = bytes((i * 31 + j) % 251 for j in range(1000 + i * 137))
    g.upload_archive(vaultName="{vault}", archiveDescription=description, body=body)
"#
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_is_inventoried_searchable_retrieved_and_verified_by_tree_hash() {
    let moto = MotoServer::start();
    put_vault(
        &moto,
        "film-vault",
        &[
            ("projects/harbour/dawn.mov", 0),
            ("projects/harbour/dusk.mov", 1),
            ("backup of 2014", 2),
        ],
    );
    let proxy = FaultProxy::start(moto.addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let library = Library::open(&dir.path().join("library"))
        .await
        .expect("open");
    let vault_config = trove_engine::GlacierConfig {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint_url: Some(proxy.endpoint()),
    };
    library
        .add_glacier_source("glacier://film-vault", &vault_config)
        .await
        .expect("add vault");
    let quiet = |_: &ScanProgress| {};
    let reports = library.scan(&[], &quiet).await.expect("scan");
    assert_eq!(reports[0].added, 3, "{:?}", reports[0]);
    assert!(reports[0].errors.is_empty(), "{:?}", reports[0].errors);
    assert_eq!(library.stats().await.expect("stats").locations, 3);
    let check = library.check().await.expect("check");
    assert!(check.ok, "{:?}", check.problems);

    // Searchable by the names the descriptions give.
    let dawn = library.query_assets("dawn").await.expect("search");
    assert_eq!(dawn.len(), 1);
    let dawn: Vec<OsString> = dawn.iter().map(|id| id.to_string().into()).collect();
    let shown = library.show(&dawn[0]).await.expect("show");
    assert_eq!(shown.title, "dawn.mov");

    // A vault archive allows Expedited.
    let expedited = PlanRequest {
        tier: Tier::Expedited,
        days: 1,
    };
    let plan = library.restore_plan(&dawn, expedited).await.expect("plan");
    assert_eq!(plan.to_restore, 1, "{:?}", plan.objects);
    assert!(plan.estimate.cost.is_some());
    let started = library
        .restore_start(&dawn, expedited)
        .await
        .expect("start");
    assert_eq!((started.recorded, started.run.requested), (1, 1));
    assert!(started.run.failed.is_empty(), "{:?}", started.run.failed);
    let jobs = library.jobs(100).await.expect("jobs");
    assert!(jobs
        .iter()
        .any(|j| j.kind == "restore_poll" && j.state == "queued"));

    // moto finishes an Expedited job after two seconds: check until then.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = library
            .restore_status(StatusOptions {
                refresh: true,
                ..StatusOptions::default()
            })
            .await
            .expect("status");
        assert!(status.run.failed.is_empty(), "{:?}", status.run.failed);
        if status.counts.ready == 1 {
            assert!(status.restores[0].remote_job.is_some());
            break;
        }
        assert_eq!(status.counts.in_progress, 1, "{:?}", status.restores);
        assert!(std::time::Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // A flipped byte in transit: the tree hash catches it and the output is fetched again.
    proxy.clear_requests();
    proxy.flip_byte(17, Match::any().method("GET").path("/output"));
    let out = dir.path().join("out");
    let report = library
        .restore_download(&dawn, &DownloadTarget::Folder(out.clone()))
        .await
        .expect("download");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let d = &report.downloaded[0];
    assert_eq!(d.verification, "tree_hash", "{d:?}");
    assert!(d.refetches >= 1, "{d:?}");
    let path = d.path.as_ref().expect("path");
    assert_eq!(path, &out.join("projects/harbour/dawn.mov"));
    assert_eq!(std::fs::read(path).expect("read"), body(0));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !proxy.requests().iter().any(|r| r.fault == Some("flip")) {
        assert!(std::time::Instant::now() < deadline, "no byte was flipped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `x-amz-restore` of a finished restore expiring at Unix second `secs`.
fn restored_until(secs: i64) -> String {
    let date = aws_sdk_s3::primitives::DateTime::from_secs(secs)
        .fmt(aws_sdk_s3::primitives::DateTimeFormat::HttpDate)
        .expect("an HTTP date");
    format!("ongoing-request=\"false\", expiry-date=\"{date}\"")
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_409_expiry_warnings_expired_copies_and_copy_back_in_place() {
    let moto = MotoServer::start();
    put_archived(&moto, "edge-cases", &["soon.mov", "gone.mov", "taken.mov"]);
    let proxy = FaultProxy::start(moto.addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let library = library_with_bucket(dir.path(), &proxy.endpoint(), "edge-cases").await;
    let one = |key: &str| -> Vec<OsString> { vec![format!("s3://edge-cases/{key}").into()] };

    // Two SlowDowns, then someone else's restore already under way (409): all success.
    proxy.slow_down(2, Match::any().method("POST").query("restore"));
    let soon = library.restore_start(&one("soon.mov"), STANDARD_7).await;
    let soon = soon.expect("start through SlowDown");
    assert_eq!(
        (soon.recorded, soon.run.failed.len()),
        (1, 0),
        "{:?}",
        soon.run
    );
    proxy.error(
        1,
        Match::any().method("POST").query("restore"),
        409,
        "RestoreAlreadyInProgress",
        "Object restore is already in progress",
    );
    let taken = library.restore_start(&one("taken.mov"), STANDARD_7).await;
    let taken = taken.expect("start through 409");
    assert_eq!(
        (taken.recorded, taken.run.failed.len()),
        (1, 0),
        "{:?}",
        taken.run
    );
    let gone = library.restore_start(&one("gone.mov"), STANDARD_7).await;
    assert_eq!(gone.expect("start").recorded, 1);
    let offline = StatusOptions {
        offline: true,
        ..StatusOptions::default()
    };
    let status = library.restore_status(offline).await.expect("status");
    assert_eq!(status.counts.in_progress, 3, "{:?}", status.restores);

    // S3 reports one copy expiring in two hours and one already gone.
    let now = unix_now();
    proxy.set_header(
        1,
        Match::any().method("HEAD").path("soon.mov"),
        "x-amz-restore",
        &restored_until(now + 2 * 3600),
    );
    proxy.set_header(
        1,
        Match::any().method("HEAD").path("gone.mov"),
        "x-amz-restore",
        &restored_until(now - 60),
    );
    // The restore someone else started (the 409) finished too.
    proxy.set_header(
        1,
        Match::any().method("HEAD").path("taken.mov"),
        "x-amz-restore",
        &restored_until(now + 5 * 86_400),
    );
    let refresh = StatusOptions {
        refresh: true,
        ..StatusOptions::default()
    };
    let status = library.restore_status(refresh).await.expect("status");
    let state = |key: &str| {
        status
            .restores
            .iter()
            .find(|r| r.uri.ends_with(key))
            .map(|r| r.state.clone())
            .expect("a restore")
    };
    assert_eq!(state("soon.mov"), "ready");
    assert_eq!(state("gone.mov"), "expired");
    assert_eq!(state("taken.mov"), "ready");
    let warned: Vec<_> = status
        .events
        .iter()
        .filter_map(|e| match e {
            RestoreEvent::ExpiresSoon { uri, .. } => Some(uri.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(warned, ["s3://edge-cases/soon.mov"], "{:?}", status.events);

    // An expired copy is restored again; a ready one is not.
    let before = restore_requests(&proxy.requests());
    let again = library
        .restore_start(&one("gone.mov"), STANDARD_7)
        .await
        .expect("again");
    assert_eq!((again.recorded, again.run.requested), (1, 1));
    assert_eq!(settled_restores(&proxy, before + 1).await, before + 1);

    // Copied back to STANDARD in place: readable for good, no longer archived.
    let copied = library
        .restore_download(
            &one("soon.mov"),
            &DownloadTarget::InPlace("STANDARD".into()),
        )
        .await
        .expect("in place");
    assert!(copied.problems.is_empty(), "{:?}", copied.problems);
    assert_eq!(copied.downloaded[0].verification, "copied");
    let quiet = |_: &ScanProgress| {};
    library.scan(&[], &quiet).await.expect("rescan");
    let shown = library
        .show("s3://edge-cases/soon.mov".as_ref())
        .await
        .expect("show");
    assert_eq!(
        shown.locations[0].storage_class.as_deref(),
        Some("STANDARD"),
        "{:?}",
        shown.locations
    );
    let plan = library
        .restore_plan(&one("soon.mov"), STANDARD_7)
        .await
        .expect("plan");
    assert_eq!(plan.no_restore_needed, 1, "{:?}", plan.objects);
    // An archive class is refused as a target, naming it.
    let refused = library
        .restore_download(
            &one("taken.mov"),
            &DownloadTarget::InPlace("GLACIER".into()),
        )
        .await;
    let message = refused.expect_err("an archive class").to_string();
    assert!(message.contains("GLACIER"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_starting_at_once_track_one_restore_per_object() {
    let moto = MotoServer::start();
    let keys: Vec<String> = (0..6).map(|i| format!("race/{i}.mov")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    put_archived(&moto, "race-bucket", &refs);
    let proxy = FaultProxy::start(moto.addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let first = library_with_bucket(dir.path(), &proxy.endpoint(), "race-bucket").await;
    // A second handle with its own connections, as another process would have.
    let second = Library::open(&dir.path().join("library"))
        .await
        .expect("second");
    let assets = all_assets(&first).await;
    let (a, b) = tokio::join!(
        first.restore_start(&assets, STANDARD_7),
        second.restore_start(&assets, STANDARD_7)
    );
    let (a, b) = (a.expect("first start"), b.expect("second start"));
    assert_eq!(
        a.recorded + b.recorded,
        6,
        "{} + {}",
        a.recorded,
        b.recorded
    );
    assert_eq!(a.run.requested + b.run.requested, 6);
    assert_eq!(settled_restores(&proxy, 6).await, 6);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(restore_requests(&proxy.requests()), 6);
    let status = first
        .restore_status(StatusOptions {
            offline: true,
            ..StatusOptions::default()
        })
        .await
        .expect("status");
    assert_eq!(status.restores.len(), 6);
    assert_eq!(status.counts.in_progress, 6);
}
