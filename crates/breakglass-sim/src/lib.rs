//! breakglass-sim: a local Microsoft Entra ID tenant simulator.
//!
//! It serves, over HTTPS with its own CA, the identity platform v2.0 endpoints
//! (OpenID metadata, keys, token, device code) and the Microsoft Graph subset that
//! breakglass uses, with Microsoft's shapes, status codes and error bodies, and with
//! the quirks real tenants have: paging, throttling, replication delay, soft delete.
//! Faults can be injected per route. State lives in a folder and survives restarts.
//!
//! The tenant logic ([`Simulator`]) is apart from the transport, so tests can call
//! it without a socket and `$batch` can dispatch to it directly.
#![forbid(unsafe_code)]
// Functions stay under clippy.toml's too-many-lines-threshold; tests may be longer.
#![cfg_attr(not(test), deny(clippy::too_many_lines))]
// Handlers answer errors with a full HTTP response; boxing each one buys nothing here.
#![allow(clippy::result_large_err)]

mod activity;
mod alert_receiver;
mod app_policy;
mod arm;
mod arm_authorization;
mod changes;
mod clock;
mod entities;
mod faults;
mod files;
mod generate;
mod graph;
mod http;
mod identity;
mod in_process;
mod index;
mod listing;
mod object;
mod odata;
mod pass_policy;
mod passkey_policy;
mod permissions;
mod persist;
mod pki;
mod seed;
mod server;
mod state;
#[cfg(test)]
mod tests;
mod tracked;
mod webauthn;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use url::Url;

pub use alert_receiver::AlertReceiver;
pub use faults::FaultRule;
pub use generate::{TenantSize, write_tenant};
pub use in_process::InProcessSimulator;
pub use odata::filter_matches;
pub use seed::DEFAULT_TENANT;

/// How to start a simulator.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Folder for the CA, keys, state and the files handed to clients.
    pub state_dir: PathBuf,
    /// A tenant description (JSON) used when the folder holds no tenant yet.
    pub tenant_file: Option<PathBuf>,
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    #[error("cannot use the state folder {path}: {reason}")]
    StateDir { path: PathBuf, reason: String },
    #[error("the tenant description {path} is not usable: {reason}")]
    TenantDescription { path: PathBuf, reason: String },
    #[error("the saved tenant in {path} cannot be read: {reason}")]
    StateCorrupt { path: PathBuf, reason: String },
    #[error("cannot listen on {address}: {reason}")]
    Listen { address: SocketAddr, reason: String },
    #[error("cannot set up the simulator's keys: {0}")]
    Pki(String),
}

impl SimError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SimError::StateDir { .. } => Some("choose a folder you can write to with --state-dir".into()),
            SimError::TenantDescription { .. } => Some(
                "compare the file with the built-in description that `breakglass sim default-tenant` prints".into(),
            ),
            SimError::StateCorrupt { path, .. } => Some(format!(
                "move {} aside to start from a fresh tenant (its CA stays valid)",
                path.display()
            )),
            SimError::Listen { .. } => Some("pick another port, or use port 0 for a free one".into()),
            SimError::Pki(_) => None,
        }
    }
}

/// The credentials of the seeded automation app an operator provisions with.
#[derive(Clone)]
pub struct OperatorCredentials {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for OperatorCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorCredentials")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// The simulated tenant and everything a request needs, apart from the transport.
pub(crate) struct Simulator {
    tenant: Mutex<state::Tenant>,
    pub clock: clock::Clock,
    pub signer: pki::TokenSigner,
    pub faults: faults::Faults,
    pub activity: activity::Activity,
    pub base_url: Url,
    pub device_codes: Mutex<identity::DeviceCodes>,
    changes: persist::ChangeLog,
    snapshot_path: PathBuf,
    /// Bytes of the newest snapshot: the log is folded into a new one once it is as large.
    snapshot_bytes: AtomicU64,
}

/// The log is folded into a snapshot once it is this large, or as large as the snapshot.
const LOG_LIMIT: u64 = 64 << 20;

impl Simulator {
    /// Opens (or seeds) the tenant in the state folder and writes the files handed to
    /// clients; the transport is started separately.
    fn open(
        options: &SimOptions,
        pki: pki::Pki,
        base_url: Url,
    ) -> Result<(Simulator, OperatorCredentials, Arc<rustls::ServerConfig>), SimError> {
        let dir = &options.state_dir;
        let clock = clock::Clock::default();
        let state_path = dir.join(STATE_FILE);
        let (mut tenant, operator, seeded) =
            load_or_seed(options, &state_path, &dir.join(OPERATOR_FILE), &clock)?;
        // A freshly seeded tenant owes nothing to a log left next to it.
        let changes = persist::ChangeLog::open(dir.join(LOG_FILE), |payload| {
            if seeded {
                return Ok(());
            }
            changes::replay(&mut tenant, payload)
        })?;
        tenant.forget_changes();
        let snapshot_bytes = std::fs::metadata(&state_path).map_or(0, |m| m.len());
        let origin = base_url.as_str().trim_end_matches('/');
        let cloud = serde_json::json!({
            "name": "simulator",
            "authorityHost": origin,
            "graphEndpoint": origin,
            "resourceManagerEndpoint": origin,
            "caCertificate": pki::CA_FILE,
        });
        files::write_public(
            &dir.join(CLOUD_FILE),
            serde_json::to_string_pretty(&cloud)
                .unwrap_or_default()
                .as_bytes(),
        )?;
        let simulator = Simulator {
            tenant: Mutex::new(tenant),
            clock,
            signer: pki.signer,
            faults: faults::Faults::default(),
            activity: activity::Activity::default(),
            base_url,
            device_codes: Mutex::new(identity::DeviceCodes::default()),
            changes,
            snapshot_path: state_path,
            snapshot_bytes: AtomicU64::new(snapshot_bytes),
        };
        if seeded {
            simulator.snapshot(&simulator.tenant())?;
        }
        Ok((simulator, operator, pki.server_config))
    }

    pub fn tenant(&self) -> MutexGuard<'_, state::Tenant> {
        self.tenant
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Saves what changed in the tenant; called after every change, with the tenant locked,
    /// so a restart sees it. The write to disk happens off the request path (see [`persist`]).
    pub fn persist(&self, tenant: &state::Tenant) {
        let records = tenant.take_changes();
        if records.is_empty() {
            return;
        }
        match changes::encode(&records) {
            Ok(bytes) => self.changes.append(&bytes),
            Err(err) => tracing::error!("serializing a change of the tenant failed: {err}"),
        }
        let limit = LOG_LIMIT.max(self.snapshot_bytes.load(Ordering::Relaxed));
        if self.changes.len() > limit
            && let Err(err) = self.snapshot(tenant)
        {
            tracing::error!("writing a snapshot of the tenant failed: {err}");
        }
    }

    /// Writes the whole tenant and empties the change log. The caller holds the tenant, so
    /// the snapshot holds every change logged so far.
    fn snapshot(&self, tenant: &state::Tenant) -> Result<(), SimError> {
        self.changes.flush();
        files::write_private_with(&self.snapshot_path, |out| {
            serde_json::to_writer(out, tenant).map_err(std::io::Error::other)
        })?;
        let bytes = std::fs::metadata(&self.snapshot_path).map_or(0, |m| m.len());
        self.snapshot_bytes.store(bytes, Ordering::Relaxed);
        self.changes.clear().map_err(|e| SimError::StateDir {
            path: self.snapshot_path.clone(),
            reason: format!("emptying the change log: {e}"),
        })
    }

    /// Folds the change log into a snapshot, so the next start reads one file, and stops
    /// the log's writer.
    fn close(&self) {
        if self.changes.len() > 0
            && let Err(err) = self.snapshot(&self.tenant())
        {
            tracing::error!("writing a snapshot of the tenant failed: {err}");
        }
        self.changes.close();
    }

    /// The host part every endpoint URL starts with, without a trailing slash.
    pub fn origin(&self) -> String {
        self.base_url.as_str().trim_end_matches('/').to_string()
    }
}

/// A simulator serving on a socket.
pub struct RunningSimulator {
    address: SocketAddr,
    base_url: Url,
    cloud_profile_path: PathBuf,
    operator_env_path: PathBuf,
    ca_certificate_path: PathBuf,
    operator: OperatorCredentials,
    simulator: Arc<Simulator>,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

const STATE_FILE: &str = "tenant-state.json";
const LOG_FILE: &str = "tenant-changes.log";
const OPERATOR_FILE: &str = "operator.env";
const CLOUD_FILE: &str = "cloud.json";

impl RunningSimulator {
    /// Creates or reopens the tenant in `options.state_dir` and starts serving.
    pub async fn start(options: SimOptions) -> Result<RunningSimulator, SimError> {
        let dir = options.state_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| SimError::StateDir {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
        let pki = pki::load_or_create(&dir)?;

        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| SimError::Listen {
                address: options.listen,
                reason: e.to_string(),
            })?;
        let address = listener.local_addr().map_err(|e| SimError::Listen {
            address: options.listen,
            reason: e.to_string(),
        })?;
        let host = match address.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            std::net::IpAddr::V4(ip) => ip.to_string(),
        };
        let base_url = Url::parse(&format!("https://{host}:{}/", address.port())).map_err(|e| {
            SimError::Listen {
                address,
                reason: e.to_string(),
            }
        })?;

        let (simulator, operator, server_config) =
            Simulator::open(&options, pki, base_url.clone())?;
        let simulator = Arc::new(simulator);
        let cloud_profile_path = dir.join(CLOUD_FILE);
        let operator_env_path = dir.join(OPERATOR_FILE);

        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            server_config,
            simulator.clone(),
            shutdown_rx,
        ));
        Ok(RunningSimulator {
            address,
            base_url,
            cloud_profile_path,
            operator_env_path,
            ca_certificate_path: dir.join(pki::CA_FILE),
            operator,
            simulator,
            shutdown,
            task,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    pub fn cloud_profile_path(&self) -> &Path {
        &self.cloud_profile_path
    }

    pub fn operator_env_path(&self) -> &Path {
        &self.operator_env_path
    }

    pub fn ca_certificate_path(&self) -> &Path {
        &self.ca_certificate_path
    }

    pub fn operator(&self) -> &OperatorCredentials {
        &self.operator
    }

    /// Replaces the injected fault rules (the same as `PUT /_sim/faults`).
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        self.simulator.faults.replace(rules);
    }

    /// How many times each injected fault rule has acted, in the order they were set.
    pub fn fault_hits(&self) -> Vec<u32> {
        self.simulator.faults.hits()
    }

    /// How many reads an injected replication delay kept from seeing a new object.
    pub fn hidden_by_replication(&self) -> u32 {
        self.simulator.faults.hidden_by_replication()
    }

    /// How many answers a `holdNthChange` fault is holding back right now.
    pub fn held_answers(&self) -> u32 {
        self.simulator.faults.held()
    }

    /// Moves the simulator's clock forward, e.g. to expire credentials.
    pub fn advance_clock(&self, seconds: i64) {
        self.simulator.clock.advance(seconds);
    }

    /// From the arrival of the first request (other than `/_sim/`) to the departure of the
    /// last answer since [`Self::reset_busy_window`]; `None` when nothing came. A client
    /// working on several tenants, one simulator each, worked on those whose windows overlap
    /// at the same time.
    pub fn busy_window(&self) -> Option<(std::time::Instant, std::time::Instant)> {
        self.simulator.activity.busy_window()
    }

    /// Starts a new busy window with the next request.
    pub fn reset_busy_window(&self) {
        self.simulator.activity.reset();
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
        self.simulator.close();
    }
}

fn load_or_seed(
    options: &SimOptions,
    state_path: &Path,
    operator_env_path: &Path,
    clock: &clock::Clock,
) -> Result<(state::Tenant, OperatorCredentials, bool), SimError> {
    if let Some(text) = files::read_optional(state_path)? {
        let tenant: state::Tenant =
            serde_json::from_str(&text).map_err(|e| SimError::StateCorrupt {
                path: state_path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let operator = read_operator_env(operator_env_path)?;
        return Ok((tenant, operator, false));
    }
    let (text, origin) = match &options.tenant_file {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| SimError::TenantDescription {
                path: path.clone(),
                reason: e.to_string(),
            })?,
            path.clone(),
        ),
        None => (
            seed::DEFAULT_TENANT.to_string(),
            PathBuf::from("<built-in default tenant>"),
        ),
    };
    let description = seed::parse(&text, &origin)?;
    let (tenant, seeded) = seed::build(&description, &origin, clock.now())?;
    let seeded = seeded.ok_or_else(|| SimError::TenantDescription {
        path: origin.clone(),
        reason: "no application is marked `operator`; one must be, so operator.env can be written"
            .into(),
    })?;
    let operator = OperatorCredentials {
        tenant_id: tenant.tenant_id.to_string(),
        client_id: seeded.client_id,
        client_secret: seeded.client_secret,
    };
    let env = format!(
        "# Credentials of the simulated tenant's operator automation app.\n# Load with: set -a; . ./operator.env; set +a\nAZURE_TENANT_ID={}\nAZURE_CLIENT_ID={}\nAZURE_CLIENT_SECRET={}\n",
        operator.tenant_id, operator.client_id, operator.client_secret
    );
    files::write_private(operator_env_path, env.as_bytes())?;
    Ok((tenant, operator, true))
}

fn read_operator_env(path: &Path) -> Result<OperatorCredentials, SimError> {
    let text = files::read_optional(path)?.ok_or_else(|| SimError::StateDir {
        path: path.to_path_buf(),
        reason: "operator.env is missing although a saved tenant exists; the operator secret cannot be recovered".into(),
    })?;
    let value = |name: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().to_string())
            .unwrap_or_default()
    };
    Ok(OperatorCredentials {
        tenant_id: value("AZURE_TENANT_ID"),
        client_id: value("AZURE_CLIENT_ID"),
        client_secret: value("AZURE_CLIENT_SECRET"),
    })
}
