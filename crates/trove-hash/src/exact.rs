//! Exact duplicates, found while reading as few bytes as possible.
//!
//! The stages, each only for what the previous one left alike:
//! 1. group by size (no read); files of a size nobody else has are unique;
//! 2. collapse hard links (same device and inode): one file with several names is one copy;
//! 3. leave empty files out: they are all alike and duplicate nothing;
//! 4. the sampled [`crate::partial_hash`] (48 KiB at most per file); files up to 48 KiB skip it
//!    and are hashed in full at once;
//! 5. the full BLAKE3 hash, the candidates of one size and sample read in step (up to 16 at a
//!    time): copies share one hasher and are compared with each other, so each distinct content
//!    is hashed once (`together.rs`).
//!
//! Stages 4 and 5 run on a pool of [`Options::threads`] threads, largest first; hashes are
//! looked up in and recorded to the caller's [`HashCache`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::digest::{open_checked, partial_of, Expect, SMALL_FILE};
use crate::together::{hash_together, Candidate, MAX_TOGETHER};
use crate::{CacheKey, CachedHashes, ContentHash, Error, FileFacts, HashCache};

/// How [`find_exact`] runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Hashing threads; 0 means one per core. With a warm cache hashing is CPU-bound and more
    /// threads than cores did not help (docs/benchmarks.md); cold reads from SSDs or network
    /// shares may gain from a few more in flight, and a spinning disk from 1 or 2.
    pub threads: usize,
    /// Set to stop early: files not started yet are skipped and [`Exact::cancelled`] is set.
    /// Hashes computed until then are in the cache already, so the next run resumes there.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// The stage a [`Progress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Sampled hashes of same-size files.
    Partial,
    /// Full hashes of the files still alike.
    Full,
}

/// How far a stage is. Sent when a stage starts (with `files_done` and `bytes_done` 0), after
/// each file, and in the full stage also as the bytes of files read together go by; from the
/// hashing threads: a receiver that shows it should throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The stage.
    pub stage: Stage,
    /// Files of this stage done (hashed, found in the cache, or failed).
    pub files_done: u64,
    /// Files this stage will look at.
    pub files_total: u64,
    /// Bytes of this stage's files done.
    pub bytes_done: u64,
    /// Bytes this stage may read (files found in the cache are not read).
    pub bytes_total: u64,
}

/// What a run did, for reports and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files given.
    pub files: u64,
    /// Empty files left out.
    pub empty: u64,
    /// Names that were hard links to a file already seen (same device and inode).
    pub hard_links: u64,
    /// Bytes read from files, by both stages.
    pub bytes_read: u64,
    /// Files whose sampled hash was computed (not found in the cache).
    pub partial_hashed: u64,
    /// Files whose full hash was computed (not found in the cache).
    pub full_hashed: u64,
    /// Hashes found in the cache instead of being computed.
    pub cache_hits: u64,
}

/// One copy of some content: a file (device and inode) with all the names it was listed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCopy {
    /// The facts of its first name (in path order).
    pub facts: FileFacts,
    /// Its other names (hard links), in path order; not duplicates of it, just names.
    pub links: Vec<PathBuf>,
}

/// Files with identical bytes: two or more copies (distinct inodes) of the same content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The common size in bytes (never 0).
    pub size: u64,
    /// The BLAKE3 hash of the content.
    pub hash: ContentHash,
    /// The copies, in path order; at least two.
    pub copies: Vec<FileCopy>,
}

/// The outcome of [`find_exact`].
#[derive(Debug, Default)]
pub struct Exact {
    /// The groups of identical files, largest size first (then by first path).
    pub groups: Vec<Group>,
    /// What was read and hashed.
    pub stats: Stats,
    /// Files that could not be hashed, each error naming its file; they are in no group.
    pub errors: Vec<Error>,
    /// The run was cancelled through [`Options::cancel`]: `groups` is empty.
    pub cancelled: bool,
}

/// A candidate: one inode of a size group, with its names and what is known of its hashes.
struct Unit {
    /// Indexes into the input, the first being the copy's facts.
    names: Vec<usize>,
    cached: CachedHashes,
}

/// Finds the groups of identical files among `files`, reading as little as it can.
///
/// Empty files and extra names of one inode are never duplicates. A file that cannot be read,
/// or that changed since it was listed, is reported in [`Exact::errors`] and the others go on.
/// `progress` is called from the hashing threads.
pub fn find_exact(
    files: &[FileFacts],
    cache: &dyn HashCache,
    options: &Options,
    progress: &(dyn Fn(Progress) + Sync),
) -> Exact {
    let mut stats = Stats {
        files: files.len() as u64,
        ..Stats::default()
    };

    // 1–3: sizes, hard links, empties; no file is opened.
    let mut by_size: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, f) in files.iter().enumerate() {
        if f.size == 0 {
            stats.empty += 1;
        } else {
            by_size.entry(f.size).or_default().push(i);
        }
    }
    let mut units: Vec<Unit> = Vec::new();
    for (_, mut members) in by_size {
        if members.len() < 2 {
            continue;
        }
        members.sort_by(|&a, &b| files[a].path.cmp(&files[b].path));
        let mut by_inode: HashMap<(u64, u64), usize> = HashMap::new();
        let first = units.len();
        for i in members {
            let f = &files[i];
            match by_inode.get(&(f.dev, f.ino)) {
                Some(&u) => {
                    units[u].names.push(i);
                    stats.hard_links += 1;
                }
                None => {
                    by_inode.insert((f.dev, f.ino), units.len());
                    units.push(Unit {
                        names: vec![i],
                        cached: CachedHashes::default(),
                    });
                }
            }
        }
        if units.len() - first < 2 {
            units.truncate(first);
        }
    }
    for unit in &mut units {
        unit.cached = cache
            .get(&CacheKey::from(&files[unit.names[0]]))
            .unwrap_or_default();
    }

    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        options.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("trove-hash-{i}"))
        .build();
    let run = Run {
        files,
        cache,
        progress,
        cancel: options.cancel.as_deref(),
        bytes_read: AtomicU64::new(0),
        computed: AtomicU64::new(0),
        hits: AtomicU64::new(0),
        errors: Mutex::new(Vec::new()),
    };
    let mut groups = match pool {
        Ok(pool) => pool.install(|| run.stages(units, &mut stats)),
        // Without a pool of its own (threads exhausted) the global one still works.
        Err(_) => run.stages(units, &mut stats),
    };
    groups.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then_with(|| a.copies[0].facts.path.cmp(&b.copies[0].facts.path))
    });
    let cancelled = run.cancelled();
    if cancelled {
        groups.clear();
    }
    stats.bytes_read = run.bytes_read.into_inner();
    stats.cache_hits = run.hits.into_inner();
    let mut errors = run
        .errors
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    errors.sort_by_cached_key(|e| e.to_string());
    Exact {
        groups,
        stats,
        errors,
        cancelled,
    }
}

/// The shared state of one run's hashing threads.
struct Run<'a> {
    files: &'a [FileFacts],
    cache: &'a dyn HashCache,
    progress: &'a (dyn Fn(Progress) + Sync),
    cancel: Option<&'a AtomicBool>,
    bytes_read: AtomicU64,
    /// Hashes computed in the current stage.
    computed: AtomicU64,
    hits: AtomicU64,
    errors: Mutex<Vec<Error>>,
}

thread_local! {
    /// Each hashing thread reads into its own buffer, allocated once.
    static BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Runs `f` with this thread's read buffer. The buffer is taken out for the call rather than
/// borrowed: while `update_rayon` waits for its halves, rayon may run another file's job on
/// this very thread, which then simply gets a buffer of its own.
fn with_buffer<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    let mut buf = BUFFER.take();
    let out = f(&mut buf);
    BUFFER.set(buf);
    out
}

impl Run<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    fn stages(&self, units: Vec<Unit>, stats: &mut Stats) -> Vec<Group> {
        // 4: sampled hashes. Small files skip it (sampling would read them whole), and so do
        // size groups where every file's full hash is known already.
        let (small, large): (Vec<Unit>, Vec<Unit>) =
            units.into_iter().partition(|u| self.size(u) <= SMALL_FILE);
        let mut candidates: Vec<Vec<Unit>> = split_by(small, |u| self.size(u));
        let mut to_split = Vec::new();
        for group in split_by(large, |u| self.size(u)) {
            if group.iter().all(|u| u.cached.full.is_some()) {
                candidates.push(group);
            } else {
                to_split.extend(group);
            }
        }
        let (mut sampled, unsampled): (Vec<Unit>, Vec<Unit>) = to_split
            .into_iter()
            .partition(|u| u.cached.partial.is_some());
        self.hits.fetch_add(sampled.len() as u64, Ordering::Relaxed);
        sampled.extend(self.partial_stage(unsampled));
        stats.partial_hashed = self.computed.swap(0, Ordering::Relaxed);
        for bucket in split_by(sampled, |u| (self.size(u), u.cached.partial)) {
            if bucket.len() >= 2 {
                candidates.push(bucket);
            }
        }

        // 5: full hashes of what is still alike, each set of candidates read in step.
        let hashed = self.full_stage(candidates);
        stats.full_hashed = self.computed.swap(0, Ordering::Relaxed);
        split_by(hashed, |u| (self.size(u), u.cached.full))
            .into_iter()
            .filter(|g| g.len() >= 2)
            .filter_map(|g| self.group(g))
            .collect()
    }

    fn size(&self, u: &Unit) -> u64 {
        self.files[u.names[0]].size
    }

    fn facts(&self, u: &Unit) -> &FileFacts {
        &self.files[u.names[0]]
    }

    /// Computes the sampled hash of each unit; failed units are dropped and reported.
    fn partial_stage(&self, units: Vec<Unit>) -> Vec<Unit> {
        self.stage(Stage::Partial, units, |run, unit| {
            let f = run.facts(unit);
            let file = open_checked(&f.path, Some(expect(f)))?;
            let hash = with_buffer(|buf| partial_of(&file, &f.path, f.size, buf))?;
            run.bytes_read
                .fetch_add(f.size.min(SMALL_FILE), Ordering::Relaxed);
            unit.cached.partial = Some(hash);
            Ok(())
        })
    }

    /// Computes the full hash of each unit that lacks one, the units of one candidate set read
    /// in step ([`hash_together`]: one BLAKE3 per distinct content); failed units are dropped
    /// and reported.
    fn full_stage(&self, sets: Vec<Vec<Unit>>) -> Vec<Unit> {
        let mut hashed = Vec::new();
        let mut work: Vec<Vec<Unit>> = Vec::new();
        for set in sets {
            let (known, unknown): (Vec<Unit>, Vec<Unit>) =
                set.into_iter().partition(|u| u.cached.full.is_some());
            self.hits.fetch_add(known.len() as u64, Ordering::Relaxed);
            hashed.extend(known);
            let mut unknown = unknown.into_iter().peekable();
            while unknown.peek().is_some() {
                work.push(unknown.by_ref().take(MAX_TOGETHER).collect());
            }
        }
        // Largest bytes first, so that no big set is left alone at the end.
        work.sort_by_key(|set| std::cmp::Reverse(self.size(&set[0]) * set.len() as u64));
        let files_total = work.iter().map(|set| set.len() as u64).sum();
        let bytes_total = work
            .iter()
            .map(|set| self.size(&set[0]) * set.len() as u64)
            .sum();
        let done = Mutex::new((0u64, 0u64));
        let report = |files, bytes| {
            let mut done = done
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            done.0 += files;
            done.1 += bytes;
            (self.progress)(Progress {
                stage: Stage::Full,
                files_done: done.0,
                files_total,
                bytes_done: done.1,
                bytes_total,
            });
        };
        report(0, 0);
        let results: Vec<Vec<Unit>> = work
            .into_par_iter()
            .with_max_len(1)
            .map(|set| {
                if self.cancelled() {
                    return Vec::new();
                }
                let size = self.size(&set[0]);
                let candidates: Vec<Candidate<'_>> = set
                    .iter()
                    .map(|u| Candidate {
                        path: &self.facts(u).path,
                        expect: expect(self.facts(u)),
                    })
                    .collect();
                let (outcomes, read) =
                    hash_together(&candidates, size, &|| self.cancelled(), &|bytes| {
                        report(0, bytes)
                    });
                self.bytes_read.fetch_add(read, Ordering::Relaxed);
                let mut out = Vec::new();
                for (mut unit, outcome) in set.into_iter().zip(outcomes) {
                    match outcome {
                        Some(Ok(hash)) => {
                            unit.cached.full = Some(hash);
                            self.computed.fetch_add(1, Ordering::Relaxed);
                            self.cache
                                .put(&CacheKey::from(self.facts(&unit)), unit.cached);
                            report(1, 0);
                            out.push(unit);
                        }
                        Some(Err(e)) => {
                            report(1, 0);
                            self.errors
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .push(e);
                        }
                        // Cancelled before it was done.
                        None => {}
                    }
                }
                out
            })
            .collect();
        hashed.extend(results.into_iter().flatten());
        hashed
    }

    /// Runs `work` on every unit in parallel, largest first, with progress; records each
    /// result in the cache; returns the units that succeeded.
    fn stage(
        &self,
        stage: Stage,
        mut units: Vec<Unit>,
        work: impl Fn(&Self, &mut Unit) -> crate::Result<()> + Sync,
    ) -> Vec<Unit> {
        units.sort_by_key(|u| std::cmp::Reverse(self.size(u)));
        let files_total = units.len() as u64;
        let bytes_total = units.iter().map(|u| self.size(u)).sum();
        let files_done = AtomicU64::new(0);
        let bytes_done = AtomicU64::new(0);
        let report = |files_done, bytes_done| {
            (self.progress)(Progress {
                stage,
                files_done,
                files_total,
                bytes_done,
                bytes_total,
            })
        };
        report(0, 0);
        units
            .into_par_iter()
            .with_max_len(1)
            .filter_map(|mut unit| {
                if self.cancelled() {
                    return None;
                }
                let outcome = work(self, &mut unit);
                let size = self.size(&unit);
                report(
                    files_done.fetch_add(1, Ordering::Relaxed) + 1,
                    bytes_done.fetch_add(size, Ordering::Relaxed) + size,
                );
                match outcome {
                    Ok(()) => {
                        self.computed.fetch_add(1, Ordering::Relaxed);
                        self.cache
                            .put(&CacheKey::from(self.facts(&unit)), unit.cached);
                        Some(unit)
                    }
                    Err(e) => {
                        self.errors
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(e);
                        None
                    }
                }
            })
            .collect()
    }

    /// The group of units with one full hash, or `None` if (oddly) it has none.
    fn group(&self, mut units: Vec<Unit>) -> Option<Group> {
        let hash = units[0].cached.full?;
        let size = self.size(&units[0]);
        units.sort_by(|a, b| self.facts(a).path.cmp(&self.facts(b).path));
        let copies = units
            .into_iter()
            .map(|u| FileCopy {
                facts: self.files[u.names[0]].clone(),
                links: u.names[1..]
                    .iter()
                    .map(|&i| self.files[i].path.clone())
                    .collect(),
            })
            .collect();
        Some(Group { size, hash, copies })
    }
}

fn expect(f: &FileFacts) -> Expect {
    Expect {
        size: f.size,
        mtime_ns: f.mtime_ns,
    }
}

/// Splits `units` into groups of equal `key`.
fn split_by<K: std::hash::Hash + Eq>(units: Vec<Unit>, key: impl Fn(&Unit) -> K) -> Vec<Vec<Unit>> {
    let mut map: HashMap<K, Vec<Unit>> = HashMap::new();
    for u in units {
        map.entry(key(&u)).or_default().push(u);
    }
    map.into_values().collect()
}
