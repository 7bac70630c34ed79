//! `make bench` for S3 sources (run by `scripts/bench-s3.sh`):
//!
//! 1. Listing: moto_server with a bucket of 5,000 objects across all storage classes; a real
//!    `trove scan` of the bucket into a fresh library (the binary named by `TROVE_BIN`, built
//!    by `scripts/bench-s3.sh`) against `rclone lsjson -R --fast-list --no-modtime
//!    --no-mimetype` of the same bucket on the same server, in the same run; the median of
//!    several runs each is compared. Goal: Trove ≤ 1.2× rclone. The library listing alone
//!    (this binary re-run with `--list`) is timed beside them.
//! 2. Inventory: a 1,000,000-line CSV.gz report, parsed in memory, then indexed through moto
//!    (manifest, download, MD5 check, decompression, parse). Goal: ≤ 30 s.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::StorageClass as SdkClass;
use flate2::write::GzEncoder;
use tokio::task::JoinSet;
use trove_s3::{
    parse_inventory_csv, Bucket, InventoryOptions, InventorySchema, ListOptions, S3Config,
};
use trove_testkit::MotoServer;

const OBJECTS: usize = 5000;
const RUNS: usize = 7;
const INVENTORY_LINES: usize = 1_000_000;
const CLASSES: [&str; 7] = [
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];
const SCHEMA: &str = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, IntelligentTieringAccessTier";

fn config(endpoint: &str) -> S3Config {
    S3Config {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.to_owned()),
        path_style: true,
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(i) = args.iter().position(|a| a == "--list") {
        let (endpoint, bucket) = (&args[i + 1], &args[i + 2]);
        let count = runtime.block_on(list_once(endpoint, bucket))?;
        println!("{count}");
        return Ok(());
    }
    runtime.block_on(bench())
}

/// One listing, as a `trove scan` of an S3 source would do it.
async fn list_once(endpoint: &str, bucket: &str) -> anyhow::Result<usize> {
    let bucket = Bucket::new(&config(endpoint), bucket).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<trove_s3::ObjectEntry>>(64);
    let count = tokio::spawn(async move {
        let mut n = 0;
        while let Some(batch) = rx.recv().await {
            n += batch.len();
        }
        n
    });
    bucket.list(&ListOptions::default(), tx).await?;
    Ok(count.await?)
}

async fn bench() -> anyhow::Result<()> {
    let moto = MotoServer::start();
    let endpoint = moto.endpoint();
    let bucket = Bucket::new(&config(&endpoint), "bench").await?;
    bucket
        .client()
        .create_bucket()
        .bucket("bench")
        .send()
        .await?;
    let started = Instant::now();
    fill(&bucket).await?;
    println!(
        "filled s3://bench with {OBJECTS} objects across {} storage classes in {:.1} s",
        CLASSES.len(),
        started.elapsed().as_secs_f64()
    );

    let me = std::env::current_exe()?;
    let mut list = Command::new(&me);
    list.args(["--list", &endpoint, "bench"]);
    let rclone = rclone_command(&endpoint);
    let trove_bin = std::env::var_os("TROVE_BIN").map(std::path::PathBuf::from);
    let scratch = tempfile::tempdir()?;
    // Interleaved runs: all see the same server state and machine load.
    let (mut scan_times, mut list_times, mut rclone_times) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=RUNS {
        let scanned = match &trove_bin {
            Some(bin) => Some(time_scan(
                bin,
                &scratch.path().join(format!("lib{run}")),
                &endpoint,
            )?),
            None => None,
        };
        let (l, n) = time_command(&list)?;
        anyhow::ensure!(n == OBJECTS, "trove-s3 listed {n} objects");
        let (r, m) = time_command(&rclone)?;
        anyhow::ensure!(m == OBJECTS, "rclone listed {m} objects");
        // The first run of each warms up.
        if run > 0 {
            scan_times.extend(scanned);
            list_times.push(l);
            rclone_times.push(r);
        }
    }
    let (l, r) = (median(&mut list_times), median(&mut rclone_times));
    println!(
        "listing {OBJECTS} objects, median of {RUNS}: trove-s3 {:.3} s, rclone lsjson -R --fast-list {:.3} s, ratio {:.2}x",
        l.as_secs_f64(),
        r.as_secs_f64(),
        l.as_secs_f64() / r.as_secs_f64()
    );
    if scan_times.is_empty() {
        println!(
            "trove scan not timed: set TROVE_BIN to a `trove` binary (scripts/bench-s3.sh does)"
        );
    } else {
        let t = median(&mut scan_times);
        println!(
            "trove scan of {OBJECTS} objects into a fresh library, median of {RUNS}: {:.3} s, rclone lsjson -R --fast-list {:.3} s, ratio {:.2}x (goal <= 1.2x)",
            t.as_secs_f64(),
            r.as_secs_f64(),
            t.as_secs_f64() / r.as_secs_f64()
        );
    }

    // Inventory: generated, parsed in memory, then indexed through moto.
    let started = Instant::now();
    let gz = inventory_csv_gz(INVENTORY_LINES)?;
    println!(
        "generated a {INVENTORY_LINES}-line inventory CSV.gz ({:.1} MB) in {:.1} s",
        gz.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let schema = InventorySchema::parse(SCHEMA).map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    let mut objects = 0;
    let counts = parse_inventory_csv(
        flate2::read::MultiGzDecoder::new(gz.as_slice()),
        &schema,
        &InventoryOptions::default(),
        |batch| {
            objects += batch.len();
            true
        },
    )
    .map_err(anyhow::Error::msg)?;
    anyhow::ensure!(objects == INVENTORY_LINES, "parsed {objects}");
    println!(
        "inventory parse (gunzip + CSV, in memory): {} lines in {:.2} s",
        counts.lines,
        started.elapsed().as_secs_f64()
    );

    let md5: String = {
        use md5::{Digest, Md5};
        Md5::digest(&gz)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let manifest = serde_json::json!({
        "sourceBucket": "bench",
        "destinationBucket": "arn:aws:s3:::bench",
        "version": "2016-11-30",
        "creationTimestamp": "1714557600000",
        "fileFormat": "CSV",
        "fileSchema": SCHEMA,
        "files": [{"key": "inventory/data/1.csv.gz", "size": gz.len(), "MD5checksum": md5}],
    });
    bucket
        .client()
        .put_object()
        .bucket("bench")
        .key("inventory/data/1.csv.gz")
        .body(ByteStream::from(gz))
        .send()
        .await?;
    bucket
        .client()
        .put_object()
        .bucket("bench")
        .key("inventory/manifest.json")
        .body(ByteStream::from(serde_json::to_vec(&manifest)?))
        .send()
        .await?;
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<trove_s3::ObjectEntry>>(16);
    let count = tokio::spawn(async move {
        let mut n = 0;
        while let Some(batch) = rx.recv().await {
            n += batch.len();
        }
        n
    });
    let stats = bucket
        .read_inventory("inventory/manifest.json", &InventoryOptions::default(), tx)
        .await?;
    let n = count.await?;
    anyhow::ensure!(n == INVENTORY_LINES, "indexed {n}");
    println!(
        "inventory through moto (manifest, GET, MD5, gunzip, CSV): {} objects in {:.2} s (goal <= 30 s)",
        stats.objects,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Puts the 5,000 objects, 24 at a time.
async fn fill(bucket: &Bucket) -> anyhow::Result<()> {
    let mut running = JoinSet::new();
    for i in 0..OBJECTS {
        if running.len() >= 24 {
            if let Some(done) = running.join_next().await {
                done??;
            }
        }
        let client = bucket.client().clone();
        running.spawn(async move {
            let metadata =
                BTreeMap::from([("project", format!("p{}", i % 8)), ("camera", "A".into())]);
            let mut put = client
                .put_object()
                .bucket("bench")
                .key(format!(
                    "project-{}/shot-{:02}/clip-{i:05}.mov",
                    i % 8,
                    i % 13
                ))
                .storage_class(SdkClass::from(CLASSES[i % CLASSES.len()]))
                .body(ByteStream::from(format!("clip {i}").into_bytes()));
            for (k, v) in metadata {
                put = put.metadata(k, v);
            }
            put.send().await.map(|_| ())
        });
    }
    while let Some(done) = running.join_next().await {
        done??;
    }
    Ok(())
}

/// `trove source add` (not timed: it checks access once) then a timed `trove scan --foreground`
/// of the bucket into the fresh library `library`; the scan must add every object.
fn time_scan(
    bin: &std::path::Path,
    library: &std::path::Path,
    endpoint: &str,
) -> anyhow::Result<Duration> {
    let trove = |args: &[&str]| {
        let mut command = Command::new(bin);
        command
            .arg("--library")
            .arg(library)
            .arg("--foreground")
            .args(args);
        command
    };
    let added = trove(&[
        "source",
        "add",
        "s3://bench",
        "--endpoint-url",
        endpoint,
        "--path-style",
        "--region",
        "us-east-1",
    ])
    .output()?;
    anyhow::ensure!(
        added.status.success(),
        "trove source add: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let started = Instant::now();
    let scanned = trove(&["scan", "--json"]).output()?;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        scanned.status.success(),
        "trove scan: {}",
        String::from_utf8_lossy(&scanned.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&scanned.stdout)?;
    anyhow::ensure!(
        report["added"] == OBJECTS,
        "trove scan added {} objects",
        report["added"]
    );
    Ok(elapsed)
}

fn rclone_command(endpoint: &str) -> Command {
    let mut command = Command::new("rclone");
    command
        .args([
            "lsjson",
            "-R",
            "--fast-list",
            "--no-modtime",
            "--no-mimetype",
            "moto:bench",
        ])
        .env_remove("AWS_CA_BUNDLE")
        .env("RCLONE_CONFIG_MOTO_TYPE", "s3")
        .env("RCLONE_CONFIG_MOTO_PROVIDER", "Other")
        .env("RCLONE_CONFIG_MOTO_ENDPOINT", endpoint)
        .env("RCLONE_CONFIG_MOTO_ACCESS_KEY_ID", "test")
        .env("RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY", "test")
        .env("RCLONE_CONFIG_MOTO_REGION", "us-east-1")
        .env("RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE", "true");
    command
}

/// Runs a lister; returns its time and how many objects it printed (a number, or a JSON array).
fn time_command(command: &Command) -> anyhow::Result<(Duration, usize)> {
    let mut command = clone(command);
    let started = Instant::now();
    let output = command.output()?;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        output.status.success(),
        "{:?} failed: {}",
        command,
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let count = match text.trim().parse::<usize>() {
        Ok(n) => n,
        Err(_) => serde_json::from_str::<Vec<serde_json::Value>>(&text)?
            .iter()
            .filter(|e| e["IsDir"] != true)
            .count(),
    };
    Ok((elapsed, count))
}

fn clone(command: &Command) -> Command {
    let mut copy = Command::new(command.get_program());
    copy.args(command.get_args());
    for (k, v) in command.get_envs() {
        match v {
            Some(v) => copy.env(k, v),
            None => copy.env_remove(k),
        };
    }
    copy
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// An inventory report's data file: S3's CSV (every field quoted, keys URL-encoded), gzipped.
fn inventory_csv_gz(lines: usize) -> anyhow::Result<Vec<u8>> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut line = String::with_capacity(256);
    for i in 0..lines {
        line.clear();
        use std::fmt::Write as _;
        writeln!(
            line,
            "\"bench\",\"footage/day%20{}/cam-{}/clip+{i:07}.mov\",\"{}\",\"2024-05-01T10:{:02}:{:02}.000Z\",\"{:032x}\",\"{}\",\"false\",\"\",\"SSE-S3\",\"\"",
            i % 365,
            i % 4,
            1000 + i * 7,
            (i / 60) % 60,
            i % 60,
            i as u128 * 0x9e37_79b9_7f4a_7c15,
            CLASSES[i % CLASSES.len()]
        )?;
        gz.write_all(line.as_bytes())?;
    }
    Ok(gz.finish()?)
}
