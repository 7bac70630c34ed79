//! The cache: content keys, fingerprints, LRU cap, reading without the source.

use super::*;
use trove_preview::Fingerprint;

/// A small JPEG still, made quickly.
fn still(dir: &Path, name: &str, size: &str) -> PathBuf {
    jpeg(dir, name, size)
}

#[test]
fn identical_content_keys_share_one_entry() {
    let tmp = TempDir::new().expect("temp dir");
    let a = still(tmp.path(), "a.jpg", "640x480");
    let b = tmp.path().join("copy-of-a.jpg");
    std::fs::copy(&a, &b).expect("copy");
    let (_dir, cache) = cache();
    let settings = PreviewSettings::default();
    let first = ensure(
        &cache,
        &request("blake3:same", &a, MediaKind::Still),
        &settings,
    );
    let mut second_request = request("blake3:same", &b, MediaKind::Still);
    // The copy's fingerprint is the caller's content hash here, as it would be in Trove.
    second_request.fingerprint = first_fingerprint(&first);
    let second = ensure(&cache, &second_request, &settings);
    assert!(!first.from_cache && second.from_cache);
    assert_eq!(first.dir, second.dir);
    assert_eq!(entries(&cache), 1);
}

fn first_fingerprint(p: &Previews) -> Fingerprint {
    Fingerprint::new(p.manifest.fingerprint.clone())
}

fn entries(cache: &PreviewCache) -> usize {
    let top = cache.root().join("entries");
    std::fs::read_dir(top)
        .expect("entries")
        .map(|fan| {
            std::fs::read_dir(fan.expect("fan").path())
                .expect("fan")
                .count()
        })
        .sum()
}

#[test]
fn a_changed_source_is_remade() {
    let tmp = TempDir::new().expect("temp dir");
    let source = still(tmp.path(), "photo.jpg", "640x480");
    let (_dir, cache) = cache();
    let settings = PreviewSettings::default();
    let first = ensure(
        &cache,
        &request("loc:1", &source, MediaKind::Still),
        &settings,
    );
    let again = ensure(
        &cache,
        &request("loc:1", &source, MediaKind::Still),
        &settings,
    );
    assert!(again.from_cache);

    // Same key (a location), new bytes: the fingerprint changes and the entry is remade.
    still(tmp.path(), "photo.jpg", "320x200");
    let changed = ensure(
        &cache,
        &request("loc:1", &source, MediaKind::Still),
        &settings,
    );
    assert!(!changed.from_cache);
    assert_ne!(changed.manifest.fingerprint, first.manifest.fingerprint);
    assert_eq!(
        decoded_size(&changed.poster(320).expect("poster")),
        (320, 200)
    );
    assert_eq!(entries(&cache), 1);

    // Other settings remake it too.
    let other = ensure(
        &cache,
        &request("loc:1", &source, MediaKind::Still),
        &PreviewSettings::posters_only(&[160]),
    );
    assert!(!other.from_cache);
    assert!(other.poster(160).is_some() && other.poster(320).is_none());
}

#[test]
fn previews_stay_readable_without_the_source() {
    let tmp = TempDir::new().expect("temp dir");
    let source = still(tmp.path(), "archived.jpg", "640x480");
    let (_dir, cache) = cache();
    let req = request("blake3:archived", &source, MediaKind::Still);
    ensure(&cache, &req, &PreviewSettings::default());
    std::fs::remove_file(&source).expect("remove");
    let p = cache.get(&req.key).expect("get").expect("entry");
    assert!(p.from_cache);
    assert_eq!(decoded_size(&p.poster(320).expect("poster")), (320, 240));
    let missing = ContentKey::new("blake3:never").expect("key");
    assert!(cache.get(&missing).expect("get").is_none());
}

#[test]
fn the_size_cap_evicts_the_least_recently_used() {
    let tmp = TempDir::new().expect("temp dir");
    let source = still(tmp.path(), "s.jpg", "640x480");
    let (_dir, cache) = cache();
    let settings = PreviewSettings::default();
    let mut sizes = Vec::new();
    for key in ["a", "b", "c"] {
        let p = ensure(&cache, &request(key, &source, MediaKind::Still), &settings);
        sizes.push(p.dir);
    }
    // `a` is read again, so `b` is now the least recently used.
    let a = ContentKey::new("a").expect("key");
    assert!(cache.get(&a).expect("get").is_some());

    let report = cache.enforce_cap(u64::MAX).expect("no cap");
    assert_eq!((report.entries, report.evicted), (3, 0));
    let total = report.bytes_before;
    let report = cache.enforce_cap(total - 1).expect("cap");
    assert_eq!(report.evicted, 1);
    assert!(report.bytes_after < total);
    assert!(!sizes[1].exists(), "b should be evicted");
    assert!(sizes[0].exists() && sizes[2].exists());

    // A cap of zero empties the cache.
    let report = cache.enforce_cap(0).expect("cap");
    assert_eq!((report.evicted, report.bytes_after), (2, 0));
    assert_eq!(entries(&cache), 0);
}

#[test]
fn empty_keys_are_refused() {
    assert!(ContentKey::new("").is_err());
    assert!(ContentKey::new("x".repeat(2000)).is_err());
}

#[test]
fn two_callers_of_one_key_make_it_once() {
    let tmp = TempDir::new().expect("temp dir");
    let source = clip(tmp.path(), "shared.mp4", "320x240", 1);
    let (_dir, cache) = cache();
    let settings = PreviewSettings::default();
    let req = request("blake3:shared", &source, MediaKind::Video);
    let made: Vec<bool> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| ensure(&cache, &req, &settings).from_cache))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect()
    });
    assert_eq!(
        made.iter().filter(|from_cache| !**from_cache).count(),
        1,
        "{made:?}"
    );
}
