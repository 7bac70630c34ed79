//! The crate's errors: each names the vault (and job or archive) it concerns. SDK errors are
//! classified here, in one place.

use std::error::Error as StdError;
use std::path::PathBuf;

use aws_sdk_glacier::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with a vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An option that cannot be used.
    #[error("invalid Glacier option {option}: {reason}")]
    InvalidConfig {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The credential chain found no credentials.
    #[error("no AWS credentials for glacier vault {vault}: {message} (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws configure`, or pass --profile)")]
    NoCredentials {
        /// The vault.
        vault: String,
        /// What the chain said.
        message: String,
    },
    /// The vault, job or archive does not exist (Glacier's `ResourceNotFoundException`).
    #[error("glacier vault {vault}: not found: {message}")]
    NotFound {
        /// The vault.
        vault: String,
        /// Glacier's message (it names the job or archive).
        message: String,
    },
    /// Expedited retrievals are out of capacity (`InsufficientCapacityException`).
    #[error(
        "glacier vault {vault}: Expedited retrieval is not available now: use Standard or Bulk"
    )]
    ExpeditedUnavailable {
        /// The vault.
        vault: String,
    },
    /// Glacier kept throttling after every retry.
    #[error("glacier vault {vault}: throttled after {attempts} attempts")]
    Throttled {
        /// The vault.
        vault: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The network failed and retries did not help.
    #[error("network error talking to glacier vault {vault}: {message}")]
    Network {
        /// The vault.
        vault: String,
        /// What failed.
        message: String,
    },
    /// A byte range that Glacier would refuse: retrievals need megabyte-aligned ranges.
    #[error("glacier archive {archive}: range {start}-{end} is not megabyte-aligned (start a multiple of 1 MiB, end+1 a multiple of 1 MiB or the archive's end)")]
    UnalignedRange {
        /// The archive.
        archive: String,
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// A job that failed at Glacier.
    #[error("glacier vault {vault}: job {job} failed: {message}")]
    JobFailed {
        /// The vault.
        vault: String,
        /// The job id.
        job: String,
        /// Glacier's status message.
        message: String,
    },
    /// A job still not finished when the caller stopped waiting.
    #[error("glacier vault {vault}: job {job} still in progress after waiting {waited_secs} s")]
    JobPending {
        /// The vault.
        vault: String,
        /// The job id.
        job: String,
        /// How long the caller waited.
        waited_secs: u64,
    },
    /// An inventory that does not parse.
    #[error("inventory of glacier vault {vault}: {reason}")]
    Inventory {
        /// The vault.
        vault: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Downloaded bytes kept failing the tree hash.
    #[error("glacier vault {vault}: output of job {job} bytes {start}-{end} has tree hash {actual}, expected {expected}, after {attempts} attempts")]
    TreeHashMismatch {
        /// The vault.
        vault: String,
        /// The job.
        job: String,
        /// First byte of the range checked.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
        /// The expected tree hash (hex).
        expected: String,
        /// What the bytes hash to.
        actual: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Reading or writing a local file failed.
    #[error("{}: {source}", path.display())]
    Local {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Any other answer of Glacier.
    #[error("glacier vault {vault}: {code} (HTTP {status}): {message}")]
    Service {
        /// The vault.
        vault: String,
        /// Glacier's code.
        code: String,
        /// The HTTP status.
        status: u16,
        /// Glacier's message.
        message: String,
    },
}

impl Error {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Throttled { .. } | Error::Network { .. } => true,
            Error::Service { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// Turns an SDK error into a Trove error naming `vault`.
pub(crate) fn classify<E>(err: SdkError<E, HttpResponse>, vault: &str) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let vault = vault.to_owned();
    if let Some(message) = credentials_problem(&err) {
        return Error::NoCredentials { vault, message };
    }
    match &err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = context.err().code().unwrap_or_default().to_owned();
            let message = context.err().message().unwrap_or_default().to_owned();
            match code.as_str() {
                "ResourceNotFoundException" => Error::NotFound { vault, message },
                "InsufficientCapacityException" => Error::ExpeditedUnavailable { vault },
                "ThrottlingException" | "RequestLimitExceededException" | "SlowDown" => {
                    Error::Throttled { vault, attempts: 1 }
                }
                _ if status == 429 || status == 503 => Error::Throttled { vault, attempts: 1 },
                _ => Error::Service {
                    vault,
                    code: if code.is_empty() { "-".into() } else { code },
                    status,
                    message,
                },
            }
        }
        _ => Error::Network {
            vault,
            message: chain(&err),
        },
    }
}

fn credentials_problem(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
        {
            return Some(chain(c));
        }
        current = e.source();
    }
    None
}

/// An error and its causes on one line.
pub(crate) fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        current = e.source();
    }
    text
}
