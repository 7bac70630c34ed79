//! Generates Tauri's context and the permissions of the app's own commands.
//!
//! Declaring the commands here makes Tauri generate an `allow-<command>` permission for each and
//! deny any command that no capability grants, so `capabilities/` is the whole IPC surface.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "library_stats",
        "library_info",
        "search",
        "asset_show",
        "meta_set",
        "undo",
        "asset_reveal",
        "asset_open",
        "asset_drag",
        "collections_list",
        "saved_search_create",
        "collection_add",
        "sources_list",
        "source_pick_folder",
        "source_add",
        "source_scan",
        "watch_start",
        "watch_stop",
        "watch_status",
        "jobs_list",
        "jobs_subscribe",
        "jobs_cancel",
        "jobs_retry",
        "previews_make",
        "dupes_review",
        "restore_plan",
        "restore_start",
        "restore_status",
        "restore_download",
        "source_add_remote",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
