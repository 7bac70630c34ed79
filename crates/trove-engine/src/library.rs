//! The library: one folder that holds everything Trove derives.

use crate::volumes::{detached_uri, identify_new, identity_of, Presence};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use trove_catalog::{Catalog, NewSource, SourceRow};
use trove_core::{
    file_uri, resolve, AssetView, CheckReport, Claim, ClaimSource, SourceKind, SourceView, Stats,
};
use trove_storage::volume;

/// The environment variable naming the library folder.
pub const LIBRARY_ENV: &str = "TROVE_LIBRARY";

/// The library folder: `explicit`, else `$TROVE_LIBRARY`, else the OS data folder
/// (`~/.local/share/trove` on Linux).
pub fn library_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_owned());
    }
    if let Some(dir) = std::env::var_os(LIBRARY_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "trove")
        .map(|d| d.data_dir().to_owned())
        .ok_or(Error::NoLibraryDir)
}

/// An open library. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Library {
    dir: PathBuf,
    pub(crate) catalog: Catalog,
}

impl Library {
    /// Opens the library in `dir`, creating the folder and its catalog if needed.
    pub async fn open(dir: &Path) -> Result<Library> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Library {
            path: dir.to_owned(),
            source,
        })?;
        let catalog = Catalog::open(&dir.join(trove_catalog::DATABASE_FILE)).await?;
        Ok(Library {
            dir: dir.to_owned(),
            catalog,
        })
    }

    /// The library folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a local folder as a source. The path is made absolute and canonical; a folder inside
    /// or around an existing source is refused, since its files would be indexed twice.
    pub async fn add_local_source(&self, path: &Path, follow_links: bool) -> Result<SourceView> {
        let bad = |reason: String| Error::BadSourcePath {
            path: path.to_owned(),
            reason,
        };
        let root = std::fs::canonicalize(path).map_err(|e| bad(e.to_string()))?;
        if !root.is_dir() {
            return Err(bad("not a folder".into()));
        }
        if root.starts_with(&self.dir) || self.dir.starts_with(&root) {
            return Err(bad(format!(
                "it overlaps the library folder {}",
                self.dir.display()
            )));
        }
        let identity = identify_new(&root);
        for existing in self.catalog.sources().await? {
            let Some(other) = &existing.root else {
                continue;
            };
            let theirs = identity_of(&existing);
            // The same folder of the same volume: the drive came back, maybe at another path.
            if identity.is_some() && theirs == identity {
                if *other == root {
                    return Err(Error::Catalog(trove_catalog::Error::SourceExists {
                        uri: existing.uri,
                    }));
                }
                return match self.find_source_root(&existing, true).await? {
                    Presence::Here(found) if found == root => Ok(source_view(
                        self.catalog
                            .source(existing.id)
                            .await?
                            .ok_or_else(|| Error::NotFound(format!("source {}", existing.uri)))?,
                    )),
                    _ => Err(bad(format!(
                        "it is the folder of the source {} (mounted twice?)",
                        existing.uri
                    ))),
                };
            }
            if root.starts_with(other) || other.starts_with(&root) {
                // A source whose volume is not the one mounted here now is elsewhere: it keeps
                // its assets (offline) under its volume's name, and frees the path.
                let elsewhere = match &theirs {
                    Some(theirs) => {
                        !other.is_dir() || !volume::is_same(other, theirs).unwrap_or(true)
                    }
                    None => false,
                };
                match theirs.filter(|_| elsewhere) {
                    Some(theirs) => {
                        self.catalog
                            .detach_source(existing.id, &detached_uri(&theirs))
                            .await?;
                    }
                    None => {
                        return Err(bad(format!("it overlaps the source {}", existing.uri)));
                    }
                }
            }
        }
        let mut config = serde_json::json!({ "follow_links": follow_links });
        if let Some(identity) = &identity {
            config["volume"] = serde_json::to_value(identity).unwrap_or_default();
        }
        let row = self
            .catalog
            .add_source(&NewSource {
                kind: SourceKind::Local,
                uri: file_uri(&root),
                root: Some(root),
                config,
            })
            .await?;
        Ok(source_view(row))
    }

    /// Every source.
    pub async fn sources(&self) -> Result<Vec<SourceView>> {
        Ok(self
            .catalog
            .sources()
            .await?
            .into_iter()
            .map(source_view)
            .collect())
    }

    /// Counts of assets, locations, sources and their states.
    pub async fn stats(&self) -> Result<Stats> {
        Ok(self.catalog.stats().await?)
    }

    /// Checks the catalog's integrity.
    ///
    /// The search index is checked too: one that cannot be opened is a problem (rebuild it with
    /// `trove search --rebuild`); one that is behind only reports its lag.
    pub async fn check(&self) -> Result<CheckReport> {
        let mut report = self.catalog.check().await?;
        report.checks.push("search_index".into());
        match self.search_lag().await {
            Ok(lag) => report.search_lag = lag,
            Err(e) => report.problems.push(trove_core::CheckProblem {
                check: "search_index".into(),
                message: format!("{e}; rebuild it with `trove search --rebuild`"),
            }),
        }
        report.ok = report.problems.is_empty();
        Ok(report)
    }

    /// The asset named by `reference`: an id, a local path, or a `file://` URI.
    ///
    /// Its `metadata` holds the effective value of each field, resolved from the claims of every
    /// source by the schema's precedence; `provenance` says which source won, `claims` lists them
    /// all, `conflicts` the disagreements between sources of equal rank.
    pub async fn show(&self, reference: &std::ffi::OsStr) -> Result<AssetView> {
        let id = self.resolve_asset(reference).await?;
        let mut view = self
            .catalog
            .asset(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("asset {id}")))?;
        view.claims = self.catalog.claims(id).await?;
        let claims = claims_of(&view.claims);
        let resolved = resolve(&claims);
        // The file name is the title of last resort, as it was before any metadata was read.
        view.provenance.insert(
            "title".to_owned(),
            ClaimSource::FileSystem.as_str().to_owned(),
        );
        for (field, effective) in resolved.effective {
            view.provenance
                .insert(field.clone(), effective.source.as_str().to_owned());
            view.metadata.insert(field, effective.value);
        }
        if let Some(title) = view.metadata.get("title").and_then(|t| t.as_str()) {
            view.title = title.to_owned();
        }
        for conflict in resolved.conflicts {
            let stated = view
                .claims
                .iter()
                .filter(|c| c.field == conflict.field)
                .filter(|c| {
                    conflict
                        .values
                        .iter()
                        .any(|(s, v)| s.as_str() == c.source && *v == c.value)
                })
                .cloned()
                .collect();
            view.conflicts.insert(conflict.field, stated);
        }
        // Values two people gave copies of this content, met when the copies were merged.
        view.merge_conflicts = self.merge_conflicts(id).await?;
        for conflict in &view.merge_conflicts {
            let stated = view.conflicts.entry(conflict.field.clone()).or_default();
            for value in [&conflict.kept, &conflict.other] {
                if !stated
                    .iter()
                    .any(|c| c.source == "user" && c.value == *value)
                {
                    stated.push(trove_core::ClaimView {
                        field: conflict.field.clone(),
                        value: value.clone(),
                        source: ClaimSource::User.as_str().to_owned(),
                        source_key: None,
                        location_id: None,
                        observed_at: 0,
                    });
                }
            }
        }
        view.errors = self
            .catalog
            .asset_errors(id)
            .await?
            .into_iter()
            .filter_map(|job| job.error.map(|e| format!("{}: {e}", job.kind)))
            .collect();
        Ok(view)
    }

    /// Closes the catalog cleanly.
    pub async fn close(&self) {
        self.catalog.close().await;
    }
}

/// Claims as stored, typed for resolution; rows with a source Trove does not know are skipped.
pub(crate) fn claims_of(rows: &[trove_core::ClaimView]) -> Vec<Claim> {
    rows.iter()
        .filter_map(|c| {
            Some(Claim {
                field: c.field.clone(),
                value: c.value.clone(),
                source: c.source.parse::<ClaimSource>().ok()?,
                source_key: c.source_key.clone(),
            })
        })
        .collect()
}

pub(crate) fn source_view(row: SourceRow) -> SourceView {
    SourceView {
        id: row.id,
        kind: row.kind,
        uri: row.uri,
        path: row.root.map(|r| r.to_string_lossy().into_owned()),
        online: row.online,
        locations: row.locations,
        last_scan_at: row.last_scan_at,
    }
}
