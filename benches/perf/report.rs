//! `grant report` of a grant whose session made 100,000 accesses: the server reads, proves and
//! streams every event, the client passes the JSON through (`-o json`) or writes the text as
//! it reads. Wall time and the client's peak RSS of each; `audit verify-report` of the file
//! beside them.

use std::path::Path;
use std::process::Stdio;

use serde_json::json;

use super::audit::{seed_accesses, stop};
use super::server::{cli, org_with_admin, post, start_server};
use super::{Row, median, ms, peak_rss_kib, time_run};

pub fn rows(exe: &Path, dir: &Path, quick: bool) -> Vec<Row> {
    let (accesses, runs) = if quick { (5_000, 3) } else { (100_000, 5) };
    let db = format!("sqlite://{}", dir.join("report.db").display());
    let log = dir.join("report-server.log");
    let (mut server, url, dev) = start_server(exe, &db, true, &log);
    let operator = &dev["SUPPORTCTL_OPERATOR_TOKEN"];
    let admin = org_with_admin(&url, operator, "reportbig");
    let (status, body) = post(
        &url,
        &admin,
        "/v1/orgs/reportbig/grants",
        &json!({"level": "member", "reason": "the report's grant"}),
    );
    assert!(status < 300, "creating the grant: {body}");
    let grant = body["id"].as_str().unwrap().to_owned();
    let (status, body) = post(
        &url,
        &dev["SUPPORTCTL_SUPPORT_TOKEN"],
        "/v1/orgs/reportbig/sessions",
        &json!({"grant_id": grant, "reason": "the report's session"}),
    );
    assert!(status < 300, "opening the session: {body}");
    let session = body["session"]["id"].as_str().unwrap().to_owned();
    stop(&mut server);
    seed_accesses(&db, "reportbig", accesses, Some(&session));
    let (mut server, url, _) = start_server(exe, &db, false, &log);
    let config = dir.join("report-cli-config");
    let cli = |args: &[&str]| cli(exe, &config, &url, &admin, args);
    let report = |json: bool| {
        let mut args = vec!["grant", "report", &grant, "--org", "reportbig"];
        if json {
            args.extend(["-o", "json"]);
        }
        cli(&args)
    };
    // The report kept, to verify (which counts its events).
    let file = dir.join("report.json");
    let mut keep = report(true);
    keep.stdout(std::fs::File::create(&file).unwrap());
    time_run(&mut keep);
    let key_file = dir.join("report.key");
    let mut key = cli(&["audit", "key"]);
    key.stdout(std::fs::File::create(&key_file).unwrap());
    time_run(&mut key);
    let (file, key_file) = (
        file.to_str().unwrap().to_owned(),
        key_file.to_str().unwrap().to_owned(),
    );
    let started = std::time::Instant::now();
    let checked = cli(&["audit", "verify-report", &file, "--key", &key_file])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let verified = started.elapsed();
    // The grant's creation, the session's opening, and every access.
    let says = String::from_utf8_lossy(&checked.stderr);
    assert!(
        checked.status.success() && says.contains(&format!("; {} events hashed", accesses + 2)),
        "verify-report: {says}"
    );
    let (mut as_json, mut as_text) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        as_json.push(time_run(&mut report(true)));
        as_text.push(time_run(&mut report(false)));
    }
    let rss_json = peak_rss_kib(&mut report(true));
    let rss_text = peak_rss_kib(&mut report(false));
    stop(&mut server);
    let (as_json, as_text) = (median(&mut as_json), median(&mut as_text));
    let mb = |kib: i64| kib as f64 / 1024.0;
    let slowest = as_json.max(as_text);
    let rss = rss_json.max(rss_text);
    vec![Row {
        target: if quick {
            "`grant report -o json` of a grant with 5,000 access events (median wall; client peak RSS)"
        } else {
            "`grant report -o json` of a grant with 100,000 access events (median wall; client peak RSS)"
        },
        measured: format!("{}, {:.1} MB", ms(as_json), mb(rss_json)),
        baseline: format!(
            "text form {}, {:.1} MB; `audit verify-report` of it {}",
            ms(as_text),
            mb(rss_text),
            ms(verified)
        ),
        ratio: String::new(),
        goal: "<= 2 s and RSS <= 50 MB",
        met: slowest.as_secs_f64() <= 2.0 && rss <= 50 * 1024,
    }]
}
