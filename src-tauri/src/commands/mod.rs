//! Tauri commands, grouped by area. Each is a few lines: state, one engine call, error mapping.

pub(crate) mod library;
