//! The tenant logic driven in-process, without a socket or TLS.
//!
//! Request bodies, paths and queries are untrusted input to the simulator's handlers. This
//! is the smallest public way to reach them from outside the crate: the fuzz target of
//! request bodies and its corpus replay test use it. Every answer starts from the tenant as
//! it was opened, so one input cannot change what the next one sees.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};

use crate::http::SimRequest;
use crate::{SimError, SimOptions, Simulator, identity, pki, state};

/// A fresh token well before the one in hand expires (the simulator's tokens live an hour).
const TOKEN_RENEWAL: Duration = Duration::from_secs(30 * 60);

/// A simulator answering requests in-process, as the operator's automation app.
pub struct InProcessSimulator {
    sim: Simulator,
    opened: state::Tenant,
    operator: crate::OperatorCredentials,
    token: Mutex<(String, Instant)>,
}

impl InProcessSimulator {
    /// Opens (or seeds) the tenant in `state_dir`, as [`crate::RunningSimulator::start`] does.
    pub fn open(state_dir: &Path) -> Result<InProcessSimulator, SimError> {
        std::fs::create_dir_all(state_dir).map_err(|e| SimError::StateDir {
            path: state_dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let options = SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: state_dir.to_path_buf(),
            tenant_file: None,
        };
        let pki = pki::load_or_create(state_dir)?;
        let base = url::Url::parse("https://127.0.0.1:9/")
            .map_err(|e| SimError::Pki(format!("base URL: {e}")))?;
        let (sim, operator, _) = Simulator::open(&options, pki, base)?;
        let opened = sim.tenant().clone();
        let simulator = InProcessSimulator {
            sim,
            opened,
            operator,
            token: Mutex::new((String::new(), Instant::now())),
        };
        simulator.renew_token();
        Ok(simulator)
    }

    /// Answers one request (`path_and_query` as on the wire, e.g. `/v1.0/users?$top=2`) with
    /// the operator's bearer token and a JSON content type, and returns the status. The test
    /// controls under `/_sim/` are refused (they change faults and the clock, which would
    /// outlive the answer); afterwards the tenant and device codes are as they were opened.
    pub fn answer(&self, method: &str, path_and_query: &str, body: &[u8]) -> u16 {
        let Ok(method) = Method::from_bytes(method.as_bytes()) else {
            return 405;
        };
        if path_and_query.trim_start_matches('/').starts_with("_sim") {
            return 404;
        }
        let token = self.token();
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path.to_string(), Some(query.to_string())),
            None => (path_and_query.to_string(), None),
        };
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
            headers.insert(http::header::AUTHORIZATION, value);
        }
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let request = SimRequest {
            method,
            path,
            query,
            headers,
            body: Bytes::copy_from_slice(body),
        };
        let status = crate::graph::route(&self.sim, &request).status.as_u16();
        *self.sim.tenant() = self.opened.clone();
        *self
            .sim
            .device_codes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = identity::DeviceCodes::default();
        status
    }

    fn token(&self) -> String {
        let stale = {
            let token = self.lock_token();
            token.0.is_empty() || token.1.elapsed() > TOKEN_RENEWAL
        };
        if stale {
            self.renew_token();
        }
        self.lock_token().0.clone()
    }

    fn lock_token(&self) -> std::sync::MutexGuard<'_, (String, Instant)> {
        self.token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn renew_token(&self) {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.operator.client_id)
            .append_pair("client_secret", &self.operator.client_secret)
            .append_pair("scope", "https://127.0.0.1:9/.default")
            .finish();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let request = SimRequest {
            method: Method::POST,
            path: format!("/{}/oauth2/v2.0/token", self.operator.tenant_id),
            query: None,
            headers,
            body: Bytes::from(form),
        };
        let response = crate::graph::route(&self.sim, &request);
        let token = response
            .body_json()
            .and_then(|body| body["access_token"].as_str().map(str::to_string))
            .unwrap_or_default();
        *self.lock_token() = (token, Instant::now());
    }
}
