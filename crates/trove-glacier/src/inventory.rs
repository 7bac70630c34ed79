//! A vault's inventory (the output of an `inventory-retrieval` job) and the names Trove gives
//! its archives: the `ArchiveDescription` when it looks like a path (tools often store the file
//! name there), the archive id otherwise.

use serde::Deserialize;

use crate::{Error, Result};

/// One archive of an inventory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Archive {
    /// The archive id.
    pub archive_id: String,
    /// The free-text description given at upload.
    #[serde(default)]
    pub archive_description: String,
    /// When it was uploaded (ISO 8601, as Glacier writes it).
    pub creation_date: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256 tree hash (hex).
    #[serde(rename = "SHA256TreeHash")]
    pub sha256_tree_hash: String,
}

impl Archive {
    /// The name Trove shows: the description as a relative path when it looks like one, else
    /// the archive id.
    pub fn name(&self) -> String {
        path_like(&self.archive_description).unwrap_or_else(|| self.archive_id.clone())
    }
}

/// A vault's inventory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Inventory {
    /// The vault's ARN.
    #[serde(rename = "VaultARN")]
    pub vault_arn: String,
    /// When Glacier last took the inventory.
    pub inventory_date: String,
    /// The archives.
    pub archive_list: Vec<Archive>,
}

/// Parses an inventory-retrieval job's JSON output; `vault` names it in errors.
pub fn parse_inventory(vault: &str, json: &[u8]) -> Result<Inventory> {
    serde_json::from_slice(json).map_err(|e| Error::Inventory {
        vault: vault.to_owned(),
        reason: e.to_string(),
    })
}

/// `description` as a relative `/`-separated path when it looks like a file's path: one line of
/// printable text, not JSON or XML, whose last segment has an extension or which has folders.
/// Windows separators become `/`; a leading `/` or drive is dropped.
pub fn path_like(description: &str) -> Option<String> {
    let text = description.trim();
    if text.is_empty()
        || text.len() > 1024
        || text.starts_with(['{', '<', '['])
        || text.chars().any(char::is_control)
    {
        return None;
    }
    let mut path = text.replace('\\', "/");
    if path.len() >= 2 && path.as_bytes()[1] == b':' && path.as_bytes()[0].is_ascii_alphabetic() {
        path.drain(..2);
    }
    let path = path.trim_start_matches('/').to_owned();
    let last = path.rsplit('/').next().unwrap_or("");
    let has_ext = last.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && (1..=8).contains(&ext.len())
            && ext.chars().all(|c| c.is_ascii_alphanumeric())
    });
    let has_dirs = path.contains('/') && !last.is_empty();
    (has_ext || has_dirs).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_that_look_like_paths_become_names() {
        assert_eq!(
            path_like("projects/a/clip.mov").as_deref(),
            Some("projects/a/clip.mov")
        );
        assert_eq!(path_like("clip.MXF").as_deref(), Some("clip.MXF"));
        assert_eq!(
            path_like("C:\\Shoots\\day 1\\a.mov").as_deref(),
            Some("Shoots/day 1/a.mov")
        );
        assert_eq!(
            path_like("/backups/2014/reel").as_deref(),
            Some("backups/2014/reel")
        );
        assert_eq!(path_like(""), None);
        assert_eq!(path_like("backup 2014"), None);
        assert_eq!(path_like("{\"path\": \"x.mov\"}"), None);
        assert_eq!(path_like("<m><p>eC5tb3Y=</p></m>"), None);
        assert_eq!(path_like("line\nbreak.mov"), None);
        assert_eq!(path_like(".hidden"), None);
        assert_eq!(path_like("version 1.0 final"), None);
    }

    #[test]
    fn inventories_parse_and_name_their_archives() {
        let json = br#"{"VaultARN": "arn:aws:glacier:us-east-1:123456789012:vaults/v1",
            "InventoryDate": "2026-12-03T18:29:04.000Z",
            "ArchiveList": [
              {"ArchiveId": "id1", "ArchiveDescription": "a/clip.mov", "CreationDate": "2026-12-03T18:28:59.000Z", "Size": 3000, "SHA256TreeHash": "ab"},
              {"ArchiveId": "id2", "ArchiveDescription": "", "CreationDate": "2026-12-03T18:28:59.000Z", "Size": 1, "SHA256TreeHash": "cd"}]}"#;
        let inventory = parse_inventory("v1", json).expect("parse");
        assert_eq!(inventory.archive_list.len(), 2);
        assert_eq!(inventory.archive_list[0].name(), "a/clip.mov");
        assert_eq!(inventory.archive_list[1].name(), "id2");
        let err = parse_inventory("v1", b"{\"ArchiveList\": 3}").expect_err("bad");
        assert!(
            err.to_string()
                .starts_with("inventory of glacier vault v1:"),
            "{err}"
        );
    }
}
