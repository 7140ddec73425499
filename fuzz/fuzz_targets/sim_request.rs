#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

// One simulator for the whole run: opening one makes keys and seeds a tenant, and each
// answer puts the tenant back as it was opened. The folder is left behind at exit
// (statics are not dropped); scripts/fuzz points TMPDIR into fuzz/target.
static SIMULATOR: OnceLock<(tempfile::TempDir, breakglass_sim::InProcessSimulator)> =
    OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (_, simulator) = SIMULATOR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let simulator =
            breakglass_sim::InProcessSimulator::open(dir.path()).expect("the simulator opens");
        (dir, simulator)
    });
    breakglass_fuzz::sim_request(simulator, data);
});
