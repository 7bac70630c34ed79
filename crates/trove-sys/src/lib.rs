//! Operating-system calls the standard library does not offer: lowering the CPU and I/O
//! priority of background work, so that a large first scan, hashing or preview making leaves the
//! machine usable (issue "a quiet machine").
//!
//! On Linux both priorities belong to threads and are inherited by threads and processes
//! started afterwards: call [`lower_priority`] first thing in a process (or at the start of a
//! worker thread) and everything it starts runs quietly too. Elsewhere the calls do nothing.

/// How quiet background work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quiet {
    /// CPU niceness to set (0..=19; 10 is the usual "background").
    pub nice: i32,
    /// Use the idle I/O class (only when no one else reads or writes the disk) instead of the
    /// lowest best-effort level.
    pub idle_io: bool,
    /// Use the idle CPU scheduling class (`SCHED_IDLE`: only cycles no one else wants).
    pub idle_cpu: bool,
}

impl Default for Quiet {
    /// What desktop indexers do: idle CPU and I/O classes, so whatever a person runs comes
    /// first, and the niceness at its lowest for systems where the classes are not available.
    fn default() -> Self {
        Quiet {
            nice: 19,
            idle_io: true,
            idle_cpu: true,
        }
    }
}

/// What [`lower_priority`] managed to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The CPU niceness is now at least the one asked.
    pub cpu: bool,
    /// The I/O priority was set.
    pub io: bool,
    /// The idle CPU scheduling class was set (when asked).
    pub idle_cpu: bool,
}

/// Lowers the CPU and I/O priority of the calling thread and of what it starts from now on.
/// Never raises a priority; failures leave it as it was (reported in [`Applied`]).
pub fn lower_priority(quiet: Quiet) -> Applied {
    Applied {
        cpu: lower_cpu(quiet.nice.clamp(0, 19)),
        io: lower_io(quiet.idle_io),
        idle_cpu: quiet.idle_cpu && imp::set_idle_scheduling(),
    }
}

/// The calling thread's niceness (Linux), for tests and reports.
pub fn current_nice() -> Option<i32> {
    imp::current_nice()
}

/// The calling thread's I/O priority as `(class, level)` (Linux: class 2 best-effort, 3 idle).
pub fn current_io_priority() -> Option<(i32, i32)> {
    imp::current_io_priority()
}

/// Whether the calling thread runs in the idle CPU scheduling class.
pub fn is_idle_scheduled() -> bool {
    #[cfg(target_os = "linux")]
    {
        imp::scheduling_policy() == Some(libc::SCHED_IDLE)
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

fn lower_cpu(nice: i32) -> bool {
    match imp::current_nice() {
        Some(now) if now >= nice => true,
        _ => imp::set_nice(nice),
    }
}

fn lower_io(idle: bool) -> bool {
    imp::set_io_priority(if idle { (3, 0) } else { (2, 7) })
}

#[cfg(target_os = "linux")]
mod imp {
    /// `ioprio_set`/`ioprio_get` "who": a thread id (0: the calling thread).
    const IOPRIO_WHO_PROCESS: libc::c_int = 1;
    const IOPRIO_CLASS_SHIFT: i32 = 13;

    pub(super) fn current_nice() -> Option<i32> {
        // getpriority can return -1 legitimately; errno tells the failure apart.
        clear_errno();
        #[allow(unsafe_code)]
        // SAFETY: getpriority takes plain integers and touches no memory of ours.
        let value = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        (value != -1 || errno() == 0).then_some(value)
    }

    pub(super) fn set_nice(nice: i32) -> bool {
        #[allow(unsafe_code)]
        // SAFETY: setpriority takes plain integers; on Linux PRIO_PROCESS with 0 is the
        // calling thread.
        let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
        done == 0
    }

    pub(super) fn set_idle_scheduling() -> bool {
        let param = libc::sched_param { sched_priority: 0 };
        #[allow(unsafe_code)]
        // SAFETY: `param` is a valid sched_param for the duration of the call; 0 is the
        // calling thread.
        let done = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
        done == 0
    }

    /// The calling thread's scheduling policy.
    pub(super) fn scheduling_policy() -> Option<i32> {
        #[allow(unsafe_code)]
        // SAFETY: sched_getscheduler takes a thread id and touches no memory.
        let policy = unsafe { libc::sched_getscheduler(0) };
        (policy >= 0).then_some(policy)
    }

    pub(super) fn set_io_priority((class, level): (i32, i32)) -> bool {
        let value = (class << IOPRIO_CLASS_SHIFT) | level;
        #[allow(unsafe_code)]
        // SAFETY: the ioprio_set system call takes three integers and touches no memory.
        let done = unsafe { libc::syscall(libc::SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) };
        done == 0
    }

    pub(super) fn current_io_priority() -> Option<(i32, i32)> {
        #[allow(unsafe_code)]
        // SAFETY: the ioprio_get system call takes two integers and touches no memory.
        let value = unsafe { libc::syscall(libc::SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0) };
        let value = i32::try_from(value).ok().filter(|v| *v >= 0)?;
        Some((
            value >> IOPRIO_CLASS_SHIFT,
            value & ((1 << IOPRIO_CLASS_SHIFT) - 1),
        ))
    }

    fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    fn clear_errno() {
        #[allow(unsafe_code)]
        // SAFETY: __errno_location returns the calling thread's errno slot, valid for writes.
        unsafe {
            *libc::__errno_location() = 0;
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn current_nice() -> Option<i32> {
        None
    }
    pub(super) fn set_nice(_nice: i32) -> bool {
        false
    }
    pub(super) fn set_io_priority(_priority: (i32, i32)) -> bool {
        false
    }
    pub(super) fn set_idle_scheduling() -> bool {
        false
    }
    pub(super) fn scheduling_policy() -> Option<i32> {
        None
    }
    pub(super) fn current_io_priority() -> Option<(i32, i32)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_lowers_itself_and_what_it_starts() {
        // In a thread of its own, so the test harness's threads keep their priority.
        std::thread::spawn(|| {
            let before = current_nice().expect("nice");
            let applied = lower_priority(Quiet {
                nice: (before + 5).min(19),
                idle_io: false,
                idle_cpu: false,
            });
            assert!(
                applied.cpu && applied.io && !applied.idle_cpu,
                "{applied:?}"
            );
            assert_eq!(current_nice(), Some((before + 5).min(19)));
            assert_eq!(current_io_priority(), Some((2, 7)));
            let child = std::thread::spawn(|| (current_nice(), current_io_priority()))
                .join()
                .expect("child thread");
            assert_eq!(
                child,
                (Some((before + 5).min(19)), Some((2, 7))),
                "inherited"
            );
            // Never raised back.
            lower_priority(Quiet {
                nice: 0,
                idle_io: false,
                idle_cpu: false,
            });
            assert_eq!(current_nice(), Some((before + 5).min(19)));
            // The default goes all the way: idle classes for CPU and I/O.
            let applied = lower_priority(Quiet::default());
            assert!(applied.cpu && applied.io && applied.idle_cpu, "{applied:?}");
            assert!(is_idle_scheduled());
            assert_eq!(current_io_priority(), Some((3, 0)));
            assert_eq!(current_nice(), Some(19));
        })
        .join()
        .expect("test thread");
    }
}
