//! Every file of this test binary is compiled: a file in tests/integration/ that no `mod`
//! declares would never run, and nothing would say so.

use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn no_forgotten_test_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/integration is readable")
        .map(|entry| entry.expect("tests/integration is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .filter_map(|path| Some(path.file_name()?.to_str()?.to_owned()))
        .collect();
    let mut declared = BTreeSet::new();
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("main.rs is readable");
    for line in main.lines() {
        if let Some(name) = line
            .trim()
            .strip_prefix("mod ")
            .and_then(|l| l.strip_suffix(';'))
        {
            declared.insert(format!("{name}.rs"));
        }
    }
    // A submodule in a file of its own, declared by the file that uses it.
    for file in &files {
        let text = std::fs::read_to_string(dir.join(file)).expect("a test file is readable");
        for line in text.lines() {
            if let Some(path) = line
                .trim()
                .strip_prefix("#[path = \"")
                .and_then(|l| l.strip_suffix("\"]"))
            {
                declared.insert(path.to_owned());
            }
        }
    }
    let forgotten: Vec<&String> = files
        .iter()
        .filter(|file| *file != "main.rs" && !declared.contains(*file))
        .collect();
    assert!(
        forgotten.is_empty(),
        "not declared as a `mod` in tests/integration/main.rs, so never compiled nor run: {forgotten:?}"
    );
}
