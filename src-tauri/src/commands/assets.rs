//! One asset: its view with previews, editing metadata (one journalled batch), undo, and the
//! desktop conventions (reveal in the file manager, open with the default app, drag files out).

use std::ffi::OsString;
use std::path::PathBuf;

use tauri::{AppHandle, State, WebviewWindow};
use tauri_plugin_opener::OpenerExt;
use trove_engine::{Assignment, Library, MetaSetReport, UndoReport};

use crate::error::{ErrorKind, IpcError};
use crate::state::{DupesState, LibraryState};
use crate::views::{badges, AssetDetail, FieldEdit, PreviewView};

/// Most assets one edit may change at once.
const MAX_EDIT_ASSETS: usize = 10_000;
/// Most assets one drag may carry.
const MAX_DRAG_ASSETS: usize = 1_000;
/// The picture under the pointer while files are dragged out.
const DRAG_ICON: &[u8] = include_bytes!("../../../icons/32x32.png");

/// An asset with its metadata, provenance, locations and previews.
#[tauri::command]
pub(crate) async fn asset_show(
    state: State<'_, LibraryState>,
    dupes: State<'_, DupesState>,
    id: i64,
) -> Result<AssetDetail, IpcError> {
    let library = state.library().await?;
    let asset = library.show(id.to_string().as_ref()).await?;
    let previews = library.previews(asset.id).await?;
    let badges = badges(&asset, dupes.contains(id));
    Ok(AssetDetail {
        previews: previews.as_ref().map(PreviewView::of),
        badges,
        asset,
    })
}

/// Applies the editor's changes to every selected asset as one undoable batch.
#[tauri::command]
pub(crate) async fn meta_set(
    state: State<'_, LibraryState>,
    ids: Vec<i64>,
    edits: Vec<FieldEdit>,
) -> Result<MetaSetReport, IpcError> {
    if ids.len() > MAX_EDIT_ASSETS {
        return Err(IpcError::invalid(format!(
            "{} assets selected; edit at most {MAX_EDIT_ASSETS} at once",
            ids.len()
        )));
    }
    let library = state.library().await?;
    let texts: Vec<String> = edits.iter().map(FieldEdit::assignment_text).collect();
    let mut assignments = Vec::with_capacity(texts.len());
    for (edit, text) in edits.iter().zip(&texts) {
        let assignment = Assignment::parse(text)
            .ok_or_else(|| IpcError::invalid(format!("unknown field {:?}", edit.field)))?;
        assignments.push(assignment);
    }
    let assets: Vec<OsString> = ids
        .iter()
        .map(|id| OsString::from(id.to_string()))
        .collect();
    let command = format!(
        "desktop: meta set {} ({} assets)",
        texts.join(" "),
        ids.len()
    );
    Ok(library.meta_set(&assets, &assignments, &command).await?)
}

/// Undoes an edit batch (the last one when `batch` is none).
#[tauri::command]
pub(crate) async fn undo(
    state: State<'_, LibraryState>,
    batch: Option<i64>,
) -> Result<UndoReport, IpcError> {
    let library = state.library().await?;
    Ok(library.undo(batch).await?)
}

/// The path of an asset's first online media copy, from the catalog (never from the UI).
async fn media_path(state: &LibraryState, id: i64) -> Result<String, IpcError> {
    media_path_in(state.library().await?, id).await
}

/// [`media_path`] in `library`.
async fn media_path_in(library: &Library, id: i64) -> Result<String, IpcError> {
    let asset = library.show(id.to_string().as_ref()).await?;
    asset
        .locations
        .iter()
        .find(|l| l.role == "media" && l.online)
        .and_then(|l| l.path.clone())
        .ok_or_else(|| {
            IpcError::new(
                ErrorKind::NotFound,
                format!("asset {id} has no copy that can be reached now"),
            )
        })
}

/// Shows the asset's file in the file manager.
#[tauri::command]
pub(crate) async fn asset_reveal(
    app: AppHandle,
    state: State<'_, LibraryState>,
    id: i64,
) -> Result<(), IpcError> {
    let path = media_path(&state, id).await?;
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| IpcError::new(ErrorKind::Io, format!("cannot reveal {path}: {e}")))
}

/// Opens the asset's file with the default app.
#[tauri::command]
pub(crate) async fn asset_open(
    app: AppHandle,
    state: State<'_, LibraryState>,
    id: i64,
) -> Result<(), IpcError> {
    let path = media_path(&state, id).await?;
    app.opener()
        .open_path(&path, None::<&str>)
        .map_err(|e| IpcError::new(ErrorKind::Io, format!("cannot open {path}: {e}")))
}

/// The paths of the assets' first online media copies, from the catalog, leaving out assets
/// without one; an error naming how many were asked when none has.
async fn drag_paths(library: &Library, ids: &[i64]) -> Result<Vec<PathBuf>, IpcError> {
    if ids.len() > MAX_DRAG_ASSETS {
        return Err(IpcError::invalid(format!(
            "{} assets selected; drag at most {MAX_DRAG_ASSETS} at once",
            ids.len()
        )));
    }
    let mut paths = Vec::with_capacity(ids.len());
    for &id in ids {
        match media_path_in(library, id).await {
            Ok(path) => paths.push(PathBuf::from(path)),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if paths.is_empty() {
        return Err(IpcError::new(
            ErrorKind::NotFound,
            format!(
                "none of the {} dragged assets has a copy that can be reached now",
                ids.len()
            ),
        ));
    }
    Ok(paths)
}

/// Drags the assets' files out of the window (to a file manager, an editor's bin, a mail): a
/// native drag, since the webview's own cannot carry files. Offline and archived assets are
/// left out. Returns how many files the drag carries.
#[tauri::command]
pub(crate) async fn asset_drag(
    window: WebviewWindow,
    state: State<'_, LibraryState>,
    ids: Vec<i64>,
) -> Result<usize, IpcError> {
    let paths = drag_paths(state.library().await?, &ids).await?;
    let count = paths.len();
    let (sent, started) = tokio::sync::oneshot::channel();
    let source = window.clone();
    // GTK wants the drag begun on its own thread.
    window
        .run_on_main_thread(move || {
            let _ = sent.send(start_drag(&source, paths));
        })
        .map_err(|e| IpcError::new(ErrorKind::Io, format!("cannot start the drag: {e}")))?;
    started
        .await
        .map_err(|_| IpcError::new(ErrorKind::Io, "the drag was not started".to_owned()))?
        .map_err(|e| IpcError::new(ErrorKind::Io, format!("cannot start the drag: {e}")))?;
    Ok(count)
}

/// Begins a native drag of `paths` from `window`.
fn start_drag(window: &WebviewWindow, paths: Vec<PathBuf>) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    let gtk_window = window.gtk_window().map_err(|e| e.to_string())?;
    #[cfg(target_os = "linux")]
    let source = &gtk_window;
    #[cfg(not(target_os = "linux"))]
    let source = window;
    drag::start_drag(
        source,
        drag::DragItem::Files(paths),
        drag::Image::Raw(DRAG_ICON.to_vec()),
        |_, _| {},
        drag::Options::default(),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drags_carry_the_reachable_files_of_the_assets() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let media = tmp.path().join("media");
        std::fs::create_dir_all(media.join("away")).expect("folders");
        std::fs::write(media.join("a.wav"), b"RIFF one").expect("a");
        std::fs::write(media.join("away/b.wav"), b"RIFF two").expect("b");
        let library = Library::open(&tmp.path().join("library"))
            .await
            .expect("library");
        library
            .add_local_source(&media, false)
            .await
            .expect("source");
        let quiet = |_: &trove_engine::ScanProgress| {};
        library.scan(&[], &quiet).await.expect("scan");
        let id = |name: &'static str| {
            let (library, path) = (&library, media.join(name));
            async move { library.show(path.as_os_str()).await.expect("asset").id.0 }
        };
        let (a, b) = (id("a.wav").await, id("away/b.wav").await);

        // Both files, and an id that names no asset is left out.
        let paths = drag_paths(&library, &[a, b, 999_999]).await.expect("paths");
        assert_eq!(paths, [media.join("a.wav"), media.join("away/b.wav")]);

        // A file gone since the scan is not offered.
        std::fs::remove_dir_all(media.join("away")).expect("remove");
        library.scan(&[], &quiet).await.expect("rescan");
        let paths = drag_paths(&library, &[a, b]).await.expect("paths");
        assert_eq!(paths, [media.join("a.wav")]);
        let error = drag_paths(&library, &[b])
            .await
            .expect_err("nothing to drag");
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert!(
            error.to_string().contains("none of the 1 dragged assets"),
            "{error}"
        );

        // Too many at once is refused before anything is looked up.
        let many: Vec<i64> = (0..=MAX_DRAG_ASSETS as i64).collect();
        let error = drag_paths(&library, &many).await.expect_err("too many");
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
    }
}
