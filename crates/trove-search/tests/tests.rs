//! Integration tests of trove-search against a real index in a temporary directory.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;
use trove_search::{Error, SearchDoc, SearchIndex, SearchOptions, Sort};

const DAY: i64 = 86_400;
/// 2021-06-15T00:00:00Z
const JUN_15_2021: i64 = 1_623_715_200;
/// 2022-05-01T12:00:00Z
const MAY_1_2022_NOON: i64 = 1_651_406_400;

struct Doc(SearchDoc);

impl Doc {
    fn new(id: u64, media_type: &str, file_name: &str, title: &str) -> Doc {
        Doc(SearchDoc {
            id,
            title: title.to_owned(),
            file_name: file_name.to_owned(),
            path: format!("/vol/shoot/{file_name}"),
            media_type: media_type.to_owned(),
            size: 1_000 * id,
            source: "file:///vol/shoot".to_owned(),
            state: "online".to_owned(),
            ..SearchDoc::default()
        })
    }
    fn text(mut self, key: &str, value: &str) -> Doc {
        self.0.text.insert(key.to_owned(), value.to_owned());
        self
    }
    fn keywords(mut self, keywords: &[&str]) -> Doc {
        self.0.keywords = keywords.iter().map(|k| (*k).to_owned()).collect();
        self
    }
    fn custom(mut self, key: &str, value: &str) -> Doc {
        self.0.custom.insert(key.to_owned(), value.to_owned());
        self
    }
    fn video(mut self, codec: &str, width: u64, height: u64, duration: f64) -> Doc {
        self.0.codec = Some(codec.to_owned());
        self.0.width = Some(width);
        self.0.height = Some(height);
        self.0.duration = Some(duration);
        self.0.frame_rate = Some(25.0);
        self
    }
    fn size(mut self, size: u64) -> Doc {
        self.0.size = size;
        self
    }
    fn captured(mut self, at: i64) -> Doc {
        self.0.captured_at = Some(at);
        self
    }
    fn state(mut self, state: &str) -> Doc {
        self.0.state = state.to_owned();
        self
    }
}

fn corpus() -> Vec<SearchDoc> {
    let mut audio = Doc::new(4, "audio", "ambience_forest.wav", "Forest ambience")
        .keywords(&["nature"])
        .size(100_000_000)
        .captured(JUN_15_2021 + 199 * DAY + 23 * 3600) // 2021-12-31T23:00Z
        .state("offline");
    audio.0.codec = Some("pcm_s24le".into());
    audio.0.duration = Some(300.0);
    audio.0.source = "s3://bucket/audio".into();
    let mut image = Doc::new(3, "image", "IMG_1234.JPG", "Mountain panorama")
        .keywords(&["mountain", "landscape"])
        .text("location_name", "Zermatt")
        .size(12_000_000)
        .captured(1_578_614_400) // 2020-01-10
        .state("archived");
    image.0.width = Some(6000);
    image.0.height = Some(4000);
    image.0.storage_class = Some("GLACIER".into());
    let mut interview = Doc::new(2, "video", "clipName01.mov", "Interview with the mayor")
        .video("h264", 1920, 1080, 45.0)
        .keywords(&["interview"])
        .text("creator", "María García")
        .custom("custom.reel", "B002")
        .size(800_000_000)
        .captured(MAY_1_2022_NOON);
    interview.0.has_duplicates = true;
    vec![
        Doc::new(1, "video", "A001C003_230512_R2EC.MXF", "Beach day")
            .video("prores", 3840, 2160, 120.0)
            .text("description", "Waves at sunset on the beach")
            .text("creator", "Jo Smith; Ann Lee")
            .text("location_name", "Café du Port")
            .keywords(&["beach", "sunset"])
            .custom("custom.reel", "A001")
            .size(5_000_000_000)
            .captured(JUN_15_2021)
            .0,
        interview.0,
        image.0,
        audio.0,
        Doc::new(5, "document", "Contract_2021.pdf", "Release form")
            .size(200_000)
            .state("missing")
            .0,
        Doc::new(6, "video", "clip_001.mov", "Clip one")
            .video("h264", 1280, 720, 10.0)
            .size(50_000_000)
            .captured(1_677_628_800) // 2023-03-01
            .0,
        Doc::new(7, "video", "clip_002.mov", "Clip two")
            .video("h264", 720, 576, 8.0)
            .size(40_000_000)
            .0,
        Doc::new(8, "video", "sunset_timelapse.mp4", "Sunset timelapse")
            .video("hevc", 3840, 2160, 60.0)
            .size(900_000_000)
            .captured(MAY_1_2022_NOON + DAY)
            .0,
        Doc::new(9, "image", "sunsets_board.png", "Sunsets")
            .size(300_000)
            .0,
        Doc::new(10, "other", "notes.txt", "Notes")
            .text("headline", "Shooting schedule")
            .0,
    ]
}

fn open(dir: &Path) -> SearchIndex {
    let mut index = SearchIndex::open(dir).unwrap();
    index.upsert(&corpus()).unwrap();
    index.commit(1).unwrap();
    index
}

fn ids(index: &SearchIndex, query: &str) -> Vec<u64> {
    let options = SearchOptions {
        limit: 100,
        ..SearchOptions::default()
    };
    let results = index
        .search(query, &options)
        .unwrap_or_else(|e| panic!("{query:?}: {e}"));
    assert_eq!(results.total, results.hits.len() as u64, "{query:?}");
    let mut ids: Vec<u64> = results.hits.iter().map(|h| h.id).collect();
    ids.sort_unstable();
    ids
}

fn check(index: &SearchIndex, query: &str, expect: &[u64]) {
    assert_eq!(ids(index, query), expect, "query {query:?}");
}

fn first(index: &SearchIndex, query: &str) -> u64 {
    index.search(query, &SearchOptions::default()).unwrap().hits[0].id
}

#[test]
fn query_forms() {
    let tmp = tempfile::tempdir().unwrap();
    let index = open(tmp.path());
    let cases: &[(&str, &[u64])] = &[
        ("", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        ("*", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        // free words, AND
        ("beach", &[1]),
        ("sunset beach", &[1]),
        ("sunset", &[1, 8, 9]), // 9 by typo tolerance ("sunsets")
        ("schedule", &[10]),
        // phrases, with common words too
        (r#""sunset on the""#, &[1]),
        (r#""the sunset""#, &[]),
        (r#""with the""#, &[2]),
        (r#""the with""#, &[]),
        (r#""interview with the mayor""#, &[2]),
        (r#""interview with the""#, &[2]),
        (r#""interview the mayor""#, &[]),
        (r#""on the beach""#, &[1]),
        (r#""waves at sunset on the beach""#, &[1]),
        // a common word beside other terms does not narrow; alone it does
        ("the sunset", &[1, 8, 9]),
        ("the", &[1, 2]),
        ("the with", &[2]), // only common words: all kept
        ("the type:video", &[1, 2, 6, 7, 8]),
        ("-the type:video", &[6, 7, 8]),
        // fields
        ("creator:jo", &[1]),
        ("creator:garcia", &[2]),
        ("creator:\"ann lee\"", &[1]),
        ("description:waves", &[1]),
        ("location:cafe", &[1]),
        ("location_name:zermatt", &[3]),
        ("keywords:mountain", &[3]),
        ("title:forest", &[4]),
        ("name:clip", &[2, 6, 7]),
        ("path:shoot type:document", &[5]),
        ("headline:schedule", &[10]),
        ("codec:h264", &[2, 6, 7]),
        ("codec:H264 -name:clip_002", &[2, 6]),
        ("type:audio", &[4]),
        ("state:archived", &[3]),
        ("storage:glacier", &[3]),
        ("resolution:uhd", &[1, 3, 8]),
        ("resolution:hd", &[2, 6]),
        ("resolution:sd", &[7]),
        ("duplicates:yes", &[2]),
        ("custom.reel:A001", &[1]),
        ("custom.reel:b002", &[2]),
        ("source:\"s3://bucket/audio\"", &[4]),
        ("source:bucket", &[4]),
        ("codec:pcm*", &[4]),
        ("storage:GLAC*", &[3]),
        ("type:vid*", &[1, 2, 6, 7, 8]),
        // ranges
        ("duration:>60", &[1, 4]),
        ("duration:>=60", &[1, 4, 8]),
        ("duration:<=10", &[6, 7]),
        ("duration:10..60", &[2, 6, 8]),
        ("duration:<5", &[]),
        ("duration:>=0", &[1, 2, 4, 6, 7, 8]),
        ("duration:>1min", &[1, 4]),
        ("height:>=2160", &[1, 3, 8]),
        ("width:1920", &[2]),
        ("fps:25 type:video", &[1, 2, 6, 7, 8]),
        ("size:>1000000000", &[1]),
        ("size:>=900MB", &[1, 8]),
        ("captured:2021-01-01..2021-12-31", &[1, 4]),
        ("captured:2021", &[1, 4]),
        ("captured:>2022-05-01", &[6, 8]),
        ("captured:2022-05-01", &[2]),
        ("captured:<2021", &[3]),
        ("captured:2022-05", &[2, 8]),
        // prefixes; a word of several parts is the start of a file name, whatever separates
        // the parts
        ("clip_00*", &[6, 7]),
        ("clip00*", &[6, 7]),
        ("name:clip_00*", &[6, 7]),
        ("A001C0*", &[1]),
        ("A001_C00*", &[1]),
        ("A001C1*", &[]),
        ("name:clip*", &[2, 6, 7]),
        ("mount*", &[3]),
        // typo tolerance
        ("sunest", &[1, 8]), // "sunsets" is 2 edits away
        ("mountian", &[3]),
        ("intreview", &[2]),
        // exclusion
        ("sunset -beach", &[8, 9]),
        ("-type:video", &[3, 4, 5, 9, 10]),
        ("-\"sunset timelapse\" type:video", &[1, 2, 6, 7]),
        // tokenizer: underscores, camelCase, accents
        ("A001C003_230512_R2EC.MXF", &[1]),
        ("a001", &[1]),
        ("230512", &[1]),
        ("clipName01", &[2]),
        ("clip name", &[2]),
        ("cafe", &[1]),
        ("Café", &[1]),
        ("garcía", &[2]),
        ("IMG_1234", &[3]),
        ("1234", &[3]),
        // combinations of phrases, prefixes, exclusions and ranges
        (r#""sunset on" type:video duration:>60"#, &[1]),
        ("clip_00* -clip_001", &[7]),
        ("-clip_00* type:video", &[1, 2, 8]),
        ("-\"clip two\" -name:clip_001 clip", &[2]),
        ("-duration:>=10 type:video", &[7]),
        // punctuation only: no constraint
        ("!!", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    ];
    for (query, expect) in cases {
        check(&index, query, expect);
    }
}

#[test]
fn exact_matches_rank_first() {
    let tmp = tempfile::tempdir().unwrap();
    let index = open(tmp.path());
    assert_eq!(first(&index, "A001C003_230512_R2EC.MXF"), 1);
    assert_eq!(first(&index, "clip_002.mov"), 7);
    assert_eq!(first(&index, "IMG_1234.JPG"), 3);
    // The fuzzy match ("sunsets") comes after the exact ones.
    let hits = index
        .search("sunset", &SearchOptions::default())
        .unwrap()
        .hits;
    assert_eq!(hits.last().unwrap().id, 9);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

fn sorted(index: &SearchIndex, query: &str, sort: Sort, limit: usize, offset: usize) -> Vec<u64> {
    let options = SearchOptions {
        limit,
        offset,
        sort,
        facets: false,
        within: None,
    };
    index
        .search(query, &options)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn sorting_and_pagination() {
    let tmp = tempfile::tempdir().unwrap();
    let index = open(tmp.path());
    let by_size_desc = vec![1, 8, 2, 4, 6, 7, 3, 9, 5, 10];
    assert_eq!(
        sorted(&index, "", Sort::Size { descending: true }, 0, 0),
        by_size_desc
    );
    let mut by_size_asc = by_size_desc.clone();
    by_size_asc.reverse();
    assert_eq!(
        sorted(&index, "*", Sort::Size { descending: false }, 0, 0),
        by_size_asc
    );
    assert_eq!(
        sorted(&index, "", Sort::Size { descending: true }, 3, 2),
        vec![2, 4, 6]
    );
    assert_eq!(
        sorted(&index, "", Sort::Size { descending: true }, 3, 9),
        vec![10]
    );
    assert!(sorted(&index, "", Sort::Size { descending: true }, 3, 50).is_empty());
    assert_eq!(
        sorted(
            &index,
            "type:video",
            Sort::Duration { descending: true },
            0,
            0
        ),
        vec![1, 8, 2, 6, 7]
    );
    assert_eq!(
        sorted(
            &index,
            "type:video",
            Sort::Duration { descending: false },
            0,
            0
        ),
        vec![7, 6, 2, 8, 1]
    );
    // Case-insensitive by file name.
    assert_eq!(
        sorted(&index, "type:video", Sort::Name { descending: false }, 0, 0),
        vec![1, 6, 7, 2, 8]
    );
    assert_eq!(
        sorted(&index, "type:video", Sort::Name { descending: true }, 0, 0),
        vec![8, 2, 7, 6, 1]
    );
    assert_eq!(
        sorted(
            &index,
            "captured:>=2021",
            Sort::Captured { descending: true },
            0,
            0
        ),
        vec![6, 8, 2, 4, 1]
    );
    // Assets without the sort value come last, in either direction.
    let desc = sorted(&index, "", Sort::Captured { descending: true }, 0, 0);
    let asc = sorted(&index, "", Sort::Captured { descending: false }, 0, 0);
    assert_eq!(&desc[..6], &[6, 8, 2, 4, 1, 3]);
    assert_eq!(&asc[..6], &[3, 1, 4, 2, 8, 6]);
    // Durations too (assets without one: 3, 5, 9, 10).
    let desc = sorted(&index, "", Sort::Duration { descending: true }, 0, 0);
    let asc = sorted(&index, "", Sort::Duration { descending: false }, 0, 0);
    assert_eq!(&desc[..6], &[4, 1, 8, 2, 6, 7]);
    assert_eq!(&asc[..6], &[7, 6, 2, 8, 1, 4]);
    // Sorted hits still report the total.
    let options = SearchOptions {
        limit: 2,
        sort: Sort::Size { descending: true },
        ..SearchOptions::default()
    };
    assert_eq!(index.search("type:video", &options).unwrap().total, 5);
}

#[test]
fn facets_count_all_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let index = open(tmp.path());
    let options = SearchOptions {
        limit: 1,
        facets: true,
        ..SearchOptions::default()
    };
    let results = index.search("", &options).unwrap();
    assert_eq!(results.total, 10);
    assert_eq!(results.hits.len(), 1);
    let facet = |name: &str| -> Vec<(String, u64)> {
        results.facets[name]
            .iter()
            .map(|c| (c.value.clone(), c.count))
            .collect()
    };
    let pairs = |items: &[(&str, u64)]| -> Vec<(String, u64)> {
        items.iter().map(|(v, c)| ((*v).to_owned(), *c)).collect()
    };
    assert_eq!(
        facet("media_type"),
        pairs(&[
            ("video", 5),
            ("image", 2),
            ("audio", 1),
            ("document", 1),
            ("other", 1)
        ])
    );
    assert_eq!(
        facet("codec"),
        pairs(&[("h264", 3), ("hevc", 1), ("pcm_s24le", 1), ("prores", 1)])
    );
    assert_eq!(
        facet("resolution"),
        pairs(&[("UHD", 3), ("HD", 2), ("SD", 1)])
    );
    assert_eq!(facet("has_duplicates"), pairs(&[("no", 9), ("yes", 1)]));
    assert_eq!(facet("storage_class"), pairs(&[("GLACIER", 1)]));
    assert_eq!(
        facet("state"),
        pairs(&[
            ("online", 7),
            ("archived", 1),
            ("missing", 1),
            ("offline", 1)
        ])
    );
    assert_eq!(
        facet("source"),
        pairs(&[("file:///vol/shoot", 9), ("s3://bucket/audio", 1)])
    );
    assert_eq!(facet("keywords").len(), 6);

    let results = index.search("type:video", &options).unwrap();
    let codecs: BTreeMap<String, u64> = results.facets["codec"]
        .iter()
        .map(|c| (c.value.clone(), c.count))
        .collect();
    assert_eq!(codecs.values().sum::<u64>(), 5);
    assert_eq!(codecs["h264"], 3);

    // Without the option, no facets.
    let results = index.search("", &SearchOptions::default()).unwrap();
    assert!(results.facets.is_empty());
}

#[test]
fn applied_seq_survives_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut index = SearchIndex::open(tmp.path()).unwrap();
        assert_eq!(index.applied_seq(), None);
        assert_eq!(index.num_docs(), 0);
        index.upsert(&corpus()).unwrap();
        index.commit(41).unwrap();
        index.delete(&[5]).unwrap();
        index.commit(42).unwrap();
        assert_eq!(index.applied_seq(), Some(42));
    }
    let index = SearchIndex::open(tmp.path()).unwrap();
    assert_eq!(index.applied_seq(), Some(42));
    assert_eq!(index.num_docs(), 9);
    check(&index, "beach", &[1]);
}

#[test]
fn within_a_set_of_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let index = open(tmp.path());
    let within = |query: &str, ids: &[u64]| {
        let options = SearchOptions {
            limit: 100,
            facets: true,
            within: Some(ids.to_vec()),
            ..SearchOptions::default()
        };
        let results = index.search(query, &options).unwrap();
        let mut hits: Vec<u64> = results.hits.iter().map(|h| h.id).collect();
        hits.sort_unstable();
        assert_eq!(results.total, hits.len() as u64);
        let types: u64 = results.facets["media_type"].iter().map(|c| c.count).sum();
        assert_eq!(types, results.total, "facets count only the set");
        hits
    };
    assert_eq!(within("", &[2, 9, 10]), [2, 9, 10]);
    assert_eq!(within("type:image", &[2, 9, 10]), [9]);
    assert_eq!(within("", &[]), Vec::<u64>::new());
    assert_eq!(within("", &[999]), Vec::<u64>::new());
    // The set does not replace the cached counts of the whole library.
    let all = index
        .search(
            "",
            &SearchOptions {
                facets: true,
                ..SearchOptions::default()
            },
        )
        .unwrap();
    assert_eq!(all.total, 10);
}

#[test]
fn one_writer_many_searchers() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = open(tmp.path());
    assert!(writer.is_writing(), "a write takes the lock");
    // A second handle (another process in real use) searches while the first holds the lock.
    let mut other = SearchIndex::open(tmp.path()).unwrap();
    assert!(!other.is_writing(), "opening an index takes no lock");
    check(&other, "beach", &[1]);
    assert!(matches!(
        other.lock(Duration::from_millis(30)),
        Err(Error::Locked)
    ));
    assert!(matches!(other.delete(&[1]), Err(Error::Locked)));
    // The writer moves on and lets go; the other handle then writes from where it got to.
    writer.delete(&[1]).unwrap();
    writer.commit(7).unwrap();
    writer.release_writer();
    assert!(!writer.is_writing());
    assert_eq!(other.applied_seq(), Some(1), "still the commit it opened");
    other.lock(Duration::from_millis(30)).unwrap();
    assert_eq!(
        other.applied_seq(),
        Some(7),
        "locking re-reads the last commit"
    );
    check(&other, "beach", &[]);
    other.delete(&[2]).unwrap();
    other.commit(8).unwrap();
    writer.refresh().unwrap();
    assert_eq!(writer.applied_seq(), Some(8));
    assert_eq!(writer.num_docs(), 8);
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut index = open(tmp.path());
    let mut changed = corpus().remove(0);
    changed.title = "Harbour morning".into();
    changed.keywords.clear();
    changed.text.clear();
    index.upsert(&[changed.clone()]).unwrap();
    // Uncommitted changes are not visible.
    check(&index, "harbour", &[]);
    index.commit(2).unwrap();
    assert_eq!(index.num_docs(), 10);
    check(&index, "harbour", &[1]);
    check(&index, "beach", &[]);
    // The same id twice in one batch keeps the last.
    changed.title = "Harbour evening".into();
    let mut again = changed.clone();
    again.title = "Harbour night".into();
    index.upsert(&[changed, again]).unwrap();
    index.commit(3).unwrap();
    assert_eq!(index.num_docs(), 10);
    check(&index, "night", &[1]);
    check(&index, "evening", &[]);

    index.delete(&[1, 2, 999]).unwrap();
    index.commit(4).unwrap();
    assert_eq!(index.num_docs(), 8);
    check(&index, "harbour", &[]);
    check(&index, "interview", &[]);

    // clear() drops everything before it, keeps what comes after.
    index.upsert(&corpus()[..2]).unwrap();
    index.clear().unwrap();
    index.upsert(&corpus()[2..4]).unwrap();
    index.commit(5).unwrap();
    assert_eq!(index.num_docs(), 2);
    check(&index, "", &[3, 4]);
    // After a clear, re-adding an id twice before a commit still keeps one.
    index.upsert(&corpus()[2..4]).unwrap();
    index.commit(6).unwrap();
    assert_eq!(index.num_docs(), 2);
}

#[test]
fn index_of_another_schema_is_recreated() {
    use tantivy::schema::{Schema, TEXT};
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut builder = Schema::builder();
        let title = builder.add_text_field("title", TEXT);
        let index = tantivy::Index::create_in_dir(tmp.path(), builder.build()).unwrap();
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        writer.add_document(tantivy::doc!(title => "old")).unwrap();
        writer.commit().unwrap();
    }
    let index = SearchIndex::open(tmp.path()).unwrap();
    assert_eq!(index.num_docs(), 0);
    assert_eq!(index.applied_seq(), None);
}

#[test]
fn bad_queries_report_positions() {
    let tmp = tempfile::tempdir().unwrap();
    let index = open(tmp.path());
    let cases: &[(&str, usize, &str)] = &[
        (r#"beach "sunset"#, 6, "unclosed quote"),
        ("beach colour:red", 6, "unknown field"),
        ("duration:>abc", 10, "bad duration"),
        ("height:>=x", 9, "bad number"),
        ("captured:2021-02-30", 9, "bad date"),
        ("captured:>2021-13-01", 10, "bad date"),
        ("captured:2021-01-01..20x1", 21, "bad date"),
        ("size:..", 5, "at least one end"),
        ("title: beach", 6, "missing value"),
        ("type:movie", 5, "expects one of"),
        ("é custom.:x", 2, "custom field"),
        (r#"title:"unclosed"#, 6, "unclosed quote"),
    ];
    for (query, expect_position, expect_message) in cases {
        match index.search(query, &SearchOptions::default()) {
            Err(Error::Query { message, position }) => {
                assert_eq!(position, *expect_position, "{query:?}: {message}");
                assert!(
                    message.contains(expect_message),
                    "{query:?}: {message:?} lacks {expect_message:?}"
                );
            }
            other => panic!("{query:?} gave {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_and_search_never_panic(query in r#"[a-zA-Z0-9 _.:*"\-<>=é]{0,40}|\PC{0,30}"#) {
        use std::sync::OnceLock;
        static INDEX: OnceLock<(tempfile::TempDir, SearchIndex)> = OnceLock::new();
        let (_, index) = INDEX.get_or_init(|| {
            let tmp = tempfile::tempdir().unwrap();
            let index = open(tmp.path());
            (tmp, index)
        });
        let options = SearchOptions { facets: true, sort: Sort::Name { descending: true }, ..SearchOptions::default() };
        match index.search(&query, &options) {
            Ok(results) => prop_assert!(results.hits.len() as u64 <= results.total),
            Err(Error::Query { position, .. }) => prop_assert!(position <= query.chars().count()),
            Err(other) => prop_assert!(false, "{query:?}: {other}"),
        }
    }
}

#[test]
fn facets_of_large_result_sets_are_estimated_from_a_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(tmp.path()).unwrap();
    // 30,000 clips; every one is "harbour", a third "night"; codecs in the ratio 6 : 3 : 1.
    let docs: Vec<SearchDoc> = (1..=30_000u64)
        .map(|id| {
            let codec = match id % 10 {
                0..6 => "h264",
                6..9 => "prores",
                _ => "hevc",
            };
            let title = if id % 3 == 0 {
                "harbour night"
            } else {
                "harbour"
            };
            Doc::new(id, "video", &format!("C{id:05}.MP4"), title)
                .video(codec, 1920, 1080, 10.0)
                .0
        })
        .collect();
    index.upsert(&docs).unwrap();
    index.commit(1).unwrap();
    index.set_exact_facet_docs(1_000);
    let options = SearchOptions {
        limit: 5,
        facets: true,
        ..SearchOptions::default()
    };
    let codecs = |results: &trove_search::SearchResults| -> BTreeMap<String, u64> {
        results.facets["codec"]
            .iter()
            .map(|c| (c.value.clone(), c.count))
            .collect()
    };

    // 30,000 matches against a budget of 1,000: estimated, but close, and the total exact.
    let results = index.search("harbour", &options).unwrap();
    assert_eq!(results.total, 30_000);
    assert!(results.facets_estimated);
    let estimate = codecs(&results);
    for (codec, truth) in [("h264", 18_000.0), ("prores", 9_000.0), ("hevc", 3_000.0)] {
        let got = estimate[codec] as f64;
        assert!(
            (got - truth).abs() / truth < 0.15,
            "{codec}: estimated {got}, truth {truth} ({estimate:?})"
        );
    }

    // Few matches, or browsing everything: exact.
    index.set_exact_facet_docs(20_000);
    let results = index.search("night", &options).unwrap();
    assert_eq!(results.total, 10_000);
    assert!(!results.facets_estimated);
    assert_eq!(
        codecs(&results),
        BTreeMap::from([
            ("h264".to_owned(), 6_000),
            ("prores".to_owned(), 3_000),
            ("hevc".to_owned(), 1_000)
        ])
    );
    index.set_exact_facet_docs(1_000);
    let results = index.search("", &options).unwrap();
    assert!(!results.facets_estimated);
    assert_eq!(codecs(&results)["h264"], 18_000);
}
