//! Sources: the roots Trove indexes.

use crate::{now_secs, Catalog, Error, Result};
use sqlx::Row;
use std::path::PathBuf;
use trove_core::{path_from_bytes, path_to_bytes, SourceId, SourceKind};

/// A source to add.
#[derive(Debug, Clone)]
pub struct NewSource {
    /// Local, S3 or Glacier.
    pub kind: SourceKind,
    /// Its canonical URI: `file:///abs/path`, `s3://bucket/prefix`, `glacier://vault`.
    pub uri: String,
    /// The absolute root of a local source.
    pub root: Option<PathBuf>,
    /// Kind-specific settings (JSON object).
    pub config: serde_json::Value,
}

/// A source as stored.
#[derive(Debug, Clone)]
pub struct SourceRow {
    /// Row id.
    pub id: SourceId,
    /// Local, S3 or Glacier.
    pub kind: SourceKind,
    /// Its canonical URI.
    pub uri: String,
    /// The absolute root of a local source.
    pub root: Option<PathBuf>,
    /// Kind-specific settings.
    pub config: serde_json::Value,
    /// Whether the root was reachable at the last scan.
    pub online: bool,
    /// When it was added.
    pub added_at: i64,
    /// When its last complete scan ended.
    pub last_scan_at: Option<i64>,
    /// Locations recorded under it.
    pub locations: u64,
}

const SELECT_SOURCES: &str = "SELECT s.id, s.kind, s.uri, s.root, s.config, s.online, s.added_at, \
     s.last_scan_at, (SELECT count(*) FROM locations l WHERE l.source_id = s.id) AS locations \
     FROM sources s";

fn source_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<SourceRow> {
    let id: i64 = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let root: Option<Vec<u8>> = row.try_get("root")?;
    let config: String = row.try_get("config")?;
    Ok(SourceRow {
        id: SourceId(id),
        kind: kind.parse().map_err(|source| Error::Corrupt {
            table: "sources",
            id,
            source,
        })?,
        uri: row.try_get("uri")?,
        root: root.as_deref().map(path_from_bytes),
        config: serde_json::from_str(&config).unwrap_or(serde_json::Value::Null),
        online: row.try_get("online")?,
        added_at: row.try_get("added_at")?,
        last_scan_at: row.try_get("last_scan_at")?,
        locations: row.try_get::<i64, _>("locations")? as u64,
    })
}

impl Catalog {
    /// Adds a source; fails with [`Error::SourceExists`] if its URI is already known.
    pub async fn add_source(&self, new: &NewSource) -> Result<SourceRow> {
        let root = new.root.as_deref().map(path_to_bytes);
        let result = sqlx::query(
            "INSERT INTO sources (kind, uri, root, config, added_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(new.kind.as_str())
        .bind(&new.uri)
        .bind(root)
        .bind(new.config.to_string())
        .bind(now_secs())
        .execute(&self.pool)
        .await;
        match result {
            Ok(done) => self
                .source(SourceId(done.last_insert_rowid()))
                .await?
                .ok_or(Error::Sqlx(sqlx::Error::RowNotFound)),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(Error::SourceExists {
                uri: new.uri.clone(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Every source, oldest first.
    pub async fn sources(&self) -> Result<Vec<SourceRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_SOURCES} ORDER BY s.id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(source_from_row).collect()
    }

    /// One source by id.
    pub async fn source(&self, id: SourceId) -> Result<Option<SourceRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_SOURCES} WHERE s.id = ?"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(source_from_row).transpose()
    }

    /// Records whether a source's root is reachable; returns true if that changed.
    pub async fn set_source_online(&self, id: SourceId, online: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE sources SET online = ? WHERE id = ? AND online <> ?")
            .bind(online)
            .bind(id.0)
            .bind(online)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Points a local source at the folder where its volume is mounted now (the drive came back
    /// at another mount point); its locations keep their paths relative to the root. When the
    /// file system's device number changed, locations recorded with the old one take the new
    /// one, so that unchanged files stay unchanged for the scan.
    pub async fn reattach_source(
        &self,
        id: SourceId,
        root: &std::path::Path,
        uri: &str,
        device: Option<u64>,
    ) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM sources WHERE uri = ? AND id <> ?")
                .bind(uri)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(Error::SourceExists {
                uri: uri.to_owned(),
            });
        }
        sqlx::query("UPDATE sources SET root = ?, uri = ? WHERE id = ?")
            .bind(path_to_bytes(root))
            .bind(uri)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if let Some(device) = device.and_then(|d| i64::try_from(d).ok()) {
            let old: Option<i64> = sqlx::query_scalar(
                "SELECT device FROM locations WHERE source_id = ? AND device IS NOT NULL \
                 GROUP BY device ORDER BY count(*) DESC LIMIT 1",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(old) = old.filter(|old| *old != device) {
                sqlx::query("UPDATE locations SET device = ? WHERE source_id = ? AND device = ?")
                    .bind(device)
                    .bind(id.0)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gives an offline source another URI (its volume's), freeing its old path for a new
    /// source on the volume that is mounted there now.
    pub async fn detach_source(&self, id: SourceId, uri: &str) -> Result<()> {
        sqlx::query("UPDATE sources SET uri = ?, online = 0 WHERE id = ?")
            .bind(uri)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the end of a complete scan.
    pub async fn mark_scanned(&self, id: SourceId) -> Result<()> {
        sqlx::query("UPDATE sources SET last_scan_at = ? WHERE id = ?")
            .bind(now_secs())
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
