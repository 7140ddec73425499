//! The simulator's state folder through the binary: a simulator killed with SIGKILL, its log
//! ending in a torn line, restarts with every change it had acknowledged.

use crate::common::{Simulator, TestEnv};

#[test]
fn a_killed_simulator_restarts_with_every_acknowledged_change() {
    let mut env = TestEnv::new();
    let state = env.root().join("sim");
    let simulator = Simulator::start(&env, &state, None);
    env.use_simulator(&simulator);
    env.set_env(
        "BREAKGLASS_KEEPASS_PASSWORD",
        "correct horse battery staple",
    );
    env.run(["init"]).assert_success();
    env.run(["apply", "--yes"]).assert_success();
    env.run(["token"]).assert_success();
    let snapshot = std::fs::read(state.join("tenant-state.json")).expect("snapshot");
    // The log is written off the request path; give it the moment a crash would not wait for.
    std::thread::sleep(std::time::Duration::from_millis(500));
    simulator.kill();

    let log = state.join("tenant-changes.log");
    let logged = std::fs::read(&log).expect("change log");
    assert!(!logged.is_empty(), "the changes are in the log");
    assert_eq!(
        std::fs::read(state.join("tenant-state.json")).expect("snapshot"),
        snapshot,
        "no clean stop, so no new snapshot"
    );
    let mut torn = logged;
    torn.extend_from_slice(b"0123456789abcdef [{\"record\":\"object\",\"id\":\"cut sho");
    std::fs::write(&log, torn).expect("tear the log");

    let restarted = Simulator::start(&env, &state, None);
    env.use_simulator(&restarted);
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    let (code, stderr) = restarted.stop();
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    assert_eq!(
        std::fs::metadata(&log).expect("change log").len(),
        0,
        "a clean stop folds the log into the snapshot"
    );
}
