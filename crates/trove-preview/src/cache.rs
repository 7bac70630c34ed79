//! The preview cache: one folder per content key under `ROOT/entries/`, made in `ROOT/tmp/` and
//! moved into place whole, so a reader never sees half an entry. The manifest's modification
//! time is the entry's last use: reads touch it, and [`PreviewCache::enforce_cap`] evicts the
//! least recently used entries first.

use crate::control::Control;
use crate::error::{io, Error, Result};
use crate::manifest::{manifest_path, Manifest, Previews, Stats, MANIFEST_VERSION};
use crate::probe::probe;
use crate::settings::PreviewSettings;
use crate::{still, video, ContentKey, MediaKind, PreviewRequest};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Leftovers in `tmp/` older than this are removed by [`PreviewCache::enforce_cap`].
const STALE_TMP: Duration = Duration::from_secs(6 * 3600);

/// A preview cache folder.
#[derive(Clone, Debug)]
pub struct PreviewCache {
    root: PathBuf,
}

/// What [`PreviewCache::enforce_cap`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapReport {
    /// Entries before eviction.
    pub entries: usize,
    /// Bytes of all entries before eviction.
    pub bytes_before: u64,
    /// Entries removed.
    pub evicted: usize,
    /// Bytes of the entries left.
    pub bytes_after: u64,
}

impl PreviewCache {
    /// Opens (creating) the cache at `root`, e.g. `LIBRARY/previews`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        for sub in ["entries", "tmp"] {
            let dir = root.join(sub);
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        Ok(Self { root })
    }

    /// The cache's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of `key`'s entry (which may not exist): `entries/ab/abcdef…` from the
    /// BLAKE3 digest of the key.
    pub fn entry_dir(&self, key: &ContentKey) -> PathBuf {
        let digest = blake3::hash(key.as_str().as_bytes()).to_hex();
        self.root
            .join("entries")
            .join(&digest[..2])
            .join(&digest[..32])
    }

    /// The previews of `key` as they are, whatever the source now is (it may be archived or
    /// gone); touches the entry. `None` when there is no entry.
    pub fn get(&self, key: &ContentKey) -> Result<Option<Previews>> {
        let dir = self.entry_dir(key);
        let Some(manifest) = read_manifest(&dir)? else {
            return Ok(None);
        };
        if manifest.key != key.as_str() {
            return Ok(None);
        }
        touch_dir(&dir)?;
        Ok(Some(Previews {
            dir,
            manifest,
            from_cache: true,
        }))
    }

    /// Marks `key`'s entry as just used (for the LRU cap). False when there is no entry.
    pub fn touch(&self, key: &ContentKey) -> Result<bool> {
        let dir = self.entry_dir(key);
        if !manifest_path(&dir).is_file() {
            return Ok(false);
        }
        touch_dir(&dir)?;
        Ok(true)
    }

    /// Removes `key`'s entry. False when there was none.
    pub fn remove(&self, key: &ContentKey) -> Result<bool> {
        let dir = self.entry_dir(key);
        if !dir.exists() {
            return Ok(false);
        }
        self.discard(&dir)?;
        Ok(true)
    }

    /// The previews of the request: the entry as it is when its fingerprint and settings match
    /// (touched), else made anew from the source (ffprobe + one ffmpeg for video and audio; a
    /// scaled decode for stills) and put in place of the old one.
    pub fn ensure(
        &self,
        request: &PreviewRequest,
        settings: &PreviewSettings,
        control: &Control,
    ) -> Result<Previews> {
        let dir = self.entry_dir(&request.key);
        let digest = settings.digest();
        // One maker per entry in this process: a second caller waits, then finds it made.
        let _making = Making::claim(&dir);
        if let Some(manifest) = read_manifest(&dir)? {
            if manifest.key == request.key.as_str()
                && manifest.fingerprint == request.fingerprint.as_str()
                && manifest.settings == digest
            {
                touch_dir(&dir)?;
                return Ok(Previews {
                    dir,
                    manifest,
                    from_cache: true,
                });
            }
        }
        if control.cancel.is_cancelled() {
            return Err(Error::Cancelled {
                path: request.source.clone(),
            });
        }
        let started = Instant::now();
        let work = TmpDir::new(self.unique("new"))?;
        let mut manifest = make(request, settings, control, work.path(), &digest)?;
        manifest.stats.took_ms = started.elapsed().as_millis() as u64;
        video::write_json(&manifest_path(work.path()), &manifest)?;
        self.install(work, &dir)?;
        control.report(&crate::Progress {
            percent: 100.0,
            fps: None,
            speed: None,
            eta: Some(Duration::ZERO),
        });
        Ok(Previews {
            dir,
            manifest,
            from_cache: false,
        })
    }

    /// Evicts least recently used entries until all entries together take at most
    /// `max_bytes`. Entries without a readable manifest go first; stale leftovers of
    /// interrupted runs in `tmp/` are removed too.
    pub fn enforce_cap(&self, max_bytes: u64) -> Result<CapReport> {
        self.clean_tmp()?;
        let mut entries: Vec<(Option<SystemTime>, u64, PathBuf)> = Vec::new();
        let top = self.root.join("entries");
        for fan in read_dir(&top)? {
            for dir in read_dir(&fan)? {
                let used = std::fs::metadata(manifest_path(&dir))
                    .and_then(|m| m.modified())
                    .ok();
                entries.push((used, tree_size(&dir)?, dir));
            }
        }
        // Oldest use first; `None` (no manifest) sorts before any time.
        entries.sort();
        let mut report = CapReport {
            entries: entries.len(),
            bytes_before: entries.iter().map(|e| e.1).sum(),
            ..CapReport::default()
        };
        let mut total = report.bytes_before;
        for (_, size, dir) in &entries {
            if total <= max_bytes {
                break;
            }
            self.discard(dir)?;
            total -= size;
            report.evicted += 1;
        }
        report.bytes_after = total;
        Ok(report)
    }

    /// Moves a made entry into place, replacing (and then deleting) any old one.
    fn install(&self, work: TmpDir, dir: &Path) -> Result<()> {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let old = self.unique("old");
        let had_old = match std::fs::rename(dir, &old) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(io(dir)(e)),
        };
        std::fs::rename(work.path(), dir).map_err(io(dir))?;
        work.keep();
        if had_old {
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        Ok(())
    }

    /// Removes an entry folder: renamed away first, so a reader sees it whole or not at all.
    fn discard(&self, dir: &Path) -> Result<()> {
        let gone = self.unique("gone");
        match std::fs::rename(dir, &gone) {
            Ok(()) => std::fs::remove_dir_all(&gone).map_err(io(&gone)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(dir)(e)),
        }
    }

    fn clean_tmp(&self) -> Result<()> {
        let now = SystemTime::now();
        for dir in read_dir(&self.root.join("tmp"))? {
            let age = std::fs::metadata(&dir)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok());
            if age.is_some_and(|a| a > STALE_TMP) {
                std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
            }
        }
        Ok(())
    }

    /// A fresh name in `tmp/`.
    fn unique(&self, what: &str) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        self.root
            .join("tmp")
            .join(format!("{what}-{}-{n}-{nanos}", std::process::id()))
    }
}

/// Makes every preview of the request in `dir` and returns its manifest.
fn make(
    request: &PreviewRequest,
    settings: &PreviewSettings,
    control: &Control,
    dir: &Path,
    digest: &str,
) -> Result<Manifest> {
    let source = request.source.as_path();
    let mut manifest = Manifest {
        version: MANIFEST_VERSION,
        key: request.key.as_str().to_owned(),
        fingerprint: request.fingerprint.as_str().to_owned(),
        settings: digest.to_owned(),
        kind: request.kind,
        created_unix_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default(),
        duration: None,
        display_size: None,
        posters: Vec::new(),
        filmstrip: None,
        proxy: None,
        waveform: None,
        stats: Stats::default(),
    };
    match request.kind {
        MediaKind::Still => {
            let widest = settings.poster_widths.iter().copied().max().unwrap_or(320);
            let decoded = still::decode(source, widest)?;
            let image = &decoded.image;
            manifest.display_size = Some(image.dimensions());
            manifest.stats.still_decode = Some(decoded.decode);
            for &width in &settings.poster_widths {
                let (w, h) = crate::imaging::fit_width(image.width(), image.height(), width);
                let small =
                    crate::imaging::resize(image, w, h).map_err(|message| Error::Image {
                        path: source.to_path_buf(),
                        message,
                    })?;
                let file = format!("poster-{width}.jpg");
                crate::imaging::write_jpeg(&small, &dir.join(&file))?;
                manifest.posters.push(crate::PosterEntry {
                    requested_width: width,
                    width: w,
                    height: h,
                    file,
                    time: None,
                });
            }
        }
        MediaKind::Video | MediaKind::Audio => {
            let timeout = settings.limits.stall.max(Duration::from_secs(10));
            let mut info = probe(source, timeout, control)?;
            if request.kind == MediaKind::Audio {
                if !info.audio {
                    return Err(Error::Unsupported {
                        path: source.to_path_buf(),
                        reason: "no audio stream".into(),
                    });
                }
                info.video = None;
            }
            manifest.duration = info.duration;
            manifest.display_size = info.video.map(|v| (v.display_width, v.display_height));
            let made = video::make(source, &info, dir, settings, control)?;
            manifest.stats.ffmpeg_runs = 1;
            manifest.posters = made.posters;
            manifest.filmstrip = made.filmstrip;
            manifest.proxy = made.proxy;
            manifest.waveform = made.waveform;
        }
    }
    Ok(manifest)
}

/// The manifest in `dir`; `None` when there is none or it is unreadable (the entry is then
/// remade or evicted, never trusted).
fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = manifest_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path)(e)),
    };
    match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(m) if m.version == MANIFEST_VERSION => Ok(Some(m)),
        Ok(_) => Ok(None),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "unreadable preview manifest");
            Ok(None)
        }
    }
}

/// Sets the manifest's modification time to now: the entry's last use.
fn touch_dir(dir: &Path) -> Result<()> {
    let path = manifest_path(dir);
    let file = std::fs::File::options()
        .append(true)
        .open(&path)
        .map_err(io(&path))?;
    file.set_modified(SystemTime::now()).map_err(io(&path))
}

/// The folders (and files) directly in `dir`; none when it does not exist.
fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        out.push(entry.map_err(io(dir))?.path());
    }
    out.sort();
    Ok(out)
}

/// Bytes of the files under `dir`.
fn tree_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for path in read_dir(dir)? {
        let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
        total += if meta.is_dir() {
            tree_size(&path)?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// The entry folders being made in this process.
static MAKING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static MADE: Condvar = Condvar::new();

/// The claim on an entry folder while it is looked up and made; released on drop.
struct Making(PathBuf);

impl Making {
    /// Waits until no other thread of this process is making `dir`, then claims it.
    fn claim(dir: &Path) -> Self {
        let mut making = MAKING.lock().unwrap_or_else(PoisonError::into_inner);
        while making.iter().any(|d| d == dir) {
            making = MADE.wait(making).unwrap_or_else(PoisonError::into_inner);
        }
        making.push(dir.to_path_buf());
        Self(dir.to_path_buf())
    }
}

impl Drop for Making {
    fn drop(&mut self) {
        let mut making = MAKING.lock().unwrap_or_else(PoisonError::into_inner);
        making.retain(|d| d != &self.0);
        MADE.notify_all();
    }
}

/// A folder in `tmp/` that is removed on drop unless kept.
struct TmpDir(Option<PathBuf>);

impl TmpDir {
    fn new(path: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&path).map_err(io(&path))?;
        Ok(Self(Some(path)))
    }

    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Best effort: a leftover is removed later by `enforce_cap`.
            let _ = std::fs::remove_dir_all(path);
        }
    }
}
