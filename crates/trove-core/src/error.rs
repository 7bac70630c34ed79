//! Errors of the domain layer: values that do not parse.

/// What went wrong while interpreting a domain value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A string is not a valid value of the named kind.
    #[error("invalid {kind}: {value:?}")]
    Invalid {
        /// What was expected, e.g. "media type".
        kind: &'static str,
        /// The text that did not parse.
        value: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
