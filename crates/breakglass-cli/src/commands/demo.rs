//! `breakglass demo`: a rehearsal of emergency access against a local simulated tenant.
//!
//! The demo starts the tenant simulator in-process, then runs the very code paths of
//! `--cloud PATH`, `whoami`, `tenant show` and `admins list`. The only thing that
//! differs from a real tenant is the cloud profile it points at.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Instant;

use breakglass_core::TenantId;
use breakglass_sim::{RunningSimulator, SimOptions};
use secrecy::SecretString;
use serde::Serialize;

use crate::commands::apply::apply_prepared;
use crate::commands::credential::rotate::{describe_added, describe_removed};
use crate::commands::plan::PlanReport;
use crate::context::CommandHelper;
use crate::error::{CommandError, internal_error};
use crate::output::Report;
use crate::provision::ConfigArgs;
use crate::session::{Operator, Session};
use crate::ui::{OutputFormat, Ui};
use breakglass_core::config::STARTER;
use breakglass_ops::cloud;
use breakglass_ops::directory::Identity;
use breakglass_ops::provision::apply::{TenantFacts, default_replication};
use breakglass_ops::provision::prepare::prepare as prepare_signed_in;
use breakglass_ops::provision::rotate::CredentialOps;
use breakglass_ops::provision::vault::{KeePassPassword, LocalVault};
use breakglass_store::{Overwrite, write_secret_file};

/// Shows, step by step, how breakglass gets you back into a tenant, against a
/// local simulated tenant (nothing leaves this machine).
///
/// The demo starts the tenant simulator on a free port in a temporary folder,
/// points breakglass at it with a cloud profile, signs in as the emergency-access
/// app with its client secret, reads the tenant and lists who holds admin roles.
/// It uses the same code as `whoami`, `tenant show` and `admins list`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Keep the simulator's state in this folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// One step of the demo, as recorded for `--output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    number: usize,
    title: &'static str,
    why: &'static str,
    elapsed_ms: u128,
    result: serde_json::Value,
}

/// The whole demo for `--output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DemoRecord {
    simulator: String,
    state_dir: String,
    steps: Vec<Step>,
    ok: bool,
}

const STEPS: usize = 16;

/// Prints steps as they happen (human) or records them (JSON).
struct Narrator<'a> {
    ui: &'a Ui,
    steps: Vec<Step>,
}

impl Narrator<'_> {
    fn human(&self) -> bool {
        self.ui.output() == OutputFormat::Human
    }

    fn begin(&self, number: usize, title: &str, why: &str) -> Result<Instant, CommandError> {
        if self.human() {
            let (on, off) = if self.ui.stdout_color() {
                ("\x1b[1m", "\x1b[0m")
            } else {
                ("", "")
            };
            let mut text = format!("{on}Step {number}/{STEPS}  {title}{off}\n");
            for line in wrap(why, 76) {
                text.push_str(&format!("  {line}\n"));
            }
            self.ui.write_stdout(&text)?;
        }
        Ok(Instant::now())
    }

    fn finish<R: Serialize>(
        &mut self,
        number: usize,
        title: &'static str,
        why: &'static str,
        started: Instant,
        human: String,
        result: &R,
    ) -> Result<(), CommandError> {
        if self.human() {
            self.ui.write_stdout(&format!("{}\n", indent(&human)))?;
        }
        let result = serde_json::to_value(result)
            .map_err(|err| internal_error(format!("cannot record the demo step: {err}")))?;
        self.steps.push(Step {
            number,
            title,
            why,
            elapsed_ms: started.elapsed().as_millis(),
            result,
        });
        Ok(())
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Wraps prose at `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

pub async fn cmd_demo(helper: &CommandHelper, args: &DemoArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    // The folder is kept: the demo's KeePass file and recovery sheets are in it, to look at.
    let state_dir: PathBuf = match &args.state_dir {
        Some(dir) => dir.clone(),
        None => tempfile::Builder::new()
            .prefix("breakglass-demo-")
            .tempdir()
            .map_err(|err| internal_error(format!("cannot create a temporary folder: {err}")))?
            .keep(),
    };
    let state_dir: &Path = &state_dir;
    let mut narrator = Narrator {
        ui,
        steps: Vec::new(),
    };
    if narrator.human() {
        ui.write_stdout(
            "breakglass demo: rehearsing emergency access to an Entra ID tenant, against a local\nsimulated tenant. Nothing here talks to Microsoft.\n\n",
        )?;
    }

    // Step 1: the simulator.
    let title = "Start a simulated tenant";
    let why = "A local HTTPS server plays Microsoft Entra ID (identity platform v2.0) and \
               Microsoft Graph v1.0 for a made-up tenant. It has its own certificate authority, \
               so the connection is real TLS, and it seeds an emergency-access app whose \
               credentials it writes to operator.env.";
    let started = narrator.begin(1, title, why)?;
    let simulator = {
        let _spinner = ui.spinner("starting the tenant simulator…");
        RunningSimulator::start(SimOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            state_dir: state_dir.join("tenant"),
            tenant_file: None,
        })
        .await?
    };
    let url = simulator
        .base_url()
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let started_info = serde_json::json!({
        "url": url,
        "stateDir": state_dir.display().to_string(),
        "operatorEnv": simulator.operator_env_path().display().to_string(),
    });
    narrator.finish(
        1,
        title,
        why,
        started,
        format!("→ listening on {url}\n→ state in {}", state_dir.display()),
        &started_info,
    )?;

    let mut outcome = run_steps(helper, &mut narrator, &simulator, state_dir).await;
    if outcome.is_ok() {
        outcome = emergency_steps(&mut narrator, &simulator, state_dir).await;
    }
    simulator.shutdown().await;
    outcome?;

    if narrator.human() {
        ui.write_stdout(&format!(
            "Done. breakglass signed in as the operator, read the tenant, provisioned the emergency\n\
             access app, its credentials, two emergency users and the exclusion group, rotated the\n\
             secret, showed that a second apply has nothing to do, broke glass with the rotating\n\
             secret, saw the alert for that sign-in arrive at a webhook, ran a command with it, leased\n\
             a temporary administrator until sweep removed it, recorded a drill, and audited who\n\
             could take the emergency access over. The simulator is stopped.\n\n\
             Look at what it made in {dir}/workspace: breakglass.toml, breakglass.kdbx (its password\n\
             is in keepass-password.txt) and recovery-sheets/ (the offline certificate's 3-of-5\n\
             share sheets). Remove the folder with: rm -r {dir}\n\n\
             Against your own tenant, run the same commands with the Azure SDK environment:\n\
             \x20 export AZURE_TENANT_ID=… AZURE_CLIENT_ID=… AZURE_CLIENT_SECRET=…   # or AZURE_CLIENT_CERTIFICATE_PATH\n\
             \x20 breakglass init && breakglass plan && breakglass apply\n",
            dir = state_dir.display()
        ))?;
    } else {
        let record = DemoRecord {
            simulator: url,
            state_dir: state_dir.display().to_string(),
            steps: narrator.steps,
            ok: true,
        };
        let text = serde_json::to_string_pretty(&record)
            .map_err(|err| internal_error(format!("cannot encode JSON output: {err}")))?;
        ui.write_stdout(&text)?;
    }
    Ok(())
}

async fn run_steps(
    helper: &CommandHelper,
    narrator: &mut Narrator<'_>,
    simulator: &RunningSimulator,
    state_dir: &Path,
) -> Result<(), CommandError> {
    let ui = helper.ui();

    // Step 2: the cloud profile, resolved exactly as `--cloud PATH` is.
    let title = "Point breakglass at it with a cloud profile";
    let why = "breakglass finds the token endpoint and Microsoft Graph through a cloud profile: \
               built in for the public, US Government and China clouds, or a JSON file. The \
               simulator wrote cloud.json; it names its endpoints and the only CA to trust.";
    let started = narrator.begin(2, title, why)?;
    let profile_path = simulator.cloud_profile_path().display().to_string();
    let cloud = cloud::resolve(Some(&profile_path), None)?;
    let profile_info = serde_json::json!({
        "profile": profile_path,
        "authorityHost": cloud.profile.authority_host.as_str().trim_end_matches('/'),
        "graphEndpoint": cloud.profile.graph_endpoint.as_str().trim_end_matches('/'),
        "caCertificate": cloud.profile.ca_certificate.as_ref().map(|path| path.display().to_string()),
    });
    narrator.finish(
        2,
        title,
        why,
        started,
        format!(
            "→ breakglass --cloud {profile_path}\n→ token endpoint {}\n→ Graph {}",
            cloud
                .profile
                .token_endpoint(&simulator.operator().tenant_id),
            cloud
                .profile
                .graph_base(breakglass_core::cloud::GraphVersion::V1)
        ),
        &profile_info,
    )?;

    // Step 3: sign in as the operator app, as `whoami` does.
    let title = "Sign in as the operator";
    let why = "The operator who provisions is an automation app registration that signs in as \
               itself with the client credentials grant (a secret here; a certificate is better). \
               The token's claims show the tenant, the Graph permissions and the directory roles \
               it holds: Privileged Role Administrator, enough to assign Global Administrator.";
    let started = narrator.begin(3, title, why)?;
    let credentials = simulator.operator();
    let operator = Operator::Secret {
        tenant: credentials.tenant_id.parse::<TenantId>()?,
        client_id: credentials.client_id.clone(),
        secret: SecretString::from(credentials.client_secret.clone()),
    };
    let session =
        breakglass_ops::session::sign_in(ui, cloud, &operator, helper.http_options()).await?;
    let identity = Identity::from_session(&session)?;
    narrator.finish(3, title, why, started, identity.human(ui), &identity)?;

    // Step 4: read the tenant, as `tenant show` does.
    let title = "Read the tenant";
    let why = "With the token, breakglass calls GET /v1.0/organization: the directory id, \
               its name and the verified domains. If this works, the way in works.";
    let started = narrator.begin(4, title, why)?;
    let tenant = {
        let _spinner = ui.spinner("reading the organization…");
        breakglass_ops::directory::read_organization(&session.graph).await?
    };
    narrator.finish(4, title, why, started, tenant.human(ui), &tenant)?;

    // Step 5: list the admins, as `admins list` does.
    let title = "List who holds admin roles";
    let why = "GET /v1.0/roleManagement/directory/roleAssignments?$expand=principal, with role \
               names from roleDefinitions: who could lock you out, and who could let you back in. \
               Privileged roles are marked with *.";
    let started = narrator.begin(5, title, why)?;
    let admins = {
        let _spinner = ui.spinner("reading directory role assignments…");
        breakglass_ops::directory::read_admins(&session.graph).await?
    };
    narrator.finish(5, title, why, started, admins.human(ui), &admins)?;

    provision_steps(ui, narrator, session, state_dir).await
}

async fn provision_steps(
    ui: &Ui,
    narrator: &mut Narrator<'_>,
    session: Session,
    state_dir: &Path,
) -> Result<(), CommandError> {
    // Step 6: the declaration, as `breakglass init` writes it.
    let title = "Declare the emergency access identities";
    let why = "breakglass.toml declares one emergency app with Global Administrator, an offline \
               certificate split into 3-of-5 Shamir shares, a rotating secret kept in KeePass, \
               two cloud-only emergency users and a role-assignable group that Conditional \
               Access policies exclude. The KeePass password would come from a prompt; the demo \
               makes one up and keeps it in a 0600 file.";
    let started = narrator.begin(6, title, why)?;
    let folder = state_dir.join("workspace");
    std::fs::create_dir_all(&folder)
        .map_err(|e| internal_error(format!("cannot create {}: {e}", folder.display())))?;
    let config_path = folder.join("breakglass.toml");
    if !config_path.exists() {
        std::fs::write(&config_path, STARTER)
            .map_err(|e| internal_error(format!("cannot write {}: {e}", config_path.display())))?;
    }
    let password_file = folder.join("keepass-password.txt");
    let password = match std::fs::read_to_string(&password_file) {
        Ok(text) => text.trim().to_string(),
        Err(_) => {
            let made = secrecy::ExposeSecret::expose_secret(&breakglass_ops::random::password())
                .to_string();
            write_secret_file(
                &password_file,
                format!("{made}\n").as_bytes(),
                Overwrite::Refuse,
            )
            .map_err(|e| internal_error(e.to_string()))?;
            made
        }
    };
    let config_args = ConfigArgs {
        config: config_path.clone(),
        keepass_password_file: Some(password_file.clone()),
    };
    let declared = serde_json::json!({"config": config_path.display().to_string(), "keepassPasswordFile": password_file.display().to_string()});
    narrator.finish(
        6,
        title,
        why,
        started,
        format!("→ breakglass init   (wrote {})", config_path.display()),
        &declared,
    )?;

    // Step 7: the plan.
    let title = "Plan";
    let why = "breakglass reads the tenant, finds nothing carrying its markers, and lists what it \
               would create, in order. `breakglass plan` changes nothing.";
    let started = narrator.begin(7, title, why)?;
    let secret = SecretString::from(password);
    let prepared = prepare_signed_in(
        ui,
        session.clone(),
        config_args.workspace()?,
        KeePassPassword::Given(secret.clone()),
        false,
    )
    .await?;
    let report = PlanReport::new(prepared.facts.tenant_id.clone(), &prepared.plan);
    narrator.finish(7, title, why, started, report.human(ui), &report)?;

    // Step 8: apply.
    let title = "Apply";
    let why = "Each change is made and reported; each credential goes to its store as soon as \
               it exists, so an interrupted apply never leaves a credential that no store holds. \
               The certificate's private key is made here and never leaves this machine except \
               on the share sheets.";
    let started = narrator.begin(8, title, why)?;
    let applied = apply_prepared(ui, prepared, true).await?;
    narrator.finish(
        8,
        title,
        why,
        started,
        format!(
            "{}→ stores: {}/breakglass.kdbx and {}/recovery-sheets/",
            applied.human(ui),
            folder.display(),
            folder.display()
        ),
        &applied,
    )?;

    // Step 9: rotate the secret, as `breakglass credential rotate rotating` does.
    let title = "Rotate the rotating secret";
    let why = "A new secret is added, proven (a token with it and a Graph call), written to \
               KeePass, and only then is the old one removed: the store never lacks a working \
               credential.";
    let started = narrator.begin(9, title, why)?;
    let workspace = config_args.workspace()?;
    let mut vault = LocalVault::new(
        &workspace.config,
        &workspace.base,
        KeePassPassword::Given(secret.clone()),
    );
    let claims = session.token.claims()?;
    let tenant_id = claims.tid.clone().unwrap_or_default();
    let facts = TenantFacts {
        tenant_id: tenant_id.clone(),
        initial_domain: String::new(),
        authority_host: session
            .cloud
            .profile
            .authority_host
            .as_str()
            .trim_end_matches('/')
            .to_string(),
        cloud_name: session.cloud.profile.name.clone(),
    };
    let mut progress = |_: String| {};
    let rotated = CredentialOps {
        graph: &session.graph,
        http: session.graph.http(),
        profile: &session.cloud.profile,
        tenant: tenant_id.parse::<TenantId>()?,
        config: &workspace.config,
        facts: &facts,
        vault: &mut vault,
        replication: default_replication(),
        proof_budget: std::time::Duration::from_secs(60),
        progress: &mut progress,
    }
    .rotate("rotating")
    .await?;
    let human = format!(
        "{}{}",
        describe_added(&rotated.added),
        describe_removed("removed old", &rotated.removed)
    );
    narrator.finish(9, title, why, started, human, &rotated)?;

    // Step 10: apply again.
    let title = "Apply again";
    let why = "The tenant now matches the declaration, so a second apply has nothing to do. Run \
               `breakglass plan --detailed-exitcode` on a schedule to learn of drift.";
    let started = narrator.begin(10, title, why)?;
    let prepared = prepare_signed_in(
        ui,
        session,
        config_args.workspace()?,
        KeePassPassword::Given(secret),
        false,
    )
    .await?;
    let again = apply_prepared(ui, prepared, true).await?;
    narrator.finish(10, title, why, started, again.human(ui), &again)?;
    Ok(())
}

/// Runs this very binary with `args`, as a person would type them, in a clean environment
/// pointed at the demo's simulator. The demo shows what the real commands print.
fn run_self(args: &[&str], env: &[(&str, String)]) -> Result<std::process::Output, CommandError> {
    let program = std::env::current_exe()
        .map_err(|e| internal_error(format!("cannot find the breakglass binary: {e}")))?;
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100");
    for name in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command
        .output()
        .map_err(|e| internal_error(format!("cannot run breakglass {}: {e}", args.join(" "))))
}

fn stdout_of(output: &std::process::Output, what: &str) -> Result<String, CommandError> {
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(CommandError::new(
            crate::error::ErrorKind::Service,
            format!(
                "the demo's `{what}` failed: {}",
                stderr
                    .lines()
                    .find(|l| l.starts_with("error:"))
                    .unwrap_or("no error line")
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).to_string())
}

/// The claims of a JWT that matter for the demo; the token itself is never shown.
fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    token
        .split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .unwrap_or(serde_json::Value::Null)
}

async fn emergency_steps(
    narrator: &mut Narrator<'_>,
    simulator: &RunningSimulator,
    state_dir: &Path,
) -> Result<(), CommandError> {
    let folder = state_dir.join("workspace");
    let config = folder.join("breakglass.toml").display().to_string();
    let password_file = folder.join("keepass-password.txt").display().to_string();
    let operator = simulator.operator();
    let env = vec![
        (
            "BREAKGLASS_CLOUD",
            simulator.cloud_profile_path().display().to_string(),
        ),
        ("AZURE_TENANT_ID", operator.tenant_id.clone()),
        ("AZURE_CLIENT_ID", operator.client_id.clone()),
        ("AZURE_CLIENT_SECRET", operator.client_secret.clone()),
        (
            "BREAKGLASS_STATE_DIR",
            state_dir.join("operator-state").display().to_string(),
        ),
    ];
    let from_keepass = [
        "--credential",
        "rotating",
        "--config",
        config.as_str(),
        "--keepass-password-file",
        password_file.as_str(),
    ];

    // Step 11: break glass.
    let title = "Break glass: a token with the rotating secret";
    let why = "On the worst day, the rotating secret comes out of KeePass and buys a Microsoft \
               Graph token as the emergency app, which holds Global Administrator. `breakglass \
               token` prints only the token (or az's JSON); the demo shows its claims instead.";
    let started = narrator.begin(11, title, why)?;
    let mut args = vec!["token", "--output", "json"];
    args.extend_from_slice(&from_keepass);
    let printed = stdout_of(
        &run_self(&args, &env)?,
        "breakglass token --credential rotating",
    )?;
    let answer: serde_json::Value =
        serde_json::from_str(&printed).map_err(|e| internal_error(format!("token output: {e}")))?;
    let claims = claims_of(answer["accessToken"].as_str().unwrap_or_default());
    let shown = serde_json::json!({
        "appid": claims["appid"],
        "wids": claims["wids"],
        "tenant": answer["tenant"],
        "expiresOn": answer["expiresOn"],
    });
    let holds_global_admin = claims["wids"].as_array().is_some_and(|w| {
        w.iter()
            .any(|id| id == "62e90394-69f5-4237-9190-012177145e10")
    });
    narrator.finish(
        11,
        title,
        why,
        started,
        format!(
            "→ breakglass token --credential rotating\n→ a token for app {} in tenant {}, valid until {}\n→ Global Administrator in its wids: {}",
            shown["appid"].as_str().unwrap_or("?"),
            shown["tenant"].as_str().unwrap_or("?"),
            shown["expiresOn"].as_str().unwrap_or("?"),
            if holds_global_admin { "yes" } else { "no" }
        ),
        &shown,
    )?;

    // Step 12: the alert rules, and the watcher delivering the sign-in just made.
    let title = "Monitoring: the rules, and the alert arriving";
    let why = "`breakglass monitor rules` writes the detections (KQL here; also Sentinel, ARM and \
               Bicep) with the tenant's real ids. Where no Sentinel runs, `breakglass watch` polls \
               the sign-in and audit logs and sends each event to a webhook, signed with \
               HMAC-SHA256. The demo runs a small webhook receiver and one `watch --once`: the \
               sign-in with the rotating secret arrives, labelled and rated high.";
    let started = narrator.begin(12, title, why)?;
    let identities = folder.join("identities.json").display().to_string();
    let rules = folder.join("rules").display().to_string();
    let mut args = vec![
        "monitor",
        "identities",
        "--out",
        identities.as_str(),
        "--config",
        config.as_str(),
        "--keepass-password-file",
        password_file.as_str(),
    ];
    stdout_of(&run_self(&args, &env)?, "breakglass monitor identities")?;
    args = vec![
        "monitor",
        "rules",
        "--format",
        "kql",
        "--identities",
        identities.as_str(),
        "--out",
        rules.as_str(),
    ];
    stdout_of(
        &run_self(&args, &env)?,
        "breakglass monitor rules --format kql",
    )?;
    let mut rule_files: Vec<std::path::PathBuf> = std::fs::read_dir(&rules)
        .map_err(|e| internal_error(format!("cannot read {rules}: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    rule_files.sort();
    let shown_rule = rule_files
        .iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("sign"))
        })
        .or(rule_files.first())
        .cloned()
        .unwrap_or_default();
    let rule_text = std::fs::read_to_string(&shown_rule).unwrap_or_default();
    let (url, received) = webhook_receiver()?;
    let mut watch_env = env.clone();
    watch_env.push((
        "BREAKGLASS_WEBHOOK_SECRET",
        "demo-webhook-secret-0123456789".to_string(),
    ));
    let state = state_dir.join("watch-state.json").display().to_string();
    let watched = run_self(
        &[
            "watch",
            "--once",
            "--webhook",
            url.as_str(),
            "--identities",
            identities.as_str(),
            "--state",
            state.as_str(),
            "--config",
            config.as_str(),
            "--keepass-password-file",
            password_file.as_str(),
        ],
        &watch_env,
    )?;
    stdout_of(&watched, "breakglass watch --once")?;
    let notifications: Vec<serde_json::Value> = received
        .try_iter()
        .filter_map(|body| serde_json::from_slice(&body).ok())
        .collect();
    let sign_in = notifications
        .iter()
        .find(|n| n["credentialLabel"] == "rotating")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let result = serde_json::json!({"ruleFiles": rule_files.len(), "shownRule": shown_rule.display().to_string(), "notifications": notifications.len(), "signIn": sign_in});
    narrator.finish(
        12,
        title,
        why,
        started,
        format!(
            "→ breakglass monitor rules --format kql --out {rules}: {} detections; the first lines of {}:\n{}\n→ breakglass watch --once --webhook {url}: {} notification(s) delivered\n→ the sign-in: severity {}, credential {} ({}), \"{}\"",
            rule_files.len(),
            shown_rule.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
            rule_text.lines().take(8).map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n"),
            notifications.len(),
            sign_in["severity"].as_str().unwrap_or("?"),
            sign_in["credentialLabel"].as_str().unwrap_or("?"),
            sign_in["credentialKeyId"].as_str().unwrap_or("?"),
            sign_in["title"].as_str().unwrap_or("?"),
        ),
        &result,
    )?;

    // Step 12: a command run with it.
    let title = "Run a command with the emergency credential";
    let why = "`breakglass exec` hands the credential to any tool through the Azure SDK \
               environment (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or a 0600 \
               certificate file removed afterwards) plus a fresh Graph token. Here the tool is \
               breakglass itself reading the tenant, signed in as the emergency app.";
    let started = narrator.begin(13, title, why)?;
    let program = std::env::current_exe()
        .map_err(|e| internal_error(e.to_string()))?
        .display()
        .to_string();
    let mut args = vec!["exec"];
    args.extend_from_slice(&from_keepass);
    args.extend_from_slice(&["--", program.as_str(), "tenant", "show", "--output", "json"]);
    let printed = stdout_of(
        &run_self(&args, &env)?,
        "breakglass exec -- breakglass tenant show",
    )?;
    let tenant: serde_json::Value =
        serde_json::from_str(&printed).unwrap_or(serde_json::Value::Null);
    narrator.finish(
        13,
        title,
        why,
        started,
        format!("→ breakglass exec --credential rotating -- breakglass tenant show\n→ the child read the tenant \"{}\" ({})", tenant["displayName"].as_str().unwrap_or("?"), tenant["id"].as_str().unwrap_or("?")),
        &tenant,
    )?;

    // Step 13: a temporary administrator, its lease, and sweep.
    let title = "A temporary administrator with a time-to-live";
    let why = "`breakglass temp-user --ttl 5m` creates a cloud-only Global Administrator whose \
               expiry is written on the user itself, then counts down and removes it. With \
               --detach it returns at once and `breakglass sweep` (from cron) removes it when due. \
               The demo moves the simulator's clock six minutes on instead of waiting.";
    let started = narrator.begin(14, title, why)?;
    let created = stdout_of(
        &run_self(
            &["temp-user", "--ttl", "5m", "--detach", "--output", "json"],
            &env,
        )?,
        "breakglass temp-user --ttl 5m --detach",
    )?;
    // The first JSON document printed: the sign-in details, of which the demo shows no secret.
    let created: serde_json::Value = serde_json::Deserializer::from_str(&created)
        .into_iter::<serde_json::Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or(serde_json::Value::Null);
    let upn = created["userPrincipalName"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    let expires = created["expires"].as_str().unwrap_or("?").to_string();
    let before = stdout_of(
        &run_self(&["temp-user", "list", "--output", "json"], &env)?,
        "breakglass temp-user list",
    )?;
    let before: serde_json::Value =
        serde_json::from_str(&before).unwrap_or(serde_json::Value::Null);
    simulator.advance_clock(6 * 60);
    let swept = stdout_of(
        &run_self(&["sweep", "--output", "json"], &env)?,
        "breakglass sweep",
    )?;
    let swept: serde_json::Value = serde_json::from_str(&swept).unwrap_or(serde_json::Value::Null);
    let after = stdout_of(
        &run_self(&["temp-user", "list", "--output", "json"], &env)?,
        "breakglass temp-user list",
    )?;
    let after: serde_json::Value = serde_json::from_str(&after).unwrap_or(serde_json::Value::Null);
    let count = |v: &serde_json::Value| {
        v.as_array()
            .map(Vec::len)
            .or_else(|| v.get("leases").and_then(|l| l.as_array()).map(Vec::len))
            .unwrap_or(0)
    };
    let result = serde_json::json!({"userPrincipalName": upn, "expires": expires, "leasesBefore": count(&before), "swept": swept, "leasesAfter": count(&after)});
    narrator.finish(
        14,
        title,
        why,
        started,
        format!(
            "→ breakglass temp-user --ttl 5m --detach: {upn}, expires {expires} (its password is shown once to whoever runs it; not here)\n→ breakglass temp-user list: {} active lease(s)\n→ six minutes later, breakglass sweep removed it: role, sessions, user, deleted item\n→ breakglass temp-user list: {} active lease(s)",
            count(&before),
            count(&after)
        ),
        &result,
    )?;

    // Step 14: a drill, recorded.
    let title = "Drill: prove every credential and record it";
    let why = "Microsoft asks for the emergency access to be validated at least every 90 days. \
               `breakglass drill` proves each credential (token, Graph read, Global Administrator, \
               expiry, and its sign-in in the service principal sign-in logs where the alert \
               fires) and checks the emergency users; three custodians bring their shares for the \
               offline certificate. The record (JSON and Markdown, no secrets) says when the next \
               drill is due.";
    let started = narrator.begin(15, title, why)?;
    let sheets = folder.join("recovery-sheets");
    let mut shares: Vec<String> = std::fs::read_dir(&sheets)
        .map_err(|e| internal_error(format!("cannot read {}: {e}", sheets.display())))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| p.display().to_string())
        .collect();
    shares.sort();
    shares.truncate(3);
    let shares = format!("offline={}", shares.join(","));
    let records = folder.join("drills").display().to_string();
    let output = run_self(
        &[
            "drill",
            "--config",
            config.as_str(),
            "--keepass-password-file",
            password_file.as_str(),
            "--shares",
            shares.as_str(),
            "--log-wait",
            "30s",
            "--out",
            records.as_str(),
        ],
        &env,
    )?;
    let human = String::from_utf8_lossy(&output.stdout).to_string();
    if !matches!(output.status.code(), Some(0) | Some(8)) {
        return Err(CommandError::new(
            crate::error::ErrorKind::Service,
            "the demo's drill could not run".to_string(),
        ));
    }
    let result = serde_json::json!({"exitCode": output.status.code(), "records": records});
    narrator.finish(
        15,
        title,
        why,
        started,
        format!("{human}→ records in {records}"),
        &result,
    )?;

    // Step 16: who could take the emergency access over.
    let title = "Audit: every way someone could take the emergency access over";
    let why = "Whoever can add a credential to the emergency app is Global Administrator. \
               `breakglass audit` reads the tenant (nothing is changed) and lists owners, \
               credentials breakglass did not make, roles and Graph permissions that reach the \
               app, Conditional Access for workload identities, and the emergency users' \
               posture against Microsoft's guidance. The simulated tenant has a few findings on \
               purpose: the operator that provisioned everything is itself one.";
    let started = narrator.begin(16, title, why)?;
    let output = run_self(
        &[
            "audit",
            "--config",
            config.as_str(),
            "--keepass-password-file",
            password_file.as_str(),
            "--drills",
            records.as_str(),
            "--fail-on",
            "never",
            "--output",
            "json",
        ],
        &env,
    )?;
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&output, "breakglass audit")?)
        .map_err(|e| internal_error(format!("the demo's audit printed no JSON report: {e}")))?;
    narrator.finish(16, title, why, started, audit_summary(&report), &report)?;
    Ok(())
}

/// The audit's counts and its findings from high up, one line each.
fn audit_summary(report: &serde_json::Value) -> String {
    let count = |key: &str| report["counts"][key].as_u64().unwrap_or(0);
    let mut text = format!(
        "→ breakglass audit: {} critical, {} high, {} medium, {} low, {} info; {} passed\n",
        count("critical"),
        count("high"),
        count("medium"),
        count("low"),
        count("info"),
        count("passed")
    );
    for finding in report["findings"].as_array().into_iter().flatten() {
        let severity = finding["severity"].as_str().unwrap_or_default();
        if finding["status"] == "finding" && matches!(severity, "critical" | "high") {
            text.push_str(&format!(
                "  {:<8} {}: {}\n",
                severity.to_uppercase(),
                finding["check"].as_str().unwrap_or("?"),
                finding["summary"].as_str().unwrap_or("?")
            ));
        }
    }
    text.push_str("→ the whole table, with evidence and hints: breakglass audit\n");
    text
}

/// A loopback HTTP receiver that answers 200 to every request and hands over the bodies.
fn webhook_receiver() -> Result<(String, std::sync::mpsc::Receiver<Vec<u8>>), CommandError> {
    use std::io::{BufRead as _, Read as _, Write as _};
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| internal_error(format!("cannot listen for the demo webhook: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| internal_error(e.to_string()))?
        .port();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let sender = sender.clone();
            std::thread::spawn(move || {
                let Ok(mut writer) = stream.try_clone() else {
                    return;
                };
                let mut reader = std::io::BufReader::new(stream);
                // One connection may carry several requests (keep-alive).
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let trimmed = line.trim_end();
                        if trimmed.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = trimmed.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let _ = sender.send(body);
                    if writer
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok((format!("http://127.0.0.1:{port}/alerts"), receiver))
}
