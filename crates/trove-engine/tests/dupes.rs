//! Duplicates on real files: exact groups, the hash cache, near look-alikes, and removal that
//! is dry-run-able, keeps a copy, skips changed files and is undone byte for byte.

use crate::{extract, ffmpeg, Fixture, MP4};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use trove_engine::{Assignment, DupesOptions, KeepPolicy, RemoveOptions};
use trove_search::{SearchOptions, Sort};

fn options(policy: KeepPolicy, apply: bool) -> RemoveOptions {
    RemoveOptions {
        policy,
        apply,
        near: false,
        min_similarity: None,
        across_tiers: false,
    }
}

async fn set(f: &Fixture, path: &Path, args: &[&str]) -> i64 {
    let assets = vec![OsString::from(path)];
    let assignments: Vec<Assignment> = args
        .iter()
        .map(|a| Assignment::parse(a).unwrap_or_else(|| panic!("{a} is an assignment")))
        .collect();
    f.library
        .meta_set(&assets, &assignments, "test")
        .await
        .expect("meta set")
        .batch
}

async fn asset_of(f: &Fixture, path: &Path) -> trove_core::AssetView {
    f.library.show(path.as_os_str()).await.expect("show")
}

async fn duplicates_found(f: &Fixture) -> Vec<i64> {
    let options = SearchOptions {
        limit: 20,
        facets: true,
        ..SearchOptions::default()
    };
    let report = f
        .library
        .search("duplicates:yes", &options)
        .await
        .expect("search");
    report.hits.iter().map(|h| h.id.0).collect()
}

/// Checksums of every file under `root`, by path.
fn tree_checksums(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), blake3_of(&path)));
            }
        }
    }
    out.sort();
    out
}

/// Deterministic pseudo-random bytes (xorshift), for file contents.
pub(crate) fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn blake3_of(path: &std::path::Path) -> String {
    blake3::hash(&std::fs::read(path).expect("read"))
        .to_hex()
        .to_string()
}

#[tokio::test]
async fn exact_duplicates_are_found_removed_safely_and_put_back() {
    let f = Fixture::new().await;
    let master = bytes(7, 300_000);
    let original = f.write("Masters/reel.mov", &master);
    let copy = f.write("Backup/reel.mov", &master);
    let other = f.write("Other/reel copy.mov", &master);
    let mut last = master.clone();
    *last.last_mut().expect("bytes") ^= 1;
    f.write("Variants/last_byte.mov", &last);
    let mut middle = master.clone();
    middle[150_000] ^= 1;
    f.write("Variants/middle_byte.mov", &middle);
    f.write("Empty/a.txt", b"");
    f.write("Empty/b.txt", b"");
    std::fs::hard_link(&original, f.media.join("Masters/reel_link.mov")).expect("link");
    // The original is the oldest copy.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    std::fs::File::options()
        .write(true)
        .open(&original)
        .expect("open")
        .set_modified(old)
        .expect("mtime");
    f.scan().await;

    // A dry run changes nothing: neither the catalog (not even the hash cache or the merge of
    // the copies into one asset) nor any byte.
    let stats_before = f.stats().await;
    let files_before = tree_checksums(&f.media);
    let plan = f
        .library
        .remove_dupes(&options(KeepPolicy::Oldest, false), "test")
        .await
        .expect("dry run");
    assert!(plan.dry_run && plan.batch.is_none());
    assert_eq!(plan.removed, 2);
    assert_eq!(f.stats().await, stats_before, "the catalog is unchanged");
    assert_eq!(
        tree_checksums(&f.media),
        files_before,
        "the files are unchanged"
    );

    let found = f.library.find_dupes(false).await.expect("dupes");
    assert_eq!(found.groups.len(), 1, "{found:?}");
    let group = &found.groups[0];
    assert_eq!((group.kind, group.size), ("exact", 300_000));
    let mut paths: Vec<&str> = group.members.iter().map(|m| m.path.as_str()).collect();
    paths.sort_unstable();
    let mut expect = [&copy, &original, &other]
        .map(|p| p.to_str().expect("utf-8"))
        .to_vec();
    expect.sort_unstable();
    assert_eq!(
        paths, expect,
        "the hard link and the variants are not copies"
    );
    assert!(found.bytes_read > 0);
    // The three copies are one asset now; the hard link, the variants and the empties are not.
    assert_eq!(found.merged.len(), 2, "{found:?}");
    let asset = group.members[0].asset_id.expect("asset");
    assert_eq!(group.asset_id, Some(asset));
    assert_eq!(
        group.suggested_keeper,
        Some(
            group
                .members
                .iter()
                .find(|m| m.path == original.to_str().expect("utf-8"))
                .expect("original")
                .location_id
        )
    );
    assert_eq!(f.stats().await.assets, stats_before.assets - 2);
    assert_ne!(
        asset_of(&f, &f.media.join("Masters/reel_link.mov"))
            .await
            .id,
        asset,
        "a hard link is never merged"
    );
    assert_ne!(
        asset_of(&f, &f.media.join("Empty/a.txt")).await.id,
        asset_of(&f, &f.media.join("Empty/b.txt")).await.id,
        "empty files are never merged"
    );
    let again = f.library.find_dupes(false).await.expect("dupes again");
    assert_eq!(again.bytes_read, 0, "hashes come from the cache");
    assert_eq!(again.groups.len(), 1);
    assert!(again.merged.is_empty(), "nothing left to merge");

    let plan = f
        .library
        .remove_dupes(&options(KeepPolicy::Oldest, false), "test")
        .await
        .expect("dry run");
    assert_eq!(
        plan.groups[0].keep.as_ref().map(|k| k.path.as_str()),
        original.to_str()
    );
    assert!(copy.exists() && other.exists());

    // A copy edited after the scan is kept; the other extra copy goes to the quarantine.
    let checksum = blake3_of(&copy);
    let mut edited = master.clone();
    edited[0] ^= 0xff;
    std::fs::write(&other, &edited).expect("edit");
    let done = f
        .library
        .remove_dupes(
            &options(KeepPolicy::Oldest, true),
            "dupes remove --policy keep-oldest --apply",
        )
        .await
        .expect("apply");
    assert_eq!(done.removed, 1, "{done:?}");
    for group in &done.groups {
        let keep = group.keep.as_ref().expect("every group keeps a copy");
        assert!(Path::new(&keep.path).exists(), "{} stays", keep.path);
    }
    let reported_skipped = done.groups[0]
        .skipped
        .iter()
        .any(|s| s.member.path == other.to_str().expect("utf-8") && s.reason.contains("changed"));
    let reported_error = done.errors.iter().any(|e| e.contains("reel copy.mov"));
    assert!(
        reported_skipped || reported_error,
        "the edited copy is reported: {done:?}"
    );
    assert!(original.exists(), "the keeper stays");
    assert!(!copy.exists(), "the extra copy is moved away");
    assert!(other.exists(), "the edited file is kept");
    assert_eq!(f.stats().await.missing, 1);
    let batch = done.batch.expect("journalled");

    // Undo puts the copy back, byte for byte.
    let undone = f.library.undo(Some(batch)).await.expect("undo");
    assert_eq!(undone.batch, batch);
    assert_eq!(blake3_of(&copy), checksum);
    assert_eq!(f.stats().await.missing, 0);
    f.assert_consistent().await;
}

#[tokio::test]
async fn a_resized_picture_is_a_near_duplicate() {
    let f = Fixture::new().await;
    let big = f.media.join("photo.jpg");
    ffmpeg(
        &big,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=800x600",
            "-frames:v",
            "1",
        ],
    );
    let small = f.media.join("photo_small.jpg");
    ffmpeg(
        &small,
        &[
            "-i",
            big.to_str().expect("utf-8"),
            "-vf",
            "scale=400:300",
            "-q:v",
            "8",
        ],
    );
    let unrelated = f.media.join("bars.jpg");
    ffmpeg(
        &unrelated,
        &[
            "-f",
            "lavfi",
            "-i",
            "smptebars=size=800x600",
            "-frames:v",
            "1",
        ],
    );
    f.scan().await;
    let found = f.library.find_dupes(true).await.expect("dupes");
    let near: Vec<_> = found.groups.iter().filter(|g| g.kind == "near").collect();
    assert_eq!(near.len(), 1, "{found:?}");
    let mut members: Vec<&str> = near[0].members.iter().map(|m| m.path.as_str()).collect();
    members.sort_unstable();
    assert_eq!(
        members,
        [big.to_str().expect("utf-8"), small.to_str().expect("utf-8")]
    );
    assert!(near[0].score.is_some_and(|s| s >= 0.9));
}

/// A video-like file of `len` bytes (an MP4 header, then bytes from `seed`).
fn clip(seed: u64, len: usize) -> Vec<u8> {
    let mut out = MP4.to_vec();
    out.extend(bytes(seed, len));
    out
}

#[tokio::test]
async fn copies_of_one_content_become_one_asset_with_merged_metadata_and_undo_splits_them() {
    let f = Fixture::new().await;
    let master = clip(11, 200_000);
    let copies = vec![
        f.write("A/harbour.mov", &master),
        f.write("B/harbour.mov", &master),
        f.write("C/harbour.mov", &master),
    ];
    let lone = f.write("D/other.mov", &clip(12, 200_000));
    f.scan().await;
    // a is the oldest asset (the lowest id of one scan), then b, then c.
    let mut ids = Vec::new();
    for path in &copies {
        ids.push(asset_of(&f, path).await.id);
    }
    let mut order: Vec<usize> = (0..3).collect();
    order.sort_by_key(|&i| ids[i]);
    let (ida, idb, idc) = (ids[order[0]], ids[order[1]], ids[order[2]]);
    let (a, b, c) = (
        copies[order[0]].clone(),
        copies[order[1]].clone(),
        copies[order[2]].clone(),
    );
    set(&f, &a, &["title=Harbour", "keywords=boat; sea"]).await;
    set(
        &f,
        &b,
        &[
            "title=Harbor at dawn",
            "keywords=sea; dawn",
            "description=Morning",
        ],
    )
    .await;
    f.library
        .create_collection("Selects", None, Sort::Relevance, "test")
        .await
        .expect("collection");
    f.library
        .collection_members("Selects", &[c.clone().into_os_string()], true, "test")
        .await
        .expect("member");
    let assets_before = f.stats().await.assets;
    assert!(duplicates_found(&f).await.is_empty());

    let found = f.library.find_dupes(false).await.expect("dupes");
    let batch = found.merge_batch.expect("a merge batch");
    assert_eq!(found.merged.len(), 2);
    assert_eq!(f.stats().await.assets, assets_before - 2);

    // One asset, the oldest, with every copy and the merged metadata.
    let merged = asset_of(&f, &b).await;
    assert_eq!(merged.id, ida, "every copy resolves to the surviving asset");
    assert_eq!(asset_of(&f, &c).await.id, ida);
    let media: Vec<_> = merged
        .locations
        .iter()
        .filter(|l| l.role == "media")
        .collect();
    assert_eq!(media.len(), 3);
    assert_eq!(merged.title, "Harbour", "the oldest asset's value is kept");
    assert_eq!(
        merged.metadata.get("keywords"),
        Some(&serde_json::json!(["boat", "sea", "dawn"])),
        "lists are united"
    );
    assert_eq!(
        merged.metadata.get("description"),
        Some(&serde_json::json!("Morning")),
        "a value is kept over none"
    );
    assert_eq!(
        merged.merge_conflicts.len(),
        1,
        "{:?}",
        merged.merge_conflicts
    );
    let conflict = &merged.merge_conflicts[0];
    assert_eq!(conflict.field, "title");
    assert_eq!(conflict.kept, serde_json::json!("Harbour"));
    assert_eq!(conflict.other, serde_json::json!("Harbor at dawn"));
    assert_eq!(conflict.other_asset, idb);
    assert_eq!(
        conflict.other_locations,
        [trove_core::file_uri(&b)],
        "the conflict names where the other value came from"
    );
    assert_eq!(merged.conflicts.get("title").map(Vec::len), Some(2));
    // The dupes listing names the asset and its conflict.
    let listed = f.library.find_dupes(false).await.expect("dupes again");
    assert!(listed.merged.is_empty());
    assert_eq!(listed.groups[0].asset_id, Some(ida));
    assert_eq!(listed.groups[0].conflicts, merged.merge_conflicts);
    // Collections follow, search shows one asset with duplicates.
    let members = f
        .library
        .search_collection("Selects", "", &SearchOptions::default())
        .await
        .expect("collection search");
    assert_eq!(members.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [ida]);
    assert_eq!(duplicates_found(&f).await, [ida.0]);
    let all = f
        .library
        .search("harbour", &SearchOptions::default())
        .await
        .expect("search");
    assert!(
        !all.hits.iter().any(|h| h.id == idb || h.id == idc),
        "merged-away assets leave the index"
    );
    assert_ne!(asset_of(&f, &lone).await.id, ida);
    f.assert_consistent().await;

    // Undo splits them back exactly.
    let undone = f.library.undo(Some(batch)).await.expect("undo");
    assert_eq!(undone.batch, batch);
    assert_eq!(f.stats().await.assets, assets_before);
    let (back_a, back_b, back_c) = (
        asset_of(&f, &a).await,
        asset_of(&f, &b).await,
        asset_of(&f, &c).await,
    );
    assert_eq!((back_a.id, back_b.id, back_c.id), (ida, idb, idc));
    assert_eq!(
        back_a.metadata.get("keywords"),
        Some(&serde_json::json!(["boat", "sea"]))
    );
    assert_eq!(back_a.metadata.get("description"), None);
    assert!(back_a.merge_conflicts.is_empty());
    assert_eq!(back_b.title, "Harbor at dawn");
    assert_eq!(
        back_b.metadata.get("keywords"),
        Some(&serde_json::json!(["sea", "dawn"]))
    );
    assert_eq!(back_c.locations.len(), 1);
    let members = f
        .library
        .search_collection("Selects", "", &SearchOptions::default())
        .await
        .expect("collection search");
    assert_eq!(members.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [idc]);
    assert!(duplicates_found(&f).await.is_empty());
    f.assert_consistent().await;
    // An undone merge stays undone: hashing again does not merge them back.
    let again = f.library.find_dupes(false).await.expect("dupes after undo");
    assert!(again.merged.is_empty(), "{again:?}");
    assert_eq!(f.stats().await.assets, assets_before);
}

#[tokio::test]
async fn a_copy_changed_after_merging_leaves_the_asset() {
    let f = Fixture::new().await;
    let master = clip(21, 100_000);
    let a = f.write("A/take.mov", &master);
    let b = f.write("B/take.mov", &master);
    f.scan().await;
    set(&f, &a, &["keywords=take one"]).await;
    f.library.find_dupes(false).await.expect("dupes");
    let asset = asset_of(&f, &a).await.id;
    assert_eq!(asset_of(&f, &b).await.id, asset);
    assert_eq!(duplicates_found(&f).await, [asset.0]);
    let assets = f.stats().await.assets;

    // Someone re-edits one copy; the next scan sees new bytes.
    std::fs::write(&b, clip(22, 120_000)).expect("edit");
    f.scan().await;
    let edited = asset_of(&f, &b).await;
    assert_ne!(edited.id, asset, "the changed copy has an asset of its own");
    assert_eq!(f.stats().await.assets, assets + 1);
    assert_eq!(
        edited.metadata.get("keywords"),
        Some(&serde_json::json!(["take one"])),
        "it keeps what people said about it"
    );
    let kept = asset_of(&f, &a).await;
    assert_eq!(
        kept.locations.iter().filter(|l| l.role == "media").count(),
        1
    );
    assert!(duplicates_found(&f).await.is_empty());
    f.assert_consistent().await;
    // They are told apart from now on.
    let found = f.library.find_dupes(false).await.expect("dupes");
    assert!(found.groups.is_empty() && found.merged.is_empty());
}

/// Makes a 12 s 1080p clip, its 720p re-encode, a copy with 2.5 s cut off, and two unrelated
/// clips, in parallel.
fn make_clips(dir: &Path) -> [PathBuf; 5] {
    let p = |name: &str| dir.join(name);
    let original = p("original.mp4");
    ffmpeg(
        &original,
        &[
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=size=320x180:rate=10,scale=1920:1080,noise=alls=12:allf=t",
            "-t",
            "12",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "4M",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let orig = original.to_str().expect("utf-8").to_owned();
    let jobs: Vec<(PathBuf, Vec<String>)> = vec![
        (
            p("reencode-720p.mp4"),
            format!("-i {orig} -vf scale=1280:720 -c:v libx264 -preset ultrafast -b:v 600k"),
        ),
        (
            p("trimmed.mp4"),
            format!("-ss 2.5 -i {orig} -c:v libx264 -preset ultrafast -crf 30"),
        ),
        (
            p("testsrc2.mp4"),
            "-f lavfi -i testsrc2=size=640x360:rate=10 -t 12 -c:v libx264 -preset ultrafast"
                .to_owned(),
        ),
        (
            p("bars.mp4"),
            "-f lavfi -i smptebars=size=640x360:rate=10,noise=alls=10:allf=t -t 12 \
             -c:v libx264 -preset ultrafast"
                .to_owned(),
        ),
    ]
    .into_iter()
    .map(|(out, args)| (out, args.split_whitespace().map(str::to_owned).collect()))
    .collect();
    std::thread::scope(|s| {
        for (out, args) in &jobs {
            s.spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                ffmpeg(out, &args);
            });
        }
    });
    [
        original,
        p("reencode-720p.mp4"),
        p("trimmed.mp4"),
        p("testsrc2.mp4"),
        p("bars.mp4"),
    ]
}

#[tokio::test]
async fn issue_7_a_reencode_and_a_trim_are_grouped_with_their_original_and_the_best_is_kept() {
    let f = Fixture::new().await;
    let [original, reencode, trimmed, _, _] = make_clips(&f.media);
    let broken = f.write("broken.mp4", b"not a video at all");
    // The original is the newest file, so only quality can pick it.
    let new = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&original)
        .expect("open")
        .set_modified(new)
        .expect("mtime");
    f.scan().await;
    extract(&f).await;

    let found = f.library.find_dupes(true).await.expect("dupes");
    let near: Vec<_> = found.groups.iter().filter(|g| g.kind == "near").collect();
    assert_eq!(near.len(), 1, "unrelated clips are not grouped: {found:#?}");
    let mut members: Vec<&str> = near[0].members.iter().map(|m| m.path.as_str()).collect();
    members.sort_unstable();
    let path = |p: &PathBuf| p.to_str().expect("utf-8").to_owned();
    assert_eq!(members, [path(&original), path(&reencode), path(&trimmed)]);
    let original_member = near[0]
        .members
        .iter()
        .find(|m| m.path == path(&original))
        .expect("original");
    assert_eq!(
        (original_member.width, original_member.height),
        (Some(1920), Some(1080))
    );
    assert_eq!(
        near[0].suggested_keeper,
        Some(original_member.location_id),
        "the highest quality is suggested"
    );
    assert_eq!(
        found.near_printed, 6,
        "five clips and the broken file, tried once each"
    );
    let names_broken = |errors: &[String]| {
        errors
            .iter()
            .any(|e| e.contains(broken.to_str().expect("utf-8")))
    };
    assert!(names_broken(&found.errors), "{:?}", found.errors);

    // Looked at again: the prints are kept, nothing is decoded, the broken file is reported
    // again without being tried, and the groups are the same.
    let again = f.library.find_dupes(true).await.expect("dupes again");
    assert_eq!(again.near_printed, 0);
    assert!(names_broken(&again.errors), "{:?}", again.errors);
    let near_again: Vec<_> = again.groups.iter().filter(|g| g.kind == "near").collect();
    assert_eq!(near_again.len(), 1);
    let mut members_again: Vec<&str> = near_again[0]
        .members
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    members_again.sort_unstable();
    assert_eq!(members_again, members);

    // The similarity setting: at 0 every clip looks like every other (a re-encode and a trim
    // are alike frame for frame, so no setting below 1 parts them); outside 0..=1 is refused.
    let strict = |min| DupesOptions {
        near: true,
        min_similarity: Some(min),
        ..DupesOptions::default()
    };
    let lax = f.library.find_dupes_with(&strict(0.0)).await.expect("lax");
    let lax_near: Vec<_> = lax.groups.iter().filter(|g| g.kind == "near").collect();
    assert_eq!(lax_near.len(), 1, "{lax_near:#?}");
    assert_eq!(lax_near[0].members.len(), 5, "{lax_near:#?}");
    let refused = f.library.find_dupes_with(&strict(1.5)).await;
    assert!(
        matches!(&refused, Err(e) if e.to_string().contains("1.5")),
        "{refused:?}"
    );

    // Removing look-alikes by quality keeps the original; by age, the oldest.
    let mut by_quality = options(KeepPolicy::HighestQuality, false);
    by_quality.near = true;
    let plan = f
        .library
        .remove_dupes(&by_quality, "test")
        .await
        .expect("plan");
    let group = plan
        .groups
        .iter()
        .find(|g| g.kind == "near")
        .expect("near plan");
    assert_eq!(
        group.keep.as_ref().map(|k| k.path.clone()),
        Some(path(&original))
    );
    assert_eq!(group.remove.len(), 2);
    let mut by_age = options(KeepPolicy::Oldest, false);
    by_age.near = true;
    let plan = f.library.remove_dupes(&by_age, "test").await.expect("plan");
    let group = plan
        .groups
        .iter()
        .find(|g| g.kind == "near")
        .expect("near plan");
    assert_ne!(
        group.keep.as_ref().map(|k| k.path.clone()),
        Some(path(&original))
    );

    // Applied: the look-alikes go to the quarantine, and undo brings them back intact.
    let sums = tree_checksums(&f.media);
    by_quality.apply = true;
    let done = f
        .library
        .remove_dupes(&by_quality, "test")
        .await
        .expect("apply");
    assert_eq!(done.removed, 2, "{done:#?}");
    assert!(original.exists() && !reencode.exists() && !trimmed.exists());
    f.library.undo(done.batch).await.expect("undo");
    assert_eq!(tree_checksums(&f.media), sums);
    f.assert_consistent().await;
}

#[tokio::test]
async fn a_merged_asset_keeps_the_claims_of_every_copy_with_their_location() {
    let f = Fixture::new().await;
    let first = f.media.join("cam/a001.mp4");
    std::fs::create_dir_all(first.parent().expect("parent")).expect("mkdir");
    ffmpeg(
        &first,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=10",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
    );
    let second = f.write("backup/a001.mp4", &std::fs::read(&first).expect("read"));
    f.scan().await;
    extract(&f).await;
    let before = asset_of(&f, &second).await;
    assert!(before.claims.iter().any(|c| c.source == "probe"));

    f.library.find_dupes(false).await.expect("dupes");
    let merged = asset_of(&f, &first).await;
    assert_eq!(asset_of(&f, &second).await.id, merged.id);
    let ids: std::collections::HashSet<_> = merged
        .locations
        .iter()
        .filter(|l| l.role == "media")
        .map(|l| l.id)
        .collect();
    assert_eq!(ids.len(), 2);
    for location in &ids {
        assert!(
            merged.claims.iter().any(|c| c.source == "probe"
                && c.field == "width"
                && c.location_id == Some(*location)),
            "the probe claims of location {location} are kept with it"
        );
    }
    assert_eq!(merged.metadata.get("width"), Some(&serde_json::json!(320)));
    f.assert_consistent().await;
}

#[tokio::test]
async fn many_copies_merge_in_one_batch_and_undo_puts_every_asset_back_as_it_was() {
    let f = Fixture::new().await;
    // Ten contents of three copies each, with nothing of their own to combine (the set-based
    // path of the catalog) ...
    let mut paths = Vec::new();
    for n in 0..10u64 {
        let bytes = clip(100 + n, 50_000 + n as usize);
        for dir in ["A", "B", "C"] {
            paths.push(f.write(&format!("{dir}/clip_{n}.mov"), &bytes));
        }
    }
    // ... and one whose younger copy has a user title (merged one by one, in the same batch).
    let pair = [
        f.write("D/named.mov", &clip(300, 40_000)),
        f.write("E/named.mov", &clip(300, 40_000)),
    ];
    paths.extend(pair.iter().cloned());
    f.scan().await;
    let mut pair_ids = [
        asset_of(&f, &pair[0]).await.id,
        asset_of(&f, &pair[1]).await.id,
    ];
    let younger = if pair_ids[0] < pair_ids[1] {
        &pair[1]
    } else {
        &pair[0]
    };
    set(&f, younger, &["title=Named at the harbour"]).await;
    pair_ids.sort();
    let mut before = Vec::new();
    for path in &paths {
        let view = asset_of(&f, path).await;
        before.push(serde_json::to_value(&view).expect("json"));
    }
    let assets_before = f.stats().await.assets;

    let found = f.library.find_dupes(false).await.expect("dupes");
    assert_eq!(found.groups.len(), 11);
    assert_eq!(found.merged.len(), 21, "{:?}", found.merged);
    assert_eq!(f.stats().await.assets, assets_before - 21);
    for (n, copies) in paths.chunks(3).take(10).enumerate() {
        let mut ids = Vec::new();
        for path in copies {
            ids.push(asset_of(&f, path).await.id);
        }
        assert!(ids.iter().all(|&id| id == ids[0]), "content {n}: {ids:?}");
        let expect = before[n * 3..n * 3 + 3]
            .iter()
            .map(|v| v["id"].as_i64().expect("id"))
            .min();
        assert_eq!(Some(ids[0].0), expect, "the oldest asset stays");
        assert_eq!(asset_of(&f, &copies[0]).await.locations.len(), 3);
    }
    let named = asset_of(&f, &pair[0]).await;
    assert_eq!(named.id, pair_ids[0]);
    assert_eq!(
        named.title, "Named at the harbour",
        "a user value joins the survivor"
    );
    f.assert_consistent().await;

    let undone = f
        .library
        .undo(found.merge_batch)
        .await
        .expect("undo of the merges");
    assert_eq!(Some(undone.batch), found.merge_batch);
    assert_eq!(f.stats().await.assets, assets_before);
    for (path, was) in paths.iter().zip(&before) {
        let now = serde_json::to_value(asset_of(&f, path).await).expect("json");
        assert_eq!(&now, was, "{} is back as it was", path.display());
    }
    f.assert_consistent().await;
}

#[tokio::test]
async fn copies_with_commas_and_non_utf8_bytes_in_their_names_are_grouped_by_their_exact_paths() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::new().await;
    let bytes = clip(77, 120_000);
    let comma = f.write("Reels, day 2/take 1, final.mov", &bytes);
    let odd = f
        .media
        .join(std::ffi::OsStr::from_bytes(b"Latin1 caf\xe9.mov"));
    std::fs::write(&odd, &bytes).expect("write");
    let plain = f.write("plain.mov", &bytes);
    f.scan().await;

    let found = f.library.find_dupes(false).await.expect("dupes");
    assert_eq!(found.groups.len(), 1, "{found:#?}");
    let mut uris: Vec<String> = found.groups[0]
        .members
        .iter()
        .map(|m| m.uri.clone())
        .collect();
    uris.sort();
    let mut expect: Vec<String> = [&comma, &odd, &plain]
        .iter()
        .map(|p| trove_core::file_uri(p))
        .collect();
    expect.sort();
    assert_eq!(uris, expect);
    assert_eq!(found.merged.len(), 2);
}
