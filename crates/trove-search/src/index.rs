//! The tantivy index: schema, writing documents, and running searches.
//!
//! Only the asset id is kept per document (as a fast field, no doc store): hits are turned
//! back into ids through the `id` column, and everything else is looked up in the catalog.
//! One [`IndexWriter`] lives as long as the [`SearchIndex`]; the reader reloads only on
//! [`SearchIndex::commit`], so a search never sees half of a batch.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::columnar::Column;
use tantivy::directory::error::LockError;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, RangeQuery, RegexPhraseQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, TextAnalyzer, Token};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

use crate::exclusion::ForwardOnly;
use crate::facets::{self, FacetCounter};
use crate::query::{self, Clause, Leaf, NumField, TextTarget};
use crate::tokenizer::{self, EXACT, LOWER, PROSE, WORDS};
use crate::{Error, Hit, Result, SearchDoc, SearchOptions, SearchResults, Sort};

/// Bump when the schema, the tokenizers or what is indexed changes: an index written with
/// another version is recreated empty on open.
const SCHEMA_VERSION: u32 = 3;
/// The indexing memory budget, shared by the writer's threads.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;
/// The page size when [`SearchOptions::limit`] is 0.
const DEFAULT_LIMIT: usize = 20;
/// How much fuzzy (edit distance 1) matches count relative to exact ones.
const FUZZY_BOOST: f32 = 0.1;
/// Position gap between values of one keyed field, so phrases do not span two values.
const VALUE_GAP: usize = 8;
/// How many terms the words of a multi-word prefix (`clip_00*`) may match in one segment;
/// beyond, the query fails with an error rather than missing matches.
const PHRASE_PREFIX_EXPANSIONS: u32 = 1 << 20;
/// The duration column's value for assets without one (ranges start at 0, so never match it).
const NO_DURATION: f64 = -1.0;
/// Boosts of the fields a free word searches.
const TITLE_BOOST: f32 = 3.0;
const NAME_BOOST: f32 = 2.0;

/// The fields of the schema.
#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    name: Field,
    /// The file name's words run together as one term (`A001_C003.R3D` → `a001c003r3d`), for
    /// prefixes of names whatever their separators.
    name_whole: Field,
    path: Field,
    body: Field,
    /// `key:word` tokens of schema text fields, keywords, custom fields and the source.
    keyed: Field,
    /// `key=value` facet entries, indexed whole (case- and accent-folded) for filters.
    facet: Field,
    /// The values of each facet (in [`facets::FACET_NAMES`] order) as a string fast field of
    /// its own: one value per document, `""` when it has none (so that the column is dense and
    /// reads a block of documents without an index lookup), except keywords, which have many.
    facet_columns: [Field; facets::FACET_NAMES.len()],
    duration: Field,
    width: Field,
    height: Field,
    frame_rate: Field,
    size: Field,
    captured: Field,
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let prose = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(PROSE)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let exact = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(EXACT)
            .set_index_option(IndexRecordOption::Basic),
    );
    let facet_column = TextOptions::default().set_fast("raw");
    let fast = NumericOptions::default().set_fast();
    let fields = Fields {
        id: b.add_u64_field("id", NumericOptions::default().set_indexed().set_fast()),
        title: b.add_text_field("title", prose.clone()),
        name: b.add_text_field("name", words.clone().set_fast(LOWER)),
        name_whole: b.add_text_field("name_whole", exact.clone()),
        path: b.add_text_field("path", words.clone()),
        body: b.add_text_field("body", prose),
        keyed: b.add_text_field("keyed", words),
        facet: b.add_text_field("facet", exact),
        facet_columns: facets::FACET_NAMES
            .map(|name| b.add_text_field(&facets::column_name(name), facet_column.clone())),
        duration: b.add_f64_field("duration", fast.clone()),
        width: b.add_u64_field("width", fast.clone()),
        height: b.add_u64_field("height", fast.clone()),
        frame_rate: b.add_f64_field("frame_rate", fast.clone()),
        size: b.add_u64_field("size", fast.clone()),
        captured: b.add_i64_field("captured", fast),
    };
    (b.build(), fields)
}

/// What [`SearchIndex::commit`] stores in tantivy's commit payload.
#[derive(Serialize, Deserialize)]
struct Payload {
    schema_version: u32,
    applied_seq: Option<i64>,
}

/// Facet counts tagged with the searcher generation they were taken on.
type GenerationFacets = (u64, facets::Counts);

/// The search index of one library: a tantivy index in a directory of its own.
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    /// Taken on the first write and given back by [`SearchIndex::release_writer`]: a handle
    /// that only searches never holds tantivy's lock, so other processes can keep the index
    /// up to date meanwhile.
    writer: Option<IndexWriter<TantivyDocument>>,
    reader: IndexReader,
    fields: Fields,
    words: TextAnalyzer,
    exact: TextAnalyzer,
    applied_seq: Option<i64>,
    /// The facet counts of all documents for one searcher generation: browsing without a
    /// query is the commonest search and the costliest to facet.
    all_facets: Mutex<Option<GenerationFacets>>,
    /// Matching documents whose facets are counted exactly before a sample is counted instead.
    exact_facet_docs: u64,
    /// While the committed index is empty (new, or cleared): the ids added since, so that
    /// upserts of new ids skip the delete (a full build would otherwise queue a million
    /// deletes).
    added_to_empty: Option<HashSet<u64>>,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("applied_seq", &self.applied_seq)
            .finish_non_exhaustive()
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// Removes everything inside `dir` (an index of another version).
fn empty_dir(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if path.is_dir() {
            fs::remove_dir_all(&path).map_err(io_error(&path))?;
        } else {
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// The existing index in `dir` and its applied sequence, if it has this schema version.
fn open_existing(dir: &Path, schema: &Schema) -> Option<(Index, Option<i64>)> {
    let index = Index::open_in_dir(dir).ok()?;
    let payload: Payload =
        serde_json::from_str(index.load_metas().ok()?.payload.as_deref()?).ok()?;
    (payload.schema_version == SCHEMA_VERSION && index.schema() == *schema)
        .then_some((index, payload.applied_seq))
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and `dir`) when absent.
    ///
    /// The directory belongs to the index: when it holds an index of another schema version
    /// (or one that cannot be read), its contents are deleted and an empty index is created,
    /// whose [`applied_seq`](Self::applied_seq) is `None`. Any number of handles may search one
    /// directory; one at a time may write (see [`lock`](Self::lock)).
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let (schema, fields) = build_schema();
        let existing = if dir.join("meta.json").exists() {
            let existing = open_existing(dir, &schema);
            if existing.is_none() {
                empty_dir(dir)?;
            }
            existing
        } else {
            None
        };
        let is_new = existing.is_none();
        let (mut index, applied_seq) = match existing {
            Some(found) => found,
            None => (Index::create_in_dir(dir, schema)?, None),
        };
        // Segments are searched in parallel, one thread per core: a query over a million
        // documents is mostly per-segment work (scoring, counting facets).
        index.set_default_multithread_executor()?;
        index.tokenizers().register(WORDS, tokenizer::analyzer());
        index
            .tokenizers()
            .register(PROSE, tokenizer::prose_analyzer());
        index
            .tokenizers()
            .register(EXACT, tokenizer::exact_analyzer());
        index
            .fast_field_tokenizer()
            .register(LOWER, tokenizer::lower_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut search = SearchIndex {
            dir: dir.to_owned(),
            writer: None,
            index,
            reader,
            fields,
            words: tokenizer::analyzer(),
            exact: tokenizer::exact_analyzer(),
            applied_seq,
            all_facets: Mutex::new(None),
            exact_facet_docs: facets::EXACT_DOCS,
            added_to_empty: None,
        };
        if is_new {
            // Record the schema version at once, so that reopening finds it.
            search.commit_payload(None)?;
        } else if search.num_docs() == 0 {
            search.added_to_empty = Some(HashSet::new());
        }
        Ok(search)
    }

    /// Takes the writer lock (waiting up to `patience` for another process to give it back) and
    /// re-reads the applied sequence of the last commit, which that process may have moved.
    /// Writes take the lock themselves without waiting; this is for a caller that decides what
    /// to write from [`applied_seq`](Self::applied_seq). [`Error::Locked`] when it stays held.
    pub fn lock(&mut self, patience: Duration) -> Result<()> {
        if self.writer.is_some() {
            return Ok(());
        }
        let deadline = Instant::now() + patience;
        let mut pause = Duration::from_millis(5);
        loop {
            match self.index.writer(WRITER_MEMORY) {
                Ok(writer) => {
                    self.writer = Some(writer);
                    break;
                }
                Err(TantivyError::LockFailure(LockError::LockBusy, _)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(Error::Locked);
                    }
                    std::thread::sleep(pause.min(deadline - now));
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.refresh()?;
        if self.num_docs() == 0 && self.added_to_empty.is_none() {
            self.added_to_empty = Some(HashSet::new());
        }
        Ok(())
    }

    /// Gives the writer lock back (uncommitted changes are dropped), so that another process
    /// can write; the next write takes it again.
    pub fn release_writer(&mut self) {
        self.writer = None;
    }

    /// Whether this handle holds the writer lock.
    pub fn is_writing(&self) -> bool {
        self.writer.is_some()
    }

    /// How many matching documents a search counts facets over exactly before it estimates
    /// them from a sample ([`crate::EXACT_FACET_DOCS`] unless set; browsing everything is
    /// always exact).
    pub fn set_exact_facet_docs(&mut self, docs: u64) {
        self.exact_facet_docs = docs;
    }

    /// Sees the latest commit, including one made by another process.
    pub fn refresh(&mut self) -> Result<()> {
        self.reader.reload()?;
        let payload = self.index.load_metas()?.payload;
        if let Some(payload) = payload
            .as_deref()
            .and_then(|p| serde_json::from_str::<Payload>(p).ok())
        {
            self.applied_seq = payload.applied_seq;
        }
        Ok(())
    }

    fn writer(&mut self) -> Result<&mut IndexWriter<TantivyDocument>> {
        self.lock(Duration::ZERO)?;
        self.writer.as_mut().ok_or(Error::Locked)
    }

    /// Adds `docs`, replacing any document with the same id. Visible after [`commit`](Self::commit).
    pub fn upsert(&mut self, docs: &[SearchDoc]) -> Result<()> {
        self.writer()?;
        for doc in docs {
            let replace = match &mut self.added_to_empty {
                Some(added) => !added.insert(doc.id),
                None => true,
            };
            let term = Term::from_field_u64(self.fields.id, doc.id);
            let document = self.document(doc);
            let writer = self.writer()?;
            if replace {
                writer.delete_term(term);
            }
            writer.add_document(document)?;
        }
        Ok(())
    }

    /// Removes the documents with these ids. Visible after [`commit`](Self::commit).
    pub fn delete(&mut self, ids: &[u64]) -> Result<()> {
        self.writer()?;
        for &id in ids {
            if let Some(added) = &mut self.added_to_empty {
                added.remove(&id);
            }
            let term = Term::from_field_u64(self.fields.id, id);
            self.writer()?.delete_term(term);
        }
        Ok(())
    }

    /// Removes every document, including ones upserted and not yet committed (for a rebuild).
    /// Visible after [`commit`](Self::commit); documents upserted after `clear` are kept.
    pub fn clear(&mut self) -> Result<()> {
        self.writer()?.delete_query(Box::new(AllQuery))?;
        self.added_to_empty = Some(HashSet::new());
        Ok(())
    }

    /// Makes all changes durable and visible, recording `applied_seq` (the last catalog change
    /// they include) in the commit.
    pub fn commit(&mut self, applied_seq: i64) -> Result<()> {
        self.commit_payload(Some(applied_seq))
    }

    fn commit_payload(&mut self, applied_seq: Option<i64>) -> Result<()> {
        let payload = Payload {
            schema_version: SCHEMA_VERSION,
            applied_seq,
        };
        let payload = serde_json::to_string(&payload).unwrap_or_default();
        let mut prepared = self.writer()?.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        self.applied_seq = applied_seq;
        self.added_to_empty = (self.num_docs() == 0).then(HashSet::new);
        Ok(())
    }

    /// The catalog change sequence number of the last commit; `None` for a new index.
    pub fn applied_seq(&self) -> Option<i64> {
        self.applied_seq
    }

    /// How many documents the last commit holds.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Runs `query` (see the crate docs for the language) as of the last commit.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Result<SearchResults> {
        let clauses = query::parse(query)?;
        let matches_all =
            options.within.is_none() && clauses.iter().all(|c| !c.exclude && c.leaf == Leaf::All);
        let mut query = self.build(clauses);
        if let Some(ids) = &options.within {
            let ids = ids
                .iter()
                .map(|&id| Term::from_field_u64(self.fields.id, id));
            query = Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (Occur::Must, Box::new(TermSetQuery::new(ids))),
            ]));
        }
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let cached_facets = if matches_all && options.facets {
            self.all_facets.lock().ok().and_then(|cache| {
                cache
                    .as_ref()
                    .filter(|(g, _)| *g == generation)
                    .map(|(_, c)| c.clone())
            })
        } else {
            None
        };
        let num_docs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        let limit = match options.limit {
            0 => DEFAULT_LIMIT,
            n => n,
        }
        .min(num_docs.max(1));
        let offset = options.offset.min(num_docs);
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let facets = FacetCounter {
            enabled: options.facets && cached_facets.is_none(),
            // Browsing everything is counted once per commit and kept, so exactly.
            exact: matches_all,
            exact_docs: self.exact_facet_docs,
            max_docs: searcher
                .segment_readers()
                .iter()
                .map(|s| u64::from(s.max_doc()))
                .sum(),
        };
        let order = |descending| if descending { Order::Desc } else { Order::Asc };
        let (total, docs, counts) = match options.sort {
            Sort::Relevance => collect(&searcher, &*query, top.order_by_score(), facets, |s| *s)?,
            Sort::Captured { descending } => collect(
                &searcher,
                &*query,
                top.order_by_fast_field::<i64>("captured", order(descending)),
                facets,
                |_| 0.0,
            )?,
            Sort::Name { descending } => collect(
                &searcher,
                &*query,
                top.order_by_string_fast_field("name", order(descending)),
                facets,
                |_| 0.0,
            )?,
            Sort::Size { descending } => collect(
                &searcher,
                &*query,
                top.order_by_fast_field::<u64>("size", order(descending)),
                facets,
                |_| 0.0,
            )?,
            // NO_DURATION sorts last either way.
            Sort::Duration { descending: true } => collect(
                &searcher,
                &*query,
                top.order_by_fast_field::<f64>("duration", Order::Desc),
                facets,
                |_| 0.0,
            )?,
            Sort::Duration { descending: false } => collect(
                &searcher,
                &*query,
                top.order_by(|segment: &tantivy::SegmentReader| {
                    let column = segment.fast_fields().f64("duration").ok();
                    move |doc| match column.as_ref().and_then(|c| c.first(doc)) {
                        Some(x) if x >= 0.0 => -x,
                        _ => f64::NEG_INFINITY,
                    }
                }),
                facets,
                |_| 0.0,
            )?,
        };
        let (counts, facets_estimated) = match cached_facets {
            Some(cached) => cached,
            None => {
                if matches_all && options.facets {
                    if let Ok(mut cache) = self.all_facets.lock() {
                        *cache = Some((generation, counts.clone()));
                    }
                }
                counts
            }
        };
        let mut id_columns: Vec<Option<Column<u64>>> = vec![None; searcher.segment_readers().len()];
        let mut hits = Vec::with_capacity(docs.len());
        for (score, address) in docs {
            let slot = &mut id_columns[address.segment_ord as usize];
            if slot.is_none() {
                *slot = Some(
                    searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .u64("id")?,
                );
            }
            if let Some(id) = slot.as_ref().and_then(|c| c.first(address.doc_id)) {
                hits.push(Hit { id, score });
            }
        }
        Ok(SearchResults {
            total,
            hits,
            facets: if options.facets {
                facets::group(&counts, total)
            } else {
                Default::default()
            },
            facets_estimated: options.facets && facets_estimated,
        })
    }

    /// The tantivy document of `doc`.
    fn document(&mut self, doc: &SearchDoc) -> TantivyDocument {
        let f = self.fields;
        let mut d = TantivyDocument::new();
        d.add_u64(f.id, doc.id);
        d.add_text(f.title, &doc.title);
        d.add_text(f.name, &doc.file_name);
        let whole = tokenizer::tokens(&mut self.words, &doc.file_name).concat();
        d.add_text(f.name_whole, whole);
        d.add_text(f.path, &doc.path);
        for value in doc
            .text
            .values()
            .chain(&doc.keywords)
            .chain(doc.custom.values())
        {
            d.add_text(f.body, value);
        }

        let mut keyed = Vec::new();
        let mut push = |key: &str, value: &str| {
            let base = keyed.last().map_or(0, |t: &Token| t.position + VALUE_GAP);
            for (i, word) in tokenizer::tokens(&mut self.words, value)
                .into_iter()
                .enumerate()
            {
                keyed.push(Token {
                    text: format!("{key}:{word}"),
                    position: base + i,
                    ..Token::default()
                });
            }
        };
        for (key, value) in &doc.text {
            push(&key.to_lowercase(), value);
        }
        for keyword in &doc.keywords {
            push("keywords", keyword);
        }
        for (key, value) in &doc.custom {
            let key = key.to_lowercase();
            if key.starts_with(trove_core::CUSTOM_PREFIX) {
                push(&key, value);
            } else {
                push(&format!("{}{key}", trove_core::CUSTOM_PREFIX), value);
            }
        }
        push("source", &doc.source);
        if !keyed.is_empty() {
            d.add_pre_tokenized_text(
                f.keyed,
                PreTokenizedString {
                    text: String::new(),
                    tokens: keyed,
                },
            );
        }

        let keywords = facets::FACET_NAMES
            .iter()
            .position(|n| *n == "keywords")
            .unwrap_or(usize::MAX);
        for (i, name) in facets::FACET_NAMES.iter().enumerate() {
            let values: Vec<&str> = match *name {
                "media_type" => vec![&doc.media_type],
                "codec" => vec![doc.codec.as_deref().unwrap_or("")],
                "resolution" => vec![doc.height.map_or("", resolution)],
                "source" => vec![&doc.source],
                "storage_class" => vec![doc.storage_class.as_deref().unwrap_or("")],
                "state" => vec![&doc.state],
                "keywords" => doc.keywords.iter().map(String::as_str).collect(),
                "has_duplicates" => vec![if doc.has_duplicates { "yes" } else { "no" }],
                _ => Vec::new(),
            };
            for value in values {
                if !value.is_empty() {
                    d.add_text(f.facet, format!("{name}={value}"));
                }
                if !value.is_empty() || i != keywords {
                    d.add_text(f.facet_columns[i], value);
                }
            }
        }

        // Every document has a duration, NO_DURATION when it has none: a dense column is read
        // without mapping rows to documents, which halves the cost of `duration:` ranges.
        let duration = doc.duration.filter(|x| x.is_finite() && *x >= 0.0);
        d.add_f64(f.duration, duration.unwrap_or(NO_DURATION));
        if let Some(x) = doc.width {
            d.add_u64(f.width, x);
        }
        if let Some(x) = doc.height {
            d.add_u64(f.height, x);
        }
        if let Some(x) = doc.frame_rate.filter(|x| x.is_finite()) {
            d.add_f64(f.frame_rate, x);
        }
        d.add_u64(f.size, doc.size);
        if let Some(x) = doc.captured_at {
            d.add_i64(f.captured, x);
        }
        d
    }

    /// The tantivy query of parsed clauses.
    fn build(&self, clauses: Vec<Clause>) -> Box<dyn Query> {
        let mut words = self.words.clone();
        let mut exact = self.exact.clone();
        let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut positive = false;
        // Common words ("the", "and") beside other terms do not narrow a search: they are in
        // most documents, and reading their postings would cost more than all the rest. A
        // phrase keeps them ("of the harbour"), and so does a search of nothing else.
        let common: Vec<bool> = clauses
            .iter()
            .map(|c| {
                !c.exclude
                    && matches!(&c.leaf, Leaf::Text {
                        target: TextTarget::Default,
                        text,
                        prefix: false,
                        quoted: false,
                    } if matches!(
                        tokenizer::tokens(&mut words, text).as_slice(),
                        [word] if tokenizer::is_common(word)
                    ))
            })
            .collect();
        let narrows = clauses
            .iter()
            .zip(&common)
            .any(|(c, &common)| !c.exclude && !common && c.leaf != Leaf::All);
        let clauses = clauses
            .into_iter()
            .zip(common)
            .filter(|(_, common)| !(narrows && *common))
            .map(|(c, _)| c);
        for clause in clauses {
            let Some(q) = self.leaf(clause.leaf, &mut words, &mut exact) else {
                continue; // no words in it (only punctuation): no constraint
            };
            if clause.exclude {
                subs.push((Occur::MustNot, Box::new(ForwardOnly(q))));
            } else {
                positive = true;
                subs.push((Occur::Must, q));
            }
        }
        if !positive {
            subs.push((Occur::Must, Box::new(AllQuery)));
        }
        if subs.len() == 1 && subs[0].0 == Occur::Must {
            if let Some((_, q)) = subs.pop() {
                return q;
            }
        }
        Box::new(BooleanQuery::new(subs))
    }

    fn leaf(
        &self,
        leaf: Leaf,
        words: &mut TextAnalyzer,
        exact: &mut TextAnalyzer,
    ) -> Option<Box<dyn Query>> {
        let f = self.fields;
        match leaf {
            Leaf::All => Some(Box::new(AllQuery)),
            Leaf::Text {
                target,
                text,
                prefix,
                quoted,
            } => {
                let tokens = tokenizer::tokens(words, &text);
                if prefix
                    && tokens.len() > 1
                    && matches!(target, TextTarget::Default | TextTarget::Name)
                    && !text.contains(char::is_whitespace)
                {
                    // One word of several parts (`clip_00*`, `A012C0*`): the start of a file
                    // name, whatever its separators, looked up among whole names (a phrase
                    // prefix over every field would expand the last part to thousands of terms).
                    let whole = tokens.concat();
                    return Some(prefix_query(Term::from_field_text(f.name_whole, &whole)));
                }
                let fuzzy = !quoted && !prefix && tokens.len() == 1 && is_fuzzy_word(&tokens[0]);
                let (fields, boosts): (Vec<(Field, Option<&str>)>, Vec<f32>) = match &target {
                    TextTarget::Default => (
                        vec![
                            (f.title, None),
                            (f.name, None),
                            (f.path, None),
                            (f.body, None),
                        ],
                        vec![TITLE_BOOST, NAME_BOOST, 1.0, 1.0],
                    ),
                    TextTarget::Title => (vec![(f.title, None)], vec![1.0]),
                    TextTarget::Name => (vec![(f.name, None)], vec![1.0]),
                    TextTarget::Path => (vec![(f.path, None)], vec![1.0]),
                    TextTarget::Keyed(key) => (vec![(f.keyed, Some(key.as_str()))], vec![1.0]),
                };
                let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (&(field, key), &boost) in fields.iter().zip(&boosts) {
                    let prose = field == f.title || field == f.body;
                    let Some(q) = terms_query(field, key, &tokens, prefix, prose) else {
                        continue;
                    };
                    let q: Box<dyn Query> = if boost == 1.0 {
                        q
                    } else {
                        Box::new(BoostQuery::new(q, boost))
                    };
                    subs.push((Occur::Should, q));
                }
                if fuzzy {
                    // Typo matches score a small constant, whatever the field: below any exact match.
                    // Not in paths: their words are folder and file names, and the file name is
                    // searched as the name.
                    let fuzzies = fields
                        .iter()
                        .filter(|&&(field, _)| field != f.path)
                        .map(|&(field, key)| {
                            Box::new(FuzzyTermQuery::new(term(field, key, &tokens[0]), 1, true))
                                as Box<dyn Query>
                        })
                        .collect();
                    let q =
                        BoostQuery::new(Box::new(DisjunctionMaxQuery::new(fuzzies)), FUZZY_BOOST);
                    subs.push((Occur::Should, Box::new(q)));
                }
                match subs.len() {
                    0 => None,
                    1 => subs.pop().map(|(_, q)| q),
                    _ => Some(Box::new(BooleanQuery::new(subs))),
                }
            }
            Leaf::Exact { key, value, prefix } => {
                Some(self.exact_query(exact, key, &value, prefix))
            }
            Leaf::Source {
                text,
                prefix,
                quoted,
            } => {
                let whole = self.exact_query(exact, "source", &text, prefix);
                let tokens = tokenizer::tokens(words, &text);
                let mut subs = vec![(Occur::Should, whole)];
                if let Some(q) = terms_query(f.keyed, Some("source"), &tokens, prefix, false) {
                    if !quoted || tokens.len() > 1 {
                        subs.push((Occur::Should, q));
                    }
                }
                Some(Box::new(BooleanQuery::new(subs)))
            }
            Leaf::Range {
                field,
                lower,
                upper,
            } => Some(self.range_query(field, lower, upper)),
        }
    }

    fn exact_query(
        &self,
        exact: &mut TextAnalyzer,
        key: &str,
        value: &str,
        prefix: bool,
    ) -> Box<dyn Query> {
        let entry = format!("{key}={value}");
        let normalized = tokenizer::tokens(exact, &entry)
            .into_iter()
            .next()
            .unwrap_or(entry);
        let term = Term::from_field_text(self.fields.facet, &normalized);
        if prefix {
            prefix_query(term)
        } else {
            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
        }
    }

    fn range_query(&self, field: NumField, lower: Bound<f64>, upper: Bound<f64>) -> Box<dyn Query> {
        let f = self.fields;
        let (lower, upper) = match (lower, upper) {
            (Bound::Unbounded, Bound::Unbounded) => (Bound::Included(f64::MIN), Bound::Unbounded),
            bounds => bounds,
        };
        // Durations are never negative; below 0 is NO_DURATION.
        let lower = match lower {
            Bound::Included(x) | Bound::Excluded(x) if x < 0.0 && field == NumField::Duration => {
                Bound::Included(0.0)
            }
            Bound::Unbounded if field == NumField::Duration => Bound::Included(0.0),
            bound => bound,
        };
        match field {
            NumField::Duration | NumField::FrameRate => {
                let field = if field == NumField::Duration {
                    f.duration
                } else {
                    f.frame_rate
                };
                let term = |x: f64| Term::from_field_f64(field, x);
                Box::new(RangeQuery::new(lower.map(term), upper.map(term)))
            }
            NumField::Width | NumField::Height | NumField::Size => {
                let field = match field {
                    NumField::Width => f.width,
                    NumField::Height => f.height,
                    _ => f.size,
                };
                let Some((lo, hi)) = integer_bounds(lower, upper, 0, i128::from(u64::MAX)) else {
                    return Box::new(EmptyQuery);
                };
                let term = |x: i128| Term::from_field_u64(field, x as u64);
                Box::new(RangeQuery::new(
                    Bound::Included(term(lo)),
                    Bound::Included(term(hi)),
                ))
            }
            NumField::Captured => {
                let Some((lo, hi)) =
                    integer_bounds(lower, upper, i128::from(i64::MIN), i128::from(i64::MAX))
                else {
                    return Box::new(EmptyQuery);
                };
                let term = |x: i128| Term::from_field_i64(f.captured, x as i64);
                Box::new(RangeQuery::new(
                    Bound::Included(term(lo)),
                    Bound::Included(term(hi)),
                ))
            }
        }
    }
}

/// Inclusive integer bounds within `min..=max`, or `None` when the range is empty.
fn integer_bounds(
    lower: Bound<f64>,
    upper: Bound<f64>,
    min: i128,
    max: i128,
) -> Option<(i128, i128)> {
    // `as` saturates, and the parser only gives finite numbers.
    let lo = match lower {
        Bound::Included(x) => x.ceil() as i128,
        Bound::Excluded(x) => x.floor() as i128 + 1,
        Bound::Unbounded => min,
    }
    .max(min);
    let hi = match upper {
        Bound::Included(x) => x.floor() as i128,
        Bound::Excluded(x) => x.ceil() as i128 - 1,
        Bound::Unbounded => max,
    }
    .min(max);
    (lo <= hi).then_some((lo, hi))
}

/// Whether a word is long enough (5+ characters, not all digits) to match at edit distance 1.
fn is_fuzzy_word(word: &str) -> bool {
    word.chars().count() >= 5 && !word.chars().all(|c| c.is_ascii_digit())
}

/// The text of `token`'s term: `key:token` in a keyed field, else the token.
fn term_text(key: Option<&str>, token: &str) -> String {
    match key {
        Some(key) => format!("{key}:{token}"),
        None => token.to_owned(),
    }
}

/// The term of `token` in `field` (as `key:token` when keyed).
fn term(field: Field, key: Option<&str>, token: &str) -> Term {
    Term::from_field_text(field, &term_text(key, token))
}

/// A term, phrase or prefix query for `tokens` in `field` (as `key:token` terms when keyed);
/// phrases in a `prose` field use its common grams.
fn terms_query(
    field: Field,
    key: Option<&str>,
    tokens: &[String],
    prefix: bool,
    prose: bool,
) -> Option<Box<dyn Query>> {
    let mut terms: Vec<Term> = tokens.iter().map(|t| term(field, key, t)).collect();
    if prefix {
        return match terms.len() {
            0 => None,
            1 => terms.pop().map(prefix_query),
            _ => {
                // Exact words, then any word starting with the last one. Unlike tantivy's
                // PhrasePrefixQuery (which stops at a number of expansions and looks each one
                // up again), the regex phrase walks the dictionary once and takes them all.
                let last = tokens.len() - 1;
                let patterns = tokens
                    .iter()
                    .enumerate()
                    .map(|(i, token)| {
                        let pattern = regex::escape(&term_text(key, token));
                        if i == last {
                            format!("{pattern}.*")
                        } else {
                            pattern
                        }
                    })
                    .collect();
                let mut q = RegexPhraseQuery::new(field, patterns);
                q.set_max_expansions(PHRASE_PREFIX_EXPANSIONS);
                Some(Box::new(q))
            }
        };
    }
    if terms.len() > 1 && prose && key.is_none() {
        let mut terms: Vec<(usize, Term)> = tokenizer::prose_phrase(tokens)
            .into_iter()
            .map(|(offset, text)| (offset, Term::from_field_text(field, &text)))
            .collect();
        if terms.len() == 1 {
            let (_, term) = terms.pop()?;
            return Some(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)));
        }
        return Some(Box::new(PhraseQuery::new_with_offset(terms)));
    }
    if terms.len() > 1 {
        return Some(Box::new(PhraseQuery::new(terms)));
    }
    let term = terms.pop()?;
    Some(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)))
}

/// Every term starting with `term` (no limit on how many, unlike a one-term
/// `PhrasePrefixQuery`, which stops at 50).
fn prefix_query(term: Term) -> Box<dyn Query> {
    Box::new(FuzzyTermQuery::new_prefix(term, 0, false))
}

/// SD below 720 lines, HD below 2160, UHD from 2160.
fn resolution(height: u64) -> &'static str {
    match height {
        0..720 => "SD",
        720..2160 => "HD",
        _ => "UHD",
    }
}

type Collected = (u64, Vec<(f32, DocAddress)>, facets::Counts);

/// Runs `top` with a count and the facet counter; `score` turns a sort key into a hit score.
fn collect<K, C>(
    searcher: &Searcher,
    query: &dyn Query,
    top: C,
    facets: FacetCounter,
    score: fn(&K) -> f32,
) -> Result<Collected>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
{
    let (total, (docs, counts)) = searcher.search(query, &(Count, (top, facets)))?;
    let docs = docs.into_iter().map(|(k, a)| (score(&k), a)).collect();
    Ok((total as u64, docs, counts))
}
