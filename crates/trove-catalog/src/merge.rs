//! Content identity in the data model: media locations with the same bytes belong to one asset.
//!
//! Hashing finds the copies; [`Catalog::merge_identical`] attaches them to the oldest of their
//! assets, one journalled edit batch per call. The survivor gets every claim (each keeps its
//! location and source), the union of list values the users gave, a non-empty value over an
//! empty one, and — where two people said different things — its own value, with the other
//! recorded as a conflict for the editor. Everything that pointed at the merged asset (the edits
//! journal, collections, jobs, earlier conflicts) points at the survivor. `trove undo` splits a
//! merge back exactly from the snapshot kept in `asset_merges`, and the asset then stays apart
//! from that content. Copies whose bytes change later leave the asset by themselves (the
//! triggers of migration 0011).

use crate::edits::set_user_claim;
use crate::{now_secs, Catalog, Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::{HashMap, HashSet};
use trove_core::{AssetId, LocationId};

/// Media locations found to hold one content.
#[derive(Debug, Clone)]
pub struct IdenticalCopies {
    /// The content's hash (hex BLAKE3 today; any scheme that names bytes exactly will do, such
    /// as an S3 object's SHA-256, as long as all copies of a group use the same one).
    pub content_hash: String,
    /// The locations.
    pub locations: Vec<LocationId>,
}

/// One asset merged into another.
#[derive(Debug, Clone, Serialize)]
pub struct MergeDone {
    /// The asset that stays.
    pub survivor: AssetId,
    /// The asset merged into it (gone until undone).
    pub merged: AssetId,
    /// The content they share.
    pub content_hash: String,
    /// User values that disagreed.
    pub conflicts: u64,
}

/// What [`Catalog::merge_identical`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MergeOutcome {
    /// The edit batch `trove undo` reverts (none when nothing was merged).
    pub batch: Option<i64>,
    /// The merges.
    pub merges: Vec<MergeDone>,
}

/// A conflict between user values met by a merge, as stored.
#[derive(Debug, Clone)]
pub struct MergeConflictRow {
    /// The field.
    pub field: String,
    /// The value the asset kept.
    pub kept: Value,
    /// The other value.
    pub other: Value,
    /// The asset that had the other value (merged away).
    pub other_asset: AssetId,
    /// That asset's media locations (now the survivor's).
    pub other_locations: Vec<LocationId>,
    /// The merge's edit batch.
    pub batch: i64,
}

/// What undo needs to bring a merged asset back.
#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    title: String,
    media_type: String,
    created_at: i64,
    updated_at: i64,
    locations: Vec<i64>,
    /// Claims without a location that are not the user's, re-pointed by id.
    other_claims: Vec<i64>,
    /// The merged asset's user values: (field, JSON value, observed_at).
    user: Vec<(String, String, i64)>,
    /// (collection, added_at, whether the survivor was added by the merge).
    collections: Vec<(i64, i64, bool)>,
    edits: Vec<i64>,
    jobs: Vec<i64>,
    conflicts: Vec<i64>,
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// How one user value of the merged asset combines with the survivor's: the survivor's new
/// value (if it changes) and whether the two conflict.
fn combine(survivor: Option<&Value>, merged: &Value) -> (Option<Value>, bool) {
    match survivor {
        None => (Some(merged.clone()), false),
        Some(kept) if kept == merged || is_empty(merged) => (None, false),
        Some(kept) if is_empty(kept) => (Some(merged.clone()), false),
        Some(Value::Array(kept)) => match merged {
            Value::Array(more) => {
                let mut union = kept.clone();
                for item in more {
                    if !union.contains(item) {
                        union.push(item.clone());
                    }
                }
                ((union != *kept).then_some(Value::Array(union)), false)
            }
            _ => (None, true),
        },
        Some(_) => (None, true),
    }
}

fn decode(what: &'static str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::Decode {
        what,
        message: format!("{text}: {e}"),
    })
}

/// A column holding JSON (from `json_group_array`), decoded.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &sqlx::sqlite::SqliteRow,
    column: &str,
) -> Result<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| Error::Decode {
        what: "merged asset",
        message: format!("{column}: {e}"),
    })
}

fn ids_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

impl Catalog {
    /// Attaches each group's media locations to one asset (the oldest of theirs), as one edit
    /// batch. Locations whose stored content hash is not the group's, sidecars, and assets an
    /// undone merge split off this content are left as they are.
    ///
    /// Merges run by the thousand after a first hashing, so the common case is set-based: one
    /// statement finds every group's assets, and merged assets with nothing of their own to
    /// combine (no user values, no collections) move in a handful of statements for all of
    /// them. The others — user values to unite, collections, or an asset met in two groups —
    /// are merged one by one.
    pub async fn merge_identical(
        &self,
        author: &str,
        command: &str,
        groups: &[IdenticalCopies],
    ) -> Result<MergeOutcome> {
        let now = now_secs();
        let mut out = MergeOutcome::default();
        let groups: Vec<&IdenticalCopies> =
            groups.iter().filter(|g| g.locations.len() >= 2).collect();
        if groups.is_empty() {
            return Ok(out);
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let plan = group_assets(&mut tx, &groups).await?;

        // An asset met in two groups (its copies hold two contents) makes the outcome depend on
        // the order of the merges: those groups go one by one, after the others.
        let mut met: HashMap<i64, u32> = HashMap::new();
        for assets in plan.values() {
            for &a in assets {
                *met.entry(a).or_default() += 1;
            }
        }
        let (mut simple, mut ordered) = (Vec::new(), Vec::new());
        for g in 0..groups.len() {
            match plan.get(&g) {
                Some(assets) if assets.iter().any(|a| met[a] > 1) => ordered.push(g),
                Some(assets) if assets.len() >= 2 => simple.push((g, assets)),
                _ => {}
            }
        }
        let merged: Vec<i64> = simple
            .iter()
            .flat_map(|(_, assets)| assets[1..].iter().copied())
            .collect();
        let own = with_values_of_their_own(&mut tx, &merged).await?;

        let mut bulk: Vec<(i64, i64, &str)> = Vec::new();
        let mut one_by_one: Vec<(i64, i64, &str)> = Vec::new();
        for (g, assets) in &simple {
            let hash = groups[*g].content_hash.as_str();
            for &m in &assets[1..] {
                if own.contains(&m) {
                    one_by_one.push((assets[0], m, hash));
                } else {
                    bulk.push((assets[0], m, hash));
                }
            }
        }
        if !bulk.is_empty() {
            let batch = out.batch(&mut tx, author, command, now).await?;
            merge_plain(&mut tx, batch, &bulk, now).await?;
            out.merges
                .extend(bulk.iter().map(|&(survivor, merged, hash)| MergeDone {
                    survivor: AssetId(survivor),
                    merged: AssetId(merged),
                    content_hash: hash.to_owned(),
                    conflicts: 0,
                }));
        }
        for (survivor, merged, hash) in one_by_one {
            out.merge(&mut tx, author, command, now, survivor, merged, hash)
                .await?;
        }
        for g in ordered {
            let group = groups[g];
            let ids: Vec<i64> = group.locations.iter().map(|l| l.0).collect();
            // Asked again: the merges before may have moved these copies.
            let assets: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT DISTINCT a.id FROM locations l JOIN assets a ON a.id = l.asset_id \
                 WHERE l.id IN ({}) AND l.role = 'media' AND l.content_hash = ? \
                 AND NOT EXISTS (SELECT 1 FROM asset_merges m WHERE m.merged_id = a.id \
                     AND m.content_hash = ? AND m.undone_at IS NOT NULL) \
                 ORDER BY a.created_at, a.id",
                ids_list(&ids)
            )))
            .bind(&group.content_hash)
            .bind(&group.content_hash)
            .fetch_all(&mut *tx)
            .await?;
            if let Some((&survivor, others)) = assets.split_first() {
                for &merged in others {
                    out.merge(
                        &mut tx,
                        author,
                        command,
                        now,
                        survivor,
                        merged,
                        &group.content_hash,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The conflicts between user values that merges into `asset` met and that still stand
    /// (the merge is not undone and the field was not edited since).
    pub async fn merge_conflicts(&self, asset: AssetId) -> Result<Vec<MergeConflictRow>> {
        let mut all = self.merge_conflicts_of(&[asset]).await?;
        Ok(all.remove(&asset).unwrap_or_default())
    }

    /// [`Catalog::merge_conflicts`] of many assets at once, by asset (assets without any are
    /// left out).
    pub async fn merge_conflicts_of(
        &self,
        assets: &[AssetId],
    ) -> Result<HashMap<AssetId, Vec<MergeConflictRow>>> {
        let mut out: HashMap<AssetId, Vec<MergeConflictRow>> = HashMap::new();
        for chunk in assets.chunks(2000) {
            let ids: Vec<i64> = chunk.iter().map(|a| a.0).collect();
            // Ids are numbers, so they can be written into the statement.
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT c.asset_id, c.field, c.kept, c.other, c.other_asset, c.other_locations, \
                 m.batch_id \
                 FROM merge_conflicts c JOIN asset_merges m ON m.id = c.merge_id \
                 WHERE c.asset_id IN ({}) AND m.undone_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM edits e JOIN edit_batches b ON b.id = e.batch_id \
                     WHERE e.asset_id = c.asset_id AND e.field = c.field \
                     AND e.batch_id > m.batch_id AND b.undone_at IS NULL) \
                 ORDER BY c.id",
                ids_list(&ids)
            )))
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                let locations: Vec<i64> = serde_json::from_str(
                    &r.try_get::<String, _>("other_locations")?,
                )
                .map_err(|e| Error::Decode {
                    what: "merge conflict locations",
                    message: e.to_string(),
                })?;
                out.entry(AssetId(r.try_get("asset_id")?))
                    .or_default()
                    .push(MergeConflictRow {
                        field: r.try_get("field")?,
                        kept: decode("merge conflict value", &r.try_get::<String, _>("kept")?)?,
                        other: decode("merge conflict value", &r.try_get::<String, _>("other")?)?,
                        other_asset: AssetId(r.try_get("other_asset")?),
                        other_locations: locations.into_iter().map(LocationId).collect(),
                        batch: r.try_get("batch_id")?,
                    });
            }
        }
        Ok(out)
    }
}

impl MergeOutcome {
    /// The edit batch of these merges, created at the first.
    async fn batch(
        &mut self,
        tx: &mut SqliteConnection,
        author: &str,
        command: &str,
        now: i64,
    ) -> Result<i64> {
        if let Some(b) = self.batch {
            return Ok(b);
        }
        let b = crate::edits::new_batch(tx, author, command, now).await?;
        self.batch = Some(b);
        Ok(b)
    }

    /// Merges one asset into another, with everything of its own combined ([`merge_one`]).
    #[allow(clippy::too_many_arguments)]
    async fn merge(
        &mut self,
        tx: &mut SqliteConnection,
        author: &str,
        command: &str,
        now: i64,
        survivor: i64,
        merged: i64,
        content_hash: &str,
    ) -> Result<()> {
        let batch = self.batch(tx, author, command, now).await?;
        let conflicts = merge_one(
            tx,
            batch,
            AssetId(survivor),
            AssetId(merged),
            content_hash,
            now,
        )
        .await?;
        self.merges.push(MergeDone {
            survivor: AssetId(survivor),
            merged: AssetId(merged),
            content_hash: content_hash.to_owned(),
            conflicts,
        });
        Ok(())
    }
}

/// An empty temporary table `name` (made with `columns` if it does not exist on this connection).
async fn empty_temp_table(tx: &mut SqliteConnection, name: &str, columns: &str) -> Result<()> {
    // Names and columns are constants of this module.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})"
    )))
    .execute(&mut *tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM temp.{name}")))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The assets of each group's media copies that hold its content (by group index, oldest
/// first), leaving out assets an undone merge split off that content. One statement for all
/// groups, through a temporary table of their locations.
async fn group_assets(
    tx: &mut SqliteConnection,
    groups: &[&IdenticalCopies],
) -> Result<HashMap<usize, Vec<i64>>> {
    empty_temp_table(
        tx,
        "merge_input",
        "grp INTEGER NOT NULL, location_id INTEGER NOT NULL, content_hash TEXT NOT NULL",
    )
    .await?;
    let rows: Vec<(usize, i64, &str)> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, group)| {
            group
                .locations
                .iter()
                .map(move |l| (g, l.0, group.content_hash.as_str()))
        })
        .collect();
    for chunk in rows.chunks(2000) {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO temp.merge_input (grp, location_id, content_hash) ");
        q.push_values(chunk, |mut b, &(g, location, hash)| {
            b.push_bind(g as i64).push_bind(location).push_bind(hash);
        });
        q.build().execute(&mut *tx).await?;
    }
    let found: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT DISTINCT i.grp, a.id, a.created_at FROM temp.merge_input i \
         JOIN locations l ON l.id = i.location_id JOIN assets a ON a.id = l.asset_id \
         WHERE l.role = 'media' AND l.content_hash = i.content_hash \
         AND NOT EXISTS (SELECT 1 FROM asset_merges m WHERE m.merged_id = a.id \
             AND m.content_hash = i.content_hash AND m.undone_at IS NOT NULL) \
         ORDER BY i.grp, a.created_at, a.id",
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(g, a, _): (i64, i64, i64)| (g, a))
    .collect();
    sqlx::query("DELETE FROM temp.merge_input")
        .execute(&mut *tx)
        .await?;
    let mut out: HashMap<usize, Vec<i64>> = HashMap::new();
    for (g, asset) in found {
        out.entry(g as usize).or_default().push(asset);
    }
    Ok(out)
}

/// Which of `assets` have values of their own that a merge must combine: user values not tied
/// to a location, or collection memberships.
async fn with_values_of_their_own(
    tx: &mut SqliteConnection,
    assets: &[i64],
) -> Result<HashSet<i64>> {
    let mut out = HashSet::new();
    for chunk in assets.chunks(2000) {
        let ids = ids_list(chunk);
        // Ids are numbers, so they can be written into the statement.
        let found: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT asset_id FROM claims WHERE asset_id IN ({ids}) AND location_id IS NULL \
             AND source = 'user' \
             UNION SELECT asset_id FROM collection_assets WHERE asset_id IN ({ids})"
        )))
        .fetch_all(&mut *tx)
        .await?;
        out.extend(found);
    }
    Ok(out)
}

/// Merges each `(survivor, merged, content hash)` of `pairs` — merged assets with no user values
/// and no collections, each in one pair only — in a few statements for all of them: the same
/// outcome and the same undo snapshot as [`merge_one`].
async fn merge_plain(
    tx: &mut SqliteConnection,
    batch: i64,
    pairs: &[(i64, i64, &str)],
    now: i64,
) -> Result<()> {
    empty_temp_table(
        tx,
        "merge_plan",
        "merged INTEGER PRIMARY KEY, survivor INTEGER NOT NULL, content_hash TEXT NOT NULL",
    )
    .await?;
    for chunk in pairs.chunks(2000) {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO temp.merge_plan (survivor, merged, content_hash) ");
        q.push_values(chunk, |mut b, &(survivor, merged, hash)| {
            b.push_bind(survivor).push_bind(merged).push_bind(hash);
        });
        q.build().execute(&mut *tx).await?;
    }
    // The snapshots first, while the merged assets still hold what they had. `json()` keeps
    // each list a list inside the object.
    sqlx::query(
        "INSERT INTO asset_merges (batch_id, survivor_id, merged_id, content_hash, snapshot, \
         merged_at) \
         SELECT ?1, p.survivor, p.merged, p.content_hash, json_object( \
           'title', a.title, 'media_type', a.media_type, \
           'created_at', a.created_at, 'updated_at', a.updated_at, \
           'locations', json((SELECT json_group_array(id) FROM \
               (SELECT id FROM locations WHERE asset_id = p.merged ORDER BY id))), \
           'other_claims', json((SELECT json_group_array(id) FROM claims \
               WHERE asset_id = p.merged AND location_id IS NULL AND source <> 'user')), \
           'user', json('[]'), 'collections', json('[]'), \
           'edits', json((SELECT json_group_array(id) FROM edits WHERE asset_id = p.merged)), \
           'jobs', json((SELECT json_group_array(id) FROM jobs WHERE asset_id = p.merged)), \
           'conflicts', json((SELECT json_group_array(id) FROM merge_conflicts \
               WHERE asset_id = p.merged))), ?2 \
         FROM temp.merge_plan p JOIN assets a ON a.id = p.merged ORDER BY p.rowid",
    )
    .bind(batch)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // Locations, every claim (none is a user value without a location here), the journal,
    // jobs and earlier conflicts follow the content to the survivor.
    for statement in [
        "UPDATE locations SET asset_id = p.survivor FROM temp.merge_plan p \
         WHERE locations.asset_id = p.merged",
        "UPDATE claims SET asset_id = p.survivor FROM temp.merge_plan p \
         WHERE claims.asset_id = p.merged",
        "UPDATE edits SET asset_id = p.survivor FROM temp.merge_plan p \
         WHERE edits.asset_id = p.merged",
        "UPDATE jobs SET asset_id = p.survivor FROM temp.merge_plan p \
         WHERE jobs.asset_id = p.merged",
        "UPDATE merge_conflicts SET asset_id = p.survivor FROM temp.merge_plan p \
         WHERE merge_conflicts.asset_id = p.merged",
        "DELETE FROM assets WHERE id IN (SELECT merged FROM temp.merge_plan)",
    ] {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    sqlx::query(
        "UPDATE assets SET updated_at = ? WHERE id IN (SELECT survivor FROM temp.merge_plan)",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM temp.merge_plan")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Merges `merged` into `survivor` inside the caller's transaction; returns the conflicts met.
async fn merge_one(
    tx: &mut SqliteConnection,
    batch: i64,
    survivor: AssetId,
    merged: AssetId,
    content_hash: &str,
    now: i64,
) -> Result<u64> {
    // Everything about the merged asset in one statement: merges run by the thousand.
    let row = sqlx::query(
        "SELECT title, media_type, created_at, updated_at, \
         (SELECT json_group_array(id) FROM \
             (SELECT id FROM locations WHERE asset_id = ?1 ORDER BY id)) AS locations, \
         (SELECT json_group_array(id) FROM (SELECT id FROM locations \
             WHERE asset_id = ?1 AND role = 'media' ORDER BY id)) AS media, \
         (SELECT json_group_array(id) FROM claims \
             WHERE asset_id = ?1 AND location_id IS NULL AND source <> 'user') AS other_claims, \
         (SELECT json_group_array(id) FROM edits WHERE asset_id = ?1) AS edits, \
         (SELECT json_group_array(id) FROM jobs WHERE asset_id = ?1) AS jobs, \
         (SELECT json_group_array(id) FROM merge_conflicts WHERE asset_id = ?1) AS conflicts, \
         (SELECT json_group_array(json_array(collection_id, added_at)) FROM collection_assets \
             WHERE asset_id = ?1) AS members, \
         (SELECT json_group_array(json_array(field, value, observed_at)) FROM \
             (SELECT field, value, observed_at FROM claims WHERE asset_id = ?1 \
              AND location_id IS NULL AND source = 'user' ORDER BY id)) AS user \
         FROM assets WHERE id = ?1",
    )
    .bind(merged.0)
    .fetch_one(&mut *tx)
    .await?;
    let locations: Vec<i64> = json_column(&row, "locations")?;
    let media: Vec<i64> = json_column(&row, "media")?;
    let other_claims: Vec<i64> = json_column(&row, "other_claims")?;
    let edits: Vec<i64> = json_column(&row, "edits")?;
    let jobs: Vec<i64> = json_column(&row, "jobs")?;
    let earlier_conflicts: Vec<i64> = json_column(&row, "conflicts")?;
    let members: Vec<(i64, i64)> = json_column(&row, "members")?;
    let user: Vec<(String, String, i64)> = json_column(&row, "user")?;

    // Locations and every claim but the user's follow the content to the survivor.
    sqlx::query("UPDATE locations SET asset_id = ? WHERE asset_id = ?")
        .bind(survivor.0)
        .bind(merged.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE claims SET asset_id = ? WHERE asset_id = ? \
         AND (location_id IS NOT NULL OR source <> 'user')",
    )
    .bind(survivor.0)
    .bind(merged.0)
    .execute(&mut *tx)
    .await?;

    // User values: union of lists, non-empty over empty, the survivor's on a conflict.
    let mut conflicts = Vec::new();
    for (field, text, _) in &user {
        let value = decode("user claim", text)?;
        let current: Option<String> = sqlx::query_scalar(
            "SELECT value FROM claims WHERE asset_id = ? AND field = ? AND source = 'user' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(survivor.0)
        .bind(field)
        .fetch_optional(&mut *tx)
        .await?;
        let kept = current
            .as_deref()
            .map(|t| decode("user claim", t))
            .transpose()?;
        let (new, conflict) = combine(kept.as_ref(), &value);
        if conflict {
            conflicts.push((field.clone(), kept.unwrap_or(Value::Null), value));
        } else if let Some(new) = new {
            let new = new.to_string();
            set_user_claim(&mut *tx, survivor, field, Some(&new), now).await?;
            sqlx::query(
                "INSERT INTO edits (batch_id, asset_id, field, old_value, new_value) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(batch)
            .bind(survivor.0)
            .bind(field)
            .bind(current)
            .bind(new)
            .execute(&mut *tx)
            .await?;
        }
    }
    if !user.is_empty() {
        sqlx::query(
            "DELETE FROM claims WHERE asset_id = ? AND source = 'user' AND location_id IS NULL",
        )
        .bind(merged.0)
        .execute(&mut *tx)
        .await?;
    }

    // Collections: the survivor is a member wherever the merged asset was.
    let mut collections = Vec::new();
    for (collection, added_at) in members {
        let added = sqlx::query(
            "INSERT OR IGNORE INTO collection_assets (collection_id, asset_id, added_at) \
             VALUES (?, ?, ?)",
        )
        .bind(collection)
        .bind(survivor.0)
        .bind(added_at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        collections.push((collection, added_at, added));
    }
    // The journal, jobs and earlier conflicts point at the survivor now.
    for (table, ids) in [
        ("edits", &edits),
        ("jobs", &jobs),
        ("merge_conflicts", &earlier_conflicts),
    ] {
        if ids.is_empty() {
            continue;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET asset_id = ? WHERE asset_id = ?"
        )))
        .bind(survivor.0)
        .bind(merged.0)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM assets WHERE id = ?")
        .bind(merged.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE assets SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(survivor.0)
        .execute(&mut *tx)
        .await?;

    let snapshot = Snapshot {
        title: row.try_get("title")?,
        media_type: row.try_get("media_type")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        locations,
        other_claims,
        user,
        collections,
        edits,
        jobs,
        conflicts: earlier_conflicts,
    };
    let snapshot = serde_json::to_string(&snapshot).map_err(|e| Error::Decode {
        what: "merge snapshot",
        message: e.to_string(),
    })?;
    let merge: i64 = sqlx::query_scalar(
        "INSERT INTO asset_merges (batch_id, survivor_id, merged_id, content_hash, snapshot, \
         merged_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(batch)
    .bind(survivor.0)
    .bind(merged.0)
    .bind(content_hash)
    .bind(snapshot)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let media = serde_json::to_string(&media).unwrap_or_else(|_| "[]".into());
    for (field, kept, other) in &conflicts {
        sqlx::query(
            "INSERT INTO merge_conflicts (merge_id, asset_id, field, kept, other, other_asset, \
             other_locations) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(merge)
        .bind(survivor.0)
        .bind(field)
        .bind(kept.to_string())
        .bind(other.to_string())
        .bind(merged.0)
        .bind(&media)
        .execute(&mut *tx)
        .await?;
    }
    Ok(conflicts.len() as u64)
}

/// Splits back the merges of edit batch `batch`, newest first (inside `Catalog::undo`'s
/// transaction, after the survivor's user values were put back).
pub(crate) async fn undo_merges(tx: &mut SqliteConnection, batch: i64, now: i64) -> Result<()> {
    let merges: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT id, survivor_id, merged_id, snapshot FROM asset_merges \
         WHERE batch_id = ? AND undone_at IS NULL ORDER BY id DESC",
    )
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    for (id, survivor, merged, snapshot) in merges {
        let snap: Snapshot = serde_json::from_str(&snapshot).map_err(|e| Error::Decode {
            what: "merge snapshot",
            message: format!("asset merge {id}: {e}"),
        })?;
        // The survivor may itself have been merged into another asset since.
        let mut owner = survivor;
        for _ in 0..64 {
            let next: Option<i64> = sqlx::query_scalar(
                "SELECT survivor_id FROM asset_merges WHERE merged_id = ? AND undone_at IS NULL \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
            match next {
                Some(next) if next != owner => owner = next,
                _ => break,
            }
        }
        sqlx::query("UPDATE asset_merges SET undone_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let locations = ids_list(&snap.locations);
        let still_here: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM locations WHERE id IN ({locations}) AND asset_id = ? \
             AND role = 'media'"
        )))
        .bind(owner)
        .fetch_one(&mut *tx)
        .await?;
        if still_here == 0 {
            // Its copies have all left (their bytes changed): there is nothing to split off.
            continue;
        }
        sqlx::query(
            "INSERT INTO assets (id, title, media_type, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(merged)
        .bind(&snap.title)
        .bind(&snap.media_type)
        .bind(snap.created_at)
        .bind(snap.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| Error::Decode {
            what: "undo of a merge",
            message: format!("asset {merged} cannot be brought back: {e}"),
        })?;
        sqlx::query("INSERT INTO changes (entity, entity_id, op) VALUES ('asset', ?, 'insert')")
            .bind(merged)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locations SET asset_id = ? WHERE id IN ({locations}) AND asset_id = ?"
        )))
        .bind(merged)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE claims SET asset_id = ? WHERE asset_id = ? AND \
             (location_id IN ({locations}) OR id IN ({}))",
            ids_list(&snap.other_claims)
        )))
        .bind(merged)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        for (field, value, observed_at) in &snap.user {
            sqlx::query(
                "INSERT INTO claims (asset_id, location_id, field, value, source, observed_at) \
                 VALUES (?, NULL, ?, ?, 'user', ?)",
            )
            .bind(merged)
            .bind(field)
            .bind(value)
            .bind(observed_at)
            .execute(&mut *tx)
            .await?;
        }
        for (collection, added_at, survivor_added) in &snap.collections {
            sqlx::query(
                "INSERT OR IGNORE INTO collection_assets (collection_id, asset_id, added_at) \
                 SELECT id, ?, ? FROM collections WHERE id = ?",
            )
            .bind(merged)
            .bind(added_at)
            .bind(collection)
            .execute(&mut *tx)
            .await?;
            if *survivor_added {
                sqlx::query(
                    "DELETE FROM collection_assets WHERE collection_id = ? AND asset_id = ?",
                )
                .bind(collection)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
            }
        }
        for (table, ids) in [
            ("edits", &snap.edits),
            ("jobs", &snap.jobs),
            ("merge_conflicts", &snap.conflicts),
        ] {
            if ids.is_empty() {
                continue;
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET asset_id = ? WHERE id IN ({})",
                ids_list(ids)
            )))
            .bind(merged)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE assets SET updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_values_combine_by_the_merge_rules() {
        // Nothing on the survivor: the merged value is taken.
        assert_eq!(combine(None, &json!("Dawn")), (Some(json!("Dawn")), false));
        // Equal, or nothing to add.
        assert_eq!(combine(Some(&json!("Dawn")), &json!("Dawn")), (None, false));
        assert_eq!(combine(Some(&json!("Dawn")), &json!("")), (None, false));
        // A non-empty value wins over an empty one.
        assert_eq!(
            combine(Some(&json!("")), &json!("Dawn")),
            (Some(json!("Dawn")), false)
        );
        // Lists are united, in order, without repeats.
        assert_eq!(
            combine(Some(&json!(["boat", "sea"])), &json!(["sea", "dawn"])),
            (Some(json!(["boat", "sea", "dawn"])), false)
        );
        assert_eq!(combine(Some(&json!(["a"])), &json!(["a"])), (None, false));
        // Two different values: the survivor keeps its own and the conflict is reported.
        assert_eq!(combine(Some(&json!("Dawn")), &json!("Dusk")), (None, true));
        assert_eq!(combine(Some(&json!(3)), &json!(5)), (None, true));
    }
}
