//! Trove's search index: full-text and faceted search over assets, built with tantivy.
//!
//! The index is derived data. The catalog feeds it [`SearchDoc`]s (one per asset) through
//! [`SearchIndex::upsert`] and [`SearchIndex::delete`], and [`SearchIndex::commit`] records the
//! catalog change sequence number it has applied, so that after a restart only newer changes
//! need to be replayed. A directory written by another schema version is recreated empty
//! (and [`SearchIndex::applied_seq`] is then `None`: rebuild from scratch).
//!
//! ```no_run
//! # fn main() -> trove_search::Result<()> {
//! use trove_search::{SearchDoc, SearchIndex, SearchOptions, Sort};
//! let mut index = SearchIndex::open(std::path::Path::new("library/search"))?;
//! index.upsert(&[SearchDoc { id: 1, title: "Beach day".into(), ..SearchDoc::default() }])?;
//! index.commit(42)?;
//! let options = SearchOptions { sort: Sort::Captured { descending: true }, facets: true, ..Default::default() };
//! let results = index.search("beach type:video duration:>60", &options)?;
//! # Ok(()) }
//! ```
//!
//! # Query language
//!
//! A query is a list of clauses separated by whitespace. **All clauses must match** (AND).
//! There is no `OR` and there are no parentheses.
//!
//! | form | meaning |
//! |---|---|
//! | *(empty)* or `*` | every asset |
//! | `beach` | a word, searched in the title (boosted ×3), the file name (×2), the path and the body (every other text field, keywords and custom fields) |
//! | `"golden hour"` | an exact phrase (the words adjacent, in order) |
//! | `mount*`, `clip_00*` | a prefix: one word (`mount*`) matches the words starting with it; a word of several parts (`clip_00*`, `A001C0*`) matches the file names starting with it, whatever separates the parts (`A001C0*` finds `A001C003_230512.MXF` and `A001_C003.R3D`); after a field (`title:clip_00*`) it is a phrase whose last word is a prefix |
//! | `-word`, `-"a phrase"`, `-field:value` | exclusion: assets matching the clause are removed |
//! | `field:value`, `field:"a phrase"`, `field:pre*` | a word, phrase or prefix in one field |
//! | `duration:>60`, `height:>=2160`, `size:<=1GB`, `duration:10..60`, `width:1920` | number ranges (`>`, `>=`, `<`, `<=`, `=`, `a..b` inclusive, open `a..` or `..b`, or one value) |
//! | `captured:2021`, `captured:2022-05`, `captured:>2022-05-01`, `captured:2021-01-01..2021-12-31` | dates (UTC); a date means its whole year, month, day or minute, so `>2022-05-01` starts on May 2nd and `2021-01-01..2021-12-31` includes all of December 31st |
//!
//! **Words.** Text is split into words at spaces, punctuation, `_`, `-`, `.`, camelCase humps
//! and letter/digit boundaries (`clipName01` → `clip name 01`; `A001C003_230512` →
//! `a001 c003 230512`: one letter before digits stays attached), accents are folded and case
//! ignored (`Café` = `cafe`). A clause whose text splits into several words is a phrase of
//! them, so `A001C003` and `"a001 c003"` mean the same. Words of 5 or more characters that are
//! not all digits also match at edit distance 1 (`sunest` finds `sunset`), scored below exact
//! matches; quoted phrases and prefixes are never fuzzy. Common words (English function words
//! such as `the`, `and`, `of`, `with`, and a few German and French ones) beside other terms do
//! not narrow a search (`the harbour` finds what `harbour` finds); alone (`the`), in a phrase
//! (`"of the harbour"`) or excluded (`-the`) they count.
//!
//! **Fields** (names are case-insensitive; aliases after the slash):
//! - text: `title`, `name`/`file`/`filename` (the primary file's name), `path`,
//!   `keywords`/`keyword`/`tag`, `location` (= `location_name`), every text field of the
//!   metadata schema by its key (`description`, `headline`, `creator`, `rights`, `credit`,
//!   `location_name`, `camera_make`, `camera_model`, `lens`, `label`, ...), custom fields as
//!   `custom.KEY` (`custom.reel:A001`).
//! - exact values (case- and accent-insensitive, `*` suffix for a prefix): `type`/`media_type`
//!   (video, audio, image, document, other), `codec`, `state` (online, offline, missing,
//!   archived, restoring, ready), `storage`/`storage_class`, `resolution`/`res` (SD below 720
//!   lines, HD below 2160, UHD from 2160), `duplicates`/`dup` (yes, no).
//! - `source`: the exact source URI or name, or words of it.
//! - ranges: `duration` (seconds; also `90s`, `2min`, `1h`, `1:30`, `1:02:03`), `width`,
//!   `height`, `fps`/`frame_rate`, `size` (bytes; also `KB`, `MB`, `GB`, `TB`, `KiB`, `MiB`,
//!   `GiB`, `TiB`), `captured`/`captured_at`/`date` (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
//!   `YYYY-MM-DDThh:mm[:ss][Z]`). Assets without the value never match a range.
//!
//! A `field:` must be followed by its value without a space. A word containing a colon whose
//! part before it is not a field (`http://x`, `12:30`) is an error: quote it (`"12:30"`).
//!
//! **Errors.** An unclosed quote, an unknown field, a missing value, a bad number, range or
//! date, or an invalid choice (`type:movie`) give [`Error::Query`] with a message and the
//! character offset of the problem.
//!
//! # Results
//! `total` counts every matching asset; `hits` is the page (`offset`, `limit`, 20 by default)
//! in the requested order (relevance, or a fast field ascending or descending; assets without
//! the value come last either way). A hit's `score` is the relevance score, or 0 when sorted
//! by a field. With `facets`, each facet (`media_type`, `codec`, `resolution`, `source`,
//! `storage_class`, `state`, `keywords`, `has_duplicates`) lists the counts of its values
//! over all matching assets, most frequent first, at most [`FACET_LIMIT`] values each.
//! Counts are exact up to about [`EXACT_FACET_DOCS`] matching assets; beyond, they are
//! estimated from a sample of the matches (each weighed by the inverse of its sampling
//! rate), `facets_estimated` is true, and the rarest values may be left out. Browsing
//! everything (an empty query) is always counted exactly.

mod error;
mod exclusion;
mod facets;
mod index;
mod query;
mod tokenizer;

use std::collections::BTreeMap;

use serde::Serialize;

pub use error::{Error, Result};
pub use facets::{EXACT_DOCS as EXACT_FACET_DOCS, FACET_LIMIT};
pub use index::SearchIndex;

/// One asset as the search index sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchDoc {
    /// The asset id; [`SearchIndex::upsert`] replaces by it.
    pub id: u64,
    /// The title.
    pub title: String,
    /// The name of the asset's primary file, e.g. `A001C003_230512_R2EC.MXF`.
    pub file_name: String,
    /// The primary file's full path or key (lossy UTF-8).
    pub path: String,
    /// Other text fields of the schema by key (`description`, `headline`, `creator` joined
    /// by `"; "`, `rights`, `credit`, `location_name`, `camera_make`, `camera_model`, `lens`,
    /// `label`, ...).
    pub text: BTreeMap<String, String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Custom fields by key (`"custom.reel"` → `"A001"`).
    pub custom: BTreeMap<String, String>,
    /// `video`, `audio`, `image`, `document` or `other`.
    pub media_type: String,
    /// The video codec, else the audio codec.
    pub codec: Option<String>,
    /// Duration in seconds.
    pub duration: Option<f64>,
    /// Width in pixels.
    pub width: Option<u64>,
    /// Height in pixels.
    pub height: Option<u64>,
    /// Frames per second.
    pub frame_rate: Option<f64>,
    /// Size in bytes.
    pub size: u64,
    /// When it was captured, unix seconds (UTC).
    pub captured_at: Option<i64>,
    /// The source's URI or name.
    pub source: String,
    /// The storage class of where it is stored (e.g. `GLACIER`), when known.
    pub storage_class: Option<String>,
    /// `online`, `offline`, `missing`, `archived`, `restoring` or `ready`.
    pub state: String,
    /// Whether the asset has duplicates.
    pub has_duplicates: bool,
}

/// How to run a search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchOptions {
    /// The page size; 0 means 20.
    pub limit: usize,
    /// How many hits to skip.
    pub offset: usize,
    /// The order of hits.
    pub sort: Sort,
    /// Whether to count facet values over all matching assets.
    pub facets: bool,
    /// Only these assets (a manual collection), by id; `None`: all of them.
    pub within: Option<Vec<u64>>,
}

/// Checks that `query` is valid in the query language (for a query saved to run later).
pub fn validate_query(query: &str) -> Result<()> {
    query::parse(query).map(|_| ())
}

/// The order of hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// By capture time.
    Captured {
        /// Newest first.
        descending: bool,
    },
    /// By file name (case-insensitive).
    Name {
        /// Z to A.
        descending: bool,
    },
    /// By size.
    Size {
        /// Largest first.
        descending: bool,
    },
    /// By duration.
    Duration {
        /// Longest first.
        descending: bool,
    },
}

impl std::str::FromStr for Sort {
    type Err = String;

    /// `relevance`, `captured` (or `date`), `name`, `size`, `duration`; a leading `-` means
    /// descending.
    fn from_str(text: &str) -> std::result::Result<Sort, String> {
        let (descending, key) = match text.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, text),
        };
        Ok(match key {
            "relevance" if !descending => Sort::Relevance,
            "captured" | "date" => Sort::Captured { descending },
            "name" => Sort::Name { descending },
            "size" => Sort::Size { descending },
            "duration" => Sort::Duration { descending },
            _ => {
                return Err(format!(
                    "sort {text:?}: use relevance, captured, name, size or duration \
                     (- in front for descending)"
                ))
            }
        })
    }
}

impl std::fmt::Display for Sort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (key, descending) = match *self {
            Sort::Relevance => ("relevance", false),
            Sort::Captured { descending } => ("captured", descending),
            Sort::Name { descending } => ("name", descending),
            Sort::Size { descending } => ("size", descending),
            Sort::Duration { descending } => ("duration", descending),
        };
        write!(f, "{}{key}", if descending { "-" } else { "" })
    }
}

/// The answer to a search.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchResults {
    /// How many assets match (not just on this page).
    pub total: u64,
    /// The requested page of hits.
    pub hits: Vec<Hit>,
    /// Facet name → value counts, when [`SearchOptions::facets`] was set.
    pub facets: BTreeMap<String, Vec<FacetCount>>,
    /// Whether the facet counts are estimated from a sample of the matches (more than about
    /// [`EXACT_FACET_DOCS`] of them) rather than counted over all of them.
    pub facets_estimated: bool,
}

/// One matching asset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Hit {
    /// The asset id.
    pub id: u64,
    /// The relevance score (0 when sorted by a field).
    pub score: f32,
}

/// How many matching assets have one facet value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// The value as indexed (e.g. `video`, `HD`, `yes`).
    pub value: String,
    /// How many matching assets have it.
    pub count: u64,
}
