//! `trove restore` end to end against a real moto_server behind the fault proxy: each command is
//! a new process, so everything a later one knows comes from the catalog.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use trove_testkit::{FaultProxy, Match, MotoServer, RequestRecord};

const TROVE: &str = env!("CARGO_BIN_EXE_trove");

struct Setup {
    dir: tempfile::TempDir,
    library: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let library = dir.path().join("library");
        Setup { dir, library }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(TROVE)
            .arg("--library")
            .arg(&self.library)
            .args(args)
            .output()
            .expect("run trove")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "trove {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("one JSON document on stdout")
    }

    fn add_bucket(&self, bucket: &str, endpoint: &str) {
        self.ok(&[
            "source",
            "add",
            &format!("s3://{bucket}"),
            "--endpoint-url",
            endpoint,
            "--path-style",
            "--region",
            "us-east-1",
        ]);
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The bytes of object `i`.
fn body(i: usize) -> Vec<u8> {
    (0..2000 + i * 101)
        .map(|j| ((i * 7 + j * 3) % 253) as u8)
        .collect()
}

fn put_archived(moto: &MotoServer, bucket: &str, keys: &[&str]) {
    moto.run_python(&format!(
        r#"
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
s3.create_bucket(Bucket="{bucket}")
for i, key in enumerate({keys:?}):
    body = bytes((i * 7 + j * 3) % 253 for j in range(2000 + i * 101))
    s3.put_object(Bucket="{bucket}", Key=key, Body=body, StorageClass="DEEP_ARCHIVE")
"#
    ));
}

fn restore_requests(log: &[RequestRecord]) -> usize {
    log.iter()
        .filter(|r| r.method == "POST" && r.target.contains("restore"))
        .count()
}

/// The proxy logs a request after its response: wait (at most 5 s) until it has `n`.
fn settled(proxy: &FaultProxy, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = restore_requests(&proxy.requests());
        if seen >= n || Instant::now() > deadline {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn ten_archived_objects_planned_started_twice_ready_in_a_new_process_and_downloaded() {
    let moto = MotoServer::start();
    let mut keys: Vec<String> = (0..9).map(|i| format!("reel/clip-{i}.mov")).collect();
    keys.push("../../escape.mov".into());
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    put_archived(&moto, "deep-reels", &refs);
    let proxy = FaultProxy::start(moto.addr());
    let s = Setup::new();
    s.add_bucket("deep-reels", &proxy.endpoint());
    s.ok(&["scan"]);

    let plan = s.json(&["restore", "plan", "--query", "*", "--json"]);
    assert_eq!(u(&plan["to_restore"]), 10, "{plan}");
    assert!(
        plan["estimate"]["cost"].as_f64().expect("cost") > 0.0,
        "{plan}"
    );
    assert_eq!(u(&plan["estimate"]["eta"]["max"]["secs"]), 12 * 3600);
    assert_eq!(plan["prices_as_of"], "2026-12-03");
    let expedited = plan["by_tier"]
        .as_array()
        .expect("by_tier")
        .iter()
        .find(|e| e["tier"] == "expedited")
        .expect("expedited");
    assert_eq!(u(&expedited["refused"]), 10);
    let human = s.ok(&["restore", "plan", "--query", "*", "--days", "3"]);
    assert!(
        human.contains("(estimate)") && human.contains("prices of 2026-12-03"),
        "{human}"
    );

    let refused = s.json(&[
        "restore",
        "plan",
        "--query",
        "*",
        "--tier",
        "expedited",
        "--json",
    ]);
    assert_eq!((u(&refused["to_restore"]), u(&refused["refused"])), (0, 10));
    for o in refused["objects"].as_array().expect("objects") {
        assert_eq!(o["decision"], "refused", "{o}");
        assert_eq!(o["kind"], "tier_not_allowed", "{o}");
        assert!(
            o["message"]
                .as_str()
                .expect("message")
                .contains("Expedited"),
            "{o}"
        );
    }
    assert_eq!(
        restore_requests(&proxy.requests()),
        0,
        "a plan sends nothing"
    );

    s.ok(&["restore", "start", "--query", "*"]);
    let again = s.json(&["restore", "start", "--query", "*", "--json"]);
    assert_eq!(u(&again["recorded"]), 0, "{again}");
    assert_eq!(settled(&proxy, 10), 10);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        restore_requests(&proxy.requests()),
        10,
        "one request per object"
    );

    let jobs = s.json(&["jobs", "--json"]);
    let kinds: Vec<&str> = jobs["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "restore_request").count(),
        10
    );
    assert_eq!(kinds.iter().filter(|k| **k == "restore_poll").count(), 10);

    let status = s.json(&["restore", "status", "--refresh", "--json"]);
    assert_eq!(u(&status["counts"]["ready"]), 10, "{status}");
    assert!(
        status["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["event"] == "batch_ready" && e["ready"] == 10),
        "{status}"
    );
    let human = s.ok(&["restore", "status"]);
    assert!(human.contains("10 ready"), "{human}");

    let out = s.path("out");
    let report = s.json(&[
        "restore",
        "download",
        "--query",
        "*",
        "--to",
        out.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(
        report["downloaded"].as_array().expect("downloaded").len(),
        10
    );
    let written = files_under(&out);
    assert_eq!(written.len(), 10, "{written:?}");
    for d in report["downloaded"].as_array().expect("downloaded") {
        let key = d["uri"]
            .as_str()
            .and_then(|u| u.strip_prefix("s3://deep-reels/"))
            .expect("uri");
        let i = keys.iter().position(|k| k == key).expect("known key");
        let path = PathBuf::from(d["path"].as_str().expect("path"));
        assert!(
            path.starts_with(&out),
            "{} is outside {}",
            path.display(),
            out.display()
        );
        assert_eq!(std::fs::read(&path).expect("read"), body(i), "{key}");
    }
    assert!(out.join("escape.mov").is_file());
    assert!(!s.dir.path().join("escape.mov").exists());
    assert!(!s.path("../escape.mov").exists());
}

#[test]
fn quitting_between_start_and_ready_loses_no_restore() {
    let moto = MotoServer::start();
    put_archived(&moto, "slow-reels", &["one.mov", "two.mov"]);
    let proxy = FaultProxy::start(moto.addr());
    let s = Setup::new();
    s.add_bucket("slow-reels", &proxy.endpoint());
    s.ok(&["scan"]);
    s.ok(&["restore", "start", "--query", "*", "--tier", "bulk"]);
    assert_eq!(settled(&proxy, 2), 2);

    // The next process finds S3 still working on them.
    proxy.set_header(
        2,
        Match::any().method("HEAD"),
        "x-amz-restore",
        "ongoing-request=\"true\"",
    );
    let status = s.json(&["restore", "status", "--refresh", "--json"]);
    assert_eq!(u(&status["counts"]["in_progress"]), 2, "{status}");
    for r in status["restores"].as_array().expect("restores") {
        assert_eq!(r["tier"], "bulk");
        assert!(u(&r["next_check"]) > u(&r["last_checked"]), "{r}");
    }
    // A later one finds them ready; nothing was asked twice.
    let status = s.json(&["restore", "status", "--refresh", "--json"]);
    assert_eq!(u(&status["counts"]["ready"]), 2, "{status}");
    assert_eq!(restore_requests(&proxy.requests()), 2);
}

#[test]
fn an_archived_object_with_a_local_copy_is_not_requested() {
    let moto = MotoServer::start();
    put_archived(&moto, "masters", &["m/a.mov", "m/b.mov"]);
    let proxy = FaultProxy::start(moto.addr());
    let s = Setup::new();
    let media = s.path("media");
    std::fs::create_dir_all(&media).expect("media");
    std::fs::write(media.join("cut.mov"), body(1)).expect("write");
    s.ok(&["source", "add", media.to_str().expect("utf-8")]);
    s.add_bucket("masters", &proxy.endpoint());
    s.ok(&["scan"]);

    let plan = s.json(&["restore", "plan", "s3://masters/m/b.mov", "--json"]);
    assert_eq!(u(&plan["no_restore_needed"]), 1, "{plan}");
    let o = &plan["objects"][0];
    assert_eq!(o["decision"], "no_restore_needed", "{o}");
    assert!(
        o["reason"].as_str().expect("reason").contains("cut.mov"),
        "{o}"
    );
    let started = s.json(&["restore", "start", "s3://masters/m/b.mov", "--json"]);
    assert_eq!(u(&started["recorded"]), 0, "{started}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(restore_requests(&proxy.requests()), 0);
}

#[test]
fn a_vault_through_the_cli_inventoried_searched_retrieved_and_verified() {
    let moto = MotoServer::start();
    moto.run_python(
        r#"
import os, boto3
g = boto3.client("glacier", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test")
g.create_vault(vaultName="old-tapes")
for description, i in [("tapes/ferry crossing.mov", 0), ("tapes/lighthouse.mov", 1), ("misc", 2)]:
    body = bytes((i * 7 + j * 3) % 253 for j in range(2000 + i * 101))
    g.upload_archive(vaultName="old-tapes", archiveDescription=description, body=body)
"#,
    );
    let proxy = FaultProxy::start(moto.addr());
    let s = Setup::new();
    s.ok(&[
        "source",
        "add",
        "glacier://old-tapes",
        "--endpoint-url",
        &proxy.endpoint(),
        "--region",
        "us-east-1",
    ]);
    let scan = s.json(&["scan", "--json"]);
    assert!(scan.to_string().contains("\"added\":3"), "{scan}");
    let found = s.json(&["search", "lighthouse", "--json"]);
    assert_eq!(u(&found["total"]), 1, "{found}");

    s.ok(&[
        "restore",
        "start",
        "--query",
        "lighthouse",
        "--tier",
        "expedited",
    ]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = s.json(&["restore", "status", "--refresh", "--json"]);
        if u(&status["counts"]["ready"]) == 1 {
            break;
        }
        assert_eq!(u(&status["counts"]["in_progress"]), 1, "{status}");
        assert!(Instant::now() < deadline, "never ready: {status}");
        std::thread::sleep(Duration::from_millis(500));
    }
    proxy.flip_byte(5, Match::any().method("GET").path("/output"));
    let out = s.path("tapes-out");
    let report = s.json(&[
        "restore",
        "download",
        "--query",
        "lighthouse",
        "--to",
        out.to_str().expect("utf-8"),
        "--json",
    ]);
    let d = &report["downloaded"][0];
    assert_eq!(d["verification"], "tree_hash", "{report}");
    assert!(u(&d["refetches"]) >= 1, "{report}");
    assert_eq!(
        std::fs::read(out.join("tapes/lighthouse.mov")).expect("read"),
        body(1)
    );
}
