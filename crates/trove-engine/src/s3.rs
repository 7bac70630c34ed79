//! S3 sources: adding one (access checked at once), scanning it (a listing or an S3 Inventory
//! report compared with the catalog), and the per-object jobs that follow a scan.
//!
//! A scan costs the listing and nothing per unchanged object: an object whose size, ETag,
//! LastModified and storage class are what the catalog holds is counted and left alone. New
//! objects become assets typed by their key's extension (nothing is read); changed ones are
//! updated; objects no longer listed are marked missing once the listing is complete — never
//! after a listing that failed part-way.
//!
//! After the scan, `plan_jobs` queues an `s3_head` job per object not read as it is now: HEAD
//! (user metadata, checksums, archive tier, restore state) and GetObjectTagging, stored as `s3`
//! claims. Readable media then get an `s3_probe`: ffprobe reads a presigned URL with range
//! requests. Archived objects are never read — no GET, no presigned URL — and show as archived.

use crate::jobs::{Outcome, WorkContext};
use crate::scan::{ScanObserver, ScanProgress};
use crate::{Error, Library, Result};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;
use trove_catalog::{
    HeadFacts, JobTask, KnownObject, NewClaim, NewObject, NewSource, ObjectBatch, ObjectFacts,
    Role, S3Object, SourceRow,
};
use trove_core::{MediaType, RelPath, ScanProblem, ScanReport, SourceId, SourceKind, SourceView};
use trove_s3::{
    Bucket, InventoryOptions, ListOptions, ObjectEntry, RestoreState, S3Config, S3Location,
};

/// Rows written per transaction.
const BATCH_ROWS: usize = 4096;
/// How often progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How long a presigned URL handed to ffprobe stays valid.
const PRESIGN_TTL: Duration = Duration::from_secs(15 * 60);
/// Claim sources an S3 probe states (and replaces on the next one).
const PROBE_SOURCES: &[&str] = &["probe", "container_tags"];

/// The settings of an S3 source as stored in its `config`: how to reach the bucket, and the
/// inventory report to index it from, if any. Never a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct S3SourceConfig {
    /// Profile, region, endpoint, path style.
    #[serde(flatten)]
    pub s3: S3Config,
    /// `s3://inventory-bucket/path/manifest.json`: index from this S3 Inventory report (CSV.gz)
    /// instead of listing the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<String>,
}

/// Clients of the S3 sources jobs work on, built once per source.
#[derive(Debug, Default)]
pub(crate) struct Buckets(tokio::sync::Mutex<HashMap<SourceId, Bucket>>);

impl Buckets {
    async fn get(&self, object: &S3Object) -> Result<Bucket> {
        let mut map = self.0.lock().await;
        if let Some(bucket) = map.get(&object.source_id) {
            return Ok(bucket.clone());
        }
        let location = S3Location::parse(&object.source_uri)?;
        let config: S3SourceConfig =
            serde_json::from_value(object.config.clone()).unwrap_or_default();
        let bucket = Bucket::new(&config.s3, &location.bucket).await?;
        map.insert(object.source_id, bucket.clone());
        Ok(bucket)
    }
}

impl Library {
    /// Adds `s3://BUCKET[/PREFIX]` as a source, after checking that the bucket can be listed
    /// with these settings (credentials from the AWS default chain; a wrong region is corrected
    /// when S3 names the right one, and the right one is stored). With `config.inventory` set,
    /// the manifest is read too, so a wrong path fails now rather than at the first scan.
    pub async fn add_s3_source(&self, uri: &str, config: &S3SourceConfig) -> Result<SourceView> {
        let location = S3Location::parse(uri)?;
        for existing in self.catalog.sources().await? {
            if existing.kind != SourceKind::S3 {
                continue;
            }
            let Ok(theirs) = S3Location::parse(&existing.uri) else {
                continue;
            };
            let nested = theirs.prefix.starts_with(&location.prefix)
                || location.prefix.starts_with(&theirs.prefix);
            if theirs.bucket == location.bucket && nested && existing.uri != location.to_string() {
                return Err(Error::InvalidInput(format!(
                    "cannot add {location} as a source: it overlaps the source {} (its objects \
                     would be indexed twice)",
                    existing.uri
                )));
            }
        }
        let bucket = Bucket::open(&config.s3, &location.bucket, &location.prefix).await?;
        let mut stored = config.clone();
        stored.s3.region = Some(bucket.region().to_owned());
        if let Some(inventory) = &config.inventory {
            let manifest = S3Location::parse(inventory)?;
            let inv = Bucket::new(&stored.s3, &manifest.bucket).await?;
            inv.inventory_manifest(&manifest.prefix).await?;
        }
        let row = self
            .catalog
            .add_source(&NewSource {
                kind: SourceKind::S3,
                uri: location.to_string(),
                root: None,
                config: serde_json::to_value(&stored).unwrap_or_default(),
            })
            .await?;
        Ok(crate::library::source_view(row))
    }

    /// The asset of `s3://bucket/key`: the object's location in the S3 source whose bucket and
    /// prefix hold the key.
    pub(crate) async fn resolve_s3_asset(&self, uri: &str) -> Result<trove_core::AssetId> {
        let wanted = S3Location::parse(uri)?;
        for source in self.catalog.sources().await? {
            let Ok(theirs) = S3Location::parse(&source.uri) else {
                continue;
            };
            if source.kind != SourceKind::S3
                || theirs.bucket != wanted.bucket
                || !wanted.prefix.starts_with(&theirs.prefix)
            {
                continue;
            }
            let key = RelPath::from_bytes(wanted.prefix.clone().into_bytes());
            if let Some((location, asset)) = self.catalog.location_at(source.id, &key).await? {
                return asset.ok_or_else(|| {
                    Error::NotFound(format!(
                        "an asset for {uri} (it is a sidecar of no known media object; location \
                         {location})"
                    ))
                });
            }
        }
        Err(Error::NotFound(format!("an asset at {uri}")))
    }

    /// Scans an S3 source: its listing (or inventory) against the catalog.
    pub(crate) async fn reconcile_s3(
        &self,
        source: &SourceRow,
        observer: &dyn ScanObserver,
    ) -> Result<ScanReport> {
        let started = Instant::now();
        let mut report = ScanReport {
            source: source.uri.clone(),
            online: true,
            ..ScanReport::default()
        };
        let location = S3Location::parse(&source.uri)?;
        let config: S3SourceConfig =
            serde_json::from_value(source.config.clone()).unwrap_or_default();
        let bucket = Bucket::new(&config.s3, &location.bucket).await?;
        let known = self.catalog.known_objects(source.id).await?;
        let mut by_key: HashMap<&[u8], usize> = HashMap::with_capacity(known.len());
        for (i, k) in known.iter().enumerate() {
            by_key.insert(k.key.as_bytes(), i);
        }
        let mut seen = vec![false; known.len()];

        let (tx, mut rx) = mpsc::channel::<Vec<ObjectEntry>>(32);
        let listing = {
            let prefix = location.prefix.clone();
            let inventory = config.inventory.clone();
            let s3 = config.s3.clone();
            let source_bucket = location.bucket.clone();
            tokio::spawn(async move {
                match inventory {
                    None => {
                        let options = ListOptions {
                            prefix,
                            ..ListOptions::default()
                        };
                        bucket.list(&options, tx).await.map(|_| None)
                    }
                    Some(manifest) => {
                        let manifest = S3Location::parse(&manifest)?;
                        let inv = Bucket::new(&s3, &manifest.bucket).await?;
                        let options = InventoryOptions {
                            prefix,
                            ..InventoryOptions::default()
                        };
                        let stats = inv.read_inventory(&manifest.prefix, &options, tx).await?;
                        Ok((stats.source_bucket != source_bucket).then(|| {
                            format!(
                                "the inventory describes the bucket {}, not {source_bucket}",
                                stats.source_bucket
                            )
                        }))
                    }
                }
            })
        };

        let mut progress = ScanProgress {
            source: source.uri.clone(),
            ..ScanProgress::default()
        };
        let mut batch = ObjectBatch::default();
        let mut written = 0u64;
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                entries = rx.recv() => {
                    let Some(entries) = entries else { break };
                    for entry in entries {
                        // Copies `dupes remove` keeps for an undo are not the library's objects.
                        if entry.key.starts_with(crate::dupes_s3::S3_QUARANTINE_PREFIX) {
                            continue;
                        }
                        report.files += 1;
                        let facts = facts_of(&entry);
                        match by_key.get(entry.key.as_bytes()) {
                            Some(&i) => {
                                seen[i] = true;
                                if unchanged(&known[i], &facts) {
                                    report.unchanged += 1;
                                } else {
                                    batch.updates.push((known[i].id, facts));
                                    report.updated += 1;
                                }
                            }
                            None => batch.inserts.push(new_object(entry.key, facts)),
                        }
                    }
                    if batch.len() >= BATCH_ROWS {
                        batch.inserts.sort_unstable_by(|a, b| a.key.cmp(&b.key));
                        let outcome = self.catalog.write_objects(source.id, &batch).await?;
                        report.added += outcome.inserted;
                        written += batch.len() as u64;
                        batch = ObjectBatch::default();
                    }
                }
                _ = ticker.tick() => {
                    progress.files = report.files;
                    progress.unchanged = report.unchanged;
                    progress.written = written;
                    observer.progress(&progress);
                }
            }
        }
        let listed = listing
            .await
            .map_err(|e| Error::Internal(format!("the listing of {} failed: {e}", source.uri)))?;
        // What was listed is written either way: a failed listing loses no progress.
        batch.inserts.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        match listed {
            Ok(warning) => {
                if let Some(message) = warning {
                    report.errors.push(ScanProblem {
                        path: source.uri.clone(),
                        message,
                    });
                }
                // The listing is complete: what it did not name is gone.
                for (i, k) in known.iter().enumerate() {
                    if !seen[i] && k.present {
                        batch.missing.push(k.id);
                    }
                }
                let outcome = self.catalog.write_objects(source.id, &batch).await?;
                report.added += outcome.inserted;
                report.missing = outcome.missing;
                written += batch.len() as u64;
            }
            Err(e) => {
                let outcome = self.catalog.write_objects(source.id, &batch).await?;
                tracing::warn!(source = %source.uri, inserted = outcome.inserted, "listing failed: {e}");
                return Err(e.into());
            }
        }
        self.catalog.set_source_online(source.id, true).await?;
        report.sidecars_linked = self.catalog.link_sidecars(source.id).await?;
        self.catalog.mark_scanned(source.id).await?;
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        progress.files = report.files;
        progress.unchanged = report.unchanged;
        progress.written = written;
        progress.done = true;
        observer.progress(&progress);
        Ok(report)
    }
}

/// What the catalog stores of a listed object.
fn facts_of(entry: &ObjectEntry) -> ObjectFacts {
    ObjectFacts {
        size: entry.size,
        mtime_ns: entry.last_modified.and_then(nanos),
        etag: entry.etag.clone(),
        storage_class: Some(entry.storage_class.as_str().to_owned()),
        version_id: entry.version_id.clone(),
        archive_state: entry.is_archived().then_some("archived"),
    }
}

fn nanos(t: SystemTime) -> Option<i64> {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
}

fn unchanged(known: &KnownObject, facts: &ObjectFacts) -> bool {
    known.present
        && known.size == facts.size
        && known.etag == facts.etag
        && known.mtime_ns == facts.mtime_ns
        && known.storage_class == facts.storage_class
}

/// A new object, typed by its key's extension: sniffing would need a GET.
fn new_object(key: String, facts: ObjectFacts) -> NewObject {
    let key = RelPath::from_bytes(key.into_bytes());
    let sniffed = trove_storage::sniff_name(key.file_name());
    NewObject {
        title: String::from_utf8_lossy(key.file_name()).into_owned(),
        role: if sniffed.media_type == MediaType::Sidecar {
            Role::Sidecar
        } else {
            Role::Media
        },
        key,
        facts,
        mime: sniffed.mime,
        media_type: sniffed.media_type,
    }
}

/// The object a job works on and a client for its bucket.
fn object_of(
    task: &JobTask,
    context: &WorkContext,
    runtime: &tokio::runtime::Handle,
) -> std::result::Result<(S3Object, Bucket), Outcome> {
    let object = match runtime.block_on(context.catalog.s3_object(task.location_id)) {
        Ok(Some(object)) => object,
        Ok(None) => {
            return Err(Outcome::Failed(format!(
                "location {} is not an S3 object",
                task.location_id
            )))
        }
        Err(e) => return Err(Outcome::Retry(e.to_string())),
    };
    match runtime.block_on(context.s3.get(&object)) {
        Ok(bucket) => Ok((object, bucket)),
        Err(e) => Err(Outcome::Failed(e.to_string())),
    }
}

/// How an S3 failure counts for a job: transient ones are retried later.
fn s3_failure(e: trove_s3::Error) -> Outcome {
    if e.is_transient() {
        Outcome::Retry(e.to_string())
    } else {
        Outcome::Failed(e.to_string())
    }
}

/// `s3_head`: HEAD and tags of one object, as `s3` claims and archive facts.
pub(crate) fn head(task: &JobTask, context: &WorkContext) -> Outcome {
    let runtime = tokio::runtime::Handle::current();
    let (object, bucket) = match object_of(task, context, &runtime) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let key = object.key.to_lossy();
    let head = match runtime.block_on(bucket.head_version(&key, object.version_id.as_deref())) {
        Ok(head) => head,
        Err(e) => return s3_failure(e),
    };
    let mut claims = metadata_claims(&head.user_metadata, "x-amz-meta-");
    let mut problem = None;
    match runtime.block_on(bucket.tagging(&key)) {
        Ok(tags) => claims.extend(metadata_claims(&tags, "tag:")),
        // Tags are extra: a policy without s3:GetObjectTagging must not lose the metadata.
        Err(e) if !e.is_transient() => problem = Some(e.to_string()),
        Err(e) => return s3_failure(e),
    }
    if let Some(problem) = problem {
        tracing::warn!(key, "tags not read: {problem}");
    }
    let needs_restore = head.storage_class.needs_restore()
        || head
            .archive_status
            .as_ref()
            .is_some_and(|a| a.needs_restore());
    let archive_state = match (&head.restore, head.is_archived()) {
        (Some(RestoreState::InProgress), true) => Some("restoring"),
        (_, true) => Some("archived"),
        (Some(RestoreState::Restored { .. }), false) if needs_restore => Some("ready"),
        _ => None,
    };
    let media = matches!(object.media_type.as_str(), "video" | "audio" | "image");
    let checksums = (!head.checksums.is_empty())
        .then(|| serde_json::to_value(&head.checksums).unwrap_or_default());
    Outcome::S3Head {
        claims,
        head: HeadFacts {
            archive_state,
            archive_status: head.archive_status.as_ref().map(|a| a.as_str().to_owned()),
            checksums,
            queue_probe: media && task.role == Role::Media && !head.is_archived(),
        },
    }
}

/// `s3_probe`: ffprobe over a presigned URL of a readable object (range reads; nothing is
/// downloaded whole). A fresh HEAD comes first: an object archived since is not read.
pub(crate) fn probe(task: &JobTask, context: &WorkContext) -> Outcome {
    let runtime = tokio::runtime::Handle::current();
    let (object, bucket) = match object_of(task, context, &runtime) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let key = object.key.to_lossy();
    let head = match runtime.block_on(bucket.head_version(&key, object.version_id.as_deref())) {
        Ok(head) => head,
        Err(e) => return s3_failure(e),
    };
    let url = match runtime.block_on(bucket.presign_readable(&head, PRESIGN_TTL)) {
        Ok(url) => url,
        Err(e) => return s3_failure(e),
    };
    let ffprobe = match trove_media::ffprobe_path() {
        Ok(path) => path,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let args = [
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "-show_error",
        "-i",
        url.as_str(),
    ];
    let timeout = context.probe_timeout();
    let cancel = context.cancel.clone();
    let finished =
        match trove_core::process::run_until(&ffprobe, args, timeout, &|| cancel.is_cancelled()) {
            Ok(finished) => finished,
            Err(trove_core::process::RunError::Stopped) => return Outcome::Stopped,
            Err(trove_core::process::RunError::Timeout { .. }) => {
                return Outcome::Retry(format!(
                    "s3://{}/{key}: ffprobe took more than {timeout:?}",
                    bucket.name()
                ))
            }
            Err(trove_core::process::RunError::Io(e)) => return Outcome::Failed(e.to_string()),
        };
    let output: trove_media::ProbeOutput = match serde_json::from_slice(&finished.stdout) {
        Ok(output) => output,
        Err(e) => {
            return Outcome::Failed(format!(
                "s3://{}/{key}: ffprobe: {}",
                bucket.name(),
                if finished.status.success() {
                    e.to_string()
                } else {
                    String::from_utf8_lossy(&finished.stderr).trim().to_owned()
                }
            ))
        }
    };
    if let Some(error) = &output.error {
        return Outcome::Failed(format!(
            "s3://{}/{key}: ffprobe: {}",
            bucket.name(),
            error.string.as_deref().unwrap_or("unknown error")
        ));
    }
    if output.streams.is_empty() {
        return Outcome::Failed(format!(
            "s3://{}/{key}: no audio, video or image streams",
            bucket.name()
        ));
    }
    let extracted = trove_media::extract(&output);
    let media_type = extracted
        .values
        .iter()
        .find(|v| v.field == "media_type")
        .and_then(|v| match v.value.as_str() {
            Some("video") => Some("video"),
            Some("audio") => Some("audio"),
            Some("image") => Some("image"),
            _ => None,
        });
    Outcome::Done {
        claims: crate::jobs::claims(extracted.values),
        media_type,
        sources: PROBE_SOURCES,
        problem: None,
    }
}

/// User metadata or tags as `s3` claims: names of the schema (`title`, `description`,
/// `keywords`, `creator`, …) fill those fields; any other name becomes the custom field
/// `custom.<name>`, so nothing an uploader wrote is lost.
pub(crate) fn metadata_claims(
    values: &std::collections::BTreeMap<String, String>,
    key_prefix: &str,
) -> Vec<NewClaim> {
    let mut claims = Vec::new();
    for (name, value) in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let field = match lower.as_str() {
            "copyright" => "rights".to_owned(),
            "location" => "location_name".to_owned(),
            "keyword" | "tags" | "subject" => "keywords".to_owned(),
            "author" | "artist" => "creator".to_owned(),
            other
                if trove_core::field(other).is_some_and(|d| {
                    !matches!(
                        d.class,
                        trove_core::FieldClass::Technical | trove_core::FieldClass::Administrative
                    )
                }) =>
            {
                other.to_owned()
            }
            other => match custom_key(other) {
                Some(key) => key,
                None => continue,
            },
        };
        let json = match trove_core::field(&field).map(|d| d.kind) {
            Some(trove_core::FieldKind::TextList) => serde_json::Value::from(
                value
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>(),
            ),
            Some(trove_core::FieldKind::Integer) => match value.parse::<i64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => continue,
            },
            _ => serde_json::Value::from(value),
        };
        claims.push(NewClaim {
            field,
            value: json,
            source: trove_core::ClaimSource::S3.as_str().to_owned(),
            source_key: Some(format!("{key_prefix}{name}")),
        });
    }
    claims
}

/// `custom.` and the name in `a-z`, `0-9` and `_` (at most 64), or `None` if nothing is left.
fn custom_key(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let cleaned = cleaned.trim_matches('_');
    (!cleaned.is_empty()).then(|| format!("{}{cleaned}", trove_core::CUSTOM_PREFIX))
}

/// A client for the bucket of the S3 source `source_uri`, with its stored `config`.
pub(crate) async fn bucket_of(
    source_uri: &str,
    config: &serde_json::Value,
) -> trove_s3::Result<Bucket> {
    let location = S3Location::parse(source_uri)?;
    let config: S3SourceConfig = serde_json::from_value(config.clone()).unwrap_or_default();
    Bucket::new(&config.s3, &location.bucket).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn check(metadata: &[(&str, &str)], expect: &str) {
        let values: BTreeMap<String, String> = metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let got: Vec<String> = metadata_claims(&values, "x-amz-meta-")
            .into_iter()
            .map(|c| {
                format!(
                    "{}={} ({})",
                    c.field,
                    c.value,
                    c.source_key.unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(got.join("\n"), expect);
    }

    #[test]
    fn user_metadata_maps_to_the_schema_and_custom_fields() {
        check(
            &[
                ("title", "Harbour at dawn"),
                ("keywords", "boats, fog;dawn"),
                ("copyright", "© 2024 Harbour Films"),
                ("Project-Code", "HF 24"),
                ("width", "1920"),
                ("rating", "4"),
                ("empty", "  "),
            ],
            "custom.project_code=\"HF 24\" (x-amz-meta-Project-Code)\n\
             rights=\"© 2024 Harbour Films\" (x-amz-meta-copyright)\n\
             keywords=[\"boats\",\"fog\",\"dawn\"] (x-amz-meta-keywords)\n\
             rating=4 (x-amz-meta-rating)\n\
             title=\"Harbour at dawn\" (x-amz-meta-title)\n\
             custom.width=\"1920\" (x-amz-meta-width)",
        );
    }

    #[test]
    fn nothing_left_of_a_name_is_skipped() {
        check(&[("---", "x")], "");
    }
}
