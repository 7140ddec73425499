//! Tests against wiremock over plain http (allowed only in tests).

mod graph;
mod token;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use breakglass_core::CloudProfile;
use breakglass_core::retry::RetryPolicy;
use secrecy::SecretString;
use url::Url;
use wiremock::MockServer;

use crate::{AccessToken, GraphClient, HttpClient, HttpOptions};

pub(crate) const TENANT: &str = "contoso.onmicrosoft.com";

pub(crate) fn profile_for(uri: &str) -> CloudProfile {
    let url = Url::parse(uri).unwrap();
    CloudProfile {
        name: "test".to_string(),
        authority_host: url.clone(),
        graph_endpoint: url,
        resource_manager_endpoint: None,
        ca_certificate: None,
    }
}

pub(crate) fn profile(server: &MockServer) -> CloudProfile {
    profile_for(&server.uri())
}

/// Short budgets and delays so tests run fast.
pub(crate) fn options(budget: Duration) -> HttpOptions {
    let mut options = HttpOptions::default().allow_plain_http_for_tests();
    options.retry = RetryPolicy {
        budget,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_attempts: 10,
    };
    options.timeout = Duration::from_secs(10);
    options
}

pub(crate) fn http(server: &MockServer) -> HttpClient {
    HttpClient::new(&profile(server), options(Duration::from_secs(5))).unwrap()
}

/// An unsigned JWT with these claims (Graph tokens are opaque to clients anyway).
pub(crate) fn jwt(claims: serde_json::Value) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"RS256"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode("signature")
    )
}

pub(crate) fn static_token() -> AccessToken {
    AccessToken::new(
        SecretString::from("graph-token-value".to_string()),
        jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
        "Bearer",
    )
}

pub(crate) fn graph_with(server: &MockServer, budget: Duration) -> GraphClient {
    let http = HttpClient::new(&profile(server), options(budget)).unwrap();
    GraphClient::new(http, &profile(server), Arc::new(static_token()))
}

pub(crate) fn graph(server: &MockServer) -> GraphClient {
    graph_with(server, Duration::from_secs(5))
}
