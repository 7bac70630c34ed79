//! A vault and its jobs: inventory and archive retrievals, polling, and verified downloads of
//! their output.

use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_glacier::config::retry::RetryConfig;
use aws_sdk_glacier::config::timeout::TimeoutConfig;
use aws_sdk_glacier::config::Region;
use aws_sdk_glacier::types::{JobParameters, StatusCode};
use tokio::io::AsyncWriteExt;

use crate::error::{chain, classify};
use crate::tree_hash::{combine, to_hex, Digest32, LeafHasher, CHUNK};
use crate::{parse_inventory, Error, Inventory, Result};

/// How to reach a vault: the same shape as an S3 source's settings, nothing secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GlacierConfig {
    /// A profile of the shared config files; credentials then come from it only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The region; otherwise the chain's, else `us-east-1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Another endpoint (moto in tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

/// A retrieval tier of a vault job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetrievalTier {
    /// 1–5 minutes (may be refused for capacity).
    Expedited,
    /// 3–5 hours.
    Standard,
    /// 5–12 hours.
    Bulk,
}

impl RetrievalTier {
    fn as_str(self) -> &'static str {
        match self {
            RetrievalTier::Expedited => "Expedited",
            RetrievalTier::Standard => "Standard",
            RetrievalTier::Bulk => "Bulk",
        }
    }
}

/// An archive-retrieval job to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrieval {
    /// The archive.
    pub archive_id: String,
    /// The tier.
    pub tier: RetrievalTier,
    /// Only these bytes (first, last inclusive): the start a multiple of 1 MiB, the end + 1 a
    /// multiple of 1 MiB or the archive's size. Needs `archive_size` to check the end.
    pub byte_range: Option<(u64, u64)>,
    /// The archive's size, when known (from the inventory).
    pub archive_size: Option<u64>,
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Still running.
    InProgress,
    /// Done: its output can be downloaded (for 24 hours at AWS).
    Succeeded,
    /// Failed, with Glacier's message.
    Failed(String),
}

/// What `DescribeJob` says of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    /// The job id.
    pub job_id: String,
    /// Its state.
    pub state: JobState,
    /// The archive, for retrievals.
    pub archive_id: Option<String>,
    /// The archive's size (0 or absent on moto).
    pub archive_size: Option<u64>,
    /// The tree hash of the retrieved bytes, when Glacier gives one (whole archives and
    /// tree-hash-aligned ranges).
    pub sha256_tree_hash: Option<String>,
    /// The range retrieved, `first-last`.
    pub byte_range: Option<String>,
    /// The tier.
    pub tier: Option<String>,
}

/// How long and how often to poll a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// The first interval; it doubles up to `max_interval`.
    pub first_interval: Duration,
    /// The longest interval.
    pub max_interval: Duration,
    /// Give up (with [`Error::JobPending`]) after this long.
    pub timeout: Duration,
}

impl Default for WaitOptions {
    fn default() -> WaitOptions {
        WaitOptions {
            first_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(48 * 3600),
        }
    }
}

/// What the output of a job should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedOutput {
    /// Its size in bytes.
    pub size: u64,
    /// Its tree hash (hex), from the inventory or `DescribeJob`.
    pub tree_hash: Option<String>,
}

/// How downloads of job output go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadOptions {
    /// Bytes per ranged `GetJobOutput` (rounded up to whole MiB, so ranges stay tree-hash
    /// aligned).
    pub part_size: u64,
    /// Attempts per range and for the whole output (the first included).
    pub attempts: u32,
}

impl Default for DownloadOptions {
    fn default() -> DownloadOptions {
        DownloadOptions {
            part_size: 64 * CHUNK as u64,
            attempts: 4,
        }
    }
}

/// How a download was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeHashCheck {
    /// Matched the expected tree hash (hex).
    Verified(String),
    /// No tree hash was known to check against; this is what the bytes hash to.
    Unverifiable(String),
}

/// What a download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveDownload {
    /// The file written.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Bytes an earlier `.part` held (whole MiB).
    pub resumed_from: u64,
    /// The check.
    pub tree_hash: TreeHashCheck,
    /// `GetJobOutput` requests sent.
    pub requests: u64,
    /// Ranges fetched again (network failure or a range tree hash that did not match).
    pub range_retries: u64,
    /// Whole refetches after the output's tree hash did not match.
    pub whole_refetches: u32,
    /// The server answered a ranged request with the whole output (as moto does).
    pub range_ignored: bool,
}

/// A vault with a client configured for it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Vault {
    client: aws_sdk_glacier::Client,
    name: String,
    attempts: u32,
}

impl Vault {
    /// Builds a client for `vault` (of the credentials' own account) without sending anything.
    pub async fn new(config: &GlacierConfig, vault: &str) -> Result<Vault> {
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
        let mut builder = aws_sdk_glacier::config::Builder::from(&shared)
            .region(Region::new(region))
            // Retries happen here, where they are counted.
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .read_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(url) = &config.endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::InvalidConfig {
                    option: "endpoint-url",
                    reason: format!("{url:?} is not an http:// or https:// URL"),
                });
            }
            builder = builder.endpoint_url(url.trim_end_matches('/'));
        }
        Ok(Vault {
            client: aws_sdk_glacier::Client::from_conf(builder.build()),
            name: vault.to_owned(),
            attempts: 6,
        })
    }

    /// The vault's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SDK client, for set-up steps this crate does not wrap (tests upload archives).
    pub fn client(&self) -> &aws_sdk_glacier::Client {
        &self.client
    }

    async fn retry<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match op().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() && attempt < self.attempts => {
                    tracing::debug!(attempt, error = %e, "retrying a Glacier request");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(Error::Throttled { vault, .. }) => {
                    return Err(Error::Throttled {
                        vault,
                        attempts: attempt,
                    })
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn initiate(&self, parameters: JobParameters) -> Result<String> {
        let out = self
            .retry(|| async {
                self.client
                    .initiate_job()
                    .account_id("-")
                    .vault_name(&self.name)
                    .job_parameters(parameters.clone())
                    .send()
                    .await
                    .map_err(|e| classify(e, &self.name))
            })
            .await?;
        out.job_id()
            .map(str::to_owned)
            .ok_or_else(|| Error::Service {
                vault: self.name.clone(),
                code: "-".into(),
                status: 202,
                message: "InitiateJob returned no job id".into(),
            })
    }

    /// Starts an `inventory-retrieval` job (JSON); returns its id.
    pub async fn start_inventory(&self) -> Result<String> {
        self.initiate(
            JobParameters::builder()
                .r#type("inventory-retrieval")
                .format("JSON")
                .build(),
        )
        .await
    }

    /// Starts an `archive-retrieval` job; returns its id. A range must be megabyte-aligned.
    pub async fn start_retrieval(&self, retrieval: &Retrieval) -> Result<String> {
        let mut parameters = JobParameters::builder()
            .r#type("archive-retrieval")
            .archive_id(&retrieval.archive_id)
            .tier(retrieval.tier.as_str());
        if let Some((start, end)) = retrieval.byte_range {
            check_range(&retrieval.archive_id, start, end, retrieval.archive_size)?;
            parameters = parameters.retrieval_byte_range(format!("{start}-{end}"));
        }
        self.initiate(parameters.build()).await
    }

    /// `DescribeJob`.
    pub async fn describe_job(&self, job_id: &str) -> Result<JobInfo> {
        let out = self
            .retry(|| async {
                self.client
                    .describe_job()
                    .account_id("-")
                    .vault_name(&self.name)
                    .job_id(job_id)
                    .send()
                    .await
                    .map_err(|e| classify(e, &self.name))
            })
            .await?;
        let state = match out.status_code() {
            Some(StatusCode::Succeeded) => JobState::Succeeded,
            Some(StatusCode::Failed) => {
                JobState::Failed(out.status_message().unwrap_or("failed").to_owned())
            }
            _ => JobState::InProgress,
        };
        Ok(JobInfo {
            job_id: job_id.to_owned(),
            state,
            archive_id: out.archive_id().map(str::to_owned),
            archive_size: out
                .archive_size_in_bytes()
                .and_then(|n| u64::try_from(n).ok())
                .filter(|&n| n > 0),
            sha256_tree_hash: out.sha256_tree_hash().map(str::to_owned),
            byte_range: out.retrieval_byte_range().map(str::to_owned),
            tier: out.tier().map(str::to_owned),
        })
    }

    /// Polls `DescribeJob` with growing intervals until the job succeeds (its info), fails
    /// ([`Error::JobFailed`]) or `options.timeout` passes ([`Error::JobPending`]).
    pub async fn wait_for_job(&self, job_id: &str, options: &WaitOptions) -> Result<JobInfo> {
        let start = Instant::now();
        let mut interval = options.first_interval;
        loop {
            let info = self.describe_job(job_id).await?;
            match &info.state {
                JobState::Succeeded => return Ok(info),
                JobState::Failed(message) => {
                    return Err(Error::JobFailed {
                        vault: self.name.clone(),
                        job: job_id.to_owned(),
                        message: message.clone(),
                    })
                }
                JobState::InProgress => {}
            }
            if start.elapsed() + interval > options.timeout {
                return Err(Error::JobPending {
                    vault: self.name.clone(),
                    job: job_id.to_owned(),
                    waited_secs: start.elapsed().as_secs(),
                });
            }
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(options.max_interval);
        }
    }

    /// The output of a finished inventory job, parsed.
    pub async fn inventory(&self, job_id: &str) -> Result<Inventory> {
        let bytes = self
            .retry(|| async {
                let out = self
                    .client
                    .get_job_output()
                    .account_id("-")
                    .vault_name(&self.name)
                    .job_id(job_id)
                    .send()
                    .await
                    .map_err(|e| classify(e, &self.name))?;
                out.body
                    .collect()
                    .await
                    .map(|b| b.into_bytes())
                    .map_err(|e| Error::Network {
                        vault: self.name.clone(),
                        message: chain(&e),
                    })
            })
            .await?;
        parse_inventory(&self.name, &bytes)
    }

    /// Downloads the output of a finished retrieval job to `dest` (through `dest` + `.part`,
    /// resumed from whole MiB of an earlier one): ranged `GetJobOutput`s, each range checked
    /// against the tree hash Glacier sends with it, the whole against `expected.tree_hash`;
    /// what does not match is fetched again, up to `options.attempts` times.
    pub async fn download(
        &self,
        job_id: &str,
        expected: &ExpectedOutput,
        dest: &Path,
        options: &DownloadOptions,
    ) -> Result<ArchiveDownload> {
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| local(parent, e))?;
        }
        let part = part_path(dest);
        let attempts = options.attempts.max(1);
        let mut result = ArchiveDownload {
            path: dest.to_owned(),
            bytes: expected.size,
            resumed_from: 0,
            tree_hash: TreeHashCheck::Unverifiable(String::new()),
            requests: 0,
            range_retries: 0,
            whole_refetches: 0,
            range_ignored: false,
        };
        for attempt in 1..=attempts {
            let leaves = self
                .fetch_into(
                    job_id,
                    expected.size,
                    &part,
                    options,
                    &mut result,
                    attempt == 1,
                )
                .await?;
            let actual = to_hex(&combine(&leaves));
            match &expected.tree_hash {
                Some(want) if !want.eq_ignore_ascii_case(&actual) => {
                    tracing::warn!(vault = %self.name, job = job_id, attempt, "tree hash mismatch; fetching the output again");
                    tokio::fs::remove_file(&part)
                        .await
                        .map_err(|e| local(&part, e))?;
                    if attempt == attempts {
                        return Err(Error::TreeHashMismatch {
                            vault: self.name.clone(),
                            job: job_id.to_owned(),
                            start: 0,
                            end: expected.size.saturating_sub(1),
                            expected: want.clone(),
                            actual,
                            attempts,
                        });
                    }
                    result.whole_refetches += 1;
                }
                Some(_) => {
                    result.tree_hash = TreeHashCheck::Verified(actual);
                    break;
                }
                None => {
                    result.tree_hash = TreeHashCheck::Unverifiable(actual);
                    break;
                }
            }
        }
        tokio::fs::rename(&part, dest)
            .await
            .map_err(|e| local(dest, e))?;
        Ok(result)
    }

    /// Fills `part` to `size` bytes; returns the leaf hashes of all of it.
    async fn fetch_into(
        &self,
        job_id: &str,
        size: u64,
        part: &Path,
        options: &DownloadOptions,
        result: &mut ArchiveDownload,
        first: bool,
    ) -> Result<Vec<Digest32>> {
        let chunk = CHUNK as u64;
        let mut leaves = existing_leaves(part, size).await?;
        let mut offset = leaves.len() as u64 * chunk;
        if first {
            result.resumed_from = offset;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(part)
            .await
            .map_err(|e| local(part, e))?;
        let step = options.part_size.max(1).div_ceil(chunk) * chunk;
        while offset < size {
            let end = (offset + step).min(size);
            let mut tries = 0;
            while offset < end {
                tries += 1;
                result.requests += 1;
                match self
                    .fetch_range(job_id, offset, end, size, part, &mut file)
                    .await
                {
                    Ok(fetched) => {
                        result.range_ignored |= fetched.ignored_range;
                        offset = fetched.end;
                        leaves.extend(fetched.leaves);
                    }
                    Err((err, kept)) => {
                        // Whole MiB that arrived before a break are kept; a range whose tree
                        // hash failed is fetched again from its start.
                        let kept = if matches!(err, Error::TreeHashMismatch { .. }) {
                            Vec::new()
                        } else {
                            kept
                        };
                        offset += kept.len() as u64 * chunk;
                        leaves.extend(kept);
                        file.set_len(offset).await.map_err(|e| local(part, e))?;
                        if tries < options.attempts.max(1) && retryable(&err) {
                            result.range_retries += 1;
                            tracing::debug!(job = job_id, offset, error = %err, "fetching a range again");
                            tokio::time::sleep(backoff(tries)).await;
                        } else {
                            return Err(err);
                        }
                    }
                }
            }
        }
        file.flush().await.map_err(|e| local(part, e))?;
        file.sync_all().await.map_err(|e| local(part, e))?;
        Ok(leaves)
    }

    /// One `GetJobOutput` of `start..end`, appended to `file`. A server that ignores the range
    /// sends the whole output: its first `start` bytes are skipped and the rest is kept (to
    /// `size`). A tree hash sent with the range is checked here.
    async fn fetch_range(
        &self,
        job_id: &str,
        start: u64,
        end: u64,
        size: u64,
        part: &Path,
        file: &mut tokio::fs::File,
    ) -> std::result::Result<Fetched, (Error, Vec<Digest32>)> {
        let sent = self
            .client
            .get_job_output()
            .account_id("-")
            .vault_name(&self.name)
            .job_id(job_id)
            .range(format!("bytes={start}-{}", end - 1))
            .send()
            .await;
        let out = sent.map_err(|e| (classify(e, &self.name), Vec::new()))?;
        let ignored_range =
            out.status() == 200 && out.content_range().is_none() && (start > 0 || end < size);
        let (skip, end) = if ignored_range {
            (start, size)
        } else {
            (0, end)
        };
        let range_hash = out.checksum().map(str::to_owned);
        let mut body = out.body;
        let mut hasher = LeafHasher::new();
        let mut skipped = 0u64;
        let mut written = 0u64;
        let want = end - start;
        while written < want {
            let next = body.try_next().await.map_err(|e| {
                (
                    Error::Network {
                        vault: self.name.clone(),
                        message: format!("reading the output of job {job_id}: {}", chain(&e)),
                    },
                    hasher.completed().to_vec(),
                )
            })?;
            let Some(bytes) = next else {
                return Err((
                    Error::Network {
                        vault: self.name.clone(),
                        message: format!(
                            "the output of job {job_id} ended after {written} of {want} bytes"
                        ),
                    },
                    hasher.completed().to_vec(),
                ));
            };
            let mut slice = &bytes[..];
            if skipped < skip {
                let drop = (skip - skipped).min(slice.len() as u64) as usize;
                skipped += drop as u64;
                slice = &slice[drop..];
            }
            let take = (want - written).min(slice.len() as u64) as usize;
            let slice = &slice[..take];
            hasher.update(slice);
            file.write_all(slice)
                .await
                .map_err(|e| (local(part, e), Vec::new()))?;
            written += take as u64;
        }
        let leaves = hasher.finish();
        if let Some(want_hash) = range_hash.filter(|_| !ignored_range) {
            let got = to_hex(&combine(&leaves));
            if !want_hash.eq_ignore_ascii_case(&got) {
                return Err((
                    Error::TreeHashMismatch {
                        vault: self.name.clone(),
                        job: job_id.to_owned(),
                        start,
                        end: end - 1,
                        expected: want_hash,
                        actual: got,
                        attempts: 1,
                    },
                    Vec::new(),
                ));
            }
        }
        Ok(Fetched {
            leaves,
            end,
            ignored_range,
        })
    }
}

/// A range fetched: its leaves and where it ended.
struct Fetched {
    leaves: Vec<Digest32>,
    end: u64,
    ignored_range: bool,
}

/// Whether a failed range is worth fetching again: the network, the server, or corrupted
/// bytes caught by the range's tree hash.
fn retryable(err: &Error) -> bool {
    err.is_transient() || matches!(err, Error::TreeHashMismatch { .. })
}

/// The leaves of an earlier `.part`: its whole MiB only (a partial last MiB is cut off and
/// fetched again), nothing when it is longer than the output.
async fn existing_leaves(part: &Path, size: u64) -> Result<Vec<Digest32>> {
    let len = match tokio::fs::metadata(part).await {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(local(part, e)),
    };
    let chunk = CHUNK as u64;
    let keep = if len > size { 0 } else { len / chunk * chunk };
    let path = part.to_owned();
    tokio::task::spawn_blocking(move || -> std::io::Result<Vec<Digest32>> {
        let file = std::fs::OpenOptions::new().write(true).open(&path)?;
        file.set_len(keep)?;
        let mut reader = std::io::BufReader::new(std::fs::File::open(&path)?);
        let mut hasher = LeafHasher::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hasher.finish())
    })
    .await
    .map_err(|e| local(part, std::io::Error::other(e.to_string())))?
    .map_err(|e| local(part, e))
}

/// Checks that a retrieval range is megabyte-aligned.
fn check_range(archive: &str, start: u64, end: u64, size: Option<u64>) -> Result<()> {
    let chunk = CHUNK as u64;
    let end_ok = (end + 1) % chunk == 0 || size.is_some_and(|s| end + 1 == s);
    if start % chunk != 0 || end < start || !end_ok || size.is_some_and(|s| end >= s) {
        return Err(Error::UnalignedRange {
            archive: archive.to_owned(),
            start,
            end,
        });
    }
    Ok(())
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << attempt.min(6))).min(Duration::from_secs(5))
}

/// `dest` with `.part` appended to its file name.
pub(crate) fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

fn local(path: &Path, source: std::io::Error) -> Error {
    Error::Local {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retrieval_ranges_must_be_megabyte_aligned() {
        let mib = CHUNK as u64;
        assert!(check_range("a", 0, mib - 1, None).is_ok());
        assert!(check_range("a", mib, 3 * mib - 1, Some(10 * mib)).is_ok());
        // The end may be the archive's last byte.
        assert!(check_range("a", mib, 3 * mib + 9, Some(3 * mib + 10)).is_ok());
        assert!(check_range("a", 1, mib - 1, None).is_err());
        assert!(check_range("a", 0, mib, None).is_err());
        let err = check_range("arch", 0, 5, Some(100)).expect_err("unaligned");
        assert!(
            err.to_string()
                .starts_with("glacier archive arch: range 0-5"),
            "{err}"
        );
    }

    #[test]
    fn configs_serialize_without_absent_fields() {
        let config = GlacierConfig {
            region: Some("eu-west-1".into()),
            ..GlacierConfig::default()
        };
        assert_eq!(
            serde_json::to_string(&config).expect("json"),
            r#"{"region":"eu-west-1"}"#
        );
    }
}
