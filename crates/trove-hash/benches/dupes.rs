//! The exact-duplicate benchmark of issue 7, driven by `scripts/bench-dupes.sh`:
//!
//! - `dupes gen DIR [--mib N] [--seed S]` writes the adversarial tree (about N MiB, 2048 by
//!   default): many files of equal sizes, one-byte variants at the first, middle and last byte and
//!   at a random offset, copies in 2–4 folders, small files, empty files and hard links.
//! - `dupes run DIR [--groups FILE] [--threads N]`: Trove's side — a walk of DIR and
//!   `find_exact` (until `trove scan` + `trove dupes` replace it); writes the groups to FILE.
//! - `dupes canon-jdupes OUT < jdupes-output`: jdupes' groups in the same form, for `cmp`.
//!
//! Groups are written as one line per group of `device:inode` words, sorted, so that hard links
//! (one file, several names) compare equal whichever name a tool printed.

use std::io::{BufRead, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use trove_hash::{find_exact, FileFacts, Options};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench` to harness-less benches; it means nothing here.
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--bench")
        .collect();
    match args.as_slice() {
        ["gen", dir, rest @ ..] => {
            let mib = flag(rest, "--mib")?.unwrap_or(2048);
            let seed = flag(rest, "--seed")?.unwrap_or(42);
            let summary = generate(Path::new(dir), mib, seed)?;
            println!("{summary}");
        }
        ["run", dir, rest @ ..] => {
            let threads = flag(rest, "--threads")?.unwrap_or(0) as usize;
            let groups_out = rest
                .iter()
                .position(|a| *a == "--groups")
                .and_then(|i| rest.get(i + 1));
            run(Path::new(dir), threads, groups_out.map(Path::new))?;
        }
        ["canon-jdupes", out] => canon_jdupes(Path::new(out))?,
        // With no arguments (as `cargo bench` with no filter runs it) there is nothing to do.
        [] => eprintln!(
            "usage: dupes gen DIR | run DIR | canon-jdupes OUT (see scripts/bench-dupes.sh)"
        ),
        other => bail!("unknown arguments {other:?}"),
    }
    Ok(())
}

fn flag(rest: &[&str], name: &str) -> anyhow::Result<Option<u64>> {
    match rest.iter().position(|a| *a == name) {
        None => Ok(None),
        Some(i) => {
            let value = rest.get(i + 1).context("flag without value")?;
            Ok(Some(
                value.parse().with_context(|| format!("{name} {value}"))?,
            ))
        }
    }
}

/// Lists every regular file under `root` (symbolic links are not followed), one `lstat` each.
fn walk(root: &Path) -> anyhow::Result<Vec<FileFacts>> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                let meta = entry.metadata()?;
                files.push(FileFacts::from_metadata(entry.path(), &meta));
            }
        }
    }
    Ok(files)
}

fn run(root: &Path, threads: usize, groups_out: Option<&Path>) -> anyhow::Result<()> {
    let start = Instant::now();
    let files = walk(root)?;
    let walked = start.elapsed();
    // When each stage started, from the first progress report of the stage.
    let stage_start = std::sync::Mutex::new(Vec::new());
    let options = Options {
        threads,
        ..Options::default()
    };
    let exact = find_exact(&files, &(), &options, &|p| {
        if p.files_done == 0 && p.bytes_done == 0 {
            if let Ok(mut starts) = stage_start.lock() {
                starts.push(format!(
                    "{:?} from {:.3} s",
                    p.stage,
                    start.elapsed().as_secs_f64()
                ));
            }
        }
    });
    let total = start.elapsed();
    for e in &exact.errors {
        eprintln!("error: {e}");
    }
    let s = exact.stats;
    eprintln!(
        "trove-hash: {} files, {} groups, {} hard links, {} empty; sampled {}, hashed {}; \
         read {:.1} MiB; walk {:.3} s, {}, total {:.3} s",
        s.files,
        exact.groups.len(),
        s.hard_links,
        s.empty,
        s.partial_hashed,
        s.full_hashed,
        s.bytes_read as f64 / 1048576.0,
        walked.as_secs_f64(),
        stage_start.into_inner().unwrap_or_default().join(", "),
        total.as_secs_f64()
    );
    if let Some(out) = groups_out {
        let lines = exact
            .groups
            .iter()
            .map(|g| {
                g.copies
                    .iter()
                    .map(|c| format!("{}:{}", c.facts.dev, c.facts.ino))
                    .collect()
            })
            .collect();
        write_groups(out, lines)?;
    }
    Ok(())
}

/// Reads jdupes' output (paths, groups separated by blank lines) from stdin.
fn canon_jdupes(out: &Path) -> anyhow::Result<()> {
    let mut groups = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            continue;
        }
        let meta = std::fs::symlink_metadata(&line).with_context(|| line.clone())?;
        current.push(format!("{}:{}", meta.dev(), meta.ino()));
    }
    if !current.is_empty() {
        groups.push(current);
    }
    write_groups(out, groups)
}

/// Writes groups canonically: words sorted and deduplicated within a line, lines sorted.
fn write_groups(out: &Path, groups: Vec<Vec<String>>) -> anyhow::Result<()> {
    let mut lines: Vec<String> = groups
        .into_iter()
        .map(|mut g| {
            g.sort();
            g.dedup();
            g.join(" ")
        })
        .collect();
    lines.sort();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    for line in lines {
        writeln!(file, "{line}")?;
    }
    file.flush()?;
    Ok(())
}

/// A deterministic generator: a splitmix64 sequence for choices, BLAKE3's extendable output for
/// file contents (fast, and unique per content seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A size between `lo` and `hi`, uniform in its logarithm.
    fn log_size(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        let x = l + (h - l) * (self.next() as f64 / u64::MAX as f64);
        x.exp() as u64
    }
}

fn content(seed: u64, size: u64) -> Vec<u8> {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut out = vec![0u8; size as usize];
    blake3::Hasher::new_keyed(&key)
        .finalize_xof()
        .fill(&mut out);
    out
}

struct Tree {
    root: PathBuf,
    files: u64,
    bytes: u64,
    content_seed: u64,
}

impl Tree {
    fn folder(&self, rng: &mut Rng) -> PathBuf {
        self.root
            .join(format!("d{:02}", rng.below(16)))
            .join(format!("s{}", rng.below(4)))
    }

    fn write(&mut self, dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| path.display().to_string())?;
        self.files += 1;
        self.bytes += bytes.len() as u64;
        Ok(path)
    }

    /// Writes `bytes` into `copies` distinct folders.
    fn copies(
        &mut self,
        rng: &mut Rng,
        name: &str,
        bytes: &[u8],
        copies: u64,
    ) -> anyhow::Result<Vec<PathBuf>> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        while (dirs.len() as u64) < copies {
            let d = self.folder(rng);
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        dirs.iter().map(|d| self.write(d, name, bytes)).collect()
    }

    fn fresh(&mut self, size: u64) -> Vec<u8> {
        self.content_seed += 1;
        content(self.content_seed, size)
    }
}

/// Sizes that many unrelated files share, so size grouping alone decides nothing.
const COMMON_SIZES: [u64; 5] = [4096, 100_000, 1 << 20, 4 << 20, 16 << 20];

fn generate(root: &Path, mib: u64, seed: u64) -> anyhow::Result<String> {
    if root.exists() && std::fs::read_dir(root)?.next().is_some() {
        bail!("{} exists and is not empty", root.display());
    }
    let budget = mib << 20;
    let mut rng = Rng(seed);
    let mut t = Tree {
        root: root.to_path_buf(),
        files: 0,
        bytes: 0,
        content_seed: seed << 32,
    };
    let mut n = 0u64;
    let mut name = |prefix: &str| {
        n += 1;
        format!("{prefix}-{n:05}.bin")
    };

    // Small files, a fifth of them copied: per-file costs dominate here.
    for _ in 0..3000 {
        let size = 1 + rng.below(16 * 1024);
        let bytes = t.fresh(size);
        let copies = if rng.below(5) == 0 {
            2 + rng.below(3)
        } else {
            1
        };
        t.copies(&mut rng, &name("small"), &bytes, copies)?;
    }
    // Empty files: all alike, never duplicates.
    for _ in 0..40 {
        let dir = t.folder(&mut rng);
        t.write(&dir, &name("empty"), b"")?;
    }
    // One-byte variants of a base that also has a copy: first, middle and last byte (the sample
    // sees them), and a random offset (only the full hash does).
    let mut variants_bytes = 0;
    while variants_bytes < budget / 5 {
        let size = if rng.below(2) == 0 {
            COMMON_SIZES[2 + rng.below(3) as usize]
        } else {
            rng.log_size(64 * 1024, 32 << 20)
        };
        let base = t.fresh(size);
        let stem = name("variant");
        t.copies(&mut rng, &format!("{stem}.base"), &base, 2)?;
        let random = 1 + rng.below(size - 2);
        for (what, at) in [
            ("first", 0),
            ("middle", size / 2),
            ("last", size - 1),
            ("random", random),
        ] {
            let mut v = base.clone();
            v[at as usize] ^= 0x01;
            let dir = t.folder(&mut rng);
            t.write(&dir, &format!("{stem}.{what}"), &v)?;
        }
        variants_bytes += 6 * size;
    }
    // Files of common sizes with distinct contents.
    let mut same_size_bytes = 0;
    while same_size_bytes < budget / 5 {
        let size = COMMON_SIZES[rng.below(COMMON_SIZES.len() as u64) as usize];
        let bytes = t.fresh(size);
        let dir = t.folder(&mut rng);
        t.write(&dir, &name("same-size"), &bytes)?;
        same_size_bytes += size;
    }
    // The rest: contents with copies in 2–4 folders, some of common sizes.
    let mut hard_link_done = false;
    while t.bytes < budget {
        let size = if rng.below(4) == 0 {
            COMMON_SIZES[rng.below(COMMON_SIZES.len() as u64) as usize]
        } else {
            rng.log_size(16 * 1024, 48 << 20)
                .min(budget.saturating_sub(t.bytes).max(16 * 1024))
        };
        let bytes = t.fresh(size);
        let copies = 2 + rng.below(3);
        let paths = t.copies(&mut rng, &name("copy"), &bytes, copies)?;
        if !hard_link_done {
            // A hard link to a copy: one more name of it, not one more duplicate.
            let link = paths[0].with_extension("hardlink");
            std::fs::hard_link(&paths[0], &link)?;
            t.files += 1;
            hard_link_done = true;
        }
    }
    // A hard link to a unique file: not a duplicate at all.
    let unique = t.fresh(300_000);
    let dir = t.folder(&mut rng);
    let path = t.write(&dir, &name("unique"), &unique)?;
    std::fs::hard_link(&path, path.with_extension("hardlink"))?;
    t.files += 1;
    Ok(format!(
        "{} files (2 hard links, 40 empty), {:.0} MiB, seed {seed}",
        t.files,
        t.bytes as f64 / 1048576.0
    ))
}
