//! Read models: statistics and assets as the CLI and desktop show them.

use crate::{Catalog, Error, Result};
use sqlx::Row;
use std::collections::BTreeMap;
use trove_core::{
    file_uri, path_from_bytes, AssetId, AssetView, LocationId, LocationView, RelPath, SourceId,
    SourceKind, Stats,
};

impl Catalog {
    /// Counts for `trove stats`.
    pub async fn stats(&self) -> Result<Stats> {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM assets) AS assets, \
                    (SELECT count(*) FROM locations) AS locations, \
                    (SELECT count(*) FROM sources) AS sources, \
                    (SELECT count(*) FROM sources WHERE online = 0) AS offline_sources, \
                    (SELECT count(*) FROM locations WHERE state = 'missing') AS missing, \
                    (SELECT count(*) FROM locations WHERE role = 'sidecar') AS sidecars, \
                    (SELECT coalesce(max(seq), 0) FROM changes) AS change_seq",
        )
        .fetch_one(&self.pool)
        .await?;
        let count = |name: &str| -> Result<u64> { Ok(row.try_get::<i64, _>(name)? as u64) };
        let offline_sources = count("offline_sources")?;
        let offline = if offline_sources == 0 {
            0
        } else {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM assets a WHERE NOT EXISTS (SELECT 1 FROM locations l \
                 JOIN sources s ON s.id = l.source_id WHERE l.asset_id = a.id AND s.online = 1)",
            )
            .fetch_one(&self.pool)
            .await? as u64
        };
        let mut media_types = BTreeMap::new();
        for row in sqlx::query("SELECT media_type, count(*) AS n FROM assets GROUP BY media_type")
            .fetch_all(&self.pool)
            .await?
        {
            media_types.insert(
                row.try_get("media_type")?,
                row.try_get::<i64, _>("n")? as u64,
            );
        }
        Ok(Stats {
            assets: count("assets")?,
            locations: count("locations")?,
            sources: count("sources")?,
            offline,
            missing: count("missing")?,
            sidecars: count("sidecars")?,
            offline_sources,
            media_types,
            change_seq: row.try_get("change_seq")?,
        })
    }

    /// One asset with its locations, or `None` if there is no such asset.
    pub async fn asset(&self, id: AssetId) -> Result<Option<AssetView>> {
        let Some(row) = sqlx::query("SELECT id, title, media_type FROM assets WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let media_type: String = row.try_get("media_type")?;
        let media_type = media_type.parse().map_err(|source| Error::Corrupt {
            table: "assets",
            id: id.0,
            source,
        })?;
        let rows = sqlx::query(
            "SELECT l.id, l.source_id, l.rel_path, l.role, l.size, l.mtime_ns, l.mime, \
                    l.storage_class, l.etag, l.version_id, l.archive_state, \
                    l.checksums, l.state, s.kind, s.uri, s.root, s.online \
             FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.asset_id = ? ORDER BY l.role, l.id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        let mut locations = Vec::with_capacity(rows.len());
        for r in &rows {
            let lid: i64 = r.try_get("id")?;
            let corrupt = |source| Error::Corrupt {
                table: "locations",
                id: lid,
                source,
            };
            let kind: SourceKind = r.try_get::<String, _>("kind")?.parse().map_err(corrupt)?;
            let state: trove_core::LocationState =
                r.try_get::<String, _>("state")?.parse().map_err(corrupt)?;
            let rel = RelPath::from_bytes(r.try_get("rel_path")?);
            let (uri, path) = match (kind, r.try_get::<Option<Vec<u8>>, _>("root")?) {
                (SourceKind::Local, Some(root)) => {
                    let abs = rel.to_path(&path_from_bytes(&root));
                    (file_uri(&abs), Some(abs.to_string_lossy().into_owned()))
                }
                (SourceKind::S3, _) => (
                    crate::s3_object_uri(&r.try_get::<String, _>("uri")?, &rel),
                    None,
                ),
                _ => {
                    let base: String = r.try_get("uri")?;
                    (
                        format!("{}/{}", base.trim_end_matches('/'), rel.to_lossy()),
                        None,
                    )
                }
            };
            let source_online: bool = r.try_get("online")?;
            locations.push(LocationView {
                id: LocationId(lid),
                source_id: SourceId(r.try_get("source_id")?),
                uri,
                path,
                size: r.try_get::<i64, _>("size")? as u64,
                mtime_ns: r.try_get("mtime_ns")?,
                mime: r.try_get("mime")?,
                role: r.try_get("role")?,
                storage_class: r.try_get("storage_class")?,
                etag: r.try_get("etag")?,
                version_id: r.try_get("version_id")?,
                archive_state: r.try_get("archive_state")?,
                checksums: r
                    .try_get::<Option<String>, _>("checksums")?
                    .and_then(|c| serde_json::from_str(&c).ok()),
                state,
                online: source_online && state == trove_core::LocationState::Present,
            });
        }
        let title: String = row.try_get("title")?;
        let mut metadata = BTreeMap::new();
        metadata.insert("title".to_owned(), serde_json::Value::String(title.clone()));
        Ok(Some(AssetView {
            id,
            title,
            media_type,
            metadata,
            provenance: BTreeMap::new(),
            claims: Vec::new(),
            conflicts: BTreeMap::new(),
            merge_conflicts: Vec::new(),
            errors: Vec::new(),
            online: locations.iter().any(|l| l.online && l.role == "media"),
            locations,
        }))
    }
}
