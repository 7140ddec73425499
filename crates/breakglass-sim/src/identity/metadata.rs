//! OpenID Connect discovery: the metadata document and the signing keys clients
//! (msal, azure-identity) read before asking for tokens.

use http::StatusCode;
use serde_json::json;

use crate::Simulator;
use crate::http::SimResponse;

pub(super) fn signing_keys(sim: &Simulator) -> SimResponse {
    let tenant_id = sim.tenant().tenant_id;
    let issuer = format!("{}/{tenant_id}/v2.0", sim.origin());
    SimResponse::json(StatusCode::OK, &json!({"keys": [sim.signer.jwk(&issuer)]}))
        .with_header("Cache-Control", "max-age=86400, private")
}

pub(super) fn openid_configuration(sim: &Simulator, segment: &str, v2: bool) -> SimResponse {
    let origin = sim.origin();
    let tenant_id = sim.tenant().tenant_id;
    let issuer = if v2 {
        format!("{origin}/{tenant_id}/v2.0")
    } else {
        format!("https://sts.windows.net/{tenant_id}/")
    };
    let prefix = format!("{origin}/{segment}");
    let document = json!({
        "token_endpoint": format!("{prefix}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{prefix}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{origin}/oidc/userinfo"),
        "authorization_endpoint": format!("{prefix}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{prefix}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{prefix}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{prefix}/kerberos"),
        "tenant_region_scope": "WW",
        "cloud_instance_name": sim.base_url.host_str().unwrap_or("127.0.0.1"),
        "cloud_graph_host_name": sim.base_url.host_str().unwrap_or("127.0.0.1"),
        "msgraph_host": sim.base_url.host_str().unwrap_or("127.0.0.1"),
        "rbac_url": origin,
    });
    SimResponse::json(StatusCode::OK, &document)
        .with_header("Cache-Control", "max-age=86400, private")
        .with_header("Access-Control-Allow-Origin", "*")
}
