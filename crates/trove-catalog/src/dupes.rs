//! Content identity (the hash cache) and the journal of removed duplicate copies.

use crate::locations::{record_fields, record_number, record_optional};
use crate::{now_secs, Catalog, Result};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use trove_core::{path_from_bytes, AssetId, LocationId, SourceId};

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

/// The near-duplicate fingerprint of one version of a file, or why it could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearPrintRow {
    /// Device number.
    pub device: u64,
    /// Inode number.
    pub inode: u64,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds.
    pub mtime_ns: i64,
    /// The encoded fingerprint, or the reason there is none.
    pub print: std::result::Result<Vec<u8>, String>,
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
    /// The content hash recorded for it, if any.
    pub content_hash: Option<String>,
}

/// A row of `file_hashes`, all columns.
pub(crate) fn file_hash_row(r: &sqlx::sqlite::SqliteRow) -> Result<FileHashRow> {
    Ok(FileHashRow {
        device: r.try_get::<i64, _>("device")? as u64,
        inode: r.try_get::<i64, _>("inode")? as u64,
        size: r.try_get::<i64, _>("size")? as u64,
        mtime_ns: r.try_get("mtime_ns")?,
        scheme: r.try_get("scheme")?,
        partial: r.try_get("partial")?,
        full: r.try_get("full")?,
    })
}

fn local_file(record: &[u8], source: SourceId, root: &Path) -> Result<LocalFile> {
    let what = "local files";
    let f = record_fields(what, record, 10)?;
    let number = |i: usize| record_number(what, record, f[i]);
    let optional = |i: usize| record_optional(what, record, f[i]);
    let text = |i: usize| String::from_utf8_lossy(f[i]).into_owned();
    Ok(LocalFile {
        location: LocationId(number(0)?),
        source,
        path: trove_core::RelPath::from_bytes(f[9].to_vec()).to_path(root),
        size: number(1)? as u64,
        mtime_ns: optional(2)?,
        device: optional(3)?.map(|d| d as u64),
        inode: optional(4)?.map(|i| i as u64),
        asset: optional(5)?.map(AssetId),
        role: if f[6] == b"1" { "sidecar" } else { "media" }.to_owned(),
        media_type: text(7),
        content_hash: (!f[8].is_empty()).then(|| text(8)),
    })
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
        rows.iter().map(file_hash_row).collect()
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

    /// Every stored near-duplicate fingerprint (and failure).
    pub async fn near_prints(&self) -> Result<Vec<NearPrintRow>> {
        let rows =
            sqlx::query("SELECT device, inode, size, mtime_ns, print, error FROM near_prints")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let print: Option<Vec<u8>> = r.try_get("print")?;
                let error: Option<String> = r.try_get("error")?;
                Ok(NearPrintRow {
                    device: r.try_get::<i64, _>("device")? as u64,
                    inode: r.try_get::<i64, _>("inode")? as u64,
                    size: r.try_get::<i64, _>("size")? as u64,
                    mtime_ns: r.try_get("mtime_ns")?,
                    print: print.ok_or_else(|| error.unwrap_or_default()),
                })
            })
            .collect()
    }

    /// Stores near-duplicate fingerprints (replacing those of the same file versions).
    pub async fn put_near_prints(&self, rows: &[NearPrintRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for chunk in rows.chunks(500) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT OR REPLACE INTO near_prints \
                 (device, inode, size, mtime_ns, print, error) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.device as i64)
                    .push_bind(r.inode as i64)
                    .push_bind(r.size as i64)
                    .push_bind(r.mtime_ns)
                    .push_bind(r.print.as_ref().ok().cloned())
                    .push_bind(r.print.as_ref().err().cloned());
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every present file of the online local sources.
    ///
    /// As [`Catalog::known_locations`] does, the rows come as one value SQLite concatenates
    /// (streaming thousands of rows through the driver costs microseconds each).
    pub async fn local_files(&self) -> Result<Vec<LocalFile>> {
        let roots: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT id, root FROM sources \
             WHERE kind = 'local' AND online = 1 AND root IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for (source, root) in roots {
            let root = path_from_bytes(&root);
            // One record per location: `id,size,mtime,device,inode,asset,ROLE,media_type,
            // content_hash,PATH` then a NUL byte; ROLE is 1 for a sidecar; PATH, the raw bytes
            // of the path, is last so that commas in it are harmless.
            let records: Option<Vec<u8>> = sqlx::query_scalar(
                "SELECT CAST(group_concat(id || ',' || size || ',' || coalesce(mtime_ns, '') \
                 || ',' || coalesce(device, '') || ',' || coalesce(inode, '') || ',' \
                 || coalesce(asset_id, '') || ',' || (role = 'sidecar') || ',' || media_type \
                 || ',' || coalesce(content_hash, '') || ',' || rel_path, char(0)) AS BLOB) \
                 FROM locations WHERE source_id = ? AND state = 'present'",
            )
            .bind(source)
            .fetch_one(&self.pool)
            .await?;
            for record in records.as_deref().unwrap_or_default().split(|&b| b == 0) {
                if record.is_empty() {
                    continue;
                }
                out.push(local_file(record, SourceId(source), &root)?);
            }
        }
        Ok(out)
    }

    /// Records the content hash of locations (a few statements for any number of them).
    pub async fn set_content_hashes(&self, hashes: &[(LocationId, String)]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for chunk in hashes.chunks(2000) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("WITH v (id, hash) AS (");
            q.push_values(chunk, |mut b, (location, hash)| {
                b.push_bind(location.0).push_bind(hash);
            });
            q.push(
                ") UPDATE locations SET content_hash = v.hash FROM v \
                 WHERE locations.id = v.id AND locations.content_hash IS NOT v.hash",
            );
            q.build().execute(&mut *tx).await?;
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
