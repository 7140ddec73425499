//! The seed corpora of the fuzz targets (`fuzz/corpus/<target>/`) replay here through the very
//! functions the targets call, on the stable toolchain and without cargo-fuzz: an input that
//! once crashed a target and was added to its corpus stays a regression test. This crate
//! depends on every library crate, so one test reaches all targets without a dependency cycle.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/lib.rs"]
mod harness;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Feeds every seed of `target` to `run`; a panic fails the test and names the seed.
fn replay(target: &str, run: impl Fn(&[u8])) {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "{} holds no seed", dir.display());
    for seed in &seeds {
        let bytes = std::fs::read(seed).expect("a readable seed");
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&bytes))).is_err() {
            panic!("{target} panicked on {}", seed.display());
        }
    }
}

/// The targets replayed below; `every_target_is_replayed` keeps it in step with fuzz/.
const TARGETS: [&str; 9] = [
    "config_toml",
    "entra_graph",
    "entra_token",
    "scan_export",
    "scan_record",
    "sim_odata",
    "sim_request",
    "store_payload",
    "store_shares",
];

#[test]
fn every_target_is_replayed() {
    let mut found: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|entry| {
            let name = entry.expect("an entry").file_name();
            let name = name.to_string_lossy();
            name.strip_suffix(".rs").unwrap_or(&name).to_string()
        })
        .collect();
    found.sort();
    assert_eq!(found, TARGETS, "add a replay test for each new fuzz target");
    for target in TARGETS {
        assert!(
            fuzz_dir().join("corpus").join(target).is_dir(),
            "fuzz/corpus/{target} is missing"
        );
    }
}

#[test]
fn config_toml() {
    replay("config_toml", harness::config_toml);
}

#[test]
fn entra_graph() {
    replay("entra_graph", harness::entra_graph);
}

#[test]
fn entra_token() {
    replay("entra_token", harness::entra_token);
}

#[test]
fn scan_export() {
    replay("scan_export", harness::scan_export);
}

#[test]
fn scan_record() {
    replay("scan_record", harness::scan_record);
}

#[test]
fn sim_odata() {
    replay("sim_odata", harness::sim_odata);
}

#[test]
fn sim_request() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let simulator =
        breakglass_sim::InProcessSimulator::open(dir.path()).expect("the simulator opens");
    replay("sim_request", |data| harness::sim_request(&simulator, data));
}

#[test]
fn store_payload() {
    replay("store_payload", harness::store_payload);
}

#[test]
fn store_shares() {
    replay("store_shares", harness::store_shares);
}
