//! No import cycle among the modules of the crate (`src/`, without the binary's `main.rs`): in
//! `src/cli/` a command group's `mod.rs` uses its verbs, a verb uses shared modules (and its
//! group's helper files), shared modules use no command; in the store, `mod.rs` puts together
//! children that never import it back (their values are `store::values`'s).
//!
//! Each file is a module. An edge is a `use` or a path in code (`crate::…`, `super::…`,
//! `self::…`, or a child module's name) that names another module of the crate; the module is
//! the longest prefix of the path that is a file. A `mod name;` declaration is not an edge, nor
//! is a visibility restriction (`pub(in crate::…)`); comment lines and a file's test module
//! (`#[cfg(test)] mod …` to the end of the file) do not count. A method called on a value
//! names no module, so it is no edge either.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The trees whose modules may not import each other in a cycle: the whole crate. Modules
/// outside them are left out of the graph.
const CHECKED: &[&str] = &["crate"];

/// A module's imports: the module named, and the line that first names it.
type Edges = BTreeMap<String, BTreeMap<String, usize>>;

#[test]
fn no_module_of_the_crate_imports_itself_through_others() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = module_files(&src);
    let edges = module_graph(&files);
    // A parser that sees nothing would find no cycle either: it must see the dispatch and a
    // verb's imports.
    for (from, to) in [
        ("crate::cli", "crate::cli::grant"),
        ("crate::cli::grant", "crate::cli::grant::create"),
        ("crate::cli::grant::create", "crate::cli::context"),
        ("crate::cli::session::open", "crate::cli::request::waiting"),
        ("crate::server::store", "crate::server::store::sql"),
        (
            "crate::server::store::sql::grants",
            "crate::server::store::values",
        ),
    ] {
        assert!(
            edges
                .get(from)
                .is_some_and(|to_all| to_all.contains_key(to)),
            "the module graph misses {from} -> {to}: {:?}",
            edges.get(from)
        );
    }
    let checked = |module: &str| {
        CHECKED
            .iter()
            .any(|root| module == *root || module.starts_with(&format!("{root}::")))
    };
    let cycles = find_cycles(&edges, &checked);
    let described: Vec<String> = cycles
        .iter()
        .map(|cycle| {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| {
                    let line = edges[&pair[0]][&pair[1]];
                    format!(
                        "  {} -> {} ({}:{line})",
                        pair[0],
                        pair[1],
                        files[&pair[0]].display()
                    )
                })
                .collect();
            steps.join("\n")
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles:\n{}",
        described.join("\n\n")
    );
}

#[test]
fn use_trees_expand_to_every_path_they_name() {
    assert_eq!(
        expand_use("crate::cli::{args::{OrgArg, ListLimit}, context::Context as C, ui}"),
        [
            "crate::cli::args::OrgArg",
            "crate::cli::args::ListLimit",
            "crate::cli::context::Context",
            "crate::cli::ui",
        ]
    );
    assert_eq!(expand_use("super::*"), ["super::*"]);
    assert_eq!(
        without_visibility("pub(in crate::server::store) fn f(x: super::X)"),
        "pub fn f(x: super::X)"
    );
}

/// Every module of the library, by path (`crate::cli::grant::create`), and its file.
fn module_files(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("src/ is readable").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src/");
            let mut segments: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            // The binary's main.rs is another crate.
            if segments == ["main"] {
                continue;
            }
            if segments
                .last()
                .is_some_and(|last| last == "mod" || last == "lib")
            {
                segments.pop();
            }
            let module = std::iter::once("crate".to_owned())
                .chain(segments)
                .collect::<Vec<_>>()
                .join("::");
            files.insert(module, path);
        }
    }
    files
}

fn module_graph(files: &BTreeMap<String, PathBuf>) -> Edges {
    let mut edges = Edges::new();
    for (module, file) in files {
        let text = std::fs::read_to_string(file).expect("a module is readable");
        let code = without_tests_and_comments(&text);
        let children: BTreeSet<String> = code.lines().filter_map(child_module).collect();
        let mut named = BTreeMap::new();
        let mut note = |path: &str, line: usize| {
            if let Some(target) = resolve(module, path, &children, files)
                && target != *module
            {
                named.entry(target).or_insert(line);
            }
        };
        let (uses, rest) = use_statements(&code);
        for (tree, line) in uses {
            for path in expand_use(&tree) {
                note(&path, line);
            }
        }
        for (number, line) in rest.lines().enumerate() {
            for path in paths_in(&without_visibility(line)) {
                note(&path, number + 1);
            }
        }
        edges.insert(module.clone(), named);
    }
    edges
}

/// The code of a file without its test module and comment lines (line numbers kept).
fn without_tests_and_comments(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        if !line.trim_start().starts_with("//") {
            code.push_str(line);
        }
        code.push('\n');
    }
    code
}

/// A line without its visibility restrictions (`pub(in crate::server::store)`): they say who
/// may use an item, not what it uses.
fn without_visibility(line: &str) -> String {
    let mut line = line.to_owned();
    while let Some(start) = line.find("pub(in ") {
        let end = line[start..]
            .find(')')
            .map_or(line.len(), |close| start + close + 1);
        line.replace_range(start..end, "pub");
    }
    line
}

/// `mod name;` or `pub mod name;`: a child module in a file of its own.
fn child_module(line: &str) -> Option<String> {
    let line = line.trim();
    let rest = line.strip_prefix("pub ").unwrap_or(line);
    let rest = match rest.strip_prefix("pub(") {
        Some(visibility) => visibility.split_once(") ")?.1,
        None => rest,
    };
    let name = rest.strip_prefix("mod ")?.strip_suffix(';')?;
    Some(name.trim().to_owned())
}

/// The `use` statements' trees with their first line, and the code with them blanked out.
fn use_statements(code: &str) -> (Vec<(String, usize)>, String) {
    let mut uses = Vec::new();
    let mut rest = String::new();
    let mut open: Option<(String, usize)> = None;
    for (number, line) in code.lines().enumerate() {
        let trimmed = line.trim_start();
        let start = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|prefix| trimmed.strip_prefix(prefix));
        match (&mut open, start) {
            (Some((tree, _)), _) => tree.push_str(trimmed),
            (None, Some(tree)) => open = Some((tree.to_owned(), number + 1)),
            (None, None) => {
                rest.push_str(line);
                rest.push('\n');
                continue;
            }
        }
        rest.push('\n');
        if trimmed.ends_with(';')
            && let Some((tree, first)) = open.take()
        {
            uses.push((tree.trim_end_matches(';').to_owned(), first));
        }
    }
    (uses, rest)
}

/// `a::{b, c::{d as e}}` as `a::b` and `a::c::d`.
fn expand_use(tree: &str) -> Vec<String> {
    let tree: String = tree
        .chars()
        .filter(|c| !c.is_whitespace() || *c == ' ')
        .collect();
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_owned()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (at, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .flat_map(|part| expand_use(part.trim()))
        .map(|path| match path.as_str() {
            "self" => prefix.trim_end_matches("::").to_owned(),
            _ => format!("{prefix}{path}"),
        })
        .collect()
}

/// Paths in a line of code that may name a module: `crate::…`, `super::…`, `self::…`, `x::…`.
fn paths_in(line: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut at = 0;
    while at < chars.len() {
        let starts_word =
            is_word(chars[at]) && (at == 0 || !(is_word(chars[at - 1]) || chars[at - 1] == ':'));
        if !starts_word {
            at += 1;
            continue;
        }
        let mut end = at;
        loop {
            while end < chars.len() && is_word(chars[end]) {
                end += 1;
            }
            if end + 2 < chars.len()
                && chars[end] == ':'
                && chars[end + 1] == ':'
                && is_word(chars[end + 2])
            {
                end += 2;
            } else {
                break;
            }
        }
        let path: String = chars[at..end].iter().collect();
        if path.contains("::") {
            paths.push(path);
        }
        at = end;
    }
    paths
}

/// The module a path in `module` names (the longest prefix that is a module), if any.
fn resolve(
    module: &str,
    path: &str,
    children: &BTreeSet<String>,
    files: &BTreeMap<String, PathBuf>,
) -> Option<String> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<&str> = module.split("::").collect();
    let mut rest = segments.as_slice();
    match segments.first()? {
        &"crate" => {
            base = vec!["crate"];
            rest = &segments[1..];
        }
        &"super" | &"self" => {
            while let Some((first, tail)) = rest.split_first() {
                match *first {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = tail;
            }
        }
        first if children.contains(*first) => {}
        _ => return None,
    }
    let mut best = files
        .contains_key(&base.join("::"))
        .then(|| base.join("::"));
    for segment in rest {
        base.push(segment);
        let candidate = base.join("::");
        if !files.contains_key(&candidate) {
            break;
        }
        best = Some(candidate);
    }
    best
}

/// Each cycle among the checked modules, as the path around it (first module repeated last).
fn find_cycles(edges: &Edges, checked: &dyn Fn(&str) -> bool) -> Vec<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Seen {
        Open,
        Done,
    }
    fn visit(
        module: &str,
        edges: &Edges,
        checked: &dyn Fn(&str) -> bool,
        seen: &mut BTreeMap<String, Seen>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<Vec<String>>,
    ) {
        seen.insert(module.to_owned(), Seen::Open);
        stack.push(module.to_owned());
        for next in edges.get(module).into_iter().flat_map(|e| e.keys()) {
            if !checked(next) {
                continue;
            }
            match seen.get(next) {
                Some(Seen::Open) => {
                    let from = stack
                        .iter()
                        .position(|m| m == next)
                        .expect("open is stacked");
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    cycles.push(cycle);
                }
                Some(Seen::Done) => {}
                None => visit(next, edges, checked, seen, stack, cycles),
            }
        }
        stack.pop();
        seen.insert(module.to_owned(), Seen::Done);
    }
    let mut seen = BTreeMap::new();
    let mut cycles = Vec::new();
    for module in edges.keys().filter(|m| checked(m)) {
        if !seen.contains_key(module) {
            visit(
                module,
                edges,
                checked,
                &mut seen,
                &mut Vec::new(),
                &mut cycles,
            );
        }
    }
    cycles
}
