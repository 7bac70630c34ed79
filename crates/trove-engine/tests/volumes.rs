//! Volumes on real file systems: ext4 images loop-mounted (the tests run as root), so the
//! identity comes from the file system's UUID the same way it does for a USB drive.

use crate::{ffmpeg, tool, write};
use std::path::{Path, PathBuf};
use trove_engine::{Library, ScanProgress};

/// An ext4 image and the mount points it is moved between; unmounted when dropped.
struct Volume {
    image: PathBuf,
    mounted: Option<PathBuf>,
}

impl Volume {
    fn new(dir: &Path, name: &str) -> Volume {
        let image = dir.join(format!("{name}.img"));
        tool("truncate", &["-s", "24M", image.to_str().expect("utf-8")]);
        tool("mkfs.ext4", &["-q", "-F", image.to_str().expect("utf-8")]);
        Volume {
            image,
            mounted: None,
        }
    }

    fn mount(&mut self, at: &Path) {
        std::fs::create_dir_all(at).expect("mount point");
        tool(
            "mount",
            &[
                "-o",
                "loop",
                self.image.to_str().expect("utf-8"),
                at.to_str().expect("utf-8"),
            ],
        );
        self.mounted = Some(at.to_owned());
    }

    fn unmount(&mut self) {
        if let Some(at) = self.mounted.take() {
            tool("umount", &[at.to_str().expect("utf-8")]);
        }
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        if let Some(at) = self.mounted.take() {
            drop(Unmount(at));
        }
    }
}

async fn scan(library: &Library) -> Vec<trove_core::ScanReport> {
    let quiet = |_: &ScanProgress| {};
    library.scan(&[], &quiet).await.expect("scan")
}

async fn jobs(library: &Library) -> u64 {
    let queued = library.plan_jobs().await.expect("plan");
    library
        .run_jobs(
            &trove_engine::JobOptions::default(),
            &|_| {},
            std::future::pending(),
        )
        .await
        .expect("run");
    queued
}

#[tokio::test]
async fn drives_are_known_by_identity_not_by_mount_point() {
    let tmp = tempfile::tempdir().expect("temp");
    let library = Library::open(&tmp.path().join("library"))
        .await
        .expect("library");
    let (first, second) = (tmp.path().join("mnt/first"), tmp.path().join("mnt/second"));
    let mut a = Volume::new(tmp.path(), "a");
    let mut b = Volume::new(tmp.path(), "b");

    // Drive A at the first mount point, catalogued and extracted.
    a.mount(&first);
    let media = first.join("Footage");
    std::fs::create_dir_all(&media).expect("mkdir");
    ffmpeg(
        &media.join("harbour.mp4"),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=32x24:rate=5:duration=1",
            "-c:v",
            "mpeg4",
        ],
    );
    write(&media, "Day1/notes.txt", b"call sheet");
    write(&media, "Day1/market.mov", b"not really a movie");
    let added = library.add_local_source(&media, false).await.expect("add");
    scan(&library).await;
    assert_eq!(jobs(&library).await, 2, "two media files probed");
    let harbour = library
        .show(media.join("harbour.mp4").as_os_str())
        .await
        .expect("show");

    // Unplugged: offline, still searchable, nothing missing.
    a.unmount();
    let reports = scan(&library).await;
    assert!(!reports[0].online);
    let stats = library.stats().await.expect("stats");
    assert_eq!(
        (stats.offline, stats.missing, stats.offline_sources),
        (3, 0, 1)
    );
    let found = library
        .search("harbour", &Default::default())
        .await
        .expect("search");
    assert_eq!(found.total, 1, "offline assets stay searchable");

    // Another drive at the old mount point is not taken for drive A.
    b.mount(&first);
    write(&first.join("Footage"), "other.mov", b"someone else's drive");
    let reports = scan(&library).await;
    assert!(!reports[0].online, "{reports:?}");
    assert!(
        reports[0].errors[0].message.contains("another volume"),
        "{reports:?}"
    );
    let stats = library.stats().await.expect("stats");
    assert_eq!(
        (stats.assets, stats.missing),
        (3, 0),
        "nothing of A marked missing"
    );

    // Adding that folder makes a new source; A's keeps its assets under its volume's name.
    let other = library
        .add_local_source(&media, false)
        .await
        .expect("add B");
    assert_ne!(other.id, added.id);
    let sources = library.sources().await.expect("sources");
    let old = sources
        .iter()
        .find(|s| s.id == added.id)
        .expect("old source");
    assert!(old.uri.starts_with("volume://"), "{old:?}");
    scan(&library).await;
    assert_eq!(library.stats().await.expect("stats").assets, 4);

    // Drive A comes back at another mount point: re-attached, nothing re-probed.
    b.unmount();
    a.mount(&second);
    let reports = scan(&library).await;
    let back = reports
        .iter()
        .find(|r| r.online)
        .expect("one source online");
    assert_eq!(back.unchanged, 3, "{reports:?}");
    assert_eq!(
        (back.added, back.updated, back.missing),
        (0, 0, 0),
        "{back:?}"
    );
    let sources = library.sources().await.expect("sources");
    let old = sources
        .iter()
        .find(|s| s.id == added.id)
        .expect("old source");
    assert!(old.online);
    assert_eq!(
        old.path.as_deref(),
        Some(second.join("Footage").to_str().expect("utf-8"))
    );
    assert_eq!(
        library.plan_jobs().await.expect("plan"),
        0,
        "no probe for unchanged files"
    );
    let again = library
        .show(second.join("Footage/harbour.mp4").as_os_str())
        .await
        .expect("show at the new path");
    assert_eq!(again.id, harbour.id, "the same asset");
    assert_eq!(
        again.metadata.get("video_codec"),
        harbour.metadata.get("video_codec")
    );
    let b_source = sources
        .iter()
        .find(|s| s.id == other.id)
        .expect("B's source");
    assert!(!b_source.online, "B is unplugged now");
}

/// A file system without a UUID (tmpfs here) is known by the marker file Trove writes.
#[test]
fn volumes_without_a_uuid_get_a_marker() {
    use trove_storage::volume::{self, IdentifyOptions, IdentityKind};
    let tmp = tempfile::tempdir().expect("temp");
    let at = tmp.path().join("card");
    std::fs::create_dir_all(&at).expect("mkdir");
    tool(
        "mount",
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=4m",
            "none",
            at.to_str().expect("utf-8"),
        ],
    );
    let _unmount = Unmount(at.clone());
    let folder = at.join("DCIM");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let folder = std::fs::canonicalize(&folder).expect("canonical");
    let none = volume::identify(
        &folder,
        IdentifyOptions {
            create_marker: false,
        },
    )
    .expect("identify");
    assert_eq!(none, None, "no UUID and no marker");
    let identity = volume::identify(
        &folder,
        IdentifyOptions {
            create_marker: true,
        },
    )
    .expect("identify")
    .expect("a marker identity");
    assert_eq!(identity.kind, IdentityKind::Marker);
    assert_eq!(identity.path, Path::new("/DCIM"));
    assert!(folder.join(volume::MARKER_FILE).is_file());
    assert_eq!(
        volume::identify(
            &folder,
            IdentifyOptions {
                create_marker: true
            }
        )
        .expect("again"),
        Some(identity.clone()),
        "the marker is read back, not replaced"
    );
    assert!(volume::is_same(&folder, &identity).expect("same"));
    assert_eq!(
        volume::locate(&identity).expect("locate"),
        Some(folder.clone())
    );
    // Another marker-less file system at the same place is not the same volume.
    std::fs::remove_file(folder.join(volume::MARKER_FILE)).expect("rm");
    assert!(!volume::is_same(&folder, &identity).expect("not same"));
    assert_eq!(volume::locate(&identity).expect("locate"), None);
}

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// Media on a read-only file system: edits live in the catalog; XMP next to the media is an
/// error the user sees; a sidecar tree elsewhere mirrors the source and exiftool reads it.
#[tokio::test]
async fn read_only_media_is_edited_in_the_catalog_and_exported_to_a_sidecar_tree() {
    let tmp = tempfile::tempdir().expect("temp");
    let library = Library::open(&tmp.path().join("library"))
        .await
        .expect("library");
    let card = tmp.path().join("card");
    std::fs::create_dir_all(&card).expect("mkdir");
    tool(
        "mount",
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=8m",
            "none",
            card.to_str().expect("utf-8"),
        ],
    );
    let _unmount = Unmount(card.clone());
    let clip = card.join("Day1/clip.mp4");
    std::fs::create_dir_all(clip.parent().expect("parent")).expect("mkdir");
    ffmpeg(
        &clip,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=32x24:rate=5:duration=1",
            "-c:v",
            "mpeg4",
        ],
    );
    tool(
        "mount",
        &["-o", "remount,ro", card.to_str().expect("utf-8")],
    );
    assert!(
        std::fs::write(card.join("probe.txt"), b"x").is_err(),
        "mounted read-only"
    );
    library.add_local_source(&card, false).await.expect("add");
    scan(&library).await;
    jobs(&library).await;

    let assets = [clip.clone().into_os_string()];
    let edit = [trove_engine::Assignment::parse("title=Harbour at dawn").expect("assignment")];
    library
        .meta_set(&assets, &edit, "test")
        .await
        .expect("edit");
    let (next_to, _) = library
        .meta_export(&assets, trove_engine::ExportFormat::Xmp, None)
        .await
        .expect("export");
    assert!(next_to.files.is_empty());
    assert!(
        next_to.problems[0].message.contains("clip.xmp"),
        "{:?}",
        next_to.problems
    );
    assert_eq!(
        library.show(clip.as_os_str()).await.expect("show").metadata["title"],
        "Harbour at dawn",
        "the edit is kept"
    );

    let tree = tmp.path().join("sidecars");
    let (report, _) = library
        .meta_export(&assets, trove_engine::ExportFormat::Xmp, Some(&tree))
        .await
        .expect("export to a tree");
    let sidecar = tree.join("card/Day1/clip.mp4.xmp");
    assert_eq!(report.files, [sidecar.to_string_lossy()]);
    let json = tool("exiftool", &["-j", "-G1", sidecar.to_str().expect("utf-8")]);
    let tags: serde_json::Value = serde_json::from_str(&json).expect("exiftool JSON");
    assert_eq!(tags[0]["XMP-dc:Title"], "Harbour at dawn");
}
