//! Search: a tantivy index under the library folder, derived from the catalog.
//!
//! The index is fed from the change sequence: it stores the number of the last change it applied
//! (in its commit), and each sync reads the changes after it, re-reads the assets they touch, and
//! commits. A crash between a catalog commit and an index commit only leaves the index behind;
//! the next sync catches up. `rebuild` starts over from every asset.

use crate::{Error, Library, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use trove_catalog::AssetRecord;
use trove_core::{resolve, AssetId, AssetView};
use trove_search::{SearchDoc, SearchIndex, SearchOptions};

/// The index folder inside the library.
pub const INDEX_DIR: &str = "search";
/// Changes read per step of a sync.
const CHANGES_PER_STEP: u32 = 20_000;
/// How long a sync waits for another process's writer lock on the index.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);
/// Assets converted and written per step.
const ASSETS_PER_STEP: usize = 2_000;

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    /// Documents written.
    pub updated: u64,
    /// Documents removed.
    pub deleted: u64,
    /// The change applied last.
    pub applied_seq: i64,
    /// Changes left for another process that held the index (0 when this sync caught up).
    pub behind: i64,
}

/// The `trove search --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    /// Matching assets.
    pub total: u64,
    /// The page asked for, best first.
    pub hits: Vec<AssetView>,
    /// Counts per facet value over all matches.
    pub facets: BTreeMap<String, Vec<trove_search::FacetCount>>,
    /// Whether the facet counts are estimated from a sample (a large result set).
    pub facets_estimated: bool,
}

fn text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) => {
            Some(items.iter().filter_map(text).collect::<Vec<_>>().join("; "))
        }
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Seconds since the epoch of an ISO 8601 date or date-time (UTC if it has no zone).
fn epoch_seconds(value: &str) -> Option<i64> {
    let date = value.get(..10)?;
    let mut parts = date.split('-');
    let (y, m, d): (i64, i64, i64) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    // Days from the civil calendar (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let time = value.get(11..19).and_then(|t| {
        let mut p = t.split(':');
        Some(
            p.next()?.parse::<i64>().ok()? * 3600
                + p.next()?.parse::<i64>().ok()? * 60
                + p.next()?.parse::<i64>().ok()?,
        )
    });
    Some(days * 86_400 + time.unwrap_or(0))
}

/// The search document of an asset: effective metadata resolved from its claims.
pub(crate) fn search_doc(record: &AssetRecord) -> SearchDoc {
    let claims = crate::library::claims_of(&record.claims);
    let effective = resolve(&claims).effective;
    let get = |key: &str| effective.get(key).map(|e| &e.value);
    let number = |key: &str| get(key).and_then(serde_json::Value::as_f64);
    let file_name = record
        .path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut text_fields = BTreeMap::new();
    let mut custom = BTreeMap::new();
    for (key, value) in &effective {
        let Some(value) = text(&value.value) else {
            continue;
        };
        if key.starts_with(trove_core::CUSTOM_PREFIX) {
            custom.insert(key.clone(), value);
        } else if trove_core::field(key).is_some_and(|d| {
            matches!(
                d.kind,
                trove_core::FieldKind::Text | trove_core::FieldKind::TextList
            )
        }) && key != "title"
            && key != "keywords"
        {
            text_fields.insert(key.clone(), value);
        }
    }
    SearchDoc {
        id: record.id.0 as u64,
        title: get("title")
            .and_then(|t| t.as_str())
            .map_or_else(|| record.title.clone(), str::to_owned),
        file_name,
        path: record.path.clone(),
        text: text_fields,
        keywords: get("keywords")
            .and_then(|k| serde_json::from_value(k.clone()).ok())
            .unwrap_or_default(),
        custom,
        media_type: record.media_type.clone(),
        codec: get("video_codec")
            .or_else(|| get("audio_codec"))
            .and_then(|c| c.as_str())
            .map(str::to_owned),
        duration: number("duration"),
        width: number("width").map(|w| w as u64),
        height: number("height").map(|h| h as u64),
        frame_rate: get("frame_rate")
            .and_then(|r| r.as_str())
            .and_then(|r| r.parse::<trove_core::Rational>().ok())
            .map(trove_core::Rational::to_f64),
        size: record.size,
        captured_at: get("captured_at")
            .and_then(|d| d.as_str())
            .and_then(epoch_seconds),
        source: record.source.clone(),
        storage_class: record.storage_class.clone(),
        state: record.state.clone(),
        has_duplicates: record.copies > 1,
    }
}

impl Library {
    fn index_dir(&self) -> PathBuf {
        self.dir().join(INDEX_DIR)
    }

    fn open_index(&self) -> Result<SearchIndex> {
        SearchIndex::open(&self.index_dir()).map_err(|e| Error::Search(e.to_string()))
    }

    /// Brings the search index up to the catalog's change sequence (from scratch when `rebuild`).
    pub async fn sync_search(&self, rebuild: bool) -> Result<SyncReport> {
        let mut index = self.open_index()?;
        self.sync_index(&mut index, rebuild).await
    }

    /// Applies the catalog's changes to an open index (all of it when `rebuild`), then gives
    /// the writer lock back.
    ///
    /// An index that is up to date is not locked at all. When another process holds the lock
    /// for longer than [`LOCK_PATIENCE`] (it is syncing a large change), a plain sync leaves the
    /// index as that process will commit it and reports how far behind it was.
    async fn sync_index(&self, index: &mut SearchIndex, rebuild: bool) -> Result<SyncReport> {
        let seq = self.catalog.change_seq().await?;
        if !rebuild && index.applied_seq() == Some(seq) {
            return Ok(SyncReport {
                applied_seq: seq,
                ..SyncReport::default()
            });
        }
        match index.lock(LOCK_PATIENCE) {
            Ok(()) => {}
            Err(trove_search::Error::Locked) if !rebuild => {
                let applied = index.applied_seq().unwrap_or(0);
                tracing::warn!(
                    "search index is {} changes behind; another Trove process is updating it",
                    seq - applied
                );
                return Ok(SyncReport {
                    applied_seq: applied,
                    behind: seq - applied,
                    ..SyncReport::default()
                });
            }
            Err(e) => return Err(Error::Search(e.to_string())),
        }
        let report = self.apply_changes(index, rebuild).await;
        index.release_writer();
        report
    }

    async fn apply_changes(&self, index: &mut SearchIndex, rebuild: bool) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let search_error = |e: trove_search::Error| Error::Search(e.to_string());
        let from_scratch = rebuild || index.applied_seq().is_none();
        if from_scratch {
            // Everything the catalog holds now, as of its current change number.
            let seq = self.catalog.change_seq().await?;
            index.clear().map_err(search_error)?;
            let mut after = AssetId(0);
            loop {
                let ids = self
                    .catalog
                    .asset_ids(after, ASSETS_PER_STEP as u32)
                    .await?;
                let Some(last) = ids.last().copied() else {
                    break;
                };
                let records = self.catalog.asset_records(&ids).await?;
                let docs: Vec<SearchDoc> = records.iter().map(search_doc).collect();
                index.upsert(&docs).map_err(search_error)?;
                report.updated += docs.len() as u64;
                after = last;
            }
            index.commit(seq).map_err(search_error)?;
            report.applied_seq = seq;
            return Ok(report);
        }
        let mut applied = index.applied_seq().unwrap_or(0);
        loop {
            let changed = self
                .catalog
                .changed_assets(applied, CHANGES_PER_STEP)
                .await?;
            if changed.last_seq == applied {
                break;
            }
            for ids in changed.assets.chunks(ASSETS_PER_STEP) {
                let records = self.catalog.asset_records(ids).await?;
                let docs: Vec<SearchDoc> = records.iter().map(search_doc).collect();
                let gone: Vec<u64> = ids
                    .iter()
                    .filter(|id| !records.iter().any(|r| r.id == **id))
                    .map(|id| id.0 as u64)
                    .collect();
                index.upsert(&docs).map_err(search_error)?;
                index.delete(&gone).map_err(search_error)?;
                report.updated += docs.len() as u64;
                report.deleted += gone.len() as u64;
            }
            applied = changed.last_seq;
            index.commit(applied).map_err(search_error)?;
            if !changed.more {
                break;
            }
        }
        report.applied_seq = applied;
        Ok(report)
    }

    /// How many changes the search index is behind the catalog (`None`: no index yet).
    pub async fn search_lag(&self) -> Result<Option<i64>> {
        if !self.index_dir().exists() {
            return Ok(None);
        }
        let index = self.open_index()?;
        let seq = self.catalog.change_seq().await?;
        Ok(index.applied_seq().map(|applied| seq - applied))
    }

    /// Every asset matching `query` (for `meta set/export --query`), by id.
    pub async fn query_assets(&self, query: &str) -> Result<Vec<AssetId>> {
        let mut index = self.open_index()?;
        self.sync_index(&mut index, false).await?;
        let count = |limit: usize| {
            let options = SearchOptions {
                limit,
                ..SearchOptions::default()
            };
            index
                .search(query, &options)
                .map_err(|e| Error::InvalidInput(e.to_string()))
        };
        let total = count(1)?.total;
        if total == 0 {
            return Ok(Vec::new());
        }
        let all = count(usize::try_from(total).unwrap_or(usize::MAX))?;
        Ok(all.hits.iter().map(|h| AssetId(h.id as i64)).collect())
    }

    /// Searches (after catching the index up); hits come back as full assets.
    pub async fn search(&self, query: &str, options: &SearchOptions) -> Result<SearchReport> {
        let mut index = self.open_index()?;
        self.sync_index(&mut index, false).await?;
        let results = index.search(query, options).map_err(|e| match e {
            trove_search::Error::Query { message, position } => Error::InvalidInput(format!(
                "bad query at character {}: {message}\n  {query}\n  {}^",
                position + 1,
                " ".repeat(position)
            )),
            other => Error::Search(other.to_string()),
        })?;
        let mut hits = Vec::with_capacity(results.hits.len());
        for hit in &results.hits {
            hits.push(self.show(hit.id.to_string().as_ref()).await?);
        }
        Ok(SearchReport {
            total: results.total,
            hits,
            facets: results.facets,
            facets_estimated: results.facets_estimated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_to_epoch_seconds() {
        assert_eq!(epoch_seconds("1970-01-01"), Some(0));
        assert_eq!(epoch_seconds("2021-05-04T10:11:12Z"), Some(1_620_123_072));
        assert_eq!(epoch_seconds("2000-03-01"), Some(951_868_800));
        assert_eq!(epoch_seconds("soon"), None);
    }
}
