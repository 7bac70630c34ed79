//! `trove` on S3 sources against a real moto_server: a bucket of 5,000 objects across every
//! storage class, with user metadata, through `source add`, `scan`, `jobs wait`, `stats`, `show`
//! and `search`; then the errors users meet when adding a bucket.

use crate::{count, Setup};
use trove_testkit::{MotoOptions, MotoServer};

const CLASSES: [&str; 7] = [
    "STANDARD",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

/// boto3 set up for `moto` (its venv's Python), then `body`.
fn python(moto: &MotoServer, body: &str) -> String {
    moto.run_python(&format!(
        r#"
import os, boto3, concurrent.futures as cf
kw = dict(endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test")
s3 = boto3.client("s3", **kw)
{body}
"#
    ))
}

#[test]
fn a_bucket_of_5000_objects_through_the_cli() {
    let moto = MotoServer::start();
    python(
        &moto,
        &format!(
            r#"
s3.create_bucket(Bucket="footage")
classes = {CLASSES:?}
def put(i):
    s3.put_object(Bucket="footage", Key=f"harbour-{{i % 8}}/shot-{{i % 13:02}}/take-{{i:05}}.txt",
                  Body=(f"take {{i}} " * (i % 17 + 1)).encode(), StorageClass=classes[i % 7],
                  Metadata={{"title": f"Harbour take {{i}}", "project": f"harbour-{{i % 8}}"}})
with cf.ThreadPoolExecutor(16) as pool:
    list(pool.map(put, range(5000)))
"#
        ),
    );
    let s = Setup::new();
    let endpoint = moto.endpoint();
    let added = s.json(&[
        "source",
        "add",
        "s3://footage",
        "--endpoint-url",
        &endpoint,
        "--path-style",
        "--region",
        "us-east-1",
        "--json",
    ]);
    assert_eq!(added["kind"], "s3");
    assert_eq!(added["uri"], "s3://footage");

    let scan = s.json(&["scan", "--json"]);
    assert_eq!(count(&scan, "added"), 5_000, "{scan}");
    let stats = s.json(&["stats", "--json"]);
    assert_eq!(count(&stats, "locations"), 5_000);
    assert_eq!(count(&stats, "assets"), 5_000);

    // HEADs (user metadata, tags) run as jobs after the listing.
    let jobs = s.json(&["jobs", "wait", "--json"]);
    assert_eq!(count(&jobs, "done"), 5_000, "{jobs}");
    assert_eq!(count(&jobs, "failed"), 0, "{jobs}");

    let show = s.json(&[
        "show",
        "s3://footage/harbour-3/shot-03/take-00003.txt",
        "--json",
    ]);
    let location = &show["locations"][0];
    assert_eq!(
        location["uri"],
        "s3://footage/harbour-3/shot-03/take-00003.txt"
    );
    assert_eq!(location["storage_class"], "INTELLIGENT_TIERING");
    assert_eq!(location["size"], "take 3 ".len() * 4);
    assert_eq!(
        location["etag"].as_str().map(str::len),
        Some(32),
        "{location}"
    );
    assert_eq!(location["online"], true);
    assert_eq!(show["metadata"]["title"], "Harbour take 3");
    assert_eq!(show["provenance"]["title"], "s3");
    assert_eq!(show["metadata"]["custom.project"], "harbour-3");

    let deep = s.json(&[
        "show",
        "s3://footage/harbour-6/shot-06/take-00006.txt",
        "--json",
    ]);
    assert_eq!(deep["locations"][0]["storage_class"], "DEEP_ARCHIVE");
    assert_eq!(deep["locations"][0]["archive_state"], "archived");

    let found = s.json(&["search", "take 00042", "--json"]);
    assert_eq!(count(&found, "total"), 1, "{found}");
    assert_eq!(
        found["hits"][0]["locations"][0]["uri"],
        "s3://footage/harbour-2/shot-03/take-00042.txt"
    );
    let deep = s.json(&["search", "storage_class:deep_archive", "--json"]);
    assert_eq!(count(&deep, "total"), 714);
    let facets = deep["facets"]["storage_class"].to_string();
    assert!(facets.contains("DEEP_ARCHIVE"), "{facets}");

    // Nothing changed: nothing written.
    let again = s.json(&["scan", "--json"]);
    assert_eq!(count(&again, "unchanged"), 5_000, "{again}");
    assert_eq!(count(&again, "added") + count(&again, "updated"), 0);
    let jobs = s.json(&["jobs", "wait", "--json"]);
    assert_eq!(count(&jobs, "done"), 0, "{jobs}");

    python(
        &moto,
        r#"s3.delete_object(Bucket="footage", Key="harbour-0/shot-00/take-00000.txt")"#,
    );
    let third = s.json(&["scan", "--json"]);
    assert_eq!(count(&third, "missing"), 1, "{third}");
    let stats = s.json(&["stats", "--json"]);
    assert_eq!(
        (count(&stats, "locations"), count(&stats, "missing")),
        (5_000, 1)
    );
    s.assert_check();

    let missing = s.run(&[
        "source",
        "add",
        "s3://no-such-bucket",
        "--endpoint-url",
        &endpoint,
        "--path-style",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("no such bucket: s3://no-such-bucket"),
        "{stderr}"
    );
}

#[test]
fn adding_a_bucket_with_bad_credentials_names_it_and_exits_1() {
    let moto = MotoServer::start_with(&MotoOptions {
        enforce_auth_after: Some(1),
    });
    python(&moto, r#"s3.create_bucket(Bucket="locked")"#);
    let s = Setup::new();
    let endpoint = moto.endpoint();
    let add = |bucket: &str, profile: &str| {
        s.run(&[
            "source",
            "add",
            bucket,
            "--endpoint-url",
            &endpoint,
            "--path-style",
            "--profile",
            profile,
        ])
    };
    let wrong = add("s3://locked", "wrong");
    assert_eq!(wrong.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("S3 rejected the credentials for s3://locked: InvalidAccessKeyId"),
        "{stderr}"
    );
    let nocreds = add("s3://locked", "nocreds");
    assert_eq!(nocreds.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&nocreds.stderr);
    assert!(
        stderr.contains("no AWS credentials for s3://locked"),
        "{stderr}"
    );
    let sources = s.json(&["source", "list", "--json"]);
    assert_eq!(sources.as_array().map(Vec::len), Some(0));
}
