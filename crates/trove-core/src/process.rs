//! The one place Trove starts a process (clippy's `disallowed-methods` holds everyone else to
//! it): a program run to completion with a time limit, killed when it overstays, its output kept.

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// stderr beyond this is read and dropped: a broken file can make a tool very talkative.
const STDERR_LIMIT: usize = 64 * 1024;

/// A process that ran to its end.
#[derive(Debug)]
pub struct Finished {
    /// How it exited.
    pub status: ExitStatus,
    /// Everything it wrote to stdout.
    pub stdout: Vec<u8>,
    /// The start of what it wrote to stderr (at most 64 KiB).
    pub stderr: Vec<u8>,
}

/// Why a run did not finish.
#[derive(Debug)]
pub enum RunError {
    /// The program could not be started (or waited for).
    Io(std::io::Error),
    /// The time limit passed; the process was killed and reaped.
    Timeout {
        /// The start of what it wrote to stderr until then.
        stderr: Vec<u8>,
    },
    /// The caller's stop condition became true; the process was killed and reaped.
    Stopped,
}

/// Runs `program` with `args`, stdin closed, and waits at most `timeout` for it to exit.
pub fn run<I, S>(program: &Path, args: I, timeout: Duration) -> Result<Finished, RunError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_until(program, args, timeout, &|| false)
}

/// Like [`run`], and kills the process as soon as `stop` returns true (it is asked every few
/// milliseconds), e.g. when the job it serves is cancelled.
pub fn run_until<I, S>(
    program: &Path,
    args: I,
    timeout: Duration,
    stop: &dyn Fn() -> bool,
) -> Result<Finished, RunError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    #[allow(clippy::disallowed_methods)] // This is the helper the lint points to.
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(RunError::Io)?;
    // Both pipes are drained on their own threads so that a full pipe never blocks the child.
    let stdout = child.stdout.take().map(|s| drain(s, usize::MAX));
    let stderr = child.stderr.take().map(|s| drain(s, STDERR_LIMIT));
    let status = wait_until(&mut child, Instant::now() + timeout, stop);
    let stdout = stdout.map(join).unwrap_or_default();
    let stderr = stderr.map(join).unwrap_or_default();
    match status {
        Ok(Waited::Exited(status)) => Ok(Finished {
            status,
            stdout,
            stderr,
        }),
        Ok(Waited::TimedOut) => Err(RunError::Timeout { stderr }),
        Ok(Waited::Stopped) => Err(RunError::Stopped),
        Err(e) => Err(RunError::Io(e)),
    }
}

enum Waited {
    Exited(ExitStatus),
    TimedOut,
    Stopped,
}

/// Polls the child until it exits, the deadline passes or `stop` says so (then kills it).
fn wait_until(
    child: &mut Child,
    deadline: Instant,
    stop: &dyn Fn() -> bool,
) -> std::io::Result<Waited> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Waited::Exited(status));
        }
        let now = Instant::now();
        let why = if stop() {
            Some(Waited::Stopped)
        } else if now >= deadline {
            Some(Waited::TimedOut)
        } else {
            None
        };
        if let Some(why) = why {
            // Kill fails only when the child already exited; either way it is reaped here.
            let _ = child.kill();
            child.wait()?;
            return Ok(why);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

fn drain<R: Read + Send + 'static>(mut pipe: R, limit: usize) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = limit.saturating_sub(kept.len());
                    kept.extend_from_slice(&chunk[..n.min(room)]);
                }
            }
        }
        kept
    })
}

fn join(handle: JoinHandle<Vec<u8>>) -> Vec<u8> {
    handle.join().unwrap_or_default()
}

/// Finds `name` (ffmpeg, ffprobe) beside this program or on `PATH`; Trove never downloads it.
pub fn find_tool(name: &str) -> Option<std::path::PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)));
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    beside
        .into_iter()
        .chain(
            on_path
                .into_iter()
                .filter(|dir| !dir.as_os_str().is_empty())
                .map(|dir| dir.join(name)),
        )
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
