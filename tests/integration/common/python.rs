//! The independent verifiers written in Python (PyPI packages `.ci/run` installs): run a
//! script with JSON on stdin and read what it prints.

use std::io::Write;
use std::process::{Command, Stdio};

/// Fails with `missing` unless python3 can run `import IMPORTS`.
pub fn require(imports: &str, missing: &str) {
    let available = Command::new("python3")
        .args(["-c", &format!("import {imports}")])
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(available, "{missing}");
}

/// Runs `script` with `input` on its stdin and returns what it printed; a script that exits
/// non-zero fails the test with `failed` and everything it printed.
pub fn run(script: &str, input: &str, failed: &str) -> Vec<u8> {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{failed}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
