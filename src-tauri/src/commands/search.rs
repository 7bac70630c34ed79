//! Search: pages of assets for the virtualized grid and list, with facet counts.

use serde::Deserialize;
use tauri::State;
use trove_search::{SearchOptions, Sort};

use crate::error::IpcError;
use crate::state::{DupesState, LibraryState};
use crate::views::{AssetItem, FacetValue, SearchPage};

/// The most assets one page may hold (the UI asks for about a screenful).
const MAX_PAGE: usize = 500;

/// What the browser asks for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchRequest {
    /// The query, in the query language.
    query: String,
    /// Hits to skip.
    offset: usize,
    /// Page size (at most [`MAX_PAGE`]).
    limit: usize,
    /// `relevance`, `name`, `-size`, … (as `trove search --sort`).
    sort: Option<String>,
    /// Search within this collection or saved search.
    collection: Option<String>,
    /// Count facet values too.
    facets: bool,
}

/// One page of matching assets.
#[tauri::command]
pub(crate) async fn search(
    state: State<'_, LibraryState>,
    dupes: State<'_, DupesState>,
    request: SearchRequest,
) -> Result<SearchPage, IpcError> {
    let library = state.library().await?;
    let sort: Sort = match request.sort.as_deref() {
        None | Some("") => Sort::Relevance,
        Some(text) => text.parse().map_err(IpcError::invalid)?,
    };
    let options = SearchOptions {
        limit: request.limit.clamp(1, MAX_PAGE),
        offset: request.offset,
        sort,
        facets: request.facets,
        within: None,
    };
    let report = match &request.collection {
        Some(name) => {
            library
                .search_collection(name, &request.query, &options)
                .await?
        }
        None => library.search(&request.query, &options).await?,
    };
    let mut items = Vec::with_capacity(report.hits.len());
    for hit in &report.hits {
        let previews = library.previews(hit.id).await?;
        items.push(AssetItem::new(
            hit,
            previews.as_ref(),
            dupes.contains(hit.id.0),
        ));
    }
    let facets = report
        .facets
        .into_iter()
        .map(|(name, values)| {
            let values = values
                .into_iter()
                .map(|v| FacetValue {
                    value: v.value,
                    count: v.count,
                })
                .collect();
            (name, values)
        })
        .collect();
    Ok(SearchPage {
        total: report.total,
        offset: request.offset,
        items,
        facets,
        facets_estimated: report.facets_estimated,
    })
}
