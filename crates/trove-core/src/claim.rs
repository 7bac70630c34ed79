//! Claims: each metadata value together with where it came from, and the precedence that picks
//! the effective value of every field.
//!
//! Trove stores claims, not values. A rescan replaces the claims of one source, a user edit is a
//! claim no scan overwrites, and merging duplicates is a union of claims. [`resolve`] turns a set
//! of claims into effective values, and flags conflicts rather than settling them silently. The
//! rules, and why they are what they are, are in `docs/metadata-schema.md`.

use crate::schema::{self, FieldClass, FieldDef, FieldKind, ValueError};
use crate::Error;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Where a claim comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimSource {
    /// An edit made in Trove by a person.
    User,
    /// An XMP sidecar next to the file (`clip.xmp`, `clip.mov.xmp`) or a `key.xmp` object on S3.
    SidecarXmp,
    /// The XMP packet inside the file.
    EmbeddedXmp,
    /// IPTC IIM (legacy stills metadata in JPEG/TIFF).
    IptcIim,
    /// EXIF (stills, and EXIF blocks in some video files).
    Exif,
    /// Container tags: QuickTime keys and udta/ilst, ID3, Vorbis comments, RIFF INFO, bext, MKV tags.
    ContainerTags,
    /// What a probe (ffprobe) measures from the streams and the container header.
    Probe,
    /// S3 object metadata (`x-amz-meta-*`) and object tags.
    S3,
    /// The file system: file name, times, content sniffing.
    FileSystem,
}

impl ClaimSource {
    /// Every source, in the order of this enum.
    pub const ALL: [ClaimSource; 9] = [
        ClaimSource::User,
        ClaimSource::SidecarXmp,
        ClaimSource::EmbeddedXmp,
        ClaimSource::IptcIim,
        ClaimSource::Exif,
        ClaimSource::ContainerTags,
        ClaimSource::Probe,
        ClaimSource::S3,
        ClaimSource::FileSystem,
    ];

    /// The stable name stored in the catalog and used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimSource::User => "user",
            ClaimSource::SidecarXmp => "sidecar_xmp",
            ClaimSource::EmbeddedXmp => "embedded_xmp",
            ClaimSource::IptcIim => "iptc_iim",
            ClaimSource::Exif => "exif",
            ClaimSource::ContainerTags => "container_tags",
            ClaimSource::Probe => "probe",
            ClaimSource::S3 => "s3",
            ClaimSource::FileSystem => "file_system",
        }
    }
}

impl fmt::Display for ClaimSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClaimSource {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        ClaimSource::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::Invalid {
                kind: "claim source",
                value: s.to_owned(),
            })
    }
}

/// One source's statement about one field of one asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// A registry key (see [`crate::FIELDS`]) or a custom field key (`custom.…`).
    pub field: String,
    /// The value; `null` from [`ClaimSource::User`] clears the field, from others it says nothing.
    pub value: Value,
    /// Where the value comes from.
    pub source: ClaimSource,
    /// The property as the source names it, e.g. `com.apple.quicktime.title`, `XMP-dc:Title`,
    /// `streams[0].codec_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_key: Option<String>,
}

impl Claim {
    /// A claim without a source key.
    pub fn new(field: impl Into<String>, value: Value, source: ClaimSource) -> Claim {
        Claim {
            field: field.into(),
            value,
            source,
            source_key: None,
        }
    }

    /// The same claim, naming the property it was read from.
    pub fn with_source_key(mut self, source_key: impl Into<String>) -> Claim {
        self.source_key = Some(source_key.into());
        self
    }
}

/// Sources in order of precedence: each inner slice is one rank, lowest first. Sources sharing a
/// rank conflict when they disagree; the first listed gives the effective value meanwhile.
type Ladder = &'static [&'static [ClaimSource]];

use ClaimSource as S;

/// Descriptive, rights and capture fields other than dates, and custom fields.
const EDITORIAL: Ladder = &[
    &[S::User],
    &[S::SidecarXmp],
    // The stills trio that the MWG rules reconcile: they disagree in real files, so disagreement
    // is shown to the editor instead of being settled by a fixed order.
    &[S::EmbeddedXmp, S::Exif, S::IptcIim],
    &[S::ContainerTags],
    &[S::S3],
    &[S::FileSystem],
];

/// Capture dates: sources that record the moment of capture with its zone come first.
const CAPTURE_DATE: Ladder = &[
    &[S::User],
    &[S::Exif],
    &[S::ContainerTags],
    &[S::SidecarXmp],
    &[S::EmbeddedXmp],
    &[S::IptcIim],
    // The container header's creation_time: UTC, often the time of an encode or a copy.
    &[S::Probe],
    &[S::FileSystem],
    // Never S3: its LastModified is the upload time.
];

/// Technical facts: what is measured beats what is declared.
const TECHNICAL: Ladder = &[
    &[S::Probe],
    &[S::ContainerTags],
    &[S::Exif],
    &[S::EmbeddedXmp],
    &[S::SidecarXmp],
    &[S::S3],
    &[S::FileSystem],
];

/// The file's own history: the file's metadata first, the file system last.
const ADMINISTRATIVE: Ladder = &[
    &[S::EmbeddedXmp],
    &[S::Exif],
    &[S::IptcIim],
    &[S::ContainerTags],
    &[S::Probe],
    &[S::SidecarXmp],
    &[S::FileSystem],
    &[S::S3],
];

fn ladder(class: FieldClass, kind: FieldKind) -> Ladder {
    match (class, kind) {
        (FieldClass::Capture, FieldKind::DateTime) => CAPTURE_DATE,
        (FieldClass::Technical, _) => TECHNICAL,
        (FieldClass::Administrative, _) => ADMINISTRATIVE,
        (FieldClass::Descriptive | FieldClass::Rights | FieldClass::Capture, _) => EDITORIAL,
    }
}

/// Rank of `source` in `ladder` and its position within the rank.
fn position(ladder: Ladder, source: ClaimSource) -> Option<(u8, u8)> {
    ladder.iter().zip(0u8..).find_map(|(rank, r)| {
        rank.iter()
            .zip(0u8..)
            .find_map(|(s, p)| (*s == source).then_some((r, p)))
    })
}

/// How strongly `source` sets `field`: lower wins, equal ranks conflict when they disagree, and
/// `None` means this source never sets this field (a user on a technical field, S3 on a capture
/// date).
pub fn precedence(field: &FieldDef, source: ClaimSource) -> Option<u8> {
    position(ladder(field.class, field.kind), source).map(|(rank, _)| rank)
}

/// Whether people may edit `field` in Trove: false for technical facts and the file's history.
pub fn editable(field: &FieldDef) -> bool {
    precedence(field, ClaimSource::User).is_some()
}

/// Checks a user edit of `field`: refuses fields that are not [`editable`], then validates.
pub fn validate_edit(field: &FieldDef, value: &Value) -> Result<Value, ValueError> {
    if !editable(field) {
        return Err(ValueError::NotEditable {
            field: field.key.to_owned(),
        });
    }
    schema::validate(field, value)
}

/// The value a field takes, and the claim it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effective {
    /// The normalised value; `null` when a user cleared the field.
    pub value: Value,
    /// The source of the winning claim.
    pub source: ClaimSource,
    /// The property the winning claim was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_key: Option<String>,
}

/// Different values for one field from claims of the winning rank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The field key.
    pub field: String,
    /// Each distinct (source, value) pair at that rank, the effective one first.
    pub values: Vec<(ClaimSource, Value)>,
}

/// A claim that [`resolve`] set aside because its value does not fit its field.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The claim as given.
    pub claim: Claim,
    /// Why its value was refused.
    pub error: ValueError,
}

/// The outcome of [`resolve`]: effective values and everything that needs a person's attention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    /// The effective value of every field that has one, by key.
    pub effective: BTreeMap<String, Effective>,
    /// Fields whose winning rank holds different values, by key.
    pub conflicts: Vec<Conflict>,
    /// Claims on keys that are neither registry fields nor custom fields; kept, never applied.
    pub unknown: Vec<Claim>,
    /// Claims from a source that never sets their field (see [`precedence`]).
    pub ignored: Vec<Claim>,
    /// Claims on registry fields whose value does not validate.
    pub invalid: Vec<Rejected>,
}

/// A claim that takes part in resolution, with its sort key.
struct Candidate<'a> {
    rank: u8,
    position: u8,
    claim: &'a Claim,
    value: Value,
    text: String,
}

/// Picks the effective value of every field from `claims`.
///
/// Per field, the claim with the lowest rank wins; within a rank, the source listed first, then
/// the smallest source key and value, so the result does not depend on the order of `claims`.
/// Registry values are validated and normalised first; custom values are taken as stored (the
/// catalog validates them against their definitions). A `null` clears the field when a user
/// claims it and is skipped otherwise.
pub fn resolve(claims: &[Claim]) -> Resolved {
    let mut out = Resolved::default();
    let mut by_field: BTreeMap<&str, Vec<Candidate<'_>>> = BTreeMap::new();
    for claim in claims {
        let def = schema::field(&claim.field);
        let ladder = match def {
            Some(def) => ladder(def.class, def.kind),
            None if schema::is_custom_key(&claim.field) => EDITORIAL,
            None => {
                out.unknown.push(claim.clone());
                continue;
            }
        };
        let Some((rank, position)) = position(ladder, claim.source) else {
            out.ignored.push(claim.clone());
            continue;
        };
        let value = match def.map(|def| schema::validate(def, &claim.value)) {
            None => claim.value.clone(),
            Some(Ok(value)) => value,
            Some(Err(error)) => {
                out.invalid.push(Rejected {
                    claim: claim.clone(),
                    error,
                });
                continue;
            }
        };
        if value.is_null() && claim.source != ClaimSource::User {
            continue;
        }
        let text = value.to_string();
        by_field.entry(&claim.field).or_default().push(Candidate {
            rank,
            position,
            claim,
            value,
            text,
        });
    }
    for (field, mut candidates) in by_field {
        candidates.sort_by(|a, b| {
            (a.rank, a.position, &a.claim.source_key, &a.text).cmp(&(
                b.rank,
                b.position,
                &b.claim.source_key,
                &b.text,
            ))
        });
        let Some(winner) = candidates.first() else {
            continue;
        };
        let mut values: Vec<(ClaimSource, Value)> = Vec::new();
        for c in candidates.iter().take_while(|c| c.rank == winner.rank) {
            let pair = (c.claim.source, c.value.clone());
            if !values.contains(&pair) {
                values.push(pair);
            }
        }
        if values.iter().any(|(_, v)| *v != winner.value) {
            out.conflicts.push(Conflict {
                field: field.to_owned(),
                values,
            });
        }
        out.effective.insert(
            field.to_owned(),
            Effective {
                value: winner.value.clone(),
                source: winner.claim.source,
                source_key: winner.claim.source_key.clone(),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FIELDS;
    use serde_json::json;
    use ClaimSource::*;

    fn claim(field: &str, value: Value, source: ClaimSource) -> Claim {
        Claim::new(field, value, source)
    }

    /// One line per effective value, conflict, and set-aside claim.
    fn render(resolved: &Resolved) -> String {
        let mut lines = Vec::new();
        for (key, e) in &resolved.effective {
            lines.push(format!("{key} = {} ({})", e.value, e.source));
        }
        for c in &resolved.conflicts {
            let values: Vec<String> = c.values.iter().map(|(s, v)| format!("{s} {v}")).collect();
            lines.push(format!("conflict {}: {}", c.field, values.join(", ")));
        }
        for c in &resolved.unknown {
            lines.push(format!("unknown {} ({})", c.field, c.source));
        }
        for c in &resolved.ignored {
            lines.push(format!("ignored {} ({})", c.field, c.source));
        }
        for r in &resolved.invalid {
            lines.push(format!(
                "invalid {} ({}): {}",
                r.claim.field, r.claim.source, r.error
            ));
        }
        lines.join("\n")
    }

    /// Resolves `claims` forwards and backwards (the result must not depend on their order) and
    /// compares the rendering with `expect`.
    fn check(claims: &[Claim], expect: &str) {
        let forward = resolve(claims);
        let mut reversed = claims.to_vec();
        reversed.reverse();
        let backward = resolve(&reversed);
        assert_eq!(
            forward.effective, backward.effective,
            "order changed the result"
        );
        assert_eq!(
            forward.conflicts, backward.conflicts,
            "order changed the conflicts"
        );
        assert_eq!(render(&forward), expect.trim());
    }

    #[test]
    fn user_beats_sidecar_beats_embedded() {
        check(
            &[
                claim("title", json!("From the file"), EmbeddedXmp),
                claim("title", json!("From the sidecar"), SidecarXmp),
                claim("title", json!("Typed by an editor"), User),
                claim("description", json!("From the file"), EmbeddedXmp),
                claim("description", json!("From the sidecar"), SidecarXmp),
                claim("headline", json!("From the file"), EmbeddedXmp),
                claim("headline", json!("clip.mov"), FileSystem),
            ],
            r#"
description = "From the sidecar" (sidecar_xmp)
headline = "From the file" (embedded_xmp)
title = "Typed by an editor" (user)
"#,
        );
    }

    #[test]
    fn probe_wins_technical_and_users_cannot_edit_it() {
        check(
            &[
                claim("width", json!(1280), User),
                claim("width", json!(1920), Probe),
                claim("width", json!(1920), EmbeddedXmp),
                claim("frame_rate", json!("23.000"), ContainerTags),
                claim("frame_rate", json!("24000/1001"), Probe),
                claim("sample_rate", json!(48000), ContainerTags),
            ],
            r#"
frame_rate = "24000/1001" (probe)
sample_rate = 48000 (container_tags)
width = 1920 (probe)
ignored width (user)
"#,
        );
        let width = crate::field("width").expect("registry field");
        assert!(!editable(width));
        assert_eq!(
            validate_edit(width, &json!(1280)).map_err(|e| e.to_string()),
            Err("width cannot be edited: it is measured from the file".to_owned())
        );
        let title = crate::field("title").expect("registry field");
        assert_eq!(validate_edit(title, &json!(" Dawn ")), Ok(json!("Dawn")));
    }

    #[test]
    fn capture_date_order_and_never_s3() {
        check(
            &[
                claim("captured_at", json!("2024-06-01T09:00:00Z"), S3),
                claim("captured_at", json!("2024-05-03T10:00:00Z"), FileSystem),
            ],
            r#"
captured_at = "2024-05-03T10:00:00Z" (file_system)
ignored captured_at (s3)
"#,
        );
        check(
            &[
                claim("captured_at", json!("2024-05-01T12:00:00Z"), Probe),
                claim("captured_at", json!("2024-05-01T14:00:00"), EmbeddedXmp),
                claim("captured_at", json!("2024:05:01 14:00:00+02:00"), Exif),
            ],
            r#"captured_at = "2024-05-01T14:00:00+02:00" (exif)"#,
        );
        check(
            &[
                claim("captured_at", json!("2024-05-01T12:00:00Z"), Probe),
                claim(
                    "captured_at",
                    json!("2024-05-01T14:00:00+02:00"),
                    ContainerTags,
                ),
                claim("captured_at", json!("1999-12-31"), User),
            ],
            r#"captured_at = "1999-12-31" (user)"#,
        );
    }

    #[test]
    fn conflicts_at_the_winning_rank() {
        // EXIF, IIM and embedded XMP share a rank: XMP shows, the disagreement is flagged.
        check(
            &[
                claim("description", json!("Harbour at dawn"), EmbeddedXmp),
                claim("description", json!("OLYMPUS DIGITAL CAMERA"), Exif),
                claim("description", json!("Harbour at dawn"), IptcIim),
            ],
            r#"
description = "Harbour at dawn" (embedded_xmp)
conflict description: embedded_xmp "Harbour at dawn", exif "OLYMPUS DIGITAL CAMERA", iptc_iim "Harbour at dawn"
"#,
        );
        // Two sidecars (clip.xmp and clip.mov.xmp) that disagree; the embedded value is out-ranked
        // and is not part of the conflict.
        check(
            &[
                claim("title", json!("B"), SidecarXmp).with_source_key("clip.xmp"),
                claim("title", json!("A"), SidecarXmp).with_source_key("clip.mov.xmp"),
                claim("title", json!("C"), EmbeddedXmp),
            ],
            r#"
title = "A" (sidecar_xmp)
conflict title: sidecar_xmp "A", sidecar_xmp "B"
"#,
        );
        // The same value from several claims is agreement, not a conflict; normalisation first.
        check(
            &[
                claim("keywords", json!(["boat", "Harbour"]), SidecarXmp),
                claim(
                    "keywords",
                    json!(["boat", "Harbour", "harbour"]),
                    SidecarXmp,
                ),
            ],
            r#"keywords = ["boat","Harbour"] (sidecar_xmp)"#,
        );
    }

    #[test]
    fn nulls_unknown_custom_and_invalid() {
        check(
            &[
                claim("title", json!("From the file"), EmbeddedXmp),
                claim("title", Value::Null, User),
                claim("label", Value::Null, SidecarXmp),
                claim("label", json!("Red"), EmbeddedXmp),
                claim("custom.stage", json!("Final"), User),
                claim("Custom.Stage", json!("x"), User),
                claim("xmp_toolkit_version", json!("4.4"), EmbeddedXmp),
                claim("frame_rate", json!("0/0"), Probe),
                claim("rating", json!(9), EmbeddedXmp),
            ],
            r#"
custom.stage = "Final" (user)
label = "Red" (embedded_xmp)
title = null (user)
unknown Custom.Stage (user)
unknown xmp_toolkit_version (embedded_xmp)
invalid frame_rate (probe): frame_rate: expected a positive ratio such as 24000/1001, 25 or 29.97, got "0/0"
invalid rating (embedded_xmp): rating: 9 is outside -1 to 5
"#,
        );
    }

    #[test]
    fn source_names() {
        for s in ClaimSource::ALL {
            assert_eq!(s.as_str().parse::<ClaimSource>().ok(), Some(s));
            assert_eq!(serde_json::to_value(s).ok(), Some(json!(s.as_str())));
        }
        assert!("sidecar".parse::<ClaimSource>().is_err());
        let c = claim("title", json!("Dawn"), SidecarXmp).with_source_key("XMP-dc:Title");
        let text = serde_json::to_string(&c).expect("serializes");
        assert_eq!(
            text,
            r#"{"field":"title","value":"Dawn","source":"sidecar_xmp","source_key":"XMP-dc:Title"}"#
        );
        assert_eq!(serde_json::from_str::<Claim>(&text).ok(), Some(c));
    }

    #[test]
    fn precedence_by_class() {
        let rank =
            |key: &str, source| precedence(crate::field(key).expect("registry field"), source);
        assert_eq!(rank("title", User), Some(0));
        assert_eq!(rank("title", Probe), None);
        assert_eq!(rank("rights", Exif), rank("rights", EmbeddedXmp));
        assert_eq!(rank("camera_model", IptcIim), rank("camera_model", Exif));
        assert_eq!(rank("captured_at", S3), None);
        assert!(rank("captured_at", Exif) < rank("captured_at", EmbeddedXmp));
        assert!(rank("captured_at", ContainerTags) < rank("captured_at", SidecarXmp));
        assert!(rank("captured_at", Probe) < rank("captured_at", FileSystem));
        assert_eq!(rank("duration", Probe), Some(0));
        assert_eq!(rank("duration", IptcIim), None);
        assert_eq!(rank("modified_at", User), None);
        for f in FIELDS {
            let technical = matches!(f.class, FieldClass::Technical | FieldClass::Administrative);
            assert_eq!(editable(f), !technical, "{}", f.key);
        }
    }
}
