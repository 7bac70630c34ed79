//! `trove`: the command line over trove-engine. The contract is `../shared/docs/cli.md`.
//!
//! Human output goes to stdout, progress and logs to stderr; with `--json` stdout is exactly one
//! JSON document. Exit codes: 0 success (warnings allowed), 1 failure, 2 usage error.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use trove_core::{ScanProblem, ScanReport};
use trove_engine::{library_dir, Library, ScanProgress, WatchEvent, WatchOptions};

#[derive(Parser, Debug)]
#[command(
    name = "trove",
    version,
    about = "Trove: a digital asset manager for media teams"
)]
struct Cli {
    /// The library folder (default: $TROVE_LIBRARY, else the OS data folder).
    #[arg(long, global = true, value_name = "DIR")]
    library: Option<PathBuf>,
    /// Run scans, jobs and previews at normal priority (by default they run with lowered CPU
    /// and I/O priority, so the machine stays usable).
    #[arg(long, global = true)]
    foreground: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Add or list sources.
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// Index sources; later scans are incremental.
    Scan {
        /// Sources to scan (id, path or URI); all when none are given.
        sources: Vec<String>,
        /// Print one JSON summary.
        #[arg(long)]
        json: bool,
    },
    /// Keep the catalog in sync with the sources until interrupted.
    Watch {
        /// Print each change as a JSON line.
        #[arg(long)]
        json: bool,
        /// Debounce window in milliseconds.
        #[arg(long, default_value_t = 500, value_name = "MS")]
        debounce_ms: u64,
    },
    /// Counts of assets, locations and sources.
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the catalog's integrity; exit 1 if it is broken.
    Check {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search the library (the query language is in the README).
    Search {
        /// The query; empty or `*` matches everything.
        query: Option<String>,
        /// Hits per page.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Hits to skip (pagination).
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Order: relevance, captured, name, size, duration; `-` in front for descending.
        #[arg(long, default_value = "relevance", allow_hyphen_values = true)]
        sort: String,
        /// Rebuild the index from the catalog first.
        #[arg(long)]
        rebuild: bool,
        /// Search only within this collection (a manual one's assets, or a saved search).
        #[arg(long = "in", value_name = "COLLECTION")]
        within: Option<String>,
        /// Print one JSON document: {"total", "hits", "facets"}.
        #[arg(long)]
        json: bool,
    },
    /// List jobs (after queueing the work the catalog calls for), or run them.
    Jobs {
        #[command(subcommand)]
        command: Option<JobsCommand>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Edit or exchange metadata.
    Meta {
        #[command(subcommand)]
        command: MetaCommand,
    },
    /// Queue thumbnails, filmstrips, proxies and waveforms for media without up-to-date ones.
    Proxies {
        /// Also run the queue here until it is empty.
        #[arg(long)]
        wait: bool,
        /// Jobs run at once (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
        /// Cap the preview cache (e.g. 20GB, 500MB); the least recently used go first.
        #[arg(long, value_name = "SIZE")]
        max_cache: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find duplicate files (exact copies; look-alikes with --near), or remove extra copies.
    Dupes {
        #[command(subcommand)]
        command: Option<DupesCommand>,
        /// Also group look-alike pictures and videos (re-encodes, resizes, trims).
        #[arg(long)]
        near: bool,
        /// How alike look-alikes must be, from 0 to 1 (default 0.9 for pictures: share of
        /// equal hash bits; 0.8 for videos: share of alike frames at the best offset).
        #[arg(long, requires = "near")]
        min_similarity: Option<f32>,
        /// Print one JSON document: {"groups":[{"kind","size","members":[LOCATION...]}]}.
        #[arg(long)]
        json: bool,
    },
    /// Manual collections and saved searches.
    Collection {
        #[command(subcommand)]
        command: CollectionCommand,
    },
    /// Revert the last metadata edit (or the edit batch JOURNAL_ID).
    Undo {
        /// The edit batch to revert (printed by `meta set`).
        journal_id: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restores of archived objects: plan (cost, ETA), start, status, download.
    Restore {
        #[command(subcommand)]
        command: RestoreCommand,
    },
    /// Show one asset: id, local path, file:// URI or s3://bucket/key.
    Show {
        /// The asset.
        asset: OsString,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum DupesCommand {
    /// Move the extra copies of exact duplicates to the library's quarantine (undoable).
    Remove {
        /// Which copy stays: keep-oldest, keep-highest-quality, keep-online,
        /// keep-in-source:SOURCE (or keep-in-source with --source SOURCE).
        #[arg(long)]
        policy: String,
        /// The source a keep-in-source policy keeps copies in (id, URI or path).
        #[arg(long)]
        source: Option<String>,
        /// Also remove look-alikes (re-encodes, resizes, trims) other than the keeper.
        #[arg(long)]
        near: bool,
        /// How alike look-alikes must be, from 0 to 1 (as for `dupes --min-similarity`).
        #[arg(long, requires = "near")]
        min_similarity: Option<f32>,
        /// Treat copies in other storage tiers (local and S3, S3 and archive) as clutter too;
        /// by default they are kept as backups.
        #[arg(long)]
        across_tiers: bool,
        /// Say what would be removed; change nothing.
        #[arg(long, conflicts_with = "apply", required_unless_present = "apply")]
        dry_run: bool,
        /// Remove them.
        #[arg(long)]
        apply: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum CollectionCommand {
    /// List collections.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a collection: manual, or a saved search with `--query`.
    Create {
        /// Its name (unique, ignoring case).
        name: String,
        /// Save this search: the collection is whatever it finds when opened.
        #[arg(long, value_name = "Q")]
        query: Option<String>,
        /// The saved search's order (as `search --sort`).
        #[arg(long, default_value = "relevance", allow_hyphen_values = true)]
        sort: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add assets to a manual collection.
    Add {
        /// The collection.
        name: String,
        /// Assets: ids, paths or file:// URIs.
        assets: Vec<OsString>,
        /// Add the assets a search finds.
        #[arg(long, value_name = "Q")]
        query: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove assets from a manual collection (the assets stay in the library).
    Remove {
        /// The collection.
        name: String,
        /// Assets: ids, paths or file:// URIs.
        assets: Vec<OsString>,
        /// Remove the assets a search finds.
        #[arg(long, value_name = "Q")]
        query: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a collection (its assets stay; `trove undo` brings it back).
    Delete {
        /// The collection.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum MetaCommand {
    /// Set fields of assets: `meta set ASSET... FIELD=VALUE FIELD+=VALUE FIELD-=VALUE ...`.
    ///
    /// Lists take `;` between items (`\;` for a semicolon in an item); `FIELD=` clears a field.
    Set {
        /// Assets (id, path, file:// URI) and assignments, in any order.
        #[arg(required = true, num_args = 1.., value_name = "ASSET|FIELD=VALUE")]
        args: Vec<OsString>,
        /// Select assets by a search query.
        #[arg(long, value_name = "Q")]
        query: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export metadata: XMP sidecars (next to the media, or into --out DIR), CSV or JSON.
    Export {
        /// Assets (id, path, file:// URI).
        #[arg(required_unless_present = "query", num_args = 0..)]
        assets: Vec<OsString>,
        /// Select assets by a search query.
        #[arg(long, value_name = "Q")]
        query: Option<String>,
        /// xmp, csv or json.
        #[arg(long, value_enum)]
        format: Format,
        /// XMP: a folder for a sidecar tree mirroring each source's layout (default: next to each
        /// media file); CSV/JSON: the file (default: stdout).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Define or list custom fields (typed: text, number, date, choice).
    Field {
        #[command(subcommand)]
        command: FieldCommand,
    },
    /// Import a CSV (columns: id, then schema fields) as one undoable edit batch.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Show what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum FieldCommand {
    /// Define a custom field, e.g. `meta field add custom.shoot_day --type number`.
    Add {
        /// `custom.` followed by lower-case letters, digits and `_`.
        key: String,
        /// The value type.
        #[arg(long = "type", value_enum)]
        kind: CustomType,
        /// The allowed values of a choice field, separated by commas.
        #[arg(long, value_delimiter = ',')]
        choices: Vec<String>,
        /// A label for people (default: the key).
        #[arg(long)]
        label: Option<String>,
    },
    /// List the custom fields.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum CustomType {
    Text,
    Number,
    Date,
    Choice,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Format {
    Xmp,
    Csv,
    Json,
}

#[derive(Subcommand, Debug)]
enum RestoreCommand {
    /// What restoring these assets' archived copies would cost and take; sends nothing.
    Plan {
        /// Assets: id, local path, file:// URI or s3://bucket/key.
        #[arg(required_unless_present = "query", num_args = 0..)]
        assets: Vec<OsString>,
        /// Select assets by a search query.
        #[arg(long)]
        query: Option<String>,
        /// The retrieval tier.
        #[arg(long, value_enum, default_value = "standard")]
        tier: TierArg,
        /// Days the restored copy stays readable.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ask S3 to restore these assets' archived copies (each recorded before it is sent;
    /// starting twice asks once).
    Start {
        /// Assets: id, local path, file:// URI or s3://bucket/key.
        #[arg(required_unless_present = "query", num_args = 0..)]
        assets: Vec<OsString>,
        /// Select assets by a search query.
        #[arg(long)]
        query: Option<String>,
        /// The retrieval tier.
        #[arg(long, value_enum, default_value = "standard")]
        tier: TierArg,
        /// Days the restored copy stays readable.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restores and their state (checks those that are due first).
    Status {
        /// Check every unfinished restore now, whatever its schedule.
        #[arg(long, conflicts_with = "offline")]
        refresh: bool,
        /// Only read the catalog: send and check nothing.
        #[arg(long)]
        offline: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Download restored copies into a folder (verified, resumable), or copy them back to a
    /// hot class in place.
    Download {
        /// Assets: id, local path, file:// URI or s3://bucket/key.
        #[arg(required_unless_present = "query", num_args = 0..)]
        assets: Vec<OsString>,
        /// Select assets by a search query.
        #[arg(long)]
        query: Option<String>,
        /// The folder to download into (names come from the keys and never leave it).
        #[arg(long, value_name = "DIR", required_unless_present = "in_place")]
        to: Option<PathBuf>,
        /// Copy each object onto itself in this storage class instead (e.g. STANDARD).
        #[arg(long, value_name = "CLASS", conflicts_with = "to")]
        in_place: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum TierArg {
    Bulk,
    Standard,
    Expedited,
}

impl TierArg {
    fn tier(self) -> trove_core::restore::Tier {
        match self {
            TierArg::Bulk => trove_core::restore::Tier::Bulk,
            TierArg::Standard => trove_core::restore::Tier::Standard,
            TierArg::Expedited => trove_core::restore::Tier::Expedited,
        }
    }
}

#[derive(Subcommand, Debug)]
enum JobsCommand {
    /// Pause the whole queue, or the jobs named; running ones stop and wait.
    Pause {
        /// Job ids (none: the whole queue).
        ids: Vec<i64>,
    },
    /// Resume the queue, or the jobs named.
    Resume {
        /// Job ids (none: the whole queue and every paused job).
        ids: Vec<i64>,
    },
    /// Cancel unfinished jobs.
    Cancel {
        /// Job ids.
        #[arg(required_unless_present = "all")]
        ids: Vec<i64>,
        /// Cancel every unfinished job.
        #[arg(long)]
        all: bool,
    },
    /// Queue failed or cancelled jobs again, with fresh attempts.
    Retry {
        /// Job ids (none: every failed job).
        ids: Vec<i64>,
    },
    /// Run an asset's pending jobs first.
    Prioritize {
        /// The asset: id, path or file:// URI.
        asset: OsString,
    },
    /// Run the queued jobs here and return when none is left.
    Wait {
        /// Print one JSON summary.
        #[arg(long)]
        json: bool,
        /// Jobs run at once (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
    },
}

#[derive(Subcommand, Debug)]
enum SourceCommand {
    /// Add a local folder, an S3 bucket (s3://BUCKET[/PREFIX]) or a Glacier vault (glacier://VAULT).
    Add {
        /// The folder, or s3://BUCKET[/PREFIX], or glacier://VAULT.
        path: OsString,
        /// Do not follow symbolic links while scanning.
        #[arg(long)]
        no_follow_links: bool,
        /// S3: the AWS profile whose credentials to use (otherwise the default chain).
        #[arg(long)]
        profile: Option<String>,
        /// S3: the bucket's region (a wrong one is corrected when S3 names the right one).
        #[arg(long)]
        region: Option<String>,
        /// S3: an S3-compatible endpoint (MinIO, R2, Wasabi, B2).
        #[arg(long)]
        endpoint_url: Option<String>,
        /// S3: path-style addressing (https://host/bucket/key), as most S3-compatible stores need.
        #[arg(long)]
        path_style: bool,
        /// S3: index from this S3 Inventory report (s3://bucket/path/manifest.json, CSV.gz)
        /// instead of listing the bucket.
        #[arg(long)]
        inventory: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List sources.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TROVE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,nom_exif=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    // Long background work runs quietly: lowered before the runtime starts its threads, which
    // inherit it, as do ffmpeg and ffprobe.
    let background = matches!(
        cli.command,
        Command::Scan { .. }
            | Command::Watch { .. }
            | Command::Jobs { .. }
            | Command::Proxies { .. }
    );
    if background && !cli.foreground {
        let applied = trove_sys::lower_priority(trove_sys::Quiet::default());
        tracing::debug!("background priority lowered: {applied:?}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("trove: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("trove: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let dir = library_dir(cli.library.as_deref())?;
    let library = Library::open(&dir)
        .await
        .with_context(|| format!("opening the library {}", dir.display()))?;
    let code = match cli.command {
        Command::Source { command } => source(&library, command).await?,
        Command::Scan { sources, json } => scan(&library, &sources, json).await?,
        Command::Watch { json, debounce_ms } => watch(&library, json, debounce_ms).await?,
        Command::Stats { json } => {
            let stats = library.stats().await?;
            if json {
                print_json(&stats)?;
            } else {
                println!(
                    "{} assets, {} locations ({} missing, {} sidecars), {} sources ({} offline), {} offline assets",
                    stats.assets, stats.locations, stats.missing, stats.sidecars, stats.sources,
                    stats.offline_sources, stats.offline
                );
            }
            ExitCode::SUCCESS
        }
        Command::Check { json } => {
            let report = library.check().await?;
            if json {
                print_json(&report)?;
            } else if report.ok {
                println!("ok: {} checks passed", report.checks.len());
            } else {
                for p in &report.problems {
                    println!("{}: {}", p.check, p.message);
                }
            }
            if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Jobs { command, json } => jobs(&library, command, json).await?,
        Command::Search {
            query,
            limit,
            offset,
            sort,
            rebuild,
            within,
            json,
        } => {
            if rebuild {
                let report = library.sync_search(true).await?;
                eprintln!("search index rebuilt: {} assets", report.updated);
            }
            let sort: trove_search::Sort =
                sort.parse().map_err(|e: String| anyhow::anyhow!("--{e}"))?;
            let options = trove_search::SearchOptions {
                limit,
                offset,
                sort,
                facets: true,
                within: None,
            };
            let query = query.as_deref().unwrap_or("");
            let report = match &within {
                Some(name) => library.search_collection(name, query, &options).await?,
                None => library.search(query, &options).await?,
            };
            if json {
                print_json(&report)?;
            } else {
                println!("{} matches", report.total);
                for hit in &report.hits {
                    let path = hit
                        .locations
                        .first()
                        .and_then(|l| l.path.clone())
                        .unwrap_or_default();
                    println!("{:>8}  {}  {}", hit.id, hit.title, path);
                }
            }
            ExitCode::SUCCESS
        }
        Command::Meta { command } => meta(&library, command).await?,
        Command::Restore { command } => restore(&library, command).await?,
        Command::Collection { command } => collection(&library, command).await?,
        Command::Dupes {
            command: None,
            near,
            min_similarity,
            json,
        } => {
            let report = library
                .find_dupes_with(&trove_engine::DupesOptions {
                    near,
                    min_similarity,
                    ..Default::default()
                })
                .await?;
            if json {
                print_json(&report)?;
            } else {
                for group in &report.groups {
                    match group.asset_id {
                        Some(asset) => println!(
                            "{} group, {} bytes each (asset {asset}):",
                            group.kind, group.size
                        ),
                        None => println!("{} group, {} bytes each:", group.kind, group.size),
                    }
                    for m in &group.members {
                        println!("  {}", m.path);
                    }
                    for c in &group.conflicts {
                        println!(
                            "  conflict on {}: kept {}, not {} (from asset {})",
                            c.field, c.kept, c.other, c.other_asset
                        );
                    }
                }
                if let Some(b) = report.merge_batch {
                    println!(
                        "{} assets merged into the asset of their copies: edit batch {b} \
                         (trove undo {b} splits them back)",
                        report.merged.len()
                    );
                }
                println!(
                    "{} groups among {} files",
                    report.groups.len(),
                    report.files
                );
            }
            for error in &report.errors {
                eprintln!("not read: {error}");
            }
            ExitCode::SUCCESS
        }
        Command::Dupes {
            command:
                Some(DupesCommand::Remove {
                    policy,
                    source,
                    near,
                    min_similarity,
                    across_tiers,
                    dry_run: _,
                    apply,
                    json,
                }),
            ..
        } => {
            let policy = match (policy.as_str(), source) {
                ("keep-in-source", Some(source)) => format!("keep-in-source:{source}"),
                _ => policy,
            };
            let policy: trove_engine::KeepPolicy = policy
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--{e}"))?;
            let line = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
            let options = trove_engine::RemoveOptions {
                policy,
                apply,
                near,
                min_similarity,
                across_tiers,
            };
            let report = library.remove_dupes(&options, &line).await?;
            if json {
                print_json(&report)?;
            } else {
                for group in &report.groups {
                    if let Some(keep) = &group.keep {
                        println!("keep    {}", keep.path);
                    }
                    for m in &group.remove {
                        println!("{} {}", if apply { "removed" } else { "remove " }, m.path);
                    }
                    for s in &group.skipped {
                        println!("skip    {} ({})", s.member.path, s.reason);
                    }
                }
                let verb = if apply {
                    "moved to the quarantine"
                } else {
                    "would be removed"
                };
                println!("{} copies, {} bytes {verb}", report.removed, report.bytes);
                if let Some(b) = report.batch {
                    println!("edit batch {b} (trove undo {b} puts them back)");
                }
            }
            for error in &report.errors {
                eprintln!("not checked (kept): {error}");
            }
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            ExitCode::SUCCESS
        }
        Command::Proxies {
            wait,
            workers,
            max_cache,
            json,
        } => {
            if let Some(size) = &max_cache {
                let bytes = parse_size(size)?;
                let freed = library.set_preview_cap(bytes).await?;
                eprintln!("preview cache capped at {bytes} bytes; {freed} bytes freed");
            }
            let queued = library.plan_previews().await?;
            if wait {
                eprintln!("{queued} preview jobs queued");
                run_queue(&library, workers, json).await?
            } else {
                if json {
                    print_json(&serde_json::json!({ "queued_now": queued }))?;
                } else {
                    println!("{queued} preview jobs queued (trove jobs wait runs them)");
                }
                ExitCode::SUCCESS
            }
        }
        Command::Undo { journal_id, json } => {
            let report = library.undo(journal_id).await?;
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "undid edit batch {} ({} values): {}",
                    report.batch, report.edits, report.command
                );
            }
            ExitCode::SUCCESS
        }
        Command::Show { asset, json } => {
            let view = library.show(&asset).await?;
            if json {
                print_json(&view)?;
            } else {
                println!("{} {} ({})", view.id, view.title, view.media_type);
                for l in &view.locations {
                    let state = match (&l.archive_state, l.online) {
                        (Some(archived), _) => archived.as_str(),
                        (None, true) => "online",
                        (None, false) => "offline",
                    };
                    let class = l
                        .storage_class
                        .as_deref()
                        .map(|c| format!(", {c}"))
                        .unwrap_or_default();
                    println!("  {} {} bytes, {}{class}, {}", l.uri, l.size, l.role, state);
                }
            }
            ExitCode::SUCCESS
        }
    };
    library.close().await;
    Ok(code)
}

async fn source(library: &Library, command: SourceCommand) -> Result<ExitCode> {
    match command {
        SourceCommand::Add {
            path,
            no_follow_links,
            profile,
            region,
            endpoint_url,
            path_style,
            inventory,
            json,
        } => {
            let text = path.to_string_lossy();
            let s3_options = profile.is_some()
                || region.is_some()
                || endpoint_url.is_some()
                || path_style
                || inventory.is_some();
            let view = if text.starts_with("s3://") {
                let config = trove_engine::S3SourceConfig {
                    s3: trove_engine::S3Config {
                        profile,
                        region,
                        endpoint_url,
                        path_style,
                    },
                    inventory,
                };
                library.add_s3_source(&text, &config).await?
            } else if text.starts_with("glacier://") {
                if path_style || inventory.is_some() {
                    anyhow::bail!("{text}: --path-style and --inventory are for s3:// sources");
                }
                let config = trove_engine::GlacierConfig {
                    profile,
                    region,
                    endpoint_url,
                };
                library.add_glacier_source(&text, &config).await?
            } else if s3_options {
                anyhow::bail!(
                    "{text}: --profile, --region, --endpoint-url, --path-style and --inventory \
                     are for s3:// sources"
                );
            } else {
                library
                    .add_local_source(PathBuf::from(&path).as_path(), !no_follow_links)
                    .await?
            };
            if json {
                print_json(&view)?;
            } else {
                println!("added source {} {}", view.id, view.uri);
            }
        }
        SourceCommand::List { json } => {
            let sources = library.sources().await?;
            if json {
                print_json(&sources)?;
            } else {
                for s in &sources {
                    let state = if s.online { "online" } else { "offline" };
                    println!("{} {} {} locations, {}", s.id, s.uri, s.locations, state);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `scan --json` document: totals over every source scanned, then each source's report.
#[derive(Serialize, Default)]
struct ScanSummary {
    added: u64,
    updated: u64,
    moved: u64,
    missing: u64,
    unchanged: u64,
    files: u64,
    errors: Vec<ScanProblem>,
    sources: Vec<ScanReport>,
}

async fn scan(library: &Library, sources: &[String], json: bool) -> Result<ExitCode> {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let started = std::time::Instant::now();
    let observer = |p: &ScanProgress| {
        let secs = started.elapsed().as_secs_f64().max(0.001);
        bar.set_message(format!(
            "{}: {} files ({:.0}/s), {} unchanged, {} written, {} problems",
            p.source,
            p.files,
            p.files as f64 / secs,
            p.unchanged,
            p.written,
            p.problems
        ));
    };
    let reports = library.scan(sources, &observer).await?;
    bar.finish_and_clear();
    let mut summary = ScanSummary::default();
    for r in &reports {
        summary.added += r.added;
        summary.updated += r.updated;
        summary.moved += r.moved;
        summary.missing += r.missing;
        summary.unchanged += r.unchanged;
        summary.files += r.files;
        summary.errors.extend(r.errors.iter().cloned());
    }
    summary.sources = reports;
    if json {
        print_json(&summary)?;
    } else {
        for r in &summary.sources {
            if r.online {
                println!(
                    "{}: {} files: {} added, {} updated, {} moved, {} missing, {} unchanged ({} ms)",
                    r.source, r.files, r.added, r.updated, r.moved, r.missing, r.unchanged, r.elapsed_ms
                );
            } else {
                println!("{}: offline", r.source);
            }
        }
        for e in &summary.errors {
            println!("warning: {}: {}", e.path, e.message);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn watch(library: &Library, json: bool, debounce_ms: u64) -> Result<ExitCode> {
    let options = WatchOptions {
        debounce: Duration::from_millis(debounce_ms),
        ..WatchOptions::default()
    };
    let report = move |event: &WatchEvent| {
        if json {
            if let Ok(line) = serde_json::to_string(event) {
                println!("{line}");
            }
        } else {
            eprintln!("{event}");
        }
    };
    let stop = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    library.watch(options, &report, stop).await?;
    Ok(ExitCode::SUCCESS)
}

async fn meta(library: &Library, command: MetaCommand) -> Result<ExitCode> {
    match command {
        MetaCommand::Set { args, query, json } => {
            let mut assets = match &query {
                Some(q) => query_assets(library, q).await?,
                None => Vec::new(),
            };
            let mut assignments = Vec::new();
            for arg in &args {
                match arg.to_str().and_then(trove_engine::Assignment::parse) {
                    Some(a) => assignments.push(a),
                    None => assets.push(arg.clone()),
                }
            }
            let command: Vec<String> = args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let report = library
                .meta_set(
                    &assets,
                    &assignments,
                    &format!("meta set {}", command.join(" ")),
                )
                .await?;
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "edit batch {}: {} values on {} assets (trove undo {} reverts it)",
                    report.batch, report.edits, report.assets, report.batch
                );
            }
        }
        MetaCommand::Export {
            assets,
            query,
            format,
            out,
        } => {
            let mut assets = assets;
            if let Some(q) = &query {
                assets.extend(query_assets(library, q).await?);
            }
            let format = match format {
                Format::Xmp => trove_engine::ExportFormat::Xmp,
                Format::Csv => trove_engine::ExportFormat::Csv,
                Format::Json => trove_engine::ExportFormat::Json,
            };
            let (report, text) = library.meta_export(&assets, format, out.as_deref()).await?;
            match text {
                Some(text) => print!("{text}"),
                None => {
                    for file in &report.files {
                        eprintln!("wrote {file}");
                    }
                }
            }
            for problem in &report.problems {
                eprintln!("not written: asset {}: {}", problem.asset, problem.message);
            }
            if !report.problems.is_empty() {
                eprintln!(
                    "{} of {} sidecars not written (the metadata stays in the catalog)",
                    report.problems.len(),
                    report.assets
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        MetaCommand::Field {
            command:
                FieldCommand::Add {
                    key,
                    kind,
                    choices,
                    label,
                },
        } => {
            let kind = match kind {
                CustomType::Text => trove_core::CustomKind::Text,
                CustomType::Number => trove_core::CustomKind::Number,
                CustomType::Date => trove_core::CustomKind::Date,
                CustomType::Choice => trove_core::CustomKind::Choice(choices),
            };
            let def = library
                .define_custom_field(&key, label.as_deref().unwrap_or(&key), kind)
                .await?;
            println!("defined {}", def.key());
        }
        MetaCommand::Field {
            command: FieldCommand::List { json },
        } => {
            let fields = library.custom_fields().await?;
            if json {
                print_json(&fields)?;
            } else {
                for f in &fields {
                    println!("{} ({}): {:?}", f.key(), f.label(), f.kind());
                }
            }
        }
        MetaCommand::Import {
            file,
            dry_run,
            json,
        } => {
            let report = library.meta_import(&file, dry_run).await?;
            if json {
                print_json(&report)?;
            } else {
                for c in &report.changes {
                    println!(
                        "row {}: asset {} {}: {} -> {}",
                        c.row, c.asset, c.field, c.from, c.to
                    );
                }
                for p in &report.problems {
                    println!("row {}: {}", p.row, p.message);
                }
                match report.batch {
                    Some(b) => println!(
                        "edit batch {b}: {} changes (trove undo {b} reverts it)",
                        report.changes.len()
                    ),
                    None if dry_run => {
                        println!("dry run: {} changes, nothing written", report.changes.len())
                    }
                    None => println!("nothing to change"),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The ids of the assets a search query selects, as asset arguments.
async fn collection(library: &Library, command: CollectionCommand) -> Result<ExitCode> {
    let line = || std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    let (change, json) = match command {
        CollectionCommand::List { json } => {
            let collections = library.collections().await?;
            if json {
                print_json(&collections)?;
            } else {
                for c in &collections {
                    match &c.query {
                        Some(q) => println!("{}  (saved search: {q})", c.name),
                        None => println!("{}  ({} assets)", c.name, c.members),
                    }
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        CollectionCommand::Create {
            name,
            query,
            sort,
            json,
        } => {
            let sort: trove_search::Sort =
                sort.parse().map_err(|e: String| anyhow::anyhow!("--{e}"))?;
            let change = library
                .create_collection(&name, query.as_deref(), sort, &line())
                .await?;
            (change, json)
        }
        CollectionCommand::Add {
            name,
            assets,
            query,
            json,
        } => (
            members(library, &name, assets, query, true, &line()).await?,
            json,
        ),
        CollectionCommand::Remove {
            name,
            assets,
            query,
            json,
        } => (
            members(library, &name, assets, query, false, &line()).await?,
            json,
        ),
        CollectionCommand::Delete { name, json } => {
            (library.delete_collection(&name, &line()).await?, json)
        }
    };
    if json {
        print_json(&change)?;
    } else {
        let c = &change.collection;
        let what = match &c.query {
            Some(q) => format!("saved search {:?} ({q})", c.name),
            None => format!("collection {:?} ({} assets)", c.name, c.members),
        };
        match change.batch {
            Some(b) => println!("{what}: edit batch {b} (trove undo {b} reverts it)"),
            None => println!("{what}: nothing changed"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Adds or removes the assets named and those `query` finds.
async fn members(
    library: &Library,
    name: &str,
    mut assets: Vec<OsString>,
    query: Option<String>,
    member: bool,
    command: &str,
) -> Result<trove_engine::CollectionChange> {
    if let Some(q) = &query {
        assets.extend(query_assets(library, q).await?);
    }
    if assets.is_empty() {
        anyhow::bail!("name the assets, or select them with --query");
    }
    Ok(library
        .collection_members(name, &assets, member, command)
        .await?)
}

async fn query_assets(library: &Library, query: &str) -> Result<Vec<OsString>> {
    let ids = library.query_assets(query).await?;
    if ids.is_empty() {
        anyhow::bail!("no asset matches {query:?}");
    }
    Ok(ids
        .into_iter()
        .map(|id| OsString::from(id.to_string()))
        .collect())
}

/// The `jobs --json` document.
#[derive(Serialize)]
struct JobsReport {
    queued_now: u64,
    stats: trove_engine::JobStats,
    jobs: Vec<trove_engine::JobView>,
}

fn selector(ids: &[i64]) -> trove_engine::JobSelector<'_> {
    if ids.is_empty() {
        trove_engine::JobSelector::All
    } else {
        trove_engine::JobSelector::Ids(ids)
    }
}

async fn jobs(library: &Library, command: Option<JobsCommand>, json: bool) -> Result<ExitCode> {
    let control = match &command {
        Some(JobsCommand::Pause { ids }) => {
            Some(("paused", library.pause_jobs(selector(ids)).await?))
        }
        Some(JobsCommand::Resume { ids }) => {
            Some(("resumed", library.resume_jobs(selector(ids)).await?))
        }
        Some(JobsCommand::Cancel { ids, all }) => {
            let ids: &[i64] = if *all { &[] } else { ids };
            Some(("cancelled", library.cancel_jobs(selector(ids)).await?))
        }
        Some(JobsCommand::Retry { ids }) => {
            Some(("queued again", library.retry_jobs(selector(ids)).await?))
        }
        Some(JobsCommand::Prioritize { asset }) => {
            Some(("moved to the front", library.prioritize(asset).await?))
        }
        _ => None,
    };
    if let Some((what, n)) = control {
        if json {
            print_json(&serde_json::json!({ what: n }))?;
        } else {
            println!("{n} jobs {what}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let queued_now = library.plan_jobs().await?;
    match command {
        None => {
            let report = JobsReport {
                queued_now,
                stats: library.job_stats().await?,
                jobs: library.jobs(200).await?,
            };
            if json {
                print_json(&report)?;
            } else {
                let s = &report.stats;
                println!(
                    "{} queued, {} running, {} paused, {} done, {} failed{}",
                    s.queued,
                    s.running,
                    s.paused,
                    s.done,
                    s.failed,
                    if s.queue_paused {
                        " (queue paused: trove jobs resume)"
                    } else {
                        ""
                    }
                );
                for j in report.jobs.iter().filter(|j| j.state != "done") {
                    let error = j.error.as_deref().unwrap_or("");
                    let progress = if j.state == "running" {
                        format!(" {:.0}%", j.progress * 100.0)
                    } else {
                        String::new()
                    };
                    println!("{} {} {}{progress} {error}", j.id, j.kind, j.state);
                }
            }
        }
        Some(JobsCommand::Wait {
            json: wait_json,
            workers,
        }) => return run_queue(library, workers, json || wait_json).await,
        Some(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// `20GB`, `500MB`, `1.5TB`, `1000` (bytes; decimal units).
fn parse_size(text: &str) -> Result<u64> {
    let upper = text.trim().to_ascii_uppercase();
    let (number, unit) = upper.split_at(
        upper
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(upper.len()),
    );
    let scale: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "KB" | "K" => 1e3,
        "MB" | "M" => 1e6,
        "GB" | "G" => 1e9,
        "TB" | "T" => 1e12,
        other => anyhow::bail!("size {text:?}: unknown unit {other:?} (use B, KB, MB, GB or TB)"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("size {text:?}: not a number"))?;
    if !value.is_finite() || value < 0.0 {
        anyhow::bail!("size {text:?}: must be positive");
    }
    Ok((value * scale) as u64)
}

/// Runs the queue here until it is empty (or paused), with a bar on a terminal.
async fn run_queue(library: &Library, workers: Option<usize>, json: bool) -> Result<ExitCode> {
    let mut options = trove_engine::JobOptions::default();
    if let Some(n) = workers {
        options.workers = n;
    }
    let total = library.job_stats().await?.queued;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} jobs, eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let observer = |event: &trove_engine::JobEvent| match event {
        trove_engine::JobEvent::Done { .. } => bar.inc(1),
        trove_engine::JobEvent::Failed {
            path,
            error,
            retrying,
            ..
        } => {
            bar.inc(1);
            if !retrying {
                bar.println(format!("failed: {path}: {error}"));
            }
        }
        trove_engine::JobEvent::Progress {
            id,
            fraction,
            fps,
            eta_secs,
        } => {
            let mut msg = format!("job {id}: {:.0}%", fraction * 100.0);
            if let Some(fps) = fps {
                msg.push_str(&format!(" {fps:.0} fps"));
            }
            if let Some(eta) = eta_secs {
                msg.push_str(&format!(" {eta:.0}s left"));
            }
            bar.set_message(msg);
        }
    };
    let summary = library
        .run_jobs(&options, &observer, std::future::pending())
        .await?;
    bar.finish_and_clear();
    if json {
        print_json(&summary)?;
    } else {
        println!(
            "{} done, {} failed, {} to retry later",
            summary.done, summary.failed, summary.retried
        );
        if summary.paused {
            println!("the queue is paused: `trove jobs resume` lets it go on");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn restore(library: &Library, command: RestoreCommand) -> Result<ExitCode> {
    let select = |assets: Vec<OsString>, query: Option<String>| async move {
        let mut assets = assets;
        if let Some(q) = &query {
            assets.extend(query_assets(library, q).await?);
        }
        anyhow::Ok(assets)
    };
    match command {
        RestoreCommand::Plan {
            assets,
            query,
            tier,
            days,
            json,
        } => {
            let assets = select(assets, query).await?;
            let request = trove_core::restore::PlanRequest {
                tier: tier.tier(),
                days,
            };
            let plan = library.restore_plan(&assets, request).await?;
            if json {
                print_json(&plan)?;
            } else {
                print_plan(&plan);
            }
            Ok(ExitCode::SUCCESS)
        }
        RestoreCommand::Start {
            assets,
            query,
            tier,
            days,
            json,
        } => {
            let assets = select(assets, query).await?;
            let request = trove_core::restore::PlanRequest {
                tier: tier.tier(),
                days,
            };
            let report = library.restore_start(&assets, request).await?;
            if json {
                print_json(&report)?;
            } else {
                print_plan(&report.plan);
                match report.batch_id {
                    Some(batch) => println!(
                        "batch {batch}: {} restores recorded, {} requests sent, {} ready now",
                        report.recorded, report.run.requested, report.run.ready
                    ),
                    None => println!("nothing to restore"),
                }
                for failure in &report.run.failed {
                    println!("failed: {failure}");
                }
                if report.run.retrying > 0 {
                    println!(
                        "{} requests will be tried again (trove restore status)",
                        report.run.retrying
                    );
                }
                println!("follow them with `trove restore status`");
            }
            Ok(if report.run.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        RestoreCommand::Status {
            refresh,
            offline,
            json,
        } => {
            let report = library
                .restore_status(trove_engine::StatusOptions { refresh, offline })
                .await?;
            if json {
                print_json(&report)?;
            } else {
                let c = &report.counts;
                println!(
                    "{} pending, {} in progress, {} ready, {} expired, {} failed",
                    c.pending, c.in_progress, c.ready, c.expired, c.failed
                );
                for r in &report.restores {
                    let when = match (r.state.as_str(), r.expiry, r.next_check) {
                        ("ready", Some(e), _) => {
                            format!(" until {}", trove_core::restore::format_utc(e as u64))
                        }
                        ("in_progress", _, Some(n)) => format!(
                            " (next check {})",
                            trove_core::restore::format_utc(n as u64)
                        ),
                        _ => String::new(),
                    };
                    let error = r
                        .error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default();
                    println!("{} {} {} {}{when}{error}", r.id, r.state, r.tier, r.uri);
                }
                for event in &report.events {
                    match event {
                        trove_engine::RestoreEvent::BatchReady {
                            batch_id,
                            ready,
                            not_ready,
                        } => println!(
                            "batch {batch_id} is ready: {ready} copies readable{}",
                            if *not_ready > 0 {
                                format!(", {not_ready} not")
                            } else {
                                String::new()
                            }
                        ),
                        trove_engine::RestoreEvent::ExpiresSoon { uri, expiry } => println!(
                            "warning: the restored copy of {uri} expires {}",
                            trove_core::restore::format_utc(*expiry as u64)
                        ),
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RestoreCommand::Download {
            assets,
            query,
            to,
            in_place,
            json,
        } => {
            let assets = select(assets, query).await?;
            let target = match (to, in_place) {
                (Some(dir), _) => trove_engine::DownloadTarget::Folder(dir),
                (None, Some(class)) => trove_engine::DownloadTarget::InPlace(class),
                (None, None) => anyhow::bail!("give --to DIR or --in-place CLASS"),
            };
            let report = library.restore_download(&assets, &target).await?;
            if json {
                print_json(&report)?;
            } else {
                for d in &report.downloaded {
                    match &d.path {
                        Some(path) => println!(
                            "{} -> {} ({} bytes, {} {}{})",
                            d.uri,
                            path.display(),
                            d.bytes,
                            d.verification,
                            d.verification_detail,
                            if d.already_present {
                                ", already there"
                            } else {
                                ""
                            }
                        ),
                        None => println!("{}: {}", d.uri, d.verification_detail),
                    }
                }
                for p in &report.problems {
                    eprintln!("{p}");
                }
            }
            Ok(if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn print_plan(plan: &trove_engine::RestorePlanReport) {
    let hours = |d: Duration| {
        let h = d.as_secs_f64() / 3600.0;
        if h < 1.0 {
            format!("{:.0} min", h * 60.0)
        } else {
            format!("{h:.0} h")
        }
    };
    let within = |eta: trove_core::restore::Eta| {
        if eta.min.is_zero() {
            format!("within {}", hours(eta.max))
        } else {
            format!("in {} to {}", hours(eta.min), hours(eta.max))
        }
    };
    let estimate = |e: &trove_core::restore::TierEstimate| match (e.cost, e.eta) {
        (Some(cost), Some(eta)) => format!(
            "{:?}: {} objects, about {cost:.4} {} (estimate), done {}",
            e.tier,
            e.objects,
            plan.currency,
            within(eta)
        ),
        (None, Some(eta)) => format!(
            "{:?}: {} objects, cost unknown (no price), done in up to {}",
            e.tier,
            e.objects,
            hours(eta.max)
        ),
        _ if e.objects == 0 && e.refused > 0 => {
            format!("{:?}: not available for these objects", e.tier)
        }
        _ => format!("{:?}: nothing to restore", e.tier),
    };
    println!(
        "{} to restore ({} bytes), {} need no restore, {} under way, {} refused",
        plan.to_restore, plan.bytes, plan.no_restore_needed, plan.in_progress, plan.refused
    );
    println!(
        "{} (prices of {}, {}; check the current AWS price list)",
        estimate(&plan.estimate),
        plan.prices_as_of,
        plan.prices_region
    );
    for e in plan.by_tier.iter().filter(|e| e.tier != plan.estimate.tier) {
        println!("  other tier {}", estimate(e));
    }
    for o in &plan.objects {
        println!("{} ({} bytes): {}", o.uri, o.bytes, o.message);
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
