//! Control of the job queue by people: pause and resume (the whole queue or some jobs), cancel,
//! retry, prioritise an asset's jobs; and the progress running jobs report.
//!
//! The queue's pause switch is the `jobs.paused` setting, seen by every process's runner before
//! it leases more work. Runners also re-read the state of the jobs they hold, so a job paused
//! or cancelled from another process stops there too.

use crate::{now_secs, Catalog, Result};
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};
use trove_core::AssetId;

/// The setting that pauses the whole queue.
const PAUSED: &str = "jobs.paused";

/// Which jobs a control command applies to.
#[derive(Debug, Clone, Copy)]
pub enum JobSelector<'a> {
    /// Every job (in a state the command applies to).
    All,
    /// These jobs.
    Ids(&'a [i64]),
}

/// What a running job last reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ProgressDetail {
    /// Frames per second (media work).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// Estimated seconds left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_secs: Option<f64>,
}

fn with_selector(q: &mut QueryBuilder<Sqlite>, selector: JobSelector<'_>) {
    if let JobSelector::Ids(ids) = selector {
        q.push(" AND id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        // An empty list selects nothing.
        if ids.is_empty() {
            list.push("NULL");
        }
        q.push(")");
    }
}

impl Catalog {
    /// A library setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Sets (or with `None` removes) a library setting.
    pub async fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(value) => {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES (?, ?) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE key = ?")
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Whether the whole queue is paused.
    pub async fn queue_paused(&self) -> Result<bool> {
        Ok(self.setting(PAUSED).await?.is_some_and(|v| v == "true"))
    }

    /// Pauses the whole queue (`All`: no runner leases more work; running jobs stop and wait) or
    /// some jobs; returns how many jobs were paused.
    pub async fn pause_jobs(&self, selector: JobSelector<'_>) -> Result<u64> {
        if matches!(selector, JobSelector::All) {
            self.set_setting(PAUSED, Some("true")).await?;
        }
        let mut q = QueryBuilder::new("UPDATE jobs SET state = 'paused', updated_at = ");
        q.push_bind(now_secs());
        q.push(" WHERE state IN ('queued', 'running')");
        with_selector(&mut q, selector);
        Ok(q.build().execute(&self.pool).await?.rows_affected())
    }

    /// Resumes the queue (`All`) or some paused jobs; returns how many jobs were requeued.
    pub async fn resume_jobs(&self, selector: JobSelector<'_>) -> Result<u64> {
        if matches!(selector, JobSelector::All) {
            self.set_setting(PAUSED, None).await?;
        }
        let mut q = QueryBuilder::new(
            "UPDATE jobs SET state = 'queued', lease_until = NULL, lease_owner = NULL, \
             updated_at = ",
        );
        q.push_bind(now_secs());
        q.push(" WHERE state = 'paused'");
        with_selector(&mut q, selector);
        Ok(q.build().execute(&self.pool).await?.rows_affected())
    }

    /// Cancels jobs that have not finished; returns how many.
    pub async fn cancel_jobs(&self, selector: JobSelector<'_>) -> Result<u64> {
        let mut q = QueryBuilder::new(
            "UPDATE jobs SET state = 'cancelled', lease_until = NULL, updated_at = ",
        );
        q.push_bind(now_secs());
        q.push(" WHERE state IN ('queued', 'running', 'paused')");
        with_selector(&mut q, selector);
        Ok(q.build().execute(&self.pool).await?.rows_affected())
    }

    /// Queues failed (and cancelled) jobs again with a fresh count of attempts; returns how
    /// many. A cancelled job is not retried when a newer one for its location is pending.
    pub async fn retry_jobs(&self, selector: JobSelector<'_>) -> Result<u64> {
        let mut q = QueryBuilder::new(
            "UPDATE OR IGNORE jobs SET state = 'queued', attempts = 0, not_before = NULL, \
             error = NULL, progress = 0, progress_detail = NULL, updated_at = ",
        );
        q.push_bind(now_secs());
        q.push(" WHERE state IN ('failed', 'cancelled')");
        with_selector(&mut q, selector);
        Ok(q.build().execute(&self.pool).await?.rows_affected())
    }

    /// Moves an asset's pending jobs ahead of the others (what the user is looking at);
    /// returns how many.
    pub async fn prioritize_asset(&self, asset: AssetId, priority: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE jobs SET priority = ?, updated_at = ? \
             WHERE asset_id = ? AND state IN ('queued', 'paused')",
        )
        .bind(priority)
        .bind(now_secs())
        .bind(asset.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records a running job's progress (`fraction` 0..=1).
    pub async fn set_progress(
        &self,
        job: i64,
        fraction: f64,
        detail: &ProgressDetail,
    ) -> Result<()> {
        let detail = serde_json::to_string(detail).ok();
        sqlx::query(
            "UPDATE jobs SET progress = ?, progress_detail = ? WHERE id = ? AND state = 'running'",
        )
        .bind(fraction.clamp(0.0, 1.0))
        .bind(detail)
        .bind(job)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Of `jobs`, those no longer running (paused or cancelled by someone): their workers stop.
    pub async fn stopped_jobs(&self, jobs: &[i64]) -> Result<Vec<i64>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new("SELECT id FROM jobs WHERE state IN ('paused', 'cancelled')");
        with_selector(&mut q, JobSelector::Ids(jobs));
        Ok(q.build_query_scalar().fetch_all(&self.pool).await?)
    }
}
