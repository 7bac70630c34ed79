//! Trove's domain types, shared by every other crate.
//!
//! Nothing here does I/O or needs an async runtime: these are the words of the domain — source,
//! location, asset, media type — and the serializable reports that cross the engine's edge.

mod claim;
mod error;
mod ids;
mod media;
mod path;
pub mod process;
mod report;
pub mod restore;
mod schema;

pub use claim::{
    editable, precedence, resolve, validate_edit, Claim, ClaimSource, Conflict, Effective,
    Rejected, Resolved,
};
pub use error::{Error, Result};
pub use ids::{AssetId, LocationId, SourceId};
pub use media::{MediaType, SIDECAR_EXTENSION};
pub use path::{file_uri, parse_file_uri, path_from_bytes, path_to_bytes, RelPath};
pub use report::{
    AssetView, CheckProblem, CheckReport, ClaimView, LocationState, LocationView, MergeConflict,
    ScanProblem, ScanReport, SourceKind, SourceView, Stats,
};
pub use schema::{
    field, is_custom_key, validate, Bounds, CustomFieldDef, CustomKind, FieldClass, FieldDef,
    FieldKind, Rational, ValueError, CUSTOM_PREFIX, FIELDS,
};
