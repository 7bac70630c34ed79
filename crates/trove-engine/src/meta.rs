//! Editing metadata: `meta set` assignments, journalled as batches, and `undo`.
//!
//! An edit is a user claim; it wins over every source for descriptive fields and is refused for
//! technical ones (what the probe measures is not for people to overwrite). Values are parsed by
//! the field's kind and normalised by the schema before anything is written; one bad value
//! refuses the whole command, naming the field and the value.

use crate::{Error, Library, Result};
use serde::Serialize;
use std::ffi::OsString;
use trove_catalog::{Edit, UndoReport};
use trove_core::{field, is_custom_key, validate_edit, CustomFieldDef, CustomKind, FieldKind};

/// One `FIELD=VALUE`, `FIELD+=VALUE` or `FIELD-=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    /// Replace the value (an empty value clears the field).
    Set(String, String),
    /// Add to a list field.
    Add(String, String),
    /// Remove from a list field.
    Remove(String, String),
}

impl Assignment {
    /// Parses an argument; `None` when it is not an assignment to a known or custom field.
    pub fn parse(arg: &str) -> Option<Assignment> {
        let (left, value) = arg.split_once('=')?;
        let (key, make): (&str, fn(String, String) -> Assignment) =
            if let Some(k) = left.strip_suffix('+') {
                (k, Assignment::Add)
            } else if let Some(k) = left.strip_suffix('-') {
                (k, Assignment::Remove)
            } else {
                (left, Assignment::Set)
            };
        (field(key).is_some() || is_custom_key(key)).then(|| make(key.to_owned(), value.to_owned()))
    }

    fn key(&self) -> &str {
        match self {
            Assignment::Set(k, _) | Assignment::Add(k, _) | Assignment::Remove(k, _) => k,
        }
    }
}

/// What `meta set` did.
#[derive(Debug, Clone, Serialize)]
pub struct MetaSetReport {
    /// The journal batch (`trove undo BATCH` reverts it).
    pub batch: i64,
    /// Assets edited.
    pub assets: u64,
    /// Field values written.
    pub edits: u64,
}

/// Splits a list value on `;` (`\;` keeps a semicolon), trimming items and dropping empty ones.
fn split_list(text: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(item)) = (chars.next(), items.last_mut()) {
                    item.push(next);
                }
            }
            ';' => items.push(String::new()),
            c => {
                if let Some(item) = items.last_mut() {
                    item.push(c);
                }
            }
        }
    }
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The JSON form of a value typed on the command line, by the field's kind.
fn typed(kind: Option<FieldKind>, text: &str) -> serde_json::Value {
    use serde_json::Value;
    if text.is_empty() {
        return Value::Null;
    }
    match kind {
        Some(FieldKind::TextList) => Value::from(split_list(text)),
        Some(FieldKind::Integer) => text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| text.into(), Value::from),
        Some(FieldKind::Number) => text
            .trim()
            .parse::<f64>()
            .map_or_else(|_| text.into(), Value::from),
        Some(FieldKind::Bool) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Value::Bool(true),
            "false" | "no" | "0" => Value::Bool(false),
            _ => text.into(),
        },
        _ => text.into(),
    }
}

/// The value an assignment gives a field whose effective value is `current`: parsed by the
/// field's kind, applied (`+=`, `-=` on lists), then validated and normalised by the schema.
pub(crate) fn assignment_value(
    assignment: &Assignment,
    current: &serde_json::Value,
    custom: &[CustomFieldDef],
) -> std::result::Result<serde_json::Value, String> {
    let key = assignment.key();
    let def = field(key);
    let custom_def = custom.iter().find(|c| c.key() == key);
    if def.is_none() && custom_def.is_none() {
        return Err(format!(
            "{key} is not a field: define it first with `trove meta field add {key} --type TYPE`"
        ));
    }
    let kind = def
        .map(|d| d.kind)
        .or(match custom_def.map(CustomFieldDef::kind) {
            Some(CustomKind::Number) => Some(FieldKind::Number),
            _ => None,
        });
    let value = match assignment {
        Assignment::Set(_, text) => typed(kind, text),
        Assignment::Add(_, text) | Assignment::Remove(_, text) => {
            if kind != Some(FieldKind::TextList) {
                return Err(format!("{key} is not a list: use {key}=VALUE"));
            }
            let mut list: Vec<String> = serde_json::from_value(current.clone()).unwrap_or_default();
            let items = split_list(text);
            if matches!(assignment, Assignment::Add(..)) {
                list.extend(items);
            } else {
                list.retain(|v| !items.iter().any(|i| i.eq_ignore_ascii_case(v)));
            }
            serde_json::Value::from(list)
        }
    };
    match (def, custom_def, value) {
        (_, _, serde_json::Value::Null) => Ok(serde_json::Value::Null),
        (Some(def), _, value) => validate_edit(def, &value).map_err(|e| e.to_string()),
        (None, Some(custom), value) => custom.validate(&value).map_err(|e| e.to_string()),
        (None, None, value) => Ok(value),
    }
}

impl Library {
    /// Applies assignments to every asset named (ids, paths, URIs) as one undoable batch.
    pub async fn meta_set(
        &self,
        assets: &[OsString],
        assignments: &[Assignment],
        command: &str,
    ) -> Result<MetaSetReport> {
        if assets.is_empty() || assignments.is_empty() {
            return Err(Error::InvalidInput(
                "meta set needs at least one asset and one FIELD=VALUE".into(),
            ));
        }
        let mut ids = Vec::with_capacity(assets.len());
        for asset in assets {
            ids.push(self.resolve_asset(asset).await?);
        }
        let custom = self.catalog.custom_fields().await?;
        let mut edits = Vec::new();
        for &id in &ids {
            // Assignments apply in order: `keywords+=a keywords-=b` sees its own first change.
            let mut current = self.show(id.0.to_string().as_ref()).await?.metadata;
            for assignment in assignments {
                let key = assignment.key();
                let now = current.get(key).cloned().unwrap_or(serde_json::Value::Null);
                let value = assignment_value(assignment, &now, &custom)
                    .map_err(|e| Error::InvalidInput(format!("asset {id}: {e}")))?;
                current.insert(key.to_owned(), value.clone());
                edits.push(Edit {
                    asset: id,
                    field: key.to_owned(),
                    value: Some(value),
                });
            }
        }
        let author = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        let batch = self.catalog.apply_edits(&author, command, &edits).await?;
        Ok(MetaSetReport {
            batch,
            assets: ids.len() as u64,
            edits: edits.len() as u64,
        })
    }

    /// Defines a custom field that editors can then set on any asset.
    pub async fn define_custom_field(
        &self,
        key: &str,
        label: &str,
        kind: CustomKind,
    ) -> Result<CustomFieldDef> {
        let def = CustomFieldDef::new(key, label, kind)
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        self.catalog.put_custom_field(&def).await?;
        Ok(def)
    }

    /// The custom fields defined in this library.
    pub async fn custom_fields(&self) -> Result<Vec<CustomFieldDef>> {
        Ok(self.catalog.custom_fields().await?)
    }

    /// Reverts the edit batch `batch`, or the last one not yet undone.
    pub async fn undo(&self, batch: Option<i64>) -> Result<UndoReport> {
        // Copies a duplicate removal moved away go back first (verified); if one cannot, the
        // batch stays as it is.
        let target = match batch {
            Some(b) => Some(b),
            None => self.catalog.last_open_batch().await?,
        };
        if let Some(target) = target {
            self.restore_removals(target).await?;
        }
        self.catalog.undo(target).await?.ok_or_else(|| match batch {
            Some(b) => Error::NotFound(format!("edit batch {b} (or it was already undone)")),
            None => Error::InvalidInput("there is no edit to undo".to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_parse_only_for_known_fields() {
        let set = |k: &str, v: &str| Some(Assignment::Set(k.into(), v.into()));
        assert_eq!(Assignment::parse("title=Harbour"), set("title", "Harbour"));
        assert_eq!(Assignment::parse("title=a=b"), set("title", "a=b"));
        assert_eq!(
            Assignment::parse("keywords+=dawn"),
            Some(Assignment::Add("keywords".into(), "dawn".into()))
        );
        assert_eq!(
            Assignment::parse("keywords-=dawn"),
            Some(Assignment::Remove("keywords".into(), "dawn".into()))
        );
        assert_eq!(
            Assignment::parse("custom.reel=A001"),
            set("custom.reel", "A001")
        );
        assert_eq!(Assignment::parse("/media/a=b.mov"), None);
        assert_eq!(Assignment::parse("clip.mov"), None);
    }

    #[test]
    fn lists_split_on_semicolons() {
        assert_eq!(split_list("a; b ;;c"), ["a", "b", "c"]);
        assert_eq!(split_list(r"boats\; sail;dawn"), ["boats; sail", "dawn"]);
    }
}
