//! The one error that crosses IPC: `{kind, message, detail}`.
//!
//! Engine errors are classified into a few kinds the UI can act on. Internal errors are logged
//! here with their whole source chain and reach the UI only as a generic message.

use std::error::Error as StdError;

use serde::Serialize;

/// What kind of failure the UI is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub(crate) enum ErrorKind {
    /// The thing asked for does not exist.
    NotFound,
    /// The request itself, or the app's configuration, was wrong.
    InvalidInput,
    /// The request clashes with the current state (e.g. a name already taken).
    Conflict,
    /// Reading or writing files failed.
    Io,
    /// A bug or an unexpected state; details are in the log only.
    Internal,
}

/// The serializable error every command returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub(crate) struct IpcError {
    kind: ErrorKind,
    message: String,
    /// More lines for the curious (e.g. where a query went wrong); never internal details.
    detail: Option<String>,
}

/// The message shown for internal errors, whose details stay in the log.
const INTERNAL_MESSAGE: &str = "Something went wrong inside Trove. The log has the details.";

impl IpcError {
    /// What kind of failure this is.
    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// An error of `kind` with a message fit to show to the user.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message: String = message.into();
        // A multi-line engine message (a query error with its caret) keeps its first line as
        // the message and the rest as detail, so the UI can show one line and expand.
        match message.split_once('\n') {
            Some((first, rest)) => Self {
                kind,
                message: first.to_owned(),
                detail: Some(rest.to_owned()),
            },
            None => Self {
                kind,
                message,
                detail: None,
            },
        }
    }

    /// An error about what the UI asked for.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// An internal error: logs `err` with its chain and hides it behind a generic message.
    pub(crate) fn internal(context: &str, err: &(dyn StdError + 'static)) -> Self {
        log_chain(context, err);
        Self::new(ErrorKind::Internal, INTERNAL_MESSAGE)
    }
}

impl From<trove_engine::Error> for IpcError {
    fn from(err: trove_engine::Error) -> Self {
        use trove_catalog::Error as C;
        use trove_engine::Error as E;
        let kind = match &err {
            E::NotFound(_) | E::Catalog(C::NoSuchCollection { .. }) => ErrorKind::NotFound,
            E::InvalidInput(_) | E::BadSourcePath { .. } | E::NoLibraryDir => {
                ErrorKind::InvalidInput
            }
            E::Catalog(C::SourceExists { .. } | C::CollectionExists { .. }) => ErrorKind::Conflict,
            E::Library { .. } | E::Watch { .. } | E::Search(_) => ErrorKind::Io,
            _ => return Self::internal("engine call failed", &err),
        };
        tracing::warn!(error = %chain(&err), ?kind, "engine call refused");
        Self::new(kind, err.to_string())
    }
}

/// Logs `err` and every error in its source chain on one line.
pub(crate) fn log_chain(context: &str, err: &(dyn StdError + 'static)) {
    tracing::error!(error = %chain(err), "{context}");
}

/// `err: source: source…`, the whole chain as one string.
///
/// A cause whose text the message already ends with (`"…: {source}"` and `#[source]`) is not
/// repeated.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn serializes_as_kind_and_message() {
        let err = IpcError::new(ErrorKind::NotFound, "no such asset");
        let json = serde_json::to_value(&err).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({ "kind": "notFound", "message": "no such asset", "detail": null })
        );
    }

    #[test]
    fn multi_line_messages_keep_the_rest_as_detail() {
        let err = IpcError::from(trove_engine::Error::InvalidInput(
            "bad query at character 3: unknown field\n  xx:1\n  ^".into(),
        ));
        assert_eq!(err.kind, ErrorKind::InvalidInput);
        assert_eq!(err.message, "bad query at character 3: unknown field");
        assert_eq!(err.detail.as_deref(), Some("  xx:1\n  ^"));
    }

    #[test]
    fn engine_errors_keep_their_kind() {
        let err = IpcError::from(trove_engine::Error::NotFound("asset 42".into()));
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert_eq!(err.message, "asset 42 not found");
        let err = IpcError::from(trove_engine::Error::Internal("task died".into()));
        assert_eq!(err.kind, ErrorKind::Internal);
        assert_eq!(err.message, INTERNAL_MESSAGE);
    }

    #[test]
    fn internal_errors_hide_their_details() {
        let err = Outer(std::io::Error::other("disk on fire"));
        let ipc = IpcError::internal("test", &err);
        assert_eq!(ipc.kind, ErrorKind::Internal);
        assert!(!ipc.message.contains("disk on fire"));
    }

    #[test]
    fn chain_joins_sources() {
        let err = Outer(std::io::Error::other("inner"));
        assert_eq!(chain(&err), "outer: inner");
    }

    #[test]
    fn chain_does_not_repeat_a_cause_already_in_the_message() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot open: {0}")]
        struct Quoting(#[source] std::io::Error);
        let err = Quoting(std::io::Error::other("gone"));
        assert_eq!(chain(&err), "cannot open: gone");
    }
}
