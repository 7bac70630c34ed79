//! A vault with three archives on moto: the inventory parsed with names, an archive retrieved
//! and downloaded verified by tree hash — through resets and a flipped byte, which are caught
//! and fetched again — and the tree hash checked against botocore's own.

use std::time::Duration;

use aws_sdk_glacier::primitives::ByteStream;
use trove_glacier::tree_hash::{to_hex, tree_hash, CHUNK};
use trove_glacier::{
    DownloadOptions, Error, ExpectedOutput, GlacierConfig, Retrieval, RetrievalTier, TreeHashCheck,
    Vault, WaitOptions,
};
use trove_testkit::{FaultProxy, Match, MotoServer, RequestRecord};

/// The proxy's log once it holds `n` requests (or after 5 s): the proxy logs a request once its
/// response is out, so the client may be a step ahead of the log.
async fn settled(proxy: &FaultProxy, n: usize) -> Vec<RequestRecord> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let log = proxy.requests();
        if log.len() >= n || std::time::Instant::now() > deadline {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn config(endpoint: &str) -> GlacierConfig {
    GlacierConfig {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.to_owned()),
    }
}

fn body(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

const WAIT: WaitOptions = WaitOptions {
    first_interval: Duration::from_millis(200),
    max_interval: Duration::from_secs(1),
    timeout: Duration::from_secs(60),
};

#[test]
fn tree_hashes_match_botocore() {
    let moto = MotoServer::start();
    // botocore's calculate_tree_hash over the same generated inputs.
    let script = r#"
from botocore.utils import calculate_tree_hash
import io
def body(n):
    return bytes(i % 251 for i in range(n))
for n in [0, 1, 1024*1024, 1024*1024 + 1, 1024*1024*7//2]:
    print(n, calculate_tree_hash(io.BytesIO(body(n))))
"#;
    let out = moto.run_python(script);
    let mut checked = 0;
    for line in out.lines() {
        let (n, hash) = line.split_once(' ').expect("n hash");
        let n: usize = n.parse().expect("n");
        let bytes: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        assert_eq!(to_hex(&tree_hash(&bytes)), hash, "{n} bytes");
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_of_three_archives_inventoried_retrieved_and_verified() {
    let moto = MotoServer::start();
    let direct = Vault::new(&config(&moto.endpoint()), "footage")
        .await
        .expect("client");
    direct
        .client()
        .create_vault()
        .account_id("-")
        .vault_name("footage")
        .send()
        .await
        .expect("create vault");
    let archives = [
        ("projects/a/clip.mov", body(1, 1000)),
        ("backup 2014", body(2, CHUNK + CHUNK / 2)),
        ("C:\\Shoots\\day 2\\reel.mxf", body(3, CHUNK * 7 / 2)),
    ];
    let mut ids = Vec::new();
    for (description, bytes) in &archives {
        let out = direct
            .client()
            .upload_archive()
            .account_id("-")
            .vault_name("footage")
            .archive_description(*description)
            .body(ByteStream::from(bytes.clone()))
            .send()
            .await
            .expect("upload");
        ids.push(out.archive_id().expect("id").to_owned());
    }

    // Inventory: names from descriptions that look like paths, the id otherwise.
    let job = direct.start_inventory().await.expect("inventory job");
    direct
        .wait_for_job(&job, &WAIT)
        .await
        .expect("inventory done");
    let inventory = direct.inventory(&job).await.expect("inventory");
    let mut names: Vec<(String, u64)> = inventory
        .archive_list
        .iter()
        .map(|a| (a.name(), a.size))
        .collect();
    names.sort();
    let mut expected = vec![
        ("projects/a/clip.mov".to_owned(), 1000),
        (ids[1].clone(), (CHUNK + CHUNK / 2) as u64),
        ("Shoots/day 2/reel.mxf".to_owned(), (CHUNK * 7 / 2) as u64),
    ];
    expected.sort();
    assert_eq!(names, expected);

    // Retrieval of the 3.5 MiB archive; its tree hash computed here (moto's inventory holds a
    // plain SHA-256, which differs above 1 MiB).
    let (_, reel) = &archives[2];
    let want = to_hex(&tree_hash(reel));
    let retrieval = Retrieval {
        archive_id: ids[2].clone(),
        tier: RetrievalTier::Expedited,
        byte_range: None,
        archive_size: Some(reel.len() as u64),
    };
    let job = direct
        .start_retrieval(&retrieval)
        .await
        .expect("retrieval job");
    let info = direct
        .wait_for_job(&job, &WAIT)
        .await
        .expect("retrieval done");
    assert_eq!(info.archive_id.as_deref(), Some(ids[2].as_str()));
    let expected = ExpectedOutput {
        size: reel.len() as u64,
        tree_hash: Some(want.clone()),
    };

    let proxy = FaultProxy::start(moto.addr());
    let vault = Vault::new(&config(&proxy.endpoint()), "footage")
        .await
        .expect("client");
    let dir = tempfile::tempdir().expect("tempdir");
    let options = DownloadOptions {
        part_size: CHUNK as u64,
        attempts: 4,
    };
    let outputs = || Match::any().method("GET").path("/output");

    // Plain: moto ignores Range and sends everything at once; it is still verified.
    let dest = dir.path().join("reel.mxf");
    let done = vault
        .download(&job, &expected, &dest, &options)
        .await
        .expect("download");
    assert_eq!(done.tree_hash, TreeHashCheck::Verified(want.clone()));
    assert!(done.range_ignored);
    assert_eq!(std::fs::read(&dest).expect("read"), *reel);

    // A flipped byte in transit: the tree hash catches it and the output is fetched again.
    settled(&proxy, 1).await;
    proxy.clear_requests();
    proxy.flip_byte(CHUNK as u64 + 17, outputs());
    let dest = dir.path().join("flipped.mxf");
    let done = vault
        .download(&job, &expected, &dest, &options)
        .await
        .expect("refetched");
    assert_eq!(done.whole_refetches, 1);
    assert_eq!(done.tree_hash, TreeHashCheck::Verified(want.clone()));
    assert_eq!(std::fs::read(&dest).expect("read"), *reel);
    let flips = proxy
        .requests()
        .iter()
        .filter(|r| r.fault == Some("flip"))
        .count();
    assert_eq!(flips, 1);

    // A reset 1.5 MiB in: the whole MiB that arrived is kept, the rest asked for from there.
    settled(&proxy, 2).await;
    proxy.clear_requests();
    proxy.reset_after((CHUNK + CHUNK / 2) as u64, outputs());
    let dest = dir.path().join("reset.mxf");
    let done = vault
        .download(&job, &expected, &dest, &options)
        .await
        .expect("resumed");
    assert_eq!(done.range_retries, 1);
    assert_eq!(std::fs::read(&dest).expect("read"), *reel);
    let ranges: Vec<String> = settled(&proxy, 2)
        .await
        .iter()
        .filter_map(|r| r.range.clone())
        .collect();
    assert_eq!(
        ranges,
        vec![
            "bytes=0-1048575".to_owned(),
            "bytes=1048576-2097151".to_owned()
        ]
    );

    // Corrupted every time: an error naming the vault and job, nothing left behind.
    for _ in 0..4 {
        proxy.flip_byte(5, outputs());
    }
    let dest = dir.path().join("never.mxf");
    let err = vault
        .download(&job, &expected, &dest, &options)
        .await
        .expect_err("mismatch");
    assert!(
        matches!(err, Error::TreeHashMismatch { attempts: 4, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("glacier vault footage"), "{err}");
    assert!(!dest.exists());

    // An unaligned range is refused before any request.
    let bad = Retrieval {
        byte_range: Some((10, 20)),
        ..retrieval
    };
    assert!(matches!(
        vault.start_retrieval(&bad).await,
        Err(Error::UnalignedRange { .. })
    ));
}
