//! `--auth az`: a token from the Azure CLI (a stand-in `az` script on PATH).

use crate::common::{TestEnv, client_credentials_token};

/// Writes an `az` script into a bin folder under the root and puts it first on PATH.
fn install_fake_az(env: &mut TestEnv, script: &str) {
    let bin = env.root().join("bin");
    let path = env.write_file("bin/az", script);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod az");
    }
    env.set_env("PATH", format!("{}:/usr/bin:/bin", bin.display()));
}

#[test]
fn token_from_the_azure_cli() {
    let mut env = TestEnv::new();
    let simulator = env.with_simulator();
    let token = client_credentials_token(&env, &simulator);
    env.write_file("token.txt", &token);
    env.remove_env("AZURE_CLIENT_SECRET");
    let args_log = env.root().join("az-args.txt");
    let token_file = env.root().join("token.txt");
    install_fake_az(
        &mut env,
        &format!(
            "#!/bin/sh\necho \"$@\" > '{log}'\nprintf '{{\"accessToken\":\"%s\",\"expiresOn\":\"2099-01-01 00:00:00.000000\",\"expires_on\":4070908800,\"tokenType\":\"Bearer\"}}' \"$(cat '{token}')\"\n",
            log = args_log.display(),
            token = token_file.display()
        ),
    );
    let output = env.run(["whoami", "--auth", "az", "-o", "json"]);
    output.assert_success();
    let json = output.json();
    assert_eq!(json["signIn"], "Azure CLI");
    assert_eq!(json["kind"], "application");
    let args = std::fs::read_to_string(&args_log).expect("az was run");
    assert!(args.contains("account get-access-token"), "{args}");
    assert!(
        args.contains(&format!("--resource {}", simulator.url())),
        "{args}"
    );
}

#[test]
fn azure_cli_not_signed_in_is_an_authentication_error() {
    let mut env = TestEnv::new();
    let _simulator = env.with_simulator();
    install_fake_az(
        &mut env,
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    );
    let output = env.run(["tenant", "show", "--auth", "az"]);
    output.assert_code(4);
    assert_eq!(output.error_lines().len(), 1, "{output}");
    assert!(
        output.stderr.contains("hint: sign in first: `az login"),
        "{output}"
    );
}
