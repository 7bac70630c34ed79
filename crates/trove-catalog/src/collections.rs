//! Collections: manual lists of assets and saved searches ("smart" collections).
//!
//! Every change is an edit batch, so `trove undo` reverts it like a metadata edit: creating and
//! deleting are recorded on the batch (`collection_op`), member changes as `edits` rows on the
//! field [`MEMBER_FIELD`]. Deleting only marks the collection, keeping its members for undo.

use crate::{now_secs, Catalog, Error, Result};
use serde::Serialize;
use sqlx::{Row, SqliteConnection};
use trove_core::AssetId;

/// The `edits.field` of a membership change.
pub(crate) const MEMBER_FIELD: &str = "@collection";

/// A collection as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collection {
    /// Its id.
    pub id: i64,
    /// Its name, unique among collections ignoring case.
    pub name: String,
    /// The saved query of a smart collection; `None` for a manual one.
    pub query: Option<String>,
    /// The saved order of a smart collection (`captured:desc`, ...).
    pub sort: Option<String>,
    /// Members of a manual collection (0 for a smart one: its members are its search results).
    pub members: u64,
    /// When it was made, in seconds since the epoch.
    pub created_at: i64,
}

/// What a new collection is.
#[derive(Debug, Clone, Default)]
pub struct NewCollection<'a> {
    /// Its name (trimmed by the caller; not empty).
    pub name: &'a str,
    /// A saved query for a smart collection (validated by the caller).
    pub query: Option<&'a str>,
    /// Its saved order.
    pub sort: Option<&'a str>,
}

/// Who changes a collection and with what command (for the journal).
#[derive(Debug, Clone, Copy)]
pub struct Journal<'a> {
    /// The person (or `trove`).
    pub author: &'a str,
    /// The command line, shown by `undo`.
    pub command: &'a str,
}

/// `SELECT` of a [`Collection`] row from `collections c`, followed by the rest of the query.
macro_rules! select_collections {
    ($rest:literal) => {
        concat!(
            "SELECT c.id, c.name, c.query, c.sort, c.created_at, \
             (SELECT count(*) FROM collection_assets m WHERE m.collection_id = c.id) AS members \
             FROM collections c ",
            $rest
        )
    };
}

fn collection(row: &sqlx::sqlite::SqliteRow) -> Result<Collection> {
    Ok(Collection {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        query: row.try_get("query")?,
        sort: row.try_get("sort")?,
        members: row.try_get::<i64, _>("members")? as u64,
        created_at: row.try_get("created_at")?,
    })
}

async fn new_batch(
    tx: &mut SqliteConnection,
    journal: Journal<'_>,
    collection: i64,
    op: Option<&str>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO edit_batches (author, command, created_at, collection_id, collection_op) \
         VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(journal.author)
    .bind(journal.command)
    .bind(now_secs())
    .bind(collection)
    .bind(op)
    .fetch_one(&mut *tx)
    .await?)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Catalog {
    /// Creates a collection; returns it and its edit batch.
    pub async fn create_collection(
        &self,
        new: &NewCollection<'_>,
        journal: Journal<'_>,
    ) -> Result<(Collection, i64)> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO collections (name, query, sort, created_at) VALUES (?, ?, ?, ?) \
             RETURNING id",
        )
        .bind(new.name)
        .bind(new.query)
        .bind(new.sort)
        .bind(now_secs())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::CollectionExists {
                    name: new.name.to_owned(),
                }
            } else {
                e.into()
            }
        })?;
        let batch = new_batch(&mut tx, journal, id, Some("create")).await?;
        tx.commit().await?;
        let made = self
            .collection_by_id(id)
            .await?
            .ok_or_else(|| Error::NoSuchCollection {
                name: new.name.to_owned(),
            })?;
        Ok((made, batch))
    }

    /// Every live collection, by name.
    pub async fn collections(&self) -> Result<Vec<Collection>> {
        let sql = select_collections!("WHERE c.deleted_at IS NULL ORDER BY c.name COLLATE NOCASE");
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(collection).collect()
    }

    /// The live collection called `name` (ignoring case).
    pub async fn collection(&self, name: &str) -> Result<Collection> {
        let sql = select_collections!("WHERE c.name = ? COLLATE NOCASE AND c.deleted_at IS NULL");
        match sqlx::query(sql)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
        {
            Some(row) => collection(&row),
            None => Err(Error::NoSuchCollection {
                name: name.to_owned(),
            }),
        }
    }

    async fn collection_by_id(&self, id: i64) -> Result<Option<Collection>> {
        let sql = select_collections!("WHERE c.id = ?");
        let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(collection).transpose()
    }

    /// The members of a manual collection, in the order they were added.
    pub async fn collection_members(&self, id: i64) -> Result<Vec<AssetId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT asset_id FROM collection_assets WHERE collection_id = ? \
             ORDER BY added_at, asset_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(AssetId).collect())
    }

    /// Adds (`member`) or removes assets of a manual collection as one edit batch; assets
    /// already in (or not in) it are left alone. Returns how many changed and the batch (`None`
    /// when nothing changed).
    pub async fn set_members(
        &self,
        id: i64,
        assets: &[AssetId],
        member: bool,
        journal: Journal<'_>,
    ) -> Result<(u64, Option<i64>)> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let now = now_secs();
        let mut changed = Vec::new();
        for asset in assets {
            let done = if member {
                sqlx::query(
                    "INSERT OR IGNORE INTO collection_assets (collection_id, asset_id, added_at) \
                     SELECT ?, id, ? FROM assets WHERE id = ?",
                )
                .bind(id)
                .bind(now)
                .bind(asset.0)
            } else {
                sqlx::query(
                    "DELETE FROM collection_assets WHERE collection_id = ? AND asset_id = ?",
                )
                .bind(id)
                .bind(asset.0)
            }
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                changed.push(*asset);
            }
        }
        if changed.is_empty() {
            return Ok((0, None));
        }
        let batch = new_batch(&mut tx, journal, id, None).await?;
        let (old, new) = if member {
            (None, Some("true"))
        } else {
            (Some("true"), None)
        };
        for asset in &changed {
            sqlx::query(
                "INSERT INTO edits (batch_id, asset_id, field, old_value, new_value) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(batch)
            .bind(asset.0)
            .bind(MEMBER_FIELD)
            .bind(old)
            .bind(new)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((changed.len() as u64, Some(batch)))
    }

    /// Deletes a collection (undoably: it is only marked); returns the edit batch.
    pub async fn delete_collection(&self, id: i64, journal: Journal<'_>) -> Result<i64> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE collections SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL")
            .bind(now_secs())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let batch = new_batch(&mut tx, journal, id, Some("delete")).await?;
        tx.commit().await?;
        Ok(batch)
    }
}

/// Reverts what an edit batch did to a collection as a whole (members are reverted with the
/// other edits rows).
pub(crate) async fn undo_collection_op(
    tx: &mut SqliteConnection,
    collection: i64,
    op: &str,
) -> Result<()> {
    let deleted_at = match op {
        "create" => Some(now_secs()),
        "delete" => None,
        _ => return Ok(()),
    };
    if deleted_at.is_none() {
        // Bringing a collection back must not make two live ones with one name.
        let name: Option<String> = sqlx::query_scalar(
            "SELECT o.name FROM collections c JOIN collections o \
             ON o.name = c.name COLLATE NOCASE AND o.id != c.id AND o.deleted_at IS NULL \
             WHERE c.id = ?",
        )
        .bind(collection)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(name) = name {
            return Err(Error::CollectionExists { name });
        }
    }
    sqlx::query("UPDATE collections SET deleted_at = ? WHERE id = ?")
        .bind(deleted_at)
        .bind(collection)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Puts a membership back as it was before an edit (`was_member`).
pub(crate) async fn undo_member(
    tx: &mut SqliteConnection,
    collection: i64,
    asset: AssetId,
    was_member: bool,
) -> Result<()> {
    if was_member {
        sqlx::query(
            "INSERT OR IGNORE INTO collection_assets (collection_id, asset_id, added_at) \
             SELECT ?, id, ? FROM assets WHERE id = ?",
        )
        .bind(collection)
        .bind(now_secs())
        .bind(asset.0)
    } else {
        sqlx::query("DELETE FROM collection_assets WHERE collection_id = ? AND asset_id = ?")
            .bind(collection)
            .bind(asset.0)
    }
    .execute(&mut *tx)
    .await?;
    Ok(())
}
