//! A small reader for legacy IPTC IIM ("IPTC-NAA") records, as Photoshop stores them in a JPEG's
//! APP13 segment (image resource 0x0404). No maintained crate reads IIM, and the format is
//! simple: a run of `0x1C record dataset length data` records.
//!
//! Everything here works on byte slices and returns an error for anything malformed or cut
//! short; nothing indexes past a slice's end, so arbitrary bytes never panic (a proptest checks).

use std::collections::BTreeMap;

/// The marker that starts every IIM record.
const TAG_MARKER: u8 = 0x1C;
/// Photoshop's image resource id for IPTC-NAA data.
const IPTC_RESOURCE: u16 = 0x0404;
/// The escape sequence of record 1:90 (coded character set) that declares UTF-8.
const UTF8_DECLARATION: &[u8] = b"\x1b%G";

/// One IIM record: `record:dataset` and its data, undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub(crate) record: u8,
    pub(crate) dataset: u8,
    pub(crate) data: &'a [u8],
}

/// A big-endian reader over a slice that fails instead of running off the end.
struct Bytes<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!(
                "truncated {what} at byte {}: {n} bytes needed, {} left",
                self.offset,
                self.rest.len()
            ));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        self.offset += n;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Only zero bytes left (the padding Photoshop adds to even lengths).
    fn only_padding(&self) -> bool {
        self.rest.iter().all(|&b| b == 0)
    }
}

/// Finds the IPTC-NAA resource (0x0404) in Photoshop image resources (an APP13 segment's data
/// after `Photoshop 3.0\0`). `Ok(None)` when there is none.
pub(crate) fn photoshop_iptc(resources: &[u8]) -> Result<Option<&[u8]>, String> {
    let mut b = Bytes {
        rest: resources,
        offset: 0,
    };
    while !b.only_padding() {
        let signature = b.take(4, "image resource signature")?;
        if !matches!(signature, b"8BIM" | b"PHUT" | b"AgHg" | b"DCSR") {
            return Err(format!(
                "not a Photoshop image resource at byte {}",
                b.offset - 4
            ));
        }
        let id = b.u16("image resource id")?;
        let name_len = usize::from(b.u8("image resource name")?);
        // The Pascal string, length byte included, is padded to an even size.
        b.take(name_len + (name_len + 1) % 2, "image resource name")?;
        let size = usize::try_from(b.u32("image resource size")?)
            .map_err(|_| "image resource too large".to_owned())?;
        let data = b.take(size, "image resource data")?;
        if size % 2 == 1 && !b.rest.is_empty() {
            b.take(1, "image resource padding")?;
        }
        if id == IPTC_RESOURCE {
            return Ok(Some(data));
        }
    }
    Ok(None)
}

/// Splits IIM data into records. Trailing zero padding is allowed; anything else that is not a
/// record, or a record cut short, is an error.
pub(crate) fn parse_records(data: &[u8]) -> Result<Vec<Record<'_>>, String> {
    let mut b = Bytes {
        rest: data,
        offset: 0,
    };
    let mut records = Vec::new();
    while !b.only_padding() {
        let start = b.offset;
        let marker = b.u8("IIM record")?;
        if marker != TAG_MARKER {
            return Err(format!(
                "IIM record expected at byte {start}, found 0x{marker:02x}"
            ));
        }
        let record = b.u8("IIM record number")?;
        let dataset = b.u8("IIM dataset number")?;
        let length = b.u16("IIM record length")?;
        let length = if length & 0x8000 == 0 {
            usize::from(length)
        } else {
            // Extended dataset: the low 15 bits count the bytes of the real length.
            let n = usize::from(length & 0x7fff);
            if n == 0 || n > 4 {
                return Err(format!(
                    "unsupported IIM extended length of {n} bytes at byte {start}"
                ));
            }
            let bytes = b.take(n, "IIM extended length")?;
            let value = bytes
                .iter()
                .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
            usize::try_from(value).map_err(|_| format!("IIM record too large at byte {start}"))?
        };
        let data = b.take(length, "IIM record data")?;
        records.push(Record {
            record,
            dataset,
            data,
        });
    }
    Ok(records)
}

/// The text of IIM records, decoded: UTF-8 when record 1:90 declares it, Latin-1 otherwise.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct IimText {
    /// Every value of each `(record, dataset)` in order, e.g. `(2, 25)` → the keywords.
    pub(crate) values: BTreeMap<(u8, u8), Vec<String>>,
    /// Records declared UTF-8 whose bytes were not (decoded lossily).
    pub(crate) warnings: Vec<String>,
}

/// Decodes the text records of record 2 (the application record).
pub(crate) fn decode(records: &[Record<'_>]) -> IimText {
    let utf8 = records
        .iter()
        .any(|r| (r.record, r.dataset) == (1, 90) && r.data == UTF8_DECLARATION);
    let mut text = IimText::default();
    // 2:00 is the binary record version, not text.
    for r in records.iter().filter(|r| r.record == 2 && r.dataset != 0) {
        let value = if utf8 {
            match std::str::from_utf8(r.data) {
                Ok(s) => s.to_owned(),
                Err(_) => {
                    text.warnings.push(format!(
                        "IPTC:{}:{} is not valid UTF-8 although 1:90 declares it",
                        r.record, r.dataset
                    ));
                    String::from_utf8_lossy(r.data).into_owned()
                }
            }
        } else {
            r.data.iter().map(|&b| char::from(b)).collect()
        };
        text.values
            .entry((r.record, r.dataset))
            .or_default()
            .push(value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(record: u8, dataset: u8, data: &[u8]) -> Vec<u8> {
        let len = u16::try_from(data.len()).expect("short test data");
        let mut out = vec![TAG_MARKER, record, dataset];
        out.extend(len.to_be_bytes());
        out.extend(data);
        out
    }

    fn resource(id: u16, name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = b"8BIM".to_vec();
        out.extend(id.to_be_bytes());
        out.push(u8::try_from(name.len()).expect("short name"));
        out.extend(name);
        if name.len() % 2 == 0 {
            out.push(0);
        }
        out.extend(u32::try_from(data.len()).expect("short").to_be_bytes());
        out.extend(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    #[test]
    fn reads_records_and_decodes_latin1() {
        let mut data = record(2, 0, &[0, 4]);
        data.extend(record(2, 25, b"harbour"));
        data.extend(record(2, 25, b"Caf\xe9"));
        data.extend(record(2, 80, b"Sam"));
        data.extend([0, 0]);
        let records = parse_records(&data).expect("records");
        assert_eq!(records.len(), 4);
        let text = decode(&records);
        assert_eq!(text.values[&(2, 25)], ["harbour", "Café"]);
        assert_eq!(text.values[&(2, 80)], ["Sam"]);
        assert!(!text.values.contains_key(&(2, 0)));
        assert!(text.warnings.is_empty());
    }

    #[test]
    fn honours_the_utf8_declaration() {
        let mut data = record(1, 90, UTF8_DECLARATION);
        data.extend(record(2, 25, "Hafen-Café".as_bytes()));
        data.extend(record(2, 5, b"bad \xff"));
        let text = decode(&parse_records(&data).expect("records"));
        assert_eq!(text.values[&(2, 25)], ["Hafen-Café"]);
        assert_eq!(text.values[&(2, 5)], ["bad \u{fffd}"]);
        assert_eq!(text.warnings.len(), 1, "{:?}", text.warnings);
    }

    #[test]
    fn extended_length() {
        let mut data = vec![TAG_MARKER, 2, 120, 0x80, 0x02, 0x00, 0x03];
        data.extend(b"abc");
        let records = parse_records(&data).expect("records");
        assert_eq!(records[0].data, b"abc");
        // An extended length of five bytes is refused.
        let bad = [TAG_MARKER, 2, 120, 0x80, 0x05, 0, 0, 0, 0, 3];
        assert!(parse_records(&bad).is_err());
    }

    #[test]
    fn truncated_or_foreign_data_is_an_error() {
        let full = record(2, 120, b"a caption");
        for cut in 1..full.len() {
            let err = parse_records(&full[..cut]).expect_err("truncated");
            assert!(err.contains("truncated"), "{err}");
        }
        let err = parse_records(b"\x1c\x02\x05\x00\x01A junk").expect_err("junk");
        assert!(err.contains("found 0x20"), "{err}");
        assert_eq!(parse_records(&[]).expect("empty"), []);
        assert_eq!(parse_records(&[0, 0, 0]).expect("padding"), []);
    }

    #[test]
    fn finds_the_iptc_resource() {
        let iim = record(2, 5, b"Title");
        let mut resources = resource(0x0425, b"", &[1; 16]);
        resources.extend(resource(IPTC_RESOURCE, b"n", &iim));
        assert_eq!(photoshop_iptc(&resources), Ok(Some(&iim[..])));
        assert_eq!(photoshop_iptc(&resource(0x0425, b"", &[1; 3])), Ok(None));
        assert_eq!(photoshop_iptc(&[]), Ok(None));
        for cut in 1..resources.len() - 1 {
            // Cutting through the IPTC resource never panics; most cuts are errors.
            let _ = photoshop_iptc(&resources[..cut]);
        }
        let err = photoshop_iptc(&resources[..20]).expect_err("cut");
        assert!(err.contains("truncated"), "{err}");
        let err = photoshop_iptc(b"XXXX\x04\x04\0\0").expect_err("foreign");
        assert!(err.contains("not a Photoshop image resource"), "{err}");
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = photoshop_iptc(&bytes);
            if let Ok(records) = parse_records(&bytes) {
                let _ = decode(&records);
            }
        }

        #[test]
        fn never_panics_on_near_valid_records(
            parts in proptest::collection::vec((any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..8),
            cut in any::<usize>(),
        ) {
            let mut data = Vec::new();
            for (rec, ds, body) in &parts {
                data.extend(record(*rec, *ds, body));
            }
            let cut = if data.is_empty() { 0 } else { cut % (data.len() + 1) };
            let _ = parse_records(&data[..cut]).map(|r| decode(&r));
            let res = resource(IPTC_RESOURCE, b"", &data);
            let cut = cut % (res.len() + 1);
            let _ = photoshop_iptc(&res[..cut]);
        }
    }
}
