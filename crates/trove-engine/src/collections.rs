//! Collections: manual lists of assets and saved searches, searched like the whole library.

use crate::search::SearchReport;
use crate::{Error, Library, Result};
use std::ffi::OsString;
use trove_catalog::{Collection, Journal, NewCollection};
use trove_search::{SearchOptions, Sort};

/// The longest collection name accepted, in characters.
const NAME_MAX: usize = 200;

/// What an edit to a collection did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CollectionChange {
    /// The collection after the change.
    pub collection: Collection,
    /// Assets added or removed.
    pub changed: u64,
    /// The edit batch that `trove undo` reverts (`None` when nothing changed).
    pub batch: Option<i64>,
}

fn author() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::InvalidInput("a collection needs a name".into()));
    }
    if name.chars().count() > NAME_MAX {
        return Err(Error::InvalidInput(format!(
            "collection name {name:?} is longer than {NAME_MAX} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "collection name {name:?} contains a control character"
        )));
    }
    Ok(name)
}

impl Library {
    /// Creates a manual collection, or a smart one when `query` is given (saved with `sort`).
    pub async fn create_collection(
        &self,
        name: &str,
        query: Option<&str>,
        sort: Sort,
        command: &str,
    ) -> Result<CollectionChange> {
        let name = check_name(name)?;
        if let Some(query) = query {
            trove_search::validate_query(query)
                .map_err(|e| Error::InvalidInput(format!("collection {name:?}: {e}")))?;
        }
        let sort = (query.is_some() && sort != Sort::Relevance).then(|| sort.to_string());
        let new = NewCollection {
            name,
            query,
            sort: sort.as_deref(),
        };
        let author = author();
        let (collection, batch) = self
            .catalog
            .create_collection(
                &new,
                Journal {
                    author: &author,
                    command,
                },
            )
            .await?;
        Ok(CollectionChange {
            collection,
            changed: 0,
            batch: Some(batch),
        })
    }

    /// Every collection, by name.
    pub async fn collections(&self) -> Result<Vec<Collection>> {
        Ok(self.catalog.collections().await?)
    }

    /// Adds assets (ids, paths, URIs) to (`member`) or removes them from a manual collection,
    /// as one undoable batch.
    pub async fn collection_members(
        &self,
        name: &str,
        assets: &[OsString],
        member: bool,
        command: &str,
    ) -> Result<CollectionChange> {
        let collection = self.catalog.collection(name).await?;
        let mut ids = Vec::with_capacity(assets.len());
        for asset in assets {
            ids.push(self.resolve_asset(asset).await?);
        }
        if collection.query.is_some() {
            return Err(Error::InvalidInput(format!(
                "collection {:?} is a saved search: its members are what its query finds",
                collection.name
            )));
        }
        let author = author();
        let (changed, batch) = self
            .catalog
            .set_members(
                collection.id,
                &ids,
                member,
                Journal {
                    author: &author,
                    command,
                },
            )
            .await?;
        Ok(CollectionChange {
            collection: self.catalog.collection(&collection.name).await?,
            changed,
            batch,
        })
    }

    /// Deletes a collection (the assets stay); `trove undo` brings it back.
    pub async fn delete_collection(&self, name: &str, command: &str) -> Result<CollectionChange> {
        let collection = self.catalog.collection(name).await?;
        let author = author();
        let batch = self
            .catalog
            .delete_collection(
                collection.id,
                Journal {
                    author: &author,
                    command,
                },
            )
            .await?;
        Ok(CollectionChange {
            collection,
            changed: 0,
            batch: Some(batch),
        })
    }

    /// Searches within a collection: a manual one's members, or a saved search narrowed by
    /// `query` (in the saved order unless `options` asks for another).
    pub async fn search_collection(
        &self,
        name: &str,
        query: &str,
        options: &SearchOptions,
    ) -> Result<SearchReport> {
        let collection = self.catalog.collection(name).await?;
        let mut options = options.clone();
        match &collection.query {
            Some(saved) => {
                if options.sort == Sort::Relevance {
                    if let Some(sort) = collection.sort.as_deref().and_then(|s| s.parse().ok()) {
                        options.sort = sort;
                    }
                }
                self.search(&format!("{saved} {query}"), &options).await
            }
            None => {
                let members = self.catalog.collection_members(collection.id).await?;
                options.within = Some(members.iter().map(|id| id.0 as u64).collect());
                self.search(query, &options).await
            }
        }
    }
}
