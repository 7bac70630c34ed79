//! Writing an XMP sidecar by hand: one `rdf:Description`, namespaces declared on it, the
//! properties in the order of the schema table, so that equal values give equal bytes.

use super::gps::format_coordinate;
use super::{Kind, Ns, Shape, Step, EXIF, NAMESPACES, PROPS, XMP_DM};
use crate::text::clean;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A value to write.
#[derive(Debug)]
enum Out {
    Text(String),
    Alt(String),
    Bag(Vec<String>),
    Seq(Vec<String>),
    /// A struct (or, with a shape other than `Plain`, an array of one struct).
    Struct(Shape, Vec<(&'static Ns, &'static str, Out)>),
}

/// Writes a complete XMP sidecar for `values` (schema key → JSON value). Fields without an XMP
/// property, `null`s and values of the wrong type are left out. Deterministic: equal maps give
/// equal strings.
pub fn write_xmp(values: &BTreeMap<String, Value>) -> String {
    let mut props: Vec<(&'static Ns, &'static str, Out)> = Vec::new();
    for prop in PROPS.iter().filter(|p| p.write) {
        let Some(value) = values.get(prop.field) else {
            continue;
        };
        for (path, out) in outputs(prop.path, prop.kind, value) {
            insert(&mut props, path, out);
        }
    }
    let mut used = Vec::new();
    for (ns, _, out) in &props {
        collect(ns, out, &mut used);
    }
    let mut x = String::new();
    x.push_str("<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
    x.push_str("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Trove\">\n");
    x.push_str(" <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
    x.push_str("  <rdf:Description rdf:about=\"\"");
    for ns in NAMESPACES.iter().filter(|ns| used.contains(ns)) {
        let _ = write!(x, "\n    xmlns:{}=\"{}\"", ns.prefix, ns.uri);
    }
    x.push_str(">\n");
    for (ns, name, out) in &props {
        element(&mut x, 3, ns, name, out);
    }
    x.push_str("  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n");
    // Padding lets an editor grow the packet in place.
    for _ in 0..10 {
        x.push_str(&" ".repeat(99));
        x.push('\n');
    }
    x.push_str("<?xpacket end=\"w\"?>\n");
    x
}

/// The properties one schema value becomes: usually one, GPS altitude two (value and ref).
fn outputs(path: &'static [Step], kind: Kind, value: &Value) -> Vec<(&'static [Step], Out)> {
    const ALT_REF: &[Step] = &[super::p(&EXIF, "GPSAltitudeRef")];
    let text = || scalar(value).filter(|t| !t.is_empty());
    let out = match kind {
        Kind::Text => text().map(Out::Text),
        Kind::LangAlt => text().map(Out::Alt),
        Kind::Bag | Kind::Seq => {
            let items: Vec<String> = match value {
                Value::Array(items) => items.iter().filter_map(scalar).collect(),
                other => scalar(other).into_iter().collect(),
            };
            let items: Vec<String> = items.into_iter().filter(|i| !i.is_empty()).collect();
            match (items.is_empty(), kind) {
                (true, _) => None,
                (false, Kind::Bag) => Some(Out::Bag(items)),
                (false, _) => Some(Out::Seq(items)),
            }
        }
        Kind::Int => int(value).map(|i| Out::Text(i.to_string())),
        Kind::Coordinate(axis) => float(value).map(|v| Out::Text(format_coordinate(v, axis))),
        Kind::Altitude => {
            let Some(metres) = float(value) else {
                return Vec::new();
            };
            let millis = (metres.abs() * 1000.0).round() as i64;
            let reference = if metres < 0.0 { "1" } else { "0" };
            return vec![
                (path, Out::Text(format!("{millis}/1000"))),
                (ALT_REF, Out::Text(reference.to_string())),
            ];
        }
        Kind::Duration => float(value).filter(|v| *v >= 0.0).map(|seconds| {
            let millis = (seconds * 1000.0).round() as i64;
            Out::Struct(
                Shape::Plain,
                vec![
                    (&XMP_DM, "value", Out::Text(millis.to_string())),
                    (&XMP_DM, "scale", Out::Text("1/1000".to_string())),
                ],
            )
        }),
        Kind::FieldOrder => text().and_then(|t| {
            let order = match t.as_str() {
                "progressive" => "Progressive",
                "interlaced_tff" => "Upper",
                "interlaced_bff" => "Lower",
                _ => return None,
            };
            Some(Out::Text(order.to_string()))
        }),
    };
    out.map(|o| vec![(path, o)]).unwrap_or_default()
}

/// A scalar as XMP text: strings cleaned (`None` when nothing is left), numbers as JSON writes them, booleans `True`/`False`.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => clean(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("True".to_string()),
        Value::Bool(false) => Some("False".to_string()),
        _ => None,
    }
}

fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|v: &f64| v.is_finite())
}

fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Puts `out` at `path`, merging structs that share a parent (`stDim:w` and `stDim:h`).
fn insert(fields: &mut Vec<(&'static Ns, &'static str, Out)>, path: &'static [Step], out: Out) {
    let Some((step, rest)) = path.split_first() else {
        return;
    };
    let existing = fields
        .iter()
        .position(|(ns, name, _)| *ns == step.ns && *name == step.name);
    if rest.is_empty() {
        match existing {
            Some(i) => fields[i].2 = out,
            None => fields.push((step.ns, step.name, out)),
        }
        return;
    }
    let i = match existing {
        Some(i) => i,
        None => {
            fields.push((step.ns, step.name, Out::Struct(step.shape, Vec::new())));
            fields.len() - 1
        }
    };
    if let Out::Struct(_, inner) = &mut fields[i].2 {
        insert(inner, rest, out);
    }
}

fn collect(ns: &'static Ns, out: &Out, used: &mut Vec<&'static Ns>) {
    if !used.contains(&ns) {
        used.push(ns);
    }
    if let Out::Struct(_, fields) = out {
        for (ns, _, out) in fields {
            collect(ns, out, used);
        }
    }
}

fn element(x: &mut String, depth: usize, ns: &Ns, name: &str, out: &Out) {
    let pad = " ".repeat(depth);
    let tag = format!("{}:{}", ns.prefix, name);
    match out {
        Out::Text(t) => {
            let _ = writeln!(x, "{pad}<{tag}>{}</{tag}>", escape(t));
        }
        Out::Alt(t) => {
            let _ = writeln!(x, "{pad}<{tag}>\n{pad} <rdf:Alt>");
            let _ = writeln!(
                x,
                "{pad}  <rdf:li xml:lang=\"x-default\">{}</rdf:li>",
                escape(t)
            );
            let _ = writeln!(x, "{pad} </rdf:Alt>\n{pad}</{tag}>");
        }
        Out::Bag(items) | Out::Seq(items) => {
            let array = if matches!(out, Out::Bag(_)) {
                "rdf:Bag"
            } else {
                "rdf:Seq"
            };
            let _ = writeln!(x, "{pad}<{tag}>\n{pad} <{array}>");
            for item in items {
                let _ = writeln!(x, "{pad}  <rdf:li>{}</rdf:li>", escape(item));
            }
            let _ = writeln!(x, "{pad} </{array}>\n{pad}</{tag}>");
        }
        Out::Struct(Shape::Plain, fields) => {
            let _ = writeln!(x, "{pad}<{tag} rdf:parseType=\"Resource\">");
            for (ns, name, out) in fields {
                element(x, depth + 1, ns, name, out);
            }
            let _ = writeln!(x, "{pad}</{tag}>");
        }
        Out::Struct(shape, fields) => {
            let array = if *shape == Shape::Bag {
                "rdf:Bag"
            } else {
                "rdf:Seq"
            };
            let _ = writeln!(x, "{pad}<{tag}>\n{pad} <{array}>");
            let _ = writeln!(x, "{pad}  <rdf:li rdf:parseType=\"Resource\">");
            for (ns, name, out) in fields {
                element(x, depth + 3, ns, name, out);
            }
            let _ = writeln!(x, "{pad}  </rdf:li>\n{pad} </{array}>\n{pad}</{tag}>");
        }
    }
}

/// XML-escapes text for element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
