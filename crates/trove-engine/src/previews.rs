//! Preview jobs: posters, filmstrip, H.264 proxy and waveform of local media, made by
//! `trove-preview` into the library's content-addressed cache.
//!
//! A file's cache entry is named by a sample of its content: BLAKE3 over its size and three
//! 64 KiB blocks (start, middle, end), so copies of one file share their previews whatever their
//! names, and an edit to a file that changes its size or those blocks gets new ones. (Two
//! different files equal in size and in all three blocks would share an entry; media files that
//! differ are not alike in this way.)

use crate::jobs::{Outcome, Progress, WorkContext};
use crate::{Error, Library, Result};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use trove_catalog::JobTask;
use trove_core::AssetId;
use trove_preview::{
    ContentKey, Control, Fingerprint, MediaKind, PreviewCache, PreviewRequest, PreviewSettings,
    Previews,
};

/// The preview cache folder inside the library.
pub const PREVIEWS_DIR: &str = "previews";
/// The setting that caps the preview cache, in bytes.
pub const CACHE_CAP_SETTING: &str = "previews.max_bytes";
/// Bytes read from each of the three places a content key samples.
const SAMPLE: u64 = 64 * 1024;

/// The content key of a file: `sample:` + BLAKE3 of its size and three sampled blocks.
pub(crate) fn content_key(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut hasher = blake3::Hasher::new();
    hasher.update(&size.to_le_bytes());
    let mut buffer = vec![0; SAMPLE as usize];
    for start in [
        0,
        size.saturating_sub(SAMPLE) / 2,
        size.saturating_sub(SAMPLE),
    ] {
        file.seek(SeekFrom::Start(start))?;
        let mut filled = 0;
        while filled < buffer.len() {
            match file.read(&mut buffer[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        hasher.update(&buffer[..filled]);
    }
    Ok(format!("sample:{}", hasher.finalize().to_hex()))
}

fn kind_of(media_type: &str) -> Option<MediaKind> {
    match media_type {
        "video" => Some(MediaKind::Video),
        "audio" => Some(MediaKind::Audio),
        "image" => Some(MediaKind::Still),
        _ => None,
    }
}

/// Makes the previews of one file (blocking: runs on a worker thread).
pub(crate) fn make(task: &JobTask, context: &WorkContext, cache: &PreviewCache) -> Outcome {
    let Some(kind) = kind_of(&task.media_type) else {
        return Outcome::Failed(format!(
            "{}: no previews for {}",
            task.path.display(),
            task.media_type
        ));
    };
    let key = match content_key(&task.path) {
        Ok(key) => key,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Outcome::Failed(format!("{}: {e}", task.path.display()))
        }
        Err(e) => return Outcome::Retry(format!("{}: {e}", task.path.display())),
    };
    let request = match ContentKey::new(key.clone()) {
        Ok(content) => PreviewRequest {
            key: content,
            source: task.path.clone(),
            kind,
            fingerprint: Fingerprint::new(task.fingerprint.clone()),
        },
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let progress = context.progress.clone();
    let job = task.id;
    let control = Control::new()
        .with_cancel(context.cancel.clone())
        .on_progress(move |p| {
            let _ = progress.send(Progress {
                job,
                fraction: f64::from(p.percent / 100.0),
                detail: trove_catalog::ProgressDetail {
                    fps: p.fps.map(f64::from),
                    eta_secs: p.eta.map(|d| d.as_secs_f64()),
                },
            });
        });
    match cache.ensure(&request, &PreviewSettings::default(), &control) {
        Ok(_) => Outcome::Previewed { key },
        Err(trove_preview::Error::Cancelled { .. }) => Outcome::Stopped,
        Err(e @ trove_preview::Error::Timeout { .. }) => Outcome::Retry(e.to_string()),
        Err(trove_preview::Error::Io { path, source })
            if source.kind() != std::io::ErrorKind::NotFound =>
        {
            Outcome::Retry(format!("{}: {source}", path.display()))
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

impl Library {
    /// The preview cache of this library.
    pub fn preview_cache(&self) -> Result<PreviewCache> {
        let dir: PathBuf = self.dir().join(PREVIEWS_DIR);
        PreviewCache::open(&dir).map_err(|e| Error::Library {
            path: dir,
            source: std::io::Error::other(e.to_string()),
        })
    }

    /// Queues previews for every local media file without up-to-date ones; returns how many.
    pub async fn plan_previews(&self) -> Result<u64> {
        Ok(self.catalog.enqueue_previews().await?)
    }

    /// The previews of an asset, if made (they are kept when its file goes offline or is
    /// archived).
    pub async fn previews(&self, asset: AssetId) -> Result<Option<Previews>> {
        let cache = self.preview_cache()?;
        for key in self.catalog.preview_keys(asset).await? {
            let Ok(key) = ContentKey::new(key) else {
                continue;
            };
            if let Ok(Some(previews)) = cache.get(&key) {
                return Ok(Some(previews));
            }
        }
        Ok(None)
    }

    /// Caps the preview cache at `max_bytes` (kept as a setting and applied after preview jobs);
    /// the least recently used entries go first. Returns the bytes freed now.
    pub async fn set_preview_cap(&self, max_bytes: u64) -> Result<u64> {
        self.catalog
            .set_setting(CACHE_CAP_SETTING, Some(&max_bytes.to_string()))
            .await?;
        self.enforce_preview_cap().await
    }

    /// Applies the preview cache cap, if one is set; returns the bytes freed.
    pub(crate) async fn enforce_preview_cap(&self) -> Result<u64> {
        let Some(cap) = self
            .catalog
            .setting(CACHE_CAP_SETTING)
            .await?
            .and_then(|v| v.parse::<u64>().ok())
        else {
            return Ok(0);
        };
        let cache = self.preview_cache()?;
        let report = tokio::task::spawn_blocking(move || cache.enforce_cap(cap))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|e| Error::Internal(format!("preview cache: {e}")))?;
        Ok(report.bytes_before.saturating_sub(report.bytes_after))
    }
}
