//! Serializable views and reports: what the engine hands to the CLI and the desktop.
//!
//! Field names here are the JSON contract of `../shared/docs/cli.md`; extend, never rename.

use crate::{AssetId, Error, LocationId, MediaType, SourceId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Where a source's bytes live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A folder on a local or mounted file system.
    Local,
    /// An S3 bucket or prefix.
    S3,
    /// A legacy Glacier vault.
    Glacier,
}

impl SourceKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Local => "local",
            SourceKind::S3 => "s3",
            SourceKind::Glacier => "glacier",
        }
    }
}

impl FromStr for SourceKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "local" => Ok(SourceKind::Local),
            "s3" => Ok(SourceKind::S3),
            "glacier" => Ok(SourceKind::Glacier),
            _ => Err(Error::Invalid {
                kind: "source kind",
                value: s.to_owned(),
            }),
        }
    }
}

/// Whether the file of a location was there at the last look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationState {
    /// Seen at the last scan or watch event.
    Present,
    /// Gone from its source, which itself was reachable: kept, never deleted.
    Missing,
}

impl LocationState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LocationState::Present => "present",
            LocationState::Missing => "missing",
        }
    }
}

impl FromStr for LocationState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "present" => Ok(LocationState::Present),
            "missing" => Ok(LocationState::Missing),
            _ => Err(Error::Invalid {
                kind: "location state",
                value: s.to_owned(),
            }),
        }
    }
}

/// A source as listed by `trove source list`.
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    /// Row id.
    pub id: SourceId,
    /// Local, S3 or Glacier.
    pub kind: SourceKind,
    /// `file:///…`, `s3://bucket/prefix` or `glacier://vault`.
    pub uri: String,
    /// The root folder, for local sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Whether the root was reachable at the last scan.
    pub online: bool,
    /// Locations recorded under it (present or missing).
    pub locations: u64,
    /// When it was last scanned completely (seconds since the Unix epoch).
    pub last_scan_at: Option<i64>,
}

/// One copy of bytes, as shown in an asset.
#[derive(Debug, Clone, Serialize)]
pub struct LocationView {
    /// Row id.
    pub id: LocationId,
    /// The source it belongs to.
    pub source_id: SourceId,
    /// `file:///…` (exact, percent-encoded) or `s3://bucket/key`.
    pub uri: String,
    /// The absolute path for local locations (not UTF-8 bytes shown as U+FFFD; `uri` is exact).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: Option<i64>,
    /// MIME type from content sniffing or extension.
    pub mime: Option<String>,
    /// `media` for the asset's own bytes, `sidecar` for an XMP sidecar describing them.
    pub role: String,
    /// S3 storage class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// S3 ETag (without quotes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// S3 version id, when the bucket is versioned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// S3 objects whose bytes cannot be read now: `archived`, `restoring` or `ready` (restored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_state: Option<String>,
    /// S3 additional checksums by algorithm (`SHA256` → base64), as HEAD returned them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksums: Option<BTreeMap<String, String>>,
    /// Present or missing.
    pub state: LocationState,
    /// Present and on a reachable source.
    pub online: bool,
}

/// One value of one field as one source stated it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClaimView {
    /// Schema field key.
    pub field: String,
    /// The value.
    pub value: serde_json::Value,
    /// Who said it: `user`, `sidecar_xmp`, `embedded_xmp`, `exif`, `container_tags`, `probe`, …
    pub source: String,
    /// Where in that source, e.g. `format.tags.title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key: Option<String>,
    /// The location it was read from; none for user edits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<LocationId>,
    /// When it was observed (seconds since the Unix epoch).
    pub observed_at: i64,
}

/// An asset with its locations: the `ASSET` of cli.md.
#[derive(Debug, Clone, Serialize)]
pub struct AssetView {
    /// Row id.
    pub id: AssetId,
    /// The effective title.
    pub title: String,
    /// The class of its content.
    pub media_type: MediaType,
    /// Effective metadata values, field → value.
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// Where each effective value came from, field → claim source.
    pub provenance: BTreeMap<String, String>,
    /// Every value every source stated, beside the effective ones.
    pub claims: Vec<ClaimView>,
    /// Fields whose sources of equal rank disagree, field → the values stated.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub conflicts: BTreeMap<String, Vec<ClaimView>>,
    /// User values that disagreed when copies of its content were merged into it: the value
    /// kept, and the other with the asset and locations it came from. Listed until the field is
    /// edited again or the merge undone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merge_conflicts: Vec<MergeConflict>,
    /// Errors met while extracting its metadata (or other work on it).
    pub errors: Vec<String>,
    /// Whether any location is online.
    pub online: bool,
    /// Every copy, then sidecars.
    pub locations: Vec<LocationView>,
}

/// Two user values of one field met when assets holding the same content were merged.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MergeConflict {
    /// Schema field key.
    pub field: String,
    /// The value the asset kept (the oldest asset's).
    pub kept: serde_json::Value,
    /// The value it did not keep.
    pub other: serde_json::Value,
    /// The asset that had the other value (merged away; `trove undo BATCH` brings it back).
    pub other_asset: AssetId,
    /// That asset's media locations (`uri`s), now the merged asset's.
    pub other_locations: Vec<String>,
    /// The edit batch of the merge.
    pub batch: i64,
}

/// Counts for `trove stats --json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    /// Assets in the catalog.
    pub assets: u64,
    /// Locations: every indexed file (media and sidecars), present or missing.
    pub locations: u64,
    /// Sources.
    pub sources: u64,
    /// Assets whose every location is on an offline source.
    pub offline: u64,
    /// Locations whose file is gone from a reachable source.
    pub missing: u64,
    /// Sidecar locations (linked to a media file or not).
    pub sidecars: u64,
    /// Sources whose root was absent at the last scan.
    pub offline_sources: u64,
    /// Assets per media type.
    pub media_types: BTreeMap<String, u64>,
    /// The catalog's change sequence: the number of the last change.
    pub change_seq: i64,
}

/// A problem met during a scan that did not stop it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScanProblem {
    /// The path concerned (lossy if not UTF-8).
    pub path: String,
    /// What happened.
    pub message: String,
}

/// The summary of scanning one source (`trove scan --json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanReport {
    /// The source scanned.
    pub source: String,
    /// Whether the root was reachable; an offline source is left untouched.
    pub online: bool,
    /// New locations.
    pub added: u64,
    /// Known locations whose file changed (size, mtime or inode), or that came back.
    pub updated: u64,
    /// Known locations found at a new path (same device and inode).
    pub moved: u64,
    /// Locations newly marked missing.
    pub missing: u64,
    /// Files seen and unchanged.
    pub unchanged: u64,
    /// Regular files seen in this scan.
    pub files: u64,
    /// Sidecars linked to their media file.
    pub sidecars_linked: u64,
    /// Problems that did not stop the scan, each with its path.
    pub errors: Vec<ScanProblem>,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
}

/// One broken rule found by `trove check`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckProblem {
    /// Which rule, e.g. `foreign_keys`.
    pub check: String,
    /// What is wrong, naming the rows concerned.
    pub message: String,
}

/// The result of `trove check`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckReport {
    /// True when no problem was found.
    pub ok: bool,
    /// The rules checked.
    pub checks: Vec<String>,
    /// What is broken.
    pub problems: Vec<CheckProblem>,
    /// How many catalog changes the search index has not applied yet (it catches up by itself
    /// on the next search or sync); absent when there is no index yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_lag: Option<i64>,
}
