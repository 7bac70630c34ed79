//! Locations: reading what a scan needs to compare against, and writing its findings in batches.
//!
//! A scan hands over a [`Batch`] of inserts, updates, moves and missing marks; it is written in
//! one transaction (`BEGIN IMMEDIATE`, so concurrent writers queue instead of deadlocking) with
//! multi-row statements. A batch either lands whole or not at all, which is what makes a scan
//! killed at any moment safe to run again.

use crate::{now_secs, Catalog, Error, Result};
use sqlx::{QueryBuilder, Row, Sqlite};
use trove_core::{AssetId, LocationId, LocationState, MediaType, RelPath, SourceId};

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
    ///
    /// Scans load every location of a source before walking it, so this is on the hot path of
    /// a rescan. Streaming rows one at a time through the driver costs about 7 µs a row; instead
    /// SQLite concatenates them into one value (see [`KNOWN_RECORDS`]) parsed here in one pass.
    pub async fn known_locations(
        &self,
        source: SourceId,
        within: Option<&RelPath>,
    ) -> Result<Vec<KnownLocation>> {
        let records: Option<Vec<u8>> = match within {
            None => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "{KNOWN_RECORDS} WHERE source_id = ?"
                )))
                .bind(source.0)
                .fetch_one(&self.pool)
                .await?
            }
            Some(dir) => {
                let (lo, hi) = subtree_bounds(dir);
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "{KNOWN_RECORDS} WHERE source_id = ? AND (rel_path = ? OR (rel_path >= ? AND rel_path < ?))"
                )))
                .bind(source.0)
                .bind(dir.as_bytes())
                .bind(lo)
                .bind(hi)
                .fetch_one(&self.pool)
                .await?
            }
        };
        let Some(records) = records else {
            return Ok(Vec::new());
        };
        records.split(|&b| b == 0).map(parse_known).collect()
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
        // Ids of assets merged away stay reserved, so undoing a merge gives its id back.
        let first_asset: i64 = sqlx::query_scalar(
            "SELECT max((SELECT coalesce(max(id), 0) FROM assets), \
             (SELECT coalesce(max(merged_id), 0) FROM asset_merges)) + 1",
        )
        .fetch_one(&mut *tx)
        .await?;
        let last_location: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM locations")
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
        if !batch.inserts.is_empty() {
            // The change sequence for inserts, set-based (see the migration for why).
            sqlx::query(
                "INSERT INTO changes (entity, entity_id, op) \
                 SELECT 'asset', id, 'insert' FROM assets WHERE id >= ? ORDER BY id",
            )
            .bind(first_asset)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO changes (entity, entity_id, op) \
                 SELECT 'location', id, 'insert' FROM locations WHERE id > ? ORDER BY id",
            )
            .bind(last_location)
            .execute(&mut *tx)
            .await?;
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
    /// preferring video, then stills, then audio when several share the base name. Two
    /// set-based statements, so linking costs an index lookup per unlinked sidecar.
    pub async fn link_sidecars(&self, source: SourceId) -> Result<u64> {
        // `s` is the sidecar, `m` a media file. The stem is the sidecar's path less its 4-byte
        // ".xmp"; `||` yields text, so concatenations are cast back to BLOBs to compare bytes.
        const EXACT: &str = "m.source_id = s.source_id AND m.role = 'media' \
            AND m.asset_id IS NOT NULL AND m.rel_path = substr(s.rel_path, 1, length(s.rel_path) - 4)";
        const SIBLING: &str = "m.source_id = s.source_id AND m.role = 'media' \
            AND m.asset_id IS NOT NULL \
            AND m.rel_path > CAST(substr(s.rel_path, 1, length(s.rel_path) - 4) || '.' AS BLOB) \
            AND m.rel_path < CAST(substr(s.rel_path, 1, length(s.rel_path) - 4) || '/' AS BLOB) \
            AND instr(substr(m.rel_path, length(s.rel_path) - 2), '/') = 0 \
            AND instr(substr(m.rel_path, length(s.rel_path) - 2), '.') = 0";
        const PREFERENCE: &str = "ORDER BY CASE m.media_type WHEN 'video' THEN 0 \
            WHEN 'image' THEN 1 WHEN 'audio' THEN 2 WHEN 'document' THEN 3 ELSE 4 END, m.rel_path";
        let now = now_secs();
        let mut linked = 0;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (matching, order) in [(EXACT, ""), (SIBLING, PREFERENCE)] {
            let sql = format!(
                "UPDATE locations AS s SET changed_at = ?1, asset_id = \
                 (SELECT m.asset_id FROM locations m WHERE {matching} {order} LIMIT 1) \
                 WHERE s.source_id = ?2 AND s.role = 'sidecar' AND s.asset_id IS NULL \
                 AND EXISTS (SELECT 1 FROM locations m WHERE {matching})"
            );
            linked += sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(source.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(linked)
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

/// One record per location: `id,size,mtime,device,inode,FLAGS,PATH` followed by a NUL byte,
/// where FLAGS is two digits (present, sidecar), an empty number is NULL and PATH is the raw bytes
/// of the path. It is the last field, so commas in it are harmless, and no path holds a NUL.
const KNOWN_RECORDS: &str = "SELECT CAST(group_concat(id || ',' || size || ',' \
    || coalesce(mtime_ns, '') || ',' || coalesce(device, '') || ',' || coalesce(inode, '') \
    || ',' || (state = 'present') || (role = 'sidecar') || ',' || rel_path, char(0)) AS BLOB) \
    FROM locations";

fn parse_known(record: &[u8]) -> Result<KnownLocation> {
    let what = "known locations";
    let f = record_fields(what, record, 7)?;
    let number = |i: usize| record_number(what, record, f[i]);
    let optional = |i: usize| record_optional(what, record, f[i]);
    Ok(KnownLocation {
        id: LocationId(number(0)?),
        rel_path: RelPath::from_bytes(f[6].to_vec()),
        size: number(1)? as u64,
        mtime_ns: optional(2)?,
        device: optional(3)?.map(|d| d as u64),
        inode: optional(4)?.map(|i| i as u64),
        state: match f[5].first() {
            Some(b'1') => LocationState::Present,
            _ => LocationState::Missing,
        },
        role: match f[5].get(1) {
            Some(b'1') => Role::Sidecar,
            _ => Role::Media,
        },
    })
}

/// The `n` comma-separated fields of one record of a `group_concat` (as [`KNOWN_RECORDS`]
/// makes them); the last one may hold commas.
pub(crate) fn record_fields<'a>(
    what: &'static str,
    record: &'a [u8],
    n: usize,
) -> Result<Vec<&'a [u8]>> {
    let fields: Vec<&[u8]> = record.splitn(n, |&b| b == b',').collect();
    if fields.len() == n {
        Ok(fields)
    } else {
        Err(bad_record(what, record))
    }
}

/// A number field of a record.
pub(crate) fn record_number(what: &'static str, record: &[u8], field: &[u8]) -> Result<i64> {
    std::str::from_utf8(field)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| bad_record(what, record))
}

/// A number field of a record that may be empty (NULL).
pub(crate) fn record_optional(
    what: &'static str,
    record: &[u8],
    field: &[u8],
) -> Result<Option<i64>> {
    if field.is_empty() {
        Ok(None)
    } else {
        record_number(what, record, field).map(Some)
    }
}

fn bad_record(what: &'static str, record: &[u8]) -> Error {
    Error::Decode {
        what,
        message: format!("unexpected record {:?}", String::from_utf8_lossy(record)),
    }
}

/// Assets are never sidecars; a sidecar's own type is kept on its location.
pub(crate) fn asset_media_type(t: MediaType) -> &'static str {
    match t {
        MediaType::Sidecar => MediaType::Other.as_str(),
        other => other.as_str(),
    }
}
