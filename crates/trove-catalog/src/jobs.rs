//! The job queue and metadata claims: persisted long work and what it found.
//!
//! Jobs are rows; a worker leases a batch (`state = 'running'`, `lease_until`), and a lease that
//! runs out (its worker was killed) makes the job runnable again, so work interrupted by a crash
//! resumes on the next start. Extraction work is derived from the catalog itself: a media location
//! whose file facts differ from what was last probed gets a `probe` job, so nothing is lost if a
//! scan is killed before its jobs are queued.

use crate::{now_secs, Catalog, Result};
use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::path::PathBuf;
use trove_core::{path_from_bytes, AssetId, ClaimView, LocationId, RelPath};

/// The job kind that extracts technical and embedded metadata from a media file.
pub const PROBE: &str = "probe";
/// The job kind that makes a media file's previews (posters, filmstrip, proxy, waveform).
pub const PREVIEW: &str = "preview";

/// A leased job with what its worker needs to know about the location.
#[derive(Debug, Clone)]
pub struct JobTask {
    /// Job id.
    pub id: i64,
    /// What the job does ([`PROBE`], [`PREVIEW`]).
    pub kind: String,
    /// The asset concerned.
    pub asset_id: AssetId,
    /// The location to read.
    pub location_id: LocationId,
    /// Its absolute path (local sources).
    pub path: PathBuf,
    /// `size:mtime_ns` of the file when the job was leased.
    pub fingerprint: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// Media file or XMP sidecar.
    pub role: crate::Role,
    /// The location's media type (`video`, `audio`, `image`, `sidecar`, …).
    pub media_type: String,
}

/// One value a source stated, to be stored.
#[derive(Debug, Clone)]
pub struct NewClaim {
    /// Schema field key.
    pub field: String,
    /// The value (JSON).
    pub value: serde_json::Value,
    /// Claim source name (see trove-core's `ClaimSource`).
    pub source: String,
    /// Where in the source, e.g. `format.tags.title`.
    pub source_key: Option<String>,
}

/// Counts of the queue, for `trove jobs`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobStats {
    /// Waiting to run.
    pub queued: u64,
    /// Held by a person (`trove jobs pause`) until resumed.
    pub paused: u64,
    /// Whether the whole queue is paused.
    pub queue_paused: bool,
    /// Leased by a worker.
    pub running: u64,
    /// Finished.
    pub done: u64,
    /// Given up, with an error kept on the job.
    pub failed: u64,
}

/// A job as listed.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// Job id.
    pub id: i64,
    /// Kind, e.g. `probe`.
    pub kind: String,
    /// queued, running, done, failed…
    pub state: String,
    /// The asset concerned.
    pub asset_id: Option<AssetId>,
    /// Attempts so far.
    pub attempts: i64,
    /// The last error.
    pub error: Option<String>,
    /// Order in the queue: higher runs first.
    pub priority: i64,
    /// Fraction done (0..=1) as last reported.
    pub progress: f64,
    /// Frames per second and time left, as last reported by a running job.
    pub detail: Option<crate::ProgressDetail>,
}

impl Catalog {
    /// Queues a probe for every present local media location (and linked XMP sidecar) not read as
    /// it is now; returns how many were queued.
    pub async fn enqueue_probes(&self) -> Result<u64> {
        let now = now_secs();
        let done = sqlx::query(
            "INSERT INTO jobs (kind, state, priority, asset_id, location_id, created_at, updated_at) \
             SELECT 'probe', 'queued', 0, l.asset_id, l.id, ?1, ?1 \
             FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.state = 'present' AND l.asset_id IS NOT NULL \
               AND s.kind = 'local' AND s.online = 1 \
               AND ((l.role = 'media' AND l.media_type IN ('video', 'audio', 'image')) \
                    OR l.role = 'sidecar') \
               AND l.probed IS NOT (l.size || ':' || coalesce(l.mtime_ns, '')) \
             ORDER BY l.id ON CONFLICT DO NOTHING",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Queues previews for every present local media file (video, audio, picture) whose
    /// previews were not made from it as it is now; returns how many were queued.
    pub async fn enqueue_previews(&self) -> Result<u64> {
        let now = now_secs();
        let done = sqlx::query(
            "INSERT INTO jobs (kind, state, priority, asset_id, location_id, created_at, updated_at) \
             SELECT 'preview', 'queued', 0, l.asset_id, l.id, ?1, ?1 \
             FROM locations l JOIN sources s ON s.id = l.source_id \
             WHERE l.state = 'present' AND l.asset_id IS NOT NULL \
               AND s.kind = 'local' AND s.online = 1 \
               AND l.role = 'media' AND l.media_type IN ('video', 'audio', 'image') \
               AND l.previewed IS NOT (l.size || ':' || coalesce(l.mtime_ns, '')) \
             ORDER BY l.id ON CONFLICT DO NOTHING",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records the previews made for a location (the cache entry `key`) and marks the job done.
    pub async fn complete_preview(&self, task: &JobTask, key: &str) -> Result<()> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE locations SET preview_key = ?, previewed = ? WHERE id = ?")
            .bind(key)
            .bind(&task.fingerprint)
            .bind(task.location_id.0)
            .execute(&mut *tx)
            .await?;
        mark_done(&mut tx, task, PREVIEW, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The preview cache entry of each media location of an asset that has one.
    pub async fn preview_keys(&self, asset: AssetId) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT preview_key FROM locations WHERE asset_id = ? AND preview_key IS NOT NULL \
             ORDER BY state = 'present' DESC, id",
        )
        .bind(asset.0)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Leases up to `limit` runnable jobs of `kind` for `lease_secs` to `owner` ("host:pid").
    pub async fn lease_jobs(
        &self,
        kind: &str,
        limit: u32,
        lease_secs: i64,
        owner: &str,
    ) -> Result<Vec<JobTask>> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(
            "UPDATE jobs SET state = 'running', lease_until = ?1 + ?2, attempts = attempts + 1, \
                 updated_at = ?1, lease_owner = ?5 \
             WHERE id IN (SELECT id FROM jobs WHERE kind = ?3 AND \
                 ((state = 'queued' AND coalesce(not_before, 0) <= ?1) \
                  OR (state = 'running' AND lease_until < ?1)) \
                 ORDER BY priority DESC, id LIMIT ?4) \
             RETURNING id, kind, asset_id, location_id, attempts",
        )
        .bind(now)
        .bind(lease_secs)
        .bind(kind)
        .bind(i64::from(limit))
        .bind(owner)
        .fetch_all(&mut *tx)
        .await?;
        let mut tasks = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let location: Option<i64> = row.try_get("location_id")?;
            let asset: Option<i64> = row.try_get("asset_id")?;
            let place = match location {
                Some(l) => {
                    sqlx::query(
                        "SELECT l.rel_path, l.size, l.mtime_ns, l.role, l.media_type, s.root \
                     FROM locations l \
                     JOIN sources s ON s.id = l.source_id WHERE l.id = ?",
                    )
                    .bind(l)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                None => None,
            };
            match (place, location, asset) {
                (Some(place), Some(location), Some(asset)) => {
                    let root: Option<Vec<u8>> = place.try_get("root")?;
                    let rel = RelPath::from_bytes(place.try_get("rel_path")?);
                    let size: i64 = place.try_get("size")?;
                    let mtime: Option<i64> = place.try_get("mtime_ns")?;
                    tasks.push(JobTask {
                        id,
                        kind: row.try_get("kind")?,
                        asset_id: AssetId(asset),
                        location_id: LocationId(location),
                        path: rel.to_path(&path_from_bytes(&root.unwrap_or_default())),
                        fingerprint: fingerprint(size, mtime),
                        attempts: row.try_get("attempts")?,
                        role: if place.try_get::<String, _>("role")? == "sidecar" {
                            crate::Role::Sidecar
                        } else {
                            crate::Role::Media
                        },
                        media_type: place.try_get("media_type")?,
                    });
                }
                _ => {
                    // Its location or asset is gone: nothing left to do.
                    sqlx::query("UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE id = ?")
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(tasks)
    }

    /// Stores what a probe found for a location, replacing that location's earlier claims from
    /// the same sources, and marks the job done.
    ///
    /// `problem` is kept on the job (and shown on the asset) when a secondary reader failed on a
    /// file that was otherwise readable, e.g. broken EXIF in a picture ffprobe could open.
    pub async fn complete_probe(
        &self,
        task: &JobTask,
        replaces_sources: &[&str],
        claims: &[NewClaim],
        media_type: Option<&str>,
        problem: Option<&str>,
    ) -> Result<()> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("DELETE FROM claims WHERE location_id = ");
        q.push_bind(task.location_id.0);
        q.push(" AND source IN (");
        let mut list = q.separated(", ");
        for s in replaces_sources {
            list.push_bind(*s);
        }
        q.push(")");
        q.build().execute(&mut *tx).await?;
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
        sqlx::query("UPDATE locations SET probed = ? WHERE id = ?")
            .bind(&task.fingerprint)
            .bind(task.location_id.0)
            .execute(&mut *tx)
            .await?;
        // The asset's metadata changed: an asset update is what followers (search) watch for.
        sqlx::query(
            "UPDATE assets SET updated_at = ?, media_type = coalesce(?, media_type) WHERE id = ?",
        )
        .bind(now)
        .bind(media_type)
        .bind(task.asset_id.0)
        .execute(&mut *tx)
        .await?;
        // Earlier failures and warnings on this file no longer stand.
        sqlx::query(
            "UPDATE jobs SET state = CASE state WHEN 'failed' THEN 'cancelled' ELSE state END, \
             error = NULL, updated_at = ?1 \
             WHERE location_id = ?2 AND kind = ?3 AND state IN ('failed', 'done') AND id <> ?4",
        )
        .bind(now)
        .bind(task.location_id.0)
        .bind(PROBE)
        .bind(task.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE jobs SET state = 'done', error = ?, lease_until = NULL, progress = 1, \
             updated_at = ? WHERE id = ?",
        )
        .bind(problem)
        .bind(now)
        .bind(task.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt: runnable again `retry_after_secs` from now, or failed for good
    /// (then the file as it is now counts as probed, or previewed, so it is not retried until it
    /// changes).
    pub async fn fail_job(
        &self,
        task: &JobTask,
        error: &str,
        retry_after_secs: Option<i64>,
    ) -> Result<()> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        match retry_after_secs.map(|delay| now + delay) {
            Some(at) => {
                sqlx::query(
                    "UPDATE jobs SET state = 'queued', not_before = ?, lease_until = NULL, \
                     error = ?, updated_at = ? WHERE id = ?",
                )
                .bind(at)
                .bind(error)
                .bind(now)
                .bind(task.id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE jobs SET state = 'failed', lease_until = NULL, error = ?, \
                     updated_at = ? WHERE id = ?",
                )
                .bind(error)
                .bind(now)
                .bind(task.id)
                .execute(&mut *tx)
                .await?;
                let done_with = match task.kind.as_str() {
                    PREVIEW => "UPDATE locations SET previewed = ? WHERE id = ?",
                    crate::S3_HEAD => "UPDATE locations SET s3_headed = ? WHERE id = ?",
                    _ => "UPDATE locations SET probed = ? WHERE id = ?",
                };
                sqlx::query(done_with)
                    .bind(&task.fingerprint)
                    .bind(task.location_id.0)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The owners ("host:pid") holding leases on running jobs.
    pub async fn lease_owners(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT lease_owner FROM jobs WHERE state = 'running' AND lease_owner IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Puts the running jobs of a dead `owner` back in the queue; returns how many.
    pub async fn release_leases(&self, owner: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', lease_until = NULL, lease_owner = NULL, \
             updated_at = ? WHERE state = 'running' AND lease_owner = ?",
        )
        .bind(now_secs())
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Queue counts.
    pub async fn job_stats(&self) -> Result<JobStats> {
        let mut stats = JobStats::default();
        for row in sqlx::query("SELECT state, count(*) AS n FROM jobs GROUP BY state")
            .fetch_all(&self.pool)
            .await?
        {
            let n = row.try_get::<i64, _>("n")? as u64;
            match row.try_get::<String, _>("state")?.as_str() {
                "queued" => stats.queued += n,
                "paused" => stats.paused += n,
                "running" => stats.running += n,
                "done" => stats.done += n,
                "failed" => stats.failed += n,
                _ => {}
            }
        }
        stats.queue_paused = self.queue_paused().await?;
        Ok(stats)
    }

    /// Jobs that are not done, then the most recent done ones, up to `limit`.
    pub async fn jobs(&self, limit: u32) -> Result<Vec<JobView>> {
        let rows = sqlx::query(
            "SELECT id, kind, state, asset_id, attempts, error, priority, progress, progress_detail \
             FROM jobs ORDER BY state = 'done', state <> 'running', priority DESC, id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_view).collect()
    }

    /// Every claim about an asset.
    pub async fn claims(&self, asset: AssetId) -> Result<Vec<ClaimView>> {
        let rows = sqlx::query(
            "SELECT field, value, source, source_key, location_id, observed_at FROM claims \
             WHERE asset_id = ? ORDER BY field, id",
        )
        .bind(asset.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let value: String = r.try_get("value")?;
                Ok(ClaimView {
                    field: r.try_get("field")?,
                    value: serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value)),
                    source: r.try_get("source")?,
                    source_key: r.try_get("source_key")?,
                    location_id: r.try_get::<Option<i64>, _>("location_id")?.map(LocationId),
                    observed_at: r.try_get("observed_at")?,
                })
            })
            .collect()
    }

    /// The errors of an asset's failed jobs, newest first.
    pub async fn asset_errors(&self, asset: AssetId) -> Result<Vec<JobView>> {
        let rows = sqlx::query(
            "SELECT id, kind, state, asset_id, attempts, error, priority, progress, progress_detail \
             FROM jobs WHERE asset_id = ? AND error IS NOT NULL AND state IN ('failed', 'queued', 'done') \
             ORDER BY id DESC",
        )
        .bind(asset.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_view).collect()
    }
}

fn job_view(r: &sqlx::sqlite::SqliteRow) -> Result<JobView> {
    Ok(JobView {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        state: r.try_get("state")?,
        asset_id: r.try_get::<Option<i64>, _>("asset_id")?.map(AssetId),
        attempts: r.try_get("attempts")?,
        error: r.try_get("error")?,
        priority: r.try_get("priority")?,
        progress: r.try_get("progress")?,
        detail: r
            .try_get::<Option<String>, _>("progress_detail")?
            .and_then(|d| serde_json::from_str(&d).ok()),
    })
}

/// The identity of a file's content as far as a stat can tell.
fn fingerprint(size: i64, mtime_ns: Option<i64>) -> String {
    format!(
        "{size}:{}",
        mtime_ns.map(|m| m.to_string()).unwrap_or_default()
    )
}

/// Marks `task` (of `kind`) done inside `tx`; earlier failed jobs of that kind on the same
/// location are cancelled: they no longer stand.
pub(crate) async fn mark_done(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    task: &JobTask,
    kind: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET state = 'cancelled', updated_at = ?1 \
         WHERE location_id = ?2 AND kind = ?3 AND state = 'failed'",
    )
    .bind(now)
    .bind(task.location_id.0)
    .bind(kind)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE jobs SET state = 'done', error = NULL, lease_until = NULL, progress = 1, \
         updated_at = ? WHERE id = ?",
    )
    .bind(now)
    .bind(task.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
