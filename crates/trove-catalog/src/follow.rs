//! Following the change sequence, and reading assets in bulk for derived indexes (search).

use crate::{Catalog, Result};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::BTreeMap;
use trove_core::{AssetId, ClaimView, LocationId, RelPath};

/// Asset ids concerned by the changes after a sequence number.
#[derive(Debug, Clone, Default)]
pub struct ChangedAssets {
    /// Assets inserted, updated, or whose locations or sources changed.
    pub assets: Vec<AssetId>,
    /// The last sequence number read.
    pub last_seq: i64,
    /// Whether more changes follow (read again from `last_seq`).
    pub more: bool,
}

/// What a derived index needs to know about one asset, read in bulk.
#[derive(Debug, Clone)]
pub struct AssetRecord {
    /// The asset.
    pub id: AssetId,
    /// Its stored title (the file name until metadata says otherwise).
    pub title: String,
    /// Its media type.
    pub media_type: String,
    /// Its first media location's path (absolute for local sources, the key for others).
    pub path: String,
    /// That location's size.
    pub size: u64,
    /// That location's source URI.
    pub source: String,
    /// Its S3 storage class, if any.
    pub storage_class: Option<String>,
    /// online, offline or missing.
    pub state: String,
    /// Present media locations of the asset (more than one: exact duplicates).
    pub copies: u64,
    /// Every claim about the asset.
    pub claims: Vec<ClaimView>,
}

impl Catalog {
    /// Assets touched by changes after `after` (at most `limit` changes read).
    pub async fn changed_assets(&self, after: i64, limit: u32) -> Result<ChangedAssets> {
        let rows = sqlx::query(
            "SELECT seq, entity, entity_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = ChangedAssets {
            last_seq: after,
            more: rows.len() as u64 >= u64::from(limit),
            ..ChangedAssets::default()
        };
        let (mut assets, mut locations, mut sources) = (Vec::new(), Vec::new(), Vec::new());
        for row in &rows {
            out.last_seq = row.try_get("seq")?;
            let id: i64 = row.try_get("entity_id")?;
            match row.try_get::<String, _>("entity")?.as_str() {
                "asset" => assets.push(id),
                "location" => locations.push(id),
                _ => sources.push(id),
            }
        }
        for chunk in locations.chunks(500) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT DISTINCT asset_id FROM locations WHERE asset_id IS NOT NULL AND id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(")");
            for row in q.build().fetch_all(&self.pool).await? {
                assets.push(row.try_get(0)?);
            }
        }
        for source in sources {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT asset_id FROM locations WHERE source_id = ? AND asset_id IS NOT NULL",
            )
            .bind(source)
            .fetch_all(&self.pool)
            .await?;
            assets.extend(ids);
        }
        assets.sort_unstable();
        assets.dedup();
        out.assets = assets.into_iter().map(AssetId).collect();
        Ok(out)
    }

    /// Every asset id, in order, after `after`, at most `limit`.
    pub async fn asset_ids(&self, after: AssetId, limit: u32) -> Result<Vec<AssetId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM assets WHERE id > ? ORDER BY id LIMIT ?")
                .bind(after.0)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        Ok(ids.into_iter().map(AssetId).collect())
    }

    /// The records of `ids` that still exist (a missing id was deleted).
    pub async fn asset_records(&self, ids: &[AssetId]) -> Result<Vec<AssetRecord>> {
        let mut records: BTreeMap<i64, AssetRecord> = BTreeMap::new();
        for chunk in ids.chunks(500) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT a.id, a.title, a.media_type, l.rel_path, l.size, l.state, l.storage_class, \
                 l.archive_state, s.kind, s.uri, s.root, s.online, \
                 (SELECT count(*) FROM locations c WHERE c.asset_id = a.id AND c.role = 'media' \
                  AND c.state = 'present') AS copies \
                 FROM assets a \
                 LEFT JOIN locations l ON l.id = (SELECT min(m.id) FROM locations m \
                     WHERE m.asset_id = a.id AND m.role = 'media') \
                 LEFT JOIN sources s ON s.id = l.source_id WHERE a.id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            q.push(")");
            for row in q.build().fetch_all(&self.pool).await? {
                let id: i64 = row.try_get("id")?;
                let rel = row
                    .try_get::<Option<Vec<u8>>, _>("rel_path")?
                    .map(RelPath::from_bytes);
                let root: Option<Vec<u8>> = row.try_get("root")?;
                let uri: Option<String> = row.try_get("uri")?;
                let path = match (&rel, &root, &uri) {
                    (Some(rel), Some(root), _) => rel
                        .to_path(&trove_core::path_from_bytes(root))
                        .to_string_lossy()
                        .into_owned(),
                    (Some(rel), None, Some(uri))
                        if row.try_get::<Option<String>, _>("kind")?.as_deref() == Some("s3") =>
                    {
                        crate::s3_object_uri(uri, rel)
                    }
                    (Some(rel), None, Some(uri)) => {
                        format!("{}/{}", uri.trim_end_matches('/'), rel)
                    }
                    _ => String::new(),
                };
                let online: Option<bool> = row.try_get("online")?;
                let location_state: Option<String> = row.try_get("state")?;
                let archive_state: Option<String> = row.try_get("archive_state")?;
                let state = match (online, location_state.as_deref(), archive_state.as_deref()) {
                    (Some(false), _, _) => "offline",
                    (_, Some("missing"), _) => "missing",
                    // S3 objects in an archive class: `archived`, `restoring` or `ready`.
                    (_, _, Some(archived)) => archived,
                    _ => "online",
                };
                records.insert(
                    id,
                    AssetRecord {
                        id: AssetId(id),
                        title: row.try_get("title")?,
                        media_type: row.try_get("media_type")?,
                        path,
                        size: row.try_get::<Option<i64>, _>("size")?.unwrap_or(0) as u64,
                        source: uri.unwrap_or_default(),
                        storage_class: row.try_get("storage_class")?,
                        state: state.to_owned(),
                        copies: row.try_get::<i64, _>("copies")? as u64,
                        claims: Vec::new(),
                    },
                );
            }
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT asset_id, field, value, source, source_key, location_id, observed_at \
                 FROM claims WHERE asset_id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            q.push(") ORDER BY id");
            for row in q.build().fetch_all(&self.pool).await? {
                let id: i64 = row.try_get("asset_id")?;
                let value: String = row.try_get("value")?;
                if let Some(record) = records.get_mut(&id) {
                    record.claims.push(ClaimView {
                        field: row.try_get("field")?,
                        value: serde_json::from_str(&value)
                            .unwrap_or(serde_json::Value::String(value)),
                        source: row.try_get("source")?,
                        source_key: row.try_get("source_key")?,
                        location_id: row
                            .try_get::<Option<i64>, _>("location_id")?
                            .map(LocationId),
                        observed_at: row.try_get("observed_at")?,
                    });
                }
            }
        }
        Ok(records.into_values().collect())
    }
}
