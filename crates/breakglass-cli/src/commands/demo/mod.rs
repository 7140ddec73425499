//! `breakglass demo`: a rehearsal of emergency access against a local simulated tenant.
//!
//! The demo starts the tenant simulator in-process, then runs the very code paths of
//! `--cloud PATH`, `whoami`, `tenant show` and `admins list`. The only thing that
//! differs from a real tenant is the cloud profile it points at.

mod emergency;
mod hardware;
mod narrator;
mod provision;
mod scene;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use breakglass_core::TenantId;
use breakglass_ops::cloud;
use breakglass_ops::directory::Identity;
use breakglass_sim::{RunningSimulator, SimOptions};
use secrecy::SecretString;

use crate::context::CommandHelper;
use crate::error::{CommandError, internal_error};
use crate::output::Report;
use crate::session::Operator;

use emergency::emergency_steps;
use narrator::{DemoRecord, Narrator};
use provision::provision_steps;
use scene::Scene;

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
        outcome = emergency_steps(&mut narrator, &Scene::new(&simulator, state_dir)).await;
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
             \x20 breakglass init && breakglass plan && breakglass apply\n\n\
             Looking after several tenants? List them in a tenants file (`breakglass init --tenants\n\
             tenants.toml`: each tenant's id, cloud, breakglass.toml and where its operator secret\n\
             is) and audit, plan, apply or drill them all at once, a summary row per tenant:\n\
             \x20 breakglass --tenants tenants.toml audit\n",
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
