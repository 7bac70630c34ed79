//! Trove's desktop shell: one window over the same `trove-engine` the `trove` CLI uses.
//!
//! The shell holds no business logic. It opens the library named by `TROVE_LIBRARY` (or the
//! default library directory), and each Tauri command in [`commands`] is one engine call whose
//! errors become the single IPC error of [`error`]. Long work streams its progress over
//! channels, throttled by [`progress`]; [`views`] is where engine types become IPC types.

// Keep a console window from opening next to the app in Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod progress;
mod state;
mod views;

use std::path::Path;

use tauri::Manager;
use tracing_subscriber::EnvFilter;

use crate::state::{DupesState, LibraryState, RunnerState, WatchState};

/// Lets the asset protocol serve the library's previews folder, and nothing else.
///
/// The configured scope is empty; only this folder is added, canonicalized because the
/// protocol compares canonical paths.
fn allow_previews(app: &tauri::App) -> anyhow::Result<()> {
    let dir = trove_engine::library_dir(None)?.join(trove_engine::PREVIEWS_DIR);
    std::fs::create_dir_all(&dir)?;
    let dir = std::fs::canonicalize(&dir)?;
    app.asset_protocol_scope()
        .allow_directory(Path::new(&dir), true)?;
    tracing::info!(dir = %dir.display(), "the asset protocol serves the previews folder");
    Ok(())
}

/// The app, ready to run: plugins, state, commands and start-up work, without a context.
fn app() -> tauri::Builder<tauri::Wry> {
    tauri::Builder::default()
        // One instance: a second launch brings the first window forward and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                // Best effort: a window manager may refuse focus.
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        // Restore notices (a batch ready, a copy about to expire), sent from Rust only.
        .plugin(tauri_plugin_notification::init())
        .manage(LibraryState::default())
        .manage(RunnerState::default())
        .manage(WatchState::default())
        .manage(DupesState::default())
        .invoke_handler(tauri::generate_handler![
            commands::library::library_stats,
            commands::library::library_info,
            commands::search::search,
            commands::assets::asset_show,
            commands::assets::meta_set,
            commands::assets::undo,
            commands::assets::asset_reveal,
            commands::assets::asset_drag,
            commands::assets::asset_open,
            commands::collections::collections_list,
            commands::collections::saved_search_create,
            commands::collections::collection_add,
            commands::sources::sources_list,
            commands::sources::source_pick_folder,
            commands::sources::source_add,
            commands::sources::source_scan,
            commands::sources::watch_start,
            commands::sources::watch_stop,
            commands::sources::watch_status,
            commands::jobs::jobs_list,
            commands::jobs::jobs_subscribe,
            commands::jobs::jobs_cancel,
            commands::jobs::jobs_retry,
            commands::jobs::previews_make,
            commands::dupes::dupes_review,
            commands::restore::restore_plan,
            commands::restore::restore_start,
            commands::restore::restore_status,
            commands::restore::restore_download,
            commands::restore::source_add_remote,
        ])
        .setup(|app| {
            if let Err(err) = allow_previews(app) {
                // Previews will not show; everything else works.
                tracing::error!(error = %format!("{err:#}"), "cannot serve the previews folder");
            }
            // Open the library while the window loads, so the first command finds it ready.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let state = handle.state::<LibraryState>();
                if let Err(err) = state.library().await {
                    error::log_chain("opening the library failed", &err);
                }
            });
            tauri::async_runtime::spawn(commands::jobs::run_forever(app.handle().clone()));
            Ok(())
        })
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    app().run(tauri::generate_context!())?;
    Ok(())
}
