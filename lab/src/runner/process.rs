//! The real executor: spawns the program in its own process group, measures wall time
//! from spawn to exit, reads user+sys CPU time and peak RSS from `wait4`'s rusage, and
//! kills the group when the timeout expires. Under the instructions metric it wraps the
//! program in `valgrind --tool=callgrind` and reads the instruction total.
//!
//! Parsing what the program printed is in `runner/mod.rs`.

use super::{Executor, ExitKind, Job, RunOutput, RunnerError};
use crate::record::Metric;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Spawns real processes.
#[derive(Debug)]
pub struct ProcessExecutor {
    scratch: PathBuf,
    counter: u64,
}

impl Default for ProcessExecutor {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessExecutor {
    /// An executor whose callgrind files go to a private temporary folder.
    pub fn new() -> Self {
        Self { scratch: std::env::temp_dir().join(format!("ruff-lab-{}", std::process::id())), counter: 0 }
    }
}

impl Drop for ProcessExecutor {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

impl Executor for ProcessExecutor {
    fn execute(&mut self, job: &Job) -> Result<RunOutput, RunnerError> {
        let mut argv = job.argv();
        let mut program = job.invocation.program.clone();
        let mut callgrind_out = None;
        if job.metric == Metric::Instructions {
            self.counter += 1;
            std::fs::create_dir_all(&self.scratch)
                .map_err(|source| RunnerError::Spawn { program: self.scratch.clone(), source })?;
            let out = self.scratch.join(format!("callgrind.{}.out", self.counter));
            let mut wrapped = vec![
                "--tool=callgrind".to_string(),
                "-q".to_string(),
                format!("--callgrind-out-file={}", out.display()),
                program.display().to_string(),
            ];
            wrapped.append(&mut argv);
            argv = wrapped;
            program = PathBuf::from("valgrind");
            callgrind_out = Some(out);
        }
        let mut output = run(&program, &argv, &job.cwd, job.timeout)?;
        if let Some(path) = callgrind_out {
            if output.exit == ExitKind::Code(0) {
                output.instructions = Some(read_callgrind_total(&path)?);
            }
            let _ = std::fs::remove_file(&path);
        }
        Ok(output)
    }
}

/// Runs `program argv` in `cwd` and measures it; kills it after `timeout`.
pub fn run(program: &Path, argv: &[String], cwd: &Path, timeout: Duration) -> Result<RunOutput, RunnerError> {
    let mut cmd = Command::new(program);
    cmd.args(argv).current_dir(cwd).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|source| RunnerError::Spawn { program: program.to_path_buf(), source })?;
    let pid = child.id() as libc::pid_t;
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);

    let done = Arc::new((Mutex::new(false), Condvar::new()));
    let watchdog = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let (lock, cv) = &*done;
            let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
            let (guard, _) =
                cv.wait_timeout_while(guard, timeout, |finished| !*finished).unwrap_or_else(|e| e.into_inner());
            if *guard {
                return false;
            }
            // The child has not been reaped yet (the waiter only peeks with WNOWAIT and
            // reaps after taking this lock), so `pid` cannot have been reused.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
            true
        })
    };

    let waited = wait_exit_no_reap(pid);
    let wall = start.elapsed();
    {
        let (lock, cv) = &*done;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }
    let timed_out = watchdog.join().unwrap_or(false);
    let (status, usage) = reap(pid).map_err(|source| RunnerError::Wait { program: program.to_path_buf(), source })?;
    waited.map_err(|source| RunnerError::Wait { program: program.to_path_buf(), source })?;
    let stdout = stdout.map(|h| h.join().unwrap_or_default()).unwrap_or_default();
    let stderr = stderr.map(|h| h.join().unwrap_or_default()).unwrap_or_default();

    let exit = if timed_out {
        ExitKind::TimedOut
    } else if libc::WIFEXITED(status) {
        ExitKind::Code(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        ExitKind::Signal(libc::WTERMSIG(status))
    } else {
        ExitKind::Code(-1)
    };
    Ok(RunOutput {
        exit,
        wall_ms: wall.as_secs_f64() * 1000.0,
        cpu_ms: timeval_ms(usage.ru_utime) + timeval_ms(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_kb: usage.ru_maxrss.max(0) as u64,
        instructions: None,
        stdout,
        stderr,
    })
}

fn drain<R: Read + Send + 'static>(mut r: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Blocks until `pid` has exited, leaving it unreaped (WNOWAIT).
fn wait_exit_no_reap(pid: libc::pid_t) -> std::io::Result<()> {
    loop {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Reaps `pid` and returns its wait status and resource usage.
fn reap(pid: libc::pid_t) -> std::io::Result<(i32, libc::rusage)> {
    loop {
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

fn timeval_ms(t: libc::timeval) -> f64 {
    t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0
}

/// The total instruction count (`summary:` or `totals:` line) of a callgrind file.
pub fn read_callgrind_total(path: &Path) -> Result<u64, RunnerError> {
    let text = std::fs::read_to_string(path).map_err(|_| RunnerError::Callgrind(path.to_path_buf()))?;
    text.lines()
        .filter_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .next()
        .ok_or_else(|| RunnerError::Callgrind(path.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> RunOutput {
        let args = vec!["-c".to_string(), script.to_string()];
        run(Path::new("/bin/sh"), &args, Path::new("/"), timeout).unwrap()
    }

    #[test]
    fn captures_output_and_status() {
        let out = sh("echo result=7; echo oops >&2; exit 3", Duration::from_secs(10));
        assert_eq!(out.exit, ExitKind::Code(3));
        assert_eq!(out.stdout, "result=7\n");
        assert_eq!(out.stderr, "oops\n");
        assert!(out.wall_ms > 0.0);
        assert!(out.max_rss_kb > 0);
    }

    #[test]
    fn kills_on_timeout() {
        let t0 = Instant::now();
        let out = sh("sleep 5", Duration::from_millis(200));
        assert_eq!(out.exit, ExitKind::TimedOut);
        assert!(t0.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn spawn_failure_is_an_error() {
        let err = run(Path::new("/nonexistent/prog"), &[], Path::new("/"), Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("cannot start"));
    }
}
