//! Benchmark tooling for Trove.
//!
//! [`plan`] lays out a deterministic, seeded tree of exactly N regular files shaped like a media
//! library (`Projects/<show>/<season>/<episode>/{Footage,Audio,Stills,Docs}/<card>/CLIP_0001.MOV`,
//! stock footage, deliverables, admin papers), and [`Plan::write`] writes it to disk in parallel.
//! Every file starts with the real magic bytes of its format (ISO BMFF `ftyp`, RIFF/WAVE, JPEG,
//! MXF, PDF, XMP packet) and is small (a few hundred bytes to a few KiB). Some names are non-ASCII.
//! No name is one Trove excludes by default (`.DS_Store`, `._*`, …), and there are no symlinks.
//!
//! The same seed gives the same tree (paths and bytes) for a given build of this crate.
//!
//! [`search_corpus`] generates the synthetic catalog that `search-bench` indexes.

pub mod search_corpus;

use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

/// The format of a generated file, which decides its extension family, header and size range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// QuickTime movie: `ftyp` box with brand `qt  `, then `mdat`.
    Mov,
    /// MPEG-4: `ftyp` box with brand `isom`, then `mdat`.
    Mp4,
    /// MXF: header partition pack key.
    Mxf,
    /// RIFF/WAVE, 48 kHz 24-bit stereo PCM header.
    Wav,
    /// JPEG/JFIF: `FF D8 FF E0 … JFIF`, ends with `FF D9`.
    Jpg,
    /// Canon CR3: ISO BMFF `ftyp` box with brand `crx `.
    Cr3,
    /// PDF: `%PDF-1.7`, ends with `%%EOF`.
    Pdf,
    /// XMP sidecar: an `<?xpacket …?>` wrapper around RDF.
    Xmp,
    /// Plain UTF-8 text.
    Txt,
}

impl Kind {
    /// Inclusive size range in bytes.
    fn size_range(self) -> (u32, u32) {
        match self {
            Kind::Mov | Kind::Mp4 | Kind::Mxf => (1024, 4096),
            Kind::Cr3 => (1024, 3072),
            Kind::Wav => (512, 3072),
            Kind::Jpg => (300, 2048),
            Kind::Pdf => (400, 2048),
            Kind::Xmp => (600, 1200),
            Kind::Txt => (200, 1500),
        }
    }
}

/// One file of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Path relative to the output folder, `/`-separated.
    pub rel: String,
    /// Format.
    pub kind: Kind,
    /// Size in bytes.
    pub size: u32,
    /// Seed of the file's filler bytes.
    pub seed: u64,
}

/// A laid-out tree: folders (parents before children) and files.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Folders relative to the output folder, each listed after its parent.
    pub dirs: Vec<String>,
    /// Exactly the requested number of files.
    pub files: Vec<FileSpec>,
}

/// What [`Plan::write`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Regular files written.
    pub files: u64,
    /// Folders created below the output folder.
    pub dirs: u64,
    /// Total bytes of the files.
    pub bytes: u64,
}

impl Summary {
    /// The one-line JSON form: `{"files":N,"dirs":D,"bytes":B}`.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"files":{},"dirs":{},"bytes":{}}}"#,
            self.files, self.dirs, self.bytes
        )
    }
}

const SHOWS: &[&str] = &[
    "Northern Lights",
    "Café Society",
    "Über den Wolken",
    "東京 Nights",
    "Señora Luna",
    "Fjällräven Diaries",
    "The Long Road",
    "Kraków Underground",
    "Blue Harbour",
    "Città Aperta",
    "Ørsted Point",
    "Midnight Bakery",
    "Дорога домой",
    "Saltwater",
    "Île de Beauté",
    "Quiet Hours",
];

const EPISODE_TITLES: &[&str] = &[
    "Pilot",
    "L'été",
    "Homecoming",
    "Die Rückkehr",
    "Night Shift",
    "夜明け",
    "The Crossing",
    "Mañana",
    "Low Tide",
    "Finale",
];

const STOCK_VENDORS: &[&str] = &["Artgrid", "Pond5", "Storyblocks", "Musikbibliothek Köln"];
const STOCK_COLLECTIONS: &[&str] = &[
    "Aerials",
    "City Timelapse",
    "Océan",
    "Winter Forest",
    "Crowds",
    "Ambiences",
];
const DOC_NAMES: &[(&str, Kind)] = &[
    ("Call Sheet Day", Kind::Pdf),
    ("Script v", Kind::Pdf),
    ("Shot list", Kind::Txt),
    ("Notes – Drehtag", Kind::Txt),
    ("Release form – José García", Kind::Pdf),
    ("ロケハン メモ", Kind::Txt),
    ("Continuity", Kind::Jpg),
    ("Camera report", Kind::Pdf),
    ("Sound report", Kind::Txt),
];
const STILL_FOLDERS: &[&str] = &[
    "100CANON",
    "101CANON",
    "Repérage – Zürich",
    "BTS",
    "Selects ★",
];

/// State of the layout: the RNG and how many files are still to place.
struct Layout {
    rng: StdRng,
    remaining: usize,
    plan: Plan,
}

impl Layout {
    fn dir(&mut self, rel: String) -> String {
        self.plan.dirs.push(rel.clone());
        rel
    }

    fn file(&mut self, dir: &str, name: &str, kind: Kind) -> bool {
        if self.remaining == 0 {
            return false;
        }
        let (lo, hi) = kind.size_range();
        let size = self.rng.random_range(lo..=hi);
        let seed = self.rng.next_u64();
        self.plan.files.push(FileSpec {
            rel: format!("{dir}/{name}"),
            kind,
            size,
            seed,
        });
        self.remaining -= 1;
        true
    }

    /// `n` files in `dir`: clips named `stem(c).EXT`, some followed by a `stem(c).xmp` sidecar
    /// (with probability `sidecar_odds`). Stops early when the tree is full.
    fn clips_with_sidecars(
        &mut self,
        dir: &str,
        n: usize,
        (kind, ext): (Kind, &str),
        sidecar_odds: f64,
        stem: impl Fn(usize) -> String,
    ) {
        let mut placed = 0;
        for c in 1.. {
            if placed >= n || !self.file(dir, &format!("{}.{ext}", stem(c)), kind) {
                return;
            }
            placed += 1;
            if placed < n && self.rng.random_bool(sidecar_odds) {
                if !self.file(dir, &format!("{}.xmp", stem(c)), Kind::Xmp) {
                    return;
                }
                placed += 1;
            }
        }
    }

    /// Files per leaf folder.
    fn count(&mut self) -> usize {
        // Mostly mid-sized folders, a few big ones.
        if self.rng.random_bool(0.15) {
            self.rng.random_range(120..=200)
        } else {
            self.rng.random_range(20..=110)
        }
    }

    fn alnum4(&mut self) -> String {
        const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
        (0..4)
            .map(|_| char::from(CHARS[self.rng.random_range(0..CHARS.len())]))
            .collect()
    }

    /// One camera card under `footage`; `cam` is the camera letter, `roll` the card number.
    fn card(&mut self, footage: &str, cam: char, roll: u32, date: &str) {
        let n = self.count();
        match self.rng.random_range(0..4) {
            0 => {
                // ARRI: A001_R2EC/A001C001_230512_R2EC.MXF
                let tag = self.alnum4();
                let reel = format!("{cam}{roll:03}");
                let card = self.dir(format!("{footage}/{reel}_{tag}"));
                for c in 1..=n {
                    if !self.file(&card, &format!("{reel}C{c:03}_{date}_{tag}.MXF"), Kind::Mxf) {
                        return;
                    }
                }
            }
            1 => {
                // Sony: B_CAM_03/CLIP/C0001.MP4 with C0001.xmp sidecars
                let card = self.dir(format!("{footage}/{cam}_CAM_{roll:02}"));
                let clip = self.dir(format!("{card}/CLIP"));
                self.clips_with_sidecars(&clip, n, (Kind::Mp4, "MP4"), 0.4, |c| format!("C{c:04}"));
            }
            _ => {
                // Canon / generic: CARD_A03/CLIP_0001.MOV with some .xmp sidecars
                let card = self.dir(format!("{footage}/CARD_{cam}{roll:02}"));
                self.clips_with_sidecars(&card, n, (Kind::Mov, "MOV"), 0.3, |c| {
                    format!("CLIP_{c:04}")
                });
            }
        }
    }

    fn episode(&mut self, season_dir: &str, ep: u32, date: &str) {
        let name = if self.rng.random_bool(0.5) {
            let title = EPISODE_TITLES[self.rng.random_range(0..EPISODE_TITLES.len())];
            format!("E{ep:02} – {title}")
        } else {
            format!("E{ep:02}")
        };
        let ep_dir = self.dir(format!("{season_dir}/{name}"));

        let footage = self.dir(format!("{ep_dir}/Footage"));
        let cams = self.rng.random_range(1..=3u8);
        for cam in 0..cams {
            let cam = char::from(b'A' + cam);
            for roll in 1..=self.rng.random_range(1..=2u32) {
                if self.remaining == 0 {
                    return;
                }
                self.card(&footage, cam, roll, date);
            }
        }

        let audio = self.dir(format!("{ep_dir}/Audio"));
        for roll in 1..=self.rng.random_range(1..=2u32) {
            if self.remaining == 0 {
                return;
            }
            let dir = self.dir(format!("{audio}/SD_ROLL_{roll:02}"));
            for t in 1..=self.count() {
                if !self.file(&dir, &format!("{date}_T{t:03}.WAV"), Kind::Wav) {
                    return;
                }
            }
        }

        let stills = self.dir(format!("{ep_dir}/Stills"));
        if self.remaining > 0 {
            let folder = STILL_FOLDERS[self.rng.random_range(0..STILL_FOLDERS.len())];
            let dir = self.dir(format!("{stills}/{folder}"));
            let n = self.count();
            let mut i = 1;
            let mut placed = 0;
            while placed < n {
                if !self.file(&dir, &format!("IMG_{i:04}.CR3"), Kind::Cr3) {
                    return;
                }
                placed += 1;
                if placed < n && self.rng.random_bool(0.5) {
                    if !self.file(&dir, &format!("IMG_{i:04}.JPG"), Kind::Jpg) {
                        return;
                    }
                    placed += 1;
                }
                i += 1;
            }
        }

        let docs = self.dir(format!("{ep_dir}/Docs"));
        if self.remaining > 0 {
            let n = self.rng.random_range(20..=40);
            for i in 1..=n {
                let (stem, kind) = DOC_NAMES[self.rng.random_range(0..DOC_NAMES.len())];
                let ext = match kind {
                    Kind::Pdf => "pdf",
                    Kind::Jpg => "jpg",
                    _ => "txt",
                };
                if !self.file(&docs, &format!("{stem} {i:02}.{ext}"), kind) {
                    return;
                }
            }
        }
    }

    fn stock(&mut self, index: usize) {
        let vendor = STOCK_VENDORS[index % STOCK_VENDORS.len()];
        let collection = STOCK_COLLECTIONS[self.rng.random_range(0..STOCK_COLLECTIONS.len())];
        let vendor_dir = format!("Stock/{vendor}");
        if !self.plan.dirs.contains(&vendor_dir) {
            self.dir(vendor_dir.clone());
        }
        let dir = self.dir(format!("{vendor_dir}/{collection} {index:03}"));
        let audio = vendor.starts_with("Musik");
        for i in 1..=self.count() {
            let (name, kind) = if audio {
                (format!("Track {i:03}.wav"), Kind::Wav)
            } else if self.rng.random_bool(0.8) {
                (format!("{index:03}_{i:04}_4K.mp4"), Kind::Mp4)
            } else {
                (format!("{index:03}_{i:04}_preview.jpg"), Kind::Jpg)
            };
            if !self.file(&dir, &name, kind) {
                return;
            }
        }
    }

    fn admin(&mut self, year: u32) {
        let year_dir = self.dir(format!("Admin/{year}"));
        let dir = self.dir(format!("{year_dir}/Rechnungen"));
        for i in 1..=self.count() {
            let (name, kind) = if self.rng.random_bool(0.7) {
                (format!("Rechnung-{year}-{i:04}.pdf"), Kind::Pdf)
            } else {
                (format!("Budget notes {i:03}.txt"), Kind::Txt)
            };
            if !self.file(&dir, &name, kind) {
                return;
            }
        }
    }
}

/// Lays out a tree of exactly `files` regular files, deterministically from `seed`.
pub fn plan(files: usize, seed: u64) -> Plan {
    let mut l = Layout {
        rng: StdRng::seed_from_u64(seed),
        remaining: files,
        plan: Plan::default(),
    };
    if files == 0 {
        return l.plan;
    }
    l.dir("Projects".to_owned());
    l.dir("Stock".to_owned());
    l.dir("Admin".to_owned());
    let mut show_no = 0usize;
    let mut stock_no = 0usize;
    let mut year = 2015;
    while l.remaining > 0 {
        // A show: 1–3 seasons of 3–8 episodes; now and then some stock or admin papers.
        let base = SHOWS[show_no % SHOWS.len()];
        let cycle = show_no / SHOWS.len();
        let show = if cycle == 0 {
            base.to_owned()
        } else {
            format!("{base} ({})", cycle + 1)
        };
        show_no += 1;
        let show_dir = l.dir(format!("Projects/{show}"));
        'show: for season in 1..=l.rng.random_range(1..=3u32) {
            let season_dir = l.dir(format!("{show_dir}/Season {season:02}"));
            for ep in 1..=l.rng.random_range(3..=8u32) {
                if l.remaining == 0 {
                    break 'show;
                }
                let date = format!(
                    "{:02}{:02}{:02}",
                    l.rng.random_range(18..=25u32),
                    l.rng.random_range(1..=12u32),
                    l.rng.random_range(1..=28u32)
                );
                l.episode(&season_dir, ep, &date);
            }
        }
        if l.remaining > 0 && l.rng.random_bool(0.5) {
            stock_no += 1;
            l.stock(stock_no);
        }
        if l.remaining > 0 && l.rng.random_bool(0.25) {
            year += 1;
            l.admin(year);
        }
    }
    l.plan
}

/// The bytes of one file: its format's header, seeded filler, and trailer.
pub fn content(spec: &FileSpec) -> Vec<u8> {
    let size = spec.size as usize;
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut out = Vec::with_capacity(size);
    match spec.kind {
        Kind::Mov | Kind::Mp4 | Kind::Cr3 => {
            let ftyp: &[u8] = match spec.kind {
                Kind::Mov => b"ftypqt  \0\0\0\0qt  ",
                Kind::Mp4 => b"ftypisom\0\0\x02\0isomiso2avc1mp41",
                _ => b"ftypcrx \0\0\0\x01crx isom",
            };
            box_header(&mut out, ftyp.len() + 4, &ftyp[..4]);
            out.extend_from_slice(&ftyp[4..]);
            let rest = size - out.len();
            box_header(&mut out, rest, b"mdat");
            fill_random(&mut out, size, &mut rng);
        }
        Kind::Mxf => {
            // Header partition pack key (open, incomplete), then a 4-byte BER length.
            out.extend_from_slice(&[
                0x06, 0x0E, 0x2B, 0x34, 0x02, 0x05, 0x01, 0x01, 0x0D, 0x01, 0x02, 0x01, 0x01, 0x02,
                0x01, 0x00, 0x83,
            ]);
            let len = u32::try_from(size - out.len() - 3).unwrap_or(0);
            out.extend_from_slice(&len.to_be_bytes()[1..]);
            fill_random(&mut out, size, &mut rng);
        }
        Kind::Wav => {
            let total = u32::try_from(size).unwrap_or(u32::MAX);
            out.extend_from_slice(b"RIFF");
            out.extend_from_slice(&(total - 8).to_le_bytes());
            out.extend_from_slice(b"WAVEfmt ");
            out.extend_from_slice(&16u32.to_le_bytes());
            out.extend_from_slice(&1u16.to_le_bytes()); // PCM
            out.extend_from_slice(&2u16.to_le_bytes()); // stereo
            out.extend_from_slice(&48_000u32.to_le_bytes());
            out.extend_from_slice(&(48_000u32 * 6).to_le_bytes());
            out.extend_from_slice(&6u16.to_le_bytes());
            out.extend_from_slice(&24u16.to_le_bytes());
            out.extend_from_slice(b"data");
            out.extend_from_slice(&(total - 44).to_le_bytes());
            fill_random(&mut out, size, &mut rng);
        }
        Kind::Jpg => {
            out.extend_from_slice(&[
                0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00,
                0x00, 0x48, 0x00, 0x48, 0x00, 0x00,
            ]);
            fill_random(&mut out, size - 2, &mut rng);
            out.extend_from_slice(&[0xFF, 0xD9]);
        }
        Kind::Pdf => {
            out.extend_from_slice(
                "%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".as_bytes(),
            );
            fill_text(&mut out, size - 6, &mut rng, "% ");
            out.extend_from_slice(b"%%EOF\n");
        }
        Kind::Xmp => {
            out.extend_from_slice(
                concat!(
                    "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n",
                    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n",
                    " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n",
                    "  <rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"",
                    " xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n",
                    "   <xmp:Rating>",
                )
                .as_bytes(),
            );
            out.push(b'0' + rng.random_range(0..=5u8));
            out.extend_from_slice(b"</xmp:Rating>\n   <dc:description>");
            let end: &[u8] =
                b"</dc:description>\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n";
            let trailer: &[u8] = b"<?xpacket end=\"w\"?>";
            let words_end = out.len() + 40 + rng.random_range(0..120usize);
            fill_text(
                &mut out,
                words_end.min(size - end.len() - trailer.len()),
                &mut rng,
                "",
            );
            out.extend_from_slice(end);
            // Padding, as XMP writers leave for in-place edits.
            out.resize(size - trailer.len(), b' ');
            out.extend_from_slice(trailer);
        }
        Kind::Txt => fill_text(&mut out, size, &mut rng, ""),
    }
    debug_assert_eq!(out.len(), size);
    out
}

fn box_header(out: &mut Vec<u8>, len: usize, kind: &[u8]) {
    out.extend_from_slice(&u32::try_from(len).unwrap_or(0).to_be_bytes());
    out.extend_from_slice(kind);
}

fn fill_random(out: &mut Vec<u8>, to: usize, rng: &mut StdRng) {
    let from = out.len();
    out.resize(to, 0);
    rng.fill_bytes(&mut out[from..]);
}

/// Appends ASCII words (lines starting with `prefix`) until `out` is exactly `to` bytes long.
fn fill_text(out: &mut Vec<u8>, to: usize, rng: &mut StdRng, prefix: &str) {
    const WORDS: &[&str] = &[
        "take",
        "scene",
        "slate",
        "roll",
        "camera",
        "lens",
        "35mm",
        "wide",
        "close",
        "good",
        "NG",
        "print",
        "sound",
        "room",
        "tone",
        "boom",
        "lav",
        "exterior",
        "interior",
        "day",
        "night",
        "magic",
        "hour",
        "continuity",
        "props",
        "wardrobe",
        "note",
        "check",
    ];
    let from = out.len();
    let mut col = 0;
    while out.len() < to {
        if col == 0 {
            out.extend_from_slice(prefix.as_bytes());
        }
        let word = WORDS[rng.random_range(0..WORDS.len())];
        out.extend_from_slice(word.as_bytes());
        col += 1;
        if col == 10 {
            out.push(b'\n');
            col = 0;
        } else {
            out.push(b' ');
        }
    }
    out.truncate(to);
    if out.len() > from {
        if let Some(last) = out.last_mut() {
            *last = b'\n';
        }
    }
}

impl Plan {
    /// Total bytes of all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| u64::from(f.size)).sum()
    }

    /// Writes the tree into `out`, which must be missing or empty, using `threads` writers
    /// (0 picks one per core).
    pub fn write(&self, out: &Path, threads: usize) -> Result<Summary> {
        if out.exists() {
            let mut entries =
                fs::read_dir(out).with_context(|| format!("reading {}", out.display()))?;
            if entries.next().is_some() {
                bail!("{} is not empty", out.display());
            }
        } else {
            fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        }
        for dir in &self.dirs {
            let path = out.join(dir);
            fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        }
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let chunk = self.files.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| -> Result<()> {
            let handles: Vec<_> = self
                .files
                .chunks(chunk)
                .map(|files| scope.spawn(move || write_files(out, files)))
                .collect();
            for handle in handles {
                match handle.join() {
                    Ok(result) => result?,
                    Err(_) => bail!("a writer thread panicked"),
                }
            }
            Ok(())
        })?;
        Ok(Summary {
            files: self.files.len() as u64,
            dirs: self.dirs.len() as u64,
            bytes: self.bytes(),
        })
    }
}

fn write_files(out: &Path, files: &[FileSpec]) -> Result<()> {
    for spec in files {
        let path = out.join(&spec.rel);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        file.write_all(&content(spec))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Lays out and writes `files` files from `seed` into `out` (missing or empty).
pub fn generate(out: &Path, files: usize, seed: u64) -> Result<Summary> {
    plan(files, seed).write(out, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};
    use std::path::PathBuf;

    /// Every entry under `root` by relative path: `Some(bytes)` for regular files, `None` for
    /// folders. Fails on anything else (symlinks, sockets, …).
    fn walk(root: &Path) -> Result<BTreeMap<PathBuf, Option<Vec<u8>>>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                let rel = entry.path().strip_prefix(root)?.to_owned();
                if kind.is_dir() {
                    stack.push(entry.path());
                    out.insert(rel, None);
                } else if kind.is_file() {
                    out.insert(rel, Some(fs::read(entry.path())?));
                } else {
                    bail!("not a file or folder: {}", entry.path().display());
                }
            }
        }
        Ok(out)
    }

    #[test]
    fn writes_exactly_n_regular_files() -> Result<()> {
        for n in [0, 1, 7, 1234] {
            let tmp = tempfile::tempdir()?;
            let out = tmp.path().join("tree");
            let summary = generate(&out, n, 7)?;
            let entries = walk(&out)?;
            let files: Vec<_> = entries.iter().filter(|(_, v)| v.is_some()).collect();
            assert_eq!(files.len(), n);
            assert_eq!(summary.files, n as u64);
            assert_eq!(summary.dirs as usize, entries.len() - n);
            let bytes: usize = files
                .iter()
                .map(|(_, v)| v.as_ref().map_or(0, Vec::len))
                .sum();
            assert_eq!(summary.bytes, bytes as u64);
            for (path, _) in files {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                assert!(!name.starts_with('.'), "{}", path.display());
            }
        }
        Ok(())
    }

    #[test]
    fn same_seed_same_tree_other_seed_other_tree() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        generate(&tmp.path().join("a"), 500, 42)?;
        generate(&tmp.path().join("b"), 500, 42)?;
        generate(&tmp.path().join("c"), 500, 43)?;
        let a = walk(&tmp.path().join("a"))?;
        assert_eq!(a, walk(&tmp.path().join("b"))?);
        assert_ne!(a, walk(&tmp.path().join("c"))?);
        Ok(())
    }

    #[test]
    fn refuses_a_non_empty_folder() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        fs::write(tmp.path().join("x"), b"x")?;
        assert!(generate(tmp.path(), 10, 1).is_err());
        Ok(())
    }

    #[test]
    fn full_size_plan_has_media_library_shape() {
        let p = plan(100_000, 1);
        assert_eq!(p.files.len(), 100_000);
        assert!(p.bytes() < 300 << 20, "{} bytes", p.bytes());
        let unique: HashSet<_> = p.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(unique.len(), p.files.len());
        let mut per_dir: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &p.files {
            let (dir, _) = f.rel.rsplit_once('/').unwrap_or(("", &f.rel));
            *per_dir.entry(dir).or_default() += 1;
            let depth = f.rel.matches('/').count();
            assert!((3..=7).contains(&depth), "{}", f.rel);
        }
        // Only the folder the count ran out in may have fewer than 20 files.
        let small = per_dir.values().filter(|&&n| n < 20).count();
        assert!(small <= 1, "{small} small folders");
        assert!(per_dir.values().all(|&n| n <= 200));
        assert!(p.files.iter().any(|f| !f.rel.is_ascii()));
    }

    #[test]
    fn files_start_with_their_magic_bytes() {
        let p = plan(3000, 3);
        let mut seen = HashSet::new();
        for f in &p.files {
            let b = content(f);
            assert_eq!(b.len(), f.size as usize);
            let ok = match f.kind {
                Kind::Mov => &b[4..12] == b"ftypqt  ",
                Kind::Mp4 => &b[4..12] == b"ftypisom",
                Kind::Cr3 => &b[4..12] == b"ftypcrx ",
                Kind::Mxf => b.starts_with(&[0x06, 0x0E, 0x2B, 0x34]),
                Kind::Wav => b.starts_with(b"RIFF") && &b[8..12] == b"WAVE",
                Kind::Jpg => b.starts_with(&[0xFF, 0xD8, 0xFF]) && b.ends_with(&[0xFF, 0xD9]),
                Kind::Pdf => b.starts_with(b"%PDF-") && b.ends_with(b"%%EOF\n"),
                Kind::Xmp => b.starts_with(b"<?xpacket begin=") && b.ends_with(b"?>"),
                Kind::Txt => std::str::from_utf8(&b).is_ok(),
            };
            assert!(ok, "{} ({:?})", f.rel, f.kind);
            seen.insert(f.kind);
        }
        assert_eq!(seen.len(), 9, "{seen:?}");
    }
}
