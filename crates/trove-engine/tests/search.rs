//! Search follows the catalog: scans, edits, moves and deletes show up in the next search.

use crate::{Fixture, MP4};
use trove_engine::Assignment;
use trove_search::{SearchOptions, Sort};

fn ids(report: &trove_engine::SearchReport) -> Vec<i64> {
    report.hits.iter().map(|h| h.id.0).collect()
}

async fn search(f: &Fixture, query: &str) -> trove_engine::SearchReport {
    let options = SearchOptions {
        limit: 20,
        facets: true,
        ..SearchOptions::default()
    };
    f.library.search(query, &options).await.expect("search")
}

#[tokio::test]
async fn search_follows_scans_edits_moves_and_deletes() {
    let f = Fixture::new().await;
    let clip = f.write("Day1/A001C003_230512_R2EC.mov", MP4);
    f.write("Day1/A001C004_230512_R2EC.mov", MP4);
    let gone = f.write("Day2/interview_takeOne.mov", MP4);
    f.scan().await;

    let by_name = search(&f, "A001C003_230512_R2EC.mov").await;
    let clip_id = f.library.show(clip.as_os_str()).await.expect("show").id.0;
    assert_eq!(
        ids(&by_name).first(),
        Some(&clip_id),
        "the unique file name comes first"
    );
    assert_eq!(search(&f, "a001c00*").await.total, 2, "prefix");
    assert_eq!(
        search(&f, "interview take").await.total,
        1,
        "camelCase and _ split"
    );
    assert_eq!(search(&f, "type:video").await.total, 3);

    // An edit shows up right after.
    let assets = [clip.clone().into_os_string()];
    let edit = [Assignment::parse("title=Harbour at dawn").expect("assignment")];
    f.library
        .meta_set(&assets, &edit, "test")
        .await
        .expect("edit");
    assert!(f
        .library
        .search_lag()
        .await
        .expect("lag")
        .is_some_and(|lag| lag > 0));
    let found = search(&f, "harbour").await;
    assert_eq!(ids(&found), [clip_id]);
    assert_eq!(f.library.search_lag().await.expect("lag"), Some(0));

    // A move: found under its new folder, same asset.
    std::fs::create_dir_all(f.media.join("Selects")).expect("mkdir");
    let moved = f.media.join("Selects/A001C003_230512_R2EC.mov");
    std::fs::rename(&clip, &moved).expect("move");
    std::fs::remove_file(&gone).expect("delete");
    f.scan().await;
    assert_eq!(ids(&search(&f, "selects").await), [clip_id]);
    // A delete: the asset stays, found as missing.
    let missing = search(&f, "state:missing").await;
    assert_eq!(missing.total, 1);
    assert!(missing.facets.contains_key("state"));

    // Sorting and a bad query.
    let options = SearchOptions {
        sort: Sort::Name { descending: false },
        ..SearchOptions::default()
    };
    let sorted = f.library.search("", &options).await.expect("all");
    assert_eq!(sorted.total, 3);
    let err = f
        .library
        .search("title:\"unclosed", &SearchOptions::default())
        .await
        .expect_err("bad query");
    assert!(err.to_string().contains("character"), "{err}");

    // Rebuild gives the same answers.
    f.library.sync_search(true).await.expect("rebuild");
    assert_eq!(ids(&search(&f, "harbour").await), [clip_id]);
}
