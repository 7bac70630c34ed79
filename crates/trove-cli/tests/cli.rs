//! End-to-end tests of the `trove` binary: crashes, bad input and the JSON contract of cli.md.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod s3;

const TROVE: &str = env!("CARGO_BIN_EXE_trove");
const MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";

struct Setup {
    dir: tempfile::TempDir,
    media: PathBuf,
    library: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let media = dir.path().join("media");
        let library = dir.path().join("library");
        std::fs::create_dir_all(&media).expect("mkdir");
        Setup {
            dir,
            media,
            library,
        }
    }

    fn trove(&self) -> Command {
        let mut cmd = Command::new(TROVE);
        cmd.arg("--library").arg(&self.library);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.trove().args(args).output().expect("run trove")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "trove {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
    }

    fn add_source(&self) {
        let out = self
            .trove()
            .args(["source", "add"])
            .arg(&self.media)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn files(&self, n: usize) -> Vec<PathBuf> {
        (0..n)
            .map(|i| {
                let dir = self.media.join(format!("p{}/s{}", i % 7, i % 53));
                std::fs::create_dir_all(&dir).expect("mkdir");
                let path = dir.join(format!("clip_{i:05}.mov"));
                std::fs::write(&path, MP4).expect("write");
                path
            })
            .collect()
    }

    fn assert_check(&self) {
        let out = self.run(&["check", "--json"]);
        assert!(
            out.status.success(),
            "check failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// The nice value (field 19) and scheduling policy (field 41) of a `/proc/.../stat` file.
fn nice_and_policy(stat: &str) -> (i64, i64) {
    let text = std::fs::read_to_string(stat).expect("stat");
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
    let fields: Vec<&str> = text[text.rfind(')').expect("comm") + 2..]
        .split(' ')
        .collect();
    let field = |n: usize| fields[n - 3].parse().expect("a number");
    (field(19), field(41))
}

fn count(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn stats_scan_and_show_follow_the_contract() {
    let s = Setup::new();
    s.add_source();
    std::fs::write(s.media.join("a.mov"), MP4).expect("write");
    std::fs::write(s.media.join("a.xmp"), b"<x:xmpmeta/>").expect("write");
    let scan = s.json(&["scan", "--json"]);
    for key in ["added", "updated", "moved", "missing", "errors"] {
        assert!(scan.get(key).is_some(), "scan --json has {key}: {scan}");
    }
    assert_eq!(count(&scan, "added"), 2);
    let stats = s.json(&["stats", "--json"]);
    for (key, want) in [
        ("assets", 1),
        ("locations", 2),
        ("sources", 1),
        ("offline", 0),
    ] {
        assert_eq!(count(&stats, key), want, "{key} in {stats}");
    }
    let path = s.media.join("a.mov");
    let asset = s.json(&["show", path.to_str().expect("utf-8"), "--json"]);
    assert_eq!(asset["media_type"], "video");
    assert_eq!(asset["title"], "a.mov");
    assert!(asset["metadata"].is_object());
    let location = &asset["locations"][0];
    assert_eq!(location["path"], path.to_str().expect("utf-8"));
    assert!(location["uri"]
        .as_str()
        .is_some_and(|u| u.starts_with("file:///")));
    assert_eq!(location["online"], true);
    assert_eq!(count(location, "size"), MP4.len() as u64);
    let by_id = s.json(&["show", &asset["id"].to_string(), "--json"]);
    assert_eq!(by_id["id"], asset["id"]);

    let missing = s.run(&["show", "/nowhere/x.mov"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nowhere/x.mov"));
    let usage = s.run(&["scan", "--no-such-flag"]);
    assert_eq!(usage.status.code(), Some(2));
}

/// kill -9 at several moments of a scan; the next scan completes it and the counts are exact.
#[test]
fn a_scan_killed_at_any_moment_is_completed_by_the_next() {
    let s = Setup::new();
    s.add_source();
    const FILES: usize = 30_000;
    s.files(FILES);
    let mut killed_mid_scan = 0;
    for delay_ms in [30u64, 120, 300, 600, 1200] {
        let mut child = s
            .trove()
            .arg("scan")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn scan");
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().expect("poll").is_none() {
            killed_mid_scan += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        s.assert_check();
    }
    assert!(
        killed_mid_scan > 0,
        "no kill landed while a scan was running"
    );
    let scan = s.json(&["scan", "--json"]);
    assert_eq!(count(&scan, "files"), FILES as u64);
    let stats = s.json(&["stats", "--json"]);
    assert_eq!(count(&stats, "locations"), FILES as u64);
    assert_eq!(count(&stats, "assets"), FILES as u64);
    assert_eq!(count(&stats, "missing"), 0);
    s.assert_check();
}

/// Files deleted while a scan runs: the scan finishes with exit 0 and the next one is exact.
#[test]
fn files_vanishing_during_a_scan_are_not_fatal() {
    let s = Setup::new();
    s.add_source();
    let files = s.files(20_000);
    let child = s
        .trove()
        .args(["scan", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    for path in files.iter().step_by(4) {
        let _ = std::fs::remove_file(path);
    }
    let out = child.wait_with_output().expect("scan");
    assert!(out.status.success());
    let scan: Value = serde_json::from_slice(&out.stdout).expect("json");
    for e in scan["errors"].as_array().expect("errors") {
        assert!(e["path"].as_str().is_some_and(|p| !p.is_empty()), "{e}");
    }
    s.json(&["scan", "--json"]);
    let stats = s.json(&["stats", "--json"]);
    assert_eq!(
        count(&stats, "locations") - count(&stats, "missing"),
        15_000
    );
    s.assert_check();
}

fn uid_of_self() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

/// Runs trove as an unprivileged user: root reads every folder, whatever its mode.
fn unprivileged(s: &Setup, args: &[&str]) -> Output {
    let mut cmd = if uid_of_self() == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", TROVE]);
        c
    } else {
        Command::new(TROVE)
    };
    cmd.arg("--library")
        .arg(&s.library)
        .args(args)
        .output()
        .expect("run trove")
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn bad_input_is_listed_with_its_path_and_the_scan_goes_on() {
    use std::os::unix::ffi::OsStrExt;
    let s = Setup::new();
    for dir in [s.dir.path(), s.media.as_path()] {
        chmod(dir, 0o777);
    }
    std::fs::create_dir_all(&s.library).expect("mkdir");
    chmod(&s.library, 0o777);
    std::fs::write(s.media.join("ok.mov"), MP4).expect("write");
    let odd = s
        .media
        .join(std::ffi::OsStr::from_bytes(b"odd\xff\xfe name.mov"));
    std::fs::write(&odd, MP4).expect("write");
    let locked = s.media.join("locked");
    std::fs::create_dir_all(locked.join("inner")).expect("mkdir");
    std::fs::write(locked.join("inner/secret.mov"), MP4).expect("write");
    std::fs::create_dir_all(s.media.join("a/b")).expect("mkdir");
    std::os::unix::fs::symlink(s.media.join("a"), s.media.join("a/b/loop")).expect("symlink");

    let out = unprivileged(&s, &["source", "add", s.media.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // First a clean scan, then the folder becomes unreadable: its file must not turn "missing".
    let out = unprivileged(&s, &["scan", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    chmod(&locked, 0o000);
    let out = unprivileged(&s, &["scan", "--json"]);
    chmod(&locked, 0o755);
    assert!(out.status.success(), "exit 0 despite problems");
    let scan: Value = serde_json::from_slice(&out.stdout).expect("json");
    let errors = scan["errors"].as_array().expect("errors");
    let listed = |needle: &str, what: &str| {
        errors.iter().any(|e| {
            e["path"].as_str().is_some_and(|p| p.ends_with(needle))
                && e["message"].as_str().is_some_and(|m| m.contains(what))
        })
    };
    assert!(listed("/locked", "permission denied"), "{errors:?}");
    assert!(listed("/a/b/loop", "loop"), "{errors:?}");
    assert_eq!(
        count(&scan, "missing"),
        0,
        "an unreadable folder is not a deleted one"
    );

    let stats = s.json(&["stats", "--json"]);
    assert_eq!(count(&stats, "locations"), 3);
    assert_eq!(count(&stats, "missing"), 0);
    let asset = s
        .trove()
        .arg("show")
        .arg(&odd)
        .arg("--json")
        .output()
        .expect("show");
    assert!(
        asset.status.success(),
        "the odd name is found by its raw bytes"
    );
    let asset: Value = serde_json::from_slice(&asset.stdout).expect("json");
    let uri = asset["locations"][0]["uri"].as_str().expect("uri");
    assert!(uri.ends_with("/odd%FF%FE%20name.mov"), "{uri}");
    let by_uri = s.json(&["show", uri, "--json"]);
    assert_eq!(by_uri["id"], asset["id"]);
    s.assert_check();
}

#[test]
fn watch_follows_changes_until_terminated() {
    let s = Setup::new();
    s.add_source();
    let mut child = s
        .trove()
        .args(["watch", "--json", "--debounce-ms", "100"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn watch");
    // Background work runs quietly: every thread of the watcher in the idle CPU class at nice
    // 19 (inherited from the main thread, set before the runtime started its threads).
    std::thread::sleep(Duration::from_millis(300));
    let tasks = std::fs::read_dir(format!("/proc/{}/task", child.id())).expect("tasks");
    for task in tasks.flatten() {
        let (nice, policy) = nice_and_policy(&task.path().join("stat").to_string_lossy());
        assert_eq!(
            (nice, policy),
            (19, 5),
            "thread {:?}: nice, SCHED_IDLE",
            task.file_name()
        );
    }
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let wait_for = |what: &str| loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {what} event"));
        if line.contains(what) {
            break;
        }
    };
    wait_for("\"ready\"");
    std::fs::write(s.media.join("new.mov"), MP4).expect("write");
    let deadline2 = Instant::now() + Duration::from_secs(60);
    loop {
        let stats = s.json(&["stats", "--json"]);
        if count(&stats, "locations") == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline2,
            "watch did not record the new file"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().expect("wait");
    assert!(
        status.success(),
        "watch exits cleanly on SIGTERM: {status:?}"
    );
    s.assert_check();
}

/// kill -9 of `jobs wait` mid-run: the next run picks up the interrupted jobs at once.
#[test]
fn extraction_killed_midway_resumes_on_the_next_run() {
    let s = Setup::new();
    s.add_source();
    let first = s.media.join("take_000.wav");
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=0.2",
            "-c:a",
            "pcm_s16le",
        ])
        .arg(&first)
        .status()
        .expect("ffmpeg must be installed: run scripts/setup.sh");
    assert!(status.success());
    const FILES: u64 = 80;
    for i in 1..FILES {
        std::fs::copy(&first, s.media.join(format!("take_{i:03}.wav"))).expect("copy");
    }
    s.json(&["scan", "--json"]);
    let mut child = s
        .trove()
        .args(["jobs", "wait"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn jobs wait");
    // Kill once some work is done but not all of it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let jobs = s.json(&["jobs", "--json"]);
        let done = count(&jobs["stats"], "done");
        if done > 0 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let after_kill = s.json(&["jobs", "--json"]);
    assert!(
        count(&after_kill["stats"], "done") < FILES,
        "the kill landed mid-run: {after_kill}"
    );
    s.assert_check();

    let out = s.json(&["jobs", "wait", "--json"]);
    let finished = count(&out, "done") + count(&out, "failed");
    let jobs = s.json(&["jobs", "--json"]);
    let stats = &jobs["stats"];
    assert_eq!(
        count(stats, "running") + count(stats, "queued"),
        0,
        "{jobs}"
    );
    assert_eq!(count(stats, "done"), FILES, "{jobs}");
    assert_eq!(
        count(&after_kill["stats"], "done") + finished,
        FILES,
        "every job ran to completion exactly once after the kill: {after_kill} then {out}"
    );
}

/// `meta set --query` edits every asset the search selects, as one undoable batch.
#[test]
fn meta_set_by_query_then_search_and_undo() {
    let s = Setup::new();
    s.add_source();
    for name in [
        "A001C001_beach.mov",
        "A001C002_beach.mov",
        "B002C001_city.mov",
    ] {
        std::fs::write(s.media.join(name), MP4).expect("write");
    }
    s.json(&["scan", "--json"]);
    let out = s.run(&["meta", "set", "--query", "beach", "keywords+=sea"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found = s.json(&["search", "keywords:sea", "--json"]);
    assert_eq!(count(&found, "total"), 2, "{found}");
    assert!(found["hits"][0]["locations"][0]["path"].as_str().is_some());
    assert!(found["facets"].is_object());
    let unique = s.json(&["search", "B002C001_city.mov", "--json"]);
    assert!(
        unique["hits"][0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("city")),
        "{unique}"
    );
    assert!(s.run(&["undo"]).status.success());
    assert_eq!(
        count(&s.json(&["search", "keywords:sea", "--json"]), "total"),
        0
    );
    let bad = s.run(&["search", "\"unclosed"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("character"));
    let check = s.json(&["check", "--json"]);
    assert_eq!(check["search_lag"], 0, "{check}");
}

/// `trove search` catches the index up with the catalog before answering; killed (-9) while it
/// does, the index is left behind but never wrong, and the next search repairs it.
#[test]
fn a_search_killed_while_catching_up_is_repaired_by_the_next() {
    let s = Setup::new();
    s.add_source();
    const FILES: usize = 10_000;
    s.files(FILES);
    s.json(&["scan", "--json"]);
    // An index that is up to date, then one edit batch touching every asset for it to catch up.
    assert_eq!(
        count(&s.json(&["search", "clip", "--json"]), "total"),
        FILES as u64
    );
    let out = s.run(&["meta", "set", "--query", "clip", "title=harbour"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lag = s.json(&["check", "--json"])["search_lag"].as_i64();
    assert!(
        lag.is_some_and(|lag| lag > 0),
        "the edits are not applied yet: {lag:?}"
    );
    let mut behind_after_kill = 0;
    for delay_ms in [40u64, 150, 400, 900] {
        let mut child = s
            .trove()
            .args(["search", "harbour"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn search");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let check = s.json(&["check", "--json"]);
        if check["search_lag"].as_i64().is_some_and(|lag| lag > 0) {
            behind_after_kill += 1;
        }
    }
    assert!(
        behind_after_kill > 0,
        "no kill landed while the index was catching up"
    );
    let found = s.json(&["search", "harbour", "--json"]);
    assert_eq!(count(&found, "total"), FILES as u64, "{}", found["facets"]);
    assert_eq!(found["hits"][0]["title"], "harbour");
    let check = s.json(&["check", "--json"]);
    assert_eq!(check["search_lag"], 0, "{check}");
}

/// Collections and saved searches through the CLI: made, filled by a query, searched, listed.
#[test]
fn collections_and_saved_searches() {
    let s = Setup::new();
    s.add_source();
    for name in [
        "A001C001_beach.mov",
        "A001C002_beach.mov",
        "B002C001_city.mov",
    ] {
        std::fs::write(s.media.join(name), MP4).expect("write");
    }
    s.json(&["scan", "--json"]);
    let made = s.json(&["collection", "create", "Selects", "--json"]);
    assert_eq!(made["collection"]["members"], 0, "{made}");
    let added = s.json(&["collection", "add", "Selects", "--query", "c001", "--json"]);
    assert_eq!(added["changed"], 2, "{added}");
    s.json(&[
        "collection",
        "create",
        "Beaches",
        "--query",
        "beach",
        "--sort",
        "-name",
        "--json",
    ]);
    let list = s.json(&["collection", "list", "--json"]);
    assert_eq!(list[0]["name"], "Beaches", "{list}");
    assert_eq!(list[0]["sort"], "-name", "{list}");
    assert_eq!(list[1]["members"], 2, "{list}");
    let within = s.json(&["search", "beach", "--in", "Selects", "--json"]);
    assert_eq!(count(&within, "total"), 1, "{within}");
    let saved = s.json(&["search", "--in", "beaches", "--json"]);
    assert_eq!(count(&saved, "total"), 2, "{saved}");
    assert!(
        saved["hits"][0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("C002")),
        "saved order: name descending: {saved}"
    );
    let unknown = s.run(&["search", "--in", "Nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("Nope"));
    assert!(s.run(&["collection", "delete", "Selects"]).status.success());
    assert!(s.run(&["undo"]).status.success());
    let back = s.json(&["search", "--in", "Selects", "--json"]);
    assert_eq!(count(&back, "total"), 2, "{back}");
}

fn ffmpeg(out: &Path, args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg must be installed: run scripts/setup.sh");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// Every file under `dir` whose name ends with `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found
}

fn preview_jobs(s: &Setup, state: &str) -> Vec<Value> {
    let jobs = s.json(&["jobs", "--json"]);
    jobs["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["kind"] == "preview" && j["state"] == state)
        .cloned()
        .collect()
}

/// Previews through the job queue: killed midway, finished by the next run without redoing
/// what was done; a corrupt video fails once with its reason; copies share one cache entry.
#[test]
fn proxies_survive_a_kill_and_fail_corrupt_video_once() {
    let s = Setup::new();
    s.add_source();
    let sources = [
        "testsrc",
        "testsrc2",
        "smptebars",
        "rgbtestsrc",
        "mandelbrot",
        "life",
    ];
    for (i, pattern) in sources.iter().enumerate() {
        ffmpeg(
            &s.media.join(format!("clip_{i}.mp4")),
            &[
                "-f",
                "lavfi",
                "-i",
                &format!("{pattern}=size=320x240:rate=25"),
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=3",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-t",
                "3",
            ],
        );
    }
    ffmpeg(
        &s.media.join("still.jpg"),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x480",
            "-frames:v",
            "1",
        ],
    );
    ffmpeg(
        &s.media.join("take.wav"),
        &["-f", "lavfi", "-i", "sine=duration=2", "-c:a", "pcm_s16le"],
    );
    let mut corrupt = MP4.to_vec();
    corrupt.extend((0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(s.media.join("broken.mp4"), &corrupt).expect("write");
    s.json(&["scan", "--json"]);
    const MEDIA: usize = 9;

    let mut child = s
        .trove()
        .args(["proxies", "--wait", "--workers", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn proxies");
    let deadline = Instant::now() + Duration::from_secs(120);
    while preview_jobs(&s, "done").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    let done_before = preview_jobs(&s, "done").len();
    assert!(
        done_before > 0 && done_before < MEDIA,
        "the kill landed mid-run"
    );

    let out = s.json(&["proxies", "--wait", "--json"]);
    let done = preview_jobs(&s, "done");
    let failed = preview_jobs(&s, "failed");
    assert_eq!(done.len(), MEDIA - 1, "{out}");
    assert_eq!(failed.len(), 1, "{out}");
    assert!(
        failed[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("broken.mp4")),
        "the reason names the file: {failed:?}"
    );
    assert_eq!(failed[0]["attempts"], 1, "failed once, not retried");
    let again = s.json(&["proxies", "--json"]);
    assert_eq!(again["queued_now"], 0, "nothing left to do: {again}");

    // The proxies play in a browser engine: H.264, at most 720 lines, moov before mdat.
    let cache = s.library.join("previews");
    let proxies = files_ending(&cache, ".mp4");
    assert_eq!(proxies.len(), sources.len(), "{proxies:?}");
    for proxy in &proxies {
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
            .args(["stream=codec_name,height", "-of", "csv=p=0"])
            .arg(proxy)
            .output()
            .expect("ffprobe");
        let text = String::from_utf8_lossy(&out.stdout);
        let (codec, height) = text.trim().split_once(',').expect("codec,height");
        assert_eq!(codec, "h264", "{proxy:?}");
        assert!(height.parse::<u32>().expect("height") <= 720);
        let bytes = std::fs::read(proxy).expect("read proxy");
        let moov = bytes.windows(4).position(|w| w == b"moov").expect("moov");
        let mdat = bytes.windows(4).position(|w| w == b"mdat").expect("mdat");
        assert!(moov < mdat, "faststart: {proxy:?}");
    }

    // A copy under another name shares the entry of its original.
    let entries = files_ending(&cache, "manifest.json").len();
    std::fs::copy(
        s.media.join("clip_0.mp4"),
        s.media.join("copy_of_clip_0.mp4"),
    )
    .expect("copy");
    s.json(&["scan", "--json"]);
    let out = s.json(&["proxies", "--wait", "--json"]);
    assert!(count(&out, "done") >= 1, "{out}");
    assert_eq!(files_ending(&cache, "manifest.json").len(), entries);
}

#[test]
fn dupes_json_keeps_the_contract_and_copies_become_one_asset() {
    let s = Setup::new();
    s.add_source();
    let mut bytes = MP4.to_vec();
    bytes.extend((0..50_000u32).map(|i| (i * 7 % 251) as u8));
    std::fs::write(s.media.join("a.mov"), &bytes).expect("write");
    std::fs::write(s.media.join("b.mov"), &bytes).expect("write");
    s.json(&["scan", "--json"]);
    let found = s.json(&["dupes", "--json"]);
    let group = &found["groups"][0];
    assert_eq!(group["kind"], "exact", "{found}");
    assert_eq!(group["size"], bytes.len(), "{found}");
    let members = group["members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    for m in members {
        assert!(
            m["uri"].as_str().is_some_and(|u| u.starts_with("file:///")),
            "{m}"
        );
        assert!(
            m["path"].is_string() && m["online"] == true && m["size"] == bytes.len(),
            "{m}"
        );
        assert_eq!(m["asset_id"], group["asset_id"], "{m}");
    }
    let batch = found["merge_batch"].as_i64().expect("a merge batch");
    let shown = s.json(&[
        "show",
        s.media.join("b.mov").to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(shown["id"], group["asset_id"]);
    assert_eq!(shown["locations"].as_array().map(Vec::len), Some(2));
    assert_eq!(count(&s.json(&["stats", "--json"]), "assets"), 1);
    assert!(s.run(&["undo", &batch.to_string()]).status.success());
    assert_eq!(count(&s.json(&["stats", "--json"]), "assets"), 2);
    s.assert_check();
}
