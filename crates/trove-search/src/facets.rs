//! Facet counting over all matching documents.
//!
//! Each facet has a string fast field of its own (see [`column_name`]); single-valued facets
//! hold exactly one value per document (`""` for none), so their columns are dense. Matching
//! documents are buffered and their columns read a block at a time, with a counter per term
//! ordinal per segment; at the end, ordinals become strings in one pass over each dictionary.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::FacetCount;

/// The facets reported, by name.
pub(crate) const FACET_NAMES: [&str; 8] = [
    "media_type",
    "codec",
    "resolution",
    "source",
    "storage_class",
    "state",
    "keywords",
    "has_duplicates",
];

/// At most this many values are reported per facet (the most frequent).
pub const FACET_LIMIT: usize = 100;

/// The fast field holding the values of facet `name`.
pub(crate) fn column_name(name: &str) -> String {
    format!("facet_{name}")
}

/// Counts the facet values of matching documents, as `name=value` entries.
pub(crate) struct FacetCounter {
    /// When false, counts nothing (so one collector shape serves both cases).
    pub(crate) enabled: bool,
}

/// One facet's column in one segment and its counts per term ordinal.
struct Column {
    name: &'static str,
    column: StrColumn,
    counts: Vec<u32>,
}

pub(crate) struct SegmentFacetCounter {
    columns: Vec<Column>,
    /// Matching documents not yet counted: reading the columns a block at a time is several
    /// times faster than a lookup per document.
    pending: Vec<DocId>,
    /// Scratch space of [`Self::flush`], kept to avoid an allocation per block.
    docs_out: Vec<DocId>,
    rows: Vec<u32>,
    ords: Vec<u64>,
}

/// Documents buffered before the columns are read for them.
const BLOCK: usize = 1024;

impl SegmentFacetCounter {
    fn flush(&mut self) {
        for column in &mut self.columns {
            let ords = column.column.ords();
            self.docs_out.clear();
            self.rows.clear();
            ords.row_ids_for_docs(&self.pending, &mut self.docs_out, &mut self.rows);
            self.ords.clear();
            self.ords.resize(self.rows.len(), 0);
            ords.values.get_vals(&self.rows, &mut self.ords);
            for &ord in &self.ords {
                if let Some(count) = column.counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
        self.pending.clear();
    }
}

impl Collector for FacetCounter {
    type Fruit = Vec<(String, u64)>;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let mut columns = Vec::new();
        if self.enabled {
            for name in FACET_NAMES {
                if let Some(column) = segment.fast_fields().str(&column_name(name))? {
                    let counts = vec![0; column.num_terms()];
                    columns.push(Column {
                        name,
                        column,
                        counts,
                    });
                }
            }
        }
        let capacity = if columns.is_empty() { 0 } else { BLOCK };
        Ok(SegmentFacetCounter {
            columns,
            pending: Vec::with_capacity(capacity),
            docs_out: Vec::new(),
            rows: Vec::new(),
            ords: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<(String, u64)>>) -> tantivy::Result<Self::Fruit> {
        let mut merged: BTreeMap<String, u64> = BTreeMap::new();
        for (value, count) in segments.into_iter().flatten() {
            *merged.entry(value).or_default() += count;
        }
        Ok(merged.into_iter().collect())
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = Vec<(String, u64)>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if !self.columns.is_empty() {
            self.pending.push(doc);
            if self.pending.len() == BLOCK {
                self.flush();
            }
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        if !self.columns.is_empty() {
            for chunk in docs.chunks(BLOCK) {
                if self.pending.len() + chunk.len() > BLOCK {
                    self.flush();
                }
                self.pending.extend_from_slice(chunk);
            }
        }
    }

    fn harvest(mut self) -> Vec<(String, u64)> {
        self.flush();
        let mut out = Vec::new();
        for column in self.columns {
            // Ordinals in ascending order resolve in one pass over the dictionary; a lookup
            // per ordinal would seek its block again each time.
            let (ords, counts): (Vec<u64>, Vec<u64>) = column
                .counts
                .iter()
                .enumerate()
                .filter(|(_, &count)| count > 0)
                .map(|(ord, &count)| (ord as u64, u64::from(count)))
                .unzip();
            let mut counts = counts.into_iter();
            let resolved = column
                .column
                .dictionary()
                .sorted_ords_to_term_cb(&ords, |term| {
                    let count = counts.next().unwrap_or(0);
                    if !term.is_empty() {
                        let value = String::from_utf8_lossy(term);
                        out.push((format!("{}={value}", column.name), count));
                    }
                });
            if resolved.is_err() {
                tracing::warn!("facet {} could not be read in a segment", column.name);
            }
        }
        out
    }
}

/// Groups merged `key=value` counts by facet, most frequent first, at most [`FACET_LIMIT`].
pub(crate) fn group(counts: Vec<(String, u64)>) -> BTreeMap<String, Vec<FacetCount>> {
    let mut facets: BTreeMap<String, Vec<FacetCount>> = FACET_NAMES
        .iter()
        .map(|name| ((*name).to_owned(), Vec::new()))
        .collect();
    for (entry, count) in counts {
        if let Some((key, value)) = entry.split_once('=') {
            if let Some(values) = facets.get_mut(key) {
                values.push(FacetCount {
                    value: value.to_owned(),
                    count,
                });
            }
        }
    }
    for values in facets.values_mut() {
        values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        values.truncate(FACET_LIMIT);
    }
    facets
}
