//! Duplicates on real files: exact groups, the hash cache, near look-alikes, and removal that
//! is dry-run-able, keeps a copy, skips changed files and is undone byte for byte.

use crate::{ffmpeg, Fixture};
use trove_engine::KeepPolicy;

fn bytes(seed: u64, len: usize) -> Vec<u8> {
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
    let again = f.library.find_dupes(false).await.expect("dupes again");
    assert_eq!(again.bytes_read, 0, "hashes come from the cache");
    assert_eq!(again.groups.len(), 1);

    // A dry run changes nothing.
    let plan = f
        .library
        .remove_dupes(&KeepPolicy::Oldest, false, "test")
        .await
        .expect("dry run");
    assert!(plan.dry_run && plan.batch.is_none());
    assert_eq!(plan.removed, 2);
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
            &KeepPolicy::Oldest,
            true,
            "dupes remove --policy keep-oldest --apply",
        )
        .await
        .expect("apply");
    assert_eq!(done.removed, 1, "{done:?}");
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
