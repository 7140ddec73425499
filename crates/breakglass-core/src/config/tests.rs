#[test]
fn a_type_error_names_line_table_key_expected_and_found() {
    let text = STARTER.replacen("count = 2", "count = \"two\"", 1);
    let error = Config::parse(&text).unwrap_err();
    let message = error.to_string();
    let line = STARTER
        .lines()
        .position(|l| l.starts_with("count = 2"))
        .unwrap()
        + 1;
    assert!(
        message.starts_with(&format!(
            "line {line}, column 9: `count` in [users]: expected a whole number"
        )),
        "{message}"
    );
    assert!(message.contains("found string \"two\""), "{message}");
    assert!(error.hint().is_some());
}

#[test]
fn a_misspelt_key_gets_the_key_it_meant() {
    let text = STARTER.replacen("lock_credentials", "lock_credentails", 1);
    let error = Config::parse(&text).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("[app]: unknown key `lock_credentails`"),
        "{error}"
    );
    assert!(
        error
            .hint()
            .unwrap()
            .starts_with("did you mean `lock_credentials`?")
    );
}

#[test]
fn names_longer_than_entra_allows_are_refused() {
    let long = "x".repeat(257);
    let text = STARTER.replacen(
        "name = \"Emergency access (breakglass)\"",
        &format!("name = \"{long}\""),
        1,
    );
    assert_eq!(
        Config::parse(&text).unwrap_err(),
        ConfigError::BadAppName(257)
    );
    let fits = STARTER.replacen(
        "name = \"Emergency access (breakglass)\"",
        &format!("name = \"{}\"", "é".repeat(256)),
        1,
    );
    assert!(Config::parse(&fits).is_ok());
}

#[test]
fn syntax_errors_in_odd_places_do_not_panic() {
    for text in [
        "x = [",
        "[app",
        "\u{e9}\u{e9} = 1\n[[",
        "= 1",
        "[a]\nb = \"\u{1F600}",
    ] {
        let error = Config::parse(text).unwrap_err();
        assert!(matches!(error, ConfigError::Syntax(_)), "{text}: {error}");
    }
}

use super::*;

#[test]
fn the_starter_configuration_is_valid() {
    let config = Config::parse(STARTER).expect("starter parses");
    assert_eq!(config.app.credentials.len(), 2);
    assert_eq!(
        config
            .credential("offline")
            .and_then(CredentialPolicy::threshold),
        Some(Threshold { k: 3, n: 5 })
    );
    assert_eq!(config.users.count, 2);
}

fn with(replace: &str, by: &str) -> Result<Config, ConfigError> {
    assert!(STARTER.contains(replace), "{replace}");
    Config::parse(&STARTER.replacen(replace, by, 1))
}

#[test]
fn impossible_states_are_named() {
    assert_eq!(with("count = 2", "count = 1"), Err(ConfigError::SingleUser));
    assert_eq!(
        with("label = \"rotating\"", "label = \"offline\""),
        Err(ConfigError::DuplicateLabel("offline".into()))
    );
    assert!(matches!(
        with("shares = \"3-of-5\"", "shares = \"6-of-5\""),
        Err(ConfigError::BadCredential { .. })
    ));
    assert!(matches!(
        with("rotate_after_days = 30", "rotate_after_days = 90"),
        Err(ConfigError::BadCredential { .. })
    ));
    assert_eq!(
        with(
            "role = \"Global Administrator\"\n# ...",
            "role = \"Chief\"\n# ..."
        ),
        Err(ConfigError::UnknownRole("Chief".into()))
    );
    assert_eq!(
        with(
            "# graph_permissions = [\"Directory.ReadWrite.All\", \"RoleManagement.ReadWrite.Directory\"]",
            "graph_permissions = [\"Directory.ReadWrite.All\"]"
        ),
        Err(ConfigError::AppAuthority("both"))
    );
    assert!(matches!(
        with("lock_credentials = true", "lock_credentails = true"),
        Err(ConfigError::Syntax(_))
    ));
}

#[test]
fn conditional_access_is_opt_in() {
    let config = Config::parse(STARTER).unwrap();
    assert!(!config.conditional_access.exclude_from_policies);
    // A file written before the section existed means the same.
    let start = STARTER.find("[conditional_access]").unwrap();
    let older = Config::parse(&STARTER[..start]).unwrap();
    assert_eq!(older.conditional_access, ConditionalAccessConfig::default());

    let on = with(
        "exclude_from_policies = false",
        "exclude_from_policies = true",
    )
    .unwrap();
    assert!(on.conditional_access.exclude_from_policies);
    assert_eq!(
        with(
            "# skip_policies = [\"00000000-0000-0000-0000-000000000000\"]",
            "skip_policies = [\"Require MFA\"]"
        ),
        Err(ConfigError::BadPolicyId("Require MFA".into()))
    );
    assert!(matches!(
        with(
            "exclude_from_policies = false",
            "exclude_from_policy = true"
        ),
        Err(ConfigError::Syntax(_))
    ));
}

#[test]
fn thresholds() {
    assert_eq!(Threshold::parse("2-of-3"), Some(Threshold { k: 2, n: 3 }));
    for bad in ["1-of-3", "4-of-3", "3 of 5", "2-of-17", ""] {
        assert_eq!(Threshold::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_pkcs11_credential_needs_a_certificate_and_its_token() {
    let on_token = "store = \"pkcs11\"\npkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\npkcs11_token = \"safe-token\"\npkcs11_key = \"breakglass\"";
    let config = with("store = \"shares\"\nshares = \"3-of-5\"", on_token).expect("valid");
    let location = config
        .credential("offline")
        .and_then(CredentialPolicy::pkcs11)
        .expect("a token location");
    assert_eq!(location.token, "safe-token");
    assert_eq!(location.key, "breakglass");

    let reason = |result: Result<Config, ConfigError>| match result {
        Err(ConfigError::BadCredential { reason, .. }) => reason,
        other => panic!("expected a bad credential, got {other:?}"),
    };
    // A client secret cannot live on a token.
    let secret = STARTER
        .replacen("store = \"shares\"\nshares = \"3-of-5\"", on_token, 1)
        .replacen("kind = \"certificate\"", "kind = \"secret\"", 1);
    assert!(reason(Config::parse(&secret)).contains("needs kind = \"certificate\""));
    // Each of the three is required.
    let no_key = on_token.replace("\npkcs11_key = \"breakglass\"", "");
    assert!(
        reason(with("store = \"shares\"\nshares = \"3-of-5\"", &no_key))
            .contains("needs pkcs11_key")
    );
    // And only for a token.
    assert!(
        reason(with(
            "store = \"keepass\"",
            "store = \"keepass\"\npkcs11_token = \"safe-token\""
        ))
        .contains("pkcs11_token is only for store = \"pkcs11\"")
    );
    // PS256 unless RS256 is asked for; only a token has the choice; nothing else is taken.
    let credential = |config: &Config| config.credential("offline").cloned().expect("offline");
    assert_eq!(credential(&config).pkcs11_algorithm, None);
    let rs256 = format!("{on_token}\npkcs11_algorithm = \"RS256\"");
    let config = with("store = \"shares\"\nshares = \"3-of-5\"", &rs256).expect("valid");
    assert_eq!(
        credential(&config).pkcs11_algorithm,
        Some(super::TokenSignature::Rs256)
    );
    assert!(
        reason(with(
            "store = \"keepass\"",
            "store = \"keepass\"\npkcs11_algorithm = \"RS256\""
        ))
        .contains("pkcs11_algorithm is only for store = \"pkcs11\"")
    );
    let es256 = format!("{on_token}\npkcs11_algorithm = \"ES256\"");
    assert!(with("store = \"shares\"\nshares = \"3-of-5\"", &es256).is_err());
}
