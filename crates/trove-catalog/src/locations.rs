//! Locations: reading what a scan needs to compare against, and writing its findings in batches.
//!
//! A scan hands over a [`Batch`] of inserts, updates, moves and missing marks; it is written in
//! one transaction (`BEGIN IMMEDIATE`, so concurrent writers queue instead of deadlocking) with
//! multi-row statements. A batch either lands whole or not at all, which is what makes a scan
//! killed at any moment safe to run again.

use crate::{now_secs, Catalog, Result};
use sqlx::{QueryBuilder, Row, Sqlite};
use trove_core::{
    AssetId, LocationId, LocationState, MediaType, RelPath, SourceId, SIDECAR_EXTENSION,
};

/// What a location holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The asset's own bytes.
    Media,
    /// An XMP sidecar describing a media file beside it.
    Sidecar,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Media => "media",
            Role::Sidecar => "sidecar",
        }
    }

    fn parse(s: &str) -> Role {
        if s == "sidecar" {
            Role::Sidecar
        } else {
            Role::Media
        }
    }
}

/// A location as a scan compares it: identity and the file facts that reveal a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLocation {
    /// Row id.
    pub id: LocationId,
    /// Path under the source root.
    pub rel_path: RelPath,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds.
    pub mtime_ns: Option<i64>,
    /// Device number of the file system.
    pub device: Option<u64>,
    /// Inode number.
    pub inode: Option<u64>,
    /// Present or missing.
    pub state: LocationState,
    /// Media or sidecar.
    pub role: Role,
}

/// A file seen for the first time.
#[derive(Debug, Clone)]
pub struct NewLocation {
    /// Path under the source root.
    pub rel_path: RelPath,
    /// Media or sidecar (sidecars get no asset of their own).
    pub role: Role,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds.
    pub mtime_ns: Option<i64>,
    /// Device number.
    pub device: Option<u64>,
    /// Inode number.
    pub inode: Option<u64>,
    /// MIME type, if known.
    pub mime: Option<String>,
    /// Media type.
    pub media_type: MediaType,
    /// The new asset's title.
    pub title: String,
}

/// New facts about a known location; with `rel_path` set it moved there.
#[derive(Debug, Clone)]
pub struct LocationUpdate {
    /// The location.
    pub id: LocationId,
    /// Its new path, when it moved.
    pub rel_path: Option<RelPath>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds.
    pub mtime_ns: Option<i64>,
    /// Device number.
    pub device: Option<u64>,
    /// Inode number.
    pub inode: Option<u64>,
    /// MIME type; `None` keeps the stored one.
    pub mime: Option<String>,
    /// Media type; `None` keeps the stored one.
    pub media_type: Option<MediaType>,
}

/// A known location found at another path.
pub type LocationMove = LocationUpdate;

/// Findings of a scan for one source, written in one transaction.
#[derive(Debug, Default)]
pub struct Batch {
    /// Files seen for the first time.
    pub inserts: Vec<NewLocation>,
    /// Known files that changed, came back, or moved.
    pub updates: Vec<LocationUpdate>,
    /// Known files no longer there.
    pub missing: Vec<LocationId>,
}

impl Batch {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.updates.is_empty() && self.missing.is_empty()
    }

    /// Rows this batch touches.
    pub fn len(&self) -> usize {
        self.inserts.len() + self.updates.len() + self.missing.len()
    }
}

/// What a batch changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Locations inserted (a concurrent writer may have inserted some first).
    pub inserted: u64,
    /// Locations updated or moved.
    pub updated: u64,
    /// Locations newly marked missing.
    pub missing: u64,
}

/// Rows per multi-row INSERT: 13 columns × 1,000 stays under SQLite's 32,766 parameters.
const INSERT_CHUNK: usize = 1000;

fn known_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<KnownLocation> {
    let state: String = row.try_get("state")?;
    let id: i64 = row.try_get("id")?;
    Ok(KnownLocation {
        id: LocationId(id),
        rel_path: RelPath::from_bytes(row.try_get("rel_path")?),
        size: row.try_get::<i64, _>("size")? as u64,
        mtime_ns: row.try_get("mtime_ns")?,
        device: row.try_get::<Option<i64>, _>("device")?.map(|d| d as u64),
        inode: row.try_get::<Option<i64>, _>("inode")?.map(|i| i as u64),
        state: state.parse().map_err(|source| crate::Error::Corrupt {
            table: "locations",
            id,
            source,
        })?,
        role: Role::parse(row.try_get("role")?),
    })
}

/// The exclusive upper bound of the paths under `prefix/`: `prefix` followed by `'/' + 1`.
fn subtree_bounds(dir: &RelPath) -> (Vec<u8>, Vec<u8>) {
    let mut lo = dir.as_bytes().to_vec();
    lo.push(b'/');
    let mut hi = dir.as_bytes().to_vec();
    hi.push(b'/' + 1);
    (lo, hi)
}

impl Catalog {
    /// The locations of a source, all of them or those at or under `within`.
    pub async fn known_locations(
        &self,
        source: SourceId,
        within: Option<&RelPath>,
    ) -> Result<Vec<KnownLocation>> {
        const COLUMNS: &str =
            "SELECT id, rel_path, size, mtime_ns, device, inode, state, role FROM locations";
        let rows = match within {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{COLUMNS} WHERE source_id = ?"
                )))
                .bind(source.0)
                .fetch_all(&self.pool)
                .await?
            }
            Some(dir) => {
                let (lo, hi) = subtree_bounds(dir);
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{COLUMNS} WHERE source_id = ? AND (rel_path = ? OR (rel_path >= ? AND rel_path < ?))"
                )))
                .bind(source.0)
                .bind(dir.as_bytes())
                .bind(lo)
                .bind(hi)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(known_from_row).collect()
    }

    /// A location of `source` with this file identity, present or missing, if there is one.
    pub async fn location_by_inode(
        &self,
        source: SourceId,
        device: u64,
        inode: u64,
    ) -> Result<Vec<KnownLocation>> {
        let rows = sqlx::query(
            "SELECT id, rel_path, size, mtime_ns, device, inode, state, role FROM locations \
             WHERE device = ? AND inode = ? AND source_id = ?",
        )
        .bind(device as i64)
        .bind(inode as i64)
        .bind(source.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(known_from_row).collect()
    }

    /// Writes a scan's findings for `source` in one transaction.
    pub async fn write_batch(&self, source: SourceId, batch: &Batch) -> Result<BatchOutcome> {
        let mut outcome = BatchOutcome::default();
        if batch.is_empty() {
            return Ok(outcome);
        }
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;

        // Assets first, with ids chosen here: the IMMEDIATE transaction makes this the only
        // writer, and explicit ids tie each location to its asset without a round trip per row.
        let first_asset: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) + 1 FROM assets")
            .fetch_one(&mut *tx)
            .await?;
        let mut next_asset = first_asset;
        for chunk in batch.inserts.chunks(INSERT_CHUNK) {
            let owners: Vec<Option<i64>> = chunk
                .iter()
                .map(|new| {
                    (new.role == Role::Media).then(|| {
                        next_asset += 1;
                        next_asset - 1
                    })
                })
                .collect();
            let media: Vec<(&NewLocation, i64)> = chunk
                .iter()
                .zip(&owners)
                .filter_map(|(new, owner)| owner.map(|id| (new, id)))
                .collect();
            if !media.is_empty() {
                let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                    "INSERT INTO assets (id, title, media_type, created_at, updated_at) ",
                );
                q.push_values(media, |mut b, (new, id)| {
                    b.push_bind(id)
                        .push_bind(new.title.clone())
                        .push_bind(asset_media_type(new.media_type))
                        .push_bind(now)
                        .push_bind(now);
                });
                q.build().execute(&mut *tx).await?;
            }
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO locations (source_id, asset_id, rel_path, role, size, mtime_ns, \
                 device, inode, mime, media_type, state, first_seen_at, changed_at) ",
            );
            q.push_values(chunk.iter().zip(&owners), |mut b, (new, owner)| {
                b.push_bind(source.0)
                    .push_bind(*owner)
                    .push_bind(new.rel_path.as_bytes().to_vec())
                    .push_bind(new.role.as_str())
                    .push_bind(new.size as i64)
                    .push_bind(new.mtime_ns)
                    .push_bind(new.device.map(|d| d as i64))
                    .push_bind(new.inode.map(|i| i as i64))
                    .push_bind(new.mime.clone())
                    .push_bind(new.media_type.as_str())
                    .push_bind("present")
                    .push_bind(now)
                    .push_bind(now);
            });
            q.push(" ON CONFLICT (source_id, rel_path) DO NOTHING");
            outcome.inserted += q.build().execute(&mut *tx).await?.rows_affected();
        }
        if outcome.inserted < batch.inserts.len() as u64 && next_asset > first_asset {
            // Another writer recorded some of these paths first: drop the assets left without one.
            sqlx::query(
                "DELETE FROM assets WHERE id >= ? AND id < ? \
                 AND NOT EXISTS (SELECT 1 FROM locations WHERE asset_id = assets.id)",
            )
            .bind(first_asset)
            .bind(next_asset)
            .execute(&mut *tx)
            .await?;
        }

        for update in &batch.updates {
            let done = sqlx::query(
                "UPDATE locations SET rel_path = coalesce(?, rel_path), size = ?, mtime_ns = ?, \
                 device = ?, inode = ?, mime = coalesce(?, mime), \
                 media_type = coalesce(?, media_type), state = 'present', changed_at = ? \
                 WHERE id = ?",
            )
            .bind(update.rel_path.as_ref().map(|p| p.as_bytes().to_vec()))
            .bind(update.size as i64)
            .bind(update.mtime_ns)
            .bind(update.device.map(|d| d as i64))
            .bind(update.inode.map(|i| i as i64))
            .bind(update.mime.clone())
            .bind(update.media_type.map(|t| t.as_str()))
            .bind(now)
            .bind(update.id.0)
            .execute(&mut *tx)
            .await?;
            outcome.updated += done.rows_affected();
        }

        for chunk in batch.missing.chunks(INSERT_CHUNK) {
            let mut q: QueryBuilder<Sqlite> =
                QueryBuilder::new("UPDATE locations SET state = 'missing', changed_at = ");
            q.push_bind(now);
            q.push(" WHERE state = 'present' AND id IN (");
            let mut ids = q.separated(", ");
            for id in chunk {
                ids.push_bind(id.0);
            }
            q.push(")");
            outcome.missing += q.build().execute(&mut *tx).await?.rows_affected();
        }

        tx.commit().await?;
        Ok(outcome)
    }

    /// Links unlinked sidecars of `source` to the asset of the media file they describe.
    ///
    /// `clip.mov.xmp` describes `clip.mov`; `clip.xmp` describes the sibling `clip.<ext>`,
    /// preferring video, then stills, then audio when several share the base name.
    pub async fn link_sidecars(&self, source: SourceId) -> Result<u64> {
        let rows = sqlx::query(
            "SELECT id, rel_path FROM locations \
             WHERE source_id = ? AND role = 'sidecar' AND asset_id IS NULL",
        )
        .bind(source.0)
        .fetch_all(&self.pool)
        .await?;
        let mut links = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let path = RelPath::from_bytes(row.try_get("rel_path")?);
            if let Some(asset) = self.sidecar_target(source, &path).await? {
                links.push((id, asset));
            }
        }
        if links.is_empty() {
            return Ok(0);
        }
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut linked = 0;
        for (id, asset) in links {
            linked += sqlx::query(
                "UPDATE locations SET asset_id = ?, changed_at = ? WHERE id = ? AND asset_id IS NULL",
            )
            .bind(asset.0)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(linked)
    }

    async fn sidecar_target(&self, source: SourceId, sidecar: &RelPath) -> Result<Option<AssetId>> {
        let name = sidecar.file_name();
        let ext_len = SIDECAR_EXTENSION.len() + 1;
        if name.len() <= ext_len {
            return Ok(None);
        }
        let stem = &name[..name.len() - ext_len];
        let dir = sidecar.dir_prefix();
        let mut exact = dir.to_vec();
        exact.extend_from_slice(stem);
        let hit: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT asset_id FROM locations WHERE source_id = ? AND rel_path = ? AND role = 'media'",
        )
        .bind(source.0)
        .bind(&exact)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(Some(asset)) = hit {
            return Ok(Some(AssetId(asset)));
        }
        // `clip.xmp` → siblings `clip.<ext>`: paths in ["dir/clip.", "dir/clip/").
        let mut lo = exact.clone();
        lo.push(b'.');
        let mut hi = exact;
        hi.push(b'.' + 1);
        let rows = sqlx::query(
            "SELECT rel_path, asset_id, media_type FROM locations WHERE source_id = ? \
             AND rel_path >= ? AND rel_path < ? AND role = 'media' AND asset_id IS NOT NULL",
        )
        .bind(source.0)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let mut best: Option<(u8, Vec<u8>, i64)> = None;
        for row in &rows {
            let path: Vec<u8> = row.try_get("rel_path")?;
            let ext = &path[lo.len()..];
            if ext.is_empty() || ext.contains(&b'/') || ext.contains(&b'.') {
                continue;
            }
            let rank = row
                .try_get::<String, _>("media_type")?
                .parse::<MediaType>()
                .map(MediaType::sidecar_preference)
                .unwrap_or(u8::MAX);
            let candidate = (rank, path, row.try_get::<i64, _>("asset_id")?);
            if best
                .as_ref()
                .is_none_or(|b| (candidate.0, &candidate.1) < (b.0, &b.1))
            {
                best = Some(candidate);
            }
        }
        Ok(best.map(|(_, _, asset)| AssetId(asset)))
    }

    /// The location at `rel_path` in `source`, with its asset.
    pub async fn location_at(
        &self,
        source: SourceId,
        rel_path: &RelPath,
    ) -> Result<Option<(LocationId, Option<AssetId>)>> {
        let row =
            sqlx::query("SELECT id, asset_id FROM locations WHERE source_id = ? AND rel_path = ?")
                .bind(source.0)
                .bind(rel_path.as_bytes())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok((
                LocationId(r.try_get("id")?),
                r.try_get::<Option<i64>, _>("asset_id")?.map(AssetId),
            ))
        })
        .transpose()
    }
}

/// Assets are never sidecars; a sidecar's own type is kept on its location.
fn asset_media_type(t: MediaType) -> &'static str {
    match t {
        MediaType::Sidecar => MediaType::Other.as_str(),
        other => other.as_str(),
    }
}
