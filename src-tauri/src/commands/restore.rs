//! The Archive view: restore plans (cost, ETA, refusals, online copies), starting restores, the
//! restore queue with desktop notifications, downloads of restored copies, and adding S3
//! buckets and Glacier vaults as sources.
//!
//! Each command is one engine call. Assets are named by id or by a search query (resolved by
//! the engine's index, like `trove restore --query`); the download folder comes from the system
//! dialog and is checked by the engine.

use std::ffi::OsString;

use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_notification::NotificationExt;
use tokio::sync::oneshot;
use trove_core::restore::{PlanRequest, Tier};
use trove_core::SourceView;
use trove_engine::{
    DownloadReport, DownloadTarget, GlacierConfig, Library, RestoreEvent, RestorePlanReport,
    RestoreStartReport, RestoreStatusReport, S3Config, S3SourceConfig, StatusOptions,
};

use crate::error::{ErrorKind, IpcError};
use crate::state::LibraryState;

/// The assets a restore command is about: ids picked in the grid, and/or a search query.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestoreSelection {
    /// Asset ids.
    #[serde(default)]
    ids: Vec<i64>,
    /// A search query whose hits are added.
    #[serde(default)]
    query: Option<String>,
}

/// What the planner is asked: tier and days of the temporary copy.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestoreOptions {
    /// `expedited`, `standard` or `bulk`.
    tier: String,
    /// Days the restored copy stays readable.
    days: u32,
}

/// An S3 bucket (`s3://BUCKET[/PREFIX]`) or Glacier vault (`glacier://VAULT`) to add.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RemoteSource {
    /// `s3://BUCKET[/PREFIX]` or `glacier://VAULT`.
    uri: String,
    /// The AWS profile whose credentials to use (otherwise the default chain).
    profile: Option<String>,
    /// The region (S3 corrects a wrong one).
    region: Option<String>,
    /// An S3-compatible endpoint.
    endpoint_url: Option<String>,
    /// Path-style addressing (S3 only).
    #[serde(default)]
    path_style: bool,
}

/// The engine's asset arguments for `selection` (ids as text, query hits added).
async fn assets(
    library: &Library,
    selection: &RestoreSelection,
) -> Result<Vec<OsString>, IpcError> {
    let mut assets: Vec<OsString> = selection
        .ids
        .iter()
        .map(|id| OsString::from(id.to_string()))
        .collect();
    if let Some(query) = selection.query.as_deref().map(str::trim) {
        if !query.is_empty() {
            let hits = library.query_assets(query).await?;
            if hits.is_empty() {
                return Err(IpcError::new(
                    ErrorKind::NotFound,
                    format!("no asset matches {query:?}"),
                ));
            }
            assets.extend(hits.into_iter().map(|id| OsString::from(id.to_string())));
        }
    }
    if assets.is_empty() {
        return Err(IpcError::invalid(
            "select assets in the grid, or plan the current search",
        ));
    }
    Ok(assets)
}

/// The planner's request from the UI's tier name and days.
fn request(options: &RestoreOptions) -> Result<PlanRequest, IpcError> {
    let tier = Tier::parse(&options.tier)
        .ok_or_else(|| IpcError::invalid(format!("unknown tier {:?}", options.tier)))?;
    Ok(PlanRequest {
        tier,
        days: options.days,
    })
}

/// What restoring the selection would cost and take, per object and per tier.
#[tauri::command]
pub(crate) async fn restore_plan(
    state: State<'_, LibraryState>,
    selection: RestoreSelection,
    options: RestoreOptions,
) -> Result<RestorePlanReport, IpcError> {
    let library = state.library().await?;
    let assets = assets(library, &selection).await?;
    Ok(library.restore_plan(&assets, request(&options)?).await?)
}

/// Starts the restores the plan calls for (idempotent: a restore under way is not asked again).
#[tauri::command]
pub(crate) async fn restore_start(
    state: State<'_, LibraryState>,
    selection: RestoreSelection,
    options: RestoreOptions,
) -> Result<RestoreStartReport, IpcError> {
    let library = state.library().await?;
    let assets = assets(library, &selection).await?;
    Ok(library.restore_start(&assets, request(&options)?).await?)
}

/// The restore queue, after running the checks that are due; batches that became ready and
/// copies about to expire are announced with a desktop notification.
#[tauri::command]
pub(crate) async fn restore_status(
    app: AppHandle,
    state: State<'_, LibraryState>,
    refresh: bool,
) -> Result<RestoreStatusReport, IpcError> {
    let library = state.library().await?;
    let report = library
        .restore_status(StatusOptions {
            refresh,
            offline: false,
        })
        .await?;
    for event in &report.events {
        if first_time(event) {
            notify(&app, event);
        }
    }
    Ok(report)
}

/// Whether `event` is new to this run of the app. A batch is reported ready once by the engine,
/// but a copy close to its expiry is in every status (the queue refreshes each minute): warn
/// about each copy and expiry once.
fn first_time(event: &RestoreEvent) -> bool {
    static WARNED: std::sync::Mutex<Vec<(String, i64)>> = std::sync::Mutex::new(Vec::new());
    match event {
        RestoreEvent::BatchReady { .. } => true,
        RestoreEvent::ExpiresSoon { uri, expiry } => {
            let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
            let key = (uri.clone(), *expiry);
            if warned.contains(&key) {
                false
            } else {
                warned.push(key);
                true
            }
        }
    }
}

/// The notification of one restore event: (title, body).
pub(crate) fn notification_text(event: &RestoreEvent) -> (String, String) {
    match event {
        RestoreEvent::BatchReady {
            batch_id,
            ready,
            not_ready,
        } => (
            "Restore ready".to_owned(),
            if *not_ready > 0 {
                format!("Batch {batch_id}: {ready} copies readable, {not_ready} not")
            } else {
                format!("Batch {batch_id}: {ready} copies readable")
            },
        ),
        RestoreEvent::ExpiresSoon { uri, expiry } => (
            "Restored copy expires soon".to_owned(),
            format!(
                "{uri} expires {}; download it before then",
                trove_core::restore::format_utc((*expiry).max(0) as u64)
            ),
        ),
    }
}

/// Shows `event` as a desktop notification (best effort: no notification daemon, no popup).
fn notify(app: &AppHandle, event: &RestoreEvent) {
    let (title, body) = notification_text(event);
    if let Err(err) = app
        .notification()
        .builder()
        .title(&title)
        .body(&body)
        .show()
    {
        tracing::warn!(error = %err, %title, "cannot show a notification");
    }
}

/// Downloads the readable copies of the selection into a folder the user picks (verified by the
/// engine); `None` when they cancel the dialog.
#[tauri::command]
pub(crate) async fn restore_download(
    app: AppHandle,
    state: State<'_, LibraryState>,
    selection: RestoreSelection,
) -> Result<Option<DownloadReport>, IpcError> {
    let library = state.library().await?;
    let assets = assets(library, &selection).await?;
    let (tx, rx) = oneshot::channel();
    app.dialog()
        .file()
        .set_title("Download restored copies to…")
        .pick_folder(move |folder| {
            // The command may have been abandoned (window closed); nobody to tell then.
            let _ = tx.send(folder);
        });
    let folder = rx
        .await
        .map_err(|_| IpcError::new(ErrorKind::Internal, "the folder dialog closed unexpectedly"))?;
    let Some(folder) = folder else {
        return Ok(None);
    };
    let dir = folder
        .into_path()
        .map_err(|e| IpcError::invalid(format!("not a local folder: {e}")))?;
    Ok(Some(
        library
            .restore_download(&assets, &DownloadTarget::Folder(dir))
            .await?,
    ))
}

/// Adds an S3 bucket or a Glacier vault as a source. The engine checks access first (S3: the
/// bucket is opened and its region corrected; a vault: an inventory job is started), so a
/// wrong name, endpoint or credential is refused here and nothing is added.
#[tauri::command]
pub(crate) async fn source_add_remote(
    state: State<'_, LibraryState>,
    source: RemoteSource,
) -> Result<SourceView, IpcError> {
    let library = state.library().await?;
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let uri = source.uri.trim();
    if uri.starts_with("s3://") {
        let config = S3SourceConfig {
            s3: S3Config {
                profile: text(source.profile),
                region: text(source.region),
                endpoint_url: text(source.endpoint_url),
                path_style: source.path_style,
            },
            inventory: None,
        };
        Ok(library.add_s3_source(uri, &config).await?)
    } else if uri.starts_with("glacier://") {
        let config = GlacierConfig {
            profile: text(source.profile),
            region: text(source.region),
            endpoint_url: text(source.endpoint_url),
        };
        Ok(library.add_glacier_source(uri, &config).await?)
    } else {
        Err(IpcError::invalid(
            "give s3://BUCKET[/PREFIX] or glacier://VAULT",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_parse_from_the_ui_names() {
        for (name, tier) in [
            ("expedited", Tier::Expedited),
            ("standard", Tier::Standard),
            ("bulk", Tier::Bulk),
        ] {
            let options = RestoreOptions {
                tier: name.into(),
                days: 3,
            };
            assert_eq!(request(&options).expect("a tier").tier, tier);
        }
        let bad = RestoreOptions {
            tier: "warp".into(),
            days: 3,
        };
        assert!(request(&bad).is_err());
    }

    #[test]
    fn notifications_name_the_batch_and_the_expiry() {
        let (title, body) = notification_text(&RestoreEvent::BatchReady {
            batch_id: 7,
            ready: 2,
            not_ready: 1,
        });
        assert_eq!(title, "Restore ready");
        assert_eq!(body, "Batch 7: 2 copies readable, 1 not");
        let (title, body) = notification_text(&RestoreEvent::ExpiresSoon {
            uri: "s3://b/k".into(),
            expiry: 0,
        });
        assert_eq!(title, "Restored copy expires soon");
        assert!(body.starts_with("s3://b/k expires 1970-01-01"), "{body}");
    }

    #[test]
    fn an_expiry_is_warned_about_once_a_batch_always() {
        let soon = |uri: &str, expiry| RestoreEvent::ExpiresSoon {
            uri: uri.into(),
            expiry,
        };
        assert!(first_time(&soon("s3://t/once", 100)));
        assert!(!first_time(&soon("s3://t/once", 100)));
        // Restored again: a new expiry is a new warning.
        assert!(first_time(&soon("s3://t/once", 200)));
        let ready = RestoreEvent::BatchReady {
            batch_id: 1,
            ready: 1,
            not_ready: 0,
        };
        assert!(first_time(&ready) && first_time(&ready));
    }
}
