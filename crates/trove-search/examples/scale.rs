//! Builds an index of N synthetic assets and times a few queries (a quick scale check;
//! the real benchmark lives in trove-bench). `cargo run --release --example scale -- DIR N`

#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use trove_search::{SearchDoc, SearchIndex, SearchOptions, Sort};

const WORDS: &[&str] = &[
    "beach",
    "sunset",
    "interview",
    "mountain",
    "forest",
    "city",
    "night",
    "drone",
    "harbour",
    "market",
    "street",
    "portrait",
    "wedding",
    "concert",
    "crowd",
    "river",
    "snow",
    "desert",
    "train",
    "airport",
    "studio",
    "kitchen",
    "office",
    "school",
    "garden",
    "bridge",
    "castle",
    "festival",
    "parade",
    "storm",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let n: u64 = args[2].parse().unwrap();
    let mut index = SearchIndex::open(&dir).unwrap();
    let start = Instant::now();
    if index.num_docs() != n {
        index.clear().unwrap();
        let mut batch = Vec::with_capacity(10_000);
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for id in 1..=n {
            let r = rnd();
            let w = |k: u64| WORDS[((r >> (k * 5)) % WORDS.len() as u64) as usize];
            let reel = id / 500;
            let mut doc = SearchDoc {
                id,
                title: format!("{} {} {}", w(0), w(1), id % 1000),
                file_name: format!(
                    "A{:03}C{:03}_{}_{:04X}.MXF",
                    reel % 1000,
                    id % 500,
                    230_000 + id % 1000,
                    r % 65536
                ),
                path: format!(
                    "/Volumes/RAID{}/project{}/day{}/A{:03}C{:03}.MXF",
                    r % 4,
                    reel % 50,
                    id % 30,
                    reel % 1000,
                    id % 500
                ),
                media_type: ["video", "video", "video", "audio", "image"][(r % 5) as usize].into(),
                codec: Some(["prores", "h264", "hevc", "dnxhd"][(r >> 3) as usize % 4].into()),
                duration: Some((r % 3600) as f64 / 3.0),
                width: Some(1920),
                height: Some([720, 1080, 2160][(r >> 7) as usize % 3]),
                frame_rate: Some(25.0),
                size: r % 10_000_000_000,
                captured_at: Some(1_600_000_000 + (r % 100_000_000) as i64),
                source: format!("file:///Volumes/RAID{}", r % 4),
                state: ["online", "online", "offline", "archived"][(r >> 11) as usize % 4].into(),
                has_duplicates: r % 17 == 0,
                keywords: vec![w(2).into(), w(3).into()],
                ..SearchDoc::default()
            };
            doc.text.insert(
                "description".into(),
                format!("{} at the {} with {}", w(4), w(5), w(6)),
            );
            doc.text
                .insert("creator".into(), format!("Person {}", r % 300));
            doc.custom
                .insert("custom.reel".into(), format!("A{:03}", reel % 1000));
            batch.push(doc);
            if batch.len() == 10_000 {
                index.upsert(&batch).unwrap();
                batch.clear();
            }
        }
        index.upsert(&batch).unwrap();
        index.commit(n as i64).unwrap();
        println!("built {n} docs in {:.1?}", start.elapsed());
    }
    let queries = [
        "",
        "beach",
        "beach sunset",
        "\"beach sunset\"",
        "sunest",
        "A012C*",
        "A012C003",
        "type:video duration:>60",
        "creator:\"person 12\"",
        "custom.reel:A123",
        "resolution:uhd -state:offline",
        "captured:2021",
        "harbour -drone codec:prores",
    ];
    for facets in [false, true] {
        for sort in [
            Sort::Relevance,
            Sort::Captured { descending: true },
            Sort::Name { descending: false },
        ] {
            let options = SearchOptions {
                facets,
                sort,
                ..SearchOptions::default()
            };
            for q in queries {
                let mut times = Vec::new();
                let mut total = 0;
                for _ in 0..7 {
                    let t = Instant::now();
                    total = index.search(q, &options).unwrap().total;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                times.sort_by(|a, b| a.partial_cmp(b).unwrap());
                println!(
                    "facets={facets:5} {sort:?} {q:35} total={total:8} median={:.1}ms max={:.1}ms",
                    times[3], times[6]
                );
            }
        }
    }
}
