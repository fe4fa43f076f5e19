//! The runtime's layers: each module imports only from the layers below it,
//! and no files import each other, directly or around a circle. Read from
//! the `crate::` and `super::` paths of `runtime/src`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top: a layer imports only from itself and the layers before it.
const LAYERS: &[&[&str]] = &[
    &["support", "keys", "error"],
    &["facade"],
    &["metered"],
    &["annotated"],
    &["propagation"],
    &["export"],
    &["pipeline"],
    &["metrics"],
    &["install"],
    &["config"],
    &["span", "context", "logs", "subscriber", "testing", "http", "guide"],
    &["private", "lib"],
];

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The code without comments and without its unit tests.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    text.lines().map(|line| line.split("//").next().unwrap()).collect::<Vec<_>>().join("\n")
}

/// The module path of a file: `export/batch/mod.rs` is `["export", "batch"]`.
fn module_of(relative: &str) -> Vec<String> {
    let trimmed = relative.trim_end_matches(".rs").trim_end_matches("/mod");
    trimmed.split('/').filter(|part| *part != "lib").map(str::to_owned).collect()
}

/// Every path that starts with `crate::` or `super::`, as module segments
/// from the crate root; `{a, b}` groups are expanded one level.
fn imports(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for head in ["crate::", "super::"] {
        for (at, _) in code.match_indices(head) {
            if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[at + head.len()..];
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            // `super` is the parent module, for `a/b.rs` and `a/b/mod.rs` alike.
            let mut base: Vec<String> =
                if head == "crate::" { Vec::new() } else { module[..module.len().saturating_sub(1)].to_vec() };
            base.extend(path.split("::").filter(|part| !part.is_empty()).map(str::to_owned));
            found.push(base);
        }
    }
    found
}

#[test]
fn the_runtime_imports_run_one_way_and_no_files_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src");
    let mut paths = Vec::new();
    source_files(&root, &mut paths);
    let files: BTreeMap<Vec<String>, String> = paths
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            (module_of(&relative), relative)
        })
        .collect();
    let rank = |module: &[String]| {
        let top = module.first().map_or("lib", String::as_str);
        LAYERS.iter().position(|layer| layer.contains(&top)).unwrap_or_else(|| panic!("{top} is in no layer"))
    };

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong_way = Vec::new();
    for (module, relative) in &files {
        let text = std::fs::read_to_string(root.join(relative)).unwrap();
        for mut target in imports(module, &code(&text)) {
            target.retain(|part| part != "self");
            if target.first().is_some_and(|top| top == "__private") {
                target[0] = "private".to_owned();
            }
            // The longest prefix that names a file is the file imported from.
            let imported = (1..=target.len()).rev().find_map(|len| files.get(&target[..len]));
            let Some(imported) = imported.filter(|imported| *imported != relative) else { continue };
            if rank(&module_of(imported)) > rank(module) {
                wrong_way.push(format!("{relative} imports {imported}, a layer above it"));
            }
            edges.entry(relative.clone()).or_default().insert(imported.clone());
        }
    }
    assert!(wrong_way.is_empty(), "{}", wrong_way.join("\n"));

    // A cycle is a file that reaches itself.
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((file, trail)) = stack.pop() {
            for next in edges.get(&file).into_iter().flatten() {
                if next == start {
                    panic!("import cycle: {} -> {start}", trail.join(" -> "));
                }
                if seen.insert(next.clone()) {
                    let mut longer = trail.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(edges.len() > 20, "the runtime's files were read: {}", edges.len());
}
