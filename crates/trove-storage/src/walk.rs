//! The local walker: `ignore`'s parallel walk with Trove's exclusion rules.
//!
//! Rules, in order of precedence:
//! 1. [`DEFAULT_EXCLUDES`]: OS junk (`.DS_Store`, `Thumbs.db`, AppleDouble `._*` files, `.Trashes`,
//!    `.Spotlight-V100`, …) and Trove's own control files are never indexed.
//! 2. A `.troveignore` file in gitignore syntax applies to its folder and everything below it; those
//!    of the folders above the source root apply too, so a walk of one subfolder (as the watcher
//!    does) obeys the same rules as a walk from the root.
//!
//! Hidden files are indexed, `.gitignore` files are not read, and only regular files are
//! reported (symbolic links are followed when the source says so; a loop is reported, not
//! followed). Per-entry problems are reported as [`WalkItem::Problem`] and never stop the walk.

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use trove_core::RelPath;

/// The per-folder ignore file, in gitignore syntax.
pub const IGNORE_FILE: &str = ".troveignore";

/// Names never indexed: OS junk and Trove's own control files.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".DS_Store",
    "._*",
    ".Trashes",
    ".Spotlight-V100",
    ".fseventsd",
    ".TemporaryItems",
    ".DocumentRevisions-V100",
    "Thumbs.db",
    "ehthumbs.db",
    "desktop.ini",
    "$RECYCLE.BIN",
    "System Volume Information",
    IGNORE_FILE,
    ".trove-volume",
];

/// How to walk one source.
#[derive(Debug, Clone)]
pub struct WalkConfig {
    /// The source root (absolute).
    pub root: PathBuf,
    /// Where to start: the root, or folders and files beneath it (which must not be excluded:
    /// see [`is_excluded`]).
    pub starts: Vec<PathBuf>,
    /// Follow symbolic links (loops are detected and reported).
    pub follow_links: bool,
    /// Walker threads; 0 picks one per core.
    pub threads: usize,
}

impl WalkConfig {
    /// Walks all of `root`.
    pub fn new(root: &Path) -> WalkConfig {
        WalkConfig {
            root: root.to_owned(),
            starts: vec![root.to_owned()],
            follow_links: true,
            threads: 0,
        }
    }
}

/// What a stat of a regular file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    /// Absolute path.
    pub path: PathBuf,
    /// Path under the source root.
    pub rel_path: RelPath,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: Option<i64>,
    /// Device of the file system holding it.
    pub device: Option<u64>,
    /// Inode number.
    pub inode: Option<u64>,
}

impl FileFacts {
    /// Stats `path` (following a symbolic link) as a file of the source at `root`.
    ///
    /// Returns `Ok(None)` for anything that is not a regular file, or not under `root`.
    pub fn stat(root: &Path, path: &Path) -> io::Result<Option<FileFacts>> {
        let meta = std::fs::metadata(path)?;
        Ok(Self::from_metadata(root, path, &meta))
    }

    fn from_metadata(root: &Path, path: &Path, meta: &std::fs::Metadata) -> Option<FileFacts> {
        if !meta.is_file() {
            return None;
        }
        let rel_path = RelPath::under(root, path)?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok());
        #[cfg(unix)]
        let (device, inode) = {
            use std::os::unix::fs::MetadataExt;
            (Some(meta.dev()), Some(meta.ino()))
        };
        #[cfg(not(unix))]
        let (device, inode) = (None, None);
        Some(FileFacts {
            path: path.to_owned(),
            rel_path,
            size: meta.len(),
            mtime_ns,
            device,
            inode,
        })
    }
}

/// A problem met while walking, which did not stop the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkProblem {
    /// The path concerned.
    pub path: PathBuf,
    /// What happened, for people.
    pub message: String,
    /// The file vanished between listing and stat: it is simply gone.
    pub vanished: bool,
}

/// One finding of the walk.
#[derive(Debug)]
pub enum WalkItem {
    /// A regular file.
    File(FileFacts),
    /// Something that could not be read.
    Problem(WalkProblem),
}

/// Receives the findings of one walker thread; dropped when that thread is done, so a visitor
/// that buffers can flush in `Drop`.
pub trait Visitor: Send {
    /// Handles one finding; returns `false` to stop the walk.
    fn visit(&mut self, item: WalkItem) -> bool;
}

impl<F: FnMut(WalkItem) -> bool + Send> Visitor for F {
    fn visit(&mut self, item: WalkItem) -> bool {
        self(item)
    }
}

/// Walks the source in parallel, with one visitor per walker thread made by `make_visitor`, for
/// every regular file and every problem. Blocks until done.
pub fn walk<V, B>(config: &WalkConfig, mut make_visitor: B)
where
    V: Visitor,
    B: FnMut() -> V,
{
    let Some((first, rest)) = config.starts.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for start in rest {
        builder.add(start);
    }
    builder
        .standard_filters(false)
        .parents(true)
        .add_custom_ignore_filename(IGNORE_FILE)
        .follow_links(config.follow_links)
        .threads(config.threads);
    if let Some(o) = default_excludes(&config.root) {
        builder.overrides(o);
    }
    let root = config.root.as_path();
    builder.build_parallel().run(|| {
        let mut visitor = make_visitor();
        Box::new(move |result| {
            let keep_going = match result {
                Ok(entry) => match entry.file_type() {
                    Some(t) if t.is_dir() => true,
                    // stdin is never walked; no type means a file the OS could not classify.
                    None | Some(_) => match entry.metadata() {
                        Ok(meta) => match FileFacts::from_metadata(root, entry.path(), &meta) {
                            Some(facts) => visitor.visit(WalkItem::File(facts)),
                            None => true,
                        },
                        Err(err) => visitor.visit(WalkItem::Problem(problem(err, entry.path()))),
                    },
                },
                Err(err) => visitor.visit(WalkItem::Problem(problem(err, first))),
            };
            if keep_going {
                WalkState::Continue
            } else {
                WalkState::Quit
            }
        })
    });
}

fn default_excludes(root: &Path) -> Option<ignore::overrides::Override> {
    let mut overrides = OverrideBuilder::new(root);
    for name in DEFAULT_EXCLUDES {
        // A leading `!` in an override glob means "exclude". Constant globs always parse.
        let _ = overrides.add(&format!("!{name}"));
    }
    overrides
        .build()
        .map_err(|e| tracing::error!("default excludes do not parse: {e}"))
        .ok()
}

/// Whether `path` (under `root`) is excluded by the default excludes or a `.troveignore` of one
/// of the folders from the root down to it. A walk never reports excluded files, but the start of
/// a walk is taken as given: check it with this first.
pub fn is_excluded(root: &Path, path: &Path) -> bool {
    let Ok(rest) = path.strip_prefix(root) else {
        return true;
    };
    let overrides = default_excludes(root);
    let mut dir = root.to_owned();
    let mut rules: Vec<ignore::gitignore::Gitignore> = Vec::new();
    let parts: Vec<_> = rest.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let ignore_file = dir.join(IGNORE_FILE);
        if ignore_file.is_file() {
            let (rule, _) = ignore::gitignore::Gitignore::new(&ignore_file);
            rules.push(rule);
        }
        dir.push(part);
        let is_dir = i + 1 < parts.len() || dir.is_dir();
        if overrides
            .as_ref()
            .is_some_and(|o| o.matched(&dir, is_dir).is_ignore())
        {
            return true;
        }
        // The deepest rule that says something wins, as in gitignore.
        for rule in rules.iter().rev() {
            let m = rule.matched(&dir, is_dir);
            if m.is_ignore() {
                return true;
            }
            if m.is_whitelist() {
                break;
            }
        }
    }
    false
}

/// Turns an `ignore` error into a problem naming the deepest path it mentions.
fn problem(err: ignore::Error, fallback: &Path) -> WalkProblem {
    let mut path = fallback.to_owned();
    let mut cursor = &err;
    let message = loop {
        match cursor {
            ignore::Error::WithPath { path: p, err } => {
                path = p.clone();
                cursor = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                cursor = err
            }
            ignore::Error::Partial(errs) if !errs.is_empty() => cursor = &errs[0],
            ignore::Error::Loop { ancestor, child } => {
                path = child.clone();
                break format!(
                    "symbolic link loop: {} leads back to {}",
                    child.display(),
                    ancestor.display()
                );
            }
            ignore::Error::Io(io) if io.kind() == io::ErrorKind::NotFound => {
                break "vanished during the scan".to_owned();
            }
            ignore::Error::Io(io) if io.kind() == io::ErrorKind::PermissionDenied => {
                break "permission denied".to_owned();
            }
            other => break other.to_string(),
        }
    };
    let vanished = matches!(err.io_error(), Some(io) if io.kind() == io::ErrorKind::NotFound)
        && std::fs::symlink_metadata(&path).is_err();
    WalkProblem {
        path,
        message,
        vanished,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn collect(config: &WalkConfig) -> (Vec<String>, Vec<WalkProblem>) {
        let files = Mutex::new(Vec::new());
        let problems = Mutex::new(Vec::new());
        walk(config, || {
            |item| {
                match item {
                    WalkItem::File(f) => files.lock().expect("lock").push(f.rel_path.to_lossy()),
                    WalkItem::Problem(p) => problems.lock().expect("lock").push(p),
                }
                true
            }
        });
        let mut files = files.into_inner().expect("lock");
        files.sort();
        (files, problems.into_inner().expect("lock"))
    }

    #[test]
    fn excludes_junk_and_honours_troveignore() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for f in [
            "a/clip.mov",
            "a/.DS_Store",
            "a/._clip.mov",
            "a/.hidden.wav",
            "Thumbs.db",
            ".Trashes/x.mov",
            "b/keep.jpg",
            "b/skip.tmp",
            "b/cache/x.jpg",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap_or(root))?;
            std::fs::write(&p, b"x")?;
        }
        std::fs::write(root.join("b").join(IGNORE_FILE), "*.tmp\ncache/\n")?;
        let (files, problems) = collect(&WalkConfig::new(root));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(files, ["a/.hidden.wav", "a/clip.mov", "b/keep.jpg"]);
        Ok(())
    }

    #[test]
    fn exclusion_of_a_single_path() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/cache"))?;
        std::fs::write(root.join(IGNORE_FILE), "*.tmp\n")?;
        std::fs::write(root.join("b").join(IGNORE_FILE), "cache/\n!keep.tmp\n")?;
        for (path, excluded) in [
            ("a/clip.mov", false),
            ("a/.DS_Store", true),
            ("a/._clip.mov", true),
            (".Trashes/x.mov", true),
            ("a/x.tmp", true),
            ("b/keep.tmp", false),
            ("b/cache/x.jpg", true),
            ("b/cache", true),
        ] {
            assert_eq!(is_excluded(root, &root.join(path)), excluded, "{path}");
        }
        // A walk started below the root obeys the rules of the folders above it.
        let config = WalkConfig {
            starts: vec![root.join("b")],
            ..WalkConfig::new(root)
        };
        std::fs::write(root.join("b/x.tmp"), b"x")?;
        std::fs::write(root.join("b/keep.tmp"), b"x")?;
        std::fs::write(root.join("b/cache/x.jpg"), b"x")?;
        std::fs::write(root.join("b/clip.mov"), b"x")?;
        let (files, _) = collect(&config);
        assert_eq!(files, ["b/clip.mov", "b/keep.tmp"]);
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_reported_and_the_walk_goes_on() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b"))?;
        std::fs::write(root.join("a/b/clip.mov"), b"x")?;
        std::os::unix::fs::symlink(root.join("a"), root.join("a/b/loop"))?;
        let (files, problems) = collect(&WalkConfig::new(root));
        assert_eq!(files, ["a/b/clip.mov"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("loop"), "{problems:?}");
        assert!(problems[0].path.ends_with("a/b/loop"), "{problems:?}");
        Ok(())
    }

    #[test]
    fn a_file_gone_between_listing_and_stat_is_a_vanished_problem() -> io::Result<()> {
        // The sequential walker lists entries without a stat, like the parallel one; the file is
        // removed in between, as another program might do during a real scan.
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("gone.mov");
        std::fs::write(&path, b"x")?;
        let entry = ignore::WalkBuilder::new(dir.path())
            .standard_filters(false)
            .build()
            .filter_map(Result::ok)
            .find(|e| e.path() == path)
            .ok_or_else(|| io::Error::other("entry not listed"))?;
        std::fs::remove_file(&path)?;
        let err = entry.metadata().expect_err("the file is gone");
        let p = problem(err, dir.path());
        assert_eq!(p.path, path);
        assert!(p.vanished);
        assert_eq!(p.message, "vanished during the scan");
        Ok(())
    }
}
