//! What each fuzz target feeds its input to. The targets under `fuzz_targets/` are one line
//! each, and the corpus replay test of the main workspace (`crates/breakglass-cli/tests/
//! fuzz_corpus.rs`) includes this file, so a seed replays through exactly the code the fuzzer
//! ran. Only crates the CLI also depends on may be used here.
//!
//! A function returns nothing: the fuzzer looks for panics, hangs and runaway memory, and
//! errors are the expected answer to most inputs.
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use breakglass_core::identities::{
    EmergencyIdentities, MonitoredCredential, MonitoredUser, Severity,
};
use serde_json::Value;

/// The identities the scan targets look for: ids the seed corpora mention.
pub fn identities() -> EmergencyIdentities {
    let credential = |key_id: &str, label: &str, kind: &str| MonitoredCredential {
        key_id: key_id.into(),
        label: label.into(),
        kind: kind.into(),
        thumbprint: None,
        severity: Severity::Critical,
    };
    EmergencyIdentities {
        tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        app_id: "3f2c9a51-7b1e-4d8a-9c3e-5a6b7c8d9e0f".into(),
        application_object_id: "11111111-2222-4333-8444-555555555555".into(),
        service_principal_id: "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into(),
        credentials: vec![
            credential(
                "aaaaaaaa-0000-4000-8000-000000000001",
                "offline",
                "certificate",
            ),
            credential("aaaaaaaa-0000-4000-8000-000000000002", "rotating", "secret"),
        ],
        users: vec![MonitoredUser {
            id: "bbbbbbbb-0000-4000-8000-000000000001".into(),
            user_principal_name: "bg-admin1@contoso.onmicrosoft.com".into(),
        }],
        exclusion_group_id: "cccccccc-0000-4000-8000-000000000001".into(),
        temporary_user_marker: "breakglass:temporary:".into(),
    }
}

fn watchlist() -> &'static breakglass_scan::Watchlist {
    static WATCH: OnceLock<breakglass_scan::Watchlist> = OnceLock::new();
    WATCH.get_or_init(|| {
        breakglass_scan::Watchlist::new(identities()).expect("the fuzz identities are watchable")
    })
}

/// `scan_export`: bytes as one exported log file (JSON lines, a document, or gzip of either).
pub fn scan_export(data: &[u8]) {
    let options = breakglass_scan::ScanOptions {
        threads: 1,
        // The smallest block the reader allows: lines then cross block boundaries, and
        // each input does not zero a 4 MiB buffer.
        block_size: 4096,
        ..breakglass_scan::ScanOptions::default()
    };
    let report = breakglass_scan::scan_bytes(data, "fuzz", watchlist(), &options);
    for event in &report.events {
        let _ = event.kind.describe();
        let _ = event.source.to_string();
    }
}

/// `scan_record`: bytes as one JSON record, matched as the scanner matches a line in which
/// the prefilter found a watched id.
pub fn scan_record(data: &[u8]) {
    let Ok(record) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let watch = watchlist();
    let mentioned = watch
        .prefilter()
        .find(data)
        .and_then(|needle| watch.prefilter().needles().get(needle))
        .map(|needle| String::from_utf8_lossy(needle).into_owned());
    let source = breakglass_scan::SourceLocation {
        file: "fuzz".into(),
        line: Some(1),
        record: None,
    };
    let _ =
        breakglass_scan::match_record(&record, watch.identities(), mentioned.as_deref(), source);
}

/// `entra_token`: bytes as a token endpoint answer (success and error statuses), a device
/// code answer, and a token handed in by the operator.
pub fn entra_token(data: &[u8]) {
    let endpoint = url::Url::parse("https://login.microsoftonline.com/contoso/oauth2/v2.0/token")
        .expect("a fixed URL");
    for status in [200, 400, 401] {
        if let Ok(breakglass_entra::TokenAnswer::Error(error)) =
            breakglass_entra::parse_token_answer(&endpoint, status, data, &["s3cret-value"])
        {
            let _ = error.to_string();
            let _ = error.code();
            let _ = error.explanation();
            let _ = breakglass_entra::EntraError::from(error).hint();
        }
    }
    let _ = breakglass_entra::DeviceCodePrompt::from_response(endpoint.as_str(), 200, data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(token) = breakglass_entra::AccessToken::from_handed_in(text)
            && let Ok(claims) = token.claims()
        {
            let _ = (
                claims.is_app_only(),
                claims.client_id(),
                claims.scopes(),
                claims.user(),
            );
        }
        let _ = breakglass_core::aadsts::code_in_description(text);
        let _ = breakglass_core::aadsts::description_first_line(text);
        let _ = breakglass_core::aadsts::device_code_poll_state(text);
    }
}

/// `entra_graph`: bytes as a Graph answer: an error body, a page of each collection the
/// client lists, a `$batch` reply, and a `Retry-After` header.
pub fn entra_graph(data: &[u8]) {
    use breakglass_entra::graph::models;

    let url = "https://graph.microsoft.com/v1.0/users?$top=999";
    for (method, status) in [("GET", 403), ("POST", 400), ("PATCH", 404), ("DELETE", 429)] {
        let error = breakglass_entra::graph_error(method, url, status, &Default::default(), data);
        let _ = (error.to_string(), error.is_replication_delay());
    }
    let response = breakglass_entra::GraphResponse {
        status: 200,
        headers: Default::default(),
        body: data.to_vec(),
    };
    let _ = response.page::<Value>(url);
    let _ = response.page::<models::User>(url);
    let _ = response.page::<models::Application>(url);
    let _ = response.page::<models::ServicePrincipal>(url);
    let _ = response.page::<models::Group>(url);
    let _ = response.page::<models::DirectoryObject>(url);
    let _ = response.page::<models::UnifiedRoleAssignment>(url);
    let _ = response.page::<models::AppRoleAssignment>(url);
    let _ = response.page::<models::FederatedIdentityCredential>(url);
    let _ = response.page::<models::AuthenticationMethod>(url);
    let _ = response.page::<models::UnifiedRoleEligibilityScheduleInstance>(url);
    let _ = response.page::<models::Domain>(url);
    let _ = response.page::<models::ConditionalAccessPolicy>(url);
    let _ = response.page::<models::DirectoryAudit>(url);
    let _ = response.page::<models::SignIn>(url);
    let _ = response.json::<models::Organization>(url);
    let _ = response.json::<models::TemporaryAccessPass>(url);
    if let Ok(answers) = breakglass_entra::BatchResponse::from_reply(&response, url) {
        for answer in answers {
            let _ = answer.header("Retry-After");
            if let Some(error) = answer.error() {
                let _ = error.to_string();
            }
            let _ = answer.json::<models::User>();
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(after) = breakglass_core::retry::RetryAfter::parse(text) {
            let _ = after.delay_from(jiff::Timestamp::UNIX_EPOCH);
        }
        let _ = breakglass_core::retry::classify(429, Some(text));
    }
}

/// `store_payload`: bytes as scanned or typed recovery-sheet text, and as the JSON inside a
/// payload (behind its check, which a mutated text almost never passes).
pub fn store_payload(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(payload) = breakglass_store::CredentialPayload::from_scanned(text)
    {
        let _ = payload.qr_texts();
    }
    if let Ok(credential) = breakglass_store::CredentialPayload::credential_from_json(data) {
        let _ = credential.to_payload();
    }
}

/// `store_shares`: bytes as the scanned text of Shamir shares (blocks apart by a blank line),
/// combined when they parse; or, after a leading zero byte, share fields given directly
/// (`k n` then `index length data…` per share) so that combining sees mutated share data.
pub fn store_shares(data: &[u8]) {
    let shares: Vec<breakglass_store::ShamirShare> = match data.split_first() {
        Some((0, fields)) => shares_from_fields(fields),
        _ => {
            let Ok(text) = std::str::from_utf8(data) else {
                return;
            };
            text.split("\n\n")
                .filter_map(|block| breakglass_store::ShamirShare::from_scanned(block).ok())
                .collect()
        }
    };
    if let Ok(payload) = breakglass_store::combine(&shares) {
        let _ = payload.credential().title();
    }
}

fn shares_from_fields(fields: &[u8]) -> Vec<breakglass_store::ShamirShare> {
    let [k, n, rest @ ..] = fields else {
        return Vec::new();
    };
    let mut shares = Vec::new();
    let mut rest = rest;
    while let [index, length, tail @ ..] = rest {
        let take = usize::from(*length).min(tail.len());
        let (share, next) = tail.split_at(take);
        if let Ok(share) =
            breakglass_store::ShamirShare::from_parts(*k, *n, *index, "FUZZSET1", share)
        {
            shares.push(share);
        }
        rest = next;
    }
    shares
}

/// `config_toml`: bytes as `breakglass.toml`.
pub fn config_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = breakglass_core::config::Config::parse(text) {
        for credential in &config.app.credentials {
            let _ = config.credential(&credential.label);
            let _ = credential.threshold();
        }
    }
    let _ = breakglass_core::config::Threshold::parse(text);
}

/// `sim_odata`: the first line as a `$filter`, the rest as the JSON item it is applied to.
pub fn sim_odata(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (filter, item) = text.split_once('\n').unwrap_or((text, ""));
    let item = serde_json::from_str(item).unwrap_or_else(|_| {
        serde_json::json!({
            "id": "bbbbbbbb-0000-4000-8000-000000000001",
            "displayName": "Break Glass 1",
            "userPrincipalName": "bg-admin1@contoso.onmicrosoft.com",
            "accountEnabled": true,
            "createdDateTime": "2026-01-01T00:00:00Z",
            "identities": [{"signInType": "userPrincipalName", "issuerAssignedId": "x"}],
            "keyCredentials": [{"keyId": "aaaaaaaa-0000-4000-8000-000000000001"}],
        })
    });
    let _ = breakglass_sim::filter_matches(filter, &item);
}

/// `sim_request`: the first line as `METHOD /path?query`, the rest as the request body, sent
/// to the simulator's router as the operator.
pub fn sim_request(simulator: &breakglass_sim::InProcessSimulator, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (line, body) = text.split_once('\n').unwrap_or((text, ""));
    let (method, path) = line.split_once(' ').unwrap_or(("GET", line));
    let _ = simulator.answer(method, path.trim(), body.as_bytes());
}
