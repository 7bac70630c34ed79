//! Metadata exchange: export as JSON, CSV or XMP sidecars; import CSV as an undoable edit batch.
//!
//! CSV is how editors batch-edit, so it is strict: RFC 4180 quoting (the `csv` crate), UTF-8, one
//! row per asset with an `id` column, one column per schema field, lists joined by `;` with `\;`
//! for a semicolon inside an item. Export then import of the same file changes nothing. Import
//! reports every unknown column and bad value with its row, and `--dry-run` shows the changes.

use crate::meta::Assignment;
use crate::{Error, Library, Result};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use trove_catalog::SourceRow;
use trove_core::{field, is_custom_key, AssetId, AssetView, SourceId};

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Assets with effective values, provenance and claims: lossless.
    Json,
    /// One row per asset, one column per field.
    Csv,
    /// One XMP sidecar per asset.
    Xmp,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// Assets exported.
    pub assets: u64,
    /// Files written (XMP sidecars, or the one CSV/JSON file).
    pub files: Vec<String>,
    /// Sidecars that could not be written (a read-only folder, a foreign sidecar in the way),
    /// each naming its asset and file; the other assets are exported regardless.
    pub problems: Vec<ExportProblem>,
}

/// A sidecar an export could not write.
#[derive(Debug, Clone, Serialize)]
pub struct ExportProblem {
    /// The asset.
    pub asset: AssetId,
    /// What went wrong, naming the file.
    pub message: String,
}

/// One change an import makes (or would make, in a dry run).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImportChange {
    /// CSV row (1 = the first row after the header).
    pub row: u64,
    /// The asset.
    pub asset: AssetId,
    /// The field.
    pub field: String,
    /// The current effective value.
    pub from: serde_json::Value,
    /// The value in the file.
    pub to: serde_json::Value,
}

/// A problem with one row or column of an import.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImportProblem {
    /// CSV row (0 = the header).
    pub row: u64,
    /// What is wrong.
    pub message: String,
}

/// The result of `meta import`.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Changes made (or that would be made).
    pub changes: Vec<ImportChange>,
    /// Rows and columns that were skipped, with why.
    pub problems: Vec<ImportProblem>,
    /// The edit batch written; none for a dry run or when nothing changed.
    pub batch: Option<i64>,
}

/// What marks an XMP packet as written by Trove (the toolkit attribute of `x:xmpmeta`).
const TROVE_MARK: &[u8] = b"x:xmptk=\"Trove";

/// Joins a list for a CSV cell: `;` between items, `\;` and `\\` inside them.
fn join_list(items: &[serde_json::Value]) -> String {
    items
        .iter()
        .map(|v| cell_text(v).replace('\\', "\\\\").replace(';', "\\;"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn cell_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => join_list(items),
        other => other.to_string(),
    }
}

impl Library {
    async fn views(&self, assets: &[OsString]) -> Result<Vec<AssetView>> {
        let mut views = Vec::with_capacity(assets.len());
        for asset in assets {
            views.push(self.show(asset).await?);
        }
        Ok(views)
    }

    /// Exports the metadata of `assets` in `format`. XMP goes next to each media file (never
    /// over a sidecar Trove did not write) or, with `out`, into a sidecar tree under that folder
    /// that mirrors each source's layout (`OUT/<source folder name>/<path>.xmp`), for media on
    /// read-only drives; CSV and JSON go to the file `out`, or are returned as text when `out`
    /// is `None`.
    pub async fn meta_export(
        &self,
        assets: &[OsString],
        format: ExportFormat,
        out: Option<&Path>,
    ) -> Result<(ExportReport, Option<String>)> {
        let views = self.views(assets).await?;
        let mut report = ExportReport {
            assets: views.len() as u64,
            files: Vec::new(),
            problems: Vec::new(),
        };
        let text = match format {
            ExportFormat::Json => serde_json::to_string_pretty(&views)
                .map_err(|e| Error::Internal(format!("cannot encode the export: {e}")))?,
            ExportFormat::Csv => {
                let columns: BTreeSet<&str> = views
                    .iter()
                    .flat_map(|v| v.metadata.keys().map(String::as_str))
                    .filter(|k| field(k).is_some_and(trove_core::editable) || is_custom_key(k))
                    .collect();
                let mut writer = csv::Writer::from_writer(Vec::new());
                let header: Vec<&str> = std::iter::once("id")
                    .chain(columns.iter().copied())
                    .collect();
                let csv_error = |e: csv::Error| Error::Internal(format!("cannot write CSV: {e}"));
                writer.write_record(&header).map_err(csv_error)?;
                for view in &views {
                    let mut row = vec![view.id.to_string()];
                    row.extend(
                        columns
                            .iter()
                            .map(|c| view.metadata.get(*c).map(cell_text).unwrap_or_default()),
                    );
                    writer.write_record(&row).map_err(csv_error)?;
                }
                let bytes = writer
                    .into_inner()
                    .map_err(|e| Error::Internal(format!("cannot write CSV: {e}")))?;
                String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))?
            }
            ExportFormat::Xmp => {
                let trees = tree_names(&self.catalog.sources().await?);
                for view in &views {
                    let written = xmp_target(view, out, &trees).and_then(|target| {
                        let packet = trove_media::write_xmp(&view.metadata);
                        write_new(&target, packet.as_bytes(), out.is_some())?;
                        Ok(target)
                    });
                    match written {
                        Ok(target) => report.files.push(target.to_string_lossy().into_owned()),
                        Err(e) => report.problems.push(ExportProblem {
                            asset: view.id,
                            message: e.to_string(),
                        }),
                    }
                }
                return Ok((report, None));
            }
        };
        match out {
            Some(path) => {
                std::fs::write(path, &text).map_err(|source| Error::Library {
                    path: path.to_owned(),
                    source,
                })?;
                report.files.push(path.to_string_lossy().into_owned());
                Ok((report, None))
            }
            None => Ok((report, Some(text))),
        }
    }

    /// Imports a CSV made by `meta export --format csv` (or edited from one).
    pub async fn meta_import(&self, csv_path: &Path, dry_run: bool) -> Result<ImportReport> {
        let file_error =
            |e: csv::Error| Error::InvalidInput(format!("{}: {e}", csv_path.display()));
        let mut reader = csv::Reader::from_path(csv_path).map_err(file_error)?;
        let header: Vec<String> = reader
            .headers()
            .map_err(file_error)?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        let custom = self.catalog.custom_fields().await?;
        let mut problems = Vec::new();
        let Some(id_column) = header.iter().position(|h| h == "id") else {
            return Err(Error::InvalidInput(format!(
                "{}: no `id` column in the header",
                csv_path.display()
            )));
        };
        let mut columns = Vec::new();
        for (i, name) in header.iter().enumerate() {
            if i == id_column {
                continue;
            }
            match field(name) {
                Some(def) if !trove_core::editable(def) => problems.push(ImportProblem {
                    row: 0,
                    message: format!(
                        "column {name}: not editable (measured from the file); skipped"
                    ),
                }),
                Some(_) => columns.push((i, name.clone())),
                None if is_custom_key(name) && custom.iter().any(|c| c.key() == name) => {
                    columns.push((i, name.clone()))
                }
                None => problems.push(ImportProblem {
                    row: 0,
                    message: format!("column {name}: not a field of the schema; skipped"),
                }),
            }
        }
        let mut changes = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let row = index as u64 + 1;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    problems.push(ImportProblem {
                        row,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let id_text = record.get(id_column).unwrap_or_default().trim();
            let Ok(id) = id_text.parse::<i64>().map(AssetId) else {
                problems.push(ImportProblem {
                    row,
                    message: format!("id {id_text:?} is not an asset id"),
                });
                continue;
            };
            let view = match self.show(id.0.to_string().as_ref()).await {
                Ok(v) => v,
                Err(e) => {
                    problems.push(ImportProblem {
                        row,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            for (i, name) in &columns {
                let cell = record.get(*i).unwrap_or_default();
                let current = view
                    .metadata
                    .get(name)
                    .cloned()
                    .unwrap_or(serde_json::Value::Null);
                if cell == cell_text(&current) {
                    continue;
                }
                let assignment = Assignment::Set(name.clone(), cell.to_owned());
                match crate::meta::assignment_value(&assignment, &current, &custom) {
                    Ok(to) if to == current => {}
                    Ok(to) => {
                        changes.push(ImportChange {
                            row,
                            asset: id,
                            field: name.clone(),
                            from: current,
                            to,
                        });
                    }
                    Err(e) => problems.push(ImportProblem {
                        row,
                        message: e.to_string(),
                    }),
                }
            }
        }
        let mut batch = None;
        if !dry_run && !changes.is_empty() {
            let edits = changes
                .iter()
                .map(|c| trove_catalog::Edit {
                    asset: c.asset,
                    field: c.field.clone(),
                    value: Some(c.to.clone()),
                })
                .collect::<Vec<_>>();
            let author = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
            let command = format!("meta import {}", csv_path.display());
            batch = Some(self.catalog.apply_edits(&author, &command, &edits).await?);
        }
        Ok(ImportReport {
            changes,
            problems,
            batch,
        })
    }
}

/// Where the XMP sidecar of `view` goes: `clip.xmp` (the XMP spec's name, Adobe's) next to the
/// media file, or `clip.mov.xmp` when another file shares the base name; `DIR/clip.mov.xmp` with
/// `--out DIR`.
/// The folder of each local source in a sidecar tree: its root's name, with the source id
/// added when two sources share a name.
fn tree_names(sources: &[SourceRow]) -> HashMap<SourceId, (PathBuf, PathBuf)> {
    let mut names = HashMap::new();
    let mut taken = HashSet::new();
    for source in sources {
        let Some(root) = &source.root else { continue };
        let base = root
            .file_name()
            .map_or_else(|| PathBuf::from("root"), PathBuf::from);
        let name = if taken.insert(base.clone()) {
            base
        } else {
            let mut unique = base.into_os_string();
            unique.push(format!("-{}", source.id.0));
            PathBuf::from(unique)
        };
        names.insert(source.id, (root.clone(), name));
    }
    names
}

fn xmp_target(
    view: &AssetView,
    out: Option<&Path>,
    trees: &HashMap<SourceId, (PathBuf, PathBuf)>,
) -> Result<PathBuf> {
    let (source, media) = view
        .locations
        .iter()
        .filter(|l| l.role == "media" && l.path.is_some())
        .find_map(|l| Some((l.source_id, trove_core::parse_file_uri(&l.uri)?)))
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "asset {} has no local file to name its sidecar",
                view.id
            ))
        })?;
    let mut long = media.file_name().map(|n| n.to_owned()).unwrap_or_default();
    long.push(".xmp");
    if let Some(dir) = out {
        let (root, name) = trees
            .get(&source)
            .ok_or_else(|| Error::NotFound(format!("the source of asset {}", view.id)))?;
        let rel = media
            .parent()
            .and_then(|p| p.strip_prefix(root).ok())
            .unwrap_or(Path::new(""));
        return Ok(dir.join(name).join(rel).join(long));
    }
    let short = media.with_extension("xmp");
    let stem = media.file_stem().map(|s| s.to_owned()).unwrap_or_default();
    let shares_stem = media
        .parent()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .any(|p| {
            p != media
                && p.file_stem() == Some(stem.as_os_str())
                && p.extension()
                    .is_some_and(|e| !e.eq_ignore_ascii_case("xmp"))
        });
    Ok(if shares_stem {
        media.with_file_name(long)
    } else {
        short
    })
}

/// Writes `bytes` to `path` through a temporary file; next to media, never over a sidecar that
/// Trove did not write (someone's work).
fn write_new(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    let ours = std::fs::read(path)
        .map(|old| old.windows(TROVE_MARK.len()).any(|w| w == TROVE_MARK))
        .unwrap_or(false);
    if !overwrite && path.exists() && !ours {
        return Err(Error::InvalidInput(format!(
            "{} exists; Trove does not overwrite a sidecar it did not write: use --out DIR",
            path.display()
        )));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Library {
            path: dir.to_owned(),
            source,
        })?;
    }
    let tmp = path.with_extension("xmp.tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|source| Error::Library {
            path: path.to_owned(),
            source,
        })
}
