//! Edits by people: user claims written in journalled batches that can be undone.

use crate::collections::{undo_collection_op, undo_member, MEMBER_FIELD};
use crate::{now_secs, Catalog, Result};
use serde::Serialize;
use sqlx::Row;
use trove_core::AssetId;

/// One field of one asset set (or cleared, with `value: None`) by a person.
#[derive(Debug, Clone)]
pub struct Edit {
    /// The asset.
    pub asset: AssetId,
    /// Schema field key.
    pub field: String,
    /// The new user value; `None` removes the user's value (the sources' value shows again).
    pub value: Option<serde_json::Value>,
}

/// What an undo put back.
#[derive(Debug, Clone, Serialize)]
pub struct UndoReport {
    /// The batch undone.
    pub batch: i64,
    /// The command that made it.
    pub command: String,
    /// Edits reverted.
    pub edits: u64,
}

/// Opens an edit batch (the unit `trove undo` reverts) inside the caller's transaction.
pub(crate) async fn new_batch(
    tx: &mut sqlx::SqliteConnection,
    author: &str,
    command: &str,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO edit_batches (author, command, created_at) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(author)
    .bind(command)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

impl Catalog {
    /// Applies edits as one journalled batch; returns the batch id.
    pub async fn apply_edits(&self, author: &str, command: &str, edits: &[Edit]) -> Result<i64> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let batch = new_batch(&mut tx, author, command, now).await?;
        for edit in edits {
            let old: Option<String> = sqlx::query_scalar(
                "SELECT value FROM claims WHERE asset_id = ? AND field = ? AND source = 'user' \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(edit.asset.0)
            .bind(&edit.field)
            .fetch_optional(&mut *tx)
            .await?;
            let new = edit.value.as_ref().map(ToString::to_string);
            set_user_claim(&mut tx, edit.asset, &edit.field, new.as_deref(), now).await?;
            sqlx::query(
                "INSERT INTO edits (batch_id, asset_id, field, old_value, new_value) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(batch)
            .bind(edit.asset.0)
            .bind(&edit.field)
            .bind(old)
            .bind(new)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(batch)
    }

    /// Undoes the edit batch `batch`, or the last one not yet undone.
    pub async fn undo(&self, batch: Option<i64>) -> Result<Option<UndoReport>> {
        let now = now_secs();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = match batch {
            Some(id) => {
                sqlx::query(
                    "SELECT id, command, collection_id, collection_op FROM edit_batches \
                     WHERE id = ? AND undone_at IS NULL",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT id, command, collection_id, collection_op FROM edit_batches \
                     WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1",
                )
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let edits = sqlx::query(
            "SELECT asset_id, field, old_value FROM edits WHERE batch_id = ? ORDER BY id DESC",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let collection: Option<i64> = row.try_get("collection_id")?;
        for edit in &edits {
            let asset = AssetId(edit.try_get("asset_id")?);
            let field: String = edit.try_get("field")?;
            let old: Option<String> = edit.try_get("old_value")?;
            match collection {
                Some(collection) if field == MEMBER_FIELD => {
                    undo_member(&mut tx, collection, asset, old.is_some()).await?;
                }
                _ => set_user_claim(&mut tx, asset, &field, old.as_deref(), now).await?,
            }
        }
        // A merge of copies in this batch is split back (after the survivor's values above).
        crate::merge::undo_merges(&mut tx, id, now).await?;
        let op: Option<String> = row.try_get("collection_op")?;
        if let (Some(collection), Some(op)) = (collection, op) {
            undo_collection_op(&mut tx, collection, &op).await?;
        }
        sqlx::query("UPDATE edit_batches SET undone_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(UndoReport {
            batch: id,
            command: row.try_get("command")?,
            edits: edits.len() as u64,
        }))
    }
}

/// Replaces the user claim on `field` of `asset` with `value` (JSON), or removes it.
pub(crate) async fn set_user_claim(
    tx: &mut sqlx::SqliteConnection,
    asset: AssetId,
    field: &str,
    value: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM claims WHERE asset_id = ? AND field = ? AND source = 'user'")
        .bind(asset.0)
        .bind(field)
        .execute(&mut *tx)
        .await?;
    if let Some(value) = value {
        sqlx::query(
            "INSERT INTO claims (asset_id, location_id, field, value, source, observed_at) \
             VALUES (?, NULL, ?, ?, 'user', ?)",
        )
        .bind(asset.0)
        .bind(field)
        .bind(value)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // The asset's metadata changed: followers of the change sequence see an asset update.
    sqlx::query("UPDATE assets SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(asset.0)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

impl Catalog {
    /// Defines (or redefines) a custom field.
    pub async fn put_custom_field(&self, def: &trove_core::CustomFieldDef) -> Result<()> {
        let json = serde_json::to_string(def).map_err(|e| crate::Error::Decode {
            what: "custom field",
            message: e.to_string(),
        })?;
        sqlx::query(
            "INSERT INTO custom_fields (key, definition, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET definition = excluded.definition",
        )
        .bind(def.key())
        .bind(json)
        .bind(now_secs())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every custom field, by key.
    pub async fn custom_fields(&self) -> Result<Vec<trove_core::CustomFieldDef>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT definition FROM custom_fields ORDER BY key")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|json| {
                serde_json::from_str(json).map_err(|e| crate::Error::Decode {
                    what: "custom field",
                    message: format!("{json}: {e}"),
                })
            })
            .collect()
    }
}
