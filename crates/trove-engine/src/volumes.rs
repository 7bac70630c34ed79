//! Local sources on volumes: found again when their drive comes back at another mount point,
//! and never confused with another drive mounted where theirs used to be.
//!
//! A local source records its [`VolumeIdentity`] (in its config, under `volume`) when added.
//! Before a scan or a watch uses its root, [`Library::find_source_root`] checks that the volume
//! there is still the source's; if not (or if the root is gone), it looks for the volume among
//! the current mounts and re-attaches the source to the folder found, keeping every location,
//! claim, preview and hash. A source without an identity (a read-only file system with no UUID)
//! is known by its path alone.

use crate::{Library, Result};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use trove_catalog::SourceRow;
use trove_core::file_uri;
use trove_storage::volume::{self, IdentifyOptions, VolumeIdentity};

/// Where a local source's folder is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Presence {
    /// Reachable at this root (re-attached if it moved).
    Here(PathBuf),
    /// Not connected; `other_volume` when a different volume is mounted at its old root.
    Absent {
        /// Whether the old root exists but belongs to another volume.
        other_volume: bool,
    },
}

/// The volume identity a source recorded, if any.
pub(crate) fn identity_of(source: &SourceRow) -> Option<VolumeIdentity> {
    serde_json::from_value(source.config.get("volume")?.clone()).ok()
}

/// The identity of the volume holding a new source's root (a marker file is written when the
/// file system has no UUID and the folder is writable).
pub(crate) fn identify_new(root: &Path) -> Option<VolumeIdentity> {
    match volume::identify(
        root,
        IdentifyOptions {
            create_marker: true,
        },
    ) {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!("cannot tell which volume {} is on: {e}", root.display());
            None
        }
    }
}

/// The URI an offline source takes when a new source takes its old path: its volume's.
pub(crate) fn detached_uri(identity: &VolumeIdentity) -> String {
    format!("volume://{}{}", identity.id, identity.path.display())
}

impl Library {
    /// Finds a local source's folder now, re-attaching the source when its volume is mounted
    /// somewhere else. With `verify` false, a root that exists is taken as the source's without
    /// asking which volume it is on (for frequent polls of a source being watched).
    pub(crate) async fn find_source_root(
        &self,
        source: &SourceRow,
        verify: bool,
    ) -> Result<Presence> {
        let Some(root) = source.root.clone() else {
            return Ok(Presence::Absent {
                other_volume: false,
            });
        };
        let Some(identity) = identity_of(source) else {
            return Ok(if root.is_dir() {
                Presence::Here(root)
            } else {
                Presence::Absent {
                    other_volume: false,
                }
            });
        };
        let here = root.is_dir();
        if here && !verify {
            return Ok(Presence::Here(root));
        }
        // Listing mounts may run blkid: off the async threads.
        let (same, found) = {
            let (root, identity) = (root.clone(), identity.clone());
            tokio::task::spawn_blocking(move || {
                if here && volume::is_same(&root, &identity).unwrap_or(true) {
                    return (true, None);
                }
                let found = volume::locate(&identity).unwrap_or_else(|e| {
                    tracing::warn!("cannot list mounts: {e}");
                    None
                });
                (false, found)
            })
            .await
            .map_err(|e| crate::Error::Internal(format!("volume lookup failed: {e}")))?
        };
        if same {
            return Ok(Presence::Here(root));
        }
        let Some(new_root) = found.and_then(|p| std::fs::canonicalize(p).ok()) else {
            return Ok(Presence::Absent { other_volume: here });
        };
        let device = std::fs::metadata(&new_root).ok().map(|m| m.dev());
        match self
            .catalog
            .reattach_source(source.id, &new_root, &file_uri(&new_root), device)
            .await
        {
            Ok(()) => {
                tracing::info!(
                    "{}: volume {} found at {}; source re-attached",
                    source.uri,
                    identity.id,
                    new_root.display()
                );
                Ok(Presence::Here(new_root))
            }
            Err(trove_catalog::Error::SourceExists { uri }) => {
                tracing::warn!(
                    "{}: its volume is mounted at {uri}, which is another source already",
                    source.uri
                );
                Ok(Presence::Absent { other_volume: here })
            }
            Err(e) => Err(e.into()),
        }
    }
}
