//! Exact duplicates: the adversarial cases of issue 7 on small trees.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tempfile::TempDir;
use trove_hash::{
    find_exact, hash_file, partial_hash, verify, CacheKey, ContentHash, Error, Exact, FileFacts,
    HashCache, MemoryCache, Options, Stage,
};

use crate::{write, Bytes};

/// Every regular file under `root`, as a walker would list it.
fn list(root: &Path) -> Vec<FileFacts> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("stat");
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.is_file() {
                out.push(FileFacts::from_metadata(path, &meta));
            }
        }
    }
    out
}

fn run(files: &[FileFacts], cache: &dyn HashCache) -> Exact {
    find_exact(
        files,
        cache,
        &Options {
            threads: 2,
            ..Options::default()
        },
        &|_| {},
    )
}

/// The groups as sorted lists of paths relative to `root` (copies only; links listed apart).
fn groups(exact: &Exact, root: &Path) -> Vec<Vec<String>> {
    let rel = |p: &PathBuf| {
        p.strip_prefix(root)
            .expect("under root")
            .display()
            .to_string()
    };
    let mut out: Vec<Vec<String>> = exact
        .groups
        .iter()
        .map(|g| g.copies.iter().map(|c| rel(&c.facts.path)).collect())
        .collect();
    out.sort();
    out
}

/// A tree with every case: copies in 2–4 folders, one-byte variants at the first, middle and
/// last byte and at a third of the way (which only the full hash tells apart), small files,
/// empties and hard links.
fn adversarial() -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    let root = dir.path();
    let mut rng = Bytes::new(7);
    // Larger than a read buffer, so that the full hash takes several reads.
    let base = rng.fill(3 * 1024 * 1024 + 123);
    for folder in ["a", "b", "c"] {
        write(root, &format!("{folder}/base.bin"), &base);
    }
    let variant = |at: usize| {
        let mut v = base.clone();
        v[at] ^= 1;
        v
    };
    let n = base.len();
    write(root, "a/first.bin", &variant(0));
    write(root, "a/middle.bin", &variant(n / 2));
    write(root, "a/last.bin", &variant(n - 1));
    let third = variant(n / 3);
    write(root, "b/third.bin", &third);
    write(root, "d/third copy.bin", &third);
    // Four copies of a mid-size file (sampled, then hashed) and two of a small one.
    let mid = rng.fill(100_000);
    for folder in ["a", "b", "c", "d"] {
        write(root, &format!("{folder}/mid.bin"), &mid);
    }
    let small = rng.fill(1000);
    write(root, "a/small.txt", &small);
    write(root, "c/small.txt", &small);
    let mut small_last = small.clone();
    small_last[999] ^= 0x80;
    write(root, "d/small-last.txt", &small_last);
    for name in ["a/empty", "b/empty", "c/empty"] {
        write(root, name, b"");
    }
    // A hard link to a unique file is not a duplicate; one to a copy is a name of that copy.
    let unique = write(root, "a/unique.bin", &rng.fill(200_000));
    std::fs::hard_link(&unique, root.join("b/unique-link.bin")).expect("hard link");
    std::fs::hard_link(root.join("a/base.bin"), root.join("d/base-link.bin")).expect("link");
    dir
}

#[test]
fn issue_7_groups_copies_and_separates_one_byte_variants() {
    let dir = adversarial();
    let files = list(dir.path());
    let exact = run(&files, &());
    assert!(exact.errors.is_empty(), "{:?}", exact.errors);
    assert_eq!(
        groups(&exact, dir.path()),
        vec![
            vec!["a/base.bin", "b/base.bin", "c/base.bin"],
            vec!["a/mid.bin", "b/mid.bin", "c/mid.bin", "d/mid.bin"],
            vec!["a/small.txt", "c/small.txt"],
            vec!["b/third.bin", "d/third copy.bin"],
        ]
    );
    let base = &exact.groups[0];
    assert_eq!(base.size, 3 * 1024 * 1024 + 123);
    let links: Vec<_> = base.copies.iter().flat_map(|c| c.links.iter()).collect();
    assert_eq!(links, [&dir.path().join("d/base-link.bin")]);
    assert_eq!(
        base.hash,
        hash_file(&dir.path().join("b/base.bin")).expect("hash")
    );
    let s = exact.stats;
    assert_eq!((s.files, s.empty, s.hard_links), (21, 3, 2));
    // Sampled: the 8 files of the base's size (the linked pair once) and the 4 mid copies.
    assert_eq!(s.partial_hashed, 12);
    // Hashed in full: what the samples left alike (3 base, 2 third, 4 mid) and the 3 small
    // files of one size, which are read whole at once.
    assert_eq!(s.full_hashed, 12);
    assert_eq!(s.cache_hits, 0);
}

#[test]
fn the_cache_spares_every_read_on_a_second_run() {
    let dir = adversarial();
    let files = list(dir.path());
    let cache = MemoryCache::new();
    let first = run(&files, &cache);
    assert!(first.stats.bytes_read > 0);
    let second = run(&files, &cache);
    assert_eq!(second.stats.bytes_read, 0);
    assert_eq!(
        (second.stats.partial_hashed, second.stats.full_hashed),
        (0, 0)
    );
    assert_eq!(groups(&second, dir.path()), groups(&first, dir.path()));
    assert_eq!(second.groups, first.groups);
}

#[test]
fn a_file_known_only_by_its_full_hash_is_sampled_not_read_whole() {
    // The catalog may hold full hashes without samples: a new same-size file then costs a
    // sample of each, and a full read only if the samples agree.
    let dir = TempDir::new().expect("temp dir");
    let mut rng = Bytes::new(3);
    let old = write(dir.path(), "old.bin", &rng.fill(1 << 20));
    write(dir.path(), "new.bin", &rng.fill(1 << 20));
    let files = list(dir.path());
    let cache = MemoryCache::new();
    let facts = files.iter().find(|f| f.path == old).expect("listed");
    cache.put(
        &facts.into(),
        trove_hash::CachedHashes {
            partial: None,
            full: Some(hash_file(&old).expect("hash")),
        },
    );
    let exact = run(&files, &cache);
    assert!(exact.groups.is_empty());
    assert_eq!(exact.stats.partial_hashed, 2);
    assert_eq!(exact.stats.full_hashed, 0);
    assert_eq!(exact.stats.bytes_read, 2 * 3 * 16 * 1024);
}

#[test]
fn unreadable_and_changed_files_are_named_and_the_rest_goes_on() {
    let dir = TempDir::new().expect("temp dir");
    let mut rng = Bytes::new(11);
    let content = rng.fill(80_000);
    for name in ["a.bin", "b.bin", "gone.bin", "changed.bin"] {
        write(dir.path(), name, &content);
    }
    let files = list(dir.path());
    std::fs::remove_file(dir.path().join("gone.bin")).expect("remove");
    // Same size, other bytes and a new mtime: hashing it would describe another version.
    let changed = dir.path().join("changed.bin");
    std::fs::write(&changed, rng.fill(80_000)).expect("rewrite");
    let when = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&changed)
        .and_then(|f| f.set_modified(when))
        .expect("set mtime");
    let exact = run(&files, &());
    assert_eq!(groups(&exact, dir.path()), vec![vec!["a.bin", "b.bin"]]);
    let messages: Vec<String> = exact.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        matches!(&exact.errors[0], Error::Changed { path } if *path == changed),
        "{messages:?}"
    );
    assert!(
        matches!(&exact.errors[1], Error::Io { path, .. } if path.ends_with("gone.bin")),
        "{messages:?}"
    );
}

#[test]
fn progress_starts_each_stage_and_counts_every_file() {
    let dir = adversarial();
    let files = list(dir.path());
    let partial = AtomicU64::new(0);
    let full = AtomicU64::new(0);
    let (full_bytes, full_total) = (AtomicU64::new(0), AtomicU64::new(0));
    let exact = find_exact(&files, &(), &Options::default(), &|p| {
        let counter = match p.stage {
            Stage::Partial => &partial,
            Stage::Full => &full,
        };
        assert!(p.files_done <= p.files_total && p.bytes_done <= p.bytes_total);
        counter.fetch_max(p.files_done, Ordering::Relaxed);
        if p.stage == Stage::Full {
            // Bytes move while a set of candidates is read, not only when its files are done.
            full_bytes.fetch_max(p.bytes_done, Ordering::Relaxed);
            full_total.store(p.bytes_total, Ordering::Relaxed);
        }
    });
    assert_eq!(partial.into_inner(), exact.stats.partial_hashed);
    assert_eq!(full.into_inner(), exact.stats.full_hashed);
    assert_eq!(full_bytes.into_inner(), full_total.into_inner());
}

#[test]
fn hash_file_is_blake3_and_verify_notices_a_change() {
    let dir = TempDir::new().expect("temp dir");
    let bytes = Bytes::new(5).fill(5 * 1024 * 1024 + 1);
    let path = write(dir.path(), "clip.mov", &bytes);
    let hash = hash_file(&path).expect("hash");
    assert_eq!(hash, ContentHash::from(blake3::hash(&bytes)));
    assert_eq!(ContentHash::from_hex(&hash.to_string()), Some(hash));
    assert!(verify(&path, &hash).expect("verify"));
    let mut other = bytes.clone();
    other[4 * 1024 * 1024] ^= 1;
    std::fs::write(&path, &other).expect("rewrite");
    assert!(!verify(&path, &hash).expect("verify"));
    // The middle byte shows in the sample; a byte at a third of the way does not.
    let sample = partial_hash(&path).expect("partial");
    let n = other.len();
    other[n / 2] ^= 1;
    std::fs::write(&path, &other).expect("rewrite");
    assert_ne!(partial_hash(&path).expect("partial"), sample);
    other[n / 2] ^= 1;
    other[n / 3] ^= 1;
    std::fs::write(&path, &other).expect("rewrite");
    assert_eq!(partial_hash(&path).expect("partial"), sample);
    assert!(matches!(
        hash_file(&dir.path().join("none")),
        Err(Error::Io { .. })
    ));
}

#[test]
fn many_threads_on_many_large_files_share_their_buffers_safely() {
    // Regression: a thread waiting inside BLAKE3's `update_rayon` may run another file's job;
    // a read buffer borrowed for the first file made the second panic ("RefCell already
    // borrowed"; seen in 7 of 12 release runs of the benchmark at 8 threads, rarely in debug).
    let dir = TempDir::new().expect("temp dir");
    let mut rng = Bytes::new(13);
    for pair in 0..100 {
        let bytes = rng.fill(200 * 1024 + pair);
        write(dir.path(), &format!("a/{pair}.bin"), &bytes);
        write(dir.path(), &format!("b/{pair}.bin"), &bytes);
    }
    let files = list(dir.path());
    for _ in 0..5 {
        let options = Options {
            threads: 16,
            ..Options::default()
        };
        let exact = find_exact(&files, &(), &options, &|_| {});
        assert_eq!(exact.groups.len(), 100);
        assert!(exact.errors.is_empty());
    }
}

#[test]
fn a_cancelled_run_stops_and_the_next_one_resumes_from_the_cache() {
    let dir = adversarial();
    let files = list(dir.path());
    let cache = MemoryCache::new();
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let options = Options {
        threads: 1,
        cancel: Some(cancel.clone()),
    };
    // Cancel as soon as the full stage has hashed two files.
    let cancelled = find_exact(&files, &cache, &options, &|p| {
        if p.stage == Stage::Full && p.files_done == 2 {
            cancel.store(true, Ordering::Relaxed);
        }
    });
    assert!(cancelled.cancelled && cancelled.groups.is_empty());
    // Candidates of one size are read together, so the stop comes at the end of a chunk of
    // the set being read: some files are done (and cached), not all.
    let done = cancelled.stats.full_hashed;
    assert!((2..12).contains(&done), "{done} hashed before the stop");
    let resumed = run(&files, &cache);
    assert!(!resumed.cancelled);
    assert_eq!(resumed.groups.len(), 4);
    assert_eq!(resumed.stats.full_hashed, 12 - done);
    assert_eq!(resumed.stats.partial_hashed, 0);
}

#[test]
fn a_fifo_where_a_file_was_listed_is_an_error_not_a_hang() {
    let dir = TempDir::new().expect("temp dir");
    let content = Bytes::new(17).fill(70_000);
    write(dir.path(), "a.bin", &content);
    let b = write(dir.path(), "b.bin", &content);
    let files = list(dir.path());
    std::fs::remove_file(&b).expect("remove");
    let status = std::process::Command::new("mkfifo")
        .arg(&b)
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    // Opening a FIFO for reading blocks until a writer comes, unless the open does not block.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&files, &()));
    });
    let exact = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("find_exact hung on a FIFO");
    assert!(exact.groups.is_empty());
    assert_eq!(exact.errors.len(), 1);
    assert!(
        exact.errors[0].to_string().contains("not a regular file"),
        "{}",
        exact.errors[0]
    );
    assert!(hash_file(&b).is_err());
}

#[test]
fn copies_read_in_step_split_where_they_differ_and_each_keeps_its_own_blake3() {
    // Five files of one size whose samples (head, middle, tail) agree: A = B; C = D, which
    // differ from A in the third 1 MiB chunk; E differs from all in the first chunk, past the
    // head sample. Read together, each content leaves with the hasher state of the bytes before.
    let dir = TempDir::new().expect("temp dir");
    let base = Bytes::new(21).fill(3 * 1024 * 1024 + 77);
    let mut c = base.clone();
    c[2 * 1024 * 1024 + 5] ^= 0x10;
    let mut e = base.clone();
    e[700_000] ^= 0x01;
    for (name, bytes) in [
        ("a.bin", &base),
        ("b.bin", &base),
        ("c.bin", &c),
        ("d.bin", &c),
        ("e.bin", &e),
    ] {
        write(dir.path(), name, bytes);
    }
    let files = list(dir.path());
    let cache = MemoryCache::new();
    let exact = run(&files, &cache);
    assert!(exact.errors.is_empty(), "{:?}", exact.errors);
    assert_eq!(
        groups(&exact, dir.path()),
        vec![vec!["a.bin", "b.bin"], vec!["c.bin", "d.bin"]]
    );
    for group in &exact.groups {
        for copy in &group.copies {
            assert_eq!(group.hash, hash_file(&copy.facts.path).expect("hash"));
        }
    }
    assert_ne!(exact.groups[0].hash, exact.groups[1].hash);
    // Every file was read whole once and got its full hash, the lone one too (cached, so a
    // second run reads nothing).
    assert_eq!(exact.stats.full_hashed, 5);
    let e_facts = files.iter().find(|f| f.path.ends_with("e.bin")).expect("e");
    assert_eq!(
        cache.get(&CacheKey::from(e_facts)).and_then(|h| h.full),
        Some(hash_file(&e_facts.path).expect("hash"))
    );
    assert_eq!(run(&files, &cache).stats.bytes_read, 0);
}

#[test]
fn more_copies_than_are_read_together_still_make_one_group() {
    // Sets of candidates are read 16 at a time; twenty copies are two sets of one content.
    let dir = TempDir::new().expect("temp dir");
    let bytes = Bytes::new(8).fill(300_000);
    for i in 0..20 {
        write(dir.path(), &format!("copy-{i:02}.bin"), &bytes);
    }
    let exact = run(&list(dir.path()), &());
    assert_eq!(exact.groups.len(), 1);
    assert_eq!(exact.groups[0].copies.len(), 20);
    assert_eq!(
        exact.groups[0].hash,
        ContentHash::from(blake3::hash(&bytes))
    );
    assert_eq!(exact.stats.full_hashed, 20);
}
