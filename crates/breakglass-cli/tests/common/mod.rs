//! The test harness: runs the real `breakglass` binary in a sealed environment.
//!
//! Every command starts from `env_clear()` with a temporary HOME, a fixed terminal
//! width and NO_COLOR, plus only the variables a test adds. A simulator is started
//! through the binary itself (`breakglass sim serve --listen 127.0.0.1:0`), reading
//! the `listening on` line from its stdout.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use breakglass_core::cloud::GraphVersion::V1;
use breakglass_entra::Query;
use tempfile::TempDir;

/// The path of the binary under test.
pub fn breakglass_bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("breakglass")
}

/// A sealed environment for one test.
pub struct TestEnv {
    root: TempDir,
    env: BTreeMap<String, String>,
}

impl TestEnv {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("create a temp dir");
        std::fs::create_dir_all(root.path().join("home")).expect("create HOME");
        TestEnv {
            root,
            env: BTreeMap::new(),
        }
    }

    /// The temporary root folder.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Adds an environment variable to every command run from now on.
    pub fn set_env(&mut self, key: &str, value: impl Into<String>) {
        self.env.insert(key.to_string(), value.into());
    }

    /// The variables added to every command.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// Removes an environment variable.
    pub fn remove_env(&mut self, key: &str) {
        self.env.remove(key);
    }

    /// Writes a file under the root and returns its path.
    pub fn write_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.root().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// A `breakglass` command with the sealed environment.
    pub fn command(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(breakglass_bin());
        cmd.env_clear()
            .current_dir(self.root())
            .env("HOME", self.root().join("home"))
            .env("COLUMNS", "100")
            .env("NO_COLOR", "1")
            .env("PATH", "/usr/bin:/bin")
            .envs(&self.env)
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// Starts `breakglass ARGS` in the background with its output thrown away, for a test that
    /// kills it mid-run.
    pub fn spawn_quiet<I, S>(&self, args: I) -> Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut vars = self.env.clone();
        vars.insert(
            "HOME".into(),
            self.root().join("home").display().to_string(),
        );
        vars.insert("PATH".into(), "/usr/bin:/bin".into());
        vars.insert("NO_COLOR".into(), "1".into());
        std::process::Command::new(breakglass_bin())
            .args(args)
            .env_clear()
            .envs(vars)
            .current_dir(self.root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn breakglass")
    }

    /// Runs `breakglass ARGS` and captures its output.
    #[must_use = "assert on the output or its exit code"]
    pub fn run<I, S>(&self, args: I) -> CommandOutput
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        CommandOutput::from(self.command().args(args).output().expect("run breakglass"))
    }

    /// Runs `breakglass ARGS` with `stdin`.
    #[must_use = "assert on the output or its exit code"]
    pub fn run_with_stdin<I, S>(&self, args: I, stdin: &str) -> CommandOutput
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        CommandOutput::from(
            self.command()
                .args(args)
                .write_stdin(stdin.to_string())
                .output()
                .expect("run breakglass"),
        )
    }

    /// Starts `breakglass sim serve` on a free port with a state dir under the root.
    pub fn start_simulator(&self) -> Simulator {
        Simulator::start(self, &self.root().join("sim"), None)
    }

    /// Starts a simulator and points this environment at it: BREAKGLASS_CLOUD and
    /// the operator credentials from operator.env.
    pub fn with_simulator(&mut self) -> Simulator {
        let simulator = self.start_simulator();
        self.use_simulator(&simulator);
        simulator
    }

    /// Points this environment at a running simulator.
    pub fn use_simulator(&mut self, simulator: &Simulator) {
        self.set_env(
            "BREAKGLASS_CLOUD",
            simulator.cloud_profile().display().to_string(),
        );
        for (key, value) in simulator.operator_env() {
            self.set_env(&key, value);
        }
    }
}

/// What a command printed and how it exited.
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

impl From<std::process::Output> for CommandOutput {
    fn from(output: std::process::Output) -> Self {
        CommandOutput {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
    }
}

impl CommandOutput {
    /// Asserts the exit code and returns self.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// Asserts success (exit 0) and returns self.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        self.assert_code(0)
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}):\n{self}"))
    }

    /// The stderr lines starting with `error:`.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|line| line.starts_with("error:"))
            .collect()
    }

    /// Replaces a string in stdout and stderr (for snapshots of varying paths and ports).
    pub fn redact(mut self, from: &str, to: &str) -> Self {
        if !from.is_empty() {
            self.stdout = self.stdout.replace(from, to);
            self.stderr = self.stderr.replace(from, to);
        }
        self
    }
}

impl fmt::Display for CommandOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.stdout)?;
        if !self.stderr.is_empty() {
            write!(f, "------- stderr -------\n{}", self.stderr)?;
        }
        match self.code {
            Some(0) => Ok(()),
            Some(code) => write!(f, "[exit status: {code}]"),
            None => write!(f, "[killed by a signal]"),
        }
    }
}

/// A `breakglass sim serve` process; stopped with SIGTERM when dropped.
pub struct Simulator {
    child: Child,
    url: String,
    state_dir: PathBuf,
}

impl Simulator {
    /// Starts the simulator and waits for its `listening on` line.
    pub fn start(env: &TestEnv, state_dir: &Path, tenant_file: Option<&Path>) -> Self {
        let mut cmd = std::process::Command::new(breakglass_bin());
        cmd.env_clear()
            .env("HOME", env.root().join("home"))
            .env("NO_COLOR", "1")
            .args(["sim", "serve", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(state_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(file) = tenant_file {
            cmd.arg("--tenant").arg(file);
        }
        let mut child = cmd.spawn().expect("start breakglass sim serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("breakglass simulator listening on ") {
                    let _ = sender.send(url.trim().to_string());
                }
            }
        });
        let url = match receiver.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let output = child.wait_with_output().expect("collect simulator output");
                panic!(
                    "the simulator did not report its address; stderr:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        };
        Simulator {
            child,
            url,
            state_dir: state_dir.to_path_buf(),
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        self.url.trim_start_matches("https://")
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    pub fn cloud_profile(&self) -> PathBuf {
        self.state_dir.join("cloud.json")
    }

    pub fn ca_certificate(&self) -> PathBuf {
        self.state_dir.join("ca.pem")
    }

    /// The KEY=VALUE lines of operator.env.
    pub fn operator_env(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.state_dir.join("operator.env"))
            .expect("read operator.env");
        text.lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| {
                let value = value.trim().trim_matches('"').trim_matches('\'');
                (
                    key.trim().trim_start_matches("export ").to_string(),
                    value.to_string(),
                )
            })
            .collect()
    }

    /// Sends SIGTERM and waits; returns the process's exit code and stderr.
    pub fn stop(mut self) -> (Option<i32>, String) {
        self.terminate();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            use std::io::Read as _;
            let _ = pipe.read_to_string(&mut stderr);
        }
        let status = self.child.wait().expect("wait for the simulator");
        (status.code(), stderr)
    }

    /// Kills the simulator with SIGKILL, as a crash would, and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|status| status.success());
        if !sent {
            let _ = self.child.kill();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
            for _ in 0..50 {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Gets an access token for the simulator's operator with the client credentials grant,
/// using breakglass-entra directly (for tests that hand a token in).
pub fn client_credentials_token(_env: &TestEnv, simulator: &Simulator) -> String {
    use breakglass_entra::{ClientCredential, ClientCredentialsFlow, HttpClient, HttpOptions};
    use secrecy::ExposeSecret as _;

    let text = std::fs::read_to_string(simulator.cloud_profile()).expect("read cloud.json");
    let profile = breakglass_core::CloudProfile::from_json(&text, &simulator.cloud_profile())
        .expect("valid cloud.json");
    let operator = simulator.operator_env();
    let tenant: breakglass_core::TenantId = operator["AZURE_TENANT_ID"].parse().expect("tenant id");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let http = HttpClient::new(&profile, HttpOptions::default()).expect("an HTTP client");
        let flow = ClientCredentialsFlow::new(
            &http,
            &profile,
            &tenant,
            &operator["AZURE_CLIENT_ID"],
            ClientCredential::secret(operator["AZURE_CLIENT_SECRET"].clone()),
        );
        let token = flow.acquire().await.expect("a token");
        token.secret().expose_secret().to_string()
    })
}

/// What [`InProcessSimulator::operator_graph`] signs in with, and the client it makes.
pub struct OperatorGraph {
    pub profile: breakglass_core::CloudProfile,
    pub tenant: breakglass_core::TenantId,
    pub http: breakglass_entra::HttpClient,
    pub graph: breakglass_entra::GraphClient,
}

/// A simulator running inside the test process, for tests that inject faults.
pub struct InProcessSimulator {
    runtime: tokio::runtime::Runtime,
    simulator: Option<breakglass_sim::RunningSimulator>,
    state_dir: PathBuf,
}

impl InProcessSimulator {
    /// Starts a simulator on a free port with its state under `state_dir`.
    pub fn start(state_dir: &Path, tenant_file: Option<&Path>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let simulator = runtime
            .block_on(breakglass_sim::RunningSimulator::start(
                breakglass_sim::SimOptions {
                    listen: "127.0.0.1:0".parse().expect("an address"),
                    state_dir: state_dir.to_path_buf(),
                    tenant_file: tenant_file.map(Path::to_path_buf),
                },
            ))
            .expect("start the simulator");
        InProcessSimulator {
            runtime,
            simulator: Some(simulator),
            state_dir: state_dir.to_path_buf(),
        }
    }

    fn running(&self) -> &breakglass_sim::RunningSimulator {
        self.simulator.as_ref().expect("running until dropped")
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, rules: Vec<breakglass_sim::FaultRule>) {
        self.running().set_faults(rules);
    }

    /// The seeded operator's credentials.
    pub fn operator(&self) -> &breakglass_sim::OperatorCredentials {
        self.running().operator()
    }

    /// Moves the simulator's clock forward by `seconds` (as `POST /_sim/clock`).
    pub fn advance_clock(&self, seconds: i64) {
        self.running().advance_clock(seconds);
    }

    /// When the simulator was busy since [`Self::reset_busy_window`]: first request in, last
    /// answer out.
    pub fn busy_window(&self) -> Option<(std::time::Instant, std::time::Instant)> {
        self.running().busy_window()
    }

    pub fn reset_busy_window(&self) {
        self.running().reset_busy_window();
    }

    /// A Graph client signed in as the seeded operator, for tests that read or change the
    /// tenant directly, as an administrator would in Graph Explorer.
    pub fn operator_graph(&self) -> OperatorGraph {
        use breakglass_entra::{
            ClientCredential, ClientCredentialsFlow, GraphClient, HttpClient, HttpOptions,
        };
        let path = self.cloud_profile();
        let profile = breakglass_core::CloudProfile::from_json(
            &std::fs::read_to_string(&path).expect("cloud.json"),
            &path,
        )
        .expect("profile");
        let operator = self.operator();
        let tenant: breakglass_core::TenantId = operator.tenant_id.parse().expect("tenant");
        let http = HttpClient::new(&profile, HttpOptions::default()).expect("http");
        let flow = ClientCredentialsFlow::new(
            &http,
            &profile,
            &tenant,
            &operator.client_id,
            ClientCredential::secret(operator.client_secret.clone()),
        );
        let graph = GraphClient::new(http.clone(), &profile, flow.into_provider());
        OperatorGraph {
            profile,
            tenant,
            http,
            graph,
        }
    }

    /// How many times each injected fault rule has acted.
    pub fn fault_hits(&self) -> Vec<u32> {
        self.running().fault_hits()
    }

    /// How many reads an injected replication delay kept from seeing a new object.
    pub fn hidden_by_replication(&self) -> u32 {
        self.running().hidden_by_replication()
    }

    /// How many answers a `hold_nth_change` fault holds back right now.
    pub fn held_answers(&self) -> u32 {
        self.running().held_answers()
    }

    /// Whether `password` signs `user_principal_name` in on the simulator's sign-in page, as
    /// a person would type it (the page checks the account before the code it is given).
    pub fn password_works(&self, user_principal_name: &str, password: &str) -> bool {
        let ca = std::fs::read(self.running().ca_certificate_path()).expect("read ca.pem");
        let ca = reqwest::Certificate::from_pem(&ca).expect("a PEM certificate");
        let url = format!("{}devicelogin", self.running().base_url().as_str());
        let status = self.runtime.block_on(async {
            reqwest::Client::builder()
                .tls_certs_only([ca])
                .build()
                .expect("an HTTP client")
                .post(url)
                .form(&[
                    ("user_code", "NO-SUCH-CODE"),
                    ("login", user_principal_name),
                    ("password", password),
                    ("action", "approve"),
                ])
                .send()
                .await
                .expect("post the sign-in form")
                .status()
                .as_u16()
        });
        match status {
            401 => false,
            400 => true,
            other => panic!("the sign-in page answered {other}"),
        }
    }

    pub fn cloud_profile(&self) -> PathBuf {
        self.running().cloud_profile_path().to_path_buf()
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Points `env` at this simulator, with the operator's credentials.
    pub fn configure(&self, env: &mut TestEnv) {
        let operator = self.running().operator();
        env.set_env(
            "BREAKGLASS_CLOUD",
            self.cloud_profile().display().to_string(),
        );
        env.set_env("AZURE_TENANT_ID", operator.tenant_id.clone());
        env.set_env("AZURE_CLIENT_ID", operator.client_id.clone());
        env.set_env("AZURE_CLIENT_SECRET", operator.client_secret.clone());
    }
}

impl Drop for InProcessSimulator {
    fn drop(&mut self) {
        if let Some(simulator) = self.simulator.take() {
            self.runtime.block_on(simulator.shutdown());
        }
    }
}

/// Reads and changes the tenant directly through Graph with the operator's credentials, as an
/// administrator would in Graph Explorer, to set up or check what a command should find.
/// Blocking; a failed call fails the test.
pub struct TenantGraph {
    runtime: tokio::runtime::Runtime,
    graph: breakglass_entra::GraphClient,
}

impl TenantGraph {
    pub fn new(simulator: &InProcessSimulator) -> TenantGraph {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        TenantGraph {
            runtime,
            graph: simulator.operator_graph().graph,
        }
    }

    /// Every item at `path`, filtered by the OData `filter` unless it is empty.
    pub fn list(&self, path: &str, filter: &str) -> Vec<serde_json::Value> {
        let query = if filter.is_empty() {
            Query::new()
        } else {
            Query::new().filter(filter)
        };
        self.query(path, query)
    }

    /// Every item at `path` that `query` asks for.
    pub fn query(&self, path: &str, query: Query) -> Vec<serde_json::Value> {
        self.runtime
            .block_on(self.graph.list_all(V1, path, &query))
            .expect("list")
    }

    /// The first item at `path` that `filter` keeps.
    pub fn one(&self, path: &str, filter: &str) -> serde_json::Value {
        self.list(path, filter).into_iter().next().expect("found")
    }

    pub fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.runtime
            .block_on(self.graph.post_json(V1, path, &body))
            .expect("post")
    }

    /// A POST whose refusal the test expects: the status Graph answered, or the answer.
    pub fn try_post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, Option<u16>> {
        self.runtime
            .block_on(self.graph.post_json(V1, path, &body))
            .map_err(|err| err.status())
    }

    pub fn post_no_content(&self, path: &str, body: serde_json::Value) {
        self.runtime
            .block_on(self.graph.post_no_content(V1, path, Some(&body)))
            .expect("post")
    }

    pub fn patch(&self, path: &str, body: serde_json::Value) {
        self.runtime
            .block_on(self.graph.patch_json(V1, path, &body))
            .expect("patch")
    }

    pub fn delete(&self, path: &str) {
        self.runtime
            .block_on(self.graph.delete(V1, path))
            .expect("delete")
    }

    /// The app registrations tagged as breakglass's emergency app.
    pub fn emergency_apps(&self) -> Vec<serde_json::Value> {
        self.list(
            "applications",
            "tags/any(t:t eq 'breakglass:emergency-access')",
        )
    }

    pub fn emergency_app(&self) -> serde_json::Value {
        self.emergency_apps().into_iter().next().expect("found")
    }

    /// The service principal of the emergency app.
    pub fn emergency_sp(&self) -> serde_json::Value {
        let app_id = self.emergency_app()["appId"]
            .as_str()
            .expect("appId")
            .to_string();
        self.one("servicePrincipals", &format!("appId eq '{app_id}'"))
    }
}

/// `init` in `env`, pointed at a fresh in-process simulator of `tenant_file` (the built-in
/// tenant when `None`); the KeePass password is in the environment so that a later `apply`
/// writes the vault without asking for it.
pub fn initialised(
    mut env: TestEnv,
    tenant_file: Option<&Path>,
    keepass_password: &str,
) -> (TestEnv, InProcessSimulator) {
    let simulator = InProcessSimulator::start(&env.root().join("sim"), tenant_file);
    simulator.configure(&mut env);
    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", keepass_password);
    env.run(["init"]).assert_success();
    (env, simulator)
}

/// The operator's app registration in a tenant description, for an `edited_default_tenant`
/// that gives the operator more or fewer rights.
pub fn operator_app(tenant: &mut serde_json::Value) -> &mut serde_json::Value {
    tenant["applications"]
        .as_array_mut()
        .and_then(|apps| apps.iter_mut().find(|app| app["operator"] == true))
        .expect("the operator app")
}

/// The application permissions of the operator's app in a tenant description.
pub fn operator_permissions(tenant: &mut serde_json::Value) -> &mut Vec<serde_json::Value> {
    operator_app(tenant)["applicationPermissions"]
        .as_array_mut()
        .expect("applicationPermissions")
}

/// A PATCH body for a Conditional Access policy that sets one list of one condition (say
/// `users` and `excludeGroups`) and sends the rest of that condition as read, as a careful
/// administrator's tool does: Graph is not documented to merge objects below `conditions`, and
/// the simulator replaces them whole.
pub fn policy_list_patch(
    policy: &serde_json::Value,
    condition: &str,
    list: &str,
    ids: serde_json::Value,
) -> serde_json::Value {
    let mut object = policy["conditions"][condition].clone();
    if !object.is_object() {
        object = serde_json::json!({});
    }
    object[list] = ids;
    serde_json::json!({"conditions": {condition: object}})
}

/// Runs `apply --yes` and kills it while the simulator holds the answer to the n-th change
/// matching `method` (any change when `None`) and `prefix`. False when apply finished before that change.
pub fn kill_apply_at(
    env: &TestEnv,
    simulator: &InProcessSimulator,
    method: Option<&str>,
    prefix: &str,
    n: u32,
) -> bool {
    simulator.set_faults(vec![breakglass_sim::FaultRule {
        method: method.map(str::to_string),
        path_prefix: Some(prefix.into()),
        hold_nth_change: Some(n),
        ..breakglass_sim::FaultRule::default()
    }]);
    let mut child = env.spawn_quiet(["apply", "--yes", "--quiet"]);
    let started = std::time::Instant::now();
    let killed = loop {
        if simulator.held_answers() > 0 {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            break true;
        }
        if let Some(status) = child.try_wait().expect("poll") {
            assert!(
                status.success(),
                "apply failed on its own before {method:?} {prefix} #{n}"
            );
            break false;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "apply neither finished nor reached {method:?} {prefix} #{n}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    simulator.set_faults(Vec::new());
    killed
}

/// Each emergency user in the tenant with the password and Temporary Access Pass KeePass
/// holds for it (`None` when it holds none).
pub fn emergency_user_secrets(
    env: &TestEnv,
    simulator: &InProcessSimulator,
    keepass_password: &str,
) -> Vec<(String, Option<String>, Option<String>)> {
    use breakglass_store::secrecy::{ExposeSecret as _, SecretString};
    let store = breakglass_store::KeePassStore::open(
        &env.root().join("breakglass.kdbx"),
        &SecretString::from(keepass_password.to_string()),
    )
    .expect("open the KeePass database");
    TenantGraph::new(simulator)
        .list("users", "employeeType eq 'breakglass:emergency-access'")
        .iter()
        .map(|user| {
            let upn = user["userPrincipalName"].as_str().expect("upn").to_string();
            let secrets = store.account_secrets(user["id"].as_str().expect("id"));
            (
                upn,
                secrets
                    .as_ref()
                    .map(|(password, _)| password.expose_secret().to_string()),
                secrets
                    .and_then(|(_, pass)| pass)
                    .map(|p| p.expose_secret().to_string()),
            )
        })
        .collect()
}

/// The built-in tenant description with `edit` applied, written to `name` under the root.
pub fn edited_default_tenant(
    env: &TestEnv,
    name: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> PathBuf {
    let mut tenant: serde_json::Value =
        serde_json::from_str(breakglass_sim::DEFAULT_TENANT).expect("the default tenant is JSON");
    edit(&mut tenant);
    env.write_file(
        name,
        &serde_json::to_string_pretty(&tenant).expect("encode"),
    )
}

/// After provisioning, the seeded operator gives up the Graph permissions that reach the
/// emergency app (AppRoleAssignment.ReadWrite.All last, since it is what removes them), as
/// a tenant that audits with a read-only operator would.
pub fn give_up_reaching_permissions(simulator: &InProcessSimulator) {
    let admin = TenantGraph::new(simulator);
    let operator = admin.one(
        "servicePrincipals",
        &format!("appId eq '{}'", simulator.operator().client_id),
    );
    let operator_id = operator["id"].as_str().unwrap().to_string();
    let grants = admin.list(
        &format!("servicePrincipals/{operator_id}/appRoleAssignments"),
        "",
    );
    let mut order: Vec<(&str, String)> = Vec::new();
    for (role, name) in breakglass_core::audit::PERMISSION_IDS {
        if let Some(g) = grants.iter().find(|g| g["appRoleId"] == *role) {
            order.push((name, g["id"].as_str().unwrap().to_string()));
        }
    }
    order.sort_by_key(|(name, _)| *name == "AppRoleAssignment.ReadWrite.All");
    assert_eq!(order.len(), 4, "{grants:#?}");
    for (_, id) in order {
        admin.delete(&format!(
            "servicePrincipals/{operator_id}/appRoleAssignments/{id}"
        ));
    }
}
