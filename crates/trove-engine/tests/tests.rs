//! Integration tests of the engine: real files, a real SQLite catalog, real inotify.
//!
//! Each test builds its own tree in a temp folder; waits poll the catalog with a deadline.

mod acceptance;
mod exchange;
mod jobs;
mod meta;
mod scan;
mod search;
mod watch;

use std::path::{Path, PathBuf};
use tempfile::TempDir;
use trove_core::{ScanReport, Stats};
use trove_engine::{Library, ScanProgress};

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
