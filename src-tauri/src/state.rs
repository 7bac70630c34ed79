//! The library handle the commands share, opened once on first use.
//!
//! Opening is lazy and retried until it succeeds, so the window still comes up (and shows an
//! error) when the library cannot be opened yet.

use tokio::sync::OnceCell;
use trove_engine::Library;

/// Tauri-managed state: the open library, if it has been opened.
#[derive(Default)]
pub(crate) struct LibraryState {
    library: OnceCell<Library>,
}

impl LibraryState {
    /// The library in `TROVE_LIBRARY` or the default directory, opening it on first use.
    pub(crate) async fn library(&self) -> trove_engine::Result<&Library> {
        self.library
            .get_or_try_init(|| async {
                let dir = trove_engine::library_dir(None)?;
                tracing::info!(dir = %dir.display(), "opening library");
                Library::open(&dir).await
            })
            .await
    }
}
