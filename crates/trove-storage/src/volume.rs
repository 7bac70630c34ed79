//! Volumes: which file system a folder lives on, by an identity that survives remounting.
//!
//! A drive can come back at another mount point, and another drive can appear at the old one;
//! paths alone cannot tell these apart. A folder's [`VolumeIdentity`] is its file system's UUID
//! (from `/dev/disk/by-uuid`, else `blkid`) plus the folder's path inside that file system, or,
//! for file systems without a UUID, a marker file `.trove-volume` holding a random id in the
//! folder itself. [`locate`] finds where a known volume is mounted now.
//!
//! Mounts come from `/proc/self/mountinfo` (Linux), whose fourth field is the folder of the file
//! system that a mount shows (not `/` for bind mounts), so a bind mount of a volume's subfolder
//! resolves to the same identity as the volume mounted whole.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The marker file of a volume without a file-system UUID.
pub const MARKER_FILE: &str = ".trove-volume";

/// One mounted file system as `/proc/self/mountinfo` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The device number, `major:minor`.
    pub device: String,
    /// The folder of the file system shown at the mount point (`/` unless bind-mounted).
    pub root: PathBuf,
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// File system type (`ext4`, `exfat`, `tmpfs`, ...).
    pub fs_type: String,
    /// The mounted source (`/dev/sdb1`, a loop device, `server:/share`, ...).
    pub source: String,
    /// Mounted read-only.
    pub read_only: bool,
}

/// How a volume's identity was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// The file system's UUID (or serial number).
    Uuid,
    /// A `.trove-volume` marker file in the folder.
    Marker,
}

/// A folder's place on a volume, stable across remounts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VolumeIdentity {
    /// The file-system UUID or the marker's id.
    pub id: String,
    /// Where the id came from.
    pub kind: IdentityKind,
    /// The folder's path inside the file system (`/` for its top).
    pub path: PathBuf,
}

/// Undoes mountinfo's octal escapes (`\040` for a space, ...).
fn unescape(field: &str) -> PathBuf {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|_| bytes[i] == b'\\')
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, 8).ok());
        match octal {
            Some(value) => {
                out.push(value);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    trove_core::path_from_bytes(&out)
}

/// Parses the text of `/proc/self/mountinfo`; lines that do not parse are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fields: Vec<&str> = before.split(' ').collect();
            let rest: Vec<&str> = after.split(' ').collect();
            let options = fields.get(5)?;
            Some(Mount {
                device: (*fields.get(2)?).to_owned(),
                root: unescape(fields.get(3)?),
                mount_point: unescape(fields.get(4)?),
                fs_type: (*rest.first()?).to_owned(),
                source: rest.get(1).map_or_else(String::new, |s| (*s).to_owned()),
                read_only: options.split(',').any(|o| o == "ro"),
            })
        })
        .collect()
}

/// The mounts of this process's namespace, in mount order.
pub fn mounts() -> io::Result<Vec<Mount>> {
    Ok(parse_mountinfo(&fs::read_to_string(
        "/proc/self/mountinfo",
    )?))
}

/// The mount holding `path` (canonical): the last-mounted one with the longest mount point.
pub fn mount_of<'m>(mounts: &'m [Mount], path: &Path) -> Option<&'m Mount> {
    mounts
        .iter()
        .enumerate()
        .filter(|(_, m)| path.starts_with(&m.mount_point))
        .max_by_key(|(i, m)| (m.mount_point.components().count(), *i))
        .map(|(_, m)| m)
}

/// File systems that hold no user files of their own.
fn is_virtual(fs_type: &str) -> bool {
    matches!(
        fs_type,
        "proc"
            | "sysfs"
            | "devtmpfs"
            | "devpts"
            | "cgroup"
            | "cgroup2"
            | "securityfs"
            | "debugfs"
            | "tracefs"
            | "pstore"
            | "bpf"
            | "mqueue"
            | "hugetlbfs"
            | "configfs"
            | "fusectl"
            | "autofs"
            | "binfmt_misc"
    )
}

/// The UUID of a mounted file system, if it has one that can be read.
fn fs_uuid(mount: &Mount) -> Option<String> {
    if let Some(uuid) = uuid_from_udev(&mount.device) {
        return Some(uuid);
    }
    if mount.source.starts_with("/dev/") {
        return uuid_from_blkid(&mount.source);
    }
    None
}

/// Looks the device number up among `/dev/disk/by-uuid` (kept by udev on desktops).
fn uuid_from_udev(device: &str) -> Option<String> {
    let dir = fs::read_dir("/dev/disk/by-uuid").ok()?;
    for entry in dir.flatten() {
        let target = entry.path();
        if device_number(&target).as_deref() == Some(device) {
            return Some(entry.file_name().to_string_lossy().into_owned());
        }
    }
    None
}

/// `major:minor` of a block device node.
fn device_number(node: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let rdev = fs::metadata(node).ok()?.rdev();
    // Linux's encoding of dev_t (glibc's gnu_dev_major/minor).
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    Some(format!("{major}:{minor}"))
}

/// Asks `blkid` (util-linux) for a device's UUID, read from the superblock (`-p`: its cache can
/// name the previous file system of a reused loop device). Needs read access to the device.
fn uuid_from_blkid(device: &str) -> Option<String> {
    let done = trove_core::process::run(
        Path::new("blkid"),
        ["-p", "-o", "value", "-s", "UUID", device],
        Duration::from_secs(5),
    )
    .ok()?;
    let uuid = String::from_utf8_lossy(&done.stdout).trim().to_owned();
    (!uuid.is_empty()).then_some(uuid)
}

/// A new random id for a marker file.
fn new_marker_id() -> io::Result<String> {
    Ok(fs::read_to_string("/proc/sys/kernel/random/uuid")?
        .trim()
        .to_owned())
}

fn read_marker(folder: &Path) -> Option<String> {
    let text = fs::read_to_string(folder.join(MARKER_FILE)).ok()?;
    let id = text
        .lines()
        .find(|l| !l.starts_with('#'))?
        .trim()
        .to_owned();
    (!id.is_empty()).then_some(id)
}

/// Where `path` (canonical) is inside its file system.
fn inside(mount: &Mount, path: &Path) -> PathBuf {
    let rel = path
        .strip_prefix(&mount.mount_point)
        .unwrap_or(Path::new(""));
    mount.root.join(rel)
}

/// How [`identify`] may establish an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentifyOptions {
    /// Write a marker file into the folder when its file system has no UUID (and none is there).
    pub create_marker: bool,
}

/// The identity of the volume holding `folder` (canonical), or `None` when it has no UUID, no
/// marker, and one cannot (or may not) be written.
pub fn identify(folder: &Path, options: IdentifyOptions) -> io::Result<Option<VolumeIdentity>> {
    let mounts = mounts()?;
    let Some(mount) = mount_of(&mounts, folder) else {
        return Ok(None);
    };
    let path = inside(mount, folder);
    if let Some(id) = fs_uuid(mount) {
        return Ok(Some(VolumeIdentity {
            id,
            kind: IdentityKind::Uuid,
            path,
        }));
    }
    if let Some(id) = read_marker(folder) {
        return Ok(Some(VolumeIdentity {
            id,
            kind: IdentityKind::Marker,
            path,
        }));
    }
    if !options.create_marker || mount.read_only {
        return Ok(None);
    }
    let id = new_marker_id()?;
    let text = format!(
        "# Trove volume id: lets Trove recognise this folder when its drive is mounted elsewhere.\n{id}\n"
    );
    match fs::write(folder.join(MARKER_FILE), text) {
        Ok(()) => Ok(Some(VolumeIdentity {
            id,
            kind: IdentityKind::Marker,
            path,
        })),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(None),
        Err(e) if e.raw_os_error() == Some(30) => Ok(None), // EROFS
        Err(e) => Err(e),
    }
}

/// Where the folder of `identity` is now, if its volume is mounted (and shows that folder).
pub fn locate(identity: &VolumeIdentity) -> io::Result<Option<PathBuf>> {
    let mounts = mounts()?;
    for mount in mounts.iter().filter(|m| !is_virtual(&m.fs_type)) {
        let Ok(rel) = identity.path.strip_prefix(&mount.root) else {
            continue;
        };
        let candidate = mount.mount_point.join(rel);
        let matches = match identity.kind {
            IdentityKind::Uuid => fs_uuid(mount).as_deref() == Some(identity.id.as_str()),
            IdentityKind::Marker => read_marker(&candidate).as_deref() == Some(&identity.id),
        };
        // The mount may be shadowed by a later mount at a path above the candidate; only a
        // folder whose own mount is this one counts.
        if matches
            && candidate.is_dir()
            && mount_of(&mounts, &candidate).is_some_and(|m| m == mount)
        {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// Whether `folder` (canonical) is the folder of `identity`: on its volume, at its path.
pub fn is_same(folder: &Path, identity: &VolumeIdentity) -> io::Result<bool> {
    let mounts = mounts()?;
    let Some(mount) = mount_of(&mounts, folder) else {
        return Ok(false);
    };
    if inside(mount, folder) != identity.path {
        return Ok(false);
    }
    Ok(match identity.kind {
        IdentityKind::Uuid => fs_uuid(mount).as_deref() == Some(identity.id.as_str()),
        IdentityKind::Marker => read_marker(folder).as_deref() == Some(identity.id.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
40 27 7:0 / /media/Card\\040One rw,nosuid - exfat /dev/loop0 rw
41 27 7:0 /DCIM /srv/dcim ro,relatime - exfat /dev/loop0 ro
42 40 0:50 / /media/Card\\040One/inner rw - tmpfs none rw
";

    #[test]
    fn mountinfo_lines() {
        let mounts = parse_mountinfo(MOUNTINFO);
        assert_eq!(mounts.len(), 5);
        assert_eq!(mounts[2].mount_point, Path::new("/media/Card One"));
        assert_eq!(mounts[2].device, "7:0");
        assert_eq!(mounts[2].fs_type, "exfat");
        assert_eq!(mounts[3].root, Path::new("/DCIM"));
        assert!(mounts[3].read_only && !mounts[2].read_only);
    }

    #[test]
    fn the_deepest_mount_holds_a_path() {
        let mounts = parse_mountinfo(MOUNTINFO);
        let at = |p: &str| mount_of(&mounts, Path::new(p)).map(|m| m.mount_point.clone());
        assert_eq!(
            at("/media/Card One/A/b.mov"),
            Some("/media/Card One".into())
        );
        assert_eq!(
            at("/media/Card One/inner/x"),
            Some("/media/Card One/inner".into())
        );
        assert_eq!(at("/home/x"), Some("/".into()));
        // A bind mount of a subfolder names the same place inside the file system.
        let card = &mounts[2];
        let bind = &mounts[3];
        assert_eq!(
            inside(card, Path::new("/media/Card One/DCIM/100")),
            inside(bind, Path::new("/srv/dcim/100"))
        );
    }
}
