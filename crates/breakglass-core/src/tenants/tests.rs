use super::*;

const ONE: &str = r#"
[[tenant]]
name = "contoso"
tenant_id = "8f2c1e4a-0d7b-4c55-9a31-6e0f2b7d9c10"
config = "contoso/breakglass.toml"
client_id = "5b0e7a6c-2f41-4d8e-b3a9-1c7d6e5f4a30"
client_secret_env = "CONTOSO_SECRET"
"#;

fn with(extra: &str) -> String {
    format!("{ONE}{extra}")
}

#[test]
fn a_tenant_with_a_secret_in_the_environment_is_read() {
    let file = TenantsFile::parse(ONE).unwrap();
    let tenant = &file.tenants[0];
    assert_eq!(tenant.name, "contoso");
    assert_eq!(
        tenant.sign_in,
        SignIn::SecretFromEnv("CONTOSO_SECRET".into())
    );
    assert_eq!(tenant.cloud, None);
    assert_eq!(tenant.config, "contoso/breakglass.toml");
}

#[test]
fn the_starter_file_parses_and_names_no_secret() {
    let file = TenantsFile::parse(STARTER).unwrap();
    assert_eq!(file.tenants.len(), 1);
    assert!(matches!(file.tenants[0].sign_in, SignIn::SecretFromEnv(_)));
}

#[test]
fn a_secret_written_in_the_file_is_refused_without_repeating_it() {
    let text = ONE.replace(
        "client_secret_env = \"CONTOSO_SECRET\"",
        "client_secret = \"Xq8~very-secret-value\"",
    );
    let err = TenantsFile::parse(&text).unwrap_err();
    assert_eq!(err, TenantsError::SecretInFile("contoso".into()));
    assert!(!err.to_string().contains("very-secret"));
}

#[test]
fn exactly_one_way_to_sign_in() {
    let two = ONE.replace(
        "client_secret_env = \"CONTOSO_SECRET\"",
        "client_secret_env = \"CONTOSO_SECRET\"\ncertificate_path = \"op.pem\"",
    );
    let err = TenantsFile::parse(&two).unwrap_err().to_string();
    assert!(
        err.contains("exactly one way to sign in") && err.contains("gives 2"),
        "{err}"
    );
    let none = ONE.replace("client_secret_env = \"CONTOSO_SECRET\"", "");
    let err = TenantsFile::parse(&none).unwrap_err().to_string();
    assert!(err.contains("gives 0"), "{err}");
}

#[test]
fn device_code_needs_no_client_id_but_a_secret_does() {
    let device = ONE
        .replace(
            "client_secret_env = \"CONTOSO_SECRET\"",
            "auth = \"device-code\"",
        )
        .replace("client_id = \"5b0e7a6c-2f41-4d8e-b3a9-1c7d6e5f4a30\"", "");
    let file = TenantsFile::parse(&device).unwrap();
    assert_eq!(file.tenants[0].sign_in, SignIn::DeviceCode);
    assert_eq!(file.tenants[0].client_id, None);
    let no_client = ONE.replace("client_id = \"5b0e7a6c-2f41-4d8e-b3a9-1c7d6e5f4a30\"", "");
    let err = TenantsFile::parse(&no_client).unwrap_err().to_string();
    assert!(
        err.contains("tenant `contoso`: `client_id` is missing"),
        "{err}"
    );
}

#[test]
fn a_secret_value_in_client_secret_env_is_refused() {
    let text = ONE.replace("\"CONTOSO_SECRET\"", "\"Xq8~abc.def\"");
    let err = TenantsFile::parse(&text).unwrap_err().to_string();
    assert!(err.contains("not an environment variable's name"), "{err}");
}

#[test]
fn names_and_tenant_ids_are_unique() {
    let same_name = with(
        r#"
[[tenant]]
name = "contoso"
tenant_id = "fabrikam.onmicrosoft.com"
config = "f.toml"
client_id = "5b0e7a6c-2f41-4d8e-b3a9-1c7d6e5f4a30"
client_secret_env = "F"
"#,
    );
    assert_eq!(
        TenantsFile::parse(&same_name).unwrap_err(),
        TenantsError::DuplicateName("contoso".into())
    );
    let same_tenant = with(
        r#"
[[tenant]]
name = "contoso-again"
tenant_id = "8F2C1E4A-0D7B-4C55-9A31-6E0F2B7D9C10"
config = "f.toml"
client_id = "5b0e7a6c-2f41-4d8e-b3a9-1c7d6e5f4a30"
client_secret_env = "F"
"#,
    );
    let err = TenantsFile::parse(&same_tenant).unwrap_err().to_string();
    assert!(err.contains("`contoso` and `contoso-again`"), "{err}");
}

#[test]
fn bad_values_are_named() {
    let alias = ONE.replace("8f2c1e4a-0d7b-4c55-9a31-6e0f2b7d9c10", "common");
    let err = TenantsFile::parse(&alias).unwrap_err().to_string();
    assert!(err.starts_with("tenant `contoso`: tenant_id:"), "{err}");
    let name = ONE.replace("name = \"contoso\"", "name = \"con toso\"");
    assert!(matches!(
        TenantsFile::parse(&name).unwrap_err(),
        TenantsError::BadName { index: 1, .. }
    ));
    let client = ONE.replace("5b0e7a6c-2f41-4d8e-b3a9-1c7d6e5f4a30", "operator-app");
    let err = TenantsFile::parse(&client).unwrap_err().to_string();
    assert!(err.contains("not an application (client) id"), "{err}");
    let auth = ONE.replace(
        "client_secret_env = \"CONTOSO_SECRET\"",
        "auth = \"interactive\"",
    );
    let err = TenantsFile::parse(&auth).unwrap_err().to_string();
    assert!(err.contains("auth = \"interactive\""), "{err}");
}

#[test]
fn syntax_and_unknown_keys_are_placed() {
    let err = TenantsFile::parse(&with("\n[[tenant]]\nnmae = \"x\"\n")).unwrap_err();
    let TenantsError::Syntax(syntax) = err else {
        panic!("{err:?}")
    };
    assert!(syntax.line.is_some());
    assert_eq!(TenantsFile::parse("").unwrap_err(), TenantsError::Empty);
}

#[test]
fn only_picks_named_tenants_in_file_order_and_names_unknown_ones() {
    let file = TenantsFile::parse(&with(
        r#"
[[tenant]]
name = "fabrikam"
tenant_id = "fabrikam.onmicrosoft.com"
config = "f.toml"
auth = "device-code"
"#,
    ))
    .unwrap();
    let all = file.select(&[]).unwrap();
    assert_eq!(all.len(), 2);
    let picked = file.select(&["fabrikam,contoso".into()]).unwrap();
    let names: Vec<&str> = picked.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["contoso", "fabrikam"]);
    let err = file.select(&["fabrikam,tailspin".into()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no tenant named `tailspin` in the tenants file; it lists `contoso`, `fabrikam`"
    );
}

#[test]
fn the_run_fails_when_any_tenant_does_and_reads_nothing_when_none_was_read() {
    use TenantStatus::*;
    assert_eq!(overall([Passed, Passed]), Overall::AllPassed);
    assert_eq!(overall([Passed, Failed]), Overall::SomeFailed);
    assert_eq!(overall([Passed, Unreadable]), Overall::SomeFailed);
    assert_eq!(overall([Failed, Unreadable]), Overall::SomeFailed);
    assert_eq!(overall([Unreadable, Unreadable]), Overall::NoneRead);
    assert_eq!(overall([]), Overall::NoneRead);
}

const ON_TOKEN: &str = "pkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\npkcs11_token = \"operators\"\npkcs11_key = \"contoso-operator\"";

#[test]
fn a_key_on_a_pkcs11_token_is_one_way_to_sign_in() {
    let text = ONE.replace(
        "client_secret_env = \"CONTOSO_SECRET\"",
        &format!("{ON_TOKEN}\npkcs11_pin_file = \"pins/contoso\""),
    );
    let tenant = &TenantsFile::parse(&text).unwrap().tenants[0];
    assert_eq!(
        tenant.sign_in,
        SignIn::Pkcs11 {
            location: Pkcs11Location {
                module: "/usr/lib/softhsm/libsofthsm2.so".into(),
                token: "operators".into(),
                key: "contoso-operator".into(),
            },
            pin_file: Some("pins/contoso".into()),
            algorithm: crate::config::TokenSignature::Ps256,
        }
    );
    let rs256 = text.replace(
        "pkcs11_pin_file = \"pins/contoso\"",
        "pkcs11_algorithm = \"RS256\"",
    );
    assert!(matches!(
        TenantsFile::parse(&rs256).unwrap().tenants[0].sign_in,
        SignIn::Pkcs11 {
            algorithm: crate::config::TokenSignature::Rs256,
            ..
        }
    ));
    let alone = ONE.replace(
        "client_secret_env = \"CONTOSO_SECRET\"",
        "client_secret_env = \"CONTOSO_SECRET\"\npkcs11_algorithm = \"RS256\"",
    );
    let err = TenantsFile::parse(&alone).unwrap_err().to_string();
    assert!(
        err.contains("pkcs11_algorithm is given without the key"),
        "{err}"
    );
    assert_eq!(
        tenant.sign_in.describe(),
        "key `contoso-operator` on PKCS#11 token `operators`"
    );
}

#[test]
fn a_pkcs11_key_excludes_the_other_ways_and_needs_its_whole_location() {
    let both = with(ON_TOKEN);
    let err = TenantsFile::parse(&both).unwrap_err().to_string();
    assert!(
        err.contains("tenant `contoso`") && err.contains("gives 2"),
        "{err}"
    );
    let half = ONE.replace(
        "client_secret_env = \"CONTOSO_SECRET\"",
        "pkcs11_token = \"operators\"",
    );
    let err = TenantsFile::parse(&half).unwrap_err().to_string();
    assert!(
        err.contains("tenant `contoso`: a key on a PKCS#11 token")
            && err.contains("pkcs11_module and pkcs11_key are missing"),
        "{err}"
    );
    let pin_alone = with("pkcs11_pin_file = \"pin\"");
    let err = TenantsFile::parse(&pin_alone).unwrap_err().to_string();
    assert!(
        err.contains("tenant `contoso`: pkcs11_pin_file is given without the key"),
        "{err}"
    );
    let no_client = ONE
        .replace("client_secret_env = \"CONTOSO_SECRET\"", ON_TOKEN)
        .replace("client_id = \"5b0e7a6c-2f41-4d8e-b3a9-1c7d6e5f4a30\"", "");
    let err = TenantsFile::parse(&no_client).unwrap_err().to_string();
    assert!(err.contains("`client_id` is missing"), "{err}");
}
