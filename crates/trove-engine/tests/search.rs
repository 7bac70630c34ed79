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

#[tokio::test]
async fn collections_and_saved_searches() {
    let f = Fixture::new().await;
    let a = f.write("Day1/harbour_wide.mov", MP4);
    let b = f.write("Day1/harbour_close.mov", MP4);
    let c = f.write("Day2/market.mov", MP4);
    f.scan().await;
    let id = |path: &std::path::Path| {
        let path = path.to_owned();
        let library = &f.library;
        async move { library.show(path.as_os_str()).await.expect("show").id.0 }
    };
    let (a_id, b_id, c_id) = (id(&a).await, id(&b).await, id(&c).await);
    let in_collection = |name: &'static str, query: &'static str| {
        let library = &f.library;
        async move {
            let options = SearchOptions {
                limit: 20,
                facets: true,
                ..SearchOptions::default()
            };
            let report = library
                .search_collection(name, query, &options)
                .await
                .expect("search in collection");
            let mut hits = ids(&report);
            hits.sort_unstable();
            hits
        }
    };

    // A manual collection: its members, narrowed by a query.
    let made = f
        .library
        .create_collection("Selects", None, Sort::Relevance, "test")
        .await
        .expect("create");
    assert_eq!(made.collection.members, 0);
    let duplicate = f
        .library
        .create_collection("selects", None, Sort::Relevance, "test")
        .await
        .expect_err("names are unique ignoring case");
    assert!(
        duplicate.to_string().contains("already exists"),
        "{duplicate}"
    );
    let members = [a.clone().into_os_string(), c.clone().into_os_string()];
    let added = f
        .library
        .collection_members("Selects", &members, true, "test")
        .await
        .expect("add");
    assert_eq!((added.changed, added.collection.members), (2, 2));
    let again = f
        .library
        .collection_members("Selects", &members, true, "test")
        .await
        .expect("add again");
    assert_eq!(
        (again.changed, again.batch),
        (0, None),
        "adding twice changes nothing"
    );
    let mut expect = vec![a_id, c_id];
    expect.sort_unstable();
    assert_eq!(in_collection("Selects", "").await, expect);
    assert_eq!(in_collection("Selects", "harbour").await, [a_id]);

    // A saved search finds what its query finds now, including later edits.
    f.library
        .create_collection(
            "Harbour",
            Some("harbour"),
            Sort::Name { descending: false },
            "test",
        )
        .await
        .expect("smart");
    let mut harbour = vec![a_id, b_id];
    harbour.sort_unstable();
    assert_eq!(in_collection("Harbour", "").await, harbour);
    let edit = [Assignment::parse("title=Harbour market").expect("assignment")];
    f.library
        .meta_set(&[c.clone().into_os_string()], &edit, "test")
        .await
        .expect("edit");
    assert_eq!(in_collection("Harbour", "").await.len(), 3);
    assert_eq!(in_collection("Harbour", "close").await, [b_id]);
    let refused = f
        .library
        .collection_members("Harbour", &members, true, "test")
        .await
        .expect_err("a saved search has no manual members");
    assert!(refused.to_string().contains("saved search"), "{refused}");
    let bad = f
        .library
        .create_collection("Broken", Some("title:\"open"), Sort::Relevance, "test")
        .await
        .expect_err("a bad saved query is refused when saved");
    assert!(bad.to_string().contains("Broken"), "{bad}");

    // Removing a member and deleting the collection are undone like edits.
    let removed = f
        .library
        .collection_members("Selects", &[a.clone().into_os_string()], false, "test")
        .await
        .expect("remove");
    assert_eq!(removed.collection.members, 1);
    f.library
        .delete_collection("Selects", "test")
        .await
        .expect("delete");
    let names: Vec<String> = f
        .library
        .collections()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Harbour"]);
    f.library.undo(None).await.expect("undo delete");
    assert_eq!(in_collection("Selects", "").await, [c_id]);
    f.library.undo(None).await.expect("undo remove");
    assert_eq!(in_collection("Selects", "").await, expect);
}
