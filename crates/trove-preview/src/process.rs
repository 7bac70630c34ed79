//! The one place this crate starts a process (clippy's `disallowed-methods` holds everyone else
//! to it). `run_tool` runs a program to completion (ffprobe); `run_ffmpeg` supervises an ffmpeg
//! through ffmpeg-sidecar's events: progress to the caller, cancel and hang detection with a
//! kill, stderr kept (bounded) for the error.

use crate::control::{Control, Limits, Progress};
use crate::error::{Error, Result};
use crossbeam_channel::RecvTimeoutError;
use ffmpeg_sidecar::command::FfmpegCommand;
use ffmpeg_sidecar::event::{FfmpegEvent, LogLevel};
use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

/// How often the supervisor wakes to look at the cancel token and the clocks.
const POLL: Duration = Duration::from_millis(50);
/// stderr lines kept for an error message, and their total size.
const KEPT_LINES: usize = 40;
const KEPT_BYTES: usize = 4096;

pub(crate) use trove_core::process::Finished;
use trove_core::process::RunError;

/// Runs `program ARGS` for `source`, stdin closed, killing it after `timeout` or on cancel.
pub(crate) fn run_tool<I, S>(
    tool: &'static str,
    program: &Path,
    args: I,
    source: &Path,
    timeout: Duration,
    control: &Control,
) -> Result<Finished>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let started = Instant::now();
    let stop = || control.cancel.is_cancelled();
    trove_core::process::run_until(program, args, timeout, &stop).map_err(|e| match e {
        RunError::Stopped => Error::Cancelled {
            path: source.to_path_buf(),
        },
        RunError::Timeout { stderr } => Error::Timeout {
            tool,
            path: source.to_path_buf(),
            after: started.elapsed(),
            reason: "time limit",
            stderr: tail_text(&stderr),
        },
        RunError::Io(e) => Error::Spawn {
            tool,
            path: source.to_path_buf(),
            source: e,
        },
    })
}

/// The last lines of a tool's stderr, bounded.
pub(crate) fn tail_text(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(KEPT_LINES);
    bounded(lines[start..].join("\n"))
}

fn bounded(mut text: String) -> String {
    if text.len() > KEPT_BYTES {
        let mut cut = text.len() - KEPT_BYTES;
        while !text.is_char_boundary(cut) {
            cut += 1;
        }
        text = format!("…{}", &text[cut..]);
    }
    text
}

/// Receives ffmpeg's stdout, chunk by chunk, on a thread of its own.
pub(crate) type StdoutSink<'a> = Box<dyn FnMut(&[u8]) + Send + 'a>;

/// One supervised ffmpeg run.
pub(crate) struct FfmpegJob<'a> {
    /// The command, outputs included (the supervisor adds nothing).
    pub(crate) command: FfmpegCommand,
    /// The source, for errors.
    pub(crate) source: &'a Path,
    /// The media duration in seconds, for percent and the overall limit.
    pub(crate) duration: Option<f64>,
    pub(crate) limits: &'a Limits,
    pub(crate) control: &'a Control,
    /// Receives ffmpeg's stdout, when an output is `pipe:1`.
    pub(crate) stdout: Option<StdoutSink<'a>>,
    /// Progress is scaled into this share of 0..100 (the rest is for work after ffmpeg).
    pub(crate) percent_span: f32,
}

/// Why the supervisor stopped ffmpeg.
enum Kill {
    Cancelled,
    Stalled,
    TimeLimit,
}

/// Runs the job's ffmpeg to its end, or kills it on cancel, stall or time limit.
pub(crate) fn run_ffmpeg(job: FfmpegJob<'_>) -> Result<()> {
    let FfmpegJob {
        mut command,
        source,
        duration,
        limits,
        control,
        stdout,
        percent_span,
    } = job;
    let spawn_error = |e| Error::Spawn {
        tool: "ffmpeg",
        path: source.to_path_buf(),
        source: e,
    };
    #[allow(clippy::disallowed_methods)] // This is the helper the lint points to.
    let mut child = command.spawn().map_err(spawn_error)?;
    let started = Instant::now();
    let overall = limits.overall(duration);

    std::thread::scope(|scope| {
        // stdout is read here, not by ffmpeg-sidecar (which starts reading only once it has
        // parsed all stream metadata): a full pipe must never stall ffmpeg.
        let out_pipe = child.take_stdout();
        if let (Some(mut pipe), Some(mut sink)) = (out_pipe, stdout) {
            scope.spawn(move || {
                let mut chunk = vec![0u8; 64 * 1024];
                loop {
                    match pipe.read(&mut chunk) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Ok(0) | Err(_) => break,
                        Ok(n) => sink(&chunk[..n]),
                    }
                }
            });
        }
        let events = child.iter().map_err(|e| Error::Spawn {
            tool: "ffmpeg",
            path: source.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        });
        let events = match events {
            Ok(events) => events,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let (tx, rx) = crossbeam_channel::bounded::<FfmpegEvent>(256);
        // Not scoped: should the event reader ever block past ffmpeg's exit, it must not hold
        // up the caller (the loop below also watches the process itself).
        std::thread::spawn(move || {
            for event in events {
                if tx.send(event).is_err() {
                    break;
                }
            }
        });

        let mut log = StderrLog::default();
        let mut media_time = -1.0_f64;
        let mut last_advance = Instant::now();
        let mut last_percent = 0.0_f32;
        let mut kill: Option<Kill> = None;
        let mut exited_at: Option<Instant> = None;
        loop {
            match rx.recv_timeout(POLL) {
                Ok(FfmpegEvent::Progress(p)) => {
                    let t = parse_time(&p.time).unwrap_or(media_time);
                    if t > media_time {
                        media_time = t;
                        last_advance = Instant::now();
                    }
                    if kill.is_none() {
                        let progress =
                            progress_of(media_time, duration, p.fps, p.speed, percent_span);
                        if progress.percent >= last_percent {
                            last_percent = progress.percent;
                            control.report(&progress);
                        }
                    }
                }
                Ok(FfmpegEvent::Log(level, line)) => log.push(level, line),
                Ok(FfmpegEvent::Error(e)) => log.push(LogLevel::Error, e),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {}
                // The stderr reader ended: ffmpeg closed stderr, so it has exited (or was killed).
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if exited_at.is_none() {
                if let Ok(Some(_)) = child.as_inner_mut().try_wait() {
                    exited_at = Some(Instant::now());
                }
            }
            // The last lines may trail the exit a little; after that, stop waiting for them.
            if exited_at.is_some_and(|t| t.elapsed() > Duration::from_secs(2)) {
                break;
            }
            if kill.is_none() && exited_at.is_none() {
                let now = Instant::now();
                kill = if control.cancel.is_cancelled() {
                    Some(Kill::Cancelled)
                } else if now.duration_since(last_advance) > limits.stall {
                    Some(Kill::Stalled)
                } else if now.duration_since(started) > overall {
                    Some(Kill::TimeLimit)
                } else {
                    None
                };
                if kill.is_some() {
                    // Kill fails only when ffmpeg already exited; it is reaped below.
                    let _ = child.kill();
                }
            }
        }
        let status = child.wait().map_err(|e| Error::Io {
            path: source.to_path_buf(),
            source: e,
        })?;
        let after = started.elapsed();
        match kill {
            Some(Kill::Cancelled) => Err(Error::Cancelled {
                path: source.to_path_buf(),
            }),
            Some(Kill::Stalled) => Err(Error::Timeout {
                tool: "ffmpeg",
                path: source.to_path_buf(),
                after,
                reason: "no progress",
                stderr: log.text(),
            }),
            Some(Kill::TimeLimit) => Err(Error::Timeout {
                tool: "ffmpeg",
                path: source.to_path_buf(),
                after,
                reason: "time limit",
                stderr: log.text(),
            }),
            None if status.success() => Ok(()),
            None => Err(Error::Tool {
                tool: "ffmpeg",
                path: source.to_path_buf(),
                status: status.to_string(),
                stderr: log.text(),
            }),
        }
    })
}

/// Progress from ffmpeg's numbers; `span` is the share of 0..100 that ffmpeg's work covers.
fn progress_of(t: f64, duration: Option<f64>, fps: f32, speed: f32, span: f32) -> Progress {
    let fraction = match duration {
        Some(d) if d > 0.0 && t >= 0.0 => (t / d).clamp(0.0, 1.0),
        _ => 0.0,
    };
    let eta = match duration {
        Some(d) if speed > 0.0 && t >= 0.0 => Some(Duration::from_secs_f64(
            ((d - t).max(0.0) / f64::from(speed)).min(86_400.0),
        )),
        _ => None,
    };
    Progress {
        percent: (fraction as f32 * span).min(span),
        fps: (fps > 0.0).then_some(fps),
        speed: (speed > 0.0).then_some(speed),
        eta,
    }
}

/// Seconds from ffmpeg's `HH:MM:SS.ss` (negative or `N/A` give `None`).
pub(crate) fn parse_time(text: &str) -> Option<f64> {
    let mut seconds = 0.0;
    for part in text.trim().split(':') {
        let value: f64 = part.parse().ok()?;
        seconds = seconds * 60.0 + value;
    }
    (seconds.is_finite() && seconds >= 0.0 && !text.trim().starts_with('-')).then_some(seconds)
}

/// ffmpeg's stderr lines, bounded: problems (warnings and worse) kept apart from the rest, so
/// that the error shows the lines that explain it.
#[derive(Default)]
struct StderrLog {
    problems: VecDeque<String>,
    recent: VecDeque<String>,
}

impl StderrLog {
    fn push(&mut self, level: LogLevel, line: String) {
        let ring = match level {
            LogLevel::Warning | LogLevel::Error | LogLevel::Fatal => &mut self.problems,
            LogLevel::Info | LogLevel::Unknown => &mut self.recent,
        };
        if ring.len() == KEPT_LINES {
            ring.pop_front();
        }
        ring.push_back(line);
    }

    fn text(&self) -> String {
        let lines = if self.problems.is_empty() {
            &self.recent
        } else {
            &self.problems
        };
        bounded(
            lines
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(parse_time("00:01:02.50"), Some(62.5));
        assert_eq!(parse_time("-00:00:00.04"), None);
        assert_eq!(parse_time("N/A"), None);
    }

    #[test]
    fn progress_is_scaled_and_bounded() {
        let p = progress_of(5.0, Some(10.0), 25.0, 2.0, 90.0);
        assert_eq!(p.percent, 45.0);
        assert_eq!(p.eta, Some(Duration::from_secs_f64(2.5)));
        let p = progress_of(12.0, Some(10.0), 0.0, 0.0, 90.0);
        assert_eq!((p.percent, p.fps, p.eta), (90.0, None, None));
    }

    /// Runs ffmpeg with `args` under `limits`.
    fn supervise(args: &[&str], limits: Limits) -> (Result<()>, Duration) {
        let mut command = FfmpegCommand::new_with_path(ffmpeg_sidecar::paths::ffmpeg_path());
        command.hide_banner().args(args);
        let control = Control::new();
        let started = Instant::now();
        let result = run_ffmpeg(FfmpegJob {
            command,
            source: Path::new("test-input"),
            duration: Some(30.0),
            limits: &limits,
            control: &control,
            stdout: None,
            percent_span: 100.0,
        });
        (result, started.elapsed())
    }

    #[test]
    fn a_silent_ffmpeg_is_killed_after_the_stall_limit() {
        // ffmpeg waits for input on its stdin pipe, which nobody writes or closes.
        let limits = Limits {
            stall: Duration::from_millis(1500),
            ..Limits::default()
        };
        let args = [
            "-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "pipe:0", "-f", "null", "-",
        ];
        let (result, took) = supervise(&args, limits);
        match result {
            Err(Error::Timeout { reason, .. }) => assert_eq!(reason, "no progress"),
            other => panic!("expected a stall timeout, got {other:?}"),
        }
        assert!(took < Duration::from_secs(10), "took {took:?}");
    }

    #[test]
    fn a_slow_ffmpeg_is_killed_at_the_overall_limit() {
        // Real-time reading of 30 s of sound: progress advances, but too slowly.
        let limits = Limits {
            stall: Duration::from_secs(20),
            floor: Duration::from_millis(1500),
            per_media_second: 0.0,
        };
        let args = ["-re", "-f", "lavfi", "-i", "sine=d=30", "-f", "null", "-"];
        let (result, took) = supervise(&args, limits);
        match result {
            Err(Error::Timeout { reason, .. }) => assert_eq!(reason, "time limit"),
            other => panic!("expected a time-limit timeout, got {other:?}"),
        }
        assert!(took < Duration::from_secs(10), "took {took:?}");
    }

    #[test]
    fn stderr_text_is_bounded() {
        let long = "x".repeat(10_000);
        assert!(tail_text(long.as_bytes()).len() <= KEPT_BYTES + 4);
        let mut log = StderrLog::default();
        log.push(LogLevel::Info, "frame stats".into());
        log.push(LogLevel::Error, "Invalid data found".into());
        assert_eq!(log.text(), "Invalid data found");
    }
}
