//! Parsing the query language (see the crate docs and `QUERY.md`) into clauses.
//!
//! Parsing needs no index: it resolves field names, ranges and dates and reports problems with
//! the character offset where they are. Turning clauses into tantivy queries (tokenizing words,
//! choosing fields) is [`crate::index`]'s job.

use std::ops::Bound;

use trove_core as schema;
use trove_core::FieldKind;

use crate::Error;

/// One clause of a query: all clauses must match, except excluded ones, which must not.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Clause {
    /// `-` before the clause.
    pub(crate) exclude: bool,
    /// What the clause matches.
    pub(crate) leaf: Leaf,
}

/// What one clause matches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Leaf {
    /// Every document (`*`).
    All,
    /// Words, a phrase or a prefix in a text field.
    Text {
        target: TextTarget,
        text: String,
        prefix: bool,
        quoted: bool,
    },
    /// An exact facet value, compared without case or accents.
    Exact {
        key: &'static str,
        value: String,
        prefix: bool,
    },
    /// `source:` — the exact source, or words of it.
    Source {
        text: String,
        prefix: bool,
        quoted: bool,
    },
    /// A range on a number or date field (dates as unix seconds).
    Range {
        field: NumField,
        lower: Bound<f64>,
        upper: Bound<f64>,
    },
}

/// The text field(s) a text clause searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextTarget {
    /// A free word: title (boosted), file name, path and body.
    Default,
    /// `title:`
    Title,
    /// `name:` (the primary file's name)
    Name,
    /// `path:`
    Path,
    /// A schema text field or a custom field, by key (`creator`, `custom.reel`).
    Keyed(String),
}

/// A numeric (fast) field that takes ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumField {
    Duration,
    Width,
    Height,
    FrameRate,
    Size,
    Captured,
}

impl NumField {
    /// The schema field's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            NumField::Duration => "duration",
            NumField::Width => "width",
            NumField::Height => "height",
            NumField::FrameRate => "frame_rate",
            NumField::Size => "size",
            NumField::Captured => "captured",
        }
    }
}

const MEDIA_TYPES: &[&str] = &["video", "audio", "image", "document", "other"];
const STATES: &[&str] = &[
    "online",
    "offline",
    "missing",
    "archived",
    "restoring",
    "ready",
];
const RESOLUTIONS: &[&str] = &["sd", "hd", "uhd"];

fn error(message: impl Into<String>, position: usize) -> Error {
    Error::Query {
        message: message.into(),
        position,
    }
}

/// Parses `query` into clauses. An empty query gives no clauses (everything matches).
pub(crate) fn parse(query: &str) -> Result<Vec<Clause>, Error> {
    let chars: Vec<char> = query.chars().collect();
    let n = chars.len();
    let mut clauses = Vec::new();
    let mut i = 0;
    while i < n {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let exclude = chars[i] == '-' && i + 1 < n && !chars[i + 1].is_whitespace();
        if exclude {
            i += 1;
        }
        if chars[i] == '"' {
            let (text, end) = quoted(&chars, i)?;
            i = end;
            clauses.push(Clause {
                exclude,
                leaf: Leaf::Text {
                    target: TextTarget::Default,
                    text,
                    prefix: false,
                    quoted: true,
                },
            });
            continue;
        }
        let mut j = i;
        while j < n && (chars[j].is_ascii_alphanumeric() || chars[j] == '_' || chars[j] == '.') {
            j += 1;
        }
        if j < n && chars[j] == ':' && chars[i].is_ascii_alphabetic() {
            let name_pos = i;
            let name: String = chars[i..j].iter().collect::<String>().to_ascii_lowercase();
            let vpos = j + 1;
            if vpos >= n || chars[vpos].is_whitespace() {
                return Err(error(format!("missing value after `{name}:`"), vpos));
            }
            let (value, is_quoted, end) = if chars[vpos] == '"' {
                let (text, end) = quoted(&chars, vpos)?;
                (text, true, end)
            } else {
                let end = word_end(&chars, vpos);
                (chars[vpos..end].iter().collect(), false, end)
            };
            i = end;
            let leaf = field_leaf(&name, name_pos, &value, vpos, is_quoted)?;
            clauses.push(Clause { exclude, leaf });
            continue;
        }
        let end = word_end(&chars, i);
        let word: String = chars[i..end].iter().collect();
        i = end;
        let leaf = if word.trim_end_matches('*').is_empty() {
            Leaf::All
        } else {
            let (text, prefix) = split_prefix(&word);
            Leaf::Text {
                target: TextTarget::Default,
                text,
                prefix,
                quoted: false,
            }
        };
        clauses.push(Clause { exclude, leaf });
    }
    Ok(clauses)
}

/// The text of the quote opening at `open`, and the index after its closing quote.
fn quoted(chars: &[char], open: usize) -> Result<(String, usize), Error> {
    let close = chars[open + 1..]
        .iter()
        .position(|&c| c == '"')
        .ok_or_else(|| error("unclosed quote", open))?;
    let text = chars[open + 1..open + 1 + close].iter().collect();
    Ok((text, open + close + 2))
}

fn word_end(chars: &[char], from: usize) -> usize {
    chars[from..]
        .iter()
        .position(|c| c.is_whitespace())
        .map_or(chars.len(), |p| from + p)
}

/// `clip_00*` → (`clip_00`, true).
fn split_prefix(word: &str) -> (String, bool) {
    match word.strip_suffix('*') {
        Some(stem) => (stem.trim_end_matches('*').to_owned(), true),
        None => (word.to_owned(), false),
    }
}

fn field_leaf(
    name: &str,
    name_pos: usize,
    value: &str,
    vpos: usize,
    is_quoted: bool,
) -> Result<Leaf, Error> {
    let (text, prefix) = if is_quoted {
        (value.to_owned(), false)
    } else {
        split_prefix(value)
    };
    let text_leaf = |target: TextTarget| {
        if text.is_empty() {
            Leaf::All
        } else {
            Leaf::Text {
                target,
                text: text.clone(),
                prefix,
                quoted: is_quoted,
            }
        }
    };
    let exact = |key: &'static str, allowed: &[&str]| -> Result<Leaf, Error> {
        if text.is_empty() {
            return Ok(Leaf::All);
        }
        let lower = text.to_lowercase();
        if !prefix && !allowed.is_empty() && !allowed.contains(&lower.as_str()) {
            return Err(error(
                format!(
                    "`{name}:` expects one of {}, got `{text}`",
                    allowed.join(", ")
                ),
                vpos,
            ));
        }
        Ok(Leaf::Exact {
            key,
            value: text.clone(),
            prefix,
        })
    };
    let num = |field: NumField| range(field, value, vpos);
    match name {
        "title" => Ok(text_leaf(TextTarget::Title)),
        "name" | "file" | "filename" | "file_name" => Ok(text_leaf(TextTarget::Name)),
        "path" => Ok(text_leaf(TextTarget::Path)),
        "keywords" | "keyword" | "tag" | "tags" => {
            Ok(text_leaf(TextTarget::Keyed("keywords".to_owned())))
        }
        "location" => Ok(text_leaf(TextTarget::Keyed("location_name".to_owned()))),
        "type" | "media_type" => exact("media_type", MEDIA_TYPES),
        "state" => exact("state", STATES),
        "storage" | "storage_class" => exact("storage_class", &[]),
        "resolution" | "res" => exact("resolution", RESOLUTIONS),
        "codec" => exact("codec", &[]),
        "duplicates" | "has_duplicates" | "dup" => {
            let value = match text.to_lowercase().as_str() {
                "yes" | "true" | "1" => "yes",
                "no" | "false" | "0" => "no",
                _ => {
                    return Err(error(
                        format!("`{name}:` expects yes or no, got `{text}`"),
                        vpos,
                    ))
                }
            };
            Ok(Leaf::Exact {
                key: "has_duplicates",
                value: value.to_owned(),
                prefix: false,
            })
        }
        "source" => Ok(if text.is_empty() {
            Leaf::All
        } else {
            Leaf::Source {
                text: text.clone(),
                prefix,
                quoted: is_quoted,
            }
        }),
        "duration" => num(NumField::Duration),
        "width" => num(NumField::Width),
        "height" => num(NumField::Height),
        "fps" | "frame_rate" => num(NumField::FrameRate),
        "size" => num(NumField::Size),
        "captured" | "captured_at" | "date" => num(NumField::Captured),
        _ if name.starts_with(schema::CUSTOM_PREFIX) => {
            if schema::is_custom_key(name) {
                Ok(text_leaf(TextTarget::Keyed(name.to_owned())))
            } else {
                Err(error(
                    format!("`{name}` is not a custom field key (custom. then a-z, 0-9, _)"),
                    name_pos,
                ))
            }
        }
        _ => match schema::field(name) {
            Some(def) if matches!(def.kind, FieldKind::Text | FieldKind::TextList) => {
                Ok(text_leaf(TextTarget::Keyed(name.to_owned())))
            }
            _ => Err(error(format!("unknown field `{name}`"), name_pos)),
        },
    }
}

/// One value of a range: the interval it denotes (a number is a point; a date is the
/// half-open span of its precision, e.g. a whole day).
#[derive(Debug, Clone, Copy)]
struct Scalar {
    lo: f64,
    hi: f64,
    hi_inclusive: bool,
}

impl Scalar {
    fn upper(self) -> Bound<f64> {
        if self.hi_inclusive {
            Bound::Included(self.hi)
        } else {
            Bound::Excluded(self.hi)
        }
    }
}

fn range(field: NumField, value: &str, vpos: usize) -> Result<Leaf, Error> {
    let scalar = |text: &str, pos: usize| -> Result<Scalar, Error> {
        let parsed = if field == NumField::Captured {
            parse_date(text).map(|(lo, hi)| Scalar {
                lo,
                hi,
                hi_inclusive: false,
            })
        } else {
            parse_number(field, text).map(|x| Scalar {
                lo: x,
                hi: x,
                hi_inclusive: true,
            })
        };
        parsed.ok_or_else(|| {
            let message = match field {
                NumField::Captured => format!(
                    "bad date `{text}`: expected YYYY, YYYY-MM, YYYY-MM-DD or \
                     YYYY-MM-DDThh:mm[:ss], e.g. captured:>2022-05-01 or \
                     captured:2021-01-01..2021-12-31"
                ),
                NumField::Size => format!(
                    "bad size `{text}`: expected bytes, optionally with a unit (KB, MB, GB, TB, \
                     KiB, MiB, GiB, TiB), e.g. size:>1GB"
                ),
                NumField::Duration => format!(
                    "bad duration `{text}`: expected seconds, 90s, 2min, 1h or h:mm:ss, \
                     e.g. duration:>60"
                ),
                _ => format!(
                    "bad number `{text}` for {}: e.g. {}:>=2160",
                    field.name(),
                    field.name()
                ),
            };
            error(message, pos)
        })
    };
    let ops: [(&str, u8); 5] = [(">=", 0), ("<=", 1), (">", 2), ("<", 3), ("=", 4)];
    for (op, code) in ops {
        if let Some(rest) = value.strip_prefix(op) {
            let s = scalar(rest, vpos + op.len())?;
            let (lower, upper) = match code {
                0 => (Bound::Included(s.lo), Bound::Unbounded),
                1 => (Bound::Unbounded, s.upper()),
                2 => (
                    if s.hi_inclusive {
                        Bound::Excluded(s.hi)
                    } else {
                        Bound::Included(s.hi)
                    },
                    Bound::Unbounded,
                ),
                3 => (Bound::Unbounded, Bound::Excluded(s.lo)),
                _ => (Bound::Included(s.lo), s.upper()),
            };
            return Ok(Leaf::Range {
                field,
                lower,
                upper,
            });
        }
    }
    if let Some((left, right)) = value.split_once("..") {
        if left.is_empty() && right.is_empty() {
            return Err(error("a range needs at least one end, e.g. 10..60", vpos));
        }
        let lower = if left.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Included(scalar(left, vpos)?.lo)
        };
        let upper = if right.is_empty() {
            Bound::Unbounded
        } else {
            scalar(right, vpos + left.chars().count() + 2)?.upper()
        };
        return Ok(Leaf::Range {
            field,
            lower,
            upper,
        });
    }
    let s = scalar(value, vpos)?;
    Ok(Leaf::Range {
        field,
        lower: Bound::Included(s.lo),
        upper: s.upper(),
    })
}

/// A finite, non-negative number, with the units the field allows.
fn parse_number(field: NumField, text: &str) -> Option<f64> {
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let value = if field == NumField::Duration && number.contains(':') && unit.is_empty() {
        // h:mm:ss or mm:ss
        let mut total = 0.0;
        for part in number.split(':') {
            total = total * 60.0 + part.parse::<f64>().ok()?;
        }
        total
    } else {
        let x: f64 = number.parse().ok()?;
        let factor = match (field, unit) {
            (_, "") => 1.0,
            (NumField::Size, "b") => 1.0,
            (NumField::Size, "k" | "kb") => 1e3,
            (NumField::Size, "m" | "mb") => 1e6,
            (NumField::Size, "g" | "gb") => 1e9,
            (NumField::Size, "t" | "tb") => 1e12,
            (NumField::Size, "kib") => 1024.0,
            (NumField::Size, "mib") => 1024.0 * 1024.0,
            (NumField::Size, "gib") => 1024.0 * 1024.0 * 1024.0,
            (NumField::Size, "tib") => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            (NumField::Duration, "s") => 1.0,
            (NumField::Duration, "m" | "min") => 60.0,
            (NumField::Duration, "h") => 3600.0,
            (NumField::Width | NumField::Height, "px") => 1.0,
            _ => return None,
        };
        x * factor
    };
    value.is_finite().then_some(value)
}

/// A date or date-time (UTC) as the half-open interval of unix seconds it covers.
fn parse_date(text: &str) -> Option<(f64, f64)> {
    let text = text.trim();
    let text = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let num = |s: &str, len: usize| -> Option<i64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let year = num(parts.first()?, 4)?;
    if year < 1 {
        return None;
    }
    let month = parts.get(1).map(|m| num(m, 2)).unwrap_or(Some(0))?;
    let day = parts.get(2).map(|d| num(d, 2)).unwrap_or(Some(0))?;
    if parts.len() > 3 || (parts.len() >= 2 && !(1..=12).contains(&month)) {
        return None;
    }
    if parts.len() == 3 && !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let start_day = days_from_civil(year, month.max(1), day.max(1));
    let secs = |days: i64| (days * 86_400) as f64;
    match (parts.len(), time) {
        (1, None) => Some((secs(start_day), secs(days_from_civil(year + 1, 1, 1)))),
        (2, None) => {
            let (ny, nm) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            Some((secs(start_day), secs(days_from_civil(ny, nm, 1))))
        }
        (3, None) => Some((secs(start_day), secs(start_day + 1))),
        (3, Some(time)) => {
            let t: Vec<&str> = time.split(':').collect();
            let hour = num(t.first()?, 2)?;
            let minute = num(t.get(1)?, 2)?;
            let second = t.get(2).map(|s| num(s, 2)).unwrap_or(Some(0))?;
            if t.len() > 3 || hour > 23 || minute > 59 || second > 60 {
                return None;
            }
            let start = secs(start_day) + (hour * 3600 + minute * 60 + second) as f64;
            let span = if t.len() == 3 { 1.0 } else { 60.0 };
            Some((start, start + span))
        }
        _ => None,
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn position(query: &str) -> usize {
        match parse(query) {
            Err(Error::Query { position, .. }) => position,
            other => panic!("{query:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02"), Some((86_400.0, 172_800.0)));
        assert_eq!(parse_date("2021"), Some((1_609_459_200.0, 1_640_995_200.0)));
        assert_eq!(
            parse_date("2022-05-01T10:30Z"),
            Some((1_651_401_000.0, 1_651_401_060.0))
        );
        assert_eq!(parse_date("2021-02-29"), None);
        assert_eq!(parse_date("2021-13"), None);
        assert_eq!(parse_date("21-01-01"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(NumField::Size, "1.5GB"), Some(1.5e9));
        assert_eq!(parse_number(NumField::Duration, "1:30"), Some(90.0));
        assert_eq!(parse_number(NumField::Duration, "2min"), Some(120.0));
        assert_eq!(parse_number(NumField::Height, "inf"), None);
        assert_eq!(parse_number(NumField::Height, "-5"), None);
    }

    #[test]
    fn clauses() {
        let clauses = parse(r#"-beach title:"big day" duration:>60 clip_00*"#).unwrap();
        assert_eq!(clauses.len(), 4);
        assert!(clauses[0].exclude);
        assert_eq!(
            clauses[1].leaf,
            Leaf::Text {
                target: TextTarget::Title,
                text: "big day".into(),
                prefix: false,
                quoted: true
            }
        );
        assert_eq!(
            clauses[2].leaf,
            Leaf::Range {
                field: NumField::Duration,
                lower: Bound::Excluded(60.0),
                upper: Bound::Unbounded
            }
        );
        assert!(
            matches!(&clauses[3].leaf, Leaf::Text { prefix: true, text, .. } if text == "clip_00")
        );
        assert!(parse("").unwrap().is_empty());
        assert_eq!(parse("*").unwrap()[0].leaf, Leaf::All);
    }

    #[test]
    fn error_positions() {
        assert_eq!(position(r#"beach "sunset"#), 6);
        assert_eq!(position("a bogus:x"), 2);
        assert_eq!(position("é duration:>abc"), 12);
        assert_eq!(position("captured:2021-02-30"), 9);
        assert_eq!(position("captured:2021..2021-13"), 15);
        assert_eq!(position("title:"), 6);
        assert_eq!(position("type:movie"), 5);
    }
}
