//! Duplicates among S3 objects against a real moto_server, through the fault proxy (whose
//! request log shows what was read): objects join the groups of their local copies by key
//! (MD5 ETag, SHA-256 checksum) or by a read (multipart ETags), S3-only copies group by key,
//! archived objects are never read, and removal of S3 copies is dry-run-able, skips changed
//! objects and is undone to the same bytes and ETags — by delete markers in a versioned bucket,
//! by a quarantine key in an unversioned one.

use crate::config;
use crate::dupes::bytes;
use crate::Fixture;
use std::path::Path;
use std::time::{Duration, SystemTime};
use trove_engine::{DupesReport, JobOptions, KeepPolicy, Library, RemoveOptions};
use trove_testkit::{FaultProxy, MotoServer, RequestRecord};

const MIB: usize = 1024 * 1024;
/// Sizes: multipart objects need parts of 5 MiB.
const SIZE_A: usize = 20_000;
const SIZE_B: usize = 6 * MIB + 100;
const SIZE_C: usize = 30_000;
const SIZE_D: usize = 25_000;
const SIZE_E: usize = 6 * MIB + 200;
const SIZE_G: usize = 40_000;

const CLIENT: &str = r#"
import os, sys, json, hashlib, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
def body(path):
    with open(path, "rb") as f:
        return f.read()
def multipart(bucket, key, path, **extra):
    data = body(path)
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, **extra)
    parts = []
    for n, start in enumerate(range(0, len(data), 5 * 1024 * 1024), 1):
        p = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=n,
                           Body=data[start:start + 5 * 1024 * 1024])
        parts.append({"PartNumber": n, "ETag": p["ETag"]})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": parts})
"#;

/// Every version and delete marker of `bucket`, with ETags and the MD5 of current bodies, one
/// line each: what "nothing changed" and "all back" compare.
fn listing(moto: &MotoServer, bucket: &str) -> Vec<String> {
    let out = moto.run_python(&format!(
        r#"{CLIENT}
r = s3.list_object_versions(Bucket="{bucket}")
for v in r.get("Versions", []):
    if v.get("StorageClass") == "DEEP_ARCHIVE":
        print("version", v["Key"], v["VersionId"], v["IsLatest"], v["ETag"], "archived")
        continue
    md5 = hashlib.md5(s3.get_object(Bucket="{bucket}", Key=v["Key"], VersionId=v["VersionId"])["Body"].read()).hexdigest()
    print("version", v["Key"], v["VersionId"], v["IsLatest"], v["ETag"], md5, v.get("StorageClass"))
for m in r.get("DeleteMarkers", []):
    print("marker", m["Key"], m["VersionId"], m["IsLatest"])
"#
    ));
    let mut lines: Vec<String> = out.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// The current objects of `bucket`: key, ETag and MD5 of the body.
fn current(moto: &MotoServer, bucket: &str) -> Vec<String> {
    let out = moto.run_python(&format!(
        r#"{CLIENT}
for o in s3.list_objects_v2(Bucket="{bucket}").get("Contents", []):
    if o.get("StorageClass") == "DEEP_ARCHIVE":
        print(o["Key"], o["ETag"], "archived")
        continue
    md5 = hashlib.md5(s3.get_object(Bucket="{bucket}", Key=o["Key"])["Body"].read()).hexdigest()
    print(o["Key"], o["ETag"], md5, o.get("StorageClass"))
"#
    ));
    let mut lines: Vec<String> = out.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

fn gets_of(log: &[RequestRecord], key: &str) -> usize {
    log.iter()
        .filter(|r| r.method == "GET" && r.target.split('?').next().unwrap_or("").ends_with(key))
        .count()
}

fn writes(log: &[RequestRecord]) -> Vec<String> {
    log.iter()
        .filter(|r| matches!(r.method.as_str(), "PUT" | "POST" | "DELETE"))
        .map(|r| format!("{} {}", r.method, r.target))
        .collect()
}

fn group_of<'a>(report: &'a DupesReport, uri: &str) -> Option<&'a trove_engine::DupeGroup> {
    report
        .groups
        .iter()
        .find(|g| g.members.iter().any(|m| m.uri == uri || m.path == uri))
}

fn uris(group: &trove_engine::DupeGroup) -> Vec<String> {
    let mut out: Vec<String> = group
        .members
        .iter()
        .map(|m| {
            if m.uri.starts_with("s3://") {
                m.uri.clone()
            } else {
                Path::new(&m.path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }
        })
        .collect();
    out.sort();
    out
}

fn age(path: &Path, days: u64) {
    let when = SystemTime::now() - Duration::from_secs(86_400 * days);
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open")
        .set_modified(when)
        .expect("mtime");
}

async fn run_head_jobs(library: &Library) {
    library.plan_jobs().await.expect("plan");
    library
        .run_jobs(&JobOptions::default(), &|_| {}, std::future::pending())
        .await
        .expect("run jobs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_copies_group_with_local_ones_and_are_removed_undoably() {
    let moto = MotoServer::start();
    let proxy = FaultProxy::start(moto.addr());
    let f = Fixture::new().await;
    let scratch = tempfile::tempdir().expect("scratch");
    let g = bytes(7, SIZE_G);
    let (a, b, c, d, e, other) = (
        bytes(1, SIZE_A),
        bytes(2, SIZE_B),
        bytes(3, SIZE_C),
        bytes(4, SIZE_D),
        bytes(5, SIZE_E),
        bytes(6, SIZE_B),
    );
    let local_a = f.write("a.bin", &a);
    let local_b = f.write("b.bin", &b);
    let local_c = f.write("c.bin", &c);
    let local_c2 = f.write("copies/c2.bin", &c);
    let local_e = f.write("e.bin", &e);
    // The local copies are the oldest, c.bin the oldest of its two.
    for (path, days) in [(&local_a, 3), (&local_b, 3), (&local_c, 3), (&local_c2, 2)] {
        age(path, days);
    }
    age(&local_e, 3);
    let local_g = f.write("g.bin", &g);
    age(&local_g, 3);
    let d_path = crate::write(scratch.path(), "d.bin", &d);
    let other_path = crate::write(scratch.path(), "other.bin", &other);
    moto.run_python(&format!(
        r#"{CLIENT}
s3.create_bucket(Bucket="dupes-plain")
s3.create_bucket(Bucket="dupes-versioned")
s3.put_bucket_versioning(Bucket="dupes-versioned", VersioningConfiguration={{"Status": "Enabled"}})
# (a) single-part uploads of a.bin, in both buckets.
s3.put_object(Bucket="dupes-plain", Key="single/a.bin", Body=body({a:?}))
s3.put_object(Bucket="dupes-versioned", Key="v/a.bin", Body=body({a:?}), StorageClass="GLACIER_IR")
# (b) a multipart upload of b.bin.
multipart("dupes-plain", "multi/b.bin", {b:?})
# (c) c.bin with a SHA-256 checksum.
s3.put_object(Bucket="dupes-versioned", Key="sha/c.bin", Body=body({c:?}), ChecksumAlgorithm="SHA256")
# (d) two equal objects only in S3.
s3.put_object(Bucket="dupes-plain", Key="only/d1.bin", Body=body({d:?}))
s3.put_object(Bucket="dupes-plain", Key="only/d2.bin", Body=body({d:?}), StorageClass="GLACIER_IR")
# (e) e.bin in DEEP_ARCHIVE, multipart.
multipart("dupes-plain", "cold/e.bin", {e:?}, StorageClass="DEEP_ARCHIVE")
# g.bin in DEEP_ARCHIVE, single-part: grouped by its ETag, never read.
s3.put_object(Bucket="dupes-plain", Key="cold/g.bin", Body=body({g:?}), StorageClass="DEEP_ARCHIVE")
# (f) not b.bin, but of its size.
multipart("dupes-plain", "other/f.bin", {other:?})
"#,
        a = local_a.display().to_string(),
        b = local_b.display().to_string(),
        c = local_c.display().to_string(),
        d = d_path.display().to_string(),
        e = local_e.display().to_string(),
        other = other_path.display().to_string(),
        g = local_g.display().to_string(),
    ));
    for bucket in ["dupes-plain", "dupes-versioned"] {
        f.library
            .add_s3_source(&format!("s3://{bucket}"), &config(&proxy.endpoint()))
            .await
            .expect("add source");
    }
    let quiet = |_: &trove_engine::ScanProgress| {};
    f.library.scan(&[], &quiet).await.expect("scan");
    // HEAD jobs read the checksums.
    run_head_jobs(&f.library).await;
    proxy.clear_requests();

    let found = f.library.find_dupes(false).await.expect("dupes");
    let log = proxy.requests();
    for key in ["cold/e.bin", "cold/g.bin"] {
        assert_eq!(gets_of(&log, key), 0, "an archived object is never read");
    }
    assert_eq!(
        gets_of(&log, "multi/b.bin"),
        1,
        "a multipart object is read"
    );
    assert_eq!(
        gets_of(&log, "other/f.bin"),
        1,
        "so is one of a local file's size"
    );
    for key in [
        "single/a.bin",
        "v/a.bin",
        "sha/c.bin",
        "only/d1.bin",
        "only/d2.bin",
    ] {
        assert_eq!(gets_of(&log, key), 0, "{key} is known by its key");
    }
    assert_eq!(found.s3_bytes_read, 2 * SIZE_B as u64);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    assert_eq!(found.groups.len(), 5, "{:#?}", found.groups);

    let plain = |key: &str| format!("s3://dupes-plain/{key}");
    let versioned = |key: &str| format!("s3://dupes-versioned/{key}");
    let group_a = group_of(&found, &plain("single/a.bin")).expect("a group for a.bin");
    assert_eq!(
        uris(group_a),
        [
            "a.bin".to_owned(),
            plain("single/a.bin"),
            versioned("v/a.bin")
        ]
    );
    assert_eq!(
        group_a.hash.as_deref(),
        Some(blake3::hash(&a).to_hex().as_str()),
        "a lone local file names its group"
    );
    let group_b = group_of(&found, &plain("multi/b.bin")).expect("a group for b.bin");
    assert_eq!(uris(group_b), ["b.bin".to_owned(), plain("multi/b.bin")]);
    let group_c = group_of(&found, &versioned("sha/c.bin")).expect("a group for c.bin");
    assert_eq!(
        uris(group_c),
        ["c.bin".to_owned(), "c2.bin".into(), versioned("sha/c.bin")]
    );
    assert_eq!(
        group_c.hash.as_deref(),
        Some(blake3::hash(&c).to_hex().as_str()),
        "an object joins the local group, whose hash stays"
    );
    let group_d = group_of(&found, &plain("only/d1.bin")).expect("a group for d");
    assert_eq!(uris(group_d), [plain("only/d1.bin"), plain("only/d2.bin")]);
    let md5_d = format!("md5:{}", md5_hex(&d));
    assert_eq!(group_d.hash.as_deref(), Some(md5_d.as_str()));
    assert!(group_of(&found, &plain("cold/e.bin")).is_none());
    let group_g = group_of(&found, &plain("cold/g.bin")).expect("archived, but its key matches");
    assert_eq!(uris(group_g), ["g.bin".to_owned(), plain("cold/g.bin")]);
    let archived = group_g
        .members
        .iter()
        .find(|m| m.uri == plain("cold/g.bin"))
        .expect("member");
    assert_eq!(
        (archived.tier(), archived.storage_class.as_deref()),
        ("archive", Some("DEEP_ARCHIVE"))
    );
    assert!(group_of(&found, &plain("other/f.bin")).is_none());
    let member = group_a
        .members
        .iter()
        .find(|m| m.uri == plain("single/a.bin"))
        .expect("member");
    assert_eq!(member.path, plain("single/a.bin"));
    assert_eq!((member.online, member.tier()), (true, "cloud"));

    // The S3 copies are the local file's asset now.
    let local_asset = f.library.show(local_a.as_os_str()).await.expect("show").id;
    for uri in [plain("single/a.bin"), versioned("v/a.bin")] {
        let asset = f.library.show(uri.as_ref()).await.expect("show").id;
        assert_eq!(asset, local_asset, "{uri} merged into the local asset");
    }
    assert_eq!(group_a.asset_id, Some(local_asset));
    let d1 = f
        .library
        .show(plain("only/d1.bin").as_ref())
        .await
        .expect("d1")
        .id;
    let d2 = f
        .library
        .show(plain("only/d2.bin").as_ref())
        .await
        .expect("d2")
        .id;
    assert_eq!(d1, d2, "S3-only copies are one asset");

    // Again: nothing is read, locally or in S3.
    proxy.clear_requests();
    let again = f.library.find_dupes(false).await.expect("dupes again");
    assert_eq!((again.bytes_read, again.s3_bytes_read), (0, 0));
    assert_eq!(again.groups.len(), 5);
    assert!(again.merged.is_empty());
    assert!(proxy.requests().iter().all(|r| r.method != "GET"));

    // A dry run changes nothing and sends nothing that writes.
    let before = (
        listing(&moto, "dupes-plain"),
        listing(&moto, "dupes-versioned"),
    );
    let options = |apply| RemoveOptions {
        policy: KeepPolicy::Oldest,
        apply,
        near: false,
        min_similarity: None,
        across_tiers: true,
    };
    let stats = f.stats().await;
    proxy.clear_requests();
    let plan = f
        .library
        .remove_dupes(&options(false), "test")
        .await
        .expect("dry run");
    assert!(
        writes(&proxy.requests()).is_empty(),
        "{:?}",
        writes(&proxy.requests())
    );
    assert_eq!(
        (
            listing(&moto, "dupes-plain"),
            listing(&moto, "dupes-versioned")
        ),
        before
    );
    assert_eq!(f.stats().await, stats);
    // a: two S3 copies; b: one; c: c2.bin and the S3 copy; d: d2. The archived copy of g.bin
    // cannot be quarantined in a bucket without versioning.
    assert_eq!(plan.removed, 6, "{:#?}", plan.groups);
    let refused = |report: &trove_engine::RemovalReport| -> Vec<String> {
        report
            .groups
            .iter()
            .flat_map(|g| g.skipped.iter())
            .filter(|s| s.member.uri == plain("cold/g.bin"))
            .map(|s| s.reason.clone())
            .collect()
    };
    let reasons = refused(&plan);
    assert!(
        reasons.len() == 1 && reasons[0].contains("cannot be copied"),
        "{reasons:?}"
    );
    // Both GLACIER_IR copies carry the minimum storage duration warning.
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    for uri in [versioned("v/a.bin"), plain("only/d2.bin")] {
        assert!(
            plan.warnings.iter().any(|w| w.starts_with(uri.as_str())
                && w.contains("GLACIER_IR")
                && w.contains("90 days")),
            "{uri}: {:?}",
            plan.warnings
        );
    }

    // An object overwritten after the scan is kept.
    moto.run_python(&format!(
        r#"{CLIENT}
s3.put_object(Bucket="dupes-plain", Key="multi/b.bin", Body=b"new takes")
"#
    ));
    let before_plain = current(&moto, "dupes-plain");
    let before_versioned = current(&moto, "dupes-versioned");
    let done = f
        .library
        .remove_dupes(&options(true), "dupes remove --apply")
        .await
        .expect("apply");
    let batch = done.batch.expect("a batch");
    assert_eq!(done.removed, 5, "{:#?}", done.groups);
    assert_eq!(done.warnings.len(), 2, "{:?}", done.warnings);
    let skipped: Vec<(&str, &str)> = done
        .groups
        .iter()
        .flat_map(|g| g.skipped.iter())
        .map(|s| (s.member.uri.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(refused(&done).len(), 1);
    let b_skip = skipped
        .iter()
        .find(|(uri, _)| *uri == plain("multi/b.bin"))
        .expect("b.bin's S3 copy is kept");
    assert!(b_skip.1.contains("changed since the scan"), "{skipped:?}");
    // Unversioned: moved to the quarantine key. Versioned: behind a delete marker.
    let after_plain = current(&moto, "dupes-plain");
    let keys = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .map(|l| l.split(' ').next().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(
        keys(&after_plain),
        [
            ".trove-quarantine/only/d2.bin",
            ".trove-quarantine/single/a.bin",
            "cold/e.bin",
            "cold/g.bin",
            "multi/b.bin",
            "only/d1.bin",
            "other/f.bin"
        ]
    );
    assert!(current(&moto, "dupes-versioned").is_empty());
    let markers = listing(&moto, "dupes-versioned")
        .iter()
        .filter(|l| l.starts_with("marker") && l.ends_with("True"))
        .count();
    assert_eq!(markers, 2);
    assert!(!local_c2.exists() && local_c.exists() && local_a.exists());
    // A scan does not take the quarantine for objects of the library.
    f.library.scan(&[], &quiet).await.expect("rescan");
    assert!(f
        .library
        .show(plain(".trove-quarantine/single/a.bin").as_ref())
        .await
        .is_err());

    // Undo: every object back, same bytes and ETags; nothing left in the quarantine.
    f.library.undo(Some(batch)).await.expect("undo");
    assert_eq!(current(&moto, "dupes-plain"), before_plain);
    assert_eq!(current(&moto, "dupes-versioned"), before_versioned);
    assert!(
        listing(&moto, "dupes-versioned")
            .iter()
            .all(|l| !l.starts_with("marker")),
        "the delete markers are gone"
    );
    assert_eq!(std::fs::read(&local_c2).expect("c2 back"), c);
    f.assert_consistent().await;

    // Keeping the copies in the versioned bucket: the keeper is checked by a HEAD, and local
    // copies are removed on its strength.
    let in_versioned = RemoveOptions {
        policy: KeepPolicy::InSource("s3://dupes-versioned".into()),
        apply: true,
        near: false,
        min_similarity: None,
        across_tiers: true,
    };
    let done = f
        .library
        .remove_dupes(&in_versioned, "dupes remove --policy keep-in-source")
        .await
        .expect("apply keep-in-source");
    let kept: Vec<&str> = done
        .groups
        .iter()
        .filter_map(|g| g.keep.as_ref().map(|k| k.uri.as_str()))
        .collect();
    assert_eq!(kept.len(), 2, "{:#?}", done.groups);
    assert!(kept.contains(&versioned("v/a.bin").as_str()));
    assert!(kept.contains(&versioned("sha/c.bin").as_str()));
    // a.bin and its unversioned S3 copy; c.bin and c2.bin.
    assert_eq!(done.removed, 4, "{:#?}", done.groups);
    assert!(!local_a.exists() && !local_c.exists() && !local_c2.exists());
    assert_eq!(current(&moto, "dupes-versioned"), before_versioned);
    f.library
        .undo(done.batch)
        .await
        .expect("undo keep-in-source");
    assert_eq!(std::fs::read(&local_a).expect("a back"), a);
    assert_eq!(std::fs::read(&local_c).expect("c back"), c);
    assert_eq!(current(&moto, "dupes-plain"), before_plain);
    f.assert_consistent().await;
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
