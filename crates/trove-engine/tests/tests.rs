//! Integration tests of the engine: real files, a real SQLite catalog, real inotify.
//!
//! Each test builds its own tree in a temp folder; waits poll the catalog with a deadline.

mod acceptance;
mod dupes;
mod dupes_s3;
mod exchange;
mod jobs;
mod meta;
mod restore;
mod s3;
mod scan;
mod search;
mod volumes;
mod watch;

use std::path::{Path, PathBuf};
use tempfile::TempDir;
use trove_core::{ScanReport, Stats};
use trove_engine::{Library, ScanProgress};

/// An S3 source on a local `moto_server` (or the fault proxy in front of it) at `endpoint`.
pub(crate) fn config(endpoint: &str) -> trove_engine::S3SourceConfig {
    trove_engine::S3SourceConfig {
        s3: trove_engine::S3Config {
            profile: None,
            region: Some("us-east-1".into()),
            endpoint_url: Some(endpoint.to_owned()),
            path_style: true,
        },
        inventory: None,
    }
}

/// A library and a source folder, both in one temp folder.
pub(crate) struct Fixture {
    _dir: TempDir,
    pub(crate) media: PathBuf,
    pub(crate) library: Library,
}

impl Fixture {
    pub(crate) async fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let media = dir.path().join("media");
        std::fs::create_dir_all(&media).expect("media dir");
        let library = Library::open(&dir.path().join("library"))
            .await
            .expect("open library");
        library
            .add_local_source(&media, true)
            .await
            .expect("add source");
        Fixture {
            media: std::fs::canonicalize(&media).expect("canonical"),
            _dir: dir,
            library,
        }
    }

    pub(crate) fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        write(&self.media, rel, bytes)
    }

    pub(crate) async fn scan(&self) -> ScanReport {
        let quiet = |_: &ScanProgress| {};
        let mut reports = self.library.scan(&[], &quiet).await.expect("scan");
        assert_eq!(reports.len(), 1);
        reports.remove(0)
    }

    pub(crate) async fn stats(&self) -> Stats {
        self.library.stats().await.expect("stats")
    }

    pub(crate) async fn assert_consistent(&self) {
        let report = self.library.check().await.expect("check");
        assert!(report.ok, "catalog check failed: {:?}", report.problems);
    }
}

pub(crate) fn write(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, bytes).expect("write");
    path
}

/// The first bytes of an MP4 file.
pub(crate) const MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";

/// Runs an external tool the tests need (ffmpeg, exiftool) and returns its stdout.
pub(crate) fn tool(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (scripts/setup.sh): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes `out` with ffmpeg (quiet, overwriting) from `args`.
pub(crate) fn ffmpeg(out: &Path, args: &[&str]) {
    let mut all = vec!["-v", "error", "-y"];
    all.extend_from_slice(args);
    all.push(out.to_str().expect("temp paths are UTF-8"));
    tool("ffmpeg", &all);
}

/// Queues and runs every extraction job; returns how many were queued and what happened.
pub(crate) async fn extract(f: &Fixture) -> (u64, Vec<trove_engine::JobEvent>) {
    let queued = f.library.plan_jobs().await.expect("plan");
    let events = std::sync::Mutex::new(Vec::new());
    let observer = |e: &trove_engine::JobEvent| events.lock().expect("lock").push(e.clone());
    f.library
        .run_jobs(
            &trove_engine::JobOptions::default(),
            &observer,
            std::future::pending(),
        )
        .await
        .expect("run jobs");
    (queued, events.into_inner().expect("lock"))
}
