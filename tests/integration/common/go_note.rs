//! Go's `golang.org/x/mod/sumdb/note`, the reference implementation of C2SP signed notes, as an
//! independent judge of the server's checkpoints: `tests/go/noteverify`, built once per run
//! from Debian's `golang-go` and `golang-golang-x-mod-dev` (no module proxy involved).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The built verifier. Fails the test, saying what to install, when Go is missing: a run
/// without the independent check must not pass as if it had made it.
pub fn noteverify() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| build_go_program("noteverify"))
}

/// Builds `tests/go/<name>` with Debian's Go and its `golang.org/x/mod` sources (GOPATH mode,
/// no module proxy), and returns the binary.
pub fn build_go_program(name: &str) -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let binary = out.join(name);
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/go")
        .join(name);
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(&source)
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOCACHE", out.join("cache"))
        .env("GOFLAGS", "")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `go` ({e}): the independent checks of signed checkpoints and tree \
                 proofs need Go and its golang.org/x/mod packages: apt-get install golang-go \
                 golang-golang-x-mod-dev (.ci/run installs them)"
            )
        });
    assert!(
        built.status.success(),
        "building tests/go/{name} failed (is golang-golang-x-mod-dev installed?):\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    binary
}

/// Go's verdict on `note` with the verifier key `key`: the note's text, or why not.
pub fn go_verify(key: &str, note: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    let note_file = dir.path().join("note");
    std::fs::write(&key_file, key).unwrap();
    std::fs::write(&note_file, note).unwrap();
    let output = Command::new(noteverify())
        .arg(&key_file)
        .arg(&note_file)
        .output()
        .unwrap();
    match output.status.code() {
        Some(0) => Ok(String::from_utf8(output.stdout).unwrap()),
        Some(1) => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
        other => panic!(
            "noteverify exited with {other:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
