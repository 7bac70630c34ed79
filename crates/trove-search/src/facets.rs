//! Facet counting over all matching documents.
//!
//! Every facet value of a document is one `key=value` entry of a single multi-valued string
//! fast field (`facet`), so counting is one column walk per matching document: per segment,
//! a counter per term ordinal; at the end, ordinals become strings, split at the first `=`.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::FacetCount;

/// The facets reported, by name (the part of a `facet` entry before `=`).
pub(crate) const FACET_NAMES: &[&str] = &[
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

/// Counts `facet` entries of matching documents.
pub(crate) struct FacetCounter {
    /// The name of the string fast field holding `key=value` entries.
    pub(crate) field: &'static str,
    /// When false, counts nothing (so one collector shape serves both cases).
    pub(crate) enabled: bool,
}

pub(crate) struct SegmentFacetCounter {
    column: Option<StrColumn>,
    counts: Vec<u32>,
}

impl Collector for FacetCounter {
    type Fruit = Vec<(String, u64)>;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let column = if self.enabled {
            segment.fast_fields().str(self.field)?
        } else {
            None
        };
        let counts = vec![0; column.as_ref().map_or(0, |c| c.num_terms())];
        Ok(SegmentFacetCounter { column, counts })
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
        if let Some(column) = &self.column {
            for ord in column.term_ords(doc) {
                if let Some(count) = self.counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> Vec<(String, u64)> {
        let Some(column) = self.column else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (ord, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let mut value = String::new();
            if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                out.push((value, u64::from(count)));
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
