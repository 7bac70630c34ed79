//! Metadata from every reader, in precedence, and its exchange: XMP checked by exiftool, CSV
//! round trips, import as an undoable batch.

use crate::{extract, ffmpeg, tool, Fixture};
use std::path::Path;
use trove_engine::{Assignment, ExportFormat};

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

#[tokio::test]
async fn sidecar_beats_embedded_and_stills_readers_fill_the_schema() {
    let f = Fixture::new().await;
    let clip = f.media.join("clip.mov");
    ffmpeg(
        &clip,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=24000/1001:duration=1",
            "-metadata",
            "title=Embedded title",
            "-c:v",
            "libx264",
        ],
    );
    f.write(
        "clip.xmp",
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:d="http://purl.org/dc/elements/1.1/"><d:title><rdf:Alt><rdf:li xml:lang="x-default">Sidecar title</rdf:li></rdf:Alt></d:title></rdf:Description></rdf:RDF></x:xmpmeta>"#,
    );
    let still = f.media.join("still.jpg");
    ffmpeg(
        &still,
        &["-f", "lavfi", "-i", "color=c=red:s=16x16", "-frames:v", "1"],
    );
    tool(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-EXIF:Make=Canon",
            "-EXIF:Model=EOS R5",
            "-IPTC:Keywords=harbour",
            "-IPTC:Keywords=dawn",
            "-XMP-dc:Creator=Sam",
            path_str(&still),
        ],
    );
    f.scan().await;
    extract(&f).await;

    let clip_view = f.library.show(clip.as_os_str()).await.expect("show clip");
    assert_eq!(clip_view.title, "Sidecar title");
    assert_eq!(clip_view.provenance["title"], "sidecar_xmp");
    assert!(clip_view.claims.iter().any(|c| c.field == "title"
        && c.source == "container_tags"
        && c.value == "Embedded title"));
    assert_eq!(clip_view.metadata["frame_rate"], "24000/1001");

    let still_view = f.library.show(still.as_os_str()).await.expect("show still");
    assert_eq!(still_view.metadata["camera_make"], "Canon");
    assert_eq!(still_view.provenance["camera_make"], "exif");
    assert_eq!(
        still_view.metadata["keywords"],
        serde_json::json!(["harbour", "dawn"])
    );
    assert_eq!(still_view.provenance["keywords"], "iptc_iim");
    assert_eq!(still_view.metadata["creator"], serde_json::json!(["Sam"]));
    assert_eq!(still_view.provenance["creator"], "embedded_xmp");
}

#[tokio::test]
async fn edits_exported_as_xmp_read_back_by_exiftool_and_csv_round_trips() {
    let f = Fixture::new().await;
    let clip = f.media.join("clip.mp4");
    ffmpeg(
        &clip,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=25:duration=1",
            "-c:v",
            "libx264",
        ],
    );
    f.scan().await;
    extract(&f).await;
    let assets = [clip.clone().into_os_string()];
    let set: Vec<Assignment> = [
        "title=Harbour at dawn",
        r"keywords=harbour; boats\; sail",
        "rights=© 2024 Trove",
    ]
    .iter()
    .filter_map(|a| Assignment::parse(a))
    .collect();
    f.library
        .meta_set(&assets, &set, "test")
        .await
        .expect("set");

    // XMP next to the media: clip.xmp, then exiftool reads each value back.
    let (report, _) = f
        .library
        .meta_export(&assets, ExportFormat::Xmp, None)
        .await
        .expect("export");
    let sidecar = f.media.join("clip.xmp");
    assert_eq!(report.files, [sidecar.to_string_lossy()]);
    let json = tool(
        "exiftool",
        &["-j", "-struct", "-G1", "-a", path_str(&sidecar)],
    );
    let tags: serde_json::Value = serde_json::from_str(&json).expect("exiftool JSON");
    assert_eq!(tags[0]["XMP-dc:Title"], "Harbour at dawn");
    assert_eq!(
        tags[0]["XMP-dc:Subject"],
        serde_json::json!(["harbour", "boats; sail"])
    );
    assert_eq!(tags[0]["XMP-dc:Rights"], "© 2024 Trove");
    let validation = tool(
        "exiftool",
        &["-validate", "-warning", "-error", "-a", path_str(&sidecar)],
    );
    assert!(
        !validation.contains("Warning") && !validation.contains("Error"),
        "{validation}"
    );
    // Exporting again replaces Trove's own sidecar, but never one somebody else wrote.
    f.library
        .meta_export(&assets, ExportFormat::Xmp, None)
        .await
        .expect("re-export");
    std::fs::write(&sidecar, b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>").expect("foreign sidecar");
    let (refused, _) = f
        .library
        .meta_export(&assets, ExportFormat::Xmp, None)
        .await
        .expect("export reports per asset");
    assert!(refused.files.is_empty());
    assert!(
        refused.problems[0].message.contains("does not overwrite"),
        "{:?}",
        refused.problems
    );

    // CSV: export, import unchanged = no change; edit a cell, import, undo.
    let csv_path = f.media.with_file_name("meta.csv");
    f.library
        .meta_export(&assets, ExportFormat::Csv, Some(&csv_path))
        .await
        .expect("csv");
    let report = f
        .library
        .meta_import(&csv_path, false)
        .await
        .expect("import");
    assert!(
        report.changes.is_empty() && report.batch.is_none(),
        "{report:?}"
    );
    let csv = std::fs::read_to_string(&csv_path).expect("read csv");
    // An unquoted comma would shift every later column: the row is refused, not misread.
    std::fs::write(
        &csv_path,
        csv.replace("Harbour at dawn", "Harbour, at dusk"),
    )
    .expect("edit csv");
    let shifted = f
        .library
        .meta_import(&csv_path, true)
        .await
        .expect("dry run");
    assert!(
        shifted.changes.is_empty() && shifted.problems.iter().any(|p| p.row == 1),
        "{shifted:?}"
    );
    std::fs::write(
        &csv_path,
        csv.replace("Harbour at dawn", "\"Harbour, at dusk\""),
    )
    .expect("edit csv");
    let dry = f
        .library
        .meta_import(&csv_path, true)
        .await
        .expect("dry run");
    assert_eq!(dry.changes.len(), 1);
    assert_eq!(
        f.library.show(clip.as_os_str()).await.expect("show").title,
        "Harbour at dawn"
    );
    let applied = f
        .library
        .meta_import(&csv_path, false)
        .await
        .expect("import");
    assert!(applied.batch.is_some());
    assert_eq!(
        f.library.show(clip.as_os_str()).await.expect("show").title,
        "Harbour, at dusk"
    );
    f.library.undo(None).await.expect("undo");
    assert_eq!(
        f.library.show(clip.as_os_str()).await.expect("show").title,
        "Harbour at dawn"
    );

    // Unknown columns and bad values are reported by row, the rest still applies.
    std::fs::write(&csv_path, "id,title,nonsense,rating\n1,Fine,x,9\n").expect("bad csv");
    let report = f
        .library
        .meta_import(&csv_path, false)
        .await
        .expect("import");
    assert_eq!(report.changes.len(), 1, "{report:?}");
    assert!(report
        .problems
        .iter()
        .any(|p| p.row == 0 && p.message.contains("nonsense")));
    assert!(report
        .problems
        .iter()
        .any(|p| p.row == 1 && p.message.contains("rating")));
}
