//! An XMP packet as a small tree of namespace-resolved elements, then as RDF properties.
//!
//! Namespaces are matched by URI, never by prefix: `<a:title xmlns:a="http://purl.org/dc/...">`
//! is `dc:title`. The RDF reading accepts what real writers produce: one `rdf:Description` per
//! namespace or a single one, properties as attributes (Lightroom), structs as nested
//! Descriptions, `rdf:parseType="Resource"` or attributes of the property element, and
//! `rdf:Alt`/`rdf:Bag`/`rdf:Seq` arrays.

use super::{XmpError, RDF, XML};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

/// A name resolved to its namespace URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    /// The namespace URI, empty when unbound.
    pub(crate) ns: String,
    /// The local name.
    pub(crate) local: String,
    /// The prefix as written (for names of unknown namespaces only).
    pub(crate) prefix: String,
}

impl Name {
    fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

#[derive(Debug)]
struct Element {
    name: Name,
    attrs: Vec<(Name, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n.is(ns, local))
            .map(|(_, v)| v.as_str())
    }
}

/// The value of an RDF property.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// A simple value (or a resource URI).
    Text(String),
    /// An `rdf:Alt`, `rdf:Bag` or `rdf:Seq`: items with their `xml:lang`.
    Array(Vec<(Option<String>, Node)>),
    /// A struct: its fields in document order.
    Struct(Vec<(Name, Node)>),
}

/// Parses `packet` and returns the top-level properties of every `rdf:Description`, in order.
pub(crate) fn properties(packet: &[u8]) -> Result<Vec<(Name, Node)>, XmpError> {
    let packet = packet.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(packet);
    let text = std::str::from_utf8(packet).map_err(|e| XmpError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let root = parse(text)?;
    let rdf = find(&root, RDF, "RDF").ok_or(XmpError::NoRdf)?;
    let mut props = Vec::new();
    for description in &rdf.children {
        if description.name.is(RDF, "Description") {
            props.extend(fields(description));
        }
    }
    Ok(props)
}

fn find<'a>(el: &'a Element, ns: &str, local: &str) -> Option<&'a Element> {
    if el.name.is(ns, local) {
        return Some(el);
    }
    el.children.iter().find_map(|c| find(c, ns, local))
}

fn parse(text: &str) -> Result<Element, XmpError> {
    let mut reader = NsReader::from_str(text);
    let mut stack = vec![Element {
        name: Name {
            ns: String::new(),
            local: String::new(),
            prefix: String::new(),
        },
        attrs: Vec::new(),
        children: Vec::new(),
        text: String::new(),
    }];
    let xml_error = |reader: &NsReader<&[u8]>, e: quick_xml::Error| XmpError::Xml {
        offset: reader.error_position(),
        message: e.to_string(),
    };
    loop {
        let event = reader.read_event().map_err(|e| xml_error(&reader, e))?;
        match event {
            Event::Start(e) => {
                let el = element(&reader, &e)?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = element(&reader, &e)?;
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                let el = stack.pop();
                match (el, stack.last_mut()) {
                    (Some(el), Some(parent)) => parent.children.push(el),
                    _ => return Err(XmpError::Unbalanced { element: name }),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(|e| xml_error(&reader, e))? {
                    Some(ch) => ch,
                    None => match &*r.xml10_content() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => {
                            return Err(XmpError::UnknownEntity {
                                entity: other.to_string(),
                            })
                        }
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match stack.pop() {
        Some(root) if stack.is_empty() => Ok(root),
        Some(open) => Err(XmpError::Unclosed {
            element: format!("{}:{}", open.name.prefix, open.name.local),
        }),
        None => Err(XmpError::NoRdf),
    }
}

fn element(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Result<Element, XmpError> {
    let resolver = reader.resolver();
    let (ns, local) = resolver.resolve_element(start.name());
    let name = resolve(ns, local.as_ref(), start.name().prefix())?;
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmpError::Xml {
            offset: reader.buffer_position(),
            message: e.to_string(),
        })?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = resolver.resolve_attribute(attr.key);
        let attr_name = resolve(ns, local.as_ref(), attr.key.prefix())?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| XmpError::Xml {
                offset: reader.buffer_position(),
                message: e.to_string(),
            })?;
        attrs.push((attr_name, value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

fn resolve(
    ns: ResolveResult<'_>,
    local: &str,
    prefix: Option<quick_xml::name::Prefix<'_>>,
) -> Result<Name, XmpError> {
    let prefix = prefix.map(|p| p.as_ref().to_string()).unwrap_or_default();
    let ns = match ns {
        ResolveResult::Bound(ns) => ns.as_ref().to_string(),
        ResolveResult::Unbound => String::new(),
        ResolveResult::Unknown(p) => {
            // quick-xml may not predeclare `xml:`; it is bound by definition.
            if p == "xml" {
                XML.to_string()
            } else {
                return Err(XmpError::UndeclaredPrefix { prefix: p });
            }
        }
    };
    Ok(Name {
        ns,
        local: local.to_string(),
        prefix,
    })
}

/// Whether an attribute is RDF or XML syntax rather than a property.
fn is_syntax(name: &Name) -> bool {
    name.ns == RDF || name.ns == XML || name.ns.is_empty()
}

/// The properties of a Description (or struct): its non-syntax attributes, then its children.
fn fields(el: &Element) -> Vec<(Name, Node)> {
    let mut out: Vec<(Name, Node)> = el
        .attrs
        .iter()
        .filter(|(n, _)| !is_syntax(n))
        .map(|(n, v)| (n.clone(), Node::Text(v.clone())))
        .collect();
    out.extend(el.children.iter().map(|c| (c.name.clone(), value(c))));
    out
}

/// The value of a property element.
fn value(el: &Element) -> Node {
    if let Some(resource) = el.attr(RDF, "resource") {
        return Node::Text(resource.to_string());
    }
    if el.attr(RDF, "parseType") == Some("Resource") {
        return structure(fields(el));
    }
    if let Some(first) = el.children.first() {
        if first.name.ns == RDF && matches!(first.name.local.as_str(), "Alt" | "Bag" | "Seq") {
            let items = first
                .children
                .iter()
                .filter(|li| li.name.is(RDF, "li"))
                .map(|li| (li.attr(XML, "lang").map(str::to_string), value(li)))
                .collect();
            return Node::Array(items);
        }
        if first.name.is(RDF, "Description") {
            return structure(fields(first));
        }
        return structure(fields(el));
    }
    if el.attrs.iter().any(|(n, _)| !is_syntax(n)) {
        return structure(fields(el));
    }
    Node::Text(el.text.clone())
}

/// A struct, or the value it qualifies when it has an `rdf:value`.
fn structure(fields: Vec<(Name, Node)>) -> Node {
    match fields.iter().find(|(n, _)| n.is(RDF, "value")) {
        Some((_, v)) => v.clone(),
        None => Node::Struct(fields),
    }
}
