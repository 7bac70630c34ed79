//! Restores of archived objects in the catalog (migration 0012): the `restores` rows and the
//! `restore_request` / `restore_poll` jobs that carry them out.
//!
//! A restore is written as `pending` with its `restore_request` job in one transaction, before
//! anything is sent, so a crash between the two loses nothing: the job is leased again and S3's
//! answers to a repeated request (200, 409) are success. Once S3 took it, the restore is
//! `in_progress` and a `restore_poll` job waits (`not_before`) until its `next_check`; each check
//! moves it on (`ready` with the expiry S3 reports, or back to waiting), and `ready` restores
//! whose expiry passed become `expired`. At most one restore per object is pending or in
//! progress (a partial unique index), which makes starting twice harmless.

use crate::{now_secs, Catalog, Result};
use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::path::PathBuf;
use trove_core::{path_from_bytes, AssetId, LocationId, RelPath, SourceId};

/// The job kind that sends one restore request.
pub const RESTORE_REQUEST: &str = "restore_request";
/// The job kind that checks how one restore is getting on.
pub const RESTORE_POLL: &str = "restore_poll";

/// A location of an asset a restore plan looks at.
#[derive(Debug, Clone)]
pub struct RestoreLocation {
    /// The location.
    pub location: LocationId,
    /// Its asset.
    pub asset: AssetId,
    /// Its source.
    pub source: SourceId,
    /// `local`, `s3` or `glacier`.
    pub source_kind: String,
    /// The source's URI.
    pub source_uri: String,
    /// The source's settings (JSON).
    pub config: serde_json::Value,
    /// Whether the source is online.
    pub online: bool,
    /// The absolute path, for local files.
    pub path: Option<PathBuf>,
    /// The key (S3) or path inside the source.
    pub rel_path: RelPath,
    /// `media` or `sidecar`.
    pub role: String,
    /// Size in bytes.
    pub size: u64,
    /// The ETag (S3), without quotes.
    pub etag: Option<String>,
    /// The storage class (S3).
    pub storage_class: Option<String>,
    /// `archived`, `restoring`, `ready` or none.
    pub archive_state: Option<String>,
    /// The Intelligent-Tiering access tier.
    pub archive_status: Option<String>,
    /// The version id (S3).
    pub version_id: Option<String>,
    /// Additional checksums by algorithm (JSON object), when a HEAD read them.
    pub checksums: Option<serde_json::Value>,
    /// Present (not marked missing).
    pub present: bool,
}

/// A restore to record.
#[derive(Debug, Clone)]
pub struct NewRestore {
    /// The object's location.
    pub location: LocationId,
    /// Its asset.
    pub asset: AssetId,
    /// The archive class planned with (`deep_archive`, …).
    pub class: String,
    /// `expedited`, `standard` or `bulk`.
    pub tier: String,
    /// Days of the temporary copy, when the class takes them.
    pub days: Option<u32>,
}

/// A restore as recorded, with where its object is.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreRow {
    /// Row id.
    pub id: i64,
    /// The object's location.
    pub location: LocationId,
    /// The asset when it was asked for.
    pub asset: Option<AssetId>,
    /// `s3://bucket/key`, or the source URI and path.
    pub uri: String,
    /// The key (S3) or path inside the source.
    #[serde(skip)]
    pub rel_path: RelPath,
    /// The object's size.
    pub size: u64,
    /// The archive class.
    pub class: String,
    /// The tier.
    pub tier: String,
    /// Days of the temporary copy.
    pub days: Option<u32>,
    /// When the request was (last) sent, Unix seconds.
    pub requested_at: i64,
    /// `pending`, `in_progress`, `ready`, `expired` or `failed`.
    pub state: String,
    /// The end of the temporary copy, Unix seconds.
    pub expiry: Option<i64>,
    /// The last check, Unix seconds.
    pub last_checked: Option<i64>,
    /// The next check, Unix seconds.
    pub next_check: Option<i64>,
    /// Checks so far.
    pub checks: i64,
    /// The last error.
    pub error: Option<String>,
    /// When the batch's "ready" notice went out.
    pub notified_at: Option<i64>,
    /// The `restore start` that asked for it.
    pub batch_id: i64,
    /// The job carrying it now.
    pub job_id: Option<i64>,
    /// The Glacier job of a vault archive's retrieval.
    pub remote_job: Option<String>,
}

/// What a request or a check found.
#[derive(Debug, Clone)]
pub struct RestoreUpdate {
    /// `in_progress`, `ready`, `expired` or `failed`.
    pub state: &'static str,
    /// The expiry S3 reports (Unix seconds).
    pub expiry: Option<i64>,
    /// When to look again (for `in_progress`).
    pub next_check: Option<i64>,
    /// What went wrong (`failed`), or a note.
    pub error: Option<String>,
}

/// A batch whose restores all finished, to be announced once.
#[derive(Debug, Clone, Serialize)]
pub struct ReadyBatch {
    /// The batch.
    pub batch_id: i64,
    /// Restores ready in it.
    pub ready: u64,
    /// Restores that failed or expired in it.
    pub not_ready: u64,
}

const ROW_COLUMNS: &str = "r.id, r.location_id, r.asset_id, r.class, r.tier, r.days, \
     r.requested_at, r.state, r.expiry, r.last_checked, r.next_check, r.checks, r.error, \
     r.notified_at, r.batch_id, r.job_id, r.remote_job, l.rel_path, l.size, s.uri, s.kind";

const LOCATION_QUERY: &str = "SELECT l.id, l.asset_id, l.source_id, l.rel_path, l.role, l.size, \
     l.etag, l.storage_class, l.archive_state, l.archive_status, l.version_id, l.checksums, \
     l.state = 'present' AS present, s.kind, s.uri, s.config, s.online, s.root \
     FROM locations l JOIN sources s ON s.id = l.source_id WHERE ";

fn restore_location(r: &sqlx::sqlite::SqliteRow) -> Result<RestoreLocation> {
    let rel = RelPath::from_bytes(r.try_get("rel_path")?);
    let root: Option<Vec<u8>> = r.try_get("root")?;
    let config: String = r.try_get("config")?;
    let checksums: Option<String> = r.try_get("checksums")?;
    Ok(RestoreLocation {
        location: LocationId(r.try_get("id")?),
        asset: AssetId(r.try_get("asset_id")?),
        source: SourceId(r.try_get("source_id")?),
        source_kind: r.try_get("kind")?,
        source_uri: r.try_get("uri")?,
        config: serde_json::from_str(&config).unwrap_or(serde_json::Value::Null),
        online: r.try_get("online")?,
        path: root.map(|root| rel.to_path(&path_from_bytes(&root))),
        rel_path: rel,
        role: r.try_get("role")?,
        size: r.try_get::<i64, _>("size")? as u64,
        etag: r.try_get("etag")?,
        storage_class: r.try_get("storage_class")?,
        archive_state: r.try_get("archive_state")?,
        archive_status: r.try_get("archive_status")?,
        version_id: r.try_get("version_id")?,
        checksums: checksums.and_then(|c| serde_json::from_str(&c).ok()),
        present: r.try_get("present")?,
    })
}

fn restore_row(r: &sqlx::sqlite::SqliteRow) -> Result<RestoreRow> {
    let rel = RelPath::from_bytes(r.try_get("rel_path")?);
    let source_uri: String = r.try_get("uri")?;
    let kind: String = r.try_get("kind")?;
    let uri = if kind == "s3" {
        crate::s3_object_uri(&source_uri, &rel)
    } else {
        format!("{}/{}", source_uri.trim_end_matches('/'), rel.to_lossy())
    };
    Ok(RestoreRow {
        id: r.try_get("id")?,
        location: LocationId(r.try_get("location_id")?),
        asset: r.try_get::<Option<i64>, _>("asset_id")?.map(AssetId),
        uri,
        rel_path: rel,
        size: r.try_get::<i64, _>("size")? as u64,
        class: r.try_get("class")?,
        tier: r.try_get("tier")?,
        days: r.try_get::<Option<i64>, _>("days")?.map(|d| d as u32),
        requested_at: r.try_get("requested_at")?,
        state: r.try_get("state")?,
        expiry: r.try_get("expiry")?,
        last_checked: r.try_get("last_checked")?,
        next_check: r.try_get("next_check")?,
        checks: r.try_get("checks")?,
        error: r.try_get("error")?,
        notified_at: r.try_get("notified_at")?,
        batch_id: r.try_get("batch_id")?,
        job_id: r.try_get("job_id")?,
        remote_job: r.try_get("remote_job")?,
    })
}

impl Catalog {
    /// Every location of `assets`, with what a restore plan needs to know.
    pub async fn restore_locations(&self, assets: &[AssetId]) -> Result<Vec<RestoreLocation>> {
        let mut found = Vec::new();
        for chunk in assets.chunks(500) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(LOCATION_QUERY);
            q.push("l.asset_id IN (");
            let mut ids = q.separated(", ");
            for a in chunk {
                ids.push_bind(a.0);
            }
            q.push(") ORDER BY l.asset_id, l.id");
            for r in q.build().fetch_all(&self.pool).await? {
                found.push(restore_location(&r)?);
            }
        }
        Ok(found)
    }

    /// One location, with what a restore needs to know (`None` without an asset).
    pub async fn restore_location(&self, location: LocationId) -> Result<Option<RestoreLocation>> {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(LOCATION_QUERY);
        q.push("l.id = ");
        q.push_bind(location.0);
        q.push(" AND l.asset_id IS NOT NULL");
        let row = q.build().fetch_optional(&self.pool).await?;
        row.as_ref().map(restore_location).transpose()
    }

    /// Records the Glacier job of a vault archive's retrieval.
    pub async fn set_restore_remote_job(&self, restore: i64, remote_job: &str) -> Result<()> {
        sqlx::query("UPDATE restores SET remote_job = ?, updated_at = ? WHERE id = ?")
            .bind(remote_job)
            .bind(now_secs())
            .bind(restore)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The latest restore of each of `locations` that has one.
    pub async fn latest_restores(&self, locations: &[LocationId]) -> Result<Vec<RestoreRow>> {
        let mut found = Vec::new();
        for chunk in locations.chunks(500) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
                "SELECT {ROW_COLUMNS} FROM restores r JOIN locations l ON l.id = r.location_id \
                 JOIN sources s ON s.id = l.source_id WHERE r.id IN (SELECT max(id) FROM \
                 restores WHERE location_id IN ("
            ));
            let mut ids = q.separated(", ");
            for l in chunk {
                ids.push_bind(l.0);
            }
            q.push(") GROUP BY location_id)");
            for r in q.build().fetch_all(&self.pool).await? {
                found.push(restore_row(&r)?);
            }
        }
        Ok(found)
    }

    /// Every restore, newest first, up to `limit`.
    pub async fn restores(&self, limit: u32) -> Result<Vec<RestoreRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM restores r JOIN locations l ON l.id = r.location_id \
             JOIN sources s ON s.id = l.source_id ORDER BY r.id DESC LIMIT ?"
        )))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(restore_row).collect()
    }

    /// The restore a job carries.
    pub async fn restore_of_job(&self, job: i64) -> Result<Option<RestoreRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM restores r JOIN locations l ON l.id = r.location_id \
             JOIN sources s ON s.id = l.source_id WHERE r.job_id = ? ORDER BY r.id DESC LIMIT 1"
        )))
        .bind(job)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(restore_row).transpose()
    }

    /// Records `restores` as pending, each with a queued `restore_request` job, in one
    /// transaction and before anything is sent. An object with a restore pending or in progress
    /// gets no second one. Returns the batch id and the ids of the restores recorded.
    pub async fn begin_restores(&self, restores: &[NewRestore]) -> Result<(i64, Vec<i64>)> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let batch: i64 = sqlx::query_scalar("SELECT coalesce(max(batch_id), 0) + 1 FROM restores")
            .fetch_one(&mut *tx)
            .await?;
        let mut ids = Vec::new();
        for new in restores {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO restores (location_id, asset_id, class, tier, days, requested_at, \
                 state, batch_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?6) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(new.location.0)
            .bind(new.asset.0)
            .bind(&new.class)
            .bind(&new.tier)
            .bind(new.days.map(i64::from))
            .bind(now)
            .bind(batch)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { continue };
            // A poll job left from an earlier restore of this object has nothing left to do.
            sqlx::query(
                "UPDATE jobs SET state = 'cancelled', updated_at = ?1 WHERE location_id = ?2 \
                 AND kind IN (?3, ?4) AND state IN ('queued', 'paused', 'failed')",
            )
            .bind(now)
            .bind(new.location.0)
            .bind(RESTORE_REQUEST)
            .bind(RESTORE_POLL)
            .execute(&mut *tx)
            .await?;
            let job: i64 = sqlx::query_scalar(
                "INSERT INTO jobs (kind, state, priority, asset_id, location_id, created_at, \
                 updated_at) VALUES (?1, 'queued', 0, ?2, ?3, ?4, ?4) RETURNING id",
            )
            .bind(RESTORE_REQUEST)
            .bind(new.asset.0)
            .bind(new.location.0)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE restores SET job_id = ? WHERE id = ?")
                .bind(job)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok((batch, ids))
    }

    /// Records what S3 (or Glacier) said to a restore's request or check, and moves its job on:
    /// a restore still in progress gets a queued `restore_poll` job due at its `next_check`;
    /// any other state ends the job. `requested_at` is set when a request was sent.
    pub async fn update_restore(
        &self,
        restore: i64,
        job: i64,
        update: &RestoreUpdate,
        requested_at: Option<i64>,
    ) -> Result<()> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let location: i64 = sqlx::query_scalar(
            "UPDATE restores SET state = ?1, expiry = coalesce(?2, expiry), next_check = ?3, \
             error = ?4, requested_at = coalesce(?5, requested_at), \
             last_checked = CASE WHEN ?5 IS NULL THEN ?6 ELSE last_checked END, \
             checks = checks + CASE WHEN ?5 IS NULL THEN 1 ELSE 0 END, updated_at = ?6 \
             WHERE id = ?7 RETURNING location_id",
        )
        .bind(update.state)
        .bind(update.expiry)
        .bind(update.next_check)
        .bind(update.error.as_deref())
        .bind(requested_at)
        .bind(now)
        .bind(restore)
        .fetch_one(&mut *tx)
        .await?;
        // A poll job still waiting is queued again for the next check; any other job ends.
        let requeued: Option<i64> = if update.state == "in_progress" {
            sqlx::query_scalar(
                "UPDATE jobs SET state = 'queued', not_before = ?1, lease_until = NULL, \
                 error = NULL, updated_at = ?2 WHERE id = ?3 AND kind = ?4 RETURNING id",
            )
            .bind(update.next_check.unwrap_or(now))
            .bind(now)
            .bind(job)
            .bind(RESTORE_POLL)
            .fetch_optional(&mut *tx)
            .await?
        } else {
            None
        };
        if requeued.is_none() {
            let job_state = if update.state == "failed" {
                "failed"
            } else {
                "done"
            };
            sqlx::query(
                "UPDATE jobs SET state = ?1, error = ?2, lease_until = NULL, progress = 1, \
                 updated_at = ?3 WHERE id = ?4",
            )
            .bind(job_state)
            .bind(update.error.as_deref().filter(|_| update.state == "failed"))
            .bind(now)
            .bind(job)
            .execute(&mut *tx)
            .await?;
        }
        if update.state == "in_progress" && requeued.is_none() {
            let poll: Option<i64> = sqlx::query_scalar(
                "INSERT INTO jobs (kind, state, priority, asset_id, location_id, not_before, \
                 created_at, updated_at) SELECT ?1, 'queued', 0, asset_id, id, ?2, ?3, ?3 \
                 FROM locations WHERE id = ?4 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(RESTORE_POLL)
            .bind(update.next_check.unwrap_or(now))
            .bind(now)
            .bind(location)
            .fetch_optional(&mut *tx)
            .await?;
            sqlx::query("UPDATE restores SET job_id = coalesce(?, job_id) WHERE id = ?")
                .bind(poll)
                .bind(restore)
                .execute(&mut *tx)
                .await?;
        }
        let archive_state = match update.state {
            "in_progress" => Some("restoring"),
            "ready" => Some("ready"),
            "expired" => Some("archived"),
            _ => None,
        };
        if let Some(state) = archive_state {
            // Only locations Trove knows to be archived carry an archive state.
            sqlx::query(
                "UPDATE locations SET archive_state = ? WHERE id = ? AND archive_state IS NOT NULL \
                 AND archive_state IS NOT ?",
            )
            .bind(state)
            .bind(location)
            .bind(state)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A restore's request or check failed for now: its job runs again `retry_after_secs` from
    /// now; the error is kept on the restore and the job.
    pub async fn retry_restore(
        &self,
        restore: i64,
        job: i64,
        error: &str,
        retry_after_secs: i64,
    ) -> Result<()> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE restores SET error = ?, updated_at = ? WHERE id = ?")
            .bind(error)
            .bind(now)
            .bind(restore)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE jobs SET state = 'queued', not_before = ?, lease_until = NULL, error = ?, \
             updated_at = ? WHERE id = ?",
        )
        .bind(now + retry_after_secs)
        .bind(error)
        .bind(now)
        .bind(job)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes every queued restore check due now (`restore status --refresh`); returns how many.
    pub async fn restore_checks_due_now(&self) -> Result<u64> {
        let now = now_secs();
        let done = sqlx::query(
            "UPDATE jobs SET not_before = ?1, updated_at = ?1 WHERE kind = ?2 AND state = 'queued'",
        )
        .bind(now)
        .bind(RESTORE_POLL)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Marks ready restores whose temporary copy is gone as expired (and their objects archived
    /// again); returns how many.
    pub async fn expire_restores(&self, now: i64) -> Result<u64> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let expired: Vec<i64> = sqlx::query_scalar(
            "UPDATE restores SET state = 'expired', updated_at = ?1 \
             WHERE state = 'ready' AND expiry IS NOT NULL AND expiry <= ?1 RETURNING location_id",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for location in &expired {
            sqlx::query(
                "UPDATE locations SET archive_state = 'archived' WHERE id = ? \
                 AND archive_state = 'ready'",
            )
            .bind(location)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(expired.len() as u64)
    }

    /// Batches whose restores are all finished and that were not announced yet, marked as
    /// announced now: each is returned once.
    pub async fn take_ready_batches(&self) -> Result<Vec<ReadyBatch>> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(
            "SELECT batch_id, sum(state = 'ready') AS ready, sum(state <> 'ready') AS not_ready \
             FROM restores GROUP BY batch_id \
             HAVING sum(state IN ('pending', 'in_progress')) = 0 AND sum(state = 'ready') > 0 \
                AND sum(notified_at IS NULL) > 0 ORDER BY batch_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut batches = Vec::with_capacity(rows.len());
        for r in rows {
            let batch: i64 = r.try_get("batch_id")?;
            sqlx::query("UPDATE restores SET notified_at = ? WHERE batch_id = ?")
                .bind(now)
                .bind(batch)
                .execute(&mut *tx)
                .await?;
            batches.push(ReadyBatch {
                batch_id: batch,
                ready: r.try_get::<i64, _>("ready")? as u64,
                not_ready: r.try_get::<i64, _>("not_ready")? as u64,
            });
        }
        tx.commit().await?;
        Ok(batches)
    }
}
