//! A deterministic (seeded) synthetic corpus of [`SearchDoc`]s shaped like a media library's
//! catalog, for `search-bench`.
//!
//! Document `i` of a corpus depends only on the seed and `i` ([`Corpus::doc`]), so the corpus can
//! be streamed in batches — into Trove's index and again into a peer — without holding it in
//! memory. Words are drawn from a fixed vocabulary of [`VOCABULARY_SIZE`] lowercase ASCII words
//! with a Zipf-like distribution (rank `r` has weight `1 / (r + 1)`): the first few hundred are
//! common English and production words, the long tail is made-up but pronounceable words
//! (`kalimo`, `toreva`), so some query words hit a large part of the corpus and some only a few
//! documents.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashSet};
use trove_search::SearchDoc;

/// Number of words in the vocabulary.
pub const VOCABULARY_SIZE: usize = 4000;

/// 2015-01-01T00:00:00Z, the earliest capture time.
const CAPTURED_FROM: i64 = 1_420_070_400;
/// 2026-01-01T00:00:00Z, the end (exclusive) of the capture times.
const CAPTURED_TO: i64 = 1_767_225_600;

const COMMON: &[&str] = &[
    "the",
    "and",
    "with",
    "from",
    "over",
    "into",
    "shot",
    "wide",
    "close",
    "medium",
    "sunset",
    "sunrise",
    "morning",
    "evening",
    "night",
    "day",
    "city",
    "street",
    "harbor",
    "beach",
    "forest",
    "mountain",
    "river",
    "lake",
    "bridge",
    "market",
    "crowd",
    "people",
    "walking",
    "running",
    "drone",
    "aerial",
    "interview",
    "broll",
    "establishing",
    "tracking",
    "handheld",
    "tripod",
    "slow",
    "motion",
    "timelapse",
    "rain",
    "snow",
    "fog",
    "storm",
    "clouds",
    "sky",
    "sun",
    "moon",
    "light",
    "dark",
    "shadow",
    "window",
    "door",
    "car",
    "train",
    "boat",
    "plane",
    "bicycle",
    "bus",
    "station",
    "airport",
    "road",
    "highway",
    "traffic",
    "skyline",
    "tower",
    "church",
    "castle",
    "village",
    "farm",
    "field",
    "garden",
    "park",
    "tree",
    "flower",
    "water",
    "wave",
    "ocean",
    "coast",
    "cliff",
    "desert",
    "dune",
    "valley",
    "hill",
    "snowfall",
    "ice",
    "glacier",
    "fire",
    "smoke",
    "candle",
    "lamp",
    "neon",
    "sign",
    "shop",
    "cafe",
    "restaurant",
    "kitchen",
    "chef",
    "food",
    "coffee",
    "wine",
    "dinner",
    "lunch",
    "breakfast",
    "table",
    "chair",
    "office",
    "desk",
    "computer",
    "phone",
    "screen",
    "hands",
    "face",
    "portrait",
    "smile",
    "laugh",
    "child",
    "children",
    "family",
    "mother",
    "father",
    "friend",
    "couple",
    "wedding",
    "party",
    "concert",
    "stage",
    "music",
    "band",
    "singer",
    "guitar",
    "piano",
    "drums",
    "dance",
    "dancer",
    "festival",
    "parade",
    "game",
    "football",
    "soccer",
    "tennis",
    "swimming",
    "surfing",
    "skiing",
    "climbing",
    "hiking",
    "camping",
    "tent",
    "dog",
    "cat",
    "horse",
    "bird",
    "birds",
    "fish",
    "cow",
    "sheep",
    "deer",
    "fox",
    "bear",
    "wolf",
    "eagle",
    "gull",
    "insect",
    "bee",
    "butterfly",
    "spring",
    "summer",
    "autumn",
    "winter",
    "golden",
    "hour",
    "blue",
    "red",
    "green",
    "yellow",
    "white",
    "black",
    "silver",
    "orange",
    "purple",
    "old",
    "new",
    "young",
    "empty",
    "busy",
    "quiet",
    "loud",
    "fast",
    "calm",
    "rough",
    "soft",
    "hard",
    "long",
    "short",
    "high",
    "low",
    "north",
    "south",
    "east",
    "west",
    "inside",
    "outside",
    "interior",
    "exterior",
    "scene",
    "take",
    "slate",
    "roll",
    "reel",
    "clip",
    "camera",
    "lens",
    "focus",
    "pan",
    "tilt",
    "zoom",
    "dolly",
    "crane",
    "gimbal",
    "steadicam",
    "pov",
    "overhead",
    "low-angle",
    "detail",
    "insert",
    "cutaway",
    "reaction",
    "dialogue",
    "voiceover",
    "ambience",
    "roomtone",
    "foley",
    "sound",
    "effects",
    "archive",
    "stock",
    "footage",
    "raw",
    "graded",
    "proxy",
    "master",
    "final",
    "draft",
    "version",
    "edit",
    "cut",
    "trailer",
    "teaser",
    "promo",
    "commercial",
    "documentary",
    "series",
    "episode",
    "season",
    "pilot",
    "feature",
    "short-film",
    "news",
    "report",
    "press",
    "event",
    "conference",
    "speech",
    "meeting",
    "workshop",
    "factory",
    "worker",
    "machine",
    "robot",
    "laboratory",
    "hospital",
    "doctor",
    "nurse",
    "school",
    "student",
    "teacher",
    "library",
    "book",
    "paper",
    "map",
    "museum",
    "gallery",
    "painting",
    "statue",
    "architecture",
    "building",
    "construction",
    "crane-truck",
    "port",
    "ship",
    "container",
    "warehouse",
    "truck",
    "tractor",
    "harvest",
    "vineyard",
    "orchard",
    "island",
    "volcano",
    "waterfall",
    "canyon",
    "cave",
    "jungle",
    "savanna",
    "arctic",
    "tropical",
    "urban",
    "rural",
    "industrial",
    "historic",
    "modern",
    "vintage",
    "retro",
    "abstract",
    "texture",
    "pattern",
    "silhouette",
    "reflection",
    "bokeh",
    "flare",
    "backlit",
    "moody",
    "bright",
    "colorful",
    "monochrome",
    "cinematic",
    "documentary-style",
    "behind",
    "scenes",
    "making",
    "rehearsal",
    "backstage",
    "crew",
    "director",
    "actor",
    "actress",
    "extras",
    "costume",
    "makeup",
    "props",
    "set",
    "location",
    "scout",
    "recce",
    "callsheet",
    "schedule",
    "budget",
];

const CREATORS: &[&str] = &[
    "Anna Berg",
    "Ben Okafor",
    "Chloé Martin",
    "David Kim",
    "Elena Petrova",
    "Farid Haddad",
    "Greta Lindqvist",
    "Hiro Tanaka",
    "Isabel Ortega",
    "Jonas Weber",
    "Kemal Aydın",
    "Lena Fischer",
    "Marco Rossi",
    "Nadia Novak",
    "Oskar Nilsson",
    "Priya Raman",
    "Quentin Dubois",
    "Rosa Alvarez",
    "Sven Larsen",
    "Tomás Silva",
    "Ulla Jensen",
    "Viktor Horvat",
    "Wen Li",
    "Xavier Moreau",
    "Yuki Sato",
    "Zofia Kowalska",
    "Amir Nasser",
    "Birgit Huber",
    "Carlos Mendes",
    "Dana Cohen",
    "Emil Svoboda",
    "Fatima Zahra",
    "Gustav Ek",
    "Hanna Virtanen",
    "Ivan Popov",
    "Julia Schmidt",
    "Kwame Mensah",
    "Laura Bianchi",
    "Mika Korhonen",
    "Noor Ali",
];

const LOCATIONS: &[&str] = &[
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Wien",
    "Zürich",
    "Paris",
    "Lyon",
    "Marseille",
    "London",
    "Manchester",
    "Edinburgh",
    "Dublin",
    "Amsterdam",
    "Rotterdam",
    "Brussels",
    "Copenhagen",
    "Stockholm",
    "Oslo",
    "Helsinki",
    "Reykjavík",
    "Lisbon",
    "Porto",
    "Madrid",
    "Barcelona",
    "Sevilla",
    "Rome",
    "Milan",
    "Napoli",
    "Venice",
    "Athens",
    "Istanbul",
    "Prague",
    "Kraków",
    "Budapest",
    "Tokyo",
    "Kyoto",
    "Osaka",
    "Seoul",
    "Shanghai",
    "Hong Kong",
    "Singapore",
    "Bangkok",
    "Mumbai",
    "Dubai",
    "Cairo",
    "Marrakesh",
    "Cape Town",
    "Nairobi",
    "Lagos",
    "New York",
    "Los Angeles",
    "San Francisco",
    "Chicago",
    "Toronto",
    "Vancouver",
    "Mexico City",
    "Buenos Aires",
    "São Paulo",
    "Rio de Janeiro",
    "Sydney",
    "Melbourne",
    "Auckland",
    "Patagonia",
    "Lofoten",
    "Dolomites",
    "Sahara",
    "Atacama",
    "Yosemite",
    "Iceland",
];

/// (make, model, media type the model records).
const CAMERAS: &[(&str, &str, &str)] = &[
    ("ARRI", "ALEXA Mini LF", "video"),
    ("ARRI", "ALEXA 35", "video"),
    ("ARRI", "AMIRA", "video"),
    ("Sony", "FX6", "video"),
    ("Sony", "FX9", "video"),
    ("Sony", "VENICE 2", "video"),
    ("Sony", "ILCE-7SM3", "video"),
    ("Canon", "EOS C300 Mark III", "video"),
    ("Canon", "EOS C70", "video"),
    ("RED", "KOMODO 6K", "video"),
    ("Blackmagic Design", "Pocket Cinema Camera 6K", "video"),
    ("DJI", "Mavic 3 Cine", "video"),
    ("GoPro", "HERO11 Black", "video"),
    ("Canon", "EOS R5", "image"),
    ("Canon", "EOS 5D Mark IV", "image"),
    ("Sony", "ILCE-7RM4", "image"),
    ("Nikon", "Z 8", "image"),
    ("Fujifilm", "X-T5", "image"),
    ("Leica", "Q2", "image"),
    ("Apple", "iPhone 14 Pro", "image"),
];

const SOURCES: &[&str] = &[
    "studio-nas",
    "raid-a",
    "raid-b",
    "shuttle-01",
    "shuttle-02",
    "laptop",
    "s3-archive",
    "glacier-vault",
];

const PROJECTS: &[&str] = &[
    "Nordlicht",
    "Harbor Lights",
    "The Long Road",
    "Café Society",
    "Salt and Stone",
    "Midnight Market",
    "Glass Rivers",
    "Winter Orchard",
    "Open Water",
    "Second Spring",
    "City of Bridges",
    "Quiet Hours",
    "Red Desert",
    "Tidal",
    "Northbound",
    "Paper Moons",
];

/// The fixed word list: common words first (the head of the Zipf distribution), then made-up
/// pronounceable words up to [`VOCABULARY_SIZE`].
pub fn vocabulary() -> Vec<String> {
    const ONSETS: &[&str] = &[
        "b", "br", "c", "d", "dr", "f", "g", "gr", "k", "l", "m", "n", "p", "pr", "r", "s", "st",
        "t", "tr", "v", "z",
    ];
    const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea"];
    const CODAS: &[&str] = &["", "", "n", "r", "s", "l", "m", "th"];
    let mut seen: HashSet<String> = HashSet::new();
    let mut words: Vec<String> = Vec::with_capacity(VOCABULARY_SIZE);
    for w in COMMON {
        // Hyphenated entries stay one word for the tokenizers of both engines only if they are
        // split; keep the vocabulary to plain letters.
        let w = w.replace('-', "");
        if seen.insert(w.clone()) {
            words.push(w);
        }
    }
    let mut rng = StdRng::seed_from_u64(0x0005_eed7_0c4b);
    while words.len() < VOCABULARY_SIZE {
        let syllables = rng.random_range(2..=3);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push_str(ONSETS[rng.random_range(0..ONSETS.len())]);
            w.push_str(VOWELS[rng.random_range(0..VOWELS.len())]);
        }
        w.push_str(CODAS[rng.random_range(0..CODAS.len())]);
        if seen.insert(w.clone()) {
            words.push(w);
        }
    }
    words
}

/// A seeded corpus of `len` documents with ids `1..=len`.
pub struct Corpus {
    seed: u64,
    len: u64,
    words: Vec<String>,
    /// Cumulative Zipf weights of `words`, normalised to end at 1.0.
    cdf: Vec<f64>,
}

/// Weighted pick of `options` by their weights (in percent or any other unit).
fn pick<'a, T>(rng: &mut StdRng, options: &'a [(T, u32)]) -> &'a T {
    let total: u32 = options.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (value, weight) in options {
        if x < *weight {
            return value;
        }
        x -= weight;
    }
    &options[options.len() - 1].0
}

fn one<'a>(rng: &mut StdRng, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

impl Corpus {
    /// A corpus of `len` documents from `seed`.
    pub fn new(len: u64, seed: u64) -> Corpus {
        let words = vocabulary();
        let mut cdf = Vec::with_capacity(words.len());
        let mut acc = 0.0;
        for rank in 0..words.len() {
            acc += 1.0 / (rank as f64 + 1.0);
            cdf.push(acc);
        }
        for c in &mut cdf {
            *c /= acc;
        }
        Corpus {
            seed,
            len,
            words,
            cdf,
        }
    }

    /// Number of documents.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the corpus has no documents.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The vocabulary, most common word first.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// One word drawn with the corpus's Zipf-like distribution.
    pub fn word(&self, rng: &mut StdRng) -> &str {
        let x: f64 = rng.random();
        let i = self
            .cdf
            .partition_point(|&c| c < x)
            .min(self.words.len() - 1);
        &self.words[i]
    }

    fn words_n(&self, rng: &mut StdRng, n: usize) -> Vec<&str> {
        (0..n).map(|_| self.word(rng)).collect()
    }

    /// Documents `from..to` (ids `from + 1 ..= to`), clamped to the corpus.
    pub fn batch(&self, from: u64, to: u64) -> Vec<SearchDoc> {
        (from..to.min(self.len)).map(|i| self.doc(i + 1)).collect()
    }

    /// Document `id` (1-based); depends only on the seed and `id`.
    pub fn doc(&self, id: u64) -> SearchDoc {
        let mut rng = StdRng::seed_from_u64(self.seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let rng = &mut rng;
        let media_type = *pick(
            rng,
            &[
                ("video", 60),
                ("image", 25),
                ("audio", 10),
                ("document", 3),
                ("other", 2),
            ],
        );
        let captured_at = rng.random_range(CAPTURED_FROM..CAPTURED_TO);
        let (y, m, d) = civil_from_days(captured_at.div_euclid(86_400));
        let ymd = format!("{:02}{m:02}{d:02}", y % 100);
        let n4 = rng.random_range(1..=9999u32);

        let camera = match media_type {
            "video" | "image" => {
                let fitting: Vec<_> = CAMERAS.iter().filter(|c| c.2 == media_type).collect();
                Some(*fitting[rng.random_range(0..fitting.len())])
            }
            _ => None,
        };
        let file_name = match (media_type, camera.map(|c| c.0)) {
            ("video", Some("ARRI")) => format!(
                "{}{:03}C{:03}_{ymd}_R{}.MXF",
                one(rng, &["A", "B", "C", "D"]),
                rng.random_range(1..=120u32),
                rng.random_range(1..=60u32),
                alnum4(rng)
            ),
            ("video", Some("Sony")) => format!("C{n4:04}.MP4"),
            ("video", Some("Canon")) => format!("MVI_{n4:04}.MOV"),
            ("video", Some("RED")) => format!(
                "A{:03}_C{:03}_{ymd}{}.R3D",
                rng.random_range(1..=120u32),
                rng.random_range(1..=60u32),
                alnum4(rng)
            ),
            ("video", Some("DJI")) => format!("DJI_{n4:04}.MP4"),
            ("video", Some("GoPro")) => format!("GX01{n4:04}.MP4"),
            ("video", _) => format!("CLIP_{n4:04}.MOV"),
            ("image", Some("Sony")) => format!("DSC{:05}.ARW", n4),
            ("image", Some("Nikon")) => format!("DSC_{n4:04}.NEF"),
            ("image", Some("Fujifilm")) => format!("DSCF{n4:04}.RAF"),
            ("image", Some("Apple")) => format!("IMG_{n4:04}.HEIC"),
            ("image", _) => format!("IMG_{n4:04}.{}", one(rng, &["CR3", "CR3", "JPG", "DNG"])),
            ("audio", _) => match rng.random_range(0..3) {
                0 => format!("ZOOM{n4:04}.WAV"),
                1 => format!("{ymd}_{:03}.mp3", rng.random_range(1..=200u32)),
                _ => format!("{ymd}_T{:03}.WAV", rng.random_range(1..=200u32)),
            },
            ("document", _) => format!(
                "{}_{}.{}",
                one(
                    rng,
                    &[
                        "Callsheet",
                        "Script",
                        "Notes",
                        "Release",
                        "Invoice",
                        "Shotlist"
                    ]
                ),
                ymd,
                one(rng, &["pdf", "pdf", "docx", "txt"])
            ),
            _ => format!(
                "{}_{n4:04}.{}",
                self.word(rng),
                one(rng, &["bin", "zip", "xml", "srt"])
            ),
        };

        let described = rng.random_bool(0.7);
        let title = if described {
            let n = rng.random_range(2..=6);
            let mut t = self.words_n(rng, n).join(" ");
            if let Some(first) = t.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            t
        } else {
            file_name
                .rsplit_once('.')
                .map_or(&*file_name, |p| p.0)
                .to_owned()
        };
        let project = one(rng, PROJECTS);
        let path = format!(
            "/Volumes/{}/Projects/{project}/{}-{m:02}-{d:02}/{}/{file_name}",
            one(rng, &["RAID_A", "RAID_B", "Shuttle01", "Archive"]),
            y,
            one(rng, &["Footage", "Audio", "Stills", "Docs"]),
        );

        let mut text = BTreeMap::new();
        if described || rng.random_bool(0.3) {
            let n = rng.random_range(5..=30);
            text.insert("description".to_owned(), self.words_n(rng, n).join(" "));
        }
        if rng.random_bool(0.1) {
            let n = rng.random_range(3..=8);
            text.insert("headline".to_owned(), self.words_n(rng, n).join(" "));
        }
        let creator = one(rng, CREATORS);
        text.insert("creator".to_owned(), creator.to_owned());
        if rng.random_bool(0.2) {
            text.insert("rights".to_owned(), format!("© {y} {creator}"));
        }
        if rng.random_bool(0.6) {
            text.insert("location_name".to_owned(), one(rng, LOCATIONS).to_owned());
        }
        if let Some((make, model, _)) = camera {
            text.insert("camera_make".to_owned(), make.to_owned());
            text.insert("camera_model".to_owned(), model.to_owned());
        }
        let nk = rng.random_range(1..=8);
        let mut keywords: Vec<String> = Vec::with_capacity(nk);
        for _ in 0..nk {
            let k = self.word(rng);
            if !keywords.iter().any(|x| x == k) {
                keywords.push(k.to_owned());
            }
        }
        let mut custom = BTreeMap::new();
        custom.insert("custom.project".to_owned(), project.to_owned());
        if rng.random_bool(0.3) {
            custom.insert(
                "custom.scene".to_owned(),
                format!(
                    "{}{}",
                    rng.random_range(1..=120u32),
                    one(rng, &["", "A", "B"])
                ),
            );
        }

        let (codec, width, height, frame_rate, duration, size) = match media_type {
            "video" => {
                let (w, h) = *pick(
                    rng,
                    &[
                        ((720, 576), 5),
                        ((1920, 1080), 50),
                        ((3840, 2160), 35),
                        ((4096, 2160), 10),
                    ],
                );
                let codec = match camera.map(|c| c.0) {
                    Some("ARRI") => *pick(rng, &[("prores", 70), ("arriraw", 30)]),
                    Some("RED") => "redcode",
                    Some("Sony") => *pick(rng, &[("xavc", 60), ("hevc", 20), ("h264", 20)]),
                    Some("Blackmagic Design") => *pick(rng, &[("braw", 70), ("prores", 30)]),
                    _ => *pick(rng, &[("h264", 60), ("hevc", 40)]),
                };
                let fps = *pick(
                    rng,
                    &[
                        (23.976, 30),
                        (24.0, 15),
                        (25.0, 30),
                        (29.97, 10),
                        (50.0, 10),
                        (59.94, 5),
                    ],
                );
                // Log-uniform 2 s … 20 min.
                let dur = (rng.random_range(0.7f64..7.1)).exp();
                let mbit = match codec {
                    "arriraw" | "redcode" | "braw" => 1500.0,
                    "prores" => 700.0,
                    _ => 100.0,
                } * (w * h) as f64
                    / (3840.0 * 2160.0);
                let size = (dur * mbit * 125_000.0) as u64;
                (Some(codec), Some(w), Some(h), Some(fps), Some(dur), size)
            }
            "image" => {
                let (w, h) = *pick(
                    rng,
                    &[
                        ((6000, 4000), 40),
                        ((8192, 5464), 25),
                        ((4032, 3024), 25),
                        ((9504, 6336), 10),
                    ],
                );
                let codec = file_name.ends_with(".JPG").then_some("jpeg");
                let size = rng.random_range(3_000_000..80_000_000);
                (codec, Some(w), Some(h), None, None, size)
            }
            "audio" => {
                let mp3 = file_name.ends_with(".mp3");
                let dur = (rng.random_range(2.3f64..8.2)).exp();
                let rate = if mp3 { 40_000.0 } else { 288_000.0 };
                let codec = if mp3 { "mp3" } else { "pcm_s24le" };
                (
                    Some(codec),
                    None,
                    None,
                    None,
                    Some(dur),
                    (dur * rate) as u64,
                )
            }
            _ => (
                None,
                None,
                None,
                None,
                None,
                rng.random_range(2_000..20_000_000),
            ),
        };
        let source = one(rng, SOURCES);
        let storage_class = match source {
            "s3-archive" => Some(*pick(
                rng,
                &[("STANDARD", 50), ("GLACIER", 30), ("DEEP_ARCHIVE", 20)],
            )),
            "glacier-vault" => Some(*pick(rng, &[("GLACIER", 40), ("DEEP_ARCHIVE", 60)])),
            _ => None,
        };
        let state = *pick(rng, &[("online", 85), ("offline", 10), ("missing", 5)]);
        SearchDoc {
            id,
            title,
            file_name,
            path,
            text,
            keywords,
            custom,
            media_type: media_type.to_owned(),
            codec: codec.map(str::to_owned),
            duration: duration.map(|d| (d * 1000.0).round() / 1000.0),
            width,
            height,
            frame_rate,
            size,
            captured_at: Some(captured_at),
            source: source.to_owned(),
            storage_class: storage_class.map(str::to_owned),
            state: state.to_owned(),
            has_duplicates: rng.random_bool(0.03),
        }
    }
}

fn alnum4(rng: &mut StdRng) -> String {
    const A: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    (0..4)
        .map(|_| char::from(A[rng.random_range(0..A.len())]))
        .collect()
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian; Howard Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a (year, month, day) (the inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * if m > 2 { m - 3 } else { m + 9 } + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_dependent() {
        let a = Corpus::new(100, 1);
        let b = Corpus::new(100, 1);
        let c = Corpus::new(100, 2);
        for id in 1..=100 {
            assert_eq!(format!("{:?}", a.doc(id)), format!("{:?}", b.doc(id)));
        }
        let differ = (1..=100)
            .filter(|&id| a.doc(id).title != c.doc(id).title)
            .count();
        assert!(differ > 50, "{differ}");
    }

    #[test]
    fn vocabulary_is_plain_and_unique() {
        let v = vocabulary();
        assert_eq!(v.len(), VOCABULARY_SIZE);
        assert!(v.iter().all(|w| w.bytes().all(|b| b.is_ascii_lowercase())));
        assert_eq!(v.iter().collect::<HashSet<_>>().len(), v.len());
    }

    #[test]
    fn mix_is_roughly_as_specified() {
        let corpus = Corpus::new(20_000, 7);
        let docs = corpus.batch(0, 20_000);
        let share = |f: &dyn Fn(&SearchDoc) -> bool| {
            docs.iter().filter(|d| f(d)).count() as f64 / docs.len() as f64
        };
        assert!((share(&|d| d.media_type == "video") - 0.60).abs() < 0.02);
        assert!((share(&|d| d.media_type == "image") - 0.25).abs() < 0.02);
        assert!((share(&|d| d.media_type == "audio") - 0.10).abs() < 0.02);
        assert!((share(&|d| d.has_duplicates) - 0.03).abs() < 0.01);
        assert!(docs.iter().any(|d| d.file_name.ends_with(".MXF")));
        assert!(docs.iter().all(|d| (1..=8).contains(&d.keywords.len())));
        for d in &docs {
            let (y, _, _) = civil_from_days(d.captured_at.unwrap_or(0).div_euclid(86_400));
            assert!((2015..=2025).contains(&y), "{y}");
        }
        // Zipf-like: the most common word is in many descriptions, a tail word in few.
        let has = |w: &str| {
            share(&|d: &SearchDoc| {
                d.text
                    .get("description")
                    .is_some_and(|t| t.split(' ').any(|x| x == w))
            })
        };
        assert!(has(&corpus.words()[0]) > 0.3);
        assert!(has(&corpus.words()[3000]) < 0.01);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1000, 0, 16_436, 20_000, 20_453] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(16_436), (2015, 1, 1));
    }
}
