//! Commands about the library as a whole.

use tauri::State;
use trove_core::Stats;

use crate::error::IpcError;
use crate::state::LibraryState;

/// The library's counts: assets, locations, sources and the rest of [`Stats`].
#[tauri::command]
pub(crate) async fn library_stats(state: State<'_, LibraryState>) -> Result<Stats, IpcError> {
    let library = state.library().await?;
    Ok(library.stats().await?)
}
