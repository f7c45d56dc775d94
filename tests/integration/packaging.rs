//! The systemd unit and the container image definition under `packaging/`, checked by the
//! tools operators would use: `systemd-analyze` (security rating and verification) and
//! `hadolint`. CI installs both; elsewhere a missing tool skips its test with a note.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `tool` runs here; in CI (`CI` set) a missing tool fails the test instead.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is not installed, and CI must run this test"
        );
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "note: {tool} not installed; skipped");
    }
    found
}

#[test]
fn the_systemd_unit_rates_at_most_2_0_exposure() {
    if !have("systemd-analyze") {
        return;
    }
    let unit = repository().join("packaging/supportctl.service");
    let output = Command::new("systemd-analyze")
        .args(["security", "--offline=yes"])
        .arg(&unit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let exposure: f64 = text
        .split("Overall exposure level for supportctl.service:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{text}"));
    assert!(exposure <= 2.0, "exposure {exposure} > 2.0:\n{text}");
}

#[test]
fn the_systemd_unit_verifies_clean() {
    if !have("systemd-analyze") {
        return;
    }
    // `verify` checks that ExecStart's binary exists and that the man page it documents
    // opens: point them at this build and this repository's pages.
    let dir = tempfile::tempdir().unwrap();
    let unit = std::fs::read_to_string(repository().join("packaging/supportctl.service"))
        .unwrap()
        .replace("/usr/bin/supportctl", env!("CARGO_BIN_EXE_supportctl"));
    let unit_path = dir.path().join("supportctl.service");
    std::fs::write(&unit_path, unit).unwrap();
    let man1 = dir.path().join("man/man1");
    std::fs::create_dir_all(&man1).unwrap();
    for page in std::fs::read_dir(repository().join("man")).unwrap() {
        let page = page.unwrap().path();
        std::fs::copy(&page, man1.join(page.file_name().unwrap())).unwrap();
    }
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit_path)
        .env("MANPATH", dir.path().join("man"))
        .output()
        .unwrap();
    // `verify` exits 0 on unknown keys; what it says on stderr is the verdict.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {}\n{stderr}",
        output.status
    );
}

#[test]
fn the_containerfile_passes_hadolint() {
    if !have("hadolint") {
        return;
    }
    let output = Command::new("hadolint")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/Containerfile"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "hadolint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_containerfile_runs_the_server_as_non_root_without_a_shell() {
    let text = std::fs::read_to_string(repository().join("packaging/Containerfile")).unwrap();
    let last_stage = text.rsplit("\nFROM ").next().unwrap();
    assert!(last_stage.starts_with("gcr.io/distroless/"), "{last_stage}");
    assert!(last_stage.contains("\nUSER 65532:65532"), "{last_stage}");
    assert!(
        !last_stage.contains("\nRUN "),
        "a RUN needs a shell: {last_stage}"
    );
    // The unit's ExecStart and the image's entry point run the same subcommand.
    assert!(last_stage.contains(r#"CMD ["server"]"#));
}
