//! Timing and measuring the commands the benchmark runs.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn time_run(command: &mut Command) -> Duration {
    let started = Instant::now();
    let status = command.status().expect("the command runs");
    let elapsed = started.elapsed();
    assert!(status.success(), "{command:?} failed");
    elapsed
}

pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// Peak resident memory of a command, as GNU time reports it. (`wait4` on our own child would
/// count this benchmark's memory too: the child inherits it until it calls exec.)
pub fn peak_rss_kib(command: &mut Command) -> i64 {
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg(command.get_program())
        .args(command.get_args())
        .envs(
            command
                .get_envs()
                .filter_map(|(key, value)| value.map(|value| (key, value))),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in command.get_envs() {
        if value.is_none() {
            timed.env_remove(key);
        }
    }
    let output = timed.output().expect("/usr/bin/time runs");
    assert!(output.status.success(), "{command:?} failed");
    let text = String::from_utf8_lossy(&output.stderr);
    text.lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {text:?}"))
}

/// The time the process's threads have run so far, in nanoseconds: each thread's
/// `/proc/PID/task/TID/schedstat` (exact, where `/proc/PID/stat` counts 10 ms ticks, too coarse
/// for a few milliseconds a sign-in). A thread that ended between two readings would be
/// missed: the server's workers and database threads live as long as it does.
pub fn cpu_time(pid: u32) -> Duration {
    let mut nanos = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let path = task.unwrap().path().join("schedstat");
        if let Ok(text) = std::fs::read_to_string(path) {
            nanos += text
                .split_whitespace()
                .next()
                .and_then(|ran| ran.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(nanos)
}
