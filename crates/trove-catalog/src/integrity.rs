//! `trove check`: the catalog's invariants, each checked by a query that names what breaks it.

use crate::{Catalog, Result};
use sqlx::Row;
use trove_core::{CheckProblem, CheckReport, RelPath};

/// Examples named per broken rule, so a damaged catalog does not print a million lines.
const EXAMPLES: usize = 20;

impl Catalog {
    /// Checks the catalog's integrity; `ok` is false if any rule is broken.
    pub async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let fail = |report: &mut CheckReport, check: &str, message: String| {
            report.problems.push(CheckProblem {
                check: check.to_owned(),
                message,
            })
        };

        report.checks.push("sqlite_integrity".into());
        let quick: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_all(&self.pool)
            .await?;
        if quick != ["ok"] {
            fail(&mut report, "sqlite_integrity", quick.join("; "));
        }

        report.checks.push("foreign_keys".into());
        for row in sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .take(EXAMPLES)
        {
            let table: String = row.try_get(0)?;
            let rowid: Option<i64> = row.try_get(1)?;
            let parent: String = row.try_get(2)?;
            fail(
                &mut report,
                "foreign_keys",
                format!("{table} row {rowid:?} points to a missing {parent} row"),
            );
        }

        report.checks.push("location_paths".into());
        let rows = sqlx::query("SELECT id, rel_path FROM locations")
            .fetch_all(&self.pool)
            .await?;
        for row in rows
            .iter()
            .filter(|r| {
                !r.try_get::<Vec<u8>, _>(1)
                    .map(|p| RelPath::from_bytes(p).is_well_formed())
                    .unwrap_or(false)
            })
            .take(EXAMPLES)
        {
            let id: i64 = row.try_get(0)?;
            fail(
                &mut report,
                "location_paths",
                format!("location {id} has a path that is not relative to its source"),
            );
        }

        report.checks.push("local_sources_have_roots".into());
        for id in sqlx::query_scalar::<_, i64>(
            "SELECT id FROM sources WHERE kind = 'local' AND (root IS NULL OR length(root) = 0)",
        )
        .fetch_all(&self.pool)
        .await?
        {
            fail(
                &mut report,
                "local_sources_have_roots",
                format!("local source {id} has no root"),
            );
        }

        report.checks.push("media_locations_have_assets".into());
        for id in sqlx::query_scalar::<_, i64>(
            "SELECT id FROM locations WHERE role = 'media' AND asset_id IS NULL LIMIT 20",
        )
        .fetch_all(&self.pool)
        .await?
        {
            fail(
                &mut report,
                "media_locations_have_assets",
                format!("media location {id} belongs to no asset"),
            );
        }

        report.checks.push("assets_have_locations".into());
        for id in sqlx::query_scalar::<_, i64>(
            "SELECT id FROM assets a WHERE NOT EXISTS \
             (SELECT 1 FROM locations l WHERE l.asset_id = a.id AND l.role = 'media') LIMIT 20",
        )
        .fetch_all(&self.pool)
        .await?
        {
            fail(
                &mut report,
                "assets_have_locations",
                format!("asset {id} has no media location"),
            );
        }

        report.checks.push("change_sequence".into());
        let row = sqlx::query(
            "SELECT (SELECT coalesce(max(seq), 0) FROM changes) AS max_seq, \
                    (SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'changes') AS issued, \
                    (SELECT count(*) FROM assets WHERE id NOT IN \
                        (SELECT entity_id FROM changes WHERE entity = 'asset')) AS assets_unlogged, \
                    (SELECT count(*) FROM locations WHERE id NOT IN \
                        (SELECT entity_id FROM changes WHERE entity = 'location')) AS locations_unlogged",
        )
        .fetch_one(&self.pool)
        .await?;
        let max_seq: i64 = row.try_get("max_seq")?;
        let issued: i64 = row.try_get("issued")?;
        if max_seq > issued {
            fail(
                &mut report,
                "change_sequence",
                format!("change {max_seq} is beyond the issued sequence {issued}"),
            );
        }
        for (entity, column) in [
            ("asset", "assets_unlogged"),
            ("location", "locations_unlogged"),
        ] {
            let n: i64 = row.try_get(column)?;
            if n > 0 {
                fail(
                    &mut report,
                    "change_sequence",
                    format!("{n} {entity} rows have no entry in the change sequence"),
                );
            }
        }

        report.ok = report.problems.is_empty();
        Ok(report)
    }
}
