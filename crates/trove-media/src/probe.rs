//! Finding the system ffprobe and running it on one file.

use crate::output::ProbeOutput;
use crate::{Error, Result};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::Duration;
use trove_core::process::{self, RunError};

/// The ffprobe to run: one shipped next to the program (ffmpeg-sidecar's convention), else the
/// first `ffprobe` on `PATH`. Trove never downloads ffmpeg.
pub fn ffprobe_path() -> Result<PathBuf> {
    if let Ok(beside) = ffmpeg_sidecar::ffprobe::ffprobe_sidecar_path() {
        if is_executable(&beside) {
            return Ok(beside);
        }
    }
    let name = if cfg!(windows) {
        "ffprobe.exe"
    } else {
        "ffprobe"
    };
    let path = std::env::var_os("PATH").ok_or(Error::FfprobeMissing)?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
        .ok_or(Error::FfprobeMissing)
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Runs `ffprobe -v error -print_format json -show_format -show_streams -show_error` on `path`,
/// killing it after `timeout`.
///
/// A file ffprobe cannot open or make sense of (corrupt, truncated before its index, not media,
/// no streams) is an [`Error::Probe`] carrying ffprobe's message. Warnings ffprobe prints about a
/// file it could still describe are kept in [`ProbeOutput::diagnostics`].
pub fn probe(path: &Path, timeout: Duration) -> Result<ProbeOutput> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    if meta.is_dir() {
        let source = std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a folder");
        return Err(Error::Io {
            path: path.into(),
            source,
        });
    }
    let ffprobe = ffprobe_path()?;
    // "file:" keeps ffmpeg from reading a name such as "-x.mp4" as an option or "http:x" as a
    // protocol.
    let mut input = OsString::from("file:");
    input.push(path);
    let args: [&OsStr; 9] = [
        "-v".as_ref(),
        "error".as_ref(),
        "-print_format".as_ref(),
        "json".as_ref(),
        "-show_format".as_ref(),
        "-show_streams".as_ref(),
        "-show_error".as_ref(),
        "-i".as_ref(),
        &input,
    ];
    let finished = match process::run(&ffprobe, args, timeout) {
        Ok(finished) => finished,
        Err(RunError::Timeout { .. } | RunError::Stopped) => {
            return Err(Error::Timeout {
                path: path.into(),
                after: timeout,
            })
        }
        Err(RunError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::FfprobeMissing)
        }
        Err(RunError::Io(source)) => {
            return Err(Error::Io {
                path: path.into(),
                source,
            })
        }
    };
    let diagnostics = stderr_lines(&finished.stderr, &input);
    let stdout = String::from_utf8_lossy(&finished.stdout);
    let failure = |error: Option<&str>| Error::Probe {
        path: path.into(),
        message: failure_message(error, &diagnostics, finished.status),
    };
    let mut output: ProbeOutput = match serde_json::from_str(&stdout) {
        Ok(output) => output,
        Err(_) if !finished.status.success() => return Err(failure(None)),
        Err(e) => {
            return Err(Error::Parse {
                path: path.into(),
                message: e.to_string(),
            })
        }
    };
    if let Some(error) = &output.error {
        return Err(failure(Some(
            error.string.as_deref().unwrap_or("unknown error"),
        )));
    }
    if !finished.status.success() {
        return Err(failure(None));
    }
    if output.streams.is_empty() {
        return Err(failure(Some("no audio, video or image streams")));
    }
    output.diagnostics = diagnostics;
    tracing::debug!(path = %path.display(), streams = output.streams.len(), "probed");
    Ok(output)
}

fn failure_message(
    error: Option<&str>,
    diagnostics: &[String],
    status: std::process::ExitStatus,
) -> String {
    let mut parts: Vec<&str> = error.into_iter().collect();
    parts.extend(
        diagnostics
            .iter()
            .map(String::as_str)
            .filter(|d| Some(*d) != error),
    );
    if parts.is_empty() {
        format!("ffprobe failed ({status}) without a message")
    } else {
        parts.join("; ")
    }
}

/// ffprobe's stderr as short sentences: "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55…] moov atom not found"
/// becomes "mov: moov atom not found"; "file:/x.mp4: Invalid data…" loses the repeated path.
fn stderr_lines(stderr: &[u8], input: &OsStr) -> Vec<String> {
    let text = String::from_utf8_lossy(stderr);
    let input = input.to_string_lossy();
    let input_prefix = format!("{input}: ");
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix(input_prefix.as_str()).unwrap_or(line);
        let cleaned = match line
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("] "))
        {
            Some((context, message)) => {
                let name = context.split([' ', ',']).next().unwrap_or(context);
                format!("{name}: {}", message.trim())
            }
            None => line.to_owned(),
        };
        if !cleaned.is_empty() && !lines.contains(&cleaned) {
            lines.push(cleaned);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any stderr, valid UTF-8 or not, becomes distinct, non-empty, trimmed lines.
        #[test]
        fn stderr_lines_never_panic(
            stderr in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<u8>(),
                    proptest::prelude::Just(b'['),
                    proptest::prelude::Just(b']'),
                    proptest::prelude::Just(b' '),
                    proptest::prelude::Just(b'\n'),
                ],
                0..256,
            ),
            input in "[a-z:/. \\[\\]]{0,12}",
        ) {
            let lines = stderr_lines(&stderr, OsStr::new(&input));
            for (i, line) in lines.iter().enumerate() {
                proptest::prop_assert!(!line.is_empty());
                proptest::prop_assert!(!lines[..i].contains(line));
            }
        }
    }

    #[test]
    fn stderr_is_shortened_and_deduplicated() {
        let stderr = b"[mov,mp4,m4a,3gp,3g2,mj2 @ 0x558f5f142180] moov atom not found\n\
            file:/m/a.mp4: Invalid data found when processing input\n\
            [h264 @ 0x556b57dcb700] Invalid NAL unit size (895 > 634).\n\
            [h264 @ 0x556b57dcb700] Invalid NAL unit size (895 > 634).\n\n";
        assert_eq!(
            stderr_lines(stderr, OsStr::new("file:/m/a.mp4")),
            [
                "mov: moov atom not found",
                "Invalid data found when processing input",
                "h264: Invalid NAL unit size (895 > 634)."
            ]
        );
    }
}
