//! One asset: its view with previews, editing metadata (one journalled batch), undo, and the
//! desktop conventions (reveal in the file manager, open with the default app).

use std::ffi::OsString;

use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;
use trove_engine::{Assignment, MetaSetReport, UndoReport};

use crate::error::{ErrorKind, IpcError};
use crate::state::{DupesState, LibraryState};
use crate::views::{badges, AssetDetail, FieldEdit, PreviewView};

/// Most assets one edit may change at once.
const MAX_EDIT_ASSETS: usize = 10_000;

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
    let library = state.library().await?;
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
