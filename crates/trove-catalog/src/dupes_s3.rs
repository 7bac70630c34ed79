//! Duplicate S3 copies in the catalog (issue 7's S3 part): the objects duplicate finding looks
//! at, the cached digests of local files compared with them, and the journal rows of S3 copies
//! removed by `dupes remove` (the `kind` of migration 0013), so `trove undo` puts them back.

use crate::{now_secs, Catalog, FileHashRow, Removal, Result};
use sqlx::Row;
use trove_core::{path_to_bytes, AssetId, LocationId, RelPath, SourceId};

/// A present object of an online S3 source, with what identifies its content without reading it.
#[derive(Debug, Clone)]
pub struct S3Copy {
    /// The location.
    pub location: LocationId,
    /// Its source.
    pub source: SourceId,
    /// The source's URI (`s3://bucket/prefix`).
    pub source_uri: String,
    /// The source's settings (an `S3SourceConfig` as JSON).
    pub config: serde_json::Value,
    /// The key.
    pub key: RelPath,
    /// Size in bytes.
    pub size: u64,
    /// LastModified, in nanoseconds.
    pub mtime_ns: Option<i64>,
    /// The ETag, without quotes.
    pub etag: Option<String>,
    /// The storage class as S3 names it.
    pub storage_class: Option<String>,
    /// The version id, when known.
    pub version_id: Option<String>,
    /// `archived`, `restoring`, `ready` or none (readable).
    pub archive_state: Option<String>,
    /// The Intelligent-Tiering archive tier HEAD reported, if any.
    pub archive_status: Option<String>,
    /// Checksums HEAD returned, as JSON `{"SHA256": "base64…"}`.
    pub checksums: Option<serde_json::Value>,
    /// The content hash recorded for it (BLAKE3 hex, or `md5:…`/`sha256:…`).
    pub content_hash: Option<String>,
    /// `media` or `sidecar`.
    pub role: String,
    /// The asset it belongs to.
    pub asset: Option<AssetId>,
    /// Whether its source is online.
    pub online: bool,
}

/// How an S3 copy was removed, hence how it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3RemovalKind {
    /// Deleted in a versioned bucket: a delete marker hides the version, which stays.
    DeleteMarker,
    /// Copied to a quarantine key in the same bucket, then deleted.
    Quarantine,
}

impl S3RemovalKind {
    fn as_str(self) -> &'static str {
        match self {
            S3RemovalKind::DeleteMarker => "s3_delete_marker",
            S3RemovalKind::Quarantine => "s3_quarantine",
        }
    }
}

/// One removed S3 copy, for undo.
#[derive(Debug, Clone)]
pub struct S3Removal {
    /// The location removed.
    pub location: LocationId,
    /// How.
    pub kind: S3RemovalKind,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// The quarantine key (quarantined) or the key itself (delete marker).
    pub kept_key: String,
    /// The version that was current, when S3 said.
    pub version_id: Option<String>,
    /// The delete marker left (versioned buckets).
    pub delete_marker: Option<String>,
    /// The ETag when removed.
    pub etag: Option<String>,
    /// The storage class when removed.
    pub storage_class: Option<String>,
    /// The group's hash.
    pub hash: String,
}

const COPY_COLUMNS: &str = "l.id, l.source_id, l.rel_path, l.size, l.mtime_ns, l.etag, \
     l.storage_class, l.version_id, l.archive_state, l.archive_status, l.checksums, \
     l.content_hash, l.role, l.asset_id, s.uri, s.config, s.online";

fn copy_of(r: &sqlx::sqlite::SqliteRow) -> Result<S3Copy> {
    let config: String = r.try_get("config")?;
    let checksums: Option<String> = r.try_get("checksums")?;
    Ok(S3Copy {
        location: LocationId(r.try_get("id")?),
        source: SourceId(r.try_get("source_id")?),
        source_uri: r.try_get("uri")?,
        config: serde_json::from_str(&config).unwrap_or(serde_json::Value::Null),
        key: RelPath::from_bytes(r.try_get("rel_path")?),
        size: r.try_get::<i64, _>("size")?.max(0) as u64,
        mtime_ns: r.try_get("mtime_ns")?,
        etag: r.try_get("etag")?,
        storage_class: r.try_get("storage_class")?,
        version_id: r.try_get("version_id")?,
        archive_state: r.try_get("archive_state")?,
        archive_status: r.try_get("archive_status")?,
        checksums: checksums.and_then(|c| serde_json::from_str(&c).ok()),
        content_hash: r.try_get("content_hash")?,
        role: r.try_get("role")?,
        asset: r.try_get::<Option<i64>, _>("asset_id")?.map(AssetId),
        online: r.try_get("online")?,
    })
}

impl Catalog {
    /// Every present, non-empty object of the online S3 sources.
    pub async fn s3_copies(&self) -> Result<Vec<S3Copy>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COPY_COLUMNS} FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.state = 'present' AND s.kind = 's3' AND s.online = 1 AND l.size > 0 \
             ORDER BY l.id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(copy_of).collect()
    }

    /// The S3 object of `location` (in any state), if it is one.
    pub async fn s3_copy(&self, location: LocationId) -> Result<Option<S3Copy>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COPY_COLUMNS} FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.id = ? AND s.kind = 's3'"
        )))
        .bind(location.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(copy_of).transpose()
    }

    /// The cached digests of file versions under `schemes` (trove-hash's `MD5_SCHEME`, …).
    pub async fn file_digests(&self, schemes: &[u32]) -> Result<Vec<FileHashRow>> {
        let list = schemes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // Scheme numbers are integers, so they can be written into the statement.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT device, inode, size, mtime_ns, scheme, partial, full FROM file_hashes \
             WHERE scheme IN ({list})"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::dupes::file_hash_row).collect()
    }

    /// Journals removed copies — local files moved to the quarantine and S3 objects deleted or
    /// quarantined in their bucket — as one edit batch, in one transaction; their locations
    /// become missing. Returns the batch.
    pub async fn record_removals(
        &self,
        author: &str,
        command: &str,
        local: &[Removal],
        s3: &[S3Removal],
    ) -> Result<i64> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let batch = crate::edits::new_batch(&mut tx, author, command, now).await?;
        for r in local {
            sqlx::query(
                "INSERT INTO removals (batch_id, location_id, original_path, kept_path, \
                 content_hash, removed_at, kind) VALUES (?, ?, ?, ?, ?, ?, 'file')",
            )
            .bind(batch)
            .bind(r.location.0)
            .bind(path_to_bytes(&r.original))
            .bind(path_to_bytes(&r.kept))
            .bind(&r.hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for r in s3 {
            sqlx::query(
                "INSERT INTO removals (batch_id, location_id, original_path, kept_path, \
                 content_hash, removed_at, kind, s3_bucket, s3_version_id, s3_delete_marker, \
                 s3_etag, s3_storage_class) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(batch)
            .bind(r.location.0)
            .bind(r.key.as_bytes())
            .bind(r.kept_key.as_bytes())
            .bind(&r.hash)
            .bind(now)
            .bind(r.kind.as_str())
            .bind(&r.bucket)
            .bind(&r.version_id)
            .bind(&r.delete_marker)
            .bind(&r.etag)
            .bind(&r.storage_class)
            .execute(&mut *tx)
            .await?;
        }
        for location in local
            .iter()
            .map(|r| r.location)
            .chain(s3.iter().map(|r| r.location))
        {
            sqlx::query("UPDATE locations SET state = 'missing', changed_at = ? WHERE id = ?")
                .bind(now)
                .bind(location.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(batch)
    }

    /// The S3 removals of an edit batch not put back yet. A row is marked put back with
    /// `restored`, as local ones are.
    pub async fn s3_removals(&self, batch: i64) -> Result<Vec<S3Removal>> {
        let rows = sqlx::query(
            "SELECT location_id, kind, s3_bucket, original_path, kept_path, s3_version_id, \
             s3_delete_marker, s3_etag, s3_storage_class, content_hash FROM removals \
             WHERE batch_id = ? AND restored_at IS NULL AND kind <> 'file' ORDER BY id",
        )
        .bind(batch)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let text = |column: &str| -> Result<String> {
                    let bytes: Vec<u8> = r.try_get(column)?;
                    Ok(String::from_utf8_lossy(&bytes).into_owned())
                };
                let kind: String = r.try_get("kind")?;
                Ok(S3Removal {
                    location: LocationId(r.try_get("location_id")?),
                    kind: if kind == "s3_delete_marker" {
                        S3RemovalKind::DeleteMarker
                    } else {
                        S3RemovalKind::Quarantine
                    },
                    bucket: r
                        .try_get::<Option<String>, _>("s3_bucket")?
                        .unwrap_or_default(),
                    key: text("original_path")?,
                    kept_key: text("kept_path")?,
                    version_id: r.try_get("s3_version_id")?,
                    delete_marker: r.try_get("s3_delete_marker")?,
                    etag: r.try_get("s3_etag")?,
                    storage_class: r.try_get("s3_storage_class")?,
                    hash: r.try_get("content_hash")?,
                })
            })
            .collect()
    }
}
