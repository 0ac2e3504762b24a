//! The invariants ARCHITECTURE.md states, as tests: the dependency
//! directions between crates (from `cargo metadata`), no module cycle inside
//! any crate, no oversized source file, and the disclosure core free of the
//! web. A test binary of its own that links none of the workspace's crates,
//! so `cargo test --test architecture` builds and runs in seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every package `package` depends on for building (not for tests), directly
/// or not, by name.
fn normal_dependencies(package: &str) -> BTreeSet<String> {
    // This machine's platform only: other platforms' crates need not be
    // downloaded.
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc names its host");
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &host,
        ])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let name_of: BTreeMap<String, String> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().into(),
                p["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let nodes: BTreeMap<String, &serde_json::Value> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap().to_string(), n))
        .collect();
    let start = name_of
        .iter()
        .find(|(_, name)| *name == package)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no package {package}"));
    let (mut seen, mut queue) = (BTreeSet::new(), vec![start]);
    while let Some(id) = queue.pop() {
        for dep in nodes[&id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            let dep_id = dep["pkg"].as_str().unwrap().to_string();
            if normal && seen.insert(name_of[&dep_id].clone()) {
                queue.push(dep_id);
            }
        }
    }
    seen
}

#[test]
fn the_dashboard_depends_on_the_contract_not_the_pipeline_or_ballista() {
    let deps = normal_dependencies("dashboard");
    assert!(deps.contains("contract"));
    for forbidden in ["pipeline", "datasets", "ballista", "ballista-core"] {
        assert!(
            !deps.contains(forbidden),
            "dashboard depends on {forbidden}"
        );
    }
}

#[test]
fn the_contract_knows_nothing_of_the_pipeline_the_web_or_ballista() {
    let deps = normal_dependencies("contract");
    for forbidden in [
        "pipeline",
        "dashboard",
        "datasets",
        "ballista",
        "axum",
        "minijinja",
    ] {
        assert!(!deps.contains(forbidden), "contract depends on {forbidden}");
    }
    let deps = normal_dependencies("pipeline");
    // Ballista (and the web server inside its scheduler) is linked by the
    // binary alone: the pipeline takes a remote engine as a function that
    // connects it (`pipeline::Engine`).
    for forbidden in [
        "dashboard",
        "minijinja",
        "plotters",
        "ballista",
        "ballista-core",
        "axum",
    ] {
        assert!(!deps.contains(forbidden), "pipeline depends on {forbidden}");
    }
    // The metric queries are a package of their own, which the contract
    // depends on, with no dependency of its own.
    assert!(normal_dependencies("contract").contains("sql"));
    assert!(normal_dependencies("sql").is_empty());
}

/// The statistics (formulas and estimators) run on counts alone: no query
/// engine, no contract, no I/O; and the contract knows none of them. So
/// disclosure control, the pipeline and the coverage study share one
/// definition of each figure, and "the contract knows no estimator" is a
/// fact of the dependency graph.
#[test]
fn the_statistics_know_no_query_engine_and_the_contract_no_statistics() {
    let deps = normal_dependencies("stats");
    for forbidden in [
        "datafusion",
        "arrow",
        "contract",
        "pipeline",
        "dashboard",
        "object_store",
        "tokio",
    ] {
        assert!(!deps.contains(forbidden), "stats depends on {forbidden}");
    }
    assert!(deps.contains("vocabulary"));
    assert!(!normal_dependencies("contract").contains("stats"));
    assert!(normal_dependencies("vocabulary").is_empty());
}

/// Every file a crate embeds (`include_str!`, `include_bytes!`) lies inside
/// that crate's own package, so every cross-package dependency is one Cargo
/// sees (the metric queries are the `sql` package; the declared headlines
/// are the contract's own `reference/` file).
#[test]
fn no_crate_embeds_a_file_outside_its_package() {
    for krate in CRATES {
        let package = workspace().join(krate).canonicalize().unwrap();
        for file in sources(&package.join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            for include in ["include_str!(\"", "include_bytes!(\""] {
                for (at, _) in text.match_indices(include) {
                    let rest = &text[at + include.len()..];
                    let path = &rest[..rest.find('"').unwrap()];
                    let target = file.parent().unwrap().join(path);
                    let target = target
                        .canonicalize()
                        .unwrap_or_else(|e| panic!("{}: {path}: {e}", file.display()));
                    // The root package's own folder holds the others:
                    // for it, "inside" means outside every member's.
                    let inside = target.starts_with(&package)
                        && (krate != "."
                            || CRATES[1..].iter().all(|m| {
                                !target.starts_with(workspace().join(m).canonicalize().unwrap())
                            }));
                    assert!(
                        inside,
                        "{} embeds {path}, outside its package",
                        file.display()
                    );
                }
            }
        }
    }
}

/// The `.rs` files under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

const CRATES: [&str; 8] = [
    ".",
    "vocabulary",
    "sql",
    "contract",
    "stats",
    "pipeline",
    "datasets",
    "dashboard",
];

#[test]
fn no_source_file_is_over_500_lines() {
    for krate in CRATES {
        for file in sources(&workspace().join(krate).join("src")) {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            assert!(
                lines <= 500,
                "{} has {lines} lines; split it by concern",
                file.display()
            );
        }
    }
}

/// The top-level module a file of `src` belongs to (`None`: the crate root).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// The top-level modules a source file names through `crate::`.
fn uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    for (i, _) in text.match_indices("crate::") {
        // `$crate::` is a macro's own crate; the path after is still ours.
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(
                group
                    .split(',')
                    .map(|p| ident(p.trim()))
                    .filter(|s| !s.is_empty()),
            );
        } else {
            found.insert(ident(rest));
        }
    }
    found
}

#[test]
fn no_crate_has_a_module_cycle() {
    for krate in CRATES {
        let src = workspace().join(krate).join("src");
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in sources(&src) {
            let Some(module) = top_module(&src, &file) else {
                continue;
            };
            let text: String = std::fs::read_to_string(&file)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let edges = graph.entry(module.clone()).or_default();
            edges.extend(uses(&text).into_iter().filter(|m| *m != module));
        }
        // Depth-first search for a back edge.
        fn visit(
            m: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|p| p == m) {
                let mut cycle = path[at..].to_vec();
                cycle.push(m.to_string());
                return Some(cycle);
            }
            if done.contains(m) {
                return None;
            }
            path.push(m.to_string());
            for next in graph.get(m).into_iter().flatten() {
                if let Some(cycle) = visit(next, graph, path, done) {
                    return Some(cycle);
                }
            }
            path.pop();
            done.insert(m.to_string());
            None
        }
        let mut done = BTreeSet::new();
        for module in graph.keys() {
            if let Some(cycle) = visit(module, &graph, &mut Vec::new(), &mut done) {
                panic!("crate {krate}: module cycle {}", cycle.join(" → "));
            }
        }
    }
}

#[test]
fn the_module_cycle_check_finds_a_cycle() {
    assert_eq!(
        uses("use crate::{state, auth::User};\nlet x = crate::web::error::status;"),
        ["auth", "state", "web"].map(String::from).into()
    );
}

#[test]
fn the_disclosure_core_knows_nothing_of_the_web_or_serialisation() {
    let core = workspace().join("dashboard/src/disclosure");
    for file in sources(&core) {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in [
            "axum",
            "serde",
            "minijinja",
            "crate::web",
            "crate::presentation",
            "datafusion",
        ] {
            let used = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains(word) && !(word == "serde" && l.contains("serde_json::json!")));
            let test_only = file.ends_with("tests.rs");
            assert!(
                !used || (test_only && word.starts_with("serde")),
                "{} mentions {word}",
                file.display()
            );
        }
    }
}
