//! S3 Inventory: indexing a bucket from its inventory report instead of listing it.
//!
//! A report is a `manifest.json` (format, column schema, data files with their MD5) and data
//! files. This reads CSV reports (gzip-compressed, as S3 writes them); Parquet and ORC reports
//! are refused with a clear error. Each data file is downloaded as a stream, checked against
//! the manifest's MD5, decompressed and parsed on a blocking thread, and delivered as
//! [`ObjectEntry`] batches — the same as a listing. A download cut short resumes with a ranged
//! GET from the last byte received.

use std::io::{self, Read};
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use md5::{Digest, Md5};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::bucket::Bucket;
use crate::error::classify;
use crate::object::{ArchiveStatus, ObjectEntry, StorageClass};
use crate::retry::Counters;
use crate::{Error, Result};

/// The parts of `manifest.json` Trove uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryManifest {
    /// The bucket the report describes.
    pub source_bucket: String,
    /// Where the data files are: a bucket name or `arn:aws:s3:::name`.
    pub destination_bucket: String,
    /// `CSV`, `Parquet` or `ORC`.
    pub file_format: String,
    /// The columns, comma-separated, e.g. `Bucket, Key, Size, LastModifiedDate, ETag,
    /// StorageClass`.
    pub file_schema: String,
    /// When the report was made, in milliseconds since the epoch (a string in the JSON).
    #[serde(default)]
    pub creation_timestamp: Option<String>,
    /// The data files.
    pub files: Vec<InventoryFile>,
}

/// One data file of a report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InventoryFile {
    /// Its key in the destination bucket.
    pub key: String,
    /// Its size in bytes (compressed).
    #[serde(default)]
    pub size: u64,
    /// The MD5 of the file, hex.
    #[serde(rename = "MD5checksum", default)]
    pub md5: Option<String>,
}

impl InventoryManifest {
    /// Parses a manifest.
    pub fn parse(json: &[u8]) -> std::result::Result<InventoryManifest, String> {
        serde_json::from_slice(json).map_err(|e| format!("not an inventory manifest: {e}"))
    }

    /// The bucket that holds the data files.
    pub fn destination_bucket_name(&self) -> &str {
        self.destination_bucket
            .strip_prefix("arn:aws:s3:::")
            .unwrap_or(&self.destination_bucket)
    }

    /// When the report was made.
    pub fn created(&self) -> Option<SystemTime> {
        let millis: u64 = self.creation_timestamp.as_deref()?.trim().parse().ok()?;
        Some(SystemTime::UNIX_EPOCH + Duration::from_millis(millis))
    }
}

/// Which CSV column holds each field, from a manifest's `fileSchema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventorySchema {
    key: usize,
    size: Option<usize>,
    etag: Option<usize>,
    last_modified: Option<usize>,
    storage_class: Option<usize>,
    version_id: Option<usize>,
    is_latest: Option<usize>,
    is_delete_marker: Option<usize>,
    tier: Option<usize>,
    checksum_algorithm: Option<usize>,
}

impl InventorySchema {
    /// Parses `fileSchema` (`Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, …`).
    pub fn parse(file_schema: &str) -> std::result::Result<InventorySchema, String> {
        let columns: Vec<&str> = file_schema.split(',').map(str::trim).collect();
        let find = |name: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(name));
        Ok(InventorySchema {
            key: find("Key")
                .ok_or_else(|| format!("fileSchema has no Key column: {file_schema:?}"))?,
            size: find("Size"),
            etag: find("ETag"),
            last_modified: find("LastModifiedDate"),
            storage_class: find("StorageClass"),
            version_id: find("VersionId"),
            is_latest: find("IsLatest"),
            is_delete_marker: find("IsDeleteMarker"),
            tier: find("IntelligentTieringAccessTier"),
            checksum_algorithm: find("ChecksumAlgorithm"),
        })
    }
}

/// How to read an inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryOptions {
    /// Only keys that start with this (a source's prefix); the report covers what its
    /// configuration covers.
    pub prefix: String,
    /// Entries per batch.
    pub batch_size: usize,
}

impl Default for InventoryOptions {
    fn default() -> InventoryOptions {
        InventoryOptions {
            prefix: String::new(),
            batch_size: 4096,
        }
    }
}

/// What reading an inventory found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryStats {
    /// The bucket the report describes (compare it with the source's).
    pub source_bucket: String,
    /// When the report was made: objects changed since are not in it.
    pub created: Option<SystemTime>,
    /// Data files read.
    pub files: u64,
    /// CSV lines read.
    pub lines: u64,
    /// Entries delivered.
    pub objects: u64,
    /// Lines left out: other prefixes, older versions, delete markers.
    pub skipped: u64,
    /// Compressed bytes downloaded.
    pub bytes: u64,
    /// Ranged GETs that resumed a download cut short.
    pub resumed: u64,
}

/// Lines counted by a parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseCounts {
    /// CSV lines read.
    pub lines: u64,
    /// Entries delivered.
    pub objects: u64,
    /// Lines left out.
    pub skipped: u64,
}

/// Parses one inventory CSV (already decompressed) into batches passed to `emit`, which returns
/// `false` to stop. Keys are URL-decoded (`%XX`, and `+` for a space) as S3 writes them.
/// Errors name the line.
pub fn parse_inventory_csv<R: Read>(
    reader: R,
    schema: &InventorySchema,
    options: &InventoryOptions,
    mut emit: impl FnMut(Vec<ObjectEntry>) -> bool,
) -> std::result::Result<ParseCounts, String> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(reader);
    let batch_size = options.batch_size.max(1);
    let mut batch = Vec::with_capacity(batch_size);
    let mut record = csv::ByteRecord::new();
    let mut counts = ParseCounts::default();
    let mut key_buf = Vec::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("line {}: {e}", counts.lines + 1)),
        }
        counts.lines += 1;
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).filter(|f| !f.is_empty());
        let text = |i: Option<usize>| field(i).map(|f| String::from_utf8_lossy(f).into_owned());
        if field(schema.is_delete_marker) == Some(b"true")
            || field(schema.is_latest) == Some(b"false")
        {
            counts.skipped += 1;
            continue;
        }
        let raw_key =
            field(Some(schema.key)).ok_or_else(|| format!("line {}: no key", counts.lines))?;
        let key = url_decode(raw_key, &mut key_buf);
        if !key.starts_with(&options.prefix) {
            counts.skipped += 1;
            continue;
        }
        let size = match field(schema.size) {
            Some(s) => parse_u64(s).ok_or_else(|| {
                format!(
                    "line {}: size {:?} is not a number",
                    counts.lines,
                    String::from_utf8_lossy(s)
                )
            })?,
            None => 0,
        };
        let last_modified = match field(schema.last_modified) {
            Some(t) => Some(parse_timestamp(t).ok_or_else(|| {
                format!(
                    "line {}: {:?} is not a timestamp",
                    counts.lines,
                    String::from_utf8_lossy(t)
                )
            })?),
            None => None,
        };
        batch.push(ObjectEntry {
            key,
            size,
            etag: text(schema.etag),
            last_modified,
            storage_class: field(schema.storage_class)
                .map(|c| StorageClass::parse(&String::from_utf8_lossy(c)))
                .unwrap_or_default(),
            archive_status: field(schema.tier)
                .map(|t| ArchiveStatus::parse(&String::from_utf8_lossy(t))),
            version_id: text(schema.version_id).filter(|v| v != "null"),
            checksum_algorithm: text(schema.checksum_algorithm),
            restore: None,
        });
        counts.objects += 1;
        if batch.len() >= batch_size
            && !emit(std::mem::replace(
                &mut batch,
                Vec::with_capacity(batch_size),
            ))
        {
            return Ok(counts);
        }
    }
    if !batch.is_empty() {
        emit(batch);
    }
    Ok(counts)
}

/// Decodes `%XX` and `+` (a space); invalid UTF-8 is replaced, invalid escapes kept.
fn url_decode(raw: &[u8], buf: &mut Vec<u8>) -> String {
    if !raw.iter().any(|b| *b == b'%' || *b == b'+') {
        return String::from_utf8_lossy(raw).into_owned();
    }
    buf.clear();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => buf.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    buf.push(h << 4 | l);
                    i += 2;
                }
                _ => buf.push(b'%'),
            },
            b => buf.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(buf).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.iter().try_fold(0u64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// Parses `2024-01-02T03:04:05.678Z` (the inventory's form; fractions and `Z` optional).
fn parse_timestamp(s: &[u8]) -> Option<SystemTime> {
    if s.len() < 19
        || s[4] != b'-'
        || s[7] != b'-'
        || s[10] != b'T'
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let num = |a: usize, b: usize| parse_u64(&s[a..b]);
    let (year, month, day) = (num(0, 4)? as i64, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut nanos = 0u64;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut n = parse_u64(&frac[..digits.min(9)])?;
        for _ in digits.min(9)..9 {
            n *= 10;
        }
        nanos = n;
        rest = &frac[digits..];
    }
    if !(rest.is_empty() || rest == b"Z") {
        return None;
    }
    let days = days_from_civil(year, month as i64, day as i64);
    let secs = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
    let secs = u64::try_from(secs).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos as u32))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A `Read` over chunks sent from the async download.
struct ChunkReader {
    rx: mpsc::Receiver<io::Result<bytes::Bytes>>,
    current: bytes::Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

impl Bucket {
    /// Reads `manifest.json` of an inventory report in this bucket.
    pub async fn inventory_manifest(&self, key: &str) -> Result<InventoryManifest> {
        let bytes = self.get_small(key).await?;
        InventoryManifest::parse(&bytes).map_err(|reason| self.inventory_error(key, reason))
    }

    /// Indexes from an inventory report: reads the manifest at `manifest_key` in this bucket,
    /// then each CSV.gz data file (from the manifest's destination bucket), and sends the entries
    /// to `sink` in batches. An error stops the read; entries already sent stay valid, but the
    /// caller must not mark anything missing after a failed read.
    pub async fn read_inventory(
        &self,
        manifest_key: &str,
        options: &InventoryOptions,
        sink: mpsc::Sender<Vec<ObjectEntry>>,
    ) -> Result<InventoryStats> {
        let manifest = self.inventory_manifest(manifest_key).await?;
        if !manifest.file_format.eq_ignore_ascii_case("CSV") {
            return Err(self.inventory_error(
                manifest_key,
                format!(
                    "format {} is not supported (configure the inventory as CSV)",
                    manifest.file_format
                ),
            ));
        }
        let schema = InventorySchema::parse(&manifest.file_schema)
            .map_err(|reason| self.inventory_error(manifest_key, reason))?;
        let files_bucket = if manifest.destination_bucket_name() == self.name() {
            self.clone()
        } else {
            self.with_name(manifest.destination_bucket_name())
        };
        let mut stats = InventoryStats {
            source_bucket: manifest.source_bucket.clone(),
            created: manifest.created(),
            ..InventoryStats::default()
        };
        for file in &manifest.files {
            files_bucket
                .read_inventory_file(file, &schema, options, &sink, &mut stats)
                .await?;
            stats.files += 1;
        }
        Ok(stats)
    }

    /// The same client for another bucket.
    pub(crate) fn with_name(&self, name: &str) -> Bucket {
        let mut other = self.clone();
        other.name = std::sync::Arc::from(name);
        other
    }

    fn inventory_error(&self, key: &str, reason: String) -> Error {
        Error::Inventory {
            bucket: self.name().to_owned(),
            key: key.to_owned(),
            reason,
        }
    }

    async fn get_small(&self, key: &str) -> Result<Vec<u8>> {
        let counters = Counters::default();
        crate::retry::retry(&self.retry, None, &counters, || async {
            let out = self
                .client
                .get_object()
                .bucket(&*self.name)
                .key(key)
                .send()
                .await
                .map_err(|e| classify(e, self.target(Some(key))))?;
            let body = out.body.collect().await.map_err(|e| Error::Network {
                bucket: self.name().to_owned(),
                message: crate::error::chain(&e),
            })?;
            Ok(body.into_bytes().to_vec())
        })
        .await
    }

    async fn read_inventory_file(
        &self,
        file: &InventoryFile,
        schema: &InventorySchema,
        options: &InventoryOptions,
        sink: &mpsc::Sender<Vec<ObjectEntry>>,
        stats: &mut InventoryStats,
    ) -> Result<()> {
        let key = file.key.as_str();
        let (chunk_tx, chunk_rx) = mpsc::channel::<io::Result<bytes::Bytes>>(32);
        let parser = {
            let schema = schema.clone();
            let options = options.clone();
            let sink = sink.clone();
            tokio::task::spawn_blocking(move || {
                let reader = ChunkReader {
                    rx: chunk_rx,
                    current: bytes::Bytes::new(),
                };
                let gz = flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(
                    256 * 1024,
                    reader,
                ));
                parse_inventory_csv(gz, &schema, &options, |batch| {
                    sink.blocking_send(batch).is_ok()
                })
            })
        };
        let downloaded = self.download_to(key, &chunk_tx, stats).await;
        drop(chunk_tx);
        let parsed = parser
            .await
            .map_err(|e| self.inventory_error(key, format!("parser failed: {e}")))?;
        let md5 = downloaded?;
        let counts = parsed.map_err(|reason| self.inventory_error(key, reason))?;
        if sink.is_closed() {
            return Err(Error::Cancelled {
                bucket: self.name().to_owned(),
            });
        }
        if let Some(expected) = &file.md5 {
            if !expected.eq_ignore_ascii_case(&md5) {
                return Err(self.inventory_error(
                    key,
                    format!(
                        "MD5 {md5} differs from the manifest's {expected}: the file is damaged"
                    ),
                ));
            }
        }
        stats.lines += counts.lines;
        stats.objects += counts.objects;
        stats.skipped += counts.skipped;
        Ok(())
    }

    /// Streams `key` into `tx`; a body cut short is resumed with a ranged GET from the last byte
    /// received (pinned to the ETag). Returns the hex MD5 of the bytes.
    async fn download_to(
        &self,
        key: &str,
        tx: &mpsc::Sender<io::Result<bytes::Bytes>>,
        stats: &mut InventoryStats,
    ) -> Result<String> {
        let mut md5 = Md5::new();
        let mut offset = 0u64;
        let mut etag: Option<String> = None;
        let mut attempt = 0u32;
        let counters = Counters::default();
        loop {
            attempt += 1;
            let mut request = self.client.get_object().bucket(&*self.name).key(key);
            if offset > 0 {
                request = request.range(format!("bytes={offset}-"));
                if let Some(etag) = &etag {
                    request = request.if_match(etag);
                }
            }
            counters.requests.fetch_add(1, Ordering::Relaxed);
            let result = match request.send().await {
                Ok(mut out) => {
                    if etag.is_none() {
                        etag = out.e_tag().map(str::to_owned);
                    }
                    loop {
                        match out.body.next().await {
                            None => break Ok(()),
                            Some(Ok(chunk)) => {
                                md5.update(&chunk);
                                offset += chunk.len() as u64;
                                stats.bytes += chunk.len() as u64;
                                if tx.send(Ok(chunk)).await.is_err() {
                                    // The parser stopped: its error says why.
                                    return Ok(String::new());
                                }
                            }
                            Some(Err(e)) => {
                                break Err(Error::Network {
                                    bucket: self.name().to_owned(),
                                    message: crate::error::chain(&e),
                                })
                            }
                        }
                    }
                }
                Err(e) => Err(classify(e, self.target(Some(key)))),
            };
            match result {
                Ok(()) => return Ok(hex_string(&md5.finalize())),
                Err(e) if e.is_transient() && attempt < self.retry.max_attempts => {
                    if offset > 0 {
                        stats.resumed += 1;
                    }
                    tracing::debug!(key, offset, error = %e, "resuming inventory download");
                    tokio::time::sleep(Duration::from_millis(50 << attempt.min(6))).await;
                }
                Err(e) => {
                    let _ = tx.send(Err(io::Error::other(e.to_string()))).await;
                    return Err(e);
                }
            }
        }
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IntelligentTieringAccessTier";

    fn parse(csv: &str, prefix: &str) -> (Vec<ObjectEntry>, ParseCounts) {
        let schema = InventorySchema::parse(SCHEMA).expect("schema");
        let options = InventoryOptions {
            prefix: prefix.into(),
            batch_size: 2,
        };
        let mut all = Vec::new();
        let counts = parse_inventory_csv(csv.as_bytes(), &schema, &options, |b| {
            all.extend(b);
            true
        })
        .expect("parses");
        (all, counts)
    }

    #[test]
    fn parses_lines_and_skips_old_versions_delete_markers_and_other_prefixes() {
        let csv = "\"b\",\"a/x+y%2B%C3%BC.mov\",\"v1\",\"true\",\"false\",\"10\",\"2024-01-02T03:04:05.678Z\",\"e1\",\"GLACIER\",\"\"\n\
                   \"b\",\"a/old.mov\",\"v0\",\"false\",\"false\",\"5\",\"2023-01-01T00:00:00.000Z\",\"e0\",\"STANDARD\",\"\"\n\
                   \"b\",\"a/gone.mov\",\"v2\",\"true\",\"true\",\"\",\"2023-01-01T00:00:00.000Z\",\"\",\"\",\"\"\n\
                   \"b\",\"other/z.mov\",\"null\",\"true\",\"false\",\"1\",\"2023-01-01T00:00:00.000Z\",\"e3\",\"STANDARD\",\"\"\n\
                   \"b\",\"a/it.mov\",\"null\",\"true\",\"false\",\"7\",\"2023-01-01T00:00:00Z\",\"e4\",\"INTELLIGENT_TIERING\",\"DEEP_ARCHIVE\"\n";
        let (all, counts) = parse(csv, "a/");
        assert_eq!(
            counts,
            ParseCounts {
                lines: 5,
                objects: 2,
                skipped: 3
            }
        );
        assert_eq!(all[0].key, "a/x y+ü.mov");
        assert_eq!(all[0].size, 10);
        assert_eq!(all[0].etag.as_deref(), Some("e1"));
        assert_eq!(all[0].storage_class, StorageClass::Glacier);
        assert_eq!(all[0].version_id.as_deref(), Some("v1"));
        assert_eq!(
            all[0].last_modified,
            Some(SystemTime::UNIX_EPOCH + Duration::new(1_704_164_645, 678_000_000))
        );
        assert_eq!(all[1].version_id, None);
        assert_eq!(
            all[1].archive_status,
            Some(ArchiveStatus::DeepArchiveAccess)
        );
        assert!(all[1].is_archived());
    }

    #[test]
    fn bad_lines_are_named() {
        let schema = InventorySchema::parse("Bucket, Key, Size").expect("schema");
        let err = parse_inventory_csv(
            "\"b\",\"k\",\"1\"\n\"b\",\"k2\",\"x\"\n".as_bytes(),
            &schema,
            &InventoryOptions::default(),
            |_| true,
        )
        .expect_err("size x");
        assert_eq!(err, "line 2: size \"x\" is not a number");
        assert!(InventorySchema::parse("Bucket, Size").is_err());
    }

    #[test]
    fn timestamps_and_escapes() {
        assert_eq!(
            parse_timestamp(b"1970-01-01T00:00:00.000Z"),
            Some(SystemTime::UNIX_EPOCH)
        );
        assert_eq!(
            parse_timestamp(b"2000-03-01T00:00:00Z"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(951_868_800))
        );
        assert_eq!(parse_timestamp(b"2000-13-01T00:00:00Z"), None);
        let mut buf = Vec::new();
        assert_eq!(url_decode(b"100%", &mut buf), "100%");
        assert_eq!(url_decode(b"%zz%41", &mut buf), "%zzA");
    }
}
