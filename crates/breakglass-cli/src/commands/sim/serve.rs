//! `breakglass sim serve`: run the tenant simulator until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use breakglass_sim::{RunningSimulator, SimOptions};
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::Report;
use crate::signals::{Signal, Signals};
use crate::ui::{OutputFormat, Ui};

/// Starts a local HTTPS simulator of an Entra ID tenant and Microsoft Graph.
///
/// The simulator writes into the state directory: `cloud.json` (a cloud profile
/// for `--cloud`), `operator.env` (AZURE_TENANT_ID, AZURE_CLIENT_ID and
/// AZURE_CLIENT_SECRET of a seeded emergency-access app, mode 0600) and `ca.pem`
/// (the simulator's own CA, trusted only through the profile). Once it is ready it
/// prints `breakglass simulator listening on https://ADDRESS` on stdout, then
/// serves until Ctrl-C or SIGTERM.
///
/// Then, in a second shell: `set -a; . DIR/operator.env; set +a` and
/// `breakglass --cloud DIR/cloud.json admins list`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed once ready).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,

    /// Directory for the simulator's state, CA, cloud.json and operator.env.
    /// Created when missing; an existing state is reused.
    #[arg(long, value_name = "DIR")]
    pub state_dir: PathBuf,

    /// A JSON file describing the tenant to seed (users, apps, role assignments)
    /// instead of the built-in example tenant.
    #[arg(long = "tenant", value_name = "FILE")]
    pub tenant_file: Option<PathBuf>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listening {
    url: String,
    address: String,
    cloud_profile: String,
    operator_env: String,
    ca_certificate: String,
    tenant_id: String,
}

impl Report for Listening {
    fn human(&self, _ui: &Ui) -> String {
        format!(
            "breakglass simulator listening on {}\ncloud profile:     {}\noperator env:      {}\nCA certificate:    {}\n",
            self.url, self.cloud_profile, self.operator_env, self.ca_certificate
        )
    }
}

pub async fn cmd_serve(helper: &CommandHelper, args: &ServeArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    // Handlers go in before the address is announced: a supervisor that reads the
    // address and sends SIGTERM at once must get a clean stop, not the default kill.
    let mut signals = Signals::new()?;
    let spinner = ui.spinner("starting the tenant simulator…");
    let simulator = RunningSimulator::start(SimOptions {
        listen: args.listen,
        state_dir: args.state_dir.clone(),
        tenant_file: args.tenant_file.clone(),
    })
    .await?;
    drop(spinner);

    let url = simulator
        .base_url()
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let listening = Listening {
        url,
        address: simulator.address().to_string(),
        cloud_profile: simulator.cloud_profile_path().display().to_string(),
        operator_env: simulator.operator_env_path().display().to_string(),
        ca_certificate: simulator.ca_certificate_path().display().to_string(),
        tenant_id: simulator.operator().tenant_id.to_string(),
    };
    if ui.output() == OutputFormat::Json {
        // One line, so a script can read it before the server stops.
        let line = serde_json::to_string(&listening).map_err(|err| {
            crate::error::internal_error(format!("cannot encode JSON output: {err}"))
        })?;
        ui.write_stdout(&line)?;
    } else {
        ui.emit(&listening)?;
    }
    ui.hint(format!(
        "in another shell: `set -a; . {}; set +a; breakglass --cloud {} admins list`",
        listening.operator_env, listening.cloud_profile
    ));
    ui.status("press Ctrl-C to stop.");

    let signal = match signals.next().await {
        Signal::Interrupt => "interrupted",
        Signal::Terminate => "terminated",
    };
    ui.status(format!("{signal}: stopping the simulator…"));
    simulator.shutdown().await;
    ui.status("simulator stopped.");
    Ok(())
}
