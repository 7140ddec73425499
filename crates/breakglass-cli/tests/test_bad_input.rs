//! Every bad input understood: a corpus of wrong flags, files, configurations and environments,
//! each run through the binary against a provisioned workspace. For each: the documented exit
//! code, exactly one `error:` line, at least one `hint:`, no crash, nothing on stdout, and the
//! KeePass database byte for byte as it was.

use std::path::Path;

use crate::common::{InProcessSimulator, TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";

/// One bad input: what is run, with what around it, and the exit code docs/exit-codes.md gives.
struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    unset: Vec<&'static str>,
    stdin: Option<Vec<u8>>,
    code: i32,
}

fn case(name: &'static str, code: i32, args: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(|a| a.to_string()).collect(),
        env: Vec::new(),
        unset: Vec::new(),
        stdin: None,
        code,
    }
}

impl Case {
    fn with_env(mut self, key: &'static str, value: impl Into<String>) -> Case {
        self.env.push((key, value.into()));
        self
    }

    fn without(mut self, key: &'static str) -> Case {
        self.unset.push(key);
        self
    }

    fn with_stdin(mut self, bytes: &[u8]) -> Case {
        self.stdin = Some(bytes.to_vec());
        self
    }
}

/// `breakglass.toml` with `from` replaced by `to`, written as `name`.
fn config_with(env: &TestEnv, name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(env.root().join("breakglass.toml")).expect("config");
    assert!(text.contains(from), "breakglass.toml has `{from}`");
    write(env, name, text.replacen(from, to, 1).as_bytes())
}

fn write(env: &TestEnv, name: &str, bytes: &[u8]) -> String {
    let path = env.root().join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    std::fs::write(&path, bytes).expect("write");
    name.to_string()
}

fn corpus(env: &TestEnv, simulator: &InProcessSimulator) -> Vec<Case> {
    let tenant = simulator.operator().tenant_id.clone();
    let c = |name: &str, from: &str, to: &str| config_with(env, name, from, to);
    let count_text = c("count-text.toml", "count = 2", "count = \"two\"");
    let misspelt = c("misspelt.toml", "lock_credentials", "lock_credentails");
    let unknown_table = c("table.toml", "[users]", "[userz]");
    let one_user = c("one-user.toml", "count = 2", "count = 1");
    let many_users = c("many-users.toml", "count = 2", "count = 11");
    let bad_prefix = c("prefix.toml", "prefix = \"breakglass\"", "prefix = \"BG!\"");
    let bad_role = c(
        "role.toml",
        "role = \"Global Administrator\"\n# ...",
        "role = \"Global Admin\"\n# ...",
    );
    let bad_store = c("store.toml", "store = \"keepass\"", "store = \"vault\"");
    let bad_shares = c("shares.toml", "shares = \"3-of-5\"", "shares = \"6-of-5\"");
    let long_name = c(
        "long-name.toml",
        "name = \"Emergency access (breakglass)\"",
        &format!("name = \"{}\"", "x".repeat(100_000)),
    );
    let bad_lifetime = c("lifetime.toml", "lifetime_days = 1095", "lifetime_days = 0");
    let common_tenant = c(
        "common.toml",
        "# id = \"00000000-0000-0000-0000-000000000000\"",
        "id = \"common\"",
    );
    let mars = c("mars.toml", "# cloud = \"public\"", "cloud = \"mars\"");
    let bad_policy = c(
        "policy.toml",
        "# skip_policies = [\"00000000-0000-0000-0000-000000000000\"]",
        "skip_policies = [\"not-a-guid\"]",
    );
    let unclosed = write(env, "unclosed.toml", b"[app\nname = \"x\"\n");
    let empty = write(env, "empty.toml", b"");
    let not_utf8 = write(
        env,
        "latin1.toml",
        b"[app]\nname = \"Notfallzugang \xe4\"\n",
    );
    std::fs::create_dir_all(env.root().join("a-folder")).expect("folder");
    let empty_password = write(env, "empty-password.txt", b"");
    let binary = write(env, "binary.bin", &[0u8, 159, 146, 150, 0xff, 0xfe, 7, 0]);
    let garbage_share = write(env, "garbage-share.txt", b"this is not a share\n");
    let bad_profile = write(
        env,
        "profile.json",
        b"{\"name\": \"x\", \"authorityHost\": 5",
    );
    let garbage_pem = write(env, "operator.pem", b"-----BEGIN NOTHING-----\nabc\n");
    let garbage_ids = write(env, "ids.json", b"{\"tenantId\": 5}");
    let not_json_log = write(env, "log.txt", b"just words, no JSON\n");
    write(env, "recovered.pem", b"already here");

    vec![
        // breakglass.toml itself
        case("config missing", 3, &["plan", "--config", "nope.toml"]),
        case("config is a folder", 3, &["plan", "--config", "a-folder"]),
        case("config not UTF-8", 3, &["plan", "--config", &not_utf8]),
        case("config unclosed table", 3, &["plan", "--config", &unclosed]),
        case("config empty", 3, &["plan", "--config", &empty]),
        case("count as text", 3, &["plan", "--config", &count_text]),
        case("misspelt key", 3, &["plan", "--config", &misspelt]),
        case("unknown table", 3, &["plan", "--config", &unknown_table]),
        case("one emergency user", 3, &["plan", "--config", &one_user]),
        case(
            "eleven emergency users",
            3,
            &["plan", "--config", &many_users],
        ),
        case("bad user prefix", 3, &["plan", "--config", &bad_prefix]),
        case("unknown role", 3, &["plan", "--config", &bad_role]),
        case("unknown store", 3, &["plan", "--config", &bad_store]),
        case(
            "impossible threshold",
            3,
            &["plan", "--config", &bad_shares],
        ),
        case(
            "100,000-character app name",
            3,
            &["apply", "--yes", "--config", &long_name],
        ),
        case("zero lifetime", 3, &["plan", "--config", &bad_lifetime]),
        case(
            "tenant alias common",
            3,
            &["plan", "--config", &common_tenant],
        ),
        case(
            "cloud in config and environment differ",
            3,
            &["plan", "--config", &mars],
        ),
        case("unknown cloud in config", 3, &["plan", "--config", &mars])
            .without("BREAKGLASS_CLOUD"),
        case(
            "policy id not a GUID",
            3,
            &["plan", "--config", &bad_policy],
        ),
        case(
            "audit with a broken config",
            3,
            &["audit", "--config", &misspelt],
        ),
        case(
            "drill with a broken config",
            3,
            &["drill", "--config", &count_text],
        ),
        // the KeePass password
        case("wrong KeePass password", 3, &["plan"])
            .with_env("BREAKGLASS_KEEPASS_PASSWORD", "not the password"),
        case(
            "wrong KeePass password, rotate",
            3,
            &["credential", "rotate", "rotating"],
        )
        .with_env("BREAKGLASS_KEEPASS_PASSWORD", "not the password"),
        case(
            "password file missing",
            3,
            &["plan", "--keepass-password-file", "nope.txt"],
        ),
        case(
            "password file empty",
            3,
            &["apply", "--yes", "--keepass-password-file", &empty_password],
        ),
        case(
            "password file is a folder",
            3,
            &["plan", "--keepass-password-file", "a-folder"],
        ),
        case(
            "password file is binary",
            3,
            &["plan", "--keepass-password-file", &binary],
        ),
        case(
            "password on stdin is binary",
            3,
            &["plan", "--keepass-password-file", "-"],
        )
        .with_stdin(&[0xff, 0xfe, 0xfd, b'\n']),
        case(
            "audit password file missing",
            3,
            &["audit", "--keepass-password-file", "nope.txt"],
        ),
        // the command line
        case("unknown flag", 2, &["plan", "--nope"]),
        case("unknown subcommand", 2, &["plann"]),
        case("subcommand missing", 2, &["credential"]),
        case("output format unknown", 2, &["--output", "yaml", "plan"]),
        case(
            "retry budget not a number",
            2,
            &["--retry-budget", "soon", "plan"],
        ),
        case("credential label missing", 2, &["credential", "rotate"]),
        case(
            "key id not a GUID",
            2,
            &["credential", "remove", "not-a-guid"],
        ),
        case("undeclared label", 3, &["credential", "rotate", "nosuch"]),
        case("add a usable label", 2, &["credential", "add", "rotating"]),
        case(
            "proof timeout negative",
            2,
            &["credential", "add", "rotating", "--proof-timeout", "-1"],
        ),
        case("ttl too short", 2, &["temp-user", "--ttl", "1m"]),
        case("ttl not a duration", 2, &["temp-user", "--ttl", "soon"]),
        case("ttl too long", 2, &["temp-user", "--ttl", "9h"]),
        case("audit fail-on unknown", 2, &["audit", "--fail-on", "bad"]),
        case(
            "exec without a command",
            2,
            &["exec", "--credential", "rotating"],
        ),
        case(
            "monitor rules format unknown",
            2,
            &["monitor", "rules", "--format", "yaml"],
        ),
        case(
            "sim listen garbage",
            2,
            &["sim", "serve", "--listen", "nowhere"],
        ),
        case(
            "scan app id not a GUID",
            2,
            &["scan", "--app-id", "nope", &not_json_log],
        ),
        case(
            "scan key id without label",
            2,
            &["scan", "--app-id", &tenant, "--key-id", "x", &not_json_log],
        ),
        // clouds, tenants and operators
        case("unknown cloud flag", 3, &["--cloud", "mars", "plan"]),
        case(
            "cloud profile missing",
            3,
            &["--cloud", "nope.json", "plan"],
        ),
        case(
            "cloud profile broken",
            3,
            &["--cloud", &bad_profile, "plan"],
        ),
        case(
            "tenant alias on the command line",
            3,
            &["plan", "--tenant", "common"],
        ),
        case(
            "tenant not a tenant",
            3,
            &["whoami", "--tenant", "not a tenant"],
        ),
        case(
            "tenant named twice",
            3,
            &[
                "plan",
                "--config",
                &c(
                    "pinned.toml",
                    "# id = \"00000000-0000-0000-0000-000000000000\"",
                    "id = \"11111111-2222-3333-4444-555555555555\"",
                ),
            ],
        ),
        case("no operator credentials", 3, &["plan"]).without("AZURE_CLIENT_SECRET"),
        case("no client id", 3, &["whoami"]).without("AZURE_CLIENT_ID"),
        case("certificate file missing", 3, &["whoami"])
            .without("AZURE_CLIENT_SECRET")
            .with_env("AZURE_CLIENT_CERTIFICATE_PATH", "nope.pem"),
        case("certificate file garbage", 3, &["whoami"])
            .without("AZURE_CLIENT_SECRET")
            .with_env("AZURE_CLIENT_CERTIFICATE_PATH", &garbage_pem),
        case("wrong client secret", 4, &["whoami"])
            .with_env("AZURE_CLIENT_SECRET", "not-the-secret-at-all"),
        case("unknown client id", 4, &["whoami"])
            .with_env("AZURE_CLIENT_ID", "11111111-2222-3333-4444-555555555555"),
        // shares, sheets and credentials from files
        case(
            "share file missing",
            3,
            &["credential", "recover", "--shares", "nope.txt"],
        ),
        case(
            "share file is a folder",
            3,
            &["credential", "recover", "--shares", "a-folder"],
        ),
        case(
            "share file is binary",
            3,
            &["credential", "recover", "--shares", &binary],
        ),
        case(
            "share file is not a share",
            3,
            &["credential", "recover", "--shares", &garbage_share],
        ),
        case("garbage on stdin", 3, &["credential", "recover", "--stdin"])
            .with_stdin(b"hello\nworld\n"),
        case("binary on stdin", 3, &["credential", "recover", "--stdin"])
            .with_stdin(&[0, 0xff, 0xfe, b'\n']),
        case("nothing on stdin", 3, &["credential", "recover", "--stdin"]).with_stdin(b""),
        case("recover with neither", 2, &["credential", "recover"]),
        case("sheet missing", 3, &["token", "--sheet", "nope.txt"]),
        case("sheet is binary", 3, &["token", "--sheet", &binary]),
        case("sheet is a folder", 3, &["token", "--sheet", "a-folder"]),
        case(
            "token shares too few",
            3,
            &["token", "--shares", &garbage_share],
        ),
        case(
            "token undeclared credential",
            3,
            &["token", "--credential", "nosuch"],
        ),
        case(
            "drill shares missing",
            3,
            &["drill", "--shares", "offline=nope.txt"],
        ),
        case(
            "drill sheet is a folder",
            3,
            &["drill", "--sheet", "offline=a-folder"],
        ),
        // logs and identities
        case(
            "scan file missing",
            3,
            &["scan", "--app-id", &tenant, "nope.json"],
        ),
        case(
            "scan binary file",
            3,
            &["scan", "--app-id", &tenant, &binary],
        ),
        case(
            "scan not JSON",
            3,
            &["scan", "--app-id", &tenant, &not_json_log],
        ),
        case(
            "scan empty folder",
            3,
            &["scan", "--app-id", &tenant, "a-folder"],
        ),
        case(
            "scan identities garbage",
            3,
            &["scan", "--identities", &garbage_ids, &not_json_log],
        ),
        case(
            "scan identities missing",
            3,
            &["scan", "--identities", "nope.json", &not_json_log],
        ),
        case(
            "monitor rules identities missing",
            3,
            &[
                "monitor",
                "rules",
                "--format",
                "kql",
                "--identities",
                "nope.json",
            ],
        ),
        case(
            "monitor rules identities garbage",
            3,
            &[
                "monitor",
                "rules",
                "--format",
                "kql",
                "--identities",
                &garbage_ids,
            ],
        ),
        case(
            "exec a command that does not exist",
            127,
            &[
                "exec",
                "--credential",
                "rotating",
                "--",
                "no-such-command-here",
            ],
        ),
        case(
            "sim tenant file missing",
            3,
            &[
                "sim",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--state-dir",
                "sim-bad",
                "--tenant",
                "nope.json",
            ],
        ),
        case("init twice", 3, &["init"]),
        case(
            "watch timeout of zero",
            2,
            &[
                "watch",
                "--once",
                "--timeout",
                "0s",
                "--slack",
                "https://hooks.example.com/x",
            ],
        ),
        case(
            "watch run timeout too short",
            2,
            &[
                "watch",
                "--once",
                "--run-timeout",
                "1s",
                "--slack",
                "https://hooks.example.com/x",
            ],
        ),
        case(
            "watch receiver over http",
            2,
            &["watch", "--once", "--slack", "http://hooks.example.com/x"],
        ),
        case("watch without a receiver", 2, &["watch", "--once"]),
    ]
}

fn keepass_bytes(root: &Path) -> Vec<u8> {
    std::fs::read(root.join("breakglass.kdbx")).expect("the KeePass database")
}

#[test]
fn every_bad_input_gets_its_exit_code_one_error_a_hint_and_loses_nothing() {
    let (env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    let before = keepass_bytes(env.root());
    let cases = corpus(&env, &simulator);
    assert!(cases.len() >= 60, "the corpus holds {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let mut command = env.command();
        command.args(&case.args);
        for (key, value) in &case.env {
            command.env(key, value);
        }
        for key in &case.unset {
            command.env_remove(key);
        }
        if let Some(stdin) = &case.stdin {
            command.write_stdin(stdin.clone());
        }
        let output = crate::common::CommandOutput::from(command.output().expect("run"));
        let errors = output.error_lines().len();
        let hints = output
            .stderr
            .lines()
            .filter(|l| l.starts_with("hint: "))
            .count();
        let mut wrong = Vec::new();
        if output.code != Some(case.code) {
            wrong.push(format!("exit {:?}, documented {}", output.code, case.code));
        }
        if errors != 1 {
            wrong.push(format!("{errors} error lines"));
        }
        if hints == 0 {
            wrong.push("no hint".into());
        }
        if output.stderr.contains("crashed") || output.stderr.contains("panicked") {
            wrong.push("crashed".into());
        }
        if case.code != 127 && !output.stdout.trim().is_empty() {
            wrong.push("printed a result on stdout".into());
        }
        if keepass_bytes(env.root()) != before {
            wrong.push("changed the KeePass database".into());
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{} ({}): {}\n{output}",
                case.name,
                case.args.join(" "),
                wrong.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not handled as documented:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
