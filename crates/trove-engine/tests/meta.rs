//! Editing metadata: user claims win, technical fields are refused, undo restores.

use crate::{Fixture, MP4};
use trove_engine::Assignment;

fn assignments(args: &[&str]) -> Vec<Assignment> {
    args.iter()
        .map(|a| Assignment::parse(a).unwrap_or_else(|| panic!("{a} is an assignment")))
        .collect()
}

#[tokio::test]
async fn edits_are_journalled_and_undone_in_order() {
    let f = Fixture::new().await;
    let clip = f.write("a/clip.mov", MP4);
    let other = f.write("a/other.mov", MP4);
    f.scan().await;
    let assets = [
        clip.clone().into_os_string(),
        other.clone().into_os_string(),
    ];
    let seq_before = f.stats().await.change_seq;

    let first = f
        .library
        .meta_set(
            &assets,
            &assignments(&["title=Harbour", "keywords=harbour; dawn"]),
            "t1",
        )
        .await
        .expect("set");
    assert_eq!((first.assets, first.edits), (2, 4));
    assert!(
        f.stats().await.change_seq > seq_before,
        "edits are changes of the assets"
    );
    f.library
        .meta_set(
            &assets[..1],
            &assignments(&[r"keywords+=boats\; sail", "keywords-=DAWN", "rating=4"]),
            "t2",
        )
        .await
        .expect("set");

    let shown = f.library.show(clip.as_os_str()).await.expect("show");
    assert_eq!(shown.title, "Harbour");
    assert_eq!(
        shown.provenance.get("title").map(String::as_str),
        Some("user")
    );
    assert_eq!(
        shown.metadata["keywords"],
        serde_json::json!(["harbour", "boats; sail"])
    );
    assert_eq!(shown.metadata["rating"], serde_json::json!(4));

    // Refused whole, naming the field: technical values and values out of range.
    for bad in [&["width=10"][..], &["title=Ok", "rating=9"][..]] {
        let err = f
            .library
            .meta_set(&assets, &assignments(bad), "bad")
            .await
            .expect_err("refused");
        let field = bad
            .last()
            .and_then(|a| a.split('=').next())
            .unwrap_or_default();
        assert!(err.to_string().contains(field), "{err}");
    }
    assert_eq!(
        f.library.show(clip.as_os_str()).await.expect("show").title,
        "Harbour"
    );

    let undone = f.library.undo(None).await.expect("undo");
    assert_eq!((undone.batch, undone.edits), (first.batch + 1, 3));
    let shown = f.library.show(clip.as_os_str()).await.expect("show");
    assert_eq!(
        shown.metadata["keywords"],
        serde_json::json!(["harbour", "dawn"])
    );
    assert!(!shown.metadata.contains_key("rating"));

    f.library.undo(Some(first.batch)).await.expect("undo first");
    let shown = f.library.show(other.as_os_str()).await.expect("show");
    assert_eq!(shown.title, "other.mov", "back to the file name");
    assert!(f.library.undo(None).await.is_err(), "nothing left to undo");
    f.assert_consistent().await;
}

#[tokio::test]
async fn custom_fields_are_defined_then_typed() {
    let f = Fixture::new().await;
    let clip = f.write("clip.mov", MP4);
    f.scan().await;
    let assets = [clip.clone().into_os_string()];
    let set = |args: &[&str]| assignments(args);
    let undefined = f
        .library
        .meta_set(&assets, &set(&["custom.reel=A001"]), "t")
        .await;
    assert!(undefined.is_err_and(|e| e.to_string().contains("meta field add")));

    f.library
        .define_custom_field("custom.reel", "Reel", trove_core::CustomKind::Text)
        .await
        .expect("define");
    f.library
        .define_custom_field(
            "custom.grade",
            "Grade",
            trove_core::CustomKind::Choice(vec!["good".into(), "ng".into()]),
        )
        .await
        .expect("define");
    assert!(f
        .library
        .define_custom_field("Custom Reel", "x", trove_core::CustomKind::Text)
        .await
        .is_err());
    f.library
        .meta_set(
            &assets,
            &set(&["custom.reel=A001", "custom.grade=GOOD"]),
            "t",
        )
        .await
        .expect("set");
    let shown = f.library.show(clip.as_os_str()).await.expect("show");
    assert_eq!(shown.metadata["custom.reel"], "A001");
    assert_eq!(shown.metadata["custom.grade"], "good");
    let bad = f
        .library
        .meta_set(&assets, &set(&["custom.grade=maybe"]), "t")
        .await;
    assert!(bad.is_err_and(|e| e.to_string().contains("custom.grade")));
}
