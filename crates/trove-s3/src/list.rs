//! Listing a bucket or prefix fast and without losing progress.
//!
//! Every prefix starts as one flat listing (no delimiter). When its first page is truncated, the
//! prefix is large: if discovery may go deeper ([`ListOptions::fan_out_depth`]) and fewer tasks
//! than [`ListOptions::concurrency`] are under way, it is listed once more with delimiter `/` to
//! find its sub-prefixes, and each sub-prefix becomes a task of its own that starts after the last
//! key already listed (`StartAfter`); sub-prefixes wholly before that key are skipped, and objects
//! directly under the prefix are kept only when after it. Otherwise the flat listing goes on.
//! A small prefix thus costs one request, and a large one fans out into parallel listings.
//!
//! Common prefixes partition the keys under a prefix exactly, so the parts list every key once.
//! Each task pages with continuation tokens; a page that fails transiently (reset, timeout, 5xx,
//! SlowDown) is asked for again with the same token, and a page's entries are delivered only
//! once it arrived whole: no duplicates, no gaps. Throttling halves the number of requests in
//! flight; success raises it again (`retry.rs`).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use aws_sdk_s3::types::OptionalObjectAttributes;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::bucket::Bucket;
use crate::error::classify;
use crate::object::{unquote, ObjectEntry, RestoreState, StorageClass};
use crate::retry::{retry, Counters, Limiter};
use crate::{Error, Result};

/// How to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOptions {
    /// Only keys that start with this (a source's prefix).
    pub prefix: String,
    /// Requests in flight at most (adaptive: throttling lowers it for a while).
    pub concurrency: usize,
    /// How many levels of `/`-delimited prefixes may become tasks of their own; 0 lists flat,
    /// in one sequence of pages.
    pub fan_out_depth: usize,
    /// Keys per page (`MaxKeys`, at most 1,000, S3's default); each page is delivered as one
    /// batch.
    pub page_size: i32,
    /// List versions (`ListObjectVersions`) and deliver the current version of each key with
    /// its version id; deleted keys (a delete marker on top) are left out.
    pub versions: bool,
    /// Ask for each object's restore status (`x-amz-optional-object-attributes: RestoreStatus`).
    /// Some S3-compatible stores do not know the header.
    pub restore_status: bool,
}

impl Default for ListOptions {
    fn default() -> ListOptions {
        ListOptions {
            prefix: String::new(),
            concurrency: 16,
            fan_out_depth: 3,
            page_size: 1000,
            versions: false,
            restore_status: false,
        }
    }
}

/// What a listing cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListStats {
    /// Objects delivered.
    pub objects: u64,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Requests sent again after a transient failure.
    pub retries: u64,
    /// Answers that were 503 SlowDown (or another throttling code).
    pub throttled: u64,
    /// Prefixes listed as their own task.
    pub prefixes: u64,
    /// The lowest concurrency the adaptive limit went down to.
    pub lowest_concurrency: usize,
    /// Wall time of the listing.
    pub elapsed: std::time::Duration,
}

/// Where a page starts.
#[derive(Debug, Clone)]
enum Cursor {
    Start,
    Token(String),
    Versions {
        key: Option<String>,
        version: Option<String>,
    },
}

struct Page {
    objects: Vec<ObjectEntry>,
    prefixes: Vec<String>,
    next: Option<Cursor>,
    /// The last key of the page as listed (before any filtering).
    last_key: Option<String>,
}

#[derive(Debug)]
struct Task {
    prefix: String,
    /// List only keys after this one (they were listed by the parent task).
    start_after: Option<String>,
    /// Levels of prefixes above this task's.
    depth: usize,
}

struct Shared {
    bucket: Bucket,
    options: ListOptions,
    limiter: Limiter,
    counters: Counters,
    objects: std::sync::atomic::AtomicU64,
    /// Tasks queued or running.
    tasks: std::sync::atomic::AtomicUsize,
    sink: mpsc::Sender<Vec<ObjectEntry>>,
}

impl Bucket {
    /// Lists the objects under `options.prefix` and sends them to `sink` in batches (one per
    /// page), as they arrive; order is by page, not global. Returns when every part is listed,
    /// with what it cost; on an error that retries could not fix, the listing stops (batches
    /// already sent stay valid) and the caller must not conclude that unlisted keys are gone.
    pub async fn list(
        &self,
        options: &ListOptions,
        sink: mpsc::Sender<Vec<ObjectEntry>>,
    ) -> Result<ListStats> {
        let started = Instant::now();
        let concurrency = options.concurrency.max(1);
        let shared = Arc::new(Shared {
            bucket: self.clone(),
            options: ListOptions {
                concurrency,
                page_size: options.page_size.clamp(1, 1000),
                ..options.clone()
            },
            limiter: Limiter::new(concurrency),
            counters: Counters::default(),
            objects: Default::default(),
            tasks: std::sync::atomic::AtomicUsize::new(1),
            sink,
        });
        let mut pending = VecDeque::from([Task {
            prefix: options.prefix.clone(),
            start_after: None,
            depth: 0,
        }]);
        let mut prefixes = 0u64;
        let mut running = JoinSet::new();
        loop {
            while running.len() < concurrency {
                let Some(task) = pending.pop_front() else {
                    break;
                };
                prefixes += 1;
                running.spawn(run_task(Arc::clone(&shared), task));
            }
            match running.join_next().await {
                None => break,
                Some(Ok(Ok(children))) => {
                    shared.tasks.fetch_add(children.len(), Ordering::Relaxed);
                    shared.tasks.fetch_sub(1, Ordering::Relaxed);
                    pending.extend(children);
                }
                Some(Ok(Err(e))) => {
                    running.abort_all();
                    return Err(e);
                }
                Some(Err(join)) => {
                    running.abort_all();
                    if join.is_panic() {
                        std::panic::resume_unwind(join.into_panic());
                    }
                    return Err(Error::Cancelled {
                        bucket: self.name().to_owned(),
                    });
                }
            }
        }
        Ok(ListStats {
            objects: shared.objects.load(Ordering::Relaxed),
            requests: shared.counters.requests.load(Ordering::Relaxed),
            retries: shared.counters.retries.load(Ordering::Relaxed),
            throttled: shared.counters.throttled.load(Ordering::Relaxed),
            prefixes,
            lowest_concurrency: shared.limiter.lowest(),
            elapsed: started.elapsed(),
        })
    }

    /// Lists everything under `options.prefix` into one vector (for small prefixes and tests).
    pub async fn list_all(&self, options: &ListOptions) -> Result<(Vec<ObjectEntry>, ListStats)> {
        let (tx, mut rx) = mpsc::channel(64);
        let collect = tokio::spawn(async move {
            let mut all = Vec::new();
            while let Some(batch) = rx.recv().await {
                all.extend(batch);
            }
            all
        });
        let stats = self.list(options, tx).await?;
        let all = collect.await.map_err(|_| Error::Cancelled {
            bucket: self.name().to_owned(),
        })?;
        Ok((all, stats))
    }

    async fn fetch_page(
        &self,
        options: &ListOptions,
        prefix: &str,
        delimiter: bool,
        start_after: Option<&str>,
        cursor: &Cursor,
    ) -> Result<Page> {
        if options.versions {
            return self
                .fetch_versions_page(options, prefix, delimiter, start_after, cursor)
                .await;
        }
        let mut request = self
            .client
            .list_objects_v2()
            .bucket(&*self.name)
            .prefix(prefix)
            .max_keys(options.page_size);
        if delimiter {
            request = request.delimiter("/");
        }
        match cursor {
            Cursor::Token(token) => request = request.continuation_token(token),
            _ => request = request.set_start_after(start_after.map(str::to_owned)),
        }
        if options.restore_status {
            request = request.optional_object_attributes(OptionalObjectAttributes::RestoreStatus);
        }
        let out = request
            .send()
            .await
            .map_err(|e| classify(e, self.target(None)))?;
        let objects = out
            .contents()
            .iter()
            .filter_map(|o| {
                Some(ObjectEntry {
                    key: o.key()?.to_owned(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    etag: o.e_tag().map(unquote),
                    last_modified: o
                        .last_modified()
                        .and_then(|d| SystemTime::try_from(*d).ok()),
                    storage_class: o
                        .storage_class()
                        .map(|c| StorageClass::parse(c.as_str()))
                        .unwrap_or_default(),
                    archive_status: None,
                    version_id: None,
                    checksum_algorithm: o
                        .checksum_algorithm()
                        .first()
                        .map(|a| a.as_str().to_owned()),
                    restore: o
                        .restore_status()
                        .and_then(|r| match r.is_restore_in_progress() {
                            Some(true) => Some(RestoreState::InProgress),
                            Some(false) => Some(RestoreState::Restored {
                                expiry: r
                                    .restore_expiry_date()
                                    .and_then(|d| SystemTime::try_from(*d).ok()),
                            }),
                            None => None,
                        }),
                })
            })
            .collect();
        let prefixes = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix().map(str::to_owned))
            .collect();
        let next = match (out.is_truncated(), out.next_continuation_token()) {
            (Some(true), Some(token)) => Some(Cursor::Token(token.to_owned())),
            _ => None,
        };
        Ok(Page {
            objects,
            prefixes,
            next,
            last_key: out
                .contents()
                .last()
                .and_then(|o| o.key())
                .map(str::to_owned),
        })
    }

    async fn fetch_versions_page(
        &self,
        options: &ListOptions,
        prefix: &str,
        delimiter: bool,
        start_after: Option<&str>,
        cursor: &Cursor,
    ) -> Result<Page> {
        let mut request = self
            .client
            .list_object_versions()
            .bucket(&*self.name)
            .prefix(prefix)
            .max_keys(options.page_size);
        if delimiter {
            request = request.delimiter("/");
        }
        match cursor {
            Cursor::Versions { key, version } => {
                request = request
                    .set_key_marker(key.clone())
                    .set_version_id_marker(version.clone())
            }
            // Only the current version of a key matters, and it is listed first: keys after
            // the last one listed are what is left.
            _ => request = request.set_key_marker(start_after.map(str::to_owned)),
        }
        let out = request
            .send()
            .await
            .map_err(|e| classify(e, self.target(None)))?;
        let objects = out
            .versions()
            .iter()
            .filter(|v| v.is_latest() == Some(true))
            .filter_map(|v| {
                Some(ObjectEntry {
                    key: v.key()?.to_owned(),
                    size: v.size().unwrap_or(0).max(0) as u64,
                    etag: v.e_tag().map(unquote),
                    last_modified: v
                        .last_modified()
                        .and_then(|d| SystemTime::try_from(*d).ok()),
                    storage_class: v
                        .storage_class()
                        .map(|c| StorageClass::parse(c.as_str()))
                        .unwrap_or_default(),
                    archive_status: None,
                    // Unversioned objects in a versioned bucket have the version id "null".
                    version_id: v.version_id().filter(|id| *id != "null").map(str::to_owned),
                    checksum_algorithm: v
                        .checksum_algorithm()
                        .first()
                        .map(|a| a.as_str().to_owned()),
                    restore: None,
                })
            })
            .collect();
        let prefixes = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix().map(str::to_owned))
            .collect();
        let next = if out.is_truncated() == Some(true) {
            Some(Cursor::Versions {
                key: out.next_key_marker().map(str::to_owned),
                version: out.next_version_id_marker().map(str::to_owned),
            })
        } else {
            None
        };
        Ok(Page {
            objects,
            prefixes,
            next,
            last_key: out
                .versions()
                .last()
                .and_then(|v| v.key())
                .map(str::to_owned),
        })
    }
}

/// Lists one prefix page by page; returns the tasks of the sub-prefixes it handed on.
async fn run_task(shared: Arc<Shared>, task: Task) -> Result<Vec<Task>> {
    let Shared {
        bucket,
        options,
        limiter,
        counters,
        ..
    } = &*shared;
    let mut cursor = Cursor::Start;
    let mut start_after = task.start_after.clone();
    // Set once the task switched to discovery: the last key listed flat before.
    let mut listed_up_to: Option<String> = None;
    let mut children = Vec::new();
    let mut first = true;
    loop {
        let discovering = listed_up_to.is_some();
        // On a transient failure the same cursor is asked for again: the listing resumes from
        // the last continuation token that was answered whole.
        let page = retry(&bucket.retry, Some(limiter), counters, || {
            bucket.fetch_page(
                options,
                &task.prefix,
                discovering,
                start_after.as_deref(),
                &cursor,
            )
        })
        .await?;
        let mut objects = page.objects;
        if let Some(done) = &listed_up_to {
            // Objects directly under the prefix up to `done` were on the flat page.
            objects.retain(|o| o.key.as_str() > done.as_str());
            children.extend(
                page.prefixes
                    .into_iter()
                    // A sub-prefix wholly before `done` was listed flat already.
                    .filter(|p| p.as_str() > done.as_str() || done.starts_with(p.as_str())),
            );
        }
        if !objects.is_empty() {
            shared
                .objects
                .fetch_add(objects.len() as u64, Ordering::Relaxed);
            shared
                .sink
                .send(objects)
                .await
                .map_err(|_| Error::Cancelled {
                    bucket: bucket.name().to_owned(),
                })?;
        }
        let Some(next) = page.next else {
            break;
        };
        let fan_out = first
            && task.depth < options.fan_out_depth
            && shared.tasks.load(Ordering::Relaxed) < options.concurrency;
        match (fan_out, page.last_key) {
            (true, Some(last)) => {
                // A large prefix: find its sub-prefixes and list them in parallel.
                listed_up_to = Some(last);
                start_after = None;
                cursor = Cursor::Start;
            }
            _ => cursor = next,
        }
        first = false;
    }
    Ok(children
        .into_iter()
        .map(|prefix| Task {
            prefix,
            start_after: listed_up_to.clone(),
            depth: task.depth + 1,
        })
        .collect())
}
