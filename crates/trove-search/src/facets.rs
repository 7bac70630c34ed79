//! Facet counting over matching documents: exact for small result sets, estimated from a
//! sample for large ones.
//!
//! Each facet has a string fast field of its own (see [`column_name`]); single-valued facets
//! hold exactly one value per document (`""` for none), so their columns are dense. Matching
//! documents are buffered and their columns read a block at a time, with a counter per term
//! ordinal per segment; at the end, ordinals become strings in one pass over each dictionary.
//!
//! Counting costs about the same per matching document whatever the query, so a word that
//! matches a fifth of a million assets would spend most of its time here. Each segment
//! therefore counts its first matches exactly (its share of [`EXACT_DOCS`]); after that it
//! counts a hashed sample, halving the rate each time as many documents again have been
//! counted, and weighs each sampled document by the inverse of its rate (an unbiased estimate:
//! whether a document is sampled depends only on its id, never on its values). Results say
//! whether any count is estimated.

use std::collections::BTreeMap;

use hashbrown::HashMap;

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

/// Matching documents counted exactly per query (split over segments by size) before facet
/// counts are estimated from a sample, unless the index sets another number.
pub const EXACT_DOCS: u64 = 10_000;
/// A segment whose counts are estimates reports at most this many values per facet (its
/// most frequent ones).
const SAMPLED_VALUES: usize = 10 * FACET_LIMIT;
/// The sampling rate never falls below 2^-MAX_LEVEL.
const MAX_LEVEL: u32 = 16;

/// Counts the facet values of matching documents, as `name=value` entries.
pub(crate) struct FacetCounter {
    /// When false, counts nothing (so one collector shape serves both cases).
    pub(crate) enabled: bool,
    /// Count every matching document, however many.
    pub(crate) exact: bool,
    /// Matching documents counted exactly per query before sampling (see [`EXACT_DOCS`]).
    pub(crate) exact_docs: u64,
    /// How many documents the searcher holds (deleted ones included), to split [`EXACT_DOCS`].
    pub(crate) max_docs: u64,
}

/// Counts as (facet index in [`FACET_NAMES`], value, count), and whether any is estimated
/// from a sample.
pub(crate) type Counts = (Vec<(usize, String, u64)>, bool);

/// Whether `doc` is in the sample of level `level` (rate 2^-level). A document in the sample
/// of a level is in those of all lower levels.
fn sampled(doc: DocId, level: u32) -> bool {
    level == 0 || doc.wrapping_mul(0x9E37_79B1) >> (32 - level) == 0
}

/// One facet's column in one segment and its counts per term ordinal.
struct Column {
    /// The facet's index in [`FACET_NAMES`].
    facet: usize,
    column: StrColumn,
    /// Weighted: a document counted at sampling level `l` adds `2^l`.
    counts: Vec<u64>,
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
    /// The sampling level: documents are counted at the rate 2^-level, each weighing 2^level.
    level: u32,
    /// Documents counted at the current level.
    counted: usize,
    /// Documents counted per level before the rate halves.
    budget: usize,
    /// Whether a matching document was left out of the sample (the counts are estimates).
    skipped: bool,
}

/// Documents buffered before the columns are read for them.
const BLOCK: usize = 1024;

impl SegmentFacetCounter {
    fn push(&mut self, doc: DocId) {
        if sampled(doc, self.level) {
            self.pending.push(doc);
            if self.pending.len() == BLOCK {
                self.flush();
            }
        } else {
            self.skipped = true;
        }
    }

    fn flush(&mut self) {
        let weight = 1u64 << self.level;
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
                    *count += weight;
                }
            }
        }
        self.counted += self.pending.len();
        self.pending.clear();
        if self.counted >= self.budget && self.level < MAX_LEVEL {
            self.level += 1;
            self.counted = 0;
        }
    }
}

impl Collector for FacetCounter {
    type Fruit = Counts;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let mut columns = Vec::new();
        if self.enabled {
            for (facet, name) in FACET_NAMES.iter().enumerate() {
                if let Some(column) = segment.fast_fields().str(&column_name(name))? {
                    let counts = vec![0; column.num_terms()];
                    columns.push(Column {
                        facet,
                        column,
                        counts,
                    });
                }
            }
        }
        let capacity = if columns.is_empty() { 0 } else { BLOCK };
        let share = self.exact_docs * u64::from(segment.max_doc()) / self.max_docs.max(1);
        Ok(SegmentFacetCounter {
            columns,
            pending: Vec::with_capacity(capacity),
            docs_out: Vec::new(),
            rows: Vec::new(),
            ords: Vec::new(),
            level: 0,
            counted: 0,
            budget: if self.exact {
                usize::MAX
            } else {
                usize::try_from(share).unwrap_or(usize::MAX).max(BLOCK)
            },
            skipped: false,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counts>) -> tantivy::Result<Counts> {
        // hashbrown's default (foldhash): SipHash's resistance to chosen keys is not needed
        // for a few thousand values per segment, and its cost is.
        let mut merged: HashMap<(usize, String), u64> = HashMap::new();
        let mut estimated = false;
        for (counts, segment_estimated) in segments {
            estimated |= segment_estimated;
            for (facet, value, count) in counts {
                *merged.entry((facet, value)).or_default() += count;
            }
        }
        let merged = merged
            .into_iter()
            .map(|((facet, value), count)| (facet, value, count))
            .collect();
        Ok((merged, estimated))
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if !self.columns.is_empty() {
            self.push(doc);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        if !self.columns.is_empty() {
            for &doc in docs {
                self.push(doc);
            }
        }
    }

    fn harvest(mut self) -> Counts {
        self.flush();
        let estimated = self.skipped;
        let mut out = Vec::new();
        for column in self.columns {
            let mut found: Vec<(u64, u64)> = column
                .counts
                .iter()
                .enumerate()
                .filter(|(_, &count)| count > 0)
                .map(|(ord, &count)| (ord as u64, count))
                .collect();
            if estimated && found.len() > SAMPLED_VALUES {
                // Estimates already: the rarest values (keywords, mostly) cannot reach the
                // top FACET_LIMIT and are not worth turning into strings and merging.
                found.select_nth_unstable_by(SAMPLED_VALUES, |a, b| b.1.cmp(&a.1));
                found.truncate(SAMPLED_VALUES);
                found.sort_unstable();
            }
            // Ordinals in ascending order resolve in one pass over the dictionary; a lookup
            // per ordinal would seek its block again each time.
            let (ords, counts): (Vec<u64>, Vec<u64>) = found.into_iter().unzip();
            let mut counts = counts.into_iter();
            let resolved = column
                .column
                .dictionary()
                .sorted_ords_to_term_cb(&ords, |term| {
                    let count = counts.next().unwrap_or(0);
                    if !term.is_empty() {
                        let value = String::from_utf8_lossy(term).into_owned();
                        out.push((column.facet, value, count));
                    }
                });
            if resolved.is_err() {
                let name = FACET_NAMES[column.facet];
                tracing::warn!("facet {name} could not be read in a segment");
            }
        }
        (out, estimated)
    }
}

/// Groups merged counts by facet, most frequent first, at most [`FACET_LIMIT`]; an estimate
/// never exceeds `total`.
pub(crate) fn group(
    counts: &[(usize, String, u64)],
    total: u64,
) -> BTreeMap<String, Vec<FacetCount>> {
    let mut grouped: Vec<Vec<FacetCount>> = vec![Vec::new(); FACET_NAMES.len()];
    for (facet, value, count) in counts {
        if let Some(values) = grouped.get_mut(*facet) {
            values.push(FacetCount {
                value: value.clone(),
                count: (*count).min(total),
            });
        }
    }
    FACET_NAMES
        .iter()
        .zip(grouped)
        .map(|(name, mut values)| {
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            values.truncate(FACET_LIMIT);
            ((*name).to_owned(), values)
        })
        .collect()
}
