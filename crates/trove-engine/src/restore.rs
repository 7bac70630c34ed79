//! Restores of archived S3 objects and vault archives, wired to the catalog: plan, start, track,
//! download.
//!
//! - `restore_plan` gathers the archived copies of the assets asked for, finds copies that can be
//!   read now (another location of the asset — a present local file, an object in a hot class —
//!   or a local file with the same bytes, by the object's MD5 ETag or SHA-256 checksum), and
//!   hands them to trove-core's pure planner with the price table (`LIBRARY/restore-prices.json`
//!   when present, else the dated defaults).
//! - `restore_start` records every restore as `pending`, with its `restore_request` job, before
//!   sending anything; then runs the restore jobs. Starting twice finds the first restore in
//!   progress and sends nothing.
//! - `run_restore_jobs` is the poller: it sends pending requests (also those a killed process
//!   left) and runs the `restore_poll` jobs that are due (HEAD, `x-amz-restore`; DescribeJob for
//!   a vault archive's retrieval job), each one rescheduled by `next_check` while the restore is
//!   under way.
//! - `restore_status` reads the catalog (so it works from any new process), runs the due
//!   jobs, expires what is past its expiry, and reports batches that became ready (once each)
//!   and copies that expire within 24 hours.
//! - `restore_download` fetches readable copies into a folder (names from `safe_local_path`,
//!   ranged, resumable, verified) or copies them back to a hot class in place.

use crate::dupes_s3::md5_of_etag;
use crate::s3::bucket_of;
use crate::{Error, Library, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use trove_catalog::{
    JobTask, NewRestore, ReadyBatch, RestoreLocation, RestoreRow, RestoreUpdate, RESTORE_POLL,
    RESTORE_REQUEST,
};
use trove_core::restore::{
    self as planner, ArchiveClass, Decision, KnownRestore, Plan, PlanObject, PlanRequest,
    PriceTable, TierEstimate,
};
use trove_core::{AssetId, LocationId};
use trove_s3::{
    BatchOptions, Bucket, DownloadOptions, RestoreItem, RestoreOutcome, RestoreState, RestoreTier,
    StorageClass, Verification,
};

/// The file in the library folder that replaces the default price table.
pub const PRICES_FILE: &str = "restore-prices.json";
/// Jobs leased per round of the poller.
const LEASE_BATCH: u32 = 256;
/// How long the poller holds a restore job.
const LEASE_SECS: i64 = 600;
/// Retries of a request or check that failed transiently.
const MAX_ATTEMPTS: i64 = 5;
/// How soon to warn that a restored copy goes away.
const EXPIRY_WARNING: Duration = Duration::from_secs(24 * 3600);

/// What a restore plan decides for one object of an asset.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRestore {
    /// The asset.
    pub asset: AssetId,
    /// The object (`s3://bucket/key`) or file.
    pub uri: String,
    /// Its size.
    pub bytes: u64,
    /// Its archive class, when archived.
    pub class: Option<ArchiveClass>,
    /// What to do, and why.
    #[serde(flatten)]
    pub decision: Decision,
    /// The decision in words (a refusal's reason, the online copy).
    pub message: String,
    #[serde(skip)]
    location: Option<LocationId>,
}

/// A restore plan: per object, with counts and the estimates of every tier.
#[derive(Debug, Clone, Serialize)]
pub struct RestorePlanReport {
    /// The tier and days asked for.
    pub request: PlanRequest,
    /// Objects to restore in the tier asked for.
    pub to_restore: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Objects that need no restore (an online copy, not archived, restored long enough).
    pub no_restore_needed: u64,
    /// Objects with a restore under way.
    pub in_progress: u64,
    /// Objects refused as asked (the reason is on each).
    pub refused: u64,
    /// Per object.
    pub objects: Vec<PlannedRestore>,
    /// Cost and ETA in the tier asked for (an estimate).
    pub estimate: TierEstimate,
    /// The same objects in every tier.
    pub by_tier: Vec<TierEstimate>,
    /// The price table's date.
    pub prices_as_of: String,
    /// Its region.
    pub prices_region: String,
    /// Its currency.
    pub currency: String,
}

/// What `restore start` did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreStartReport {
    /// The plan it carried out.
    pub plan: RestorePlanReport,
    /// The batch of the restores recorded (none when nothing was to be restored).
    pub batch_id: Option<i64>,
    /// Restores recorded now.
    pub recorded: u64,
    /// What the poller did right after.
    pub run: RestoreRunSummary,
}

/// What one run of the restore jobs did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RestoreRunSummary {
    /// Restore requests sent.
    pub requested: u64,
    /// Restores checked (HEAD).
    pub checked: u64,
    /// Restores found ready.
    pub ready: u64,
    /// Restores failed for good, with the object and why.
    pub failed: Vec<String>,
    /// Requests or checks to be tried again later.
    pub retrying: u64,
}

/// Something a person should hear about.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RestoreEvent {
    /// Every restore of a batch finished (announced once).
    BatchReady {
        /// The batch.
        batch_id: i64,
        /// Ready copies.
        ready: u64,
        /// Restores that failed or expired.
        not_ready: u64,
    },
    /// A restored copy goes away within 24 hours.
    ExpiresSoon {
        /// The object.
        uri: String,
        /// When (Unix seconds).
        expiry: i64,
    },
}

/// Counts of restores by state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RestoreCounts {
    /// Recorded, not sent yet.
    pub pending: u64,
    /// Under way.
    pub in_progress: u64,
    /// Readable now.
    pub ready: u64,
    /// The temporary copy is gone.
    pub expired: u64,
    /// Failed.
    pub failed: u64,
}

/// `restore status`.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreStatusReport {
    /// Counts.
    pub counts: RestoreCounts,
    /// The latest restore of each object, newest first.
    pub restores: Vec<RestoreRow>,
    /// Batches ready and expiry warnings.
    pub events: Vec<RestoreEvent>,
    /// What the poller did in this call.
    pub run: RestoreRunSummary,
}

/// How `restore status` goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusOptions {
    /// Check every unfinished restore now rather than when its next check is due.
    pub refresh: bool,
    /// Only read the catalog: send and check nothing.
    pub offline: bool,
}

/// Where `restore download` puts the bytes.
#[derive(Debug, Clone)]
pub enum DownloadTarget {
    /// Into this folder, under names derived from the keys (never outside it).
    Folder(PathBuf),
    /// Copied onto itself in this storage class (`STANDARD`, …): permanent, readable in place.
    InPlace(String),
}

/// One object downloaded (or copied in place).
#[derive(Debug, Clone, Serialize)]
pub struct DownloadedObject {
    /// The asset.
    pub asset: AssetId,
    /// The object.
    pub uri: String,
    /// The file written (downloads).
    pub path: Option<PathBuf>,
    /// Bytes.
    pub bytes: u64,
    /// `sha256`, `md5`, `unverifiable` or `copied`.
    pub verification: String,
    /// The digest checked, or why none could be.
    pub verification_detail: String,
    /// Bytes a `.part` file already held.
    pub resumed_from: u64,
    /// Whole refetches after a failed verification.
    pub refetches: u32,
    /// Already there and verified: nothing fetched.
    pub already_present: bool,
}

/// `restore download`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DownloadReport {
    /// Objects written.
    pub downloaded: Vec<DownloadedObject>,
    /// Objects not written, with the key and why (not restored yet, verification failed, …).
    pub problems: Vec<String>,
}

/// What the plan of one asset's objects needs beside the planner's input.
struct Candidate {
    object: PlanObject,
    asset: AssetId,
    location: Option<LocationId>,
}

impl Library {
    /// The price table: `LIBRARY/restore-prices.json` when present, else the defaults.
    pub fn restore_prices(&self) -> Result<PriceTable> {
        let path = self.dir().join(PRICES_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::InvalidInput(format!("the price table {}: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PriceTable::default()),
            Err(source) => Err(Error::Library { path, source }),
        }
    }

    /// Plans restoring the archived copies of `assets` (ids, paths or URIs).
    pub async fn restore_plan(
        &self,
        assets: &[OsString],
        request: PlanRequest,
    ) -> Result<RestorePlanReport> {
        let ids = self.resolve_assets(assets).await?;
        let candidates = self.restore_candidates(&ids).await?;
        let prices = self.restore_prices()?;
        let objects: Vec<PlanObject> = candidates.iter().map(|c| c.object.clone()).collect();
        let plan = planner::plan(&objects, request, &prices, SystemTime::now());
        Ok(report(plan, &candidates, &prices))
    }

    /// Starts the restores a plan calls for: each recorded as pending (with its job) before its
    /// request is sent, then the requests sent and the due checks run. Objects already being
    /// restored are not asked for again.
    pub async fn restore_start(
        &self,
        assets: &[OsString],
        request: PlanRequest,
    ) -> Result<RestoreStartReport> {
        let plan = self.restore_plan(assets, request).await?;
        let tier = tier_name(request.tier);
        let new: Vec<NewRestore> = plan
            .objects
            .iter()
            .filter_map(|o| match (&o.decision, o.location) {
                (Decision::Restore { class, .. }, Some(location)) => Some(NewRestore {
                    location,
                    asset: o.asset,
                    class: class_name(*class).to_owned(),
                    tier: tier.to_owned(),
                    days: class.takes_days().then_some(request.days),
                }),
                _ => None,
            })
            .collect();
        let (batch_id, recorded) = if new.is_empty() {
            (None, 0)
        } else {
            let (batch, ids) = self.catalog.begin_restores(&new).await?;
            (Some(batch), ids.len() as u64)
        };
        let run = self.run_restore_jobs(false).await?;
        Ok(RestoreStartReport {
            plan,
            batch_id,
            recorded,
            run,
        })
    }

    /// Restores' state from the catalog, after running the due restore jobs (unless
    /// `options.offline`); reports each batch that became ready once, and copies expiring
    /// within 24 hours.
    pub async fn restore_status(&self, options: StatusOptions) -> Result<RestoreStatusReport> {
        let run = if options.offline {
            RestoreRunSummary::default()
        } else {
            self.run_restore_jobs(options.refresh).await?
        };
        let now = planner::unix(SystemTime::now()) as i64;
        self.catalog.expire_restores(now).await?;
        let mut seen = std::collections::HashSet::new();
        let restores: Vec<RestoreRow> = self
            .catalog
            .restores(100_000)
            .await?
            .into_iter()
            .filter(|r| seen.insert(r.location))
            .collect();
        let mut counts = RestoreCounts::default();
        let mut events = Vec::new();
        for r in &restores {
            match r.state.as_str() {
                "pending" => counts.pending += 1,
                "in_progress" => counts.in_progress += 1,
                "ready" => {
                    counts.ready += 1;
                    if let Some(expiry) = r.expiry {
                        if expiry - now <= EXPIRY_WARNING.as_secs() as i64 {
                            events.push(RestoreEvent::ExpiresSoon {
                                uri: r.uri.clone(),
                                expiry,
                            });
                        }
                    }
                }
                "expired" => counts.expired += 1,
                _ => counts.failed += 1,
            }
        }
        if !options.offline {
            for ReadyBatch {
                batch_id,
                ready,
                not_ready,
            } in self.catalog.take_ready_batches().await?
            {
                events.insert(
                    0,
                    RestoreEvent::BatchReady {
                        batch_id,
                        ready,
                        not_ready,
                    },
                );
            }
        }
        Ok(RestoreStatusReport {
            counts,
            restores,
            events,
            run,
        })
    }

    /// The poller: sends every pending restore request (those a killed process left too), then
    /// runs the restore checks that are due — all unfinished ones with `refresh`.
    pub async fn run_restore_jobs(&self, refresh: bool) -> Result<RestoreRunSummary> {
        self.release_dead_leases().await?;
        let mut summary = RestoreRunSummary::default();
        if self.catalog.queue_paused().await? {
            return Ok(summary);
        }
        let owner = crate::jobs::lease_owner();
        loop {
            let tasks = self
                .catalog
                .lease_jobs(RESTORE_REQUEST, LEASE_BATCH, LEASE_SECS, &owner)
                .await?;
            if tasks.is_empty() {
                break;
            }
            self.send_requests(tasks, &mut summary).await?;
        }
        if refresh {
            self.catalog.restore_checks_due_now().await?;
        }
        // Each restore is checked once per run: a check reschedules its job for later.
        let tasks = self
            .catalog
            .lease_jobs(RESTORE_POLL, u32::MAX, LEASE_SECS, &owner)
            .await?;
        for task in tasks {
            self.check_restore(&task, &mut summary).await?;
        }
        Ok(summary)
    }

    /// Downloads (or copies in place) the readable S3 copies of `assets`.
    pub async fn restore_download(
        &self,
        assets: &[OsString],
        target: &DownloadTarget,
    ) -> Result<DownloadReport> {
        if let DownloadTarget::InPlace(class) = target {
            let class = StorageClass::parse(class);
            if class.needs_restore() {
                return Err(Error::InvalidInput(format!(
                    "--in-place {}: an archive class; copy back to a class that can be read \
                     (STANDARD, STANDARD_IA, …)",
                    class.as_str()
                )));
            }
        }
        let ids = self.resolve_assets(assets).await?;
        let locations = self.catalog.restore_locations(&ids).await?;
        let mut report = DownloadReport::default();
        if let DownloadTarget::Folder(dir) = target {
            std::fs::create_dir_all(dir).map_err(|source| Error::Library {
                path: dir.clone(),
                source,
            })?;
        }
        let mut buckets: HashMap<i64, Bucket> = HashMap::new();
        for asset in &ids {
            let objects: Vec<&RestoreLocation> = locations
                .iter()
                .filter(|l| {
                    l.asset == *asset
                        && matches!(l.source_kind.as_str(), "s3" | "glacier")
                        && l.role == "media"
                        && l.present
                })
                .collect();
            if objects.is_empty() {
                report.problems.push(format!(
                    "asset {asset}: no S3 object or vault archive to download"
                ));
                continue;
            }
            for l in objects {
                if l.source_kind == "glacier" {
                    match target {
                        DownloadTarget::Folder(dir) => {
                            self.download_archive(*asset, l, dir, &mut report).await?
                        }
                        DownloadTarget::InPlace(_) => report.problems.push(format!(
                            "{}: a vault archive cannot be copied in place; download it",
                            describe(l)
                        )),
                    }
                    continue;
                }
                let uri = trove_catalog::s3_object_uri(&l.source_uri, &l.rel_path);
                let bucket = match buckets.get(&l.source.0) {
                    Some(b) => b.clone(),
                    None => {
                        let b = bucket_of(&l.source_uri, &l.config).await?;
                        buckets.insert(l.source.0, b.clone());
                        b
                    }
                };
                let key = l.rel_path.to_lossy();
                let head = match bucket.head_version(&key, l.version_id.as_deref()).await {
                    Ok(head) => head,
                    Err(e) => {
                        report.problems.push(format!("{uri}: {e}"));
                        continue;
                    }
                };
                if head.is_archived() {
                    let state = match head.restore {
                        Some(RestoreState::InProgress) => "its restore is still under way",
                        _ => "it is archived and not restored (trove restore start)",
                    };
                    report
                        .problems
                        .push(format!("{uri}: not downloaded: {state}"));
                    continue;
                }
                match target {
                    DownloadTarget::Folder(dir) => {
                        match bucket
                            .download(&head, dir, &DownloadOptions::default())
                            .await
                        {
                            Ok(done) => {
                                let (verification, detail) = match &done.verification {
                                    Verification::Sha256(d) => ("sha256", d.clone()),
                                    Verification::Md5(d) => ("md5", d.clone()),
                                    Verification::Unverifiable(why) => {
                                        ("unverifiable", why.clone())
                                    }
                                };
                                report.downloaded.push(DownloadedObject {
                                    asset: *asset,
                                    uri,
                                    path: Some(done.path),
                                    bytes: done.bytes,
                                    verification: verification.to_owned(),
                                    verification_detail: detail,
                                    resumed_from: done.resumed_from,
                                    refetches: done.refetches,
                                    already_present: done.already_present,
                                });
                            }
                            Err(e) => report.problems.push(format!("{uri}: {e}")),
                        }
                    }
                    DownloadTarget::InPlace(class) => {
                        let class = StorageClass::parse(class);
                        match bucket.copy_in_place(&head, &class).await {
                            Ok(()) => report.downloaded.push(DownloadedObject {
                                asset: *asset,
                                uri,
                                path: None,
                                bytes: head.size,
                                verification: "copied".into(),
                                verification_detail: format!("now {}", class.as_str()),
                                resumed_from: 0,
                                refetches: 0,
                                already_present: false,
                            }),
                            Err(e) => report.problems.push(format!("{uri}: {e}")),
                        }
                    }
                }
            }
        }
        Ok(report)
    }

    async fn resolve_assets(&self, assets: &[OsString]) -> Result<Vec<AssetId>> {
        if assets.is_empty() {
            return Err(Error::InvalidInput(
                "name the assets, or select them with --query".into(),
            ));
        }
        let mut ids = Vec::with_capacity(assets.len());
        for a in assets {
            let id = self.resolve_asset(a).await?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// The planner's input for `assets`: every archived object, with its online copy and what
    /// is known of its restore; an asset without any archived object once, as not archived.
    async fn restore_candidates(&self, assets: &[AssetId]) -> Result<Vec<Candidate>> {
        let locations = self.catalog.restore_locations(assets).await?;
        let archived: Vec<&RestoreLocation> = locations
            .iter()
            .filter(|l| l.role == "media" && l.present && archive_class(l).is_some())
            .collect();
        let known: HashMap<LocationId, RestoreRow> = self
            .catalog
            .latest_restores(&archived.iter().map(|l| l.location).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|r| (r.location, r))
            .collect();
        let by_content = self.local_copies_by_content(&archived).await?;
        let now = planner::unix(SystemTime::now()) as i64;
        let mut candidates = Vec::new();
        for asset in assets {
            let mine: Vec<&RestoreLocation> =
                locations.iter().filter(|l| l.asset == *asset).collect();
            let online = mine
                .iter()
                .find(|l| l.role == "media" && readable_now(l))
                .map(|l| describe(l));
            let mut any = false;
            for l in mine
                .iter()
                .filter(|l| l.role == "media" && l.present && archive_class(l).is_some())
            {
                any = true;
                let restore = match known.get(&l.location) {
                    Some(r) if matches!(r.state.as_str(), "pending" | "in_progress") => {
                        KnownRestore::InProgress
                    }
                    Some(r) if r.state == "ready" && r.expiry.is_some_and(|e| e > now) => {
                        KnownRestore::Ready {
                            expiry: r.expiry.unwrap_or_default() as u64,
                        }
                    }
                    _ if l.archive_state.as_deref() == Some("restoring") => {
                        KnownRestore::InProgress
                    }
                    _ => KnownRestore::None,
                };
                candidates.push(Candidate {
                    object: PlanObject {
                        name: describe(l),
                        bytes: l.size,
                        class: archive_class(l),
                        online_copy: online
                            .clone()
                            .or_else(|| by_content.get(&l.location).cloned()),
                        restore,
                    },
                    asset: *asset,
                    location: Some(l.location),
                });
            }
            if !any {
                let name = mine
                    .iter()
                    .find(|l| l.role == "media")
                    .map_or_else(|| format!("asset {asset}"), |l| describe(l));
                candidates.push(Candidate {
                    object: PlanObject {
                        name,
                        bytes: mine
                            .iter()
                            .find(|l| l.role == "media")
                            .map_or(0, |l| l.size),
                        class: None,
                        online_copy: None,
                        restore: KnownRestore::None,
                    },
                    asset: *asset,
                    location: None,
                });
            }
        }
        Ok(candidates)
    }

    /// Local files with the same bytes as archived objects, by the object's single-part ETag
    /// (MD5) or stored SHA-256 checksum; only files of the same size are read.
    async fn local_copies_by_content(
        &self,
        archived: &[&RestoreLocation],
    ) -> Result<HashMap<LocationId, String>> {
        // Per size: each object's location, MD5 (hex) and SHA-256 (base64), owned for the
        // hashing thread.
        type Digests = (LocationId, Option<String>, Option<String>);
        let mut wanted: HashMap<u64, Vec<Digests>> = HashMap::new();
        for l in archived {
            let (md5, sha) = (md5_of_etag(l.etag.as_deref()), sha256_of(l));
            if l.size > 0 && (md5.is_some() || sha.is_some()) {
                wanted
                    .entry(l.size)
                    .or_default()
                    .push((l.location, md5, sha));
            }
        }
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let files = self.catalog.local_files().await?;
        let files: Vec<_> = files
            .into_iter()
            .filter(|f| f.role == "media" && wanted.contains_key(&f.size))
            .collect();
        tokio::task::spawn_blocking(move || {
            let mut found = HashMap::new();
            for file in files {
                let Some(objects) = wanted.get(&file.size) else {
                    continue;
                };
                let Ok((md5, sha)) = digests(&file.path) else {
                    continue;
                };
                for (location, want_md5, want_sha) in objects {
                    let same = want_md5.as_deref() == Some(md5.as_str())
                        || want_sha.as_deref() == Some(sha.as_str());
                    if same {
                        found
                            .entry(*location)
                            .or_insert_with(|| file.path.display().to_string());
                    }
                }
            }
            found
        })
        .await
        .map_err(|e| Error::Internal(format!("hashing local copies failed: {e}")))
    }

    /// Sends the requests of leased `restore_request` jobs, per bucket in rate-limited batches.
    async fn send_requests(
        &self,
        tasks: Vec<JobTask>,
        summary: &mut RestoreRunSummary,
    ) -> Result<()> {
        let mut groups: BTreeMap<i64, Vec<(JobTask, RestoreRow, trove_catalog::S3Object)>> =
            BTreeMap::new();
        for task in tasks {
            let restore = self.catalog.restore_of_job(task.id).await?;
            let object = self.catalog.s3_object(task.location_id).await?;
            match (restore, object) {
                (Some(restore), Some(object)) => groups
                    .entry(object.source_id.0)
                    .or_default()
                    .push((task, restore, object)),
                (Some(restore), None) => {
                    self.send_vault_request(&task, &restore, summary).await?;
                }
                (None, _) => {
                    // A request job without its restore row (removed by hand): nothing to send.
                    tracing::warn!(job = task.id, "restore request without a restore row");
                    self.catalog
                        .cancel_jobs(trove_catalog::JobSelector::Ids(&[task.id]))
                        .await?;
                }
            }
        }
        for (_, group) in groups {
            let object = &group[0].2;
            let bucket = match bucket_of(&object.source_uri, &object.config).await {
                Ok(b) => b,
                Err(e) => {
                    for (task, restore, _) in &group {
                        self.request_failed(task, restore, &e, summary).await?;
                    }
                    continue;
                }
            };
            let items: Vec<RestoreItem> = group
                .iter()
                .map(|(_, r, o)| RestoreItem {
                    key: o.key.to_lossy(),
                    version_id: o.version_id.clone(),
                    options: trove_s3::RestoreOptions {
                        days: r.days,
                        tier: s3_tier(&r.tier),
                    },
                })
                .collect();
            let (results, _stats) = bucket.restore_batch(items, BatchOptions::default()).await;
            for ((task, restore, _), result) in group.iter().zip(results) {
                summary.requested += 1;
                let requested_at = planner::unix(result.requested_at) as i64;
                let update = match result.outcome {
                    Ok(RestoreOutcome::Started) | Ok(RestoreOutcome::InProgress) => {
                        let eta = parse_class(&restore.class)
                            .and_then(|c| c.eta(trove_core::restore::Tier::parse(&restore.tier)?));
                        in_progress(result.requested_at, result.requested_at, eta)
                    }
                    Ok(RestoreOutcome::AlreadyRestored { expiry }) => {
                        summary.ready += 1;
                        ready(expiry.map(|e| planner::unix(e) as i64))
                    }
                    Err(e) => {
                        self.request_failed(task, restore, &e, summary).await?;
                        continue;
                    }
                };
                self.catalog
                    .update_restore(restore.id, task.id, &update, Some(requested_at))
                    .await?;
            }
        }
        Ok(())
    }

    async fn request_failed(
        &self,
        task: &JobTask,
        restore: &RestoreRow,
        e: &trove_s3::Error,
        summary: &mut RestoreRunSummary,
    ) -> Result<()> {
        let delay = 30 * (1 << task.attempts.min(6));
        let message = format!("{}: {e}", restore.uri);
        self.retry_or_fail(task, restore, message, e.is_transient(), delay, summary)
            .await
    }

    /// A transient error is retried after `delay` seconds (up to [`MAX_ATTEMPTS`]); any other
    /// ends the restore as failed with `message`.
    async fn retry_or_fail(
        &self,
        task: &JobTask,
        restore: &RestoreRow,
        message: String,
        transient: bool,
        delay: i64,
        summary: &mut RestoreRunSummary,
    ) -> Result<()> {
        if transient && task.attempts < MAX_ATTEMPTS {
            summary.retrying += 1;
            self.catalog
                .retry_restore(restore.id, task.id, &message, delay)
                .await?;
        } else {
            summary.failed.push(message.clone());
            self.catalog
                .update_restore(restore.id, task.id, &failed(message), None)
                .await?;
        }
        Ok(())
    }

    /// One `restore_poll` job: HEAD the object and move its restore on.
    async fn check_restore(&self, task: &JobTask, summary: &mut RestoreRunSummary) -> Result<()> {
        let Some(restore) = self.catalog.restore_of_job(task.id).await? else {
            self.catalog
                .cancel_jobs(trove_catalog::JobSelector::Ids(&[task.id]))
                .await?;
            return Ok(());
        };
        let Some(object) = self.catalog.s3_object(task.location_id).await? else {
            return self.check_vault_restore(task, &restore, summary).await;
        };
        let head = match bucket_of(&object.source_uri, &object.config).await {
            Ok(bucket) => {
                bucket
                    .head_version(&object.key.to_lossy(), object.version_id.as_deref())
                    .await
            }
            Err(e) => Err(e),
        };
        summary.checked += 1;
        let head = match head {
            Ok(head) => head,
            Err(e) => {
                let message = format!("{}: {e}", restore.uri);
                return self
                    .retry_or_fail(task, &restore, message, e.is_transient(), 60, summary)
                    .await;
            }
        };
        let now = SystemTime::now();
        let update = match &head.restore {
            Some(RestoreState::InProgress) => {
                let eta = parse_class(&restore.class)
                    .and_then(|c| c.eta(trove_core::restore::Tier::parse(&restore.tier)?));
                in_progress(requested_at(&restore), now, eta)
            }
            Some(RestoreState::Restored { expiry }) => {
                summary.ready += 1;
                ready(expiry.map(|e| planner::unix(e) as i64))
            }
            None if !head.is_archived() => {
                summary.ready += 1;
                RestoreUpdate {
                    state: "ready",
                    expiry: None,
                    next_check: None,
                    error: Some(format!(
                        "{} is no longer archived ({})",
                        restore.uri,
                        head.storage_class.as_str()
                    )),
                }
            }
            None => {
                let message = format!(
                    "{}: S3 reports no restore of this object (expired, or the request was \
                     lost); trove restore start asks again",
                    restore.uri
                );
                summary.failed.push(message.clone());
                RestoreUpdate {
                    state: if restore.expiry.is_some() {
                        "expired"
                    } else {
                        "failed"
                    },
                    expiry: None,
                    next_check: None,
                    error: Some(message),
                }
            }
        };
        self.catalog
            .update_restore(restore.id, task.id, &update, None)
            .await?;
        Ok(())
    }
}

impl Library {
    /// Starts the archive-retrieval job of a vault archive's restore.
    async fn send_vault_request(
        &self,
        task: &JobTask,
        restore: &RestoreRow,
        summary: &mut RestoreRunSummary,
    ) -> Result<()> {
        let location = match self.catalog.restore_location(task.location_id).await? {
            Some(l) if l.source_kind == "glacier" => l,
            _ => {
                let update = failed(format!(
                    "{}: not an S3 object or a vault archive",
                    restore.uri
                ));
                summary
                    .failed
                    .push(update.error.clone().unwrap_or_default());
                return Ok(self
                    .catalog
                    .update_restore(restore.id, task.id, &update, None)
                    .await?);
            }
        };
        let Some(archive_id) = location.version_id.clone() else {
            let update = failed(format!("{}: no archive id in the catalog", restore.uri));
            summary
                .failed
                .push(update.error.clone().unwrap_or_default());
            return Ok(self
                .catalog
                .update_restore(restore.id, task.id, &update, None)
                .await?);
        };
        let requested = SystemTime::now();
        let started = match crate::vault::vault_of(&location.source_uri, &location.config).await {
            Ok(vault) => {
                summary.requested += 1;
                vault
                    .start_retrieval(&trove_glacier::Retrieval {
                        archive_id,
                        tier: vault_tier(&restore.tier),
                        byte_range: None,
                        archive_size: Some(location.size),
                    })
                    .await
                    .map_err(Error::from)
            }
            Err(e) => Err(e),
        };
        match started {
            Ok(job) => {
                self.catalog
                    .set_restore_remote_job(restore.id, &job)
                    .await?;
                let eta = ArchiveClass::Vault.eta(tier_of(&restore.tier));
                let update = in_progress(requested, requested, eta);
                self.catalog
                    .update_restore(
                        restore.id,
                        task.id,
                        &update,
                        Some(planner::unix(requested) as i64),
                    )
                    .await?;
            }
            Err(e) => {
                let message = format!("{}: {e}", restore.uri);
                let transient = matches!(&e, Error::Glacier(g) if g.is_transient());
                self.retry_or_fail(task, restore, message, transient, 60, summary)
                    .await?;
            }
        }
        Ok(())
    }

    /// One check of a vault archive's retrieval job (`DescribeJob`).
    async fn check_vault_restore(
        &self,
        task: &JobTask,
        restore: &RestoreRow,
        summary: &mut RestoreRunSummary,
    ) -> Result<()> {
        let location = self.catalog.restore_location(task.location_id).await?;
        let (Some(location), Some(job)) = (location, restore.remote_job.clone()) else {
            let update = failed(format!("{}: no retrieval job to check", restore.uri));
            summary
                .failed
                .push(update.error.clone().unwrap_or_default());
            return Ok(self
                .catalog
                .update_restore(restore.id, task.id, &update, None)
                .await?);
        };
        summary.checked += 1;
        let described = match crate::vault::vault_of(&location.source_uri, &location.config).await {
            Ok(vault) => vault.describe_job(&job).await.map_err(Error::from),
            Err(e) => Err(e),
        };
        let now = SystemTime::now();
        let update = match described {
            Ok(info) => match crate::vault::job_done(&info.state) {
                None => {
                    let eta = ArchiveClass::Vault.eta(tier_of(&restore.tier));
                    in_progress(requested_at(restore), now, eta)
                }
                Some(Ok(())) => {
                    summary.ready += 1;
                    // Glacier keeps a job's output for 24 hours.
                    ready(Some(planner::unix(now + VAULT_OUTPUT_KEPT) as i64))
                }
                Some(Err(message)) => {
                    let message = format!("{}: retrieval job {job} failed: {message}", restore.uri);
                    summary.failed.push(message.clone());
                    failed(message)
                }
            },
            Err(e) => {
                let message = format!("{}: {e}", restore.uri);
                let transient = matches!(&e, Error::Glacier(g) if g.is_transient());
                if transient && task.attempts < MAX_ATTEMPTS {
                    summary.retrying += 1;
                    return Ok(self
                        .catalog
                        .retry_restore(restore.id, task.id, &message, 60)
                        .await?);
                }
                summary.failed.push(message.clone());
                failed(message)
            }
        };
        self.catalog
            .update_restore(restore.id, task.id, &update, None)
            .await?;
        Ok(())
    }

    /// Downloads a retrieved vault archive into `dir` (name from `safe_local_path`), verified
    /// by its tree hash.
    async fn download_archive(
        &self,
        asset: AssetId,
        l: &RestoreLocation,
        dir: &Path,
        report: &mut DownloadReport,
    ) -> Result<()> {
        let uri = describe(l);
        let now = planner::unix(SystemTime::now()) as i64;
        let ready = self
            .catalog
            .latest_restores(&[l.location])
            .await?
            .into_iter()
            .find(|r| r.state == "ready" && r.expiry.is_none_or(|e| e > now));
        let Some(job) = ready.and_then(|r| r.remote_job) else {
            report.problems.push(format!(
                "{uri}: not downloaded: no finished retrieval (trove restore start, then status)"
            ));
            return Ok(());
        };
        let name = l.rel_path.to_lossy();
        let dest = match trove_s3::safe_local_path(dir, &name) {
            Ok(dest) => dest,
            Err(e) => {
                report.problems.push(format!("{uri}: {e}"));
                return Ok(());
            }
        };
        let vault = crate::vault::vault_of(&l.source_uri, &l.config).await?;
        let expected = trove_glacier::ExpectedOutput {
            size: l.size,
            tree_hash: l.etag.clone(),
        };
        match vault
            .download(
                &job,
                &expected,
                &dest,
                &trove_glacier::DownloadOptions::default(),
            )
            .await
        {
            Ok(done) => {
                let (verification, detail) = match done.tree_hash {
                    trove_glacier::TreeHashCheck::Verified(h) => ("tree_hash", h),
                    trove_glacier::TreeHashCheck::Unverifiable(h) => ("unverifiable", h),
                };
                report.downloaded.push(DownloadedObject {
                    asset,
                    uri,
                    path: Some(done.path),
                    bytes: done.bytes,
                    verification: verification.to_owned(),
                    verification_detail: detail,
                    resumed_from: done.resumed_from,
                    refetches: done.whole_refetches
                        + u32::try_from(done.range_retries).unwrap_or(u32::MAX),
                    already_present: false,
                });
            }
            Err(e) => report.problems.push(format!("{uri}: {e}")),
        }
        Ok(())
    }
}

/// How long Glacier keeps a finished job's output.
const VAULT_OUTPUT_KEPT: Duration = Duration::from_secs(24 * 3600);

fn vault_tier(tier: &str) -> trove_glacier::RetrievalTier {
    match tier {
        "expedited" => trove_glacier::RetrievalTier::Expedited,
        "bulk" => trove_glacier::RetrievalTier::Bulk,
        _ => trove_glacier::RetrievalTier::Standard,
    }
}

fn tier_of(tier: &str) -> trove_core::restore::Tier {
    trove_core::restore::Tier::parse(tier).unwrap_or(trove_core::restore::Tier::Standard)
}

/// Under way: look again when the poll schedule says, from the request and the last check.
fn in_progress(
    requested: SystemTime,
    last_checked: SystemTime,
    eta: Option<trove_core::restore::Eta>,
) -> RestoreUpdate {
    let next = planner::next_check(requested, last_checked, eta);
    RestoreUpdate {
        state: "in_progress",
        expiry: None,
        next_check: Some(planner::unix(next) as i64),
        error: None,
    }
}

/// Readable, until `expiry` (Unix seconds) when known.
fn ready(expiry: Option<i64>) -> RestoreUpdate {
    RestoreUpdate {
        state: "ready",
        expiry,
        next_check: None,
        error: None,
    }
}

/// When the restore was asked for.
fn requested_at(restore: &RestoreRow) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(restore.requested_at.max(0) as u64)
}

fn failed(message: String) -> RestoreUpdate {
    RestoreUpdate {
        state: "failed",
        expiry: None,
        next_check: None,
        error: Some(message),
    }
}

fn report(plan: Plan, candidates: &[Candidate], prices: &PriceTable) -> RestorePlanReport {
    let mut objects = Vec::with_capacity(plan.objects.len());
    let (mut to_restore, mut bytes, mut none, mut progress, mut refused) = (0, 0, 0, 0, 0);
    for (planned, candidate) in plan.objects.into_iter().zip(candidates) {
        let message = match &planned.decision {
            Decision::Restore { expiry, .. } => {
                to_restore += 1;
                bytes += planned.bytes;
                match expiry {
                    Some(e) => format!("restore; readable until {}", planner::format_utc(*e)),
                    None => "restore".to_owned(),
                }
            }
            Decision::NoRestoreNeeded { reason } => {
                none += 1;
                format!("no restore needed: {reason}")
            }
            Decision::AlreadyInProgress => {
                progress += 1;
                "a restore is already under way".to_owned()
            }
            Decision::Refused(why) => {
                refused += 1;
                format!("refused: {why}")
            }
        };
        objects.push(PlannedRestore {
            asset: candidate.asset,
            uri: planned.name,
            bytes: planned.bytes,
            class: candidate.object.class,
            decision: planned.decision,
            message,
            location: candidate.location,
        });
    }
    RestorePlanReport {
        request: plan.request,
        to_restore,
        bytes,
        no_restore_needed: none,
        in_progress: progress,
        refused,
        objects,
        estimate: plan.estimate,
        by_tier: plan.by_tier,
        prices_as_of: plan.prices_as_of,
        prices_region: prices.region.clone(),
        currency: plan.currency,
    }
}

/// The archive class of a location that needs a restore to be read; `None` when readable.
fn archive_class(l: &RestoreLocation) -> Option<ArchiveClass> {
    match l.source_kind.as_str() {
        "s3" => ArchiveClass::of_s3(
            l.storage_class.as_deref().unwrap_or("STANDARD"),
            l.archive_status.as_deref(),
        ),
        "glacier" => Some(ArchiveClass::Vault),
        _ => None,
    }
}

/// Whether a location's bytes can be read now: a present file of an online local source, or a
/// present S3 object in a class that needs no restore.
fn readable_now(l: &RestoreLocation) -> bool {
    l.present
        && l.online
        && match l.source_kind.as_str() {
            "local" => true,
            "s3" => archive_class(l).is_none(),
            _ => false,
        }
}

/// How plans and messages name a location: its path (local) or URI.
fn describe(l: &RestoreLocation) -> String {
    match (&l.path, l.source_kind.as_str()) {
        (Some(path), "local") => path.display().to_string(),
        (_, "s3") => trove_catalog::s3_object_uri(&l.source_uri, &l.rel_path),
        _ => format!(
            "{}/{}",
            l.source_uri.trim_end_matches('/'),
            l.rel_path.to_lossy()
        ),
    }
}

/// The stored SHA-256 checksum (base64), when a HEAD read one.
fn sha256_of(l: &RestoreLocation) -> Option<String> {
    l.checksums
        .as_ref()?
        .get("SHA256")?
        .as_str()
        .map(str::to_owned)
}

/// MD5 (hex) and SHA-256 (base64) of a file, in one read.
fn digests(path: &Path) -> std::io::Result<(String, String)> {
    use base64::Engine as _;
    use md5::Digest as _;
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut md5 = md5::Md5::new();
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha.update(&buf[..n]);
    }
    let hex: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(sha.finalize());
    Ok((hex, b64))
}

fn tier_name(tier: trove_core::restore::Tier) -> &'static str {
    match tier {
        trove_core::restore::Tier::Expedited => "expedited",
        trove_core::restore::Tier::Standard => "standard",
        trove_core::restore::Tier::Bulk => "bulk",
    }
}

fn s3_tier(tier: &str) -> RestoreTier {
    match tier {
        "expedited" => RestoreTier::Expedited,
        "bulk" => RestoreTier::Bulk,
        _ => RestoreTier::Standard,
    }
}

fn class_name(class: ArchiveClass) -> &'static str {
    match class {
        ArchiveClass::Glacier => "glacier",
        ArchiveClass::DeepArchive => "deep_archive",
        ArchiveClass::IntelligentArchiveAccess => "intelligent_archive_access",
        ArchiveClass::IntelligentDeepArchiveAccess => "intelligent_deep_archive_access",
        ArchiveClass::Vault => "vault",
    }
}

fn parse_class(name: &str) -> Option<ArchiveClass> {
    serde_json::from_value(serde_json::Value::from(name)).ok()
}
