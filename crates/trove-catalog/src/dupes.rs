//! Content identity (the hash cache) and the journal of removed duplicate copies.

use crate::{now_secs, Catalog, Result};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use trove_core::{path_from_bytes, path_to_bytes, AssetId, LocationId, SourceId};

/// Hashes of one version of a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHashRow {
    /// Device number.
    pub device: u64,
    /// Inode number.
    pub inode: u64,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds.
    pub mtime_ns: i64,
    /// How the sampled hash was taken.
    pub scheme: i64,
    /// The sampled hash (32 bytes).
    pub partial: Option<Vec<u8>>,
    /// The full hash (32 bytes).
    pub full: Option<Vec<u8>>,
}

/// A present local file, as duplicate finding needs it.
#[derive(Debug, Clone)]
pub struct LocalFile {
    /// The location.
    pub location: LocationId,
    /// Its source.
    pub source: SourceId,
    /// Its absolute path.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds.
    pub mtime_ns: Option<i64>,
    /// Device and inode.
    pub device: Option<u64>,
    /// Inode number.
    pub inode: Option<u64>,
    /// Media type (`video`, `image`, ...).
    pub media_type: String,
    /// The asset it belongs to (none for a sidecar of no known media file).
    pub asset: Option<AssetId>,
    /// `media` or `sidecar`.
    pub role: String,
}

/// What a quality policy compares, from a location's probe claims.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quality {
    /// Pixels across.
    pub width: Option<u64>,
    /// Pixels down.
    pub height: Option<u64>,
    /// Bits per second.
    pub bit_rate: Option<u64>,
}

/// One removed copy, for undo.
#[derive(Debug, Clone)]
pub struct Removal {
    /// The location removed.
    pub location: LocationId,
    /// Where the file was.
    pub original: PathBuf,
    /// Where it is kept.
    pub kept: PathBuf,
    /// Its hash (hex).
    pub hash: String,
}

impl Catalog {
    /// Every cached file hash.
    pub async fn file_hashes(&self) -> Result<Vec<FileHashRow>> {
        let rows = sqlx::query(
            "SELECT device, inode, size, mtime_ns, scheme, partial, full FROM file_hashes",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FileHashRow {
                    device: r.try_get::<i64, _>("device")? as u64,
                    inode: r.try_get::<i64, _>("inode")? as u64,
                    size: r.try_get::<i64, _>("size")? as u64,
                    mtime_ns: r.try_get("mtime_ns")?,
                    scheme: r.try_get("scheme")?,
                    partial: r.try_get("partial")?,
                    full: r.try_get("full")?,
                })
            })
            .collect()
    }

    /// Stores file hashes (replacing those of the same version).
    pub async fn put_file_hashes(&self, rows: &[FileHashRow]) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for chunk in rows.chunks(500) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT OR REPLACE INTO file_hashes \
                 (device, inode, size, mtime_ns, scheme, partial, full) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.device as i64)
                    .push_bind(r.inode as i64)
                    .push_bind(r.size as i64)
                    .push_bind(r.mtime_ns)
                    .push_bind(r.scheme)
                    .push_bind(r.partial.clone())
                    .push_bind(r.full.clone());
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every present file of the online local sources.
    pub async fn local_files(&self) -> Result<Vec<LocalFile>> {
        let rows = sqlx::query(
            "SELECT l.id, l.source_id, l.rel_path, l.size, l.mtime_ns, l.device, l.inode, \
             l.media_type, l.asset_id, l.role, s.root \
             FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.state = 'present' AND s.kind = 'local' AND s.online = 1 AND s.root IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let root: Vec<u8> = r.try_get("root")?;
                let rel = trove_core::RelPath::from_bytes(r.try_get("rel_path")?);
                Ok(LocalFile {
                    location: LocationId(r.try_get("id")?),
                    source: SourceId(r.try_get("source_id")?),
                    path: rel.to_path(&path_from_bytes(&root)),
                    size: r.try_get::<i64, _>("size")? as u64,
                    mtime_ns: r.try_get("mtime_ns")?,
                    device: r.try_get::<Option<i64>, _>("device")?.map(|d| d as u64),
                    inode: r.try_get::<Option<i64>, _>("inode")?.map(|i| i as u64),
                    media_type: r.try_get("media_type")?,
                    asset: r.try_get::<Option<i64>, _>("asset_id")?.map(AssetId),
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    /// Records the content hash of locations.
    pub async fn set_content_hashes(&self, hashes: &[(LocationId, String)]) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (location, hash) in hashes {
            sqlx::query(
                "UPDATE locations SET content_hash = ? WHERE id = ? AND content_hash IS NOT ?",
            )
            .bind(hash)
            .bind(location.0)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The asset each of `locations` belongs to now.
    pub async fn location_assets(
        &self,
        locations: &[LocationId],
    ) -> Result<HashMap<LocationId, AssetId>> {
        let mut out = HashMap::new();
        for chunk in locations.chunks(500) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT id, asset_id FROM locations WHERE asset_id IS NOT NULL AND id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await? {
                out.insert(
                    LocationId(r.try_get("id")?),
                    AssetId(r.try_get("asset_id")?),
                );
            }
        }
        Ok(out)
    }

    /// Width, height and bit rate of `locations` as their probes measured them.
    pub async fn location_quality(
        &self,
        locations: &[LocationId],
    ) -> Result<HashMap<LocationId, Quality>> {
        let mut out: HashMap<LocationId, Quality> = HashMap::new();
        for chunk in locations.chunks(500) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT location_id, field, value FROM claims WHERE source = 'probe' \
                 AND field IN ('width', 'height', 'bit_rate') AND location_id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await? {
                let value: String = r.try_get("value")?;
                let Ok(number) = value.trim_matches('"').parse::<f64>() else {
                    continue;
                };
                let entry = out
                    .entry(LocationId(r.try_get("location_id")?))
                    .or_default();
                let number = Some(number.max(0.0) as u64);
                match r.try_get::<String, _>("field")?.as_str() {
                    "width" => entry.width = number,
                    "height" => entry.height = number,
                    _ => entry.bit_rate = number,
                }
            }
        }
        Ok(out)
    }

    /// Journals copies moved out of their place as one edit batch; their locations become
    /// missing. Returns the batch.
    pub async fn record_removals(
        &self,
        author: &str,
        command: &str,
        removals: &[Removal],
    ) -> Result<i64> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let batch: i64 = sqlx::query_scalar(
            "INSERT INTO edit_batches (author, command, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(author)
        .bind(command)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for r in removals {
            sqlx::query(
                "INSERT INTO removals (batch_id, location_id, original_path, kept_path, \
                 content_hash, removed_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(batch)
            .bind(r.location.0)
            .bind(path_to_bytes(&r.original))
            .bind(path_to_bytes(&r.kept))
            .bind(&r.hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE locations SET state = 'missing', changed_at = ? WHERE id = ?")
                .bind(now)
                .bind(r.location.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(batch)
    }

    /// The removals of local files in an edit batch not restored yet (empty for other batches;
    /// S3 removals are `s3_removals`).
    pub async fn removals(&self, batch: i64) -> Result<Vec<Removal>> {
        let rows = sqlx::query(
            "SELECT location_id, original_path, kept_path, content_hash FROM removals \
             WHERE batch_id = ? AND restored_at IS NULL AND kind = 'file' ORDER BY id",
        )
        .bind(batch)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Removal {
                    location: LocationId(r.try_get("location_id")?),
                    original: path_from_bytes(&r.try_get::<Vec<u8>, _>("original_path")?),
                    kept: path_from_bytes(&r.try_get::<Vec<u8>, _>("kept_path")?),
                    hash: r.try_get("content_hash")?,
                })
            })
            .collect()
    }

    /// Marks a removed copy as put back: its location is present again.
    pub async fn restored(&self, batch: i64, location: LocationId) -> Result<()> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "UPDATE removals SET restored_at = ? WHERE batch_id = ? AND location_id = ? \
             AND restored_at IS NULL",
        )
        .bind(now)
        .bind(batch)
        .bind(location.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE locations SET state = 'present', changed_at = ? WHERE id = ?")
            .bind(now)
            .bind(location.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The edit batch `undo` would take without an id: the last one not undone.
    pub async fn last_open_batch(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM edit_batches WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// Where a removed copy is kept: `QUARANTINE/<batch-less stamp>/<location id>-<file name>`.
pub fn quarantine_path(
    quarantine: &Path,
    stamp: i64,
    location: LocationId,
    original: &Path,
) -> PathBuf {
    let name = original
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    quarantine
        .join(stamp.to_string())
        .join(format!("{}-{name}", location.0))
}
