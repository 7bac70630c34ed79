//! Duplicates among S3 objects (issue 7's S3 part): objects join the exact groups of their local
//! copies, or form groups of their own, and `dupes remove` removes extra S3 copies so that
//! `trove undo` can bring them back.
//!
//! **Identity without reading.** An object stored with a full-object SHA-256 checksum (read by
//! its HEAD job; a composite checksum of a multipart upload ends in `-N` and is not comparable) is
//! named `sha256:<hex>`; else the ETag of a single-part upload (32 hex digits) is the MD5 of its
//! bytes, `md5:<hex>`. That holds for AWS with SSE-S3 or no encryption and for moto; an SSE-KMS
//! or SSE-C ETag is *not* an MD5, so buckets encrypted that way should carry SHA-256 checksums.
//! A multipart ETag (`…-N`) names no content.
//!
//! **Matching local files.** Only local files whose size is some object's are read, once: MD5,
//! SHA-256 and BLAKE3 in one pass, cached in `file_hashes` under trove-hash's `MD5_SCHEME`,
//! `SHA256_SCHEME` and `BLAKE3_SCHEME`, so a second run reads nothing.
//!
//! **Objects without a comparable key** are read (one streaming GET, hashed as the bytes arrive)
//! only when they can be read now — never an archive class or an archived Intelligent-Tiering
//! tier — and some other copy candidate has their size. What a read found is kept as the
//! location's `content_hash`, which the catalog clears when the object changes.
//!
//! **Groups.** Copies sharing any digest are one content. An object joins the exact group of its
//! local copies (the group's hash stays their BLAKE3); a local file no other local file
//! duplicates forms a group with its S3 copies (named by its BLAKE3); S3-only copies form a group
//! named by their key (`sha256:…` when one has a SHA-256, else `md5:…`). With `record`, S3 media
//! locations are merged into the group's one asset like local ones.
//!
//! **Removal.** Right before an S3 copy goes, its HEAD must still show the ETag, size (and
//! version) the catalog knows, else it is kept ("changed since the scan"). In a bucket with
//! versioning enabled it is deleted (a delete marker; undo deletes the marker). Elsewhere it is
//! copied to `.trove-quarantine/<key>` in its bucket (same storage class) and then deleted; undo
//! copies it back and deletes the quarantine copy. Archived objects cannot be copied without a
//! restore, so in such buckets they are kept, with the reason. Removing an object in a class
//! with a minimum storage duration (GLACIER_IR and GLACIER 90 days, DEEP_ARCHIVE 180) is billed
//! for the rest of it: the report warns. A dry run sends nothing that writes.
//!
//! - Limits: a quarantine round trip of a multipart object gives it a single-part ETag (the MD5
//!   of its bytes; CopyObject makes one part) — the bytes are the same. Between the HEAD and the
//!   delete of an unversioned object there is a short window in which an overwrite would go
//!   unnoticed (the copy is conditional on the ETag, the delete is not). Matching by MD5 trusts
//!   that nobody crafted an MD5 collision of equal size.

use crate::dupes::{member, DupeGroup, DupeMember, DupesReport};
use crate::s3::bucket_of;
use crate::{Error, Library, Result};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use trove_catalog::{FileHashRow, IdenticalCopies, LocalFile, S3Copy, S3Removal, S3RemovalKind};
use trove_core::restore::ArchiveClass;
use trove_core::{LocationId, SourceId};
use trove_hash::{ContentHash, BLAKE3_SCHEME, MD5_SCHEME, SHA256_SCHEME};
use trove_s3::{Bucket, ObjectHead, StorageClass, Versioning};

/// Where an object of an unversioned bucket waits for an undo: `<prefix><key>`, same bucket.
pub const S3_QUARANTINE_PREFIX: &str = ".trove-quarantine/";

/// Whether a group's hash is an S3 key (`md5:…`, `sha256:…`) rather than a BLAKE3.
pub(crate) fn is_s3_key(hash: &str) -> bool {
    hash.starts_with("md5:") || hash.starts_with("sha256:")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of a full-object checksum (`{"SHA256": "base64"}`), as hex; none for a composite
/// one (`base64-N`) or none at all.
fn sha256_hex(checksums: Option<&serde_json::Value>) -> Option<String> {
    use base64::Engine as _;
    let value = checksums?.get("SHA256")?.as_str()?;
    if value.contains('-') {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()?;
    (bytes.len() == 32).then(|| hex(&bytes))
}

/// The MD5 a single-part ETag is, as lowercase hex.
pub(crate) fn md5_of_etag(etag: Option<&str>) -> Option<String> {
    let etag = etag?;
    (etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| etag.to_ascii_lowercase())
}

/// Every digest an object is known by without reading it: its key (both kinds when it has
/// both), and what an earlier run recorded (`content_hash`: a BLAKE3 or a key).
fn known_identities(copy: &S3Copy) -> Vec<String> {
    let mut ids = Vec::new();
    if let Some(h) = sha256_hex(copy.checksums.as_ref()) {
        ids.push(format!("sha256:{h}"));
    }
    if let Some(h) = md5_of_etag(copy.etag.as_deref()) {
        ids.push(format!("md5:{h}"));
    }
    match copy.content_hash.as_deref() {
        Some(h) if is_s3_key(h) => ids.push(h.to_owned()),
        Some(h) if ContentHash::from_hex(h).is_some() => ids.push(format!("blake3:{h}")),
        _ => {}
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Whether the bytes can be read now: not an archive class or archived tier, no restore pending.
fn readable_now(copy: &S3Copy) -> bool {
    copy.online
        && copy.archive_state.is_none()
        && ArchiveClass::of_s3(
            copy.storage_class.as_deref().unwrap_or("STANDARD"),
            copy.archive_status.as_deref(),
        )
        .is_none()
}

/// Whether the catalog knows the object as archived (a class or tier that needs a restore).
fn archived(copy: &S3Copy) -> bool {
    matches!(
        copy.archive_state.as_deref(),
        Some("archived" | "restoring")
    ) || ArchiveClass::of_s3(
        copy.storage_class.as_deref().unwrap_or("STANDARD"),
        copy.archive_status.as_deref(),
    )
    .is_some()
}

/// The minimum storage duration of a class, in days (restore.md; GLACIER_IR from AWS's
/// pricing), for classes where deleting early is billed.
fn minimum_days(class: &str) -> Option<u32> {
    match class {
        "GLACIER_IR" | "GLACIER" => Some(90),
        "DEEP_ARCHIVE" => Some(180),
        _ => None,
    }
}

/// The three digests of some bytes.
#[derive(Debug, Clone, Copy)]
struct Digests {
    md5: [u8; 16],
    sha256: [u8; 32],
    blake3: ContentHash,
}

impl Digests {
    fn identities(&self) -> Vec<String> {
        vec![
            format!("md5:{}", hex(&self.md5)),
            format!("sha256:{}", hex(&self.sha256)),
            format!("blake3:{}", self.blake3),
        ]
    }

    fn rows(&self, file: &LocalFile) -> Vec<FileHashRow> {
        let (Some(device), Some(inode), Some(mtime_ns)) = (file.device, file.inode, file.mtime_ns)
        else {
            return Vec::new();
        };
        [
            (MD5_SCHEME, self.md5.to_vec()),
            (SHA256_SCHEME, self.sha256.to_vec()),
            (BLAKE3_SCHEME, self.blake3.0.to_vec()),
        ]
        .into_iter()
        .map(|(scheme, full)| FileHashRow {
            device,
            inode,
            size: file.size,
            mtime_ns,
            scheme: i64::from(scheme),
            partial: None,
            full: Some(full),
        })
        .collect()
    }
}

/// MD5, SHA-256 and BLAKE3 computed together as bytes stream by.
struct Hashers {
    md5: md5::Md5,
    sha256: sha2::Sha256,
    blake3: blake3::Hasher,
}

impl Hashers {
    fn new() -> Hashers {
        use sha2::Digest as _;
        Hashers {
            md5: md5::Md5::new(),
            sha256: sha2::Sha256::new(),
            blake3: blake3::Hasher::new(),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest as _;
        self.md5.update(bytes);
        self.sha256.update(bytes);
        self.blake3.update(bytes);
    }

    fn finish(self) -> Digests {
        use sha2::Digest as _;
        Digests {
            md5: self.md5.finalize().into(),
            sha256: self.sha256.finalize().into(),
            blake3: ContentHash::from(self.blake3.finalize()),
        }
    }
}

/// Reads a local file whole for its three digests; checks that it is still the size listed.
fn digest_file(path: &Path, size: u64) -> std::io::Result<Digests> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut hashers = Hashers::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut read = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hashers.update(&buf[..n]);
        read += n as u64;
    }
    if read != size {
        return Err(std::io::Error::other(format!(
            "{} changed since it was scanned ({size} bytes then, {read} now)",
            path.display()
        )));
    }
    Ok(hashers.finish())
}

/// The cached digests of a file version, when all three are known.
fn cached_digests(
    cache: &HashMap<(u64, u64, u64, i64, i64), Vec<u8>>,
    file: &LocalFile,
) -> Option<Digests> {
    let (device, inode, mtime_ns) = (file.device?, file.inode?, file.mtime_ns?);
    let get = |scheme: u32| cache.get(&(device, inode, file.size, mtime_ns, i64::from(scheme)));
    Some(Digests {
        md5: get(MD5_SCHEME)?.as_slice().try_into().ok()?,
        sha256: get(SHA256_SCHEME)?.as_slice().try_into().ok()?,
        blake3: ContentHash(get(BLAKE3_SCHEME)?.as_slice().try_into().ok()?),
    })
}

fn s3_member(copy: &S3Copy) -> DupeMember {
    let uri = trove_catalog::s3_object_uri(&copy.source_uri, &copy.key);
    DupeMember {
        location_id: copy.location,
        source_id: copy.source,
        path: uri.clone(),
        uri,
        size: copy.size,
        storage_class: copy.storage_class.clone(),
        online: copy.online,
        mtime_ns: copy.mtime_ns,
        asset_id: copy.asset,
        role: copy.role.clone(),
        width: None,
        height: None,
        bit_rate: None,
    }
}

/// The key of an object as a string (S3 keys are UTF-8).
fn key_of(copy: &S3Copy) -> String {
    copy.key.to_lossy()
}

/// Clients built once per source.
#[derive(Default)]
struct Buckets(HashMap<SourceId, Bucket>);

impl Buckets {
    async fn get(&mut self, copy: &S3Copy) -> Result<Bucket> {
        if let Some(bucket) = self.0.get(&copy.source) {
            return Ok(bucket.clone());
        }
        let bucket = bucket_of(&copy.source_uri, &copy.config).await?;
        self.0.insert(copy.source, bucket.clone());
        Ok(bucket)
    }
}

/// Nodes of the union of copies: local exact groups, lone local files and S3 objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Group(usize),
    Lone(usize),
    Object(usize),
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The hash of a group of S3 objects only: the SHA-256 key if one is known, else the MD5 key,
/// else the BLAKE3 (hex) a read found.
fn s3_group_hash(ids: &HashSet<&str>) -> Option<String> {
    let pick = |prefix: &str| {
        let mut found: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|i| i.starts_with(prefix))
            .collect();
        found.sort_unstable();
        found.first().map(|s| (*s).to_owned())
    };
    pick("sha256:")
        .or_else(|| pick("md5:"))
        .or_else(|| pick("blake3:").map(|b| b.trim_start_matches("blake3:").to_owned()))
}

impl Library {
    /// Adds the S3 copies to the exact groups `report` holds (all exact at this point): extends
    /// groups, adds groups of a lone local file with its S3 copies and of S3-only copies, and
    /// adds what `record` must write to `hashes` and `identical`. Reads local files only when
    /// their size is an object's, and objects only as the module documentation says.
    pub(crate) async fn add_s3_copies(
        &self,
        files: &[LocalFile],
        record: bool,
        report: &mut DupesReport,
        hashes: &mut Vec<(LocationId, String)>,
        identical: &mut Vec<IdenticalCopies>,
    ) -> Result<()> {
        let copies: Vec<S3Copy> = self
            .catalog
            .s3_copies()
            .await?
            .into_iter()
            .filter(|c| !key_of(c).starts_with(S3_QUARANTINE_PREFIX))
            .collect();
        if copies.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<Vec<String>> = copies.iter().map(known_identities).collect();

        // Objects without a digest are read when they can be, and something else has their size.
        let local_sizes: HashSet<u64> = files.iter().map(|f| f.size).filter(|&s| s > 0).collect();
        let mut s3_sizes: HashMap<u64, usize> = HashMap::new();
        for (c, i) in copies.iter().zip(&ids) {
            if !i.is_empty() || readable_now(c) {
                *s3_sizes.entry(c.size).or_default() += 1;
            }
        }
        let mut read_hashes = Vec::new();
        let mut buckets = Buckets::default();
        for (i, copy) in copies.iter().enumerate() {
            let others = s3_sizes.get(&copy.size).copied().unwrap_or(0) > 1;
            if !ids[i].is_empty()
                || !readable_now(copy)
                || !(others || local_sizes.contains(&copy.size))
            {
                continue;
            }
            match self.read_s3_copy(&mut buckets, copy).await {
                Ok((digests, bytes)) => {
                    report.s3_bytes_read += bytes;
                    ids[i] = digests.identities();
                    read_hashes.push((i, digests.blake3.to_string()));
                }
                Err(e) => report.errors.push(e.to_string()),
            }
        }

        // Local files of the size of an object with a digest: their digests, cached or read.
        let sizes: HashSet<u64> = copies
            .iter()
            .zip(&ids)
            .filter(|(_, i)| !i.is_empty())
            .map(|(c, _)| c.size)
            .collect();
        let by_location: HashMap<LocationId, &LocalFile> =
            files.iter().map(|f| (f.location, f)).collect();
        let mut grouped_inodes: HashSet<(u64, u64)> = HashSet::new();
        let mut grouped_locations: HashSet<LocationId> = HashSet::new();
        for group in report.groups.iter().filter(|g| g.kind == "exact") {
            for m in &group.members {
                grouped_locations.insert(m.location_id);
                if let Some(f) = by_location.get(&m.location_id) {
                    if let (Some(d), Some(i)) = (f.device, f.inode) {
                        grouped_inodes.insert((d, i));
                    }
                }
            }
        }
        let mut seen_inodes = HashSet::new();
        let lone: Vec<&LocalFile> = files
            .iter()
            .filter(|f| f.size > 0 && sizes.contains(&f.size))
            .filter(|f| !grouped_locations.contains(&f.location))
            .filter(|f| match (f.device, f.inode) {
                (Some(d), Some(i)) => {
                    !grouped_inodes.contains(&(d, i)) && seen_inodes.insert((d, i))
                }
                _ => true,
            })
            .collect();
        let cache: HashMap<(u64, u64, u64, i64, i64), Vec<u8>> = self
            .catalog
            .file_digests(&[MD5_SCHEME, SHA256_SCHEME, BLAKE3_SCHEME])
            .await?
            .into_iter()
            .filter_map(|r| Some(((r.device, r.inode, r.size, r.mtime_ns, r.scheme), r.full?)))
            .collect();
        // Per exact group of the right size, one member's digests; per lone file, its own.
        let mut group_digests: Vec<Option<Digests>> = vec![None; report.groups.len()];
        let mut to_read: Vec<(Node, Vec<LocalFile>)> = Vec::new();
        for (g, group) in report.groups.iter().enumerate() {
            if group.kind != "exact" || !sizes.contains(&group.size) {
                continue;
            }
            let members: Vec<LocalFile> = group
                .members
                .iter()
                .filter_map(|m| by_location.get(&m.location_id).map(|f| (*f).clone()))
                .collect();
            match members.iter().find_map(|f| cached_digests(&cache, f)) {
                Some(d) => group_digests[g] = Some(d),
                None => to_read.push((Node::Group(g), members)),
            }
        }
        let mut lone_digests: Vec<Option<Digests>> = vec![None; lone.len()];
        for (l, file) in lone.iter().enumerate() {
            match cached_digests(&cache, file) {
                Some(d) => lone_digests[l] = Some(d),
                None => to_read.push((Node::Lone(l), vec![(*file).clone()])),
            }
        }
        if !to_read.is_empty() {
            let (found, rows, bytes, errors) = tokio::task::spawn_blocking(move || {
                let mut found = Vec::new();
                let mut rows = Vec::new();
                let mut bytes = 0u64;
                let mut errors = Vec::new();
                for (node, candidates) in to_read {
                    // Any one copy of a group will do: the first that can be read.
                    for file in candidates {
                        match digest_file(&file.path, file.size) {
                            Ok(d) => {
                                bytes += file.size;
                                rows.extend(d.rows(&file));
                                found.push((node, d));
                                break;
                            }
                            Err(e) => errors.push(format!("{}: {e}", file.path.display())),
                        }
                    }
                }
                (found, rows, bytes, errors)
            })
            .await
            .map_err(|e| Error::Internal(format!("hashing local copies of S3 objects: {e}")))?;
            report.bytes_read += bytes;
            for e in errors {
                if !report.errors.iter().any(|known| known.contains(&e)) {
                    report.errors.push(e);
                }
            }
            for (node, d) in found {
                match node {
                    Node::Group(g) => group_digests[g] = Some(d),
                    Node::Lone(l) => lone_digests[l] = Some(d),
                    Node::Object(_) => {}
                }
            }
            if record && !rows.is_empty() {
                self.catalog.put_file_hashes(&rows).await?;
            }
        }

        // Union of every node sharing a digest.
        let mut nodes: Vec<Node> = Vec::new();
        let mut node_ids: Vec<Vec<String>> = Vec::new();
        for (g, group) in report.groups.iter().enumerate() {
            if group.kind != "exact" || !sizes.contains(&group.size) {
                continue;
            }
            let mut i = vec![format!("blake3:{}", group.hash.clone().unwrap_or_default())];
            if let Some(d) = group_digests[g] {
                i.extend(d.identities());
            }
            nodes.push(Node::Group(g));
            node_ids.push(i);
        }
        for (l, d) in lone_digests.iter().enumerate() {
            if let Some(d) = d {
                nodes.push(Node::Lone(l));
                node_ids.push(d.identities());
            }
        }
        for (o, i) in ids.iter().enumerate() {
            if !i.is_empty() {
                nodes.push(Node::Object(o));
                node_ids.push(i.clone());
            }
        }
        let mut parent: Vec<usize> = (0..nodes.len()).collect();
        let mut first: HashMap<(u64, &str), usize> = HashMap::new();
        for (n, node_id_list) in node_ids.iter().enumerate() {
            let size = match nodes[n] {
                Node::Group(g) => report.groups[g].size,
                Node::Lone(l) => lone[l].size,
                Node::Object(o) => copies[o].size,
            };
            for id in node_id_list {
                match first.get(&(size, id.as_str())) {
                    Some(&m) => {
                        let (a, b) = (find(&mut parent, n), find(&mut parent, m));
                        parent[a] = b;
                    }
                    None => {
                        first.insert((size, id.as_str()), n);
                    }
                }
            }
        }
        let mut components: HashMap<usize, Vec<usize>> = HashMap::new();
        for n in 0..nodes.len() {
            let root = find(&mut parent, n);
            components.entry(root).or_default().push(n);
        }
        let mut components: Vec<Vec<usize>> = components.into_values().collect();
        components.sort();

        let mut grouped_objects: HashSet<usize> = HashSet::new();
        for component in components {
            let objects: Vec<usize> = component
                .iter()
                .filter_map(|&n| match nodes[n] {
                    Node::Object(o) => Some(o),
                    _ => None,
                })
                .collect();
            if objects.is_empty() {
                continue;
            }
            let groups: Vec<usize> = component
                .iter()
                .filter_map(|&n| match nodes[n] {
                    Node::Group(g) => Some(g),
                    _ => None,
                })
                .collect();
            let lones: Vec<usize> = component
                .iter()
                .filter_map(|&n| match nodes[n] {
                    Node::Lone(l) => Some(l),
                    _ => None,
                })
                .collect();
            let s3_members: Vec<DupeMember> =
                objects.iter().map(|&o| s3_member(&copies[o])).collect();
            if groups.len() > 1 {
                // Two local contents with one digest cannot be; leave them as they are.
                tracing::warn!(?groups, "S3 copies match two local groups; not grouped");
                continue;
            }
            if let Some(&g) = groups.first() {
                let group = &mut report.groups[g];
                let hash = group.hash.clone().unwrap_or_default();
                add_to_records(hashes, identical, &hash, &s3_members, &group.members);
                group.members.extend(s3_members);
                group.members.sort_by(|a, b| a.path.cmp(&b.path));
                grouped_objects.extend(objects);
                continue;
            }
            let mut members: Vec<DupeMember> = lones.iter().map(|&l| member(lone[l])).collect();
            let hash = match lones.first() {
                Some(&l) => lone_digests[l].map(|d| d.blake3.to_string()),
                None => {
                    let all: HashSet<&str> = objects
                        .iter()
                        .flat_map(|&o| ids[o].iter().map(String::as_str))
                        .collect();
                    s3_group_hash(&all)
                }
            };
            let Some(hash) = hash else { continue };
            members.extend(s3_members);
            if members.len() < 2 {
                continue;
            }
            members.sort_by(|a, b| a.path.cmp(&b.path));
            add_to_records(hashes, identical, &hash, &members, &[]);
            grouped_objects.extend(objects);
            report.groups.push(DupeGroup {
                kind: "exact",
                size: members[0].size,
                hash: Some(hash),
                score: None,
                members,
                asset_id: None,
                conflicts: Vec::new(),
                suggested_keeper: None,
            });
        }
        // What a read found is kept even for objects left alone, so they are not read again.
        if record {
            let lone_reads: Vec<(LocationId, String)> = read_hashes
                .into_iter()
                .filter(|(o, _)| !grouped_objects.contains(o))
                .map(|(o, h)| (copies[o].location, h))
                .collect();
            if !lone_reads.is_empty() {
                self.catalog.set_content_hashes(&lone_reads).await?;
            }
        }
        // Exact groups stay first, largest first.
        report
            .groups
            .sort_by(|a, b| (a.kind != "exact", b.size).cmp(&(b.kind != "exact", a.size)));
        Ok(())
    }

    /// One streaming GET of an object, hashed as it arrives, after a HEAD that shows it is still
    /// what the catalog knows.
    async fn read_s3_copy(&self, buckets: &mut Buckets, copy: &S3Copy) -> Result<(Digests, u64)> {
        let bucket = buckets.get(copy).await?;
        let key = key_of(copy);
        let head = bucket.head(&key).await?;
        if head.etag != copy.etag || head.size != copy.size {
            return Err(Error::InvalidInput(format!(
                "s3://{}/{key} changed since it was scanned (scan it again to compare it)",
                bucket.name()
            )));
        }
        let mut hashers = Hashers::new();
        let bytes = bucket
            .read_object(&head, &mut |chunk: &[u8]| hashers.update(chunk))
            .await?;
        Ok((hashers.finish(), bytes))
    }
}

/// Records the content hash of `added` and, for their media, that they are copies of the
/// content `hash` (with the media of `already`, when the group has no entry yet).
fn add_to_records(
    hashes: &mut Vec<(LocationId, String)>,
    identical: &mut Vec<IdenticalCopies>,
    hash: &str,
    added: &[DupeMember],
    already: &[DupeMember],
) {
    for m in added
        .iter()
        .filter(|m| m.uri.starts_with("s3://") || already.is_empty())
    {
        hashes.push((m.location_id, hash.to_owned()));
    }
    let media = |ms: &[DupeMember]| -> Vec<LocationId> {
        ms.iter()
            .filter(|m| m.role == "media")
            .map(|m| m.location_id)
            .collect()
    };
    match identical.iter_mut().find(|i| i.content_hash == hash) {
        Some(entry) => {
            for l in media(added) {
                if !entry.locations.contains(&l) {
                    entry.locations.push(l);
                }
            }
        }
        None => {
            let mut locations = media(already);
            locations.extend(media(added));
            identical.push(IdenticalCopies {
                content_hash: hash.to_owned(),
                locations,
            });
        }
    }
}

/// What `remove_dupes` keeps for its S3 copies while it runs: clients, versioning states, the
/// removals to journal and the warnings to report.
#[derive(Default)]
pub(crate) struct S3Removals {
    buckets: Buckets,
    versioning: HashMap<SourceId, Versioning>,
    /// The S3 copies removed, for the journal.
    pub(crate) removals: Vec<S3Removal>,
    /// Warnings for the report (minimum storage duration charges).
    pub(crate) warnings: Vec<String>,
}

impl S3Removals {
    /// Whether the keeper `keep` (an S3 copy) is still the object the catalog knows.
    pub(crate) async fn keeper_unchanged(&mut self, library: &Library, keep: &DupeMember) -> bool {
        let Ok(Some(copy)) = library.catalog.s3_copy(keep.location_id).await else {
            return false;
        };
        let Ok(bucket) = self.buckets.get(&copy).await else {
            return false;
        };
        matches!(bucket.head(&key_of(&copy)).await, Ok(head) if same_object(&copy, &head))
    }

    /// Removes the S3 copy `extra` of a group whose hash is `hash` (with `apply`; without it,
    /// only checks what can be known without writing). `Err` carries why it is kept.
    pub(crate) async fn remove(
        &mut self,
        library: &Library,
        extra: &DupeMember,
        hash: &str,
        apply: bool,
    ) -> std::result::Result<(), String> {
        let copy = match library.catalog.s3_copy(extra.location_id).await {
            Ok(Some(copy)) => copy,
            Ok(None) => return Err("not an object of an S3 source".into()),
            Err(e) => return Err(e.to_string()),
        };
        let bucket = self.buckets.get(&copy).await.map_err(|e| e.to_string())?;
        let versioning = match self.versioning.get(&copy.source) {
            Some(v) => *v,
            None => {
                let v = bucket.versioning().await.map_err(|e| e.to_string())?;
                self.versioning.insert(copy.source, v);
                v
            }
        };
        let key = key_of(&copy);
        let uri = format!("s3://{}/{key}", bucket.name());
        if archived(&copy) && versioning != Versioning::Enabled {
            return Err(format!(
                "archived in {}, in a bucket without versioning: it cannot be copied to {}{key} \
                 without a restore, so it is kept",
                copy.storage_class.as_deref().unwrap_or("an archive tier"),
                S3_QUARANTINE_PREFIX
            ));
        }
        let warning = copy.storage_class.as_deref().and_then(|class| {
            minimum_days(class).map(|days| {
                format!(
                    "{uri} is in {class}: removing it before it has been stored {days} days is \
                     billed for the rest of them{}",
                    if versioning == Versioning::Enabled {
                        " (its version stays behind the delete marker, billed until deleted)"
                    } else {
                        ""
                    }
                )
            })
        });
        if !apply {
            self.warnings.extend(warning);
            return Ok(());
        }
        let head = match bucket.head(&key).await {
            Ok(head) => head,
            Err(trove_s3::Error::NoSuchKey { .. }) => {
                return Err("gone since the scan; nothing to remove".into())
            }
            Err(e) => return Err(e.to_string()),
        };
        if !same_object(&copy, &head) {
            return Err("changed since the scan; kept".into());
        }
        let removal = if versioning == Versioning::Enabled {
            let marker = bucket
                .delete_current(&key)
                .await
                .map_err(|e| e.to_string())?;
            if marker.is_none() {
                tracing::warn!(%uri, "a delete in a versioned bucket left no delete marker");
            }
            S3Removal {
                location: copy.location,
                kind: S3RemovalKind::DeleteMarker,
                bucket: bucket.name().to_owned(),
                key: key.clone(),
                kept_key: key.clone(),
                version_id: head.version_id.clone(),
                delete_marker: marker,
                etag: head.etag.clone(),
                storage_class: Some(head.storage_class.as_str().to_owned()),
                hash: hash.to_owned(),
            }
        } else {
            let kept = format!("{S3_QUARANTINE_PREFIX}{key}");
            match bucket.head(&kept).await {
                Err(trove_s3::Error::NoSuchKey { .. }) => {}
                Ok(_) => {
                    return Err(format!(
                        "s3://{}/{kept} already holds a copy removed earlier (not undone); kept",
                        bucket.name()
                    ))
                }
                Err(e) => return Err(e.to_string()),
            }
            bucket
                .copy_to_key(&head, &kept, &head.storage_class)
                .await
                .map_err(|e| e.to_string())?;
            // A copy of a single-part object has its ETag (the MD5); of a multipart one, not.
            let single_part = md5_of_etag(head.etag.as_deref()).is_some();
            match bucket.head(&kept).await {
                Ok(q) if q.size == head.size && (!single_part || q.etag == head.etag) => {}
                _ => {
                    let _ = bucket.delete_current(&kept).await;
                    return Err(format!(
                        "the copy at s3://{}/{kept} does not match; kept",
                        bucket.name()
                    ));
                }
            }
            bucket
                .delete_current(&key)
                .await
                .map_err(|e| e.to_string())?;
            S3Removal {
                location: copy.location,
                kind: S3RemovalKind::Quarantine,
                bucket: bucket.name().to_owned(),
                key: key.clone(),
                kept_key: kept,
                version_id: head.version_id.clone(),
                delete_marker: None,
                etag: head.etag.clone(),
                storage_class: Some(head.storage_class.as_str().to_owned()),
                hash: hash.to_owned(),
            }
        };
        self.warnings.extend(warning);
        self.removals.push(removal);
        Ok(())
    }
}

/// Whether a HEAD shows the object the catalog knows: same ETag and size, and the same version
/// when the catalog knows one.
fn same_object(copy: &S3Copy, head: &ObjectHead) -> bool {
    head.etag == copy.etag
        && head.size == copy.size
        && (copy.version_id.is_none() || head.version_id == copy.version_id)
}

impl Library {
    /// Puts back the S3 copies an edit batch removed; returns how many. An object whose key is
    /// taken again is left where it is kept, with an error saying where.
    pub(crate) async fn restore_s3_removals(&self, batch: i64) -> Result<u64> {
        let mut buckets = Buckets::default();
        let mut restored = 0;
        for removal in self.catalog.s3_removals(batch).await? {
            let Some(copy) = self.catalog.s3_copy(removal.location).await? else {
                return Err(Error::NotFound(format!(
                    "the S3 source of s3://{}/{} (the removed object is kept at s3://{}/{})",
                    removal.bucket, removal.key, removal.bucket, removal.kept_key
                )));
            };
            let bucket = buckets.get(&copy).await?;
            let uri = format!("s3://{}/{}", removal.bucket, removal.key);
            match bucket.head(&removal.key).await {
                Err(trove_s3::Error::NoSuchKey { .. }) => {}
                Ok(_) => {
                    return Err(Error::InvalidInput(format!(
                        "cannot put {uri} back: another object is there now (the removed one is \
                         kept {})",
                        match removal.kind {
                            S3RemovalKind::DeleteMarker => format!(
                                "as version {}",
                                removal.version_id.as_deref().unwrap_or("?")
                            ),
                            S3RemovalKind::Quarantine => {
                                format!("at s3://{}/{}", removal.bucket, removal.kept_key)
                            }
                        }
                    )))
                }
                Err(e) => return Err(e.into()),
            }
            match removal.kind {
                S3RemovalKind::DeleteMarker => {
                    let Some(marker) = &removal.delete_marker else {
                        return Err(Error::InvalidInput(format!(
                            "cannot put {uri} back: its removal left no delete marker"
                        )));
                    };
                    bucket.delete_version(&removal.key, marker).await?;
                }
                S3RemovalKind::Quarantine => {
                    let kept = bucket.head(&removal.kept_key).await?;
                    let class = removal
                        .storage_class
                        .as_deref()
                        .map(StorageClass::parse)
                        .unwrap_or_else(|| kept.storage_class.clone());
                    bucket.copy_to_key(&kept, &removal.key, &class).await?;
                    let back = bucket.head(&removal.key).await?;
                    if back.size != kept.size {
                        return Err(Error::InvalidInput(format!(
                            "{uri} was copied back from s3://{}/{} but does not match it; the \
                             quarantine copy is kept",
                            removal.bucket, removal.kept_key
                        )));
                    }
                    bucket.delete_current(&removal.kept_key).await?;
                }
            }
            self.catalog.restored(batch, removal.location).await?;
            restored += 1;
        }
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trove_core::RelPath;

    fn copy(etag: Option<&str>, checksums: Option<serde_json::Value>) -> S3Copy {
        S3Copy {
            location: LocationId(1),
            source: SourceId(1),
            source_uri: "s3://bucket".into(),
            config: serde_json::Value::Null,
            key: RelPath::from_bytes(b"a.mov".to_vec()),
            size: 5,
            mtime_ns: None,
            etag: etag.map(str::to_owned),
            storage_class: None,
            version_id: None,
            archive_state: None,
            archive_status: None,
            checksums,
            content_hash: None,
            role: "media".into(),
            asset: None,
            online: true,
        }
    }

    #[test]
    fn keys_are_a_full_object_sha256_and_a_single_part_etag() {
        let md5 = "5d41402abc4b2a76b9719d911017c592";
        assert_eq!(
            known_identities(&copy(Some(md5), None)),
            [format!("md5:{md5}")]
        );
        assert!(
            known_identities(&copy(Some("62c39f9f6c0287879cb0a9cda8a8eb2e-2"), None)).is_empty(),
            "a multipart ETag names no content"
        );
        let sha = serde_json::json!({"SHA256": "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="});
        assert_eq!(
            known_identities(&copy(Some(md5), Some(sha))),
            [
                format!("md5:{md5}"),
                "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into()
            ]
        );
        let composite =
            serde_json::json!({"SHA256": "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=-3"});
        assert!(
            known_identities(&copy(
                Some("62c39f9f6c0287879cb0a9cda8a8eb2e-3"),
                Some(composite)
            ))
            .is_empty(),
            "a composite checksum is not comparable"
        );
        let mut recorded = copy(Some("62c39f9f6c0287879cb0a9cda8a8eb2e-3"), None);
        recorded.content_hash = Some("ab".repeat(32));
        assert_eq!(
            known_identities(&recorded),
            [format!("blake3:{}", "ab".repeat(32))]
        );
    }

    #[test]
    fn archive_classes_are_not_read_and_warn_of_minimum_durations() {
        let mut deep = copy(None, None);
        deep.storage_class = Some("DEEP_ARCHIVE".into());
        assert!(!readable_now(&deep) && archived(&deep));
        let mut tiering = copy(None, None);
        tiering.storage_class = Some("INTELLIGENT_TIERING".into());
        assert!(readable_now(&tiering));
        tiering.archive_status = Some("DEEP_ARCHIVE_ACCESS".into());
        assert!(!readable_now(&tiering));
        assert_eq!(minimum_days("GLACIER_IR"), Some(90));
        assert_eq!(minimum_days("DEEP_ARCHIVE"), Some(180));
        assert_eq!(minimum_days("STANDARD"), None);
    }
}
