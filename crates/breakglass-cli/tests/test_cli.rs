//! The command line itself: help, usage errors, global flags.

use crate::common::TestEnv;

#[test]
fn help_explains_the_tool() {
    let env = TestEnv::new();
    let output = env.run(["--help"]);
    output.assert_success();
    assert!(output.stdout.contains("emergency"), "{output}");
    assert!(output.stdout.contains("--cloud"), "{output}");
    assert!(output.stdout.contains("--output"), "{output}");
    assert!(output.stderr.is_empty(), "{output}");
}

#[test]
fn every_subcommand_has_help() {
    let env = TestEnv::new();
    for args in [
        vec!["cloud", "--help"],
        vec!["cloud", "list", "--help"],
        vec!["cloud", "show", "--help"],
    ] {
        let output = env.run(&args);
        output.assert_success();
        assert!(
            output.stdout.contains("Usage: breakglass"),
            "{args:?}: {output}"
        );
    }
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let env = TestEnv::new();
    let output = env.run(["cloud", "list", "--frobnicate"]);
    output.assert_code(2);
    assert!(output.stdout.is_empty());
    assert!(
        output.stderr.contains("unexpected argument '--frobnicate'"),
        "{output}"
    );
}

#[test]
fn missing_subcommand_is_a_usage_error() {
    let env = TestEnv::new();
    let output = env.run(["cloud"]);
    output.assert_code(2);
    assert!(output.stdout.is_empty(), "{output}");
    assert_eq!(
        output.error_lines(),
        ["error: `breakglass cloud` needs a subcommand"],
        "{output}"
    );
    assert!(
        output.stderr.contains("hint: one of: list, show"),
        "the subcommands are named: {output}"
    );
}

#[test]
fn bad_output_format_is_a_usage_error() {
    let env = TestEnv::new();
    let output = env.run(["--output", "xml", "cloud", "list"]);
    output.assert_code(2);
    assert!(output.stderr.contains("human"), "{output}");
}
