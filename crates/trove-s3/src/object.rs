//! What Trove knows of an object: from a listing or an inventory ([`ObjectEntry`]), or from its
//! head ([`ObjectHead`]); its storage class and whether its bytes can be read now.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

/// An object's storage class. Classes this crate does not know are kept as they were written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum StorageClass {
    /// `STANDARD` (also what S3 means when a listing names no class).
    #[default]
    Standard,
    /// `REDUCED_REDUNDANCY`.
    ReducedRedundancy,
    /// `STANDARD_IA`.
    StandardIa,
    /// `ONEZONE_IA`.
    OnezoneIa,
    /// `INTELLIGENT_TIERING`; its archive tiers show in [`ArchiveStatus`].
    IntelligentTiering,
    /// `GLACIER_IR` (Instant Retrieval): readable at once.
    GlacierIr,
    /// `GLACIER` (Flexible Retrieval): needs a restore.
    Glacier,
    /// `DEEP_ARCHIVE`: needs a restore.
    DeepArchive,
    /// `EXPRESS_ONEZONE`.
    ExpressOnezone,
    /// Any other name, e.g. `OUTPOSTS`, `SNOW` or a vendor's own.
    Other(String),
}

impl StorageClass {
    /// Parses S3's name of a class; an empty name is `STANDARD`.
    pub fn parse(name: &str) -> StorageClass {
        match name {
            "" | "STANDARD" => StorageClass::Standard,
            "REDUCED_REDUNDANCY" => StorageClass::ReducedRedundancy,
            "STANDARD_IA" => StorageClass::StandardIa,
            "ONEZONE_IA" => StorageClass::OnezoneIa,
            "INTELLIGENT_TIERING" => StorageClass::IntelligentTiering,
            "GLACIER_IR" => StorageClass::GlacierIr,
            "GLACIER" => StorageClass::Glacier,
            "DEEP_ARCHIVE" => StorageClass::DeepArchive,
            "EXPRESS_ONEZONE" => StorageClass::ExpressOnezone,
            other => StorageClass::Other(other.to_owned()),
        }
    }

    /// S3's name of the class.
    pub fn as_str(&self) -> &str {
        match self {
            StorageClass::Standard => "STANDARD",
            StorageClass::ReducedRedundancy => "REDUCED_REDUNDANCY",
            StorageClass::StandardIa => "STANDARD_IA",
            StorageClass::OnezoneIa => "ONEZONE_IA",
            StorageClass::IntelligentTiering => "INTELLIGENT_TIERING",
            StorageClass::GlacierIr => "GLACIER_IR",
            StorageClass::Glacier => "GLACIER",
            StorageClass::DeepArchive => "DEEP_ARCHIVE",
            StorageClass::ExpressOnezone => "EXPRESS_ONEZONE",
            StorageClass::Other(name) => name,
        }
    }

    /// Whether objects of this class need a restore before their bytes can be read.
    pub fn needs_restore(&self) -> bool {
        matches!(self, StorageClass::Glacier | StorageClass::DeepArchive)
    }
}

impl fmt::Display for StorageClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The archive tier of an `INTELLIGENT_TIERING` object (HEAD's `x-amz-archive-status`, or an
/// inventory's `IntelligentTieringAccessTier`). Only the two archive tiers make it unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArchiveStatus {
    /// `ARCHIVE_ACCESS`: needs a restore.
    ArchiveAccess,
    /// `DEEP_ARCHIVE_ACCESS`: needs a restore.
    DeepArchiveAccess,
    /// Another tier (an inventory's `FREQUENT`, `INFREQUENT`, `ARCHIVE_INSTANT_ACCESS`, …):
    /// readable.
    Other(String),
}

impl ArchiveStatus {
    /// Parses a header's or an inventory's name of the tier.
    pub fn parse(name: &str) -> ArchiveStatus {
        match name {
            "ARCHIVE_ACCESS" | "ARCHIVE" => ArchiveStatus::ArchiveAccess,
            "DEEP_ARCHIVE_ACCESS" | "DEEP_ARCHIVE" => ArchiveStatus::DeepArchiveAccess,
            other => ArchiveStatus::Other(other.to_owned()),
        }
    }

    /// The name as S3's HEAD writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ArchiveStatus::ArchiveAccess => "ARCHIVE_ACCESS",
            ArchiveStatus::DeepArchiveAccess => "DEEP_ARCHIVE_ACCESS",
            ArchiveStatus::Other(name) => name,
        }
    }

    /// Whether this tier needs a restore before the bytes can be read.
    pub fn needs_restore(&self) -> bool {
        !matches!(self, ArchiveStatus::Other(_))
    }
}

/// The restore state of an archived object, from `x-amz-restore` or a listing's `RestoreStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreState {
    /// A restore was requested and is not finished (`ongoing-request="true"`).
    InProgress,
    /// A temporary copy is readable (`ongoing-request="false"`) until `expiry`, when given.
    Restored {
        /// When the temporary copy goes away.
        expiry: Option<SystemTime>,
    },
}

impl RestoreState {
    /// Parses the `x-amz-restore` header, e.g.
    /// `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`. `None` when it
    /// says neither state.
    pub fn parse_header(value: &str) -> Option<RestoreState> {
        let field = |name: &str| -> Option<&str> {
            let start = value.find(name)? + name.len();
            let rest = value[start..].trim_start().strip_prefix('=')?.trim_start();
            let rest = rest.strip_prefix('"')?;
            Some(&rest[..rest.find('"')?])
        };
        match field("ongoing-request")? {
            "true" => Some(RestoreState::InProgress),
            "false" => {
                let expiry = field("expiry-date").and_then(|d| {
                    aws_sdk_s3::primitives::DateTime::from_str(
                        d,
                        aws_sdk_s3::primitives::DateTimeFormat::HttpDate,
                    )
                    .ok()
                    .and_then(|d| SystemTime::try_from(d).ok())
                });
                Some(RestoreState::Restored { expiry })
            }
            _ => None,
        }
    }
}

/// One object of a listing or an inventory: what a scan needs to decide whether anything changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    /// The full key (not relative to the listed prefix).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// The ETag without its quotes; the MD5 of the bytes for single-part uploads, `…-N` for
    /// multipart ones.
    pub etag: Option<String>,
    /// Last modification time.
    pub last_modified: Option<SystemTime>,
    /// The storage class.
    pub storage_class: StorageClass,
    /// The Intelligent-Tiering archive tier; only inventories and HEAD report it.
    pub archive_status: Option<ArchiveStatus>,
    /// The version id, when listed with versions (or from a versioned inventory).
    pub version_id: Option<String>,
    /// The additional checksum the object was stored with (`CRC32`, `SHA256`, …), if any.
    pub checksum_algorithm: Option<String>,
    /// The restore state, when the listing asked for it and S3 answered.
    pub restore: Option<RestoreState>,
}

impl ObjectEntry {
    /// Whether the bytes cannot be read now: an archived class or tier without a finished
    /// restore (as far as this entry knows — a HEAD tells for sure). Callers never send a GET
    /// (or a probe) for such an object, so no `InvalidObjectState` errors are provoked.
    pub fn is_archived(&self) -> bool {
        is_archived(
            &self.storage_class,
            self.archive_status.as_ref(),
            self.restore.as_ref(),
        )
    }
}

pub(crate) fn is_archived(
    class: &StorageClass,
    tier: Option<&ArchiveStatus>,
    restore: Option<&RestoreState>,
) -> bool {
    let archived = class.needs_restore() || tier.is_some_and(ArchiveStatus::needs_restore);
    archived && !matches!(restore, Some(RestoreState::Restored { .. }))
}

/// What a HEAD of one object tells: the listing's facts plus user metadata, content type,
/// checksums and the restore state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// The ETag without its quotes.
    pub etag: Option<String>,
    /// Last modification time.
    pub last_modified: Option<SystemTime>,
    /// The storage class (`STANDARD` when S3 sends none, as it does for that class).
    pub storage_class: StorageClass,
    /// `x-amz-archive-status`, for Intelligent-Tiering objects in an archive tier.
    pub archive_status: Option<ArchiveStatus>,
    /// The version id, when versioning is on.
    pub version_id: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// User metadata: the `x-amz-meta-*` headers, without the prefix, names in lower case.
    pub user_metadata: BTreeMap<String, String>,
    /// Additional checksums by algorithm (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`),
    /// base64 as S3 sends them; asked for with `ChecksumMode=ENABLED`.
    pub checksums: BTreeMap<String, String>,
    /// `FULL_OBJECT` or `COMPOSITE` (checksums of multipart uploads), when S3 says.
    pub checksum_type: Option<String>,
    /// The raw `x-amz-restore` header.
    pub restore_header: Option<String>,
    /// [`Self::restore_header`] parsed.
    pub restore: Option<RestoreState>,
    /// The number of parts of a multipart upload, when S3 says.
    pub parts_count: Option<u32>,
}

impl ObjectHead {
    /// Whether the bytes cannot be read now (see [`ObjectEntry::is_archived`]); a HEAD knows the
    /// restore state, so this is exact.
    pub fn is_archived(&self) -> bool {
        is_archived(
            &self.storage_class,
            self.archive_status.as_ref(),
            self.restore.as_ref(),
        )
    }
}

/// Removes the quotes S3 puts around ETags.
pub(crate) fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_classes_round_trip_and_unknown_names_are_kept() {
        for name in [
            "STANDARD",
            "REDUCED_REDUNDANCY",
            "STANDARD_IA",
            "ONEZONE_IA",
            "INTELLIGENT_TIERING",
            "GLACIER_IR",
            "GLACIER",
            "DEEP_ARCHIVE",
            "EXPRESS_ONEZONE",
            "OUTPOSTS",
        ] {
            assert_eq!(StorageClass::parse(name).as_str(), name);
        }
        assert_eq!(StorageClass::parse(""), StorageClass::Standard);
        assert_eq!(
            StorageClass::parse("SNOW"),
            StorageClass::Other("SNOW".into())
        );
    }

    #[test]
    fn restore_header_parses_both_states() {
        assert_eq!(
            RestoreState::parse_header(r#"ongoing-request="true""#),
            Some(RestoreState::InProgress)
        );
        let restored = RestoreState::parse_header(
            r#"ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT""#,
        );
        let expected = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_356_048_000);
        assert_eq!(
            restored,
            Some(RestoreState::Restored {
                expiry: Some(expected)
            })
        );
        assert_eq!(RestoreState::parse_header("garbage"), None);
    }

    #[test]
    fn archived_objects_are_those_without_a_finished_restore() {
        let mut entry = ObjectEntry {
            key: "a".into(),
            size: 1,
            etag: None,
            last_modified: None,
            storage_class: StorageClass::DeepArchive,
            archive_status: None,
            version_id: None,
            checksum_algorithm: None,
            restore: None,
        };
        assert!(entry.is_archived());
        entry.restore = Some(RestoreState::InProgress);
        assert!(entry.is_archived());
        entry.restore = Some(RestoreState::Restored { expiry: None });
        assert!(!entry.is_archived());
        entry.storage_class = StorageClass::IntelligentTiering;
        entry.restore = None;
        assert!(!entry.is_archived());
        entry.archive_status = Some(ArchiveStatus::DeepArchiveAccess);
        assert!(entry.is_archived());
        entry.storage_class = StorageClass::GlacierIr;
        entry.archive_status = None;
        assert!(!entry.is_archived());
    }
}
