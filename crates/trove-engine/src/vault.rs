//! Legacy Glacier vaults as sources: `glacier://VAULT`.
//!
//! A vault has no listing: its archives are known from an `inventory-retrieval` job, which
//! takes hours at AWS. Adding the source starts one (which also checks access) and keeps its id
//! in the settings; a scan waits a little for it, and while it runs reports it as pending and
//! keeps the id, so the next scan (any process) picks the output up. Archives become locations
//! like S3 objects: `rel_path` is the archive's name (the description when it looks like a path,
//! else the archive id), `version_id` holds the ArchiveId and `etag` the SHA-256 tree hash;
//! their `archive_state` is always `archived`. Restores run `archive-retrieval` jobs (see
//! `restore.rs`), and downloads read the job output verified by tree hash.

use crate::{Error, Library, Result};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use trove_catalog::{NewObject, NewSource, ObjectBatch, ObjectFacts, Role, SourceRow};
use trove_core::{MediaType, RelPath, ScanProblem, ScanReport, SourceKind, SourceView};
use trove_glacier::{GlacierConfig, JobState, Vault, WaitOptions};

/// How long a scan waits for an inventory job before reporting it pending.
const INVENTORY_WAIT: WaitOptions = WaitOptions {
    first_interval: Duration::from_millis(250),
    max_interval: Duration::from_secs(2),
    timeout: Duration::from_secs(10),
};

/// The settings key holding a vault source's running inventory job.
fn inventory_key(source: &SourceRow) -> String {
    format!("glacier.inventory_job.{}", source.id.0)
}

/// The vault of `glacier://VAULT`.
pub(crate) fn vault_name(uri: &str) -> Result<String> {
    let name = uri
        .strip_prefix("glacier://")
        .map(|n| n.trim_end_matches('/'))
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| {
            Error::InvalidInput(format!("{uri:?} is not a vault: expected glacier://VAULT"))
        })?;
    Ok(name.to_owned())
}

/// A client for the vault of a source.
pub(crate) async fn vault_of(source_uri: &str, config: &serde_json::Value) -> Result<Vault> {
    let config: GlacierConfig = serde_json::from_value(config.clone()).unwrap_or_default();
    Ok(Vault::new(&config, &vault_name(source_uri)?).await?)
}

impl Library {
    /// Adds `glacier://VAULT` as a source and starts its inventory job (which checks access).
    pub async fn add_glacier_source(
        &self,
        uri: &str,
        config: &GlacierConfig,
    ) -> Result<SourceView> {
        let name = vault_name(uri)?;
        let vault = Vault::new(config, &name).await?;
        let job = vault.start_inventory().await?;
        let row = self
            .catalog
            .add_source(&NewSource {
                kind: SourceKind::Glacier,
                uri: format!("glacier://{name}"),
                root: None,
                config: serde_json::to_value(config).unwrap_or_default(),
            })
            .await?;
        self.catalog
            .set_setting(&inventory_key(&row), Some(&job))
            .await?;
        Ok(crate::library::source_view(row))
    }

    /// Scans a vault: the output of its inventory job against the catalog; a job still
    /// running is reported and kept for the next scan.
    pub(crate) async fn reconcile_vault(&self, source: &SourceRow) -> Result<ScanReport> {
        let started = Instant::now();
        let mut report = ScanReport {
            source: source.uri.clone(),
            online: true,
            ..ScanReport::default()
        };
        let vault = vault_of(&source.uri, &source.config).await?;
        let key = inventory_key(source);
        let job = match self.catalog.setting(&key).await? {
            Some(job) => job,
            None => {
                let job = vault.start_inventory().await?;
                self.catalog.set_setting(&key, Some(&job)).await?;
                job
            }
        };
        match vault.wait_for_job(&job, &INVENTORY_WAIT).await {
            Ok(_) => {}
            Err(trove_glacier::Error::JobPending { .. }) => {
                report.errors.push(ScanProblem {
                    path: source.uri.clone(),
                    message: format!(
                        "the inventory job {job} is still running (Glacier takes hours); scan \
                         again later"
                    ),
                });
                return Ok(report);
            }
            Err(e) => {
                // A failed job is not asked about again: the next scan starts a new one.
                self.catalog.set_setting(&key, None).await?;
                return Err(e.into());
            }
        }
        let inventory = vault.inventory(&job).await?;
        let known = self.catalog.known_objects(source.id).await?;
        let by_key: HashMap<&[u8], usize> = known
            .iter()
            .enumerate()
            .map(|(i, k)| (k.key.as_bytes(), i))
            .collect();
        let mut seen = vec![false; known.len()];
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut batch = ObjectBatch::default();
        for archive in &inventory.archive_list {
            report.files += 1;
            // Two archives with one description keep apart by their ids.
            let mut name = archive.name();
            let uses = names.entry(name.clone()).or_default();
            *uses += 1;
            if *uses > 1 {
                name = format!("{name} [{}]", archive.archive_id);
            }
            let facts = ObjectFacts {
                size: archive.size,
                mtime_ns: None,
                etag: Some(archive.sha256_tree_hash.clone()),
                storage_class: None,
                version_id: Some(archive.archive_id.clone()),
                archive_state: Some("archived"),
            };
            match by_key.get(name.as_bytes()) {
                Some(&i) => {
                    seen[i] = true;
                    let k = &known[i];
                    if k.present && k.size == facts.size && k.etag == facts.etag {
                        report.unchanged += 1;
                    } else {
                        batch.updates.push((k.id, facts));
                        report.updated += 1;
                    }
                }
                None => {
                    let rel = RelPath::from_bytes(name.clone().into_bytes());
                    let sniffed = trove_storage::sniff_name(rel.file_name());
                    batch.inserts.push(NewObject {
                        title: String::from_utf8_lossy(rel.file_name()).into_owned(),
                        role: if sniffed.media_type == MediaType::Sidecar {
                            Role::Sidecar
                        } else {
                            Role::Media
                        },
                        key: rel,
                        facts,
                        mime: sniffed.mime,
                        media_type: sniffed.media_type,
                    });
                }
            }
        }
        for (i, k) in known.iter().enumerate() {
            if !seen[i] && k.present {
                batch.missing.push(k.id);
            }
        }
        batch.inserts.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let outcome = self.catalog.write_objects(source.id, &batch).await?;
        report.added = outcome.inserted;
        report.missing = outcome.missing;
        // This inventory is read: the next scan asks for a new one.
        self.catalog.set_setting(&key, None).await?;
        self.catalog.set_source_online(source.id, true).await?;
        self.catalog.mark_scanned(source.id).await?;
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(report)
    }
}

/// Whether a vault job is done, from `DescribeJob`.
pub(crate) fn job_done(state: &JobState) -> Option<std::result::Result<(), String>> {
    match state {
        JobState::InProgress => None,
        JobState::Succeeded => Some(Ok(())),
        JobState::Failed(message) => Some(Err(message.clone())),
    }
}
