//! Build time of a crate of 1,000 annotated functions: with tracekit's
//! attribute, with `#[tracing::instrument]`, and with no attribute; for
//! functions returning a `Result`, and for functions returning a struct (a
//! type whose name may be a future's, which tracekit decides by type).
//!
//! ```text
//! cargo run --release -p tracekit-bench --bin compile_time
//! ```
//!
//! Each variant is generated under `target/compile-time/`, its dependencies
//! built once, then the crate alone is rebuilt three times (after touching
//! its source) and the fastest time kept: once as `cargo build` does after
//! an edit (incremental, which reuses what the unchanged source compiled
//! to), once whole (`CARGO_INCREMENTAL=0`, as CI and release builds do).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FUNCTIONS: usize = 1000;
const RUNS: usize = 3;

struct Variant {
    name: &'static str,
    dependency: &'static str,
    attribute: &'static str,
}

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf();
    let root = workspace.join("target/compile-time");
    let variants = [
        Variant { name: "plain", dependency: "", attribute: "" },
        Variant { name: "tracing", dependency: "tracing = \"0.1\"", attribute: "#[tracing::instrument(skip_all)]" },
        Variant {
            name: "tracekit",
            dependency: &*Box::leak(
                format!("tracekit = {{ path = {:?} }}", workspace.join("runtime").display().to_string())
                    .into_boxed_str(),
            ),
            attribute: "#[tracekit::trace_operation]",
        },
    ];
    println!("| variant | functions returning | functions | rebuild, incremental (s) | × no attribute | whole build (s) | × no attribute |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for returns in [Returns::Result, Returns::Struct] {
        let mut plain = None;
        for variant in &variants {
            let dir = generate(&root, &workspace, variant, returns);
            let incremental = build_time(&dir, &root.join("target"), true);
            let whole = build_time(&dir, &root.join("target"), false);
            let (plain_incremental, plain_whole) = *plain.get_or_insert((incremental, whole));
            println!(
                "| {} | {} | {FUNCTIONS} | {:.2} | {:.2} | {:.2} | {:.2} |",
                variant.name,
                returns.name(),
                incremental.as_secs_f64(),
                incremental.as_secs_f64() / plain_incremental.as_secs_f64(),
                whole.as_secs_f64(),
                whole.as_secs_f64() / plain_whole.as_secs_f64(),
            );
        }
    }
}

#[derive(Clone, Copy)]
enum Returns {
    Result,
    Struct,
}

impl Returns {
    fn name(self) -> &'static str {
        match self {
            Returns::Result => "`Result<u64, String>`",
            Returns::Struct => "a struct",
        }
    }

    fn function(self, attribute: &str, i: usize) -> String {
        match self {
            Returns::Result => format!(
                "{attribute}\npub fn f{i}(x: u64, label: &str) -> Result<u64, String> {{\n    \
                 if label.is_empty() {{ return Err(\"empty\".into()); }}\n    Ok(x.wrapping_add({i}))\n}}\n"
            ),
            Returns::Struct => format!(
                "{attribute}\npub fn f{i}(x: u64, label: &str) -> Label {{\n    \
                 Label(x.wrapping_add({i}), label.len())\n}}\n"
            ),
        }
    }
}

fn generate(root: &Path, workspace: &Path, variant: &Variant, returns: Returns) -> PathBuf {
    let dir = root.join(variant.name);
    std::fs::create_dir_all(dir.join("src")).expect("a folder in target");
    let manifest = format!(
        "[package]\nname = \"compile-time-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\n{}\n",
        variant.name, variant.dependency
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest written");
    // The workspace's lock file pins the same versions of every dependency.
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).expect("lock file copied");
    let mut source = String::from("#![allow(dead_code)]\n#[derive(Debug)]\npub struct Label(u64, usize);\n");
    for i in 0..FUNCTIONS {
        source.push_str(&returns.function(variant.attribute, i));
    }
    std::fs::write(dir.join("src/lib.rs"), source).expect("source written");
    dir
}

fn cargo_build(dir: &Path, target: &Path, incremental: bool) {
    let status = Command::new(env!("CARGO"))
        .arg("build")
        .arg("--quiet")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", if incremental { "1" } else { "0" })
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the generated crate builds: {}", dir.display());
}

/// The fastest of a few rebuilds of the crate alone, dependencies warm.
fn build_time(dir: &Path, target: &Path, incremental: bool) -> Duration {
    cargo_build(dir, target, incremental);
    (0..RUNS)
        .map(|_| {
            let source = dir.join("src/lib.rs");
            let text = std::fs::read_to_string(&source).expect("source read");
            std::fs::write(&source, text).expect("source touched");
            let started = Instant::now();
            cargo_build(dir, target, incremental);
            started.elapsed()
        })
        .min()
        .expect("at least one run")
}
