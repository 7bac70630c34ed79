//! Generates Tauri's context and the permissions of the app's own commands.
//!
//! Declaring the commands here makes Tauri generate an `allow-<command>` permission for each and
//! deny any command that no capability grants, so `capabilities/` is the whole IPC surface.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&["library_stats"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
