//! The crate's errors: each names the bucket (and key, or input) it concerns and says what to do,
//! so the CLI can print it as is. SDK errors are classified here, in one place.

use std::error::Error as StdError;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to S3.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An `s3://` URL that does not parse.
    #[error("not an S3 location: {input:?}: {reason}")]
    InvalidLocation {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An option that cannot be used, e.g. an endpoint URL that is not a URL.
    #[error("invalid S3 option {option}: {reason}")]
    InvalidConfig {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The credential chain found no credentials (environment, shared files, profile, SSO,
    /// instance role).
    #[error(
        "no AWS credentials for s3://{bucket}: {message} (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
         run `aws configure` or `aws sso login`, or pass --profile)"
    )]
    NoCredentials {
        /// The bucket.
        bucket: String,
        /// What the credential chain said.
        message: String,
    },
    /// S3 does not accept the credentials: unknown access key, wrong secret, expired token.
    #[error("S3 rejected the credentials for s3://{bucket}: {code}: {message}")]
    InvalidCredentials {
        /// The bucket.
        bucket: String,
        /// S3's code: `InvalidAccessKeyId`, `SignatureDoesNotMatch`, `ExpiredToken`, …
        code: String,
        /// S3's message.
        message: String,
    },
    /// The credentials are valid but not allowed to do this.
    #[error("access denied to s3://{bucket}/{key} (check the IAM policy of these credentials)", key = key.as_deref().unwrap_or(""))]
    AccessDenied {
        /// The bucket.
        bucket: String,
        /// The key, for object operations.
        key: Option<String>,
    },
    /// The bucket does not exist (or not at this endpoint).
    #[error("no such bucket: s3://{bucket}")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
    },
    /// The object does not exist.
    #[error("no such object: s3://{bucket}/{key}")]
    NoSuchKey {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// The bucket lives in another region than the client's.
    #[error("s3://{bucket} is in another region{}: pass --region", match region { Some(r) => format!(" ({r})"), None => String::new() })]
    WrongRegion {
        /// The bucket.
        bucket: String,
        /// The bucket's region, when S3 said.
        region: Option<String>,
    },
    /// S3 kept asking to slow down (503 SlowDown) after every retry.
    #[error(
        "S3 kept throttling requests to s3://{bucket} (503 SlowDown) after {attempts} attempts"
    )]
    SlowDown {
        /// The bucket.
        bucket: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The network failed (refused, reset, timed out) and retries did not help.
    #[error("network error talking to s3://{bucket}: {message}")]
    Network {
        /// The bucket.
        bucket: String,
        /// What failed, with its causes.
        message: String,
    },
    /// The object is archived (GLACIER, DEEP_ARCHIVE or an archive tier) and not restored.
    #[error("s3://{bucket}/{key} is archived and must be restored before it can be read")]
    InvalidObjectState {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// An S3 Inventory manifest or report that cannot be used.
    #[error("S3 inventory s3://{bucket}/{key}: {reason}")]
    Inventory {
        /// The bucket of the file.
        bucket: String,
        /// The manifest or data file.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Any other answer of S3.
    #[error("S3 error on s3://{bucket}/{key}: {code} (HTTP {status}): {message}", key = key.as_deref().unwrap_or(""))]
    Service {
        /// The bucket.
        bucket: String,
        /// The key, for object operations.
        key: Option<String>,
        /// S3's error code, or `-` when it sent none (HEAD answers have no body).
        code: String,
        /// The HTTP status.
        status: u16,
        /// S3's message.
        message: String,
    },
    /// S3 refused an Expedited retrieval for lack of capacity (503
    /// `GlacierExpeditedRetrievalNotAvailable`): ask again with the Standard or Bulk tier.
    #[error("Expedited retrieval of s3://{bucket}/{key} is not available now: use the Standard or Bulk tier")]
    ExpeditedUnavailable {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// A restore of an object whose storage class needs none (S3's `InvalidObjectState` on
    /// RestoreObject).
    #[error("s3://{bucket}/{key} is not archived: it needs no restore")]
    NotArchived {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// A key that cannot name a local file.
    #[error("S3 key {key:?} cannot be a local file name: {reason}")]
    InvalidKey {
        /// The key.
        key: String,
        /// Why.
        reason: &'static str,
    },
    /// Reading or writing a local file failed.
    #[error("{}: {source}", path.display())]
    Local {
        /// The file or folder.
        path: std::path::PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A file is already at a download's destination and is not the object's bytes (or cannot
    /// be checked).
    #[error("{} already exists and is not verifiably s3 object {key:?}: move it away or overwrite it", path.display())]
    DestinationExists {
        /// The destination.
        path: std::path::PathBuf,
        /// The key.
        key: String,
    },
    /// Downloaded bytes kept failing verification.
    #[error("s3://{bucket}/{key}: the downloaded bytes do not match the object's {algorithm} ({expected}, got {actual}) after {attempts} attempts")]
    ChecksumMismatch {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// `SHA-256` or `MD5 (ETag)`.
        algorithm: &'static str,
        /// What S3 stored.
        expected: String,
        /// What the bytes hash to.
        actual: String,
        /// Whole fetches made.
        attempts: u32,
    },
    /// The object changed during a download (its ETag no longer matches the HEAD's).
    #[error("s3://{bucket}/{key} changed during the download: start again")]
    ObjectChanged {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// The receiver of a listing went away; the listing stopped.
    #[error("listing of s3://{bucket} stopped: its receiver is gone")]
    Cancelled {
        /// The bucket.
        bucket: String,
    },
}

impl Error {
    /// Whether trying again later may succeed (throttling, network failures, server errors).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::SlowDown { .. } | Error::Network { .. } => true,
            Error::Service { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// The bucket's actual region when the error is [`Error::WrongRegion`] and S3 named it.
    pub fn right_region(&self) -> Option<&str> {
        match self {
            Error::WrongRegion { region, .. } => region.as_deref(),
            _ => None,
        }
    }
}

/// The request an error came from, to name in the message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub(crate) bucket: &'a str,
    pub(crate) key: Option<&'a str>,
}

/// Turns an SDK error into a Trove error.
pub(crate) fn classify<E>(err: SdkError<E, HttpResponse>, target: Target<'_>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let bucket = target.bucket.to_owned();
    if let Some(message) = credentials_problem(&err) {
        return Error::NoCredentials { bucket, message };
    }
    match &err {
        SdkError::ServiceError(context) => {
            let raw = context.raw();
            let status = raw.status().as_u16();
            let service = context.err();
            let code = service.code().unwrap_or_default().to_owned();
            let message = service.message().unwrap_or_default().to_owned();
            let header_region = raw.headers().get("x-amz-bucket-region").map(str::to_owned);
            let body_region = raw
                .body()
                .bytes()
                .and_then(|b| xml_element(&String::from_utf8_lossy(b), "Region"));
            classify_service(
                target,
                status,
                &code,
                &message,
                header_region.or(body_region),
            )
        }
        SdkError::TimeoutError(_) => Error::Network {
            bucket,
            message: "timed out".into(),
        },
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => Error::Network {
            bucket,
            message: chain(&err),
        },
        _ => Error::Network {
            bucket,
            message: chain(&err),
        },
    }
}

/// Classifies an S3 error answer by its code and status.
pub(crate) fn classify_service(
    target: Target<'_>,
    status: u16,
    code: &str,
    message: &str,
    region: Option<String>,
) -> Error {
    let bucket = target.bucket.to_owned();
    let key = target.key.map(str::to_owned);
    match code {
        "NoSuchBucket" => return Error::NoSuchBucket { bucket },
        "NoSuchKey" => {
            return Error::NoSuchKey {
                bucket,
                key: key.unwrap_or_default(),
            }
        }
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => {
            return Error::AccessDenied { bucket, key }
        }
        "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "InvalidToken"
        | "TokenRefreshRequired"
        | "InvalidSecurity" => {
            return Error::InvalidCredentials {
                bucket,
                code: code.to_owned(),
                message: message.to_owned(),
            }
        }
        "PermanentRedirect"
        | "AuthorizationHeaderMalformed"
        | "IllegalLocationConstraintException" => return Error::WrongRegion { bucket, region },
        "SlowDown"
        | "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException" => {
            return Error::SlowDown {
                bucket,
                attempts: 1,
            }
        }
        "GlacierExpeditedRetrievalNotAvailable" => {
            return Error::ExpeditedUnavailable {
                bucket,
                key: key.unwrap_or_default(),
            }
        }
        "InvalidObjectState" => {
            return Error::InvalidObjectState {
                bucket,
                key: key.unwrap_or_default(),
            }
        }
        _ => {}
    }
    // HEAD answers carry no body, hence no code: the status must do.
    match status {
        301 | 307 if region.is_some() => Error::WrongRegion { bucket, region },
        301 => Error::WrongRegion { bucket, region },
        403 => Error::AccessDenied { bucket, key },
        404 if key.is_some() => Error::NoSuchKey {
            bucket,
            key: key.unwrap_or_default(),
        },
        404 => Error::NoSuchBucket { bucket },
        429 | 503 => Error::SlowDown {
            bucket,
            attempts: 1,
        },
        _ => Error::Service {
            bucket,
            key,
            code: if code.is_empty() {
                "-".into()
            } else {
                code.to_owned()
            },
            status,
            message: message.to_owned(),
        },
    }
}

/// The message of a credentials error anywhere in the chain of causes.
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

/// The text of the first `<name>…</name>` in an XML document (S3 error bodies are flat).
pub(crate) fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: u16, code: &str, expect: &str) {
        let target = Target {
            bucket: "media",
            key: Some("a/b.mov"),
        };
        let err = classify_service(target, status, code, "msg", Some("eu-west-1".into()));
        assert_eq!(err.to_string(), expect);
    }

    #[test]
    fn errors_name_the_bucket_and_key() {
        check(404, "NoSuchKey", "no such object: s3://media/a/b.mov");
        check(404, "NoSuchBucket", "no such bucket: s3://media");
        check(
            403,
            "",
            "access denied to s3://media/a/b.mov (check the IAM policy of these credentials)",
        );
        check(
            301,
            "",
            "s3://media is in another region (eu-west-1): pass --region",
        );
        check(
            403,
            "InvalidAccessKeyId",
            "S3 rejected the credentials for s3://media: InvalidAccessKeyId: msg",
        );
        check(
            503,
            "",
            "S3 kept throttling requests to s3://media (503 SlowDown) after 1 attempts",
        );
        check(
            500,
            "InternalError",
            "S3 error on s3://media/a/b.mov: InternalError (HTTP 500): msg",
        );
    }
}
