//! The preview benchmark's Trove side (scripts/bench-previews.sh drives it and times it against
//! plain ffmpeg and vipsthumbnail):
//!
//! ```text
//! trove-preview-bench videos --cache DIR [--jobs 2] FILE...   all previews of each video
//! trove-preview-bench stills --cache DIR [--jobs 2] [--width 320] FILE...   posters of stills
//! trove-preview-bench orient [--every 3] FILE...   writes EXIF orientations (6, 8, 3) into JPEGs
//! trove-preview-bench check-proxies --cache DIR    ffprobe + atom order of every proxy
//! ```
//!
//! Each command prints one line per file on stdout and exits 1 when any file fails.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;
use trove_preview::{
    inspect_proxy, ContentKey, Control, Fingerprint, Manifest, MediaKind, PreviewCache,
    PreviewRequest, PreviewSettings,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("videos") => make(&args[1..], MediaKind::Video),
        Some("stills") => make(&args[1..], MediaKind::Still),
        Some("orient") => orient(&args[1..]),
        Some("check-proxies") => check_proxies(&args[1..]),
        _ => Err("usage: trove-preview-bench videos|stills|orient|check-proxies …".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trove-preview-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Options and files of a command line.
struct Options {
    cache: Option<PathBuf>,
    jobs: usize,
    width: u32,
    every: usize,
    files: Vec<PathBuf>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        cache: None,
        jobs: 2,
        width: 320,
        every: 3,
        files: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--cache" => o.cache = Some(PathBuf::from(value("--cache")?)),
            "--jobs" => o.jobs = value("--jobs")?.parse().map_err(|_| "bad --jobs")?,
            "--width" => o.width = value("--width")?.parse().map_err(|_| "bad --width")?,
            "--every" => o.every = value("--every")?.parse().map_err(|_| "bad --every")?,
            _ => o.files.push(PathBuf::from(arg)),
        }
    }
    Ok(o)
}

/// Makes the previews of every file, `--jobs` at a time.
fn make(args: &[String], kind: MediaKind) -> Result<(), String> {
    let o = options(args)?;
    let cache_dir = o.cache.ok_or("--cache DIR is required")?;
    let cache = PreviewCache::open(&cache_dir).map_err(|e| e.to_string())?;
    let settings = match kind {
        MediaKind::Still => PreviewSettings::posters_only(&[o.width]),
        _ => PreviewSettings::default(),
    };
    let queue = Mutex::new(o.files.iter().collect::<VecDeque<_>>());
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..o.jobs.max(1) {
            scope.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(file) = next else { break };
                let t = Instant::now();
                match one(&cache, file, kind, &settings) {
                    Ok(summary) => {
                        println!(
                            "{:>8.2}s  {}  {summary}",
                            t.elapsed().as_secs_f64(),
                            file.display()
                        )
                    }
                    Err(e) => {
                        if let Ok(mut f) = failures.lock() {
                            f.push(format!("{}: {e}", file.display()));
                        }
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    println!(
        "{} files in {:.2}s, {} failed",
        o.files.len(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn one(
    cache: &PreviewCache,
    file: &Path,
    kind: MediaKind,
    settings: &PreviewSettings,
) -> Result<String, trove_preview::Error> {
    let request = PreviewRequest {
        key: ContentKey::new(format!("path:{}", file.display()))?,
        source: file.to_path_buf(),
        kind,
        fingerprint: Fingerprint::of_file(file)?,
    };
    let p = cache.ensure(&request, settings, &Control::new())?;
    let m = &p.manifest;
    let posters: Vec<String> = m
        .posters
        .iter()
        .map(|p| format!("{}x{}", p.width, p.height))
        .collect();
    let mut summary = format!("posters {}", posters.join(","));
    if let Some(decode) = m.stats.still_decode {
        summary.push_str(&format!(" decode {decode:?}"));
    }
    if let Some(proxy) = &m.proxy {
        summary.push_str(&format!(" proxy {}x{}", proxy.width, proxy.height));
    }
    if let Some(strip) = &m.filmstrip {
        summary.push_str(&format!(" filmstrip {}", strip.frames));
    }
    if let Some(w) = &m.waveform {
        summary.push_str(&format!(" waveform {}", w.peaks));
    }
    Ok(summary)
}

/// Writes an EXIF orientation into every `--every`-th JPEG (6, 8, 3 in turn).
fn orient(args: &[String]) -> Result<(), String> {
    let o = options(args)?;
    let every = o.every.max(1);
    let turns = [6u16, 8, 3];
    for (n, file) in o.files.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        if !bytes.starts_with(&[0xFF, 0xD8]) {
            return Err(format!("{}: not a JPEG", file.display()));
        }
        let orientation = turns[(n / every) % turns.len()];
        std::fs::write(file, with_orientation(&bytes, orientation))
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

/// `bytes` (a JPEG) with an EXIF APP1 segment holding only `orientation`.
fn with_orientation(bytes: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0; 6]);
    let mut out = bytes[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&bytes[2..]);
    out
}

/// Checks every proxy in the cache: H.264, at most 720 lines (1280 on the long side), `moov`
/// before `mdat`.
fn check_proxies(args: &[String]) -> Result<(), String> {
    let o = options(args)?;
    let root = o.cache.ok_or("--cache DIR is required")?;
    let mut problems = Vec::new();
    let mut checked = 0;
    for manifest_path in manifests(&root.join("entries"))? {
        let dir = manifest_path.parent().unwrap_or(Path::new("."));
        let bytes = std::fs::read(&manifest_path).map_err(|e| e.to_string())?;
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        let Some(proxy) = &m.proxy else { continue };
        let path = dir.join(&proxy.file);
        checked += 1;
        match inspect_proxy(&path) {
            Ok(r) => {
                let ok = r.video_codec == "h264" && r.fits(720, 1280) && r.faststart();
                println!(
                    "{}  {} {} {} {}x{} atoms {} -> {}  ({})",
                    if ok { "ok  " } else { "FAIL" },
                    r.video_codec,
                    r.profile,
                    r.pix_fmt,
                    r.width,
                    r.height,
                    r.atoms.join(","),
                    if r.faststart() {
                        "faststart"
                    } else {
                        "moov after mdat"
                    },
                    m.key,
                );
                if !ok {
                    problems.push(m.key.clone());
                }
            }
            Err(e) => problems.push(format!("{}: {e}", m.key)),
        }
    }
    println!("{checked} proxies checked, {} failed", problems.len());
    if checked == 0 {
        return Err("no proxies found".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn manifests(entries: &Path) -> Result<Vec<PathBuf>, String> {
    let list = |dir: &Path| -> Result<Vec<PathBuf>, String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            out.push(e.map_err(|e| e.to_string())?.path());
        }
        Ok(out)
    };
    let mut out = Vec::new();
    for fan in list(entries)? {
        for entry in list(&fan)? {
            let manifest = entry.join("manifest.json");
            if manifest.is_file() {
                out.push(manifest);
            }
        }
    }
    Ok(out)
}
