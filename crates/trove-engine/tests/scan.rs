//! Scanning: counts, exclusions, incremental rescans, moves, missing files, offline sources.

use crate::{Fixture, MP4};

#[tokio::test]
async fn a_scan_records_every_regular_file_but_junk() {
    let f = Fixture::new().await;
    f.write("a/clip.mov", MP4);
    f.write("a/clip.xmp", b"<x:xmpmeta/>");
    f.write("a/still.jpg", b"\xff\xd8\xff\xe0");
    f.write("a/still.jpg.xmp", b"<x:xmpmeta/>");
    f.write("a/.DS_Store", b"junk");
    f.write("a/._clip.mov", b"junk");
    f.write("Thumbs.db", b"junk");
    f.write("b/notes.txt", b"");
    f.write("b/skip.tmp", b"x");
    f.write("b/.troveignore", b"*.tmp\n");
    let report = f.scan().await;
    assert_eq!(
        (report.files, report.added, report.errors.len()),
        (5, 5, 0),
        "{report:?}"
    );
    assert_eq!(report.sidecars_linked, 2);
    let stats = f.stats().await;
    assert_eq!((stats.assets, stats.locations, stats.sidecars), (3, 5, 2));
    assert_eq!(stats.media_types.get("video"), Some(&1));
    let clip = f
        .library
        .show(f.media.join("a/clip.mov").as_os_str())
        .await
        .expect("show");
    assert_eq!(clip.media_type, trove_core::MediaType::Video);
    assert_eq!(clip.locations.len(), 2, "the clip and its sidecar");
    let sidecar = f
        .library
        .show(f.media.join("a/clip.xmp").as_os_str())
        .await
        .expect("show");
    assert_eq!(
        sidecar.id, clip.id,
        "a sidecar leads to its media file's asset"
    );
    f.assert_consistent().await;
}

#[tokio::test]
async fn an_unchanged_rescan_writes_nothing() {
    let f = Fixture::new().await;
    for i in 0..50 {
        f.write(&format!("d{}/clip{i}.mov", i % 5), MP4);
    }
    f.scan().await;
    let before = f.stats().await.change_seq;
    let report = f.scan().await;
    assert_eq!(
        (report.files, report.unchanged, report.added, report.updated),
        (50, 50, 0, 0)
    );
    assert_eq!(f.stats().await.change_seq, before, "no change recorded");
}

#[tokio::test]
async fn edits_moves_and_deletes_keep_assets() {
    let f = Fixture::new().await;
    let a = f.write("a/clip.mov", MP4);
    let edited = f.write("a/edit.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ");
    let gone = f.write("a/gone.jpg", b"\xff\xd8\xff\xe0");
    f.scan().await;
    let clip = f.library.show(a.as_os_str()).await.expect("show").id;

    std::fs::create_dir_all(f.media.join("elsewhere/deeper")).expect("mkdir");
    let moved = f.media.join("elsewhere/deeper/renamed.mov");
    std::fs::rename(&a, &moved).expect("rename");
    std::fs::write(&edited, b"RIFF\x24\x00\x00\x00WAVEfmt and more bytes").expect("edit");
    std::fs::remove_file(&gone).expect("delete");
    let report = f.scan().await;
    assert_eq!(
        (report.moved, report.updated, report.missing, report.added),
        (1, 1, 1, 0),
        "{report:?}"
    );

    let after = f
        .library
        .show(moved.as_os_str())
        .await
        .expect("moved asset");
    assert_eq!(after.id, clip, "a moved file keeps its asset");
    let stats = f.stats().await;
    assert_eq!((stats.assets, stats.locations, stats.missing), (3, 3, 1));
    let missing = f
        .library
        .show(gone.as_os_str())
        .await
        .expect("missing asset is kept");
    assert!(!missing.online);
    // It comes back: present again, same asset.
    std::fs::write(&gone, b"\xff\xd8\xff\xe0").expect("restore");
    let report = f.scan().await;
    assert_eq!(report.updated, 1);
    assert_eq!(
        f.library.show(gone.as_os_str()).await.expect("back").id,
        missing.id
    );
    assert_eq!(f.stats().await.missing, 0);
    f.assert_consistent().await;
}

#[tokio::test]
async fn an_absent_root_makes_the_source_offline_not_empty() {
    let f = Fixture::new().await;
    f.write("clip.mov", MP4);
    f.write("b/still.jpg", b"\xff\xd8\xff\xe0");
    f.scan().await;
    let unplugged = f.media.with_file_name("unplugged");
    std::fs::rename(&f.media, &unplugged).expect("unplug");
    let report = f.scan().await;
    assert!(!report.online);
    let stats = f.stats().await;
    assert_eq!((stats.assets, stats.locations, stats.missing), (2, 2, 0));
    assert_eq!((stats.offline, stats.offline_sources), (2, 1));
    std::fs::rename(&unplugged, &f.media).expect("plug back");
    let report = f.scan().await;
    assert!(report.online);
    assert_eq!((report.unchanged, report.added), (2, 0));
    assert_eq!(f.stats().await.offline, 0);
    f.assert_consistent().await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_non_utf8_name_round_trips() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::new().await;
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9 \xff.mov");
    let path = f.media.join(name);
    std::fs::write(&path, MP4).expect("write");
    let report = f.scan().await;
    assert_eq!((report.added, report.errors.len()), (1, 0));
    let asset = f
        .library
        .show(path.as_os_str())
        .await
        .expect("show by raw path");
    let uri = &asset.locations[0].uri;
    assert!(uri.ends_with("/caf%E9%20%FF.mov"), "{uri}");
    assert_eq!(
        trove_core::parse_file_uri(uri).as_deref(),
        Some(path.as_path())
    );
    let by_uri = f
        .library
        .show(std::ffi::OsStr::new(uri))
        .await
        .expect("show by URI");
    assert_eq!(by_uri.id, asset.id);
    f.assert_consistent().await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_loop_is_listed_and_the_scan_completes() {
    let f = Fixture::new().await;
    f.write("a/b/clip.mov", MP4);
    std::os::unix::fs::symlink(f.media.join("a"), f.media.join("a/b/loop")).expect("symlink");
    let report = f.scan().await;
    assert_eq!(report.added, 1);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].path.ends_with("a/b/loop"),
        "{:?}",
        report.errors
    );
    assert!(report.errors[0].message.contains("loop"));
}
