//! docs/cli.md is the `--help` of every command; this test keeps it in step.
//!
//! After changing a help text, regenerate it with
//! `UPDATE_CLI_DOCS=1 cargo test -p breakglass-cli --test runner cli_reference`.

use crate::common::TestEnv;

const COMMANDS: &[&[&str]] = &[
    &[],
    &["init"],
    &["plan"],
    &["apply"],
    &["credential", "list"],
    &["credential", "add"],
    &["credential", "rotate"],
    &["credential", "remove"],
    &["credential", "recover"],
    &["whoami"],
    &["tenant", "show"],
    &["admins", "list"],
    &["cloud", "list"],
    &["cloud", "show"],
    &["sim", "serve"],
    &["sim", "default-tenant"],
    &["sim", "generate-tenant"],
    &["demo"],
    &["temp-user"],
    &["temp-user", "list"],
    &["temp-user", "extend"],
    &["sweep"],
    &["scan"],
    &["monitor"],
    &["monitor", "identities"],
    &["monitor", "rules"],
    &["monitor", "deploy"],
    &["monitor", "status"],
    &["token"],
    &["exec"],
    &["drill"],
    &["evidence"],
    &["watch"],
    &["audit"],
];

fn render(env: &TestEnv) -> String {
    let mut doc = String::from(
        "# breakglass command-line reference\n\n\
         <!-- Generated from `--help` by crates/breakglass-cli/tests/test_cli_reference.rs; do not edit by hand. -->\n\n\
         Exit codes are listed in [exit-codes.md](exit-codes.md). Every command that reports\n\
         something prints a table for people, or JSON with `--output json`; status, progress and\n\
         errors go to stderr.\n\n",
    );
    for command in COMMANDS {
        let mut args: Vec<&str> = command.to_vec();
        args.push("--help");
        let output = env.run(&args);
        output.assert_success();
        let title = if command.is_empty() {
            "breakglass".to_string()
        } else {
            format!("breakglass {}", command.join(" "))
        };
        doc.push_str(&format!(
            "## `{title}`\n\n```text\n{}\n```\n\n",
            output.stdout.trim_end()
        ));
    }
    doc.trim_end().to_string() + "\n"
}

#[test]
fn cli_reference_is_up_to_date() {
    let env = TestEnv::new();
    let rendered = render(&env);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    if std::env::var_os("UPDATE_CLI_DOCS").is_some() {
        std::fs::write(&path, &rendered).expect("write docs/cli.md");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == rendered,
        "docs/cli.md is out of date; run `UPDATE_CLI_DOCS=1 cargo test -p breakglass-cli --test runner cli_reference`"
    );
}
