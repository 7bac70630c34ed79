//! Downloads of (restored) objects into a folder: ranged, resumable GETs into `<name>.part`,
//! verified, then renamed into place; and the in-place alternative, a copy of the object onto
//! itself in a hot storage class.
//!
//! - Local names come from keys through [`safe_local_path`], which never leaves the folder.
//! - A `.part` left by an interrupted download is resumed from its length; a connection that
//!   breaks mid-body is resumed from the last byte written. Every ranged GET carries `If-Match`
//!   with the HEAD's ETag, so bytes of two versions are never mixed silently.
//! - Verification: the stored SHA-256 checksum (read with `ChecksumMode=ENABLED`) when the
//!   object has a full-object one, else the ETag of a single-part upload (its MD5). A multipart
//!   ETag (`…-N`) is no hash of the content: such downloads are reported
//!   [`Verification::Unverifiable`], never "verified". A mismatch refetches the whole object;
//!   after the last attempt it is [`Error::ChecksumMismatch`], naming the key.

use std::io::Read;
use std::path::{Path, PathBuf};

use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, MetadataDirective, StorageClass as SdkClass,
};
use md5::Md5;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::classify;
use crate::object::{ObjectHead, StorageClass};
use crate::{Bucket, Error, Result};

/// The longest file name (in bytes) most file systems take.
const MAX_SEGMENT: usize = 255;

/// How downloads go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadOptions {
    /// Bytes per ranged GET.
    pub part_size: u64,
    /// Whole fetches at most when verification fails (the first one included).
    pub verify_attempts: u32,
    /// Attempts per range when the network fails (the first one included).
    pub range_attempts: u32,
    /// Replace a file already at the destination. Without it, a file that verifies against
    /// the object is kept (the download is done) and any other is an error.
    pub overwrite: bool,
}

impl Default for DownloadOptions {
    fn default() -> DownloadOptions {
        DownloadOptions {
            part_size: 8 * 1024 * 1024,
            verify_attempts: 3,
            range_attempts: 6,
            overwrite: false,
        }
    }
}

/// How a download was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Against the stored SHA-256 checksum (base64, as S3 sends it).
    Sha256(String),
    /// Against the ETag of a single-part upload: the MD5 of the bytes (hex).
    Md5(String),
    /// Nothing to check against; the reason says why.
    Unverifiable(String),
}

/// What a download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The file written.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Bytes a previous `.part` already held.
    pub resumed_from: u64,
    /// How the bytes were checked.
    pub verification: Verification,
    /// Whole refetches after a failed verification.
    pub refetches: u32,
    /// Ranged GETs sent, retries included.
    pub requests: u64,
    /// Ranges asked for again after a network failure.
    pub retries: u64,
    /// The file was already there and verified: nothing was fetched.
    pub already_present: bool,
}

/// The expected digest of an object, from its HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Sha256(String),
    Md5(String),
    Nothing(String),
}

impl Expected {
    fn of(head: &ObjectHead) -> Expected {
        let composite = head.checksum_type.as_deref() == Some("COMPOSITE");
        if let Some(sha) = head.checksums.get("SHA256").filter(|_| !composite) {
            return Expected::Sha256(sha.clone());
        }
        match head.etag.as_deref() {
            Some(etag) if etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Expected::Md5(etag.to_ascii_lowercase())
            }
            Some(etag) if etag.contains('-') => Expected::Nothing(format!(
                "multipart ETag {etag} is not a hash of the content and no SHA-256 checksum is stored"
            )),
            _ => Expected::Nothing("no checksum and no MD5 ETag".into()),
        }
    }

    /// `Ok(verification)` when `file`'s bytes match, `Err((expected, actual))` otherwise.
    fn check(
        &self,
        file: &Path,
    ) -> std::io::Result<std::result::Result<Verification, (String, String)>> {
        match self {
            Expected::Nothing(reason) => Ok(Ok(Verification::Unverifiable(reason.clone()))),
            Expected::Sha256(want) => {
                let got = base64_encode(&digest_file::<Sha256>(file)?);
                Ok(if &got == want {
                    Ok(Verification::Sha256(got))
                } else {
                    Err((want.clone(), got))
                })
            }
            Expected::Md5(want) => {
                let got = hex(&digest_file::<Md5>(file)?);
                Ok(if &got == want {
                    Ok(Verification::Md5(got))
                } else {
                    Err((want.clone(), got))
                })
            }
        }
    }

    fn algorithm(&self) -> &'static str {
        match self {
            Expected::Sha256(_) => "SHA-256",
            Expected::Md5(_) => "MD5 (ETag)",
            Expected::Nothing(_) => "none",
        }
    }
}

impl Bucket {
    /// Downloads the object `head` describes into `dir`, at [`safe_local_path`]`(dir, key)`.
    /// Refuses archived objects without a finished restore ([`Error::InvalidObjectState`]) without
    /// sending a GET.
    pub async fn download(
        &self,
        head: &ObjectHead,
        dir: &Path,
        options: &DownloadOptions,
    ) -> Result<Downloaded> {
        let dest = safe_local_path(dir, &head.key)?;
        self.download_file(head, &dest, options).await
    }

    /// Downloads the object `head` describes to `dest` (through `dest` + `.part`).
    pub async fn download_file(
        &self,
        head: &ObjectHead,
        dest: &Path,
        options: &DownloadOptions,
    ) -> Result<Downloaded> {
        self.refuse_archived(head)?;
        let expected = Expected::of(head);
        let mut result = Downloaded {
            path: dest.to_owned(),
            bytes: head.size,
            resumed_from: 0,
            verification: Verification::Unverifiable(String::new()),
            refetches: 0,
            requests: 0,
            retries: 0,
            already_present: false,
        };
        if dest.exists() && !options.overwrite {
            let check = checked(&expected, dest).await?;
            return match check {
                Ok(verification) if !matches!(verification, Verification::Unverifiable(_)) => {
                    result.verification = verification;
                    result.already_present = true;
                    Ok(result)
                }
                _ => Err(Error::DestinationExists {
                    path: dest.to_owned(),
                    key: head.key.clone(),
                }),
            };
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| local(parent, e))?;
        }
        let part = part_path(dest);
        let attempts = options.verify_attempts.max(1);
        for attempt in 1..=attempts {
            let resumed = self.fetch_into(head, &part, options, &mut result).await?;
            if attempt == 1 {
                result.resumed_from = resumed;
            }
            match checked(&expected, &part).await? {
                Ok(verification) => {
                    result.verification = verification;
                    tokio::fs::rename(&part, dest)
                        .await
                        .map_err(|e| local(dest, e))?;
                    return Ok(result);
                }
                Err((want, got)) => {
                    tracing::warn!(key = %head.key, attempt, %want, %got, "downloaded bytes do not match; fetching again");
                    tokio::fs::remove_file(&part)
                        .await
                        .map_err(|e| local(&part, e))?;
                    if attempt == attempts {
                        return Err(Error::ChecksumMismatch {
                            bucket: self.name().to_owned(),
                            key: head.key.clone(),
                            algorithm: expected.algorithm(),
                            expected: want,
                            actual: got,
                            attempts,
                        });
                    }
                    result.refetches += 1;
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Fills `part` up to the object's size with ranged GETs, from its current length; returns
    /// that length.
    async fn fetch_into(
        &self,
        head: &ObjectHead,
        part: &Path,
        options: &DownloadOptions,
        result: &mut Downloaded,
    ) -> Result<u64> {
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(part)
            .await
            .map_err(|e| local(part, e))?;
        let mut offset = file.metadata().await.map_err(|e| local(part, e))?.len();
        if offset > head.size {
            // Longer than the object: not a prefix of it.
            file.set_len(0).await.map_err(|e| local(part, e))?;
            offset = 0;
        }
        let resumed = offset;
        let part_size = options.part_size.max(1);
        while offset < head.size {
            let end = (offset + part_size).min(head.size);
            let mut tries = 0;
            while offset < end {
                tries += 1;
                result.requests += 1;
                let (written, outcome) = self.fetch_range(head, offset, end, &mut file).await;
                offset += written;
                match outcome {
                    Ok(()) => {}
                    Err(err) if err.is_transient() && tries < options.range_attempts => {
                        result.retries += 1;
                        tracing::debug!(key = %head.key, offset, error = %err, "resuming a range");
                        tokio::time::sleep(self.retry.delay(tries)).await;
                    }
                    Err(Error::Service { status: 412, .. }) => {
                        drop(file);
                        let _ = tokio::fs::remove_file(part).await;
                        return Err(Error::ObjectChanged {
                            bucket: self.name().to_owned(),
                            key: head.key.clone(),
                        });
                    }
                    Err(err) => return Err(err),
                }
            }
        }
        file.flush().await.map_err(|e| local(part, e))?;
        file.sync_all().await.map_err(|e| local(part, e))?;
        Ok(resumed)
    }

    /// One GET of `start..end`, its bytes appended to `file` as they arrive. Returns the bytes
    /// written, also when the body broke off.
    async fn fetch_range(
        &self,
        head: &ObjectHead,
        start: u64,
        end: u64,
        file: &mut tokio::fs::File,
    ) -> (u64, Result<()>) {
        let key = head.key.as_str();
        let out = match self
            .get_version(head, Some(format!("bytes={start}-{}", end - 1)))
            .await
        {
            Ok(out) => out,
            Err(e) => return (0, Err(e)),
        };
        let mut body = out.body;
        let want = end - start;
        let mut written = 0u64;
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    // A server that ignored the range (or sent more) is cut to what was asked.
                    let take = (want - written).min(chunk.len() as u64) as usize;
                    if let Err(e) = file.write_all(&chunk[..take]).await {
                        return (written, Err(local(Path::new(key), e)));
                    }
                    written += take as u64;
                    if written == want {
                        return (written, Ok(()));
                    }
                }
                Ok(None) => return (written, Err(self.body_ended(key, written, want))),
                Err(e) => return (written, Err(self.body_broke(key, &e))),
            }
        }
    }

    /// A GET of the version of the object `head` describes (when the HEAD named one), only while
    /// its ETag is still the HEAD's, of `range` (HTTP `bytes=…`) or the whole.
    pub(crate) async fn get_version(
        &self,
        head: &ObjectHead,
        range: Option<String>,
    ) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput> {
        let key = head.key.as_str();
        self.client
            .get_object()
            .bucket(&*self.name)
            .key(key)
            .set_version_id(head.version_id.clone())
            .set_if_match(head.etag.as_ref().map(|e| format!("\"{e}\"")))
            .set_range(range)
            .send()
            .await
            .map_err(|e| classify(e, self.target(Some(key))))
    }

    /// A response body that ended after `got` of the `want` bytes it was to carry.
    pub(crate) fn body_ended(&self, key: &str, got: u64, want: u64) -> Error {
        Error::Network {
            bucket: self.name().to_owned(),
            message: format!(
                "the body of s3://{}/{key} ended after {got} of {want} bytes",
                self.name()
            ),
        }
    }

    /// A response body that broke off with `err`.
    pub(crate) fn body_broke(&self, key: &str, err: &(dyn std::error::Error + 'static)) -> Error {
        Error::Network {
            bucket: self.name().to_owned(),
            message: format!(
                "reading s3://{}/{key}: {}",
                self.name(),
                crate::error::chain(err)
            ),
        }
    }

    /// Makes a restored object permanent: copies it onto itself (same key, version when given)
    /// with `class`, metadata kept — by CopyObject up to 5 GiB, by a multipart copy above. The
    /// object must be readable (restored) first.
    pub async fn copy_in_place(&self, head: &ObjectHead, class: &StorageClass) -> Result<()> {
        self.refuse_archived(head)?;
        if head.size > COPY_LIMIT {
            return self
                .copy_in_place_multipart(head, class, MULTIPART_COPY_PART)
                .await;
        }
        self.copy_object_to(head, &head.key, class, None).await
    }

    /// One CopyObject (objects up to 5 GiB) of the object `head` describes — its version, when
    /// the HEAD named one — to `dest` in this bucket, in `class`, metadata kept; with `if_match`,
    /// only while the source's ETag is still that. Retried like every call here.
    pub(crate) async fn copy_object_to(
        &self,
        head: &ObjectHead,
        dest: &str,
        class: &StorageClass,
        if_match: Option<String>,
    ) -> Result<()> {
        let source = self.copy_source(head);
        let counters = crate::retry::Counters::default();
        crate::retry::retry(&self.retry, None, &counters, || async {
            self.client
                .copy_object()
                .bucket(&*self.name)
                .key(dest)
                .copy_source(&source)
                .set_copy_source_if_match(if_match.clone())
                .storage_class(SdkClass::from(class.as_str()))
                .metadata_directive(MetadataDirective::Copy)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(e, self.target(Some(dest))))
        })
        .await
    }

    /// [`Bucket::copy_in_place`] as a multipart copy (`UploadPartCopy` of `part_size` bytes,
    /// at least 5 MiB), which objects over 5 GiB need; content type and user metadata are
    /// carried over from `head`. An upload that fails is aborted.
    pub async fn copy_in_place_multipart(
        &self,
        head: &ObjectHead,
        class: &StorageClass,
        part_size: u64,
    ) -> Result<()> {
        self.copy_multipart(head, &head.key, class, part_size).await
    }

    /// A multipart copy of the object `head` describes to `dest` (its own key, or another) in
    /// this bucket, with `class`; content type and user metadata are carried over from `head`.
    pub(crate) async fn copy_multipart(
        &self,
        head: &ObjectHead,
        dest: &str,
        class: &StorageClass,
        part_size: u64,
    ) -> Result<()> {
        self.refuse_archived(head)?;
        let key = dest;
        let counters = crate::retry::Counters::default();
        let created = crate::retry::retry(&self.retry, None, &counters, || async {
            self.client
                .create_multipart_upload()
                .bucket(&*self.name)
                .key(key)
                .storage_class(SdkClass::from(class.as_str()))
                .set_content_type(head.content_type.clone())
                .set_metadata(Some(head.user_metadata.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| classify(e, self.target(Some(key))))
        })
        .await?;
        let Some(upload_id) = created.upload_id().map(str::to_owned) else {
            return Err(Error::Service {
                bucket: self.name().to_owned(),
                key: Some(key.to_owned()),
                code: "-".into(),
                status: 200,
                message: "CreateMultipartUpload returned no upload id".into(),
            });
        };
        let copied = self
            .copy_parts(
                head,
                dest,
                &upload_id,
                part_size.max(5 * 1024 * 1024),
                &counters,
            )
            .await;
        if copied.is_err() {
            // Parts of an unfinished upload are billed until aborted.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&*self.name)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        copied
    }

    async fn copy_parts(
        &self,
        head: &ObjectHead,
        dest: &str,
        upload_id: &str,
        part_size: u64,
        counters: &crate::retry::Counters,
    ) -> Result<()> {
        let key = dest;
        let source = self.copy_source(head);
        let mut parts = Vec::new();
        let mut start = 0u64;
        let mut number = 1i32;
        while start < head.size.max(1) {
            let end = (start + part_size).min(head.size);
            let range = format!("bytes={start}-{}", end.saturating_sub(1));
            let out = crate::retry::retry(&self.retry, None, counters, || async {
                self.client
                    .upload_part_copy()
                    .bucket(&*self.name)
                    .key(key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .copy_source(&source)
                    .copy_source_range(&range)
                    .send()
                    .await
                    .map_err(|e| classify(e, self.target(Some(key))))
            })
            .await?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(
                        out.copy_part_result()
                            .and_then(|r| r.e_tag().map(str::to_owned)),
                    )
                    .build(),
            );
            start = end.max(start + 1);
            number += 1;
        }
        let upload = CompletedMultipartUpload::builder()
            .set_parts(Some(parts))
            .build();
        crate::retry::retry(&self.retry, None, counters, || async {
            self.client
                .complete_multipart_upload()
                .bucket(&*self.name)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(upload.clone())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(e, self.target(Some(key))))
        })
        .await
    }

    /// `bucket/key` (and `?versionId=`), percent-encoded, as CopyObject takes it.
    pub(crate) fn copy_source(&self, head: &ObjectHead) -> String {
        let mut source = format!(
            "{}/{}",
            self.name(),
            utf8_percent_encode(&head.key, COPY_SOURCE)
        );
        if let Some(version) = &head.version_id {
            source.push_str(&format!(
                "?versionId={}",
                utf8_percent_encode(version, COPY_SOURCE)
            ));
        }
        source
    }
}

/// The largest object CopyObject takes.
pub(crate) const COPY_LIMIT: u64 = 5 * 1024 * 1024 * 1024;

/// Parts of a multipart copy in place.
pub(crate) const MULTIPART_COPY_PART: u64 = 512 * 1024 * 1024;

/// Characters a copy source's key keeps as they are.
const COPY_SOURCE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `dest` with `.part` appended to its file name.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

/// Where the object `key` goes under `dir`: the key's `/`-separated segments as folders and a
/// file name, made safe. The result is always inside `dir`:
///
/// - empty segments, `.` and `..` are dropped (`../../escape.mov` → `DIR/escape.mov`, a
///   leading `/` is no root);
/// - control characters (NUL included) and `< > : " \ | ? *` become `_`, as do trailing dots
///   and spaces (Windows drops them);
/// - Windows' reserved device names (`CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9`,
///   with or without an extension, any case) get a leading `_`;
/// - a segment longer than 255 bytes is shortened, keeping its extension, with a hash of the
///   whole segment so that shortened names stay distinct.
///
/// A key with no segment left (`""`, `/`, `..`) is [`Error::InvalidKey`].
pub fn safe_local_path(dir: &Path, key: &str) -> Result<PathBuf> {
    let mut path = dir.to_path_buf();
    let mut pushed = 0;
    for segment in key.split('/') {
        if let Some(name) = safe_segment(segment) {
            path.push(name);
            pushed += 1;
        }
    }
    if pushed == 0 {
        return Err(Error::InvalidKey {
            key: key.to_owned(),
            reason: "it has no file name (only `/`, `.` or `..`)",
        });
    }
    Ok(path)
}

fn safe_segment(segment: &str) -> Option<String> {
    if segment.is_empty() || segment == "." || segment == ".." {
        return None;
    }
    let mut name: String = segment
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '\\' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let kept = name.trim_end_matches(['.', ' ']).len();
    let trailing = name.len() - kept;
    name.truncate(kept);
    name.push_str(&"_".repeat(trailing));
    if is_reserved(&name) {
        name.insert(0, '_');
    }
    if name.len() > MAX_SEGMENT {
        name = shorten(&name, segment);
    }
    Some(name)
}

/// Windows' device names, which no file may be called even with an extension.
fn is_reserved(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    matches!(
        stem.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ((stem.starts_with("COM") || stem.starts_with("LPT"))
        && stem.chars().count() == 4
        && stem
            .chars()
            .nth(3)
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '¹' | '²' | '³')))
}

/// `name` cut to [`MAX_SEGMENT`] bytes: its start, `~`, 8 hex digits of the SHA-256 of the
/// original segment, and its extension when short.
fn shorten(name: &str, original: &str) -> String {
    let ext = name
        .rfind('.')
        .map(|i| &name[i..])
        .filter(|e| e.len() <= 16)
        .unwrap_or("");
    let tag = format!("~{}", &hex(&Sha256::digest(original.as_bytes()))[..8]);
    let budget = MAX_SEGMENT - ext.len() - tag.len();
    let mut cut = budget.min(name.len() - ext.len());
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{tag}{ext}", &name[..cut])
}

async fn checked(
    expected: &Expected,
    file: &Path,
) -> Result<std::result::Result<Verification, (String, String)>> {
    let expected = expected.clone();
    let path = file.to_owned();
    tokio::task::spawn_blocking(move || expected.check(&path))
        .await
        .map_err(|e| local(file, std::io::Error::other(e.to_string())))?
        .map_err(|e| local(file, e))
}

fn digest_file<D: Digest>(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = D::new();
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_vec())
}

fn local(path: &Path, source: std::io::Error) -> Error {
    Error::Local {
        path: path.to_owned(),
        source,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(key: &str, expect: &str) {
        let dir = Path::new("/dl");
        let got = safe_local_path(dir, key).expect("a name");
        assert_eq!(got, Path::new(expect), "key {key:?}");
    }

    #[test]
    fn local_names_stay_inside_the_folder() {
        check("a/b/clip.mov", "/dl/a/b/clip.mov");
        check("../../escape.mov", "/dl/escape.mov");
        check("/etc/passwd", "/dl/etc/passwd");
        check("a//b/./c/../d.mov", "/dl/a/b/c/d.mov");
        check("nul\0byte.mov", "/dl/nul_byte.mov");
        check("C:\\Users\\x.mov", "/dl/C__Users_x.mov");
        check("CON", "/dl/_CON");
        check("dir/nul.txt", "/dl/dir/_nul.txt");
        check("com1.mov", "/dl/_com1.mov");
        check("COM10.mov", "/dl/COM10.mov");
        check("console.mov", "/dl/console.mov");
        check("trailing. ", "/dl/trailing__");
        check("...", "/dl/___");
        check("a?b*c|d\"e<f>g", "/dl/a_b_c_d_e_f_g");
        check("ünïcödé/名前.mov", "/dl/ünïcödé/名前.mov");
        for key in ["", "/", "..", "../..", "./.", "//"] {
            assert!(
                matches!(
                    safe_local_path(Path::new("/dl"), key),
                    Err(Error::InvalidKey { .. })
                ),
                "{key:?}"
            );
        }
    }

    #[test]
    fn long_segments_are_shortened_distinctly_keeping_the_extension() {
        let a = format!("{}a.mov", "x".repeat(300));
        let b = format!("{}b.mov", "x".repeat(300));
        let pa = safe_local_path(Path::new("/dl"), &a).expect("a");
        let pb = safe_local_path(Path::new("/dl"), &b).expect("b");
        let na = pa.file_name().and_then(|n| n.to_str()).expect("utf-8");
        assert_eq!(na.len(), 255);
        assert!(na.ends_with(".mov"));
        assert_ne!(pa, pb);
        // Multi-byte characters are cut on a boundary.
        let wide = "é".repeat(200);
        let p = safe_local_path(Path::new("/dl"), &wide).expect("wide");
        assert!(p.file_name().map(|n| n.len()).unwrap_or(0) <= 255);
    }

    #[test]
    fn part_files_sit_next_to_their_destination() {
        assert_eq!(
            part_path(Path::new("/dl/a/clip.mov")),
            Path::new("/dl/a/clip.mov.part")
        );
    }

    #[test]
    fn expected_digests_never_trust_a_multipart_etag() {
        let mut head = ObjectHead {
            key: "k".into(),
            size: 1,
            etag: Some("d41d8cd98f00b204e9800998ecf8427e".into()),
            last_modified: None,
            storage_class: StorageClass::Standard,
            archive_status: None,
            version_id: None,
            content_type: None,
            user_metadata: Default::default(),
            checksums: Default::default(),
            checksum_type: None,
            restore_header: None,
            restore: None,
            parts_count: None,
        };
        assert_eq!(
            Expected::of(&head),
            Expected::Md5("d41d8cd98f00b204e9800998ecf8427e".into())
        );
        head.etag = Some("9b2cf535f27731c974343645a3985328-3".into());
        assert!(matches!(Expected::of(&head), Expected::Nothing(r) if r.contains("multipart")));
        head.checksums.insert("SHA256".into(), "abc=".into());
        assert_eq!(Expected::of(&head), Expected::Sha256("abc=".into()));
        head.checksum_type = Some("COMPOSITE".into());
        assert!(matches!(Expected::of(&head), Expected::Nothing(_)));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        use std::path::Component;

        proptest! {
            #[test]
            fn no_key_escapes_the_folder(key in "([a-zA-Z0-9 ./\\\\:\\x00é名?*~-]|\\.\\.|CON|nul){0,40}") {
                let dir = Path::new("/srv/dl");
                if let Ok(path) = safe_local_path(dir, &key) {
                    let rest = path.strip_prefix(dir).expect("inside the folder");
                    prop_assert!(rest.components().count() >= 1);
                    for c in rest.components() {
                        match c {
                            Component::Normal(name) => {
                                let name = name.to_str().expect("utf-8");
                                prop_assert!(name.len() <= 255);
                                prop_assert!(!name.contains('\0'));
                                prop_assert!(name != "." && name != "..");
                                prop_assert!(!is_reserved(name));
                            }
                            other => prop_assert!(false, "component {other:?} of {path:?}"),
                        }
                    }
                }
            }

            #[test]
            fn any_string_is_handled(key in any::<String>()) {
                let dir = Path::new("/srv/dl");
                if let Ok(path) = safe_local_path(dir, &key) {
                    prop_assert!(path.starts_with(dir));
                    prop_assert!(path.components().all(|c| !matches!(c, Component::ParentDir)));
                }
            }
        }
    }
}
