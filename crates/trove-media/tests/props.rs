//! Property tests: Trove's own parsers of untrusted input (XMP packets, ffprobe's JSON and the
//! date, rational, location, timecode and rotation readers behind [`extract`]) return values,
//! warnings or errors, and never panic.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use trove_media::{extract, find_xmp_packet, read_xmp, write_xmp, Origin, ProbeOutput};

/// Few cases, so that the binary stays fast; each case is cheap.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// A valid packet with every kind of property the reader knows (text, alternatives, lists,
/// numbers, coordinates, altitude, a struct, a field order).
fn valid_packet() -> String {
    let values: BTreeMap<String, Value> = [
        ("title", json!("Harbour & fog <dawn>")),
        ("description", json!("Cranes")),
        ("keywords", json!(["harbour", "fog"])),
        ("creator", json!(["Jo Camera"])),
        ("rating", json!(4)),
        ("gps_latitude", json!(37.7858)),
        ("gps_longitude", json!(-122.4064)),
        ("gps_altitude", json!(-12.5)),
        ("duration", json!(1.001)),
        ("width", json!(1920)),
        ("height", json!(1080)),
        ("scan_type", json!("interlaced_tff")),
        ("copyright_owner", json!("Jo")),
        ("location_name", json!("Pier 7")),
        ("timecode_start", json!("01:00:00:00")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    write_xmp(&values)
}

/// Text that often looks like what the readers expect: dates, rationals, coordinates, numbers,
/// XML fragments; else anything.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("N/A".to_owned()),
        Just("0/0".to_owned()),
        (any::<i64>(), any::<i64>()).prop_map(|(n, d)| format!("{n}/{d}")),
        (any::<i32>(), 0..3i32).prop_map(|(n, d)| format!("{n}:{d}")),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        "[0-9]{0,4}[-:][0-9]{0,2}[-:][0-9]{0,2}[T ]?[0-9]{0,2}:?[0-9]{0,2}:?[0-9]{0,2}(\\.[0-9]{0,9})?(Z|[+-][0-9]{0,4})?",
        "[+-][0-9]{1,9}(\\.[0-9]{0,9})?[+-][0-9]{1,10}(\\.[0-9]{0,9})?([+-][0-9.]{0,8})?/?",
        "[0-9]{1,3},[0-9]{1,2}(\\.[0-9]{0,8})?[NSEWX]?",
        "[0-9]{0,2}:[0-9]{0,2}[:;][0-9]{0,2}[:;.][0-9]{0,3}",
        "[<>&;\"'a-z:/ ]{0,24}",
        any::<String>(),
    ]
}

/// Any JSON scalar, numbers at their extremes included.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        texty().prop_map(Value::from),
    ]
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::from),
            btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Tag keys the extractor looks for, in any case and with a language suffix now and then.
fn tag_key() -> impl Strategy<Value = String> {
    let known = prop::sample::select(vec![
        "title",
        "artist",
        "author",
        "comment",
        "description",
        "keywords",
        "copyright",
        "creation_time",
        "date",
        "location",
        "rotate",
        "timecode",
        "major_brand",
        "com.apple.quicktime.creationdate",
        "com.apple.quicktime.location.ISO6709",
        "com.apple.quicktime.keywords",
        "com.apple.quicktime.make",
        "com.android.model",
    ]);
    prop_oneof![
        4 => (known.clone(), any::<bool>(), prop::option::of("-[a-z]{3}")).prop_map(
            |(k, upper, lang)| {
                let k = if upper { k.to_uppercase() } else { k.to_owned() };
                k + lang.as_deref().unwrap_or("")
            }
        ),
        1 => any::<String>(),
    ]
}

fn tags() -> impl Strategy<Value = Value> {
    btree_map(
        tag_key(),
        prop_oneof![4 => texty().prop_map(Value::from), 1 => scalar()],
        0..6,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// A field that is usually of the expected shape and sometimes anything at all.
fn field(usual: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop_oneof![4 => usual, 1 => scalar()]
}

/// Inserts the `Some` entries of `fields` into a JSON object.
fn object(fields: Vec<(&str, Option<Value>)>) -> Value {
    let map: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?)))
        .collect();
    Value::Object(map)
}

fn stream() -> impl Strategy<Value = Value> {
    let text = || prop::option::of(field(texty().prop_map(Value::from)));
    let int = || prop::option::of(field(any::<i64>().prop_map(Value::from)));
    let codec_type = prop::option::of(field(
        prop::sample::select(vec!["video", "audio", "data", "subtitle", "attachment", ""])
            .prop_map(Value::from),
    ));
    let codec_name = prop::option::of(field(
        prop::sample::select(vec![
            "h264",
            "prores",
            "pcm_s24le",
            "flac",
            "aac",
            "mjpeg",
            "png",
        ])
        .prop_map(Value::from),
    ));
    let pix_fmt = prop::option::of(field(
        "(yuv|yuva|gbr|gray|rgb|p)[0-9a-z]{0,10}(le|be)?".prop_map(Value::from),
    ));
    let side_data = prop::option::of(field(
        vec(
            (
                prop::option::of(field(Just(json!("Display Matrix")))),
                prop::option::of(field(any::<f64>().prop_map(Value::from))),
            )
                .prop_map(|(kind, rotation)| {
                    object(vec![("side_data_type", kind), ("rotation", rotation)])
                }),
            0..3,
        )
        .prop_map(Value::from),
    ));
    let disposition = prop::option::of(field(
        btree_map("attached_pic|default", any::<i64>(), 0..2).prop_map(|m| json!(m)),
    ));
    (
        (codec_type, codec_name, int(), int(), text(), text(), text()),
        (text(), int(), text(), text(), text(), int(), int()),
        (
            pix_fmt,
            text(),
            text(),
            disposition,
            side_data,
            prop::option::of(tags()),
        ),
    )
        .prop_map(
            |(
                (codec_type, codec_name, width, height, r_rate, avg_rate, time_base),
                (duration, duration_ts, sample_rate, raw_bits, sar, bits, channels),
                (pix_fmt, sample_fmt, field_order, disposition, side_data, tags),
            )| {
                object(vec![
                    ("codec_type", codec_type),
                    ("codec_name", codec_name),
                    ("width", width),
                    ("height", height),
                    ("r_frame_rate", r_rate),
                    ("avg_frame_rate", avg_rate),
                    ("time_base", time_base),
                    ("duration", duration),
                    ("duration_ts", duration_ts),
                    ("sample_rate", sample_rate),
                    ("bits_per_raw_sample", raw_bits),
                    ("sample_aspect_ratio", sar),
                    ("bits_per_sample", bits),
                    ("channels", channels),
                    ("pix_fmt", pix_fmt),
                    ("sample_fmt", sample_fmt),
                    ("field_order", field_order),
                    ("disposition", disposition),
                    ("side_data_list", side_data),
                    ("tags", tags),
                ])
            },
        )
}

fn probe_json() -> impl Strategy<Value = Value> {
    let text = || prop::option::of(field(texty().prop_map(Value::from)));
    let format = (
        prop::option::of(field(
            prop::sample::select(vec!["mov,mp4,m4a,3gp,3g2,mj2", "wav", "flac", "image2", ""])
                .prop_map(Value::from),
        )),
        text(),
        text(),
        prop::option::of(tags()),
    )
        .prop_map(|(name, duration, bit_rate, tags)| {
            object(vec![
                ("format_name", name),
                ("duration", duration),
                ("bit_rate", bit_rate),
                ("tags", tags),
            ])
        });
    (
        prop::option::of(vec(stream(), 0..4).prop_map(Value::from)),
        prop::option::of(format),
    )
        .prop_map(|(streams, format)| object(vec![("streams", streams), ("format", format)]))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn xmp_readers_never_panic_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..2048)) {
        let _ = read_xmp(&bytes, Origin::SidecarXmp);
        if let Some(packet) = find_xmp_packet(&bytes) {
            prop_assert!(packet.len() <= bytes.len());
            let _ = read_xmp(packet, Origin::EmbeddedXmp);
        }
    }

    #[test]
    fn xmp_readers_never_panic_on_text_with_xmp_markers(
        parts in vec(
            prop_oneof![
                prop::sample::select(vec![
                    "<?xpacket begin=\"\"?>",
                    "<?xpacket end=\"w\"?>",
                    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">",
                    "</x:xmpmeta>",
                    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
                    "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">",
                    "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">",
                    "</rdf:li></rdf:Alt></dc:title>",
                    "<dc:subject rdf:parseType=\"Resource\">",
                    "&amp;&#0;&#x110000;&bogus;",
                    "?>",
                ])
                .prop_map(str::to_owned),
                "[<>/=\"a-z:&;# ]{0,12}",
            ],
            0..16,
        ),
    ) {
        let text = parts.concat();
        let _ = read_xmp(text.as_bytes(), Origin::SidecarXmp);
        if let Some(packet) = find_xmp_packet(text.as_bytes()) {
            let _ = read_xmp(packet, Origin::EmbeddedXmp);
        }
    }

    #[test]
    fn xmp_readers_never_panic_on_a_cut_packet(cut in any::<prop::sample::Index>()) {
        let packet = valid_packet();
        let bytes = &packet.as_bytes()[..cut.index(packet.len() + 1)];
        let _ = read_xmp(bytes, Origin::SidecarXmp);
        if let Some(found) = find_xmp_packet(bytes) {
            let _ = read_xmp(found, Origin::SidecarXmp);
        }
    }

    #[test]
    fn xmp_readers_never_panic_on_a_damaged_packet(
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        inserts in vec((any::<prop::sample::Index>(), vec(any::<u8>(), 1..8)), 0..3),
        junk in vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = valid_packet().into_bytes();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        for (at, insert) in inserts {
            let i = at.index(bytes.len() + 1);
            bytes.splice(i..i, insert);
        }
        let _ = read_xmp(&bytes, Origin::SidecarXmp);
        let mut embedded = junk.clone();
        embedded.extend_from_slice(&bytes);
        embedded.extend_from_slice(&junk);
        if let Some(found) = find_xmp_packet(&embedded) {
            let _ = read_xmp(found, Origin::EmbeddedXmp);
        }
    }

    #[test]
    fn written_packets_are_found_and_read(
        values in btree_map(
            prop::sample::select(vec![
                "title", "headline", "keywords", "rating", "creator", "gps_latitude",
                "gps_altitude", "duration", "width", "frame_rate", "scan_type", "location_name",
            ]),
            prop_oneof![scalar(), vec(scalar(), 0..3).prop_map(Value::from)],
            0..6,
        ),
    ) {
        let values: BTreeMap<String, Value> =
            values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let packet = write_xmp(&values);
        prop_assert_eq!(
            find_xmp_packet(packet.as_bytes()),
            Some(packet.trim_end().as_bytes())
        );
        let read = read_xmp(packet.as_bytes(), Origin::SidecarXmp);
        prop_assert!(read.is_ok(), "{:?} for\n{}", read, packet);
    }

    #[test]
    fn extract_never_panics_on_arbitrary_json(value in any_json()) {
        if let Ok(output) = serde_json::from_value::<ProbeOutput>(value) {
            let _ = extract(&output);
        }
    }

    #[test]
    fn extract_never_panics_on_ffprobe_like_json(value in probe_json()) {
        let output = serde_json::from_value::<ProbeOutput>(value.clone());
        // Every field is read leniently: only a wrong top-level shape can fail.
        prop_assert!(output.is_ok(), "{:?} for {}", output, value);
        if let Ok(output) = output {
            let x = extract(&output);
            let mut fields: Vec<&str> = x.values.iter().map(|v| v.field).collect();
            let n = fields.len();
            fields.sort_unstable();
            fields.dedup();
            prop_assert_eq!(fields.len(), n, "a field twice: {:?}", x.values);
        }
    }
}
