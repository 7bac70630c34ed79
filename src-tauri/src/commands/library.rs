//! Commands about the library as a whole.

use tauri::State;
use trove_core::Stats;

use crate::error::IpcError;
use crate::state::LibraryState;
use crate::views::{path_text, LibraryInfo};

/// The library's counts: assets, locations, sources and the rest of [`Stats`].
#[tauri::command]
pub(crate) async fn library_stats(state: State<'_, LibraryState>) -> Result<Stats, IpcError> {
    let library = state.library().await?;
    Ok(library.stats().await?)
}

/// Where the library and its previews are.
#[tauri::command]
pub(crate) async fn library_info(state: State<'_, LibraryState>) -> Result<LibraryInfo, IpcError> {
    let library = state.library().await?;
    Ok(LibraryInfo {
        dir: path_text(library.dir()),
        previews_dir: path_text(&library.dir().join(trove_engine::PREVIEWS_DIR)),
    })
}
