//! Turning what a user typed (an id, a path, a URI) into catalog rows.

use crate::{Error, Library, Result};
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};
use trove_catalog::SourceRow;
use trove_core::{parse_file_uri, AssetId, RelPath};

impl Library {
    /// The asset an id, a local path or a `file://` URI refers to.
    pub(crate) async fn resolve_asset(&self, reference: &OsStr) -> Result<AssetId> {
        let text = reference.to_str();
        if let Some(id) = text.and_then(|t| t.parse::<i64>().ok()) {
            return Ok(AssetId(id));
        }
        if let Some(uri) = text.filter(|t| t.starts_with("s3://")) {
            return self.resolve_s3_asset(uri).await;
        }
        if text.is_some_and(|t| t.starts_with("glacier://")) {
            return Err(Error::NotFound(format!(
                "{} (no S3 or Glacier source holds it)",
                reference.to_string_lossy()
            )));
        }
        let path = match text.and_then(parse_file_uri) {
            Some(p) => p,
            None => PathBuf::from(reference),
        };
        let sources = self.catalog.sources().await?;
        for candidate in [Some(absolute(&path)), std::fs::canonicalize(&path).ok()]
            .into_iter()
            .flatten()
        {
            let Some((source, rel)) = source_of(&sources, &candidate) else {
                continue;
            };
            if let Some((location, asset)) = self.catalog.location_at(source.id, &rel).await? {
                return asset.ok_or_else(|| {
                    Error::NotFound(format!(
                        "an asset for {} (it is a sidecar of no known media file; location {location})",
                        candidate.display()
                    ))
                });
            }
        }
        Err(Error::NotFound(format!("an asset at {}", path.display())))
    }

    /// The sources named by ids, paths or URIs; all of them when `references` is empty.
    pub(crate) async fn resolve_sources(&self, references: &[String]) -> Result<Vec<SourceRow>> {
        let sources = self.catalog.sources().await?;
        if references.is_empty() {
            return Ok(sources);
        }
        let mut picked = Vec::new();
        for reference in references {
            let path = parse_file_uri(reference)
                .map(|p| absolute(&p))
                .or_else(|| std::fs::canonicalize(reference).ok());
            let found = sources.iter().find(|s| {
                s.uri == *reference
                    || reference.parse::<i64>().ok() == Some(s.id.0)
                    || (path.is_some() && s.root.as_deref() == path.as_deref())
            });
            match found {
                Some(s) => picked.push(s.clone()),
                None => return Err(Error::NotFound(format!("source {reference}"))),
            }
        }
        Ok(picked)
    }
}

/// The source holding `path`, with the path relative to its root.
pub(crate) fn source_of<'a>(
    sources: &'a [SourceRow],
    path: &Path,
) -> Option<(&'a SourceRow, RelPath)> {
    sources
        .iter()
        .filter_map(|s| Some((s, RelPath::under(s.root.as_deref()?, path)?)))
        .max_by_key(|(s, _)| s.root.as_ref().map(|r| r.as_os_str().len()))
}

/// `path` made absolute against the working folder, with `.` and `..` resolved lexically.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
