//! Collections and saved searches for the sidebar.

use std::ffi::OsString;

use tauri::State;
use trove_engine::{Collection, CollectionChange};
use trove_search::Sort;

use crate::error::IpcError;
use crate::state::LibraryState;

/// Every collection and saved search.
#[tauri::command]
pub(crate) async fn collections_list(
    state: State<'_, LibraryState>,
) -> Result<Vec<Collection>, IpcError> {
    let library = state.library().await?;
    Ok(library.collections().await?)
}

/// Saves `query` as a smart collection (a saved search) named `name`.
#[tauri::command]
pub(crate) async fn saved_search_create(
    state: State<'_, LibraryState>,
    name: String,
    query: String,
) -> Result<CollectionChange, IpcError> {
    let library = state.library().await?;
    let command = format!("desktop: save search {name:?} = {query:?}");
    Ok(library
        .create_collection(&name, Some(&query), Sort::Relevance, &command)
        .await?)
}

/// Adds assets to a manual collection, creating it first if no collection has that name.
#[tauri::command]
pub(crate) async fn collection_add(
    state: State<'_, LibraryState>,
    name: String,
    ids: Vec<i64>,
) -> Result<CollectionChange, IpcError> {
    let library = state.library().await?;
    let exists = library
        .collections()
        .await?
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(name.trim()));
    if !exists {
        let command = format!("desktop: create collection {name:?}");
        library
            .create_collection(&name, None, Sort::Relevance, &command)
            .await?;
    }
    let assets: Vec<OsString> = ids
        .iter()
        .map(|id| OsString::from(id.to_string()))
        .collect();
    let command = format!("desktop: add {} assets to {name:?}", ids.len());
    Ok(library
        .collection_members(&name, &assets, true, &command)
        .await?)
}
