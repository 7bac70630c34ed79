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
