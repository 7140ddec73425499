//! In-process tests of the tenant logic: requests go straight to the router, no socket.
//! One module per area; the harness and request helpers they share live here.

mod app_management;
mod arm;
mod conditional_access;
mod conformance;
mod conformance_applications;
mod conformance_authorization;
mod conformance_delegation;
mod conformance_directory;
mod conformance_identity;
mod conformance_policies;
mod credentials;
mod directory;
mod faults;
mod graph;
mod in_process;
mod indexes;
mod pass_policy;
mod passkeys;
mod persistence;
mod pim_groups;
mod tokens;

use std::net::SocketAddr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

use crate::http::SimRequest;
use crate::{OperatorCredentials, SimOptions, Simulator, pki};

struct Harness {
    sim: Simulator,
    operator: OperatorCredentials,
    _dir: tempfile::TempDir,
}

fn open_in(dir: &std::path::Path) -> (Simulator, OperatorCredentials) {
    let options = SimOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        state_dir: dir.to_path_buf(),
        tenant_file: None,
    };
    let pki = pki::load_or_create(dir).expect("keys");
    let base = url::Url::parse("https://127.0.0.1:9/").expect("url");
    let (sim, operator, _) = Simulator::open(&options, pki, base).expect("open");
    (sim, operator)
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sim, operator) = open_in(dir.path());
    Harness {
        sim,
        operator,
        _dir: dir,
    }
}

/// A simulator seeded from `tenant` (a tenant description), in a fresh folder.
fn harness_of(tenant: &Value) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tenant.json");
    std::fs::write(&file, tenant.to_string()).unwrap();
    let options = SimOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        state_dir: dir.path().join("state"),
        tenant_file: Some(file),
    };
    std::fs::create_dir_all(&options.state_dir).unwrap();
    let pki = pki::load_or_create(&options.state_dir).expect("keys");
    let base = url::Url::parse("https://127.0.0.1:9/").expect("url");
    let (sim, operator, _) = Simulator::open(&options, pki, base).expect("open");
    Harness {
        sim,
        operator,
        _dir: dir,
    }
}

/// The built-in tenant with the operator holding `permissions` in place of its own
/// `Policy.*` permissions.
fn harness_with(permissions: &[&str]) -> Harness {
    let mut tenant: Value = serde_json::from_str(crate::seed::DEFAULT_TENANT).unwrap();
    let operator = tenant["applications"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|app| app["operator"] == true)
        .expect("the operator app");
    let held = operator["applicationPermissions"].as_array_mut().unwrap();
    held.retain(|p| !p.as_str().unwrap_or_default().starts_with("Policy."));
    held.extend(permissions.iter().map(|p| json!(p)));
    harness_of(&tenant)
}

fn request(
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> SimRequest {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (path_and_query.to_string(), None),
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    SimRequest {
        method,
        path,
        query,
        headers: map,
        body: body.map(Bytes::from).unwrap_or_default(),
    }
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    serializer.finish().into_bytes()
}

impl Harness {
    fn token_with(&self, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
        let path = format!("/{}/oauth2/v2.0/token", self.operator.tenant_id);
        let response = crate::graph::route(
            &self.sim,
            &request(Method::POST, &path, &[], Some(form(pairs))),
        );
        (response.status, response.body_json().unwrap_or(Value::Null))
    }

    fn operator_token(&self) -> String {
        let (status, body) = self.token_with(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.operator.client_id),
            ("client_secret", &self.operator.client_secret),
            ("scope", "https://127.0.0.1:9/.default"),
        ]);
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    fn graph(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        self.graph_with(token, method, path, body, &[])
    }

    fn graph_with(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> (StatusCode, Value, HeaderMap) {
        let auth = format!("Bearer {token}");
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        let response = crate::graph::route(
            &self.sim,
            &request(
                method,
                path,
                &headers,
                body.map(|b| b.to_string().into_bytes()),
            ),
        );
        (
            response.status,
            response.body_json().unwrap_or(Value::Null),
            response.headers,
        )
    }
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}
