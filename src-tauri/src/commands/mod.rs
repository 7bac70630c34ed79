//! Tauri commands, grouped by area. Each is a few lines: state, one engine call, error mapping.
//!
//! Every path the UI hands over (a folder to add) is checked by the engine; every other request
//! names assets, jobs or sources by id, and paths to reveal or open come from the catalog.

pub(crate) mod assets;
pub(crate) mod collections;
pub(crate) mod dupes;
pub(crate) mod jobs;
pub(crate) mod library;
pub(crate) mod restore;
pub(crate) mod search;
pub(crate) mod sources;
