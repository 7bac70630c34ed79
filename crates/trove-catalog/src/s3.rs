//! S3 sources in the catalog: the objects a listing compares against, the batches it writes, and
//! the per-object jobs that follow (a HEAD with tagging, then a probe of readable media).
//!
//! An object is a location like a file: `rel_path` is the full key (exact bytes), `mtime_ns` its
//! LastModified, plus `etag`, `storage_class`, `version_id` and `archive_state` (migration
//! 0010). Batches are written like local ones — one `BEGIN IMMEDIATE` transaction, multi-row
//! inserts, the change sequence filled set-based for inserts and by triggers for the rest — so the
//! search index follows S3 sources the same way.

use crate::locations::asset_media_type;
use crate::{now_secs, BatchOutcome, Catalog, JobTask, NewClaim, Result, Role};
use sqlx::{QueryBuilder, Row, Sqlite};
use trove_core::{LocationId, MediaType, RelPath, SourceId};

/// The job kind that reads an object's HEAD (user metadata, checksums, archive and restore
/// state) and its tags.
pub const S3_HEAD: &str = "s3_head";
/// The job kind that probes a readable S3 object through a presigned URL (range reads).
pub const S3_PROBE: &str = "s3_probe";

/// Rows per multi-row INSERT: 16 columns × 1,000 stays under SQLite's 32,766 parameters.
const INSERT_CHUNK: usize = 1000;

/// An object as a listing compares it with what it finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownObject {
    /// Row id.
    pub id: LocationId,
    /// The key.
    pub key: RelPath,
    /// Size in bytes.
    pub size: u64,
    /// The ETag, without quotes.
    pub etag: Option<String>,
    /// LastModified, in nanoseconds.
    pub mtime_ns: Option<i64>,
    /// The storage class as S3 names it.
    pub storage_class: Option<String>,
    /// Present (false: marked missing).
    pub present: bool,
}

/// The facts of an object a listing (or an inventory) gives.
#[derive(Debug, Clone, Default)]
pub struct ObjectFacts {
    /// Size in bytes.
    pub size: u64,
    /// LastModified, in nanoseconds.
    pub mtime_ns: Option<i64>,
    /// The ETag, without quotes.
    pub etag: Option<String>,
    /// The storage class as S3 names it.
    pub storage_class: Option<String>,
    /// The version id, when versioned.
    pub version_id: Option<String>,
    /// `archived` when the listing shows the bytes cannot be read now; `None` otherwise.
    pub archive_state: Option<&'static str>,
}

/// An object seen for the first time.
#[derive(Debug, Clone)]
pub struct NewObject {
    /// The key.
    pub key: RelPath,
    /// Media or sidecar (a `.xmp` object).
    pub role: Role,
    /// What the listing said.
    pub facts: ObjectFacts,
    /// MIME type from the key's extension.
    pub mime: Option<String>,
    /// Media type from the key's extension.
    pub media_type: MediaType,
    /// The new asset's title (the key's last part).
    pub title: String,
}

/// Findings of a listing for one S3 source, written in one transaction.
#[derive(Debug, Default)]
pub struct ObjectBatch {
    /// Objects seen for the first time.
    pub inserts: Vec<NewObject>,
    /// Known objects that changed (or came back).
    pub updates: Vec<(LocationId, ObjectFacts)>,
    /// Known objects no longer listed.
    pub missing: Vec<LocationId>,
}

impl ObjectBatch {
    /// Rows this batch touches.
    pub fn len(&self) -> usize {
        self.inserts.len() + self.updates.len() + self.missing.len()
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What an S3 job needs to know about its object.
#[derive(Debug, Clone)]
pub struct S3Object {
    /// The source.
    pub source_id: SourceId,
    /// The source's URI (`s3://bucket/prefix`).
    pub source_uri: String,
    /// The source's settings (an `S3Config` as JSON).
    pub config: serde_json::Value,
    /// The key.
    pub key: RelPath,
    /// The version id, when versioned.
    pub version_id: Option<String>,
    /// The location's media type (`video`, `other`, …).
    pub media_type: String,
}

/// What a HEAD told about an object, to be stored on its location.
#[derive(Debug, Clone, Default)]
pub struct HeadFacts {
    /// `archived`, `restoring`, `ready` or `None` (readable).
    pub archive_state: Option<&'static str>,
    /// The Intelligent-Tiering archive tier, if any.
    pub archive_status: Option<String>,
    /// Additional checksums by algorithm (JSON object), if any.
    pub checksums: Option<serde_json::Value>,
    /// Whether a probe of the bytes should follow (readable media).
    pub queue_probe: bool,
}

/// The `s3://bucket/key` URI of `key` in the S3 source with URI `source_uri`.
pub fn s3_object_uri(source_uri: &str, key: &RelPath) -> String {
    let rest = source_uri.strip_prefix("s3://").unwrap_or(source_uri);
    let bucket = rest.split('/').next().unwrap_or(rest);
    format!("s3://{bucket}/{}", key.to_lossy())
}

impl Catalog {
    /// Every location of an S3 source, for a listing to compare against.
    pub async fn known_objects(&self, source: SourceId) -> Result<Vec<KnownObject>> {
        let rows = sqlx::query(
            "SELECT id, rel_path, size, etag, mtime_ns, storage_class, state = 'present' AS present \
             FROM locations WHERE source_id = ?",
        )
        .bind(source.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KnownObject {
                    id: LocationId(r.try_get("id")?),
                    key: RelPath::from_bytes(r.try_get("rel_path")?),
                    size: r.try_get::<i64, _>("size")? as u64,
                    etag: r.try_get("etag")?,
                    mtime_ns: r.try_get("mtime_ns")?,
                    storage_class: r.try_get("storage_class")?,
                    present: r.try_get("present")?,
                })
            })
            .collect()
    }

    /// Writes a listing's findings for the S3 `source` in one transaction.
    pub async fn write_objects(
        &self,
        source: SourceId,
        batch: &ObjectBatch,
    ) -> Result<BatchOutcome> {
        let mut outcome = BatchOutcome::default();
        if batch.is_empty() {
            return Ok(outcome);
        }
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // As in `write_batch`: asset ids chosen here, the transaction being the only writer.
        let first_asset: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) + 1 FROM assets")
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
            let media: Vec<(&NewObject, i64)> = chunk
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
                 mime, media_type, storage_class, etag, version_id, archive_state, state, \
                 first_seen_at, changed_at) ",
            );
            q.push_values(chunk.iter().zip(&owners), |mut b, (new, owner)| {
                b.push_bind(source.0)
                    .push_bind(*owner)
                    .push_bind(new.key.as_bytes().to_vec())
                    .push_bind(new.role.as_str())
                    .push_bind(new.facts.size as i64)
                    .push_bind(new.facts.mtime_ns)
                    .push_bind(new.mime.clone())
                    .push_bind(new.media_type.as_str())
                    .push_bind(new.facts.storage_class.clone())
                    .push_bind(new.facts.etag.clone())
                    .push_bind(new.facts.version_id.clone())
                    .push_bind(new.facts.archive_state)
                    .push_bind("present")
                    .push_bind(now)
                    .push_bind(now);
            });
            q.push(" ON CONFLICT (source_id, rel_path) DO NOTHING");
            outcome.inserted += q.build().execute(&mut *tx).await?.rows_affected();
        }
        if !batch.inserts.is_empty() {
            // The change sequence for inserts, set-based (see migration 0001 for why).
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
            // Another writer recorded some of these keys first: drop the assets left without one.
            sqlx::query(
                "DELETE FROM assets WHERE id >= ? AND id < ? \
                 AND NOT EXISTS (SELECT 1 FROM locations WHERE asset_id = assets.id)",
            )
            .bind(first_asset)
            .bind(next_asset)
            .execute(&mut *tx)
            .await?;
        }
        for (id, facts) in &batch.updates {
            // A new version (or class) of the object: what its HEAD said no longer stands.
            let done = sqlx::query(
                "UPDATE locations SET size = ?, mtime_ns = ?, etag = ?, storage_class = ?, \
                 version_id = ?, archive_state = ?, s3_headed = NULL, state = 'present', \
                 changed_at = ? WHERE id = ?",
            )
            .bind(facts.size as i64)
            .bind(facts.mtime_ns)
            .bind(facts.etag.clone())
            .bind(facts.storage_class.clone())
            .bind(facts.version_id.clone())
            .bind(facts.archive_state)
            .bind(now)
            .bind(id.0)
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

    /// Queues an `s3_head` job for every present object of an online S3 source whose HEAD was
    /// not read as it is now; returns how many were queued.
    pub async fn enqueue_s3_heads(&self) -> Result<u64> {
        let done = sqlx::query(
            "INSERT INTO jobs (kind, state, priority, asset_id, location_id, created_at, updated_at) \
             SELECT ?1, 'queued', 0, l.asset_id, l.id, ?2, ?2 \
             FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.state = 'present' AND l.asset_id IS NOT NULL \
               AND s.kind = 's3' AND s.online = 1 \
               AND l.s3_headed IS NOT (l.size || ':' || coalesce(l.mtime_ns, '')) \
             ORDER BY l.id ON CONFLICT DO NOTHING",
        )
        .bind(S3_HEAD)
        .bind(now_secs())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Queues an `s3_probe` for every readable media object whose HEAD is read and whose bytes
    /// were not probed as they are now (the HEAD job queues them itself; this catches up after a
    /// crash). Archived objects are never queued.
    pub async fn enqueue_s3_probes(&self) -> Result<u64> {
        let done = sqlx::query(
            "INSERT INTO jobs (kind, state, priority, asset_id, location_id, created_at, updated_at) \
             SELECT ?1, 'queued', 0, l.asset_id, l.id, ?2, ?2 \
             FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.state = 'present' AND l.asset_id IS NOT NULL AND l.role = 'media' \
               AND s.kind = 's3' AND s.online = 1 \
               AND l.media_type IN ('video', 'audio', 'image') \
               AND coalesce(l.archive_state, 'ready') = 'ready' \
               AND l.s3_headed = (l.size || ':' || coalesce(l.mtime_ns, '')) \
               AND l.probed IS NOT l.s3_headed \
             ORDER BY l.id ON CONFLICT DO NOTHING",
        )
        .bind(S3_PROBE)
        .bind(now_secs())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The object of an S3 location, with its source's settings.
    pub async fn s3_object(&self, location: LocationId) -> Result<Option<S3Object>> {
        let row = sqlx::query(
            "SELECT l.source_id, l.rel_path, l.version_id, l.media_type, s.uri, s.config \
             FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.id = ? AND s.kind = 's3'",
        )
        .bind(location.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let config: String = r.try_get("config")?;
            Ok(S3Object {
                source_id: SourceId(r.try_get("source_id")?),
                source_uri: r.try_get("uri")?,
                config: serde_json::from_str(&config).unwrap_or(serde_json::Value::Null),
                key: RelPath::from_bytes(r.try_get("rel_path")?),
                version_id: r.try_get("version_id")?,
                media_type: r.try_get("media_type")?,
            })
        })
        .transpose()
    }

    /// Stores what an object's HEAD and tags said: its `s3` claims (replacing earlier ones of
    /// this location), archive state and checksums; marks the job done and, for readable
    /// media, queues its probe.
    pub async fn complete_s3_head(
        &self,
        task: &JobTask,
        head: &HeadFacts,
        claims: &[NewClaim],
    ) -> Result<()> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM claims WHERE location_id = ? AND source = 's3'")
            .bind(task.location_id.0)
            .execute(&mut *tx)
            .await?;
        if !claims.is_empty() {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO claims (asset_id, location_id, field, value, source, source_key, \
                 observed_at, fingerprint) ",
            );
            q.push_values(claims, |mut b, c| {
                b.push_bind(task.asset_id.0)
                    .push_bind(task.location_id.0)
                    .push_bind(c.field.clone())
                    .push_bind(c.value.to_string())
                    .push_bind(c.source.clone())
                    .push_bind(c.source_key.clone())
                    .push_bind(now)
                    .push_bind(task.fingerprint.clone());
            });
            q.build().execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE locations SET s3_headed = ?, archive_state = ?, archive_status = ?, \
             checksums = ? WHERE id = ?",
        )
        .bind(&task.fingerprint)
        .bind(head.archive_state)
        .bind(head.archive_status.clone())
        .bind(head.checksums.as_ref().map(|c| c.to_string()))
        .bind(task.location_id.0)
        .execute(&mut *tx)
        .await?;
        // The asset's metadata changed: an asset update is what followers (search) watch for.
        sqlx::query("UPDATE assets SET updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(task.asset_id.0)
            .execute(&mut *tx)
            .await?;
        crate::jobs::mark_done(&mut tx, task, S3_HEAD, now).await?;
        if head.queue_probe {
            sqlx::query(
                "INSERT INTO jobs (kind, state, priority, asset_id, location_id, created_at, \
                 updated_at) SELECT ?1, 'queued', 0, asset_id, id, ?2, ?2 FROM locations \
                 WHERE id = ?3 AND probed IS NOT ?4 ON CONFLICT DO NOTHING",
            )
            .bind(S3_PROBE)
            .bind(now)
            .bind(task.location_id.0)
            .bind(&task.fingerprint)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
