//! The one integration-test binary: each `test_*.rs` file is a module here.

mod common;

mod test_app_management;
mod test_audit;
mod test_audit_azure;
mod test_audit_delegation;
mod test_audit_lockout;
mod test_audit_methods;
mod test_audit_pim_groups;
mod test_audit_reports;
mod test_azcli;
mod test_bad_input;
mod test_certificate;
mod test_cli;
mod test_cli_reference;
mod test_client_against_sim;
mod test_cloud;
mod test_conditional_access;
mod test_credential;
mod test_demo;
mod test_device_code;
mod test_drill;
mod test_errors;
mod test_evidence;
mod test_export;
mod test_faults;
mod test_fuzz_corpus;
mod test_generate_tenant;
mod test_lost_access;
mod test_monitor_deploy;
mod test_monitor_rules;
mod test_pass_policy;
mod test_passkey;
mod test_pkcs11;
mod test_provision;
mod test_scan;
mod test_shell;
mod test_sim;
mod test_sim_state;
mod test_snapshots;
mod test_temp_user;
mod test_tenant;
mod test_tenants;
mod test_tenants_ci;
mod test_tenants_pkcs11;
mod test_tenants_reports;
mod test_token;
mod test_watch;
mod test_watch_email;
mod test_whoami;

#[test]
fn no_forgotten_test_files() {
    let listed = include_str!("runner.rs");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for entry in std::fs::read_dir(dir).expect("read tests/") {
        let name = entry
            .expect("dir entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(module) = name
            .strip_prefix("test_")
            .and_then(|rest| rest.strip_suffix(".rs"))
        {
            assert!(
                listed.contains(&format!("mod test_{module};")),
                "tests/{name} is not listed in tests/runner.rs"
            );
        }
    }
}
