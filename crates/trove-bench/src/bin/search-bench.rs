//! `search-bench`: builds Trove's search index (tantivy, crate `trove-search`) over a seeded
//! synthetic media-library corpus, times query shapes on it, does the same with SQLite FTS5 as
//! the named peer, and prints a markdown report.
//!
//! Each phase (Trove build, Trove search, FTS5 build, FTS5 search) runs in its own child process
//! (this binary with `--phase`), so that each phase's peak RSS (`VmHWM`) is its own and not left
//! over from an earlier phase.

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use trove_bench::search_corpus::{days_from_civil, Corpus};
use trove_search::{SearchIndex, SearchOptions, Sort};

/// Documents generated and written per batch (and per Trove `upsert` call).
const BATCH: u64 = 10_000;
/// Documents per FTS5 transaction.
const FTS_TXN: u64 = 50_000;
/// Rows per multi-row INSERT into the FTS5 peer.
const ROWS_PER_INSERT: usize = 200;
/// Hits fetched per query, as the CLI's first page.
const LIMIT: usize = 20;

/// Goals (docs/benchmarks.md).
const GOAL_P99_MS: f64 = 20.0;
const GOAL_BUILD_SECS_PER_MILLION: f64 = 60.0;
const GOAL_RSS_MB: f64 = 400.0;

/// Benchmark Trove's search index against SQLite FTS5 on a synthetic media-library corpus.
#[derive(Parser)]
#[command(name = "search-bench")]
struct Args {
    /// Number of documents in the corpus.
    #[arg(long, default_value_t = 1_000_000)]
    docs: u64,
    /// Seed of the corpus and of the queries.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Timed queries per shape (after the warmup).
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// Untimed warmup queries per shape.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// Search Trove without facets (to see what the facet counts cost).
    #[arg(long)]
    no_facets: bool,
    /// Leave out the FTS5 peer.
    #[arg(long)]
    no_fts5: bool,
    /// Print each shape's K slowest Trove queries (with their totals) to stderr: what the tail is.
    #[arg(long, default_value_t = 0)]
    slowest: usize,
    /// Run only this query shape (0-5), e.g. to profile it.
    #[arg(long)]
    shape: Option<usize>,
    /// Working folder: the index goes to OUT/trove-index, the peer to OUT/fts5.db (both replaced).
    #[arg(long)]
    out: PathBuf,
    /// Internal: run one phase and print its results as `key value` lines.
    #[arg(long, value_enum, hide = true)]
    phase: Option<Phase>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Phase {
    TroveBuild,
    TroveSearch,
    Fts5Build,
    Fts5Search,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::TroveBuild => "trove-build",
            Phase::TroveSearch => "trove-search",
            Phase::Fts5Build => "fts5-build",
            Phase::Fts5Search => "fts5-search",
        }
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    match args.phase {
        Some(Phase::TroveBuild) => trove_build(&args),
        Some(Phase::TroveSearch) => trove_search(&args),
        Some(Phase::Fts5Build) => fts5_build(&args),
        Some(Phase::Fts5Search) => fts5_search(&args),
        None => orchestrate(&args),
    }
}

fn log(msg: &str) {
    eprintln!("==> {msg}");
}

// --- measurements --------------------------------------------------------------------------

/// A value from `/proc/self/status` in KiB (`VmHWM`: peak RSS, `VmRSS`: current).
fn proc_status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn disk_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|rd| rd.flatten().map(|e| disk_bytes(&e.path())).sum())
            .unwrap_or(0)
    } else {
        meta.len()
    }
}

/// Latencies in ms of one shape.
#[derive(Default, Clone)]
struct Stats {
    p50: f64,
    p99: f64,
    max: f64,
    mean_total: f64,
}

fn stats(mut ms: Vec<f64>, totals: &[u64]) -> Stats {
    if ms.is_empty() {
        return Stats::default();
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    Stats {
        p50: at(0.5),
        p99: at(0.99),
        max: ms[ms.len() - 1],
        mean_total: totals.iter().sum::<u64>() as f64 / totals.len().max(1) as f64,
    }
}

// --- queries -------------------------------------------------------------------------------

/// A bound SQL parameter.
#[derive(Clone)]
enum Param {
    Text(String),
    Int(i64),
    Real(f64),
}

/// One query, in Trove's language and translated for the FTS5 peer.
struct Query {
    trove: String,
    sort: Sort,
    /// SELECT of the first page of ids (ORDER BY …, LIMIT 20).
    fts_hits: String,
    /// SELECT count(*) of all matches.
    fts_count: String,
    params: Vec<Param>,
}

const SHAPES: &[&str] = &[
    "one word",
    "two words + `type:video`",
    "phrase",
    "range, newest first: `duration:>N`",
    "prefix: `A012C0*`",
    "word + date range + `height:>=2160`",
];

/// FTS5 query text for a word: quoted so that FTS5 keywords (AND, OR, NOT, NEAR) stay words.
fn fts_word(w: &str) -> String {
    format!("\"{w}\"")
}

fn match_query(trove: String, fts_expr: String, filter: &str, extra: Vec<Param>) -> Query {
    let from = if filter.is_empty() {
        "FROM fts WHERE fts MATCH ?1".to_owned()
    } else {
        format!("FROM fts JOIN media ON media.id = fts.rowid WHERE fts MATCH ?1 AND {filter}")
    };
    let mut params = vec![Param::Text(fts_expr)];
    params.extend(extra);
    Query {
        trove,
        sort: Sort::Relevance,
        fts_hits: format!("SELECT fts.rowid {from} ORDER BY fts.rank LIMIT {LIMIT}"),
        fts_count: format!("SELECT count(*) {from}"),
        params,
    }
}

/// The queries of shape `shape`: `n` of them, the same for both engines (seeded).
fn queries(corpus: &Corpus, seed: u64, shape: usize, n: usize) -> Vec<Query> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0051_ea2c_u64.wrapping_mul(shape as u64 + 1));
    let rng = &mut rng;
    let random_doc = |rng: &mut StdRng, ok: &dyn Fn(&trove_search::SearchDoc) -> bool| loop {
        let d = corpus.doc(rng.random_range(1..=corpus.len().max(1)));
        if ok(&d) {
            return d;
        }
    };
    (0..n)
        .map(|_| match shape {
            0 => {
                let w = corpus.word(rng).to_owned();
                match_query(w.clone(), fts_word(&w), "", vec![])
            }
            1 => {
                let (a, b) = (corpus.word(rng).to_owned(), corpus.word(rng).to_owned());
                match_query(
                    format!("{a} {b} type:video"),
                    format!("{} {}", fts_word(&a), fts_word(&b)),
                    "media.media_type = 'video'",
                    vec![],
                )
            }
            2 => {
                // Two adjacent words of some document's description, so that phrases match.
                let d = random_doc(rng, &|d| d.text.contains_key("description"));
                let desc = d.text.get("description").cloned().unwrap_or_default();
                let words: Vec<&str> = desc.split(' ').collect();
                let i = rng.random_range(0..words.len().saturating_sub(1).max(1));
                let phrase = words[i..(i + 2).min(words.len())].join(" ");
                match_query(format!("\"{phrase}\""), format!("\"{phrase}\""), "", vec![])
            }
            3 => {
                let min = [10, 30, 60, 60, 120, 300, 600][rng.random_range(0..7)];
                Query {
                    trove: format!("duration:>{min}"),
                    sort: Sort::Captured { descending: true },
                    fts_hits: format!(
                        "SELECT id FROM media WHERE duration > ?1 \
                         ORDER BY captured_at DESC LIMIT {LIMIT}"
                    ),
                    fts_count: "SELECT count(*) FROM media WHERE duration > ?1".to_owned(),
                    params: vec![Param::Real(f64::from(min))],
                }
            }
            4 => {
                // The start of an existing camera clip name: `A012C0*` (ARRI) or `C004*` (Sony).
                let d = random_doc(rng, &|d| {
                    d.file_name.ends_with(".MXF")
                        || (d.file_name.starts_with('C') && d.file_name.ends_with(".MP4"))
                });
                let len = if d.file_name.ends_with(".MXF") { 6 } else { 4 };
                let prefix = &d.file_name[..len];
                match_query(
                    format!("{prefix}*"),
                    format!("{}*", prefix.to_ascii_lowercase()),
                    "",
                    vec![],
                )
            }
            _ => {
                let w = corpus.word(rng).to_owned();
                let year = rng.random_range(2015..=2025i64);
                let from = days_from_civil(year, 1, 1) * 86_400;
                let to = days_from_civil(year + 1, 1, 1) * 86_400;
                match_query(
                    format!("{w} captured:{year}-01-01..{year}-12-31 height:>=2160"),
                    fts_word(&w),
                    "media.captured_at >= ?2 AND media.captured_at < ?3 AND media.height >= 2160",
                    vec![Param::Int(from), Param::Int(to)],
                )
            }
        })
        .collect()
}

// --- phases (child processes) --------------------------------------------------------------

fn trove_dir(args: &Args) -> PathBuf {
    args.out.join("trove-index")
}

fn fts_path(args: &Args) -> PathBuf {
    args.out.join("fts5.db")
}

fn trove_build(args: &Args) -> Result<()> {
    let corpus = Corpus::new(args.docs, args.seed);
    let dir = trove_dir(args);
    let start = Instant::now();
    let mut index = SearchIndex::open(&dir)?;
    let open_secs = start.elapsed().as_secs_f64();
    let (mut gen_secs, mut upsert_secs) = (0.0, 0.0);
    let mut from = 0;
    while from < corpus.len() {
        let t = Instant::now();
        let docs = corpus.batch(from, from + BATCH);
        gen_secs += t.elapsed().as_secs_f64();
        let t = Instant::now();
        index.upsert(&docs)?;
        upsert_secs += t.elapsed().as_secs_f64();
        from += BATCH;
        if from % 100_000 == 0 {
            eprintln!("    trove: {from} docs upserted");
        }
    }
    let t = Instant::now();
    index.commit(1)?;
    let commit_secs = t.elapsed().as_secs_f64();
    let total = start.elapsed().as_secs_f64();
    let num_docs = index.num_docs();
    println!("gen_secs {gen_secs}");
    println!("build_secs {}", total - gen_secs);
    println!("upsert_secs {upsert_secs}");
    println!("commit_secs {commit_secs}");
    println!("open_secs {open_secs}");
    println!("num_docs {num_docs}");
    println!("bytes {}", disk_bytes(&dir));
    println!("rss_kib {}", proc_status_kib("VmHWM"));
    Ok(())
}

fn trove_search(args: &Args) -> Result<()> {
    let corpus = Corpus::new(args.docs, args.seed);
    let t = Instant::now();
    let index = SearchIndex::open(&trove_dir(args))?;
    println!("open_ms {}", t.elapsed().as_secs_f64() * 1e3);
    for (shape, _) in SHAPES.iter().enumerate() {
        if args.shape.is_some_and(|only| only != shape) {
            continue;
        }
        let qs = queries(&corpus, args.seed, shape, args.warmup + args.queries);
        let (mut ms, mut totals) = (Vec::new(), Vec::new());
        let mut timed: Vec<(f64, u64, &str)> = Vec::new();
        for (i, q) in qs.iter().enumerate() {
            let opts = SearchOptions {
                limit: LIMIT,
                offset: 0,
                sort: q.sort,
                facets: !args.no_facets,
                within: None,
            };
            let t = Instant::now();
            let res = index
                .search(&q.trove, &opts)
                .with_context(|| format!("query {:?}", q.trove))?;
            let elapsed = t.elapsed().as_secs_f64() * 1e3;
            if i >= args.warmup {
                ms.push(elapsed);
                totals.push(res.total);
                timed.push((elapsed, res.total, &q.trove));
                println!("total {shape} {}", res.total);
            }
        }
        timed.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (ms, total, query) in timed.iter().take(args.slowest) {
            eprintln!("    slow {shape}: {ms:7.1} ms  total {total:>7}  {query}");
        }
        let s = stats(ms, &totals);
        println!(
            "shape {shape} {} {} {} {}",
            s.p50, s.p99, s.max, s.mean_total
        );
    }
    println!("rss_kib {}", proc_status_kib("VmHWM"));
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

async fn fts_connect(path: &Path, create: bool) -> Result<SqliteConnection> {
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .connect()
        .await?)
}

/// `prefix` followed by `rows` groups of `cols` placeholders: `(?, ?), (?, ?)`.
fn values_sql(prefix: &str, cols: usize, rows: usize) -> String {
    let group = format!("({})", vec!["?"; cols].join(", "));
    format!("{prefix}{}", vec![group; rows].join(", "))
}

fn fts5_build(args: &Args) -> Result<()> {
    let corpus = Corpus::new(args.docs, args.seed);
    let path = fts_path(args);
    runtime()?.block_on(async {
        let start = Instant::now();
        let mut conn = fts_connect(&path, true).await?;
        for sql in [
            "CREATE TABLE media (id INTEGER PRIMARY KEY, media_type TEXT NOT NULL, codec TEXT, \
             duration REAL, width INTEGER, height INTEGER, frame_rate REAL, size INTEGER NOT NULL, \
             captured_at INTEGER, source TEXT NOT NULL, storage_class TEXT, state TEXT NOT NULL, \
             has_duplicates INTEGER NOT NULL)",
            "CREATE VIRTUAL TABLE fts USING fts5(title, file_name, description, keywords, creator, \
             tokenize = 'unicode61 remove_diacritics 2')",
        ] {
            sqlx::query(sql).execute(&mut conn).await?;
        }
        let mut gen_secs = 0.0;
        let mut from = 0;
        while from < corpus.len() {
            let mut tx = conn.begin().await?;
            let end = (from + FTS_TXN).min(corpus.len());
            while from < end {
                let t = Instant::now();
                let docs = corpus.batch(from, (from + BATCH).min(end));
                gen_secs += t.elapsed().as_secs_f64();
                for chunk in docs.chunks(ROWS_PER_INSERT) {
                    let media_sql = values_sql(
                        "INSERT INTO media (id, media_type, codec, duration, width, height, \
                         frame_rate, size, captured_at, source, storage_class, state, \
                         has_duplicates) VALUES ",
                        13,
                        chunk.len(),
                    );
                    let mut media = sqlx::query(sqlx::AssertSqlSafe(media_sql));
                    for d in chunk {
                        media = media
                            .bind(d.id as i64)
                            .bind(d.media_type.clone())
                            .bind(d.codec.clone())
                            .bind(d.duration)
                            .bind(d.width.map(|v| v as i64))
                            .bind(d.height.map(|v| v as i64))
                            .bind(d.frame_rate)
                            .bind(d.size as i64)
                            .bind(d.captured_at)
                            .bind(d.source.clone())
                            .bind(d.storage_class.clone())
                            .bind(d.state.clone())
                            .bind(d.has_duplicates);
                    }
                    media.execute(&mut *tx).await?;
                    let fts_sql = values_sql(
                        "INSERT INTO fts (rowid, title, file_name, description, keywords, \
                         creator) VALUES ",
                        6,
                        chunk.len(),
                    );
                    let mut fts = sqlx::query(sqlx::AssertSqlSafe(fts_sql));
                    for d in chunk {
                        fts = fts
                            .bind(d.id as i64)
                            .bind(d.title.clone())
                            .bind(d.file_name.clone())
                            .bind(d.text.get("description").cloned())
                            .bind(d.keywords.join(" "))
                            .bind(d.text.get("creator").cloned());
                    }
                    fts.execute(&mut *tx).await?;
                }
                from += docs.len() as u64;
            }
            tx.commit().await?;
            if from % 100_000 == 0 {
                eprintln!("    fts5: {from} docs inserted");
            }
        }
        let t = Instant::now();
        for sql in [
            "CREATE INDEX media_captured ON media (captured_at)",
            "CREATE INDEX media_duration ON media (duration)",
            "INSERT INTO fts (fts) VALUES ('optimize')",
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ] {
            sqlx::query(sql).execute(&mut conn).await?;
        }
        let finish_secs = t.elapsed().as_secs_f64();
        conn.close().await?;
        let total = start.elapsed().as_secs_f64();
        println!("gen_secs {gen_secs}");
        println!("build_secs {}", total - gen_secs);
        println!("finish_secs {finish_secs}");
        let bytes: u64 = ["", "-wal", "-shm"]
            .iter()
            .map(|s| disk_bytes(&PathBuf::from(format!("{}{s}", path.display()))))
            .sum();
        println!("bytes {bytes}");
        println!("rss_kib {}", proc_status_kib("VmHWM"));
        Ok(())
    })
}

fn fts5_search(args: &Args) -> Result<()> {
    let corpus = Corpus::new(args.docs, args.seed);
    runtime()?.block_on(async {
        let t = Instant::now();
        let mut conn = fts_connect(&fts_path(args), false).await?;
        println!("open_ms {}", t.elapsed().as_secs_f64() * 1e3);
        let version: String = sqlx::query_scalar("SELECT sqlite_version()")
            .fetch_one(&mut conn)
            .await?;
        println!("sqlite_version {version}");
        for (shape, _) in SHAPES.iter().enumerate() {
            let qs = queries(&corpus, args.seed, shape, args.warmup + args.queries);
            let (mut ms, mut totals) = (Vec::new(), Vec::new());
            for (i, q) in qs.iter().enumerate() {
                let t = Instant::now();
                let mut hits =
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q.fts_hits.as_str()));
                let mut count =
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q.fts_count.as_str()));
                for p in &q.params {
                    (hits, count) = match p {
                        Param::Text(s) => (hits.bind(s.clone()), count.bind(s.clone())),
                        Param::Int(v) => (hits.bind(*v), count.bind(*v)),
                        Param::Real(v) => (hits.bind(*v), count.bind(*v)),
                    };
                }
                let ids = hits
                    .fetch_all(&mut conn)
                    .await
                    .with_context(|| format!("FTS5 query {:?}", q.fts_hits))?;
                let total = count.fetch_one(&mut conn).await?;
                let elapsed = t.elapsed().as_secs_f64() * 1e3;
                if ids.len() > LIMIT {
                    bail!("FTS5 returned {} rows for LIMIT {LIMIT}", ids.len());
                }
                if i >= args.warmup {
                    ms.push(elapsed);
                    totals.push(total as u64);
                    println!("total {shape} {total}");
                }
            }
            let s = stats(ms, &totals);
            println!(
                "shape {shape} {} {} {} {}",
                s.p50, s.p99, s.max, s.mean_total
            );
        }
        println!("rss_kib {}", proc_status_kib("VmHWM"));
        Ok(())
    })
}

// --- orchestration -------------------------------------------------------------------------

/// What a phase printed: `key value` lines, `shape I p50 p99 max mean_total` lines, and
/// `total I N` lines (one per timed query).
#[derive(Default)]
struct PhaseOut {
    values: BTreeMap<String, String>,
    shapes: BTreeMap<usize, Stats>,
    totals: BTreeMap<usize, Vec<u64>>,
}

impl PhaseOut {
    fn get(&self, key: &str) -> f64 {
        self.values
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

fn run_phase(args: &Args, phase: Phase) -> Result<PhaseOut> {
    log(&format!("{} ({} docs)", phase.name(), args.docs));
    let output = Command::new(std::env::current_exe()?)
        .arg("--phase")
        .arg(phase.name())
        .args(["--docs", &args.docs.to_string()])
        .args(["--seed", &args.seed.to_string()])
        .args(["--queries", &args.queries.to_string()])
        .args(["--warmup", &args.warmup.to_string()])
        .args(args.no_facets.then_some("--no-facets"))
        .args(["--slowest", &args.slowest.to_string()])
        .args(args.shape.map(|s| format!("--shape={s}")))
        .arg("--out")
        .arg(&args.out)
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        bail!("phase {} failed: {}", phase.name(), output.status);
    }
    let mut out = PhaseOut::default();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| {
            f.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        match f.first() {
            Some(&"shape") => {
                let stats = Stats {
                    p50: num(2),
                    p99: num(3),
                    max: num(4),
                    mean_total: num(5),
                };
                out.shapes.insert(num(1) as usize, stats);
            }
            Some(&"total") => out
                .totals
                .entry(num(1) as usize)
                .or_default()
                .push(num(2) as u64),
            Some(key) if f.len() == 2 => {
                out.values.insert((*key).to_owned(), f[1].to_owned());
            }
            _ => bail!("phase {}: unexpected output {line:?}", phase.name()),
        }
    }
    Ok(out)
}

fn orchestrate(args: &Args) -> Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let trove = trove_dir(args);
    if trove.exists() {
        std::fs::remove_dir_all(&trove)?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", fts_path(args).display()));
        if p.exists() {
            std::fs::remove_file(p)?;
        }
    }
    let tb = run_phase(args, Phase::TroveBuild)?;
    if tb.get("num_docs") as u64 != args.docs {
        bail!(
            "index holds {} docs, expected {}",
            tb.get("num_docs"),
            args.docs
        );
    }
    let ts = run_phase(args, Phase::TroveSearch)?;
    let (fb, fs) = if args.no_fts5 {
        (PhaseOut::default(), PhaseOut::default())
    } else {
        (
            run_phase(args, Phase::Fts5Build)?,
            run_phase(args, Phase::Fts5Search)?,
        )
    };
    print!("{}", report(args, &tb, &ts, &fb, &fs));
    Ok(())
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

fn mib(kib: f64) -> String {
    format!("{:.0} MiB", kib / 1024.0)
}

fn report(args: &Args, tb: &PhaseOut, ts: &PhaseOut, fb: &PhaseOut, fs: &PhaseOut) -> String {
    let mut o = String::new();
    let fts = !args.no_fts5;
    let example = |shape: usize| {
        let corpus = Corpus::new(args.docs, args.seed);
        queries(&corpus, args.seed, shape, 1)
            .pop()
            .map(|q| q.trove)
            .unwrap_or_default()
    };
    let _ = writeln!(
        o,
        "- Corpus: {} synthetic documents, seed {} (`search-bench --docs {} --seed {}`); \
         generating them took {:.1} s (not counted in the builds).",
        args.docs,
        args.seed,
        args.docs,
        args.seed,
        tb.get("gen_secs")
    );
    let _ = writeln!(
        o,
        "- Per shape: {} warmup + {} timed queries with varied terms, first page of {LIMIT} hits \
         plus the total count; Trove with facets {} (the CLI asks for them). Latency in ms, in-process, \
         warm page cache; each engine searches in a fresh process.",
        args.warmup,
        args.queries,
        if args.no_facets { "**off**" } else { "on" }
    );
    if fts {
        let _ = writeln!(
            o,
            "- Peer: SQLite {} FTS5 in-process (sqlx), one fts5 table (title, file_name, \
             description, keywords, creator; unicode61) joined by rowid to a plain table of the \
             other columns (indexes on captured_at and duration); WAL, synchronous=NORMAL; \
             first page by `ORDER BY rank` (bm25) or by a column, then `count(*)`; no facets.",
            fs.values.get("sqlite_version").map_or("?", String::as_str)
        );
    }
    o.push('\n');
    if fts {
        let _ = writeln!(
            o,
            "| Query shape (example) | Trove p50 | Trove p99 | Trove max | FTS5 p50 | FTS5 p99 | \
             FTS5 max | mean total Trove / FTS5 | same total |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    } else {
        let _ = writeln!(
            o,
            "| Query shape (example) | Trove p50 | Trove p99 | Trove max | mean total |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|");
    }
    let mut worst_p99: f64 = 0.0;
    for (i, name) in SHAPES.iter().enumerate() {
        let t = ts.shapes.get(&i).cloned().unwrap_or_default();
        worst_p99 = worst_p99.max(t.p99);
        let _ = write!(
            o,
            "| {name} (`{}`) | {:.2} | {:.2} | {:.2} |",
            example(i),
            t.p50,
            t.p99,
            t.max
        );
        if fts {
            let f = fs.shapes.get(&i).cloned().unwrap_or_default();
            let same = match (ts.totals.get(&i), fs.totals.get(&i)) {
                (Some(a), Some(b)) => a.iter().zip(b).filter(|(x, y)| x == y).count(),
                _ => 0,
            };
            let _ = writeln!(
                o,
                " {:.2} | {:.2} | {:.2} | {:.0} / {:.0} | {same}/{} |",
                f.p50, f.p99, f.max, t.mean_total, f.mean_total, args.queries
            );
        } else {
            let _ = writeln!(o, " {:.0} |", t.mean_total);
        }
    }
    let per_million = |secs: f64| secs * 1e6 / args.docs.max(1) as f64;
    let row = |o: &mut String, what: &str, trove: String, peer: String| {
        if fts {
            let _ = writeln!(o, "| {what} | {trove} | | | {peer} | | | | |");
        } else {
            let _ = writeln!(o, "| {what} | {trove} | | | |");
        }
    };
    row(
        &mut o,
        "**build** (index + commit; FTS5: inserts + indexes + optimize)",
        format!(
            "{:.1} s (commit {:.1} s)",
            tb.get("build_secs"),
            tb.get("commit_secs")
        ),
        format!(
            "{:.1} s (indexes + optimize {:.1} s)",
            fb.get("build_secs"),
            fb.get("finish_secs")
        ),
    );
    row(
        &mut o,
        "**on-disk size**",
        format!("{:.0} MiB", tb.get("bytes") / 1048576.0),
        format!("{:.0} MiB", fb.get("bytes") / 1048576.0),
    );
    row(
        &mut o,
        "**peak RSS, build**",
        mib(tb.get("rss_kib")),
        mib(fb.get("rss_kib")),
    );
    row(
        &mut o,
        "**peak RSS, searching** (open + all queries)",
        mib(ts.get("rss_kib")),
        mib(fs.get("rss_kib")),
    );
    row(
        &mut o,
        "**open** (index / connection)",
        format!("{:.1} ms", ts.get("open_ms")),
        format!("{:.1} ms", fs.get("open_ms")),
    );
    o.push('\n');
    let build_pm = per_million(tb.get("build_secs"));
    let rss_mb = ts.get("rss_kib") * 1024.0 / 1e6;
    let _ = writeln!(o, "| Goal (Trove) | Value | Goal | |");
    let _ = writeln!(o, "|---|---|---|---|");
    let _ = writeln!(
        o,
        "| p99 latency, worst shape | {worst_p99:.2} ms | ≤ {GOAL_P99_MS} ms | {} |",
        verdict(worst_p99 <= GOAL_P99_MS)
    );
    let _ = writeln!(
        o,
        "| build time per million documents | {build_pm:.1} s | ≤ {GOAL_BUILD_SECS_PER_MILLION} s | {} |",
        verdict(build_pm <= GOAL_BUILD_SECS_PER_MILLION)
    );
    let _ = writeln!(
        o,
        "| peak RSS while searching | {rss_mb:.0} MB | ≤ {GOAL_RSS_MB} MB | {} |",
        verdict(rss_mb <= GOAL_RSS_MB)
    );
    o
}
