//! XMP reading and writing against the real exiftool as the oracle: Trove's sidecars must be
//! valid and show every value in exiftool; exiftool's sidecars and embedded packets must read
//! back the same in Trove.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;
use trove_media::{
    find_xmp_packet, read_embedded_xmp, read_sidecar, read_xmp, write_xmp, Error, Extracted, Origin,
};

/// Runs `exiftool ARGS` and returns its stdout and stderr together.
fn exiftool(args: &[&str]) -> String {
    let out = Command::new("exiftool")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run exiftool ({e}): apt-get install exiftool"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "exiftool {args:?} failed: {text}");
    text
}

/// exiftool's JSON for one file (`-j -struct -G1 -a -n`).
fn exif_json(path: &Path) -> serde_json::Map<String, Value> {
    let path = path.to_str().expect("utf-8 temp path");
    let text = exiftool(&["-j", "-struct", "-G1", "-a", "-n", path]);
    let parsed: Value = serde_json::from_str(&text).expect("exiftool prints JSON");
    match parsed {
        Value::Array(mut files) if files.len() == 1 => match files.remove(0) {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        },
        other => panic!("not one file: {other}"),
    }
}

/// The values as a map field → value, checking the origin of each.
fn values(x: &Extracted, origin: Origin) -> BTreeMap<&'static str, Value> {
    x.values
        .iter()
        .map(|v| {
            assert_eq!(v.origin, origin, "{}", v.field);
            (v.field, v.value.clone())
        })
        .collect()
}

fn source_key<'a>(x: &'a Extracted, field: &str) -> &'a str {
    x.values
        .iter()
        .find(|v| v.field == field)
        .map(|v| v.source_key.as_str())
        .unwrap_or_else(|| panic!("no {field}"))
}

fn sample() -> BTreeMap<String, Value> {
    let pairs = [
        ("title", json!("Harbour at dawn")),
        ("description", json!("Boats <leaving> & \"returning\"")),
        ("keywords", json!(["harbour", "dawn", "boats; sail"])),
        ("creator", json!(["Jo", "Sam"])),
        ("rights", json!("© 2024 Trove")),
        ("rating", json!(4)),
        ("label", json!("Green")),
        ("headline", json!("Morning at the harbour")),
        ("credit", json!("Trove Pictures")),
        ("captured_at", json!("2021-05-04T10:11:12+02:00")),
        ("gps_latitude", json!(37.7858)),
        ("gps_longitude", json!(-122.4064)),
        ("gps_altitude", json!(-12.5)),
        ("camera_make", json!("Canon")),
        ("camera_model", json!("EOS R5")),
        ("lens", json!("RF24-70mm F2.8 L IS USM")),
        ("location_name", json!("Pier 39")),
        ("copyright_owner", json!("Trove Ltd")),
        ("timecode_start", json!("01:00:00:00")),
        ("width", json!(1920)),
        ("height", json!(1080)),
        ("duration", json!(12.5)),
        ("frame_rate", json!("25")),
        ("scan_type", json!("interlaced_tff")),
        ("sample_rate", json!(48000)),
        ("audio_channels", json!(2)),
        ("media_type", json!("video")),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// What [`read_xmp`] should give back for [`sample`]: everything with an XMP property.
fn expected_back() -> BTreeMap<&'static str, Value> {
    let mut expected: BTreeMap<&'static str, Value> = BTreeMap::new();
    for (k, v) in sample() {
        if k != "media_type" {
            let key: &'static str = Box::leak(k.into_boxed_str());
            expected.insert(key, v);
        }
    }
    expected.insert("frame_rate", json!("25"));
    expected
}

fn write_sidecar(dir: &TempDir, map: &BTreeMap<String, Value>) -> std::path::PathBuf {
    let path = dir.path().join("clip.xmp");
    std::fs::write(&path, write_xmp(map)).expect("write sidecar");
    path
}

#[test]
fn trove_sidecar_is_valid_and_exiftool_reads_every_value() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_sidecar(&dir, &sample());
    let file = path.to_str().expect("utf-8");

    let validate = exiftool(&["-validate", "-warning", "-error", "-a", file]);
    assert!(
        validate.contains("Validate") && validate.contains("OK"),
        "exiftool -validate: {validate}"
    );
    assert!(
        !validate.contains("Warning") && !validate.contains("Error"),
        "{validate}"
    );

    let j = exif_json(&path);
    let get = |k: &str| j.get(k).cloned().unwrap_or(Value::Null);
    assert_eq!(get("XMP-dc:Title"), json!("Harbour at dawn"));
    assert_eq!(
        get("XMP-dc:Description"),
        json!("Boats <leaving> & \"returning\"")
    );
    assert_eq!(
        get("XMP-dc:Subject"),
        json!(["harbour", "dawn", "boats; sail"])
    );
    assert_eq!(get("XMP-dc:Creator"), json!(["Jo", "Sam"]));
    assert_eq!(get("XMP-dc:Rights"), json!("© 2024 Trove"));
    assert_eq!(get("XMP-xmp:Rating"), json!(4));
    assert_eq!(get("XMP-xmp:Label"), json!("Green"));
    assert_eq!(
        get("XMP-photoshop:Headline"),
        json!("Morning at the harbour")
    );
    assert_eq!(get("XMP-photoshop:Credit"), json!("Trove Pictures"));
    assert_eq!(
        get("XMP-photoshop:DateCreated"),
        json!("2021:05:04 10:11:12+02:00")
    );
    assert_eq!(get("XMP-exif:GPSLatitude"), json!(37.7858));
    assert_eq!(get("XMP-exif:GPSLongitude"), json!(-122.4064));
    assert_eq!(get("XMP-exif:GPSAltitude"), json!(12.5));
    assert_eq!(get("XMP-exif:GPSAltitudeRef"), json!(1));
    assert_eq!(get("XMP-tiff:Make"), json!("Canon"));
    assert_eq!(get("XMP-tiff:Model"), json!("EOS R5"));
    assert_eq!(
        get("XMP-exifEX:LensModel"),
        json!("RF24-70mm F2.8 L IS USM")
    );
    assert_eq!(
        get("XMP-iptcExt:LocationCreated"),
        json!([{"LocationName": "Pier 39"}])
    );
    assert_eq!(
        get("XMP-plus:CopyrightOwner"),
        json!([{"CopyrightOwnerName": "Trove Ltd"}])
    );
    assert_eq!(
        get("XMP-xmpDM:StartTimecode"),
        json!({"TimeValue": "01:00:00:00"})
    );
    assert_eq!(
        get("XMP-xmpDM:VideoFrameSize"),
        json!({"W": 1920, "H": 1080})
    );
    assert_eq!(
        get("XMP-xmpDM:Duration"),
        json!({"Value": 12500, "Scale": 0.001})
    );
    assert_eq!(get("XMP-xmpDM:VideoFieldOrder"), json!("Upper"));
    assert_eq!(get("XMP-xmpDM:AudioSampleRate"), json!(48000));
    assert_eq!(get("XMP-iptcExt:AudioChannelCount"), json!(2));

    let bytes = std::fs::read(&path).expect("read back");
    let back = read_xmp(&bytes, Origin::SidecarXmp).expect("parses");
    assert_eq!(values(&back, Origin::SidecarXmp), expected_back());
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(source_key(&back, "title"), "dc:title");
    assert_eq!(
        source_key(&back, "timecode_start"),
        "xmpDM:startTimecode/xmpDM:timeValue"
    );
    // Deterministic.
    assert_eq!(write_xmp(&sample()), write_xmp(&sample()));
}

#[test]
fn writer_strips_controls_and_writes_booleans_as_xmp_does() {
    let map: BTreeMap<String, Value> = [
        ("title".to_string(), json!("bell\u{7}\u{1b}[0m here\u{0}")),
        ("label".to_string(), json!(true)),
        ("rating".to_string(), json!(null)),
        ("media_type".to_string(), json!("video")),
    ]
    .into_iter()
    .collect();
    let xmp = write_xmp(&map);
    assert!(!xmp.chars().any(|c| c.is_control() && c != '\n'), "{xmp}");
    assert!(xmp.contains("<xmp:Label>True</xmp:Label>"), "{xmp}");
    assert!(!xmp.contains("xmp:Rating"), "{xmp}");
    let back = read_xmp(xmp.as_bytes(), Origin::SidecarXmp).expect("parses");
    assert_eq!(
        values(&back, Origin::SidecarXmp),
        BTreeMap::from([("label", json!("True")), ("title", json!("bell[0m here"))])
    );
}

#[test]
fn exiftool_edit_of_trove_sidecar_reads_back() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_sidecar(&dir, &sample());
    let file = path.to_str().expect("utf-8");
    exiftool(&[
        "-overwrite_original",
        "-XMP-dc:Title=Edited",
        "-XMP-xmp:Rating=2",
        file,
    ]);
    let back = read_sidecar(&path).expect("reads");
    let mut expected = expected_back();
    expected.insert("title", json!("Edited"));
    expected.insert("rating", json!(2));
    assert_eq!(values(&back, Origin::SidecarXmp), expected);
}

/// A 16×16 red JPEG made by ffmpeg.
fn jpeg(dir: &TempDir) -> std::path::PathBuf {
    let path = dir.path().join("x.jpg");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i"])
        .args(["color=c=red:s=16x16", "-frames:v", "1"])
        .arg(&path)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

#[test]
fn exiftool_embedded_packet_and_sidecar_read_the_same() {
    let dir = TempDir::new().expect("temp dir");
    let jpg = jpeg(&dir);
    assert_eq!(read_embedded_xmp(&jpg).expect("reads"), None);
    let file = jpg.to_str().expect("utf-8");
    exiftool(&[
        "-overwrite_original",
        "-XMP-dc:Title=Quay & <light>",
        "-XMP-dc:Subject=a",
        "-XMP-dc:Subject=b",
        "-XMP-photoshop:Credit=Agency",
        "-XMP-exif:GPSLatitude=-33.8568",
        "-XMP-exif:GPSLongitude=151.2153",
        "-XMP-aux:Lens=Old lens",
        "-XMP-xmpDM:StartTimecodeTimeValue=10:00:00;02",
        "-XMP-xmpDM:StartTimecodeTimeFormat=29.97 fps (drop)",
        file,
    ]);
    let expected = BTreeMap::from([
        ("title", json!("Quay & <light>")),
        ("keywords", json!(["a", "b"])),
        ("credit", json!("Agency")),
        ("gps_latitude", json!(-33.8568)),
        ("gps_longitude", json!(151.2153)),
        ("lens", json!("Old lens")),
        ("timecode_start", json!("10:00:00;02")),
    ]);
    let embedded = read_embedded_xmp(&jpg)
        .expect("reads")
        .expect("has a packet");
    assert_eq!(values(&embedded, Origin::EmbeddedXmp), expected);
    assert_eq!(source_key(&embedded, "lens"), "aux:Lens");

    let sidecar = dir.path().join("x.xmp");
    exiftool(&["-o", sidecar.to_str().expect("utf-8"), file]);
    let read = read_sidecar(&sidecar).expect("reads");
    assert_eq!(values(&read, Origin::SidecarXmp), expected);
}

/// The same facts as Lightroom writes them (properties as attributes), and with odd prefixes
/// and one Description per namespace.
#[test]
fn attribute_form_and_unusual_prefixes_parse_the_same() {
    let lightroom = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmp:Rating="3" xmp:Label="Red" tiff:Make="Nikon" tiff:Model="Z 9"
    exif:GPSLatitude="51,28.67568N" exif:GPSLongitude="0,0.0927W"
    photoshop:DateCreated="2020-01-02T03:04:05">
   <dc:title><rdf:Alt><rdf:li xml:lang="de-DE">Hafen</rdf:li><rdf:li xml:lang="x-default">Harbour</rdf:li></rdf:Alt></dc:title>
   <dc:subject><rdf:Bag><rdf:li>sea</rdf:li><rdf:li>boat</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#;
    let odd = r#"<meta:xmpmeta xmlns:meta="adobe:ns:meta/">
 <r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <r:Description r:about="" xmlns:basic="http://ns.adobe.com/xap/1.0/">
   <basic:Rating>3</basic:Rating>
   <basic:Label>Red</basic:Label>
  </r:Description>
  <r:Description r:about="" xmlns:t="http://ns.adobe.com/tiff/1.0/" t:Make="Nikon">
   <t:Model>Z 9</t:Model>
  </r:Description>
  <r:Description r:about="">
   <e:GPSLatitude xmlns:e="http://ns.adobe.com/exif/1.0/">51,28,40.5408N</e:GPSLatitude>
   <e:GPSLongitude xmlns:e="http://ns.adobe.com/exif/1.0/">0,0,5.562W</e:GPSLongitude>
   <ps:DateCreated xmlns:ps="http://ns.adobe.com/photoshop/1.0/">2020-01-02T03:04:05</ps:DateCreated>
  </r:Description>
  <r:Description r:about="" xmlns:d="http://purl.org/dc/elements/1.1/">
   <d:title><r:Alt><r:li xml:lang="x-default">Harbour</r:li></r:Alt></d:title>
   <d:subject><r:Bag><r:li>sea</r:li><r:li>boat</r:li></r:Bag></d:subject>
   <d:description>wrong prefix is fine</d:description>
   <dc:description xmlns:dc="http://example.com/not-dc/">not Dublin Core</dc:description>
  </r:Description>
 </r:RDF>
</meta:xmpmeta>"#;
    let expected = BTreeMap::from([
        ("title", json!("Harbour")),
        ("keywords", json!(["sea", "boat"])),
        ("rating", json!(3)),
        ("label", json!("Red")),
        ("camera_make", json!("Nikon")),
        ("camera_model", json!("Z 9")),
        ("gps_latitude", json!(51.477928)),
        ("gps_longitude", json!(-0.001545)),
        ("captured_at", json!("2020-01-02T03:04:05")),
    ]);
    let a = read_xmp(lightroom.as_bytes(), Origin::EmbeddedXmp).expect("lightroom form");
    assert_eq!(values(&a, Origin::EmbeddedXmp), expected);
    let b = read_xmp(odd.as_bytes(), Origin::EmbeddedXmp).expect("odd prefixes");
    let mut with_description = expected.clone();
    with_description.insert("description", json!("wrong prefix is fine"));
    assert_eq!(values(&b, Origin::EmbeddedXmp), with_description);
    assert_eq!(source_key(&b, "camera_make"), "tiff:Make");
    assert_eq!(
        b.raw.get("dc:subject").map(String::as_str),
        Some(r#"["sea","boat"]"#)
    );
}

#[test]
fn nested_descriptions_are_structs() {
    let packet = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:xmpDM="http://ns.adobe.com/xmp/1.0/DynamicMedia/"
      xmlns:ext="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
   <xmpDM:startTimecode>
    <rdf:Description xmpDM:timeFormat="25Timecode" xmpDM:timeValue="00:59:58:00"/>
   </xmpDM:startTimecode>
   <xmpDM:duration xmpDM:value="3003" xmpDM:scale="1/1000"/>
   <ext:LocationCreated><rdf:Bag><rdf:li><rdf:Description>
     <ext:LocationName><rdf:Alt><rdf:li xml:lang="en">Quay</rdf:li></rdf:Alt></ext:LocationName>
   </rdf:Description></rdf:li></rdf:Bag></ext:LocationCreated>
   <xmpDM:videoFieldOrder>Progressive</xmpDM:videoFieldOrder>
  </rdf:Description>
 </rdf:RDF>"#;
    let x = read_xmp(packet.as_bytes(), Origin::SidecarXmp).expect("parses");
    assert_eq!(
        values(&x, Origin::SidecarXmp),
        BTreeMap::from([
            ("timecode_start", json!("00:59:58:00")),
            ("duration", json!(3.003)),
            ("location_name", json!("Quay")),
            ("scan_type", json!("progressive")),
        ])
    );
    assert_eq!(
        source_key(&x, "location_name"),
        "Iptc4xmpExt:LocationCreated/Iptc4xmpExt:LocationName"
    );
}

#[test]
fn malformed_packets_are_errors() {
    let cases: &[&[u8]] = &[
        b"",
        b"not xml at all",
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>",
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'></rdf:Bag>",
        b"<a:RDF></a:RDF>",
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF></rdf:RDF></x:xmpmeta>",
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>&bogus;</rdf:RDF>",
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' a='1' a='2'/>",
        b"\xff\xfe<\x00",
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>",
    ];
    for case in cases {
        let result = read_xmp(case, Origin::SidecarXmp);
        assert!(
            result.is_err(),
            "{:?} gave {result:?}",
            String::from_utf8_lossy(case)
        );
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!message.is_empty());
    }
}

#[test]
fn embedded_lookup_and_errors() {
    let dir = TempDir::new().expect("temp dir");
    let none = dir.path().join("none.bin");
    std::fs::write(&none, vec![0u8; 1000]).expect("write");
    assert_eq!(read_embedded_xmp(&none).expect("reads"), None);

    let broken = dir.path().join("broken.bin");
    let mut bytes = b"junk<?xpacket begin='' id='x'?><x:xmpmeta xmlns:x='adobe:ns:meta/'>".to_vec();
    bytes.extend_from_slice(b"<rdf:RDF><unclosed></x:xmpmeta><?xpacket end='w'?>junk");
    std::fs::write(&broken, &bytes).expect("write");
    assert!(matches!(read_embedded_xmp(&broken), Err(Error::Xmp { .. })));

    // A packet past the first 4 MiB is found in the last 4 MiB.
    let big = dir.path().join("big.bin");
    let mut bytes = vec![0u8; 9 << 20];
    let packet = write_xmp(&BTreeMap::from([("title".to_string(), json!("Tail"))]));
    let at = bytes.len() - packet.len() - 100;
    bytes[at..at + packet.len()].copy_from_slice(packet.as_bytes());
    std::fs::write(&big, &bytes).expect("write");
    let x = read_embedded_xmp(&big).expect("reads").expect("found");
    assert_eq!(
        values(&x, Origin::EmbeddedXmp),
        BTreeMap::from([("title", json!("Tail"))])
    );

    assert!(matches!(
        read_sidecar(&dir.path().join("missing.xmp")),
        Err(Error::Io { .. })
    ));
    assert_eq!(find_xmp_packet(b"<?xpacket begin='' no end"), None);
    assert_eq!(
        find_xmp_packet(b"..<x:xmpmeta a='1'></x:xmpmeta>.."),
        Some(&b"<x:xmpmeta a='1'></x:xmpmeta>"[..])
    );
}
