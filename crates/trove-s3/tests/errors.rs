//! Clear errors for what users get wrong: no credentials, wrong credentials, no access, no such
//! bucket, no such key.

use trove_s3::{Bucket, Error, ListOptions, S3Config};
use trove_testkit::{aws_test_env, MotoOptions, MotoServer};

use crate::support::{config, new_bucket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_such_bucket_and_no_such_key_are_named() {
    let moto = MotoServer::start();
    let err = Bucket::open(&config(&moto.endpoint()), "no-such-bucket", "")
        .await
        .expect_err("no bucket");
    assert!(matches!(err, Error::NoSuchBucket { .. }), "{err:?}");
    assert_eq!(err.to_string(), "no such bucket: s3://no-such-bucket");

    let bucket = new_bucket(&moto.endpoint(), "present").await;
    let err = bucket.head("missing/clip.mov").await.expect_err("no key");
    assert_eq!(
        err.to_string(),
        "no such object: s3://present/missing/clip.mov"
    );
    let err = bucket
        .tagging("missing/clip.mov")
        .await
        .expect_err("no key");
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_say_how_to_provide_them() {
    let moto = MotoServer::start();
    let cfg = S3Config {
        profile: Some("nocreds".into()),
        ..config(&moto.endpoint())
    };
    let err = Bucket::open(&cfg, "any-bucket", "")
        .await
        .expect_err("no credentials");
    assert!(matches!(err, Error::NoCredentials { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("no AWS credentials for s3://any-bucket: "),
        "{message}"
    );
    assert!(message.contains("--profile"), "{message}");
}

/// moto checks credentials only when told to (`INITIAL_NO_AUTH_ACTION_COUNT`): the first three
/// requests (a bucket, an IAM user without any policy, its access key) are set-up, later ones are
/// checked against moto's IAM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_access_denied_are_told_apart() {
    let moto = MotoServer::start_with(&MotoOptions {
        enforce_auth_after: Some(3),
    });
    let keys = moto.run_python(
        r#"
import os, boto3
kw = dict(endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test")
boto3.client("s3", **kw).create_bucket(Bucket="locked")
iam = boto3.client("iam", **kw)
iam.create_user(UserName="viewer")
key = iam.create_access_key(UserName="viewer")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
"#,
    );
    let mut parts = keys.split_whitespace();
    let (id, secret) = (parts.next().expect("key id"), parts.next().expect("secret"));
    let profile = format!("viewer-{}", moto.addr().port());
    aws_test_env().add_profile(&profile, id, secret);

    let wrong = S3Config {
        profile: Some("wrong".into()),
        ..config(&moto.endpoint())
    };
    let err = Bucket::open(&wrong, "locked", "")
        .await
        .expect_err("unknown key");
    assert!(matches!(err, Error::InvalidCredentials { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("S3 rejected the credentials for s3://locked: InvalidAccessKeyId"),
        "{err}"
    );

    let viewer = S3Config {
        profile: Some(profile),
        ..config(&moto.endpoint())
    };
    let err = Bucket::open(&viewer, "locked", "")
        .await
        .expect_err("no policy");
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "access denied to s3://locked/ (check the IAM policy of these credentials)"
    );
    let bucket = Bucket::new(&viewer, "locked").await.expect("client");
    let err = bucket
        .list_all(&ListOptions::default())
        .await
        .expect_err("denied");
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    let err = bucket.head("clip.mov").await.expect_err("denied");
    assert!(
        matches!(err, Error::AccessDenied { key: Some(_), .. }),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_a_network_error_after_retries() {
    aws_test_env();
    // A port nobody listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let bucket = Bucket::new(&config(&format!("http://127.0.0.1:{port}")), "offline")
        .await
        .expect("client")
        .with_retry_policy(trove_s3::RetryPolicy {
            max_attempts: 2,
            ..Default::default()
        });
    let err = bucket
        .list_all(&ListOptions::default())
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(
        err.to_string()
            .starts_with("network error talking to s3://offline: "),
        "{err}"
    );
}
