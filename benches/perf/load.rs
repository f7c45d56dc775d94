//! Load generators: wrk with a Lua script, and an open-loop paced client.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The JSON members an authorize request adds to the token (see [`load_script`]).
pub(super) const AUTHORIZE_BODY: &str = r#","area":"chats","action":"read""#;

pub(super) struct Load {
    pub rps: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
}

/// Runs wrk with 64 connections on 2 threads; parses requests/s and the 99th percentile.
pub(super) fn wrk(url: &str, path: &str, script: Option<&Path>, seconds: u32) -> Load {
    wrk_with(url, path, script, seconds, 64)
}

/// [`wrk`] with `connections` connections.
pub(super) fn wrk_with(
    url: &str,
    path: &str,
    script: Option<&Path>,
    seconds: u32,
    connections: u32,
) -> Load {
    let mut command = pinned("wrk".as_ref(), "PERF_LOAD_CPUS");
    command.args([
        &format!(
            "-t{}",
            std::env::var("PERF_LOAD_THREADS").unwrap_or_else(|_| "2".into())
        ),
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
        "--timeout",
        "5s",
    ]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command
        .arg(format!("{url}{path}"))
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let rps = text
        .lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk output:\n{text}"));
    let p99_ms = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))
        .map(|v| parse_wrk_time(v.trim()))
        .unwrap_or(f64::NAN);
    let non_2xx = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Load {
        rps,
        p99_ms,
        non_2xx,
    }
}

pub(super) fn parse_wrk_time(text: &str) -> f64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        "m" => value * 60_000.0,
        _ => f64::NAN,
    }
}

/// `program`, run under `taskset -c CPUS` when the environment variable `var` names CPUs.
pub(super) fn pinned(program: &std::ffi::OsStr, var: &str) -> Command {
    match std::env::var(var) {
        Ok(cpus) if !cpus.is_empty() => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpus).arg(program);
            command
        }
        _ => Command::new(program),
    }
}

/// A wrk script that introspects the tokens of `tokens_file` round-robin.
pub(super) fn introspect_script(tokens_file: &Path, service_token: &str) -> String {
    load_script(tokens_file, service_token, "/v1/introspect", "")
}

/// A wrk script that POSTs `{"token": T<extra>}` to `path` for the tokens of `tokens_file`
/// round-robin, each wrk thread starting at its own offset (Lua's unseeded random would give
/// every thread the same one). `extra` is more JSON members, starting with a comma.
pub(super) fn load_script(
    tokens_file: &Path,
    service_token: &str,
    path: &str,
    extra: &str,
) -> String {
    format!(
        r#"local tokens = {{}}
for line in io.lines("{}") do tokens[#tokens + 1] = line end
local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {service_token}"}}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("offset", threads)
end
local i = nil
request = function()
  if i == nil then i = math.floor(#tokens * ((offset or 1) - 1) / 2) end
  i = i % #tokens + 1
  return wrk.format("POST", "{path}", headers, '{{"token":"' .. tokens[i] .. '"{extra}}}')
end
"#,
        tokens_file.display()
    )
}

/// Latency at a fixed offered rate, measured open-loop: each of `connections` keep-alive
/// connections sends on its own schedule (`rate / connections` per second, staggered), and a
/// request's latency runs from when it was due, not when it went out, so a stalled server is
/// charged for the requests it delayed (no coordinated omission). Tokio's timer is 1 ms
/// grained, which makes this at most 1 ms pessimistic.
pub(super) struct Paced {
    pub achieved_rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
}

pub(super) fn paced_load(
    url: &str,
    requests: std::sync::Arc<Vec<Vec<u8>>>,
    rate: u32,
    connections: u32,
    seconds: u32,
) -> Paced {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = url.trim_start_matches("http://").to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let period = Duration::from_secs_f64(connections as f64 / rate as f64);
        let start = tokio::time::Instant::now() + Duration::from_millis(100);
        let end = start + Duration::from_secs(seconds as u64);
        let tasks: Vec<_> = (0..connections)
            .map(|k| {
                let address = address.clone();
                let requests = requests.clone();
                tokio::spawn(async move {
                    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let offset = period.mul_f64(k as f64 / connections as f64);
                    let mut ticks = tokio::time::interval_at(start + offset, period);
                    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                    let mut latencies = Vec::new();
                    let mut errors = 0;
                    let mut buffer = vec![0u8; 16 * 1024];
                    let mut n = k as usize;
                    loop {
                        let due = ticks.tick().await;
                        if due >= end {
                            break;
                        }
                        n = (n + connections as usize) % requests.len();
                        stream.write_all(&requests[n]).await.unwrap();
                        // Read one response: headers, then Content-Length bytes of body.
                        let mut filled = 0;
                        let complete = loop {
                            let read = stream.read(&mut buffer[filled..]).await.unwrap();
                            assert!(read > 0, "the server closed the connection");
                            filled += read;
                            let Some(end) =
                                buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n")
                            else {
                                continue;
                            };
                            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
                            let length: usize = head
                                .split("content-length:")
                                .nth(1)
                                .and_then(|rest| rest.lines().next())
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            if filled >= end + 4 + length {
                                break head.starts_with("http/1.1 200");
                            }
                        };
                        if !complete {
                            errors += 1;
                        }
                        latencies.push(due.elapsed());
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut errors = 0;
        for task in tasks {
            let (latencies, failed) = task.await.unwrap();
            all.extend(latencies);
            errors += failed;
        }
        all.sort();
        let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
        Paced {
            achieved_rps: all.len() as f64 / seconds as f64,
            p50_ms: at(0.50).as_secs_f64() * 1000.0,
            p99_ms: at(0.99).as_secs_f64() * 1000.0,
            errors,
        }
    })
}

/// Raw HTTP/1.1 introspection requests, one per session token.
pub(super) fn introspect_requests(
    url: &str,
    service_token: &str,
    tokens: &[String],
) -> Vec<Vec<u8>> {
    let host = url.trim_start_matches("http://");
    tokens
        .iter()
        .map(|token| {
            let body = format!("{{\"token\":\"{token}\"}}");
            format!(
                "POST /v1/introspect HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {service_token}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect()
}
