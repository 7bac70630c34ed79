//! Trove's desktop shell: one window over the same `trove-engine` the `trove` CLI uses.
//!
//! The shell holds no business logic. It opens the library named by `TROVE_LIBRARY` (or the
//! default library directory), and each Tauri command in [`commands`] is one engine call whose
//! errors become the single IPC error of [`error`].

// Keep a console window from opening next to the app in Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod state;

use tauri::Manager;
use tracing_subscriber::EnvFilter;

use crate::state::LibraryState;

/// The app, ready to run: state, commands and start-up work, without a context.
fn app() -> tauri::Builder<tauri::Wry> {
    tauri::Builder::default()
        .manage(LibraryState::default())
        .invoke_handler(tauri::generate_handler![commands::library::library_stats])
        .setup(|app| {
            // Open the library while the window loads, so the first command finds it ready.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let state = handle.state::<LibraryState>();
                if let Err(err) = state.library().await {
                    error::log_chain("opening the library failed", &err);
                }
            });
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
