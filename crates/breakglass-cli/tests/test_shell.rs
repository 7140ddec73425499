//! `breakglass completions` and `breakglass man` (issue 12, part 4): the bash script is loaded
//! into a real bash and asked to complete, the other shells' scripts name the commands, and
//! the manual pages render through groff without a warning.

use std::process::Command;

use crate::common::TestEnv;

/// What bash offers after `line` (the words typed so far, the last one being completed), with
/// the completion script at `script` sourced. The script is read from a file: it is larger
/// than one command-line argument may be (128 KiB on Linux).
fn bash_completes(script: &std::path::Path, line: &[&str]) -> Vec<String> {
    let words = line
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let program = format!(
        "source '{script}'\nCOMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{joined}'; COMP_POINT=${{#COMP_LINE}}\n_breakglass breakglass '{current}' '{previous}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        cword = line.len() - 1,
        joined = line.join(" "),
        current = line[line.len() - 1],
        previous = line[line.len() - 2],
        script = script.display(),
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_subcommands_and_flags() {
    let env = TestEnv::new();
    let script = env.run(["completions", "bash"]);
    script.assert_success();
    let script = env.write_file("breakglass.bash", &script.stdout);
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(syntax.status.success(), "{syntax:?}");

    assert_eq!(
        bash_completes(&script, &["breakglass", "cre"]),
        ["credential"]
    );
    assert_eq!(
        bash_completes(&script, &["breakglass", "credential", "rot"]),
        ["rotate"]
    );
    assert_eq!(
        bash_completes(&script, &["breakglass", "passkey", "en"]),
        ["enroll"]
    );
    let flags = bash_completes(&script, &["breakglass", "temp-user", "--t"]);
    for flag in ["--ttl", "--tap"] {
        assert!(flags.iter().any(|f| f == flag), "{flag}: {flags:?}");
    }
    assert_eq!(
        bash_completes(&script, &["breakglass", "completions", "fi"]),
        ["fish"]
    );
}

#[test]
fn zsh_fish_and_powershell_scripts_name_every_command() {
    let env = TestEnv::new();
    for (shell, marker, per_command) in [
        ("zsh", "#compdef breakglass", "'temp-user:"),
        ("fish", "complete -c breakglass", "-a \"temp-user\""),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'breakglass'",
            "'temp-user'",
        ),
    ] {
        let script = env.run(["completions", shell]);
        script.assert_success();
        assert!(script.stdout.contains(marker), "{shell}: {}", script.stdout);
        assert!(script.stdout.contains(per_command), "{shell}: temp-user");
        assert!(script.stdout.contains("rotate"), "{shell}: subcommands");
    }
    let unknown = env.run(["completions", "tcsh"]);
    unknown.assert_code(2);
    assert!(unknown.stderr.contains("tcsh"), "{unknown}");
}

/// The page as groff renders it; warnings (`-ww`) fail the test.
fn rendered(page: &[u8]) -> String {
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("groff");
    use std::io::Write as _;
    groff.stdin.take().unwrap().write_all(page).unwrap();
    let output = groff.wait_with_output().unwrap();
    assert!(output.status.success());
    let warnings = String::from_utf8_lossy(&output.stderr);
    assert!(warnings.trim().is_empty(), "groff: {warnings}");
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn the_manual_pages_render_and_cover_every_command() {
    let env = TestEnv::new();
    let page = env.run(["man"]);
    page.assert_success();
    let text = rendered(page.stdout.as_bytes());
    for word in ["NAME", "SYNOPSIS", "temp-user", "credential", "completions"] {
        assert!(text.contains(word), "{word}: {text}");
    }

    let dir = env.root().join("man1");
    env.run(["man", "--out-dir", dir.to_str().unwrap()])
        .assert_success();
    let rotate =
        std::fs::read(dir.join("breakglass-credential-rotate.1")).expect("a page per command");
    let text = rendered(&rotate);
    assert!(text.contains("breakglass-credential-rotate"), "{text}");
    assert!(std::fs::metadata(dir.join("breakglass-temp-user.1")).is_ok());

    let file = env.write_file("not-a-folder", "x");
    let refused = env.run(["man", "--out-dir", file.to_str().unwrap()]);
    refused.assert_code(3);
    assert!(
        refused.stderr.contains("cannot write manual pages"),
        "{refused}"
    );
}
