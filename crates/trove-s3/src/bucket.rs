//! A bucket and the client that reaches it: how a source's settings become an S3 client, and the
//! per-object calls (HEAD, tagging, presigned GET).
//!
//! Credentials always come from the AWS default chain (environment, shared config and
//! credentials files, profiles, SSO, web identity, container and instance roles); Trove stores
//! only the profile's *name*, never a secret.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::ChecksumMode;

use crate::error::{classify, Target};
use crate::object::{unquote, ArchiveStatus, ObjectHead, RestoreState, StorageClass};
use crate::retry::{retry, Counters, RetryPolicy};
use crate::{Error, Result};

/// How to reach a bucket: the settings of an S3 source, as `trove source add s3://…` takes them.
/// Nothing secret: credentials are looked up by the default chain each time a client is built.
///
/// It serializes (as a source's `config` JSON, say) with absent fields left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct S3Config {
    /// A profile of the shared config files (`--profile`). When set, credentials come from that
    /// profile only (as with the AWS CLI); otherwise from the whole default chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The region (`--region`); otherwise the chain's (`AWS_REGION`, the profile), else
    /// `us-east-1`. A wrong one is corrected by [`Bucket::open`] when S3 names the right one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// An S3-compatible endpoint (`--endpoint-url`: MinIO, R2, Wasabi, B2, moto).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// Path-style addressing (`--path-style`: `https://host/bucket/key`), which most
    /// S3-compatible stores need.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub path_style: bool,
}

/// A bucket with a client configured for it. Cheap to clone; clones share the connection pool.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) name: Arc<str>,
    region: Arc<str>,
    pub(crate) retry: RetryPolicy,
}

impl Bucket {
    /// Builds a client for `bucket` without sending anything. Fails only on bad settings; a
    /// missing credential shows on the first request.
    pub async fn new(config: &S3Config, bucket: &str) -> Result<Bucket> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &config.profile {
            let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build();
            loader = loader
                .profile_name(profile)
                .credentials_provider(credentials);
        }
        if let Some(region) = &config.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let shared = loader.load().await;
        let region = shared
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let mut builder = aws_sdk_s3::config::Builder::from(&shared)
            .region(Region::new(region.clone()))
            .force_path_style(config.path_style)
            // Retries happen in `retry.rs`, where they are counted and shape concurrency.
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .read_timeout(Duration::from_secs(60))
                    .build(),
            )
            // S3-compatible stores often reject the SDK's default checksum trailers on uploads.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
        if let Some(url) = &config.endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::InvalidConfig {
                    option: "endpoint-url",
                    reason: format!("{url:?} is not an http:// or https:// URL"),
                });
            }
            builder = builder.endpoint_url(url.trim_end_matches('/'));
        }
        Ok(Bucket {
            client: aws_sdk_s3::Client::from_conf(builder.build()),
            name: Arc::from(bucket),
            region: Arc::from(region.as_str()),
            retry: RetryPolicy::default(),
        })
    }

    /// Builds a client and checks that the bucket can be listed with these credentials (one
    /// `ListObjectsV2` of one key under `prefix`). When the bucket is in another region and S3
    /// says which, the client is rebuilt for that region: [`Bucket::region`] then tells the
    /// caller what to store.
    pub async fn open(config: &S3Config, bucket: &str, prefix: &str) -> Result<Bucket> {
        let first = Bucket::new(config, bucket).await?;
        match first.check(prefix).await {
            Ok(()) => Ok(first),
            Err(Error::WrongRegion {
                region: Some(right),
                ..
            }) if right != *first.region => {
                tracing::info!(bucket, region = %right, "following S3's redirect to the bucket's region");
                let config = S3Config {
                    region: Some(right),
                    ..config.clone()
                };
                let second = Bucket::new(&config, bucket).await?;
                second.check(prefix).await?;
                Ok(second)
            }
            Err(e) => Err(e),
        }
    }

    /// One `ListObjectsV2` of at most one key: the request a scan needs first.
    async fn check(&self, prefix: &str) -> Result<()> {
        let counters = Counters::default();
        retry(&self.retry, None, &counters, || async {
            self.client
                .list_objects_v2()
                .bucket(&*self.name)
                .prefix(prefix)
                .max_keys(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(e, self.target(None)))
        })
        .await
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The region the client signs for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Replaces the retry policy (tests shorten it).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Bucket {
        self.retry = policy;
        self
    }

    /// The SDK client, for operations this crate does not wrap yet. Its own retries are off:
    /// callers retry (or add a wrapper here, which is better).
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    pub(crate) fn target<'a>(&'a self, key: Option<&'a str>) -> Target<'a> {
        Target {
            bucket: &self.name,
            key,
        }
    }

    /// HEAD of the current version of `key`: user metadata, content type, checksums
    /// (`ChecksumMode=ENABLED`), storage class, archive tier and restore state. Works on archived
    /// objects too.
    pub async fn head(&self, key: &str) -> Result<ObjectHead> {
        self.head_version(key, None).await
    }

    /// HEAD of one version of `key` (the current one when `version_id` is `None`).
    pub async fn head_version(&self, key: &str, version_id: Option<&str>) -> Result<ObjectHead> {
        let counters = Counters::default();
        let out = retry(&self.retry, None, &counters, || async {
            self.client
                .head_object()
                .bucket(&*self.name)
                .key(key)
                .set_version_id(version_id.map(str::to_owned))
                .checksum_mode(ChecksumMode::Enabled)
                .send()
                .await
                .map_err(|e| classify(e, self.target(Some(key))))
        })
        .await?;
        let mut checksums = BTreeMap::new();
        for (name, value) in [
            ("CRC32", out.checksum_crc32()),
            ("CRC32C", out.checksum_crc32_c()),
            ("CRC64NVME", out.checksum_crc64_nvme()),
            ("SHA1", out.checksum_sha1()),
            ("SHA256", out.checksum_sha256()),
        ] {
            if let Some(v) = value {
                checksums.insert(name.to_owned(), v.to_owned());
            }
        }
        let restore_header = out.restore().map(str::to_owned);
        Ok(ObjectHead {
            key: key.to_owned(),
            size: out.content_length().unwrap_or(0).max(0) as u64,
            etag: out.e_tag().map(unquote),
            last_modified: out
                .last_modified()
                .and_then(|d| SystemTime::try_from(*d).ok()),
            storage_class: out
                .storage_class()
                .map(|c| StorageClass::parse(c.as_str()))
                .unwrap_or_default(),
            archive_status: out
                .archive_status()
                .map(|a| ArchiveStatus::parse(a.as_str())),
            version_id: out.version_id().map(str::to_owned),
            content_type: out.content_type().map(str::to_owned),
            user_metadata: out
                .metadata()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            checksums,
            checksum_type: out.checksum_type().map(|t| t.as_str().to_owned()),
            restore: restore_header
                .as_deref()
                .and_then(RestoreState::parse_header),
            restore_header,
            parts_count: out.parts_count().and_then(|n| u32::try_from(n).ok()),
        })
    }

    /// The tags of `key` (`GetObjectTagging`), by name.
    pub async fn tagging(&self, key: &str) -> Result<BTreeMap<String, String>> {
        let counters = Counters::default();
        let out = retry(&self.retry, None, &counters, || async {
            self.client
                .get_object_tagging()
                .bucket(&*self.name)
                .key(key)
                .send()
                .await
                .map_err(|e| classify(e, self.target(Some(key))))
        })
        .await?;
        Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }

    /// Refuses, without any request, an object the HEAD says is archived and not restored
    /// ([`Error::InvalidObjectState`]): nothing in this crate reads or copies one.
    pub(crate) fn refuse_archived(&self, head: &ObjectHead) -> Result<()> {
        if head.is_archived() {
            return Err(Error::InvalidObjectState {
                bucket: self.name().to_owned(),
                key: head.key.clone(),
            });
        }
        Ok(())
    }

    /// A presigned GET URL for reading (probing) the object `head` describes — refused, without
    /// any request, with [`Error::InvalidObjectState`] when the HEAD says it is archived and not
    /// restored. This is how probes never provoke `InvalidObjectState` answers.
    pub async fn presign_readable(&self, head: &ObjectHead, ttl: Duration) -> Result<String> {
        self.refuse_archived(head)?;
        self.presign_get(&head.key, ttl).await
    }

    /// A presigned GET URL of `key`, valid for `ttl` (at most 7 days), for readers that speak
    /// HTTP themselves, such as ffprobe with range requests. Signing happens locally: nothing is
    /// sent. Check [`ObjectHead::is_archived`] (or `ObjectEntry::is_archived`) first: a GET of an
    /// archived object fails with `InvalidObjectState`.
    pub async fn presign_get(&self, key: &str, ttl: Duration) -> Result<String> {
        let presigning = PresigningConfig::expires_in(ttl).map_err(|e| Error::InvalidConfig {
            option: "presign ttl",
            reason: e.to_string(),
        })?;
        let request = self
            .client
            .get_object()
            .bucket(&*self.name)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|e| classify(e, self.target(Some(key))))?;
        Ok(request.uri().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_serializes_without_absent_fields_and_without_secrets() {
        let config = S3Config {
            profile: Some("archive".into()),
            endpoint_url: Some("https://minio.example:9000".into()),
            path_style: true,
            ..S3Config::default()
        };
        let json = serde_json::to_string(&config).expect("json");
        assert_eq!(
            json,
            r#"{"profile":"archive","endpoint_url":"https://minio.example:9000","path_style":true}"#
        );
        assert_eq!(
            serde_json::from_str::<S3Config>(&json).expect("back"),
            config
        );
        assert_eq!(
            serde_json::from_str::<S3Config>("{}").expect("empty"),
            S3Config::default()
        );
    }
}
