//! Paths inside a source, kept as exact bytes so that any file name round-trips.
//!
//! Unix file names are bytes, not text: a name that is not UTF-8 must still be stored, shown and
//! found again. A [`RelPath`] holds the raw bytes of a path relative to its source root, with `/`
//! separators. Its textual forms are a `file://` URI (percent-encoded, exact) and a lossy display
//! string for people.

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Serialize, Serializer};
use std::ffi::OsString;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// A path relative to a source root, as raw bytes with `/` separators and no `.`/`..` parts.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelPath(Vec<u8>);

impl RelPath {
    /// Wraps bytes taken from the catalog.
    pub fn from_bytes(bytes: Vec<u8>) -> RelPath {
        RelPath(bytes)
    }

    /// The path of `path` under `root`, or `None` if it is not strictly inside it.
    pub fn under(root: &Path, path: &Path) -> Option<RelPath> {
        let rest = path.strip_prefix(root).ok()?;
        let mut out = Vec::new();
        for part in rest.components() {
            match part {
                Component::Normal(name) => {
                    if !out.is_empty() {
                        out.push(b'/');
                    }
                    out.extend_from_slice(&os_bytes(name));
                }
                Component::CurDir => {}
                _ => return None,
            }
        }
        (!out.is_empty()).then_some(RelPath(out))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Takes the raw bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The absolute path of this relative path under `root`.
    pub fn to_path(&self, root: &Path) -> PathBuf {
        root.join(bytes_os(&self.0))
    }

    /// The last component: the file name.
    pub fn file_name(&self) -> &[u8] {
        match self.0.iter().rposition(|&b| b == b'/') {
            Some(i) => &self.0[i + 1..],
            None => &self.0,
        }
    }

    /// The folder part including its trailing `/`, or empty at the root.
    pub fn dir_prefix(&self) -> &[u8] {
        match self.0.iter().rposition(|&b| b == b'/') {
            Some(i) => &self.0[..=i],
            None => &[],
        }
    }

    /// Whether the path is well-formed: relative, non-empty, no empty, `.` or `..` parts, no NUL.
    pub fn is_well_formed(&self) -> bool {
        !self.0.is_empty()
            && !self.0.contains(&0)
            && self
                .0
                .split(|&b| b == b'/')
                .all(|part| !part.is_empty() && part != b"." && part != b"..")
    }

    /// Whether this path is `dir` itself or lies beneath it.
    pub fn is_within(&self, dir: &RelPath) -> bool {
        self.0.starts_with(&dir.0) && (self.0.len() == dir.0.len() || self.0[dir.0.len()] == b'/')
    }

    /// A display string; bytes that are not UTF-8 become U+FFFD.
    pub fn to_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_lossy())
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_lossy())
    }
}

impl Serialize for RelPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_lossy())
    }
}

/// Characters escaped in a `file://` URI path: controls, space, and the URI delimiters.
const URI_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The `file://` URI of an absolute path; exact for any bytes (non-UTF-8 bytes are %-escaped).
pub fn file_uri(path: &Path) -> String {
    let bytes = os_bytes(path.as_os_str());
    let mut out = String::from("file://");
    for chunk in bytes.utf8_chunks() {
        out.extend(utf8_percent_encode(chunk.valid(), URI_PATH));
        for b in chunk.invalid() {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of a `file://` URI made by [`file_uri`], or `None` if `uri` is not one.
pub fn parse_file_uri(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes: Vec<u8> = percent_decode(rest.as_bytes()).collect();
    Some(PathBuf::from(bytes_os(&bytes)))
}

/// The raw bytes of a path (exact on Unix).
pub fn path_to_bytes(path: &Path) -> Vec<u8> {
    os_bytes(path.as_os_str())
}

/// A path from raw bytes made by [`path_to_bytes`].
pub fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(bytes_os(bytes))
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(unix)]
fn bytes_os(b: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(b.to_vec())
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().replace('\\', "/").into_bytes()
}

#[cfg(not(unix))]
fn bytes_os(b: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(b).into_owned())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn rel_path_under_root() {
        let root = Path::new("/media/a");
        let rel = RelPath::under(root, Path::new("/media/a/x/./y.mov")).expect("inside");
        assert_eq!(rel.as_bytes(), b"x/y.mov");
        assert_eq!(rel.file_name(), b"y.mov");
        assert_eq!(rel.dir_prefix(), b"x/");
        assert!(RelPath::under(root, Path::new("/media/a")).is_none());
        assert!(RelPath::under(root, Path::new("/media/ab/c")).is_none());
        assert!(RelPath::under(root, Path::new("/media/a/../b")).is_none());
    }

    #[test]
    fn within() {
        let dir = RelPath::from_bytes(b"a/b".to_vec());
        assert!(RelPath::from_bytes(b"a/b/c".to_vec()).is_within(&dir));
        assert!(RelPath::from_bytes(b"a/b".to_vec()).is_within(&dir));
        assert!(!RelPath::from_bytes(b"a/bc".to_vec()).is_within(&dir));
    }

    #[test]
    fn well_formed() {
        for (bytes, ok) in [
            (&b"a/b.mov"[..], true),
            (b"", false),
            (b"/a", false),
            (b"a//b", false),
            (b"a/../b", false),
            (b"a/\0", false),
            (b"\xff\xfe.mov", true),
        ] {
            assert_eq!(
                RelPath::from_bytes(bytes.to_vec()).is_well_formed(),
                ok,
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn uri_round_trips_any_bytes() {
        let raw: &[u8] = b"/m/caf\xc3\xa9 #1/\xff\xfe%x?.mov";
        let path = Path::new(std::ffi::OsStr::from_bytes(raw));
        let uri = file_uri(path);
        assert_eq!(uri, "file:///m/caf%C3%A9%20%231/%FF%FE%25x%3F.mov");
        assert_eq!(parse_file_uri(&uri).as_deref(), Some(path));
        assert_eq!(parse_file_uri("s3://b/k"), None);
    }
}
