//! Watching: each kind of change reaches the catalog without a rescan being asked for.

use crate::{write, Fixture, MP4};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use trove_engine::{JobOptions, Library, WatchEvent, WatchOptions};

const DEADLINE: Duration = Duration::from_secs(60);

struct Watching {
    stop: Option<oneshot::Sender<()>>,
    events: mpsc::UnboundedReceiver<WatchEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Watching {
    async fn start(library: &Library) -> Watching {
        Self::start_with(library, None).await
    }

    async fn start_with(library: &Library, extract: Option<JobOptions>) -> Watching {
        let (stop, stopped) = oneshot::channel::<()>();
        let (tx, mut events) = mpsc::unbounded_channel();
        let library = library.clone();
        let task = tokio::spawn(async move {
            let observer = move |e: &WatchEvent| {
                let _ = tx.send(e.clone());
            };
            let options = WatchOptions {
                debounce: Duration::from_millis(100),
                poll_roots: Duration::from_millis(200),
                extract,
            };
            library
                .watch(options, &observer, async {
                    let _ = stopped.await;
                })
                .await
                .expect("watch");
        });
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, events.recv()).await {
                Ok(Some(WatchEvent::Ready { .. })) => break,
                Ok(Some(_)) => {}
                other => panic!("the watcher did not get ready: {other:?}"),
            }
        }
        Watching {
            stop: Some(stop),
            events,
            task,
        }
    }

    /// Events received so far.
    fn drain(&mut self) -> Vec<WatchEvent> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.expect("watch task");
        self.events.close();
    }
}

/// Polls `probe` until it returns true, failing after the deadline.
async fn until<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !probe().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn creates_edits_renames_and_deletes_are_followed() {
    let f = Fixture::new().await;
    f.write("a/old.mov", MP4);
    let w = Watching::start(&f.library).await;
    assert_eq!(f.stats().await.locations, 1, "caught up at start");

    let created = f.write("a/new.jpg", b"\xff\xd8\xff\xe0");
    until("a created file", || async {
        f.stats().await.locations == 2
    })
    .await;
    let asset = f
        .library
        .show(created.as_os_str())
        .await
        .expect("created")
        .id;

    std::fs::write(&created, b"\xff\xd8\xff\xe0 longer now").expect("edit");
    until("an edit", || async {
        f.library
            .show(created.as_os_str())
            .await
            .is_ok_and(|a| a.locations[0].size == 15)
    })
    .await;

    std::fs::create_dir_all(f.media.join("b/c")).expect("mkdir");
    let renamed = f.media.join("b/c/renamed.jpg");
    std::fs::rename(&created, &renamed).expect("rename");
    until("a rename across folders", || async {
        f.library
            .show(renamed.as_os_str())
            .await
            .is_ok_and(|a| a.id == asset)
    })
    .await;
    let stats = f.stats().await;
    assert_eq!(
        (stats.locations, stats.missing),
        (2, 0),
        "the rename is a move, not a new file"
    );

    std::fs::rename(f.media.join("b"), f.media.join("moved-folder")).expect("rename folder");
    let in_folder = f.media.join("moved-folder/c/renamed.jpg");
    until("a renamed folder", || async {
        f.library
            .show(in_folder.as_os_str())
            .await
            .is_ok_and(|a| a.id == asset)
    })
    .await;

    std::fs::remove_file(&in_folder).expect("delete");
    until("a delete", || async { f.stats().await.missing == 1 }).await;
    w.stop().await;
    let stats = f.stats().await;
    assert_eq!((stats.assets, stats.locations), (2, 2));
    f.assert_consistent().await;
}

#[tokio::test]
async fn a_burst_of_ten_thousand_files_is_caught() {
    let f = Fixture::new().await;
    let w = Watching::start(&f.library).await;
    let burst = f.media.join("burst");
    for dir in 0..10 {
        for i in 0..1000 {
            write(&burst, &format!("d{dir}/clip{i:04}.mov"), MP4);
        }
    }
    until("10,000 new files", || async {
        f.stats().await.locations == 10_000
    })
    .await;
    w.stop().await;
    // A rescan finds nothing the watcher missed.
    let report = f.scan().await;
    assert_eq!((report.files, report.unchanged), (10_000, 10_000));
    f.assert_consistent().await;
}

/// Lowers the kernel's inotify queue so that a burst overflows it, as on a busy machine; the
/// watcher must fall back to a rescan. Needs root to set the limit; restores it.
#[tokio::test]
async fn an_event_overflow_falls_back_to_a_rescan() {
    const LIMIT: &str = "/proc/sys/fs/inotify/max_queued_events";
    let f = Fixture::new().await;
    let original = std::fs::read_to_string(LIMIT).expect("read the inotify limit");
    if std::fs::write(LIMIT, "32").is_err() {
        eprintln!("not root: cannot lower {LIMIT}; the overflow path is not exercised here");
        return;
    }
    // The limit applies to inotify instances created from now on: only this watcher's.
    let w = Watching::start(&f.library).await;
    std::fs::write(LIMIT, original.trim()).expect("restore the inotify limit");
    for i in 0..2000 {
        f.write(
            &format!("flood/f{i:04}.wav"),
            b"RIFF\x24\x00\x00\x00WAVEfmt ",
        );
    }
    until("every file after the overflow", || async {
        f.stats().await.locations == 2000
    })
    .await;
    // The overflow arrives as its own debounced batch, possibly after a reconciliation of the
    // `flood` folder has already found every file: wait for the rescan rather than sampling once.
    let mut w = w;
    let deadline = Instant::now() + DEADLINE;
    let mut rescans = 0;
    while rescans == 0 && Instant::now() < deadline {
        rescans += w
            .drain()
            .into_iter()
            .filter(|e| matches!(e, WatchEvent::Synced { rescan: true, .. }))
            .count();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(rescans > 0, "the overflow led to a rescan");
    w.stop().await;
    f.assert_consistent().await;
}

#[tokio::test]
async fn an_unplugged_source_goes_offline_and_comes_back() {
    let f = Fixture::new().await;
    f.write("clip.mov", MP4);
    let w = Watching::start(&f.library).await;
    let away = f.media.with_file_name("away");
    std::fs::rename(&f.media, &away).expect("unplug");
    until("offline", || async { f.stats().await.offline == 1 }).await;
    assert_eq!(f.stats().await.missing, 0, "offline is not missing");
    std::fs::rename(&away, &f.media).expect("plug back");
    until("online", || async { f.stats().await.offline == 0 }).await;
    f.write("new.mov", MP4);
    until("changes after coming back", || async {
        f.stats().await.locations == 2
    })
    .await;
    w.stop().await;
    f.assert_consistent().await;
}

#[tokio::test]
async fn new_media_gets_its_metadata_while_watching() {
    let f = Fixture::new().await;
    let w = Watching::start_with(&f.library, Some(JobOptions::default())).await;
    let staging = f.media.with_file_name("staging.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=25:duration=0.5",
        ])
        .args(["-metadata", "title=Fresh take", "-c:v", "libx264"])
        .arg(&staging)
        .status()
        .expect("ffmpeg must be installed: run scripts/setup.sh");
    assert!(status.success());
    // Appear whole, as a copy finishing would: a rename into the source.
    let clip = f.media.join("fresh.mp4");
    std::fs::rename(&staging, &clip).expect("move in");
    until("extracted metadata", || async {
        f.library
            .show(clip.as_os_str())
            .await
            .is_ok_and(|a| a.metadata.contains_key("video_codec"))
    })
    .await;
    let shown = f.library.show(clip.as_os_str()).await.expect("show");
    assert_eq!(shown.title, "Fresh take");
    w.stop().await;
    f.assert_consistent().await;
}
