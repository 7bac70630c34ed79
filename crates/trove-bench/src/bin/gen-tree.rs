//! `gen-tree`: writes a deterministic, media-library-shaped tree of exactly N regular files and
//! prints `{"files":N,"dirs":D,"bytes":B}`.

use anyhow::Result;
use clap::Parser;
use std::path::PathBuf;

/// Generate a deterministic media-library-shaped file tree for benchmarks.
#[derive(Parser)]
#[command(name = "gen-tree")]
struct Args {
    /// Number of regular files to write.
    #[arg(long, default_value_t = 100_000)]
    files: usize,
    /// Seed: the same seed gives the same tree.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Writer threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Output folder; must be missing or empty.
    out_dir: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let summary = trove_bench::plan(args.files, args.seed).write(&args.out_dir, args.threads)?;
    println!("{}", summary.to_json());
    Ok(())
}
