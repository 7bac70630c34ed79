//! Integration tests of the catalog against a real SQLite file.

use tempfile::TempDir;
use trove_catalog::{Batch, Catalog, NewLocation, NewSource, Role};
use trove_core::{MediaType, RelPath, SourceKind};

async fn catalog() -> (TempDir, Catalog) {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = Catalog::open(&dir.path().join("catalog.db"))
        .await
        .expect("open");
    (dir, catalog)
}

fn new_location(path: &str, role: Role, media_type: MediaType) -> NewLocation {
    NewLocation {
        rel_path: RelPath::from_bytes(path.as_bytes().to_vec()),
        role,
        size: 10,
        mtime_ns: Some(1),
        device: Some(1),
        inode: Some(path.len() as u64),
        mime: None,
        media_type,
        title: path.to_owned(),
    }
}

#[tokio::test]
async fn batches_bump_the_change_sequence_and_link_sidecars() {
    let (dir, catalog) = catalog().await;
    let source = catalog
        .add_source(&NewSource {
            kind: SourceKind::Local,
            uri: "file:///media".into(),
            root: Some(dir.path().to_owned()),
            config: serde_json::json!({}),
        })
        .await
        .expect("add source");
    let before = catalog.change_seq().await.expect("seq");
    let batch = Batch {
        inserts: vec![
            new_location("a/clip.mov", Role::Media, MediaType::Video),
            new_location("a/clip.wav", Role::Media, MediaType::Audio),
            new_location("a/clip.xmp", Role::Sidecar, MediaType::Sidecar),
            new_location("a/still.jpg.xmp", Role::Sidecar, MediaType::Sidecar),
            new_location("a/still.jpg", Role::Media, MediaType::Image),
            new_location("a/orphan.xmp", Role::Sidecar, MediaType::Sidecar),
        ],
        ..Batch::default()
    };
    let outcome = catalog.write_batch(source.id, &batch).await.expect("write");
    assert_eq!(outcome.inserted, 6);
    // Three assets and six locations, each one change.
    assert_eq!(catalog.change_seq().await.expect("seq"), before + 9);
    assert_eq!(catalog.link_sidecars(source.id).await.expect("link"), 2);

    let mov = catalog
        .location_at(source.id, &RelPath::from_bytes(b"a/clip.mov".to_vec()))
        .await
        .expect("lookup")
        .expect("present");
    let xmp = catalog
        .location_at(source.id, &RelPath::from_bytes(b"a/clip.xmp".to_vec()))
        .await
        .expect("lookup")
        .expect("present");
    assert_eq!(xmp.1, mov.1, "clip.xmp belongs to the video, not the audio");
    let stats = catalog.stats().await.expect("stats");
    assert_eq!((stats.assets, stats.locations, stats.sidecars), (3, 6, 3));
    let report = catalog.check().await.expect("check");
    assert!(report.ok, "{:?}", report.problems);

    // The same inserts again (another writer got there first) leave no orphan assets.
    let again = catalog.write_batch(source.id, &batch).await.expect("write");
    assert_eq!(again.inserted, 0);
    assert_eq!(catalog.stats().await.expect("stats").assets, 3);
    assert!(catalog.check().await.expect("check").ok);
}

#[tokio::test]
async fn check_reports_a_media_location_without_asset() {
    let (dir, catalog) = catalog().await;
    let source = catalog
        .add_source(&NewSource {
            kind: SourceKind::Local,
            uri: "file:///x".into(),
            root: Some(dir.path().to_owned()),
            config: serde_json::json!({}),
        })
        .await
        .expect("add source");
    let batch = Batch {
        inserts: vec![new_location("x.mov", Role::Media, MediaType::Video)],
        ..Batch::default()
    };
    catalog.write_batch(source.id, &batch).await.expect("write");
    // Damage the file behind the catalog's back, as a crash or a foreign tool might.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", catalog.path().display()))
        .await
        .expect("raw connection");
    sqlx::query("UPDATE locations SET asset_id = NULL")
        .execute(&raw)
        .await
        .expect("damage");
    let report = catalog.check().await.expect("check");
    assert!(!report.ok);
    let failed: Vec<&str> = report.problems.iter().map(|p| p.check.as_str()).collect();
    assert!(
        failed.contains(&"media_locations_have_assets"),
        "{failed:?}"
    );
    assert!(failed.contains(&"assets_have_locations"), "{failed:?}");
}

#[tokio::test]
async fn a_source_is_added_once() {
    let (dir, catalog) = catalog().await;
    let new = NewSource {
        kind: SourceKind::Local,
        uri: "file:///dup".into(),
        root: Some(dir.path().to_owned()),
        config: serde_json::json!({}),
    };
    catalog.add_source(&new).await.expect("first");
    let err = catalog.add_source(&new).await.expect_err("second");
    assert!(
        matches!(err, trove_catalog::Error::SourceExists { .. }),
        "{err}"
    );
}
