//! `breakglass cloud list` and `breakglass cloud show`.

use breakglass_core::{CloudProfile, KnownCloud};
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::output::{Report, key_value_table, table};
use crate::ui::Ui;
use breakglass_ops::cloud::{CloudSource, ResolvedCloud};

/// Shows the clouds breakglass can talk to and the profile in use.
#[derive(Debug, clap::Subcommand)]
pub enum CloudCommand {
    /// Lists the built-in clouds and their endpoints.
    ///
    /// A custom cloud (a sovereign cloud not built in, or the simulator) is a JSON
    /// profile file given with `--cloud PATH`.
    List,
    /// Shows the cloud profile in use after `--cloud` and AZURE_AUTHORITY_HOST.
    Show,
}

pub fn cmd_cloud(helper: &CommandHelper, command: &CloudCommand) -> Result<(), CommandError> {
    match command {
        CloudCommand::List => cmd_list(helper),
        CloudCommand::Show => cmd_show(helper),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CloudRecord {
    name: String,
    source: String,
    authority_host: String,
    graph_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_manager_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authority_host_override: Option<String>,
    graph_scope: String,
}

impl CloudRecord {
    fn new(profile: &CloudProfile, source: String, authority_override: Option<String>) -> Self {
        CloudRecord {
            name: profile.name.clone(),
            source,
            authority_host: trim_slash(profile.authority_host.as_str()),
            graph_endpoint: trim_slash(profile.graph_endpoint.as_str()),
            resource_manager_endpoint: profile
                .resource_manager_endpoint
                .as_ref()
                .map(|url| trim_slash(url.as_str())),
            ca_certificate: profile
                .ca_certificate
                .as_ref()
                .map(|path| path.display().to_string()),
            authority_host_override: authority_override,
            graph_scope: profile.graph_default_scope(),
        }
    }
}

fn trim_slash(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

#[derive(Serialize)]
#[serde(transparent)]
struct CloudList(Vec<CloudRecord>);

impl Report for CloudList {
    fn human(&self, ui: &Ui) -> String {
        let mut table = table(
            ui,
            &[
                "name",
                "authority host",
                "Microsoft Graph",
                "Resource Manager",
            ],
        );
        for cloud in &self.0 {
            table.add_row(vec![
                cloud.name.clone(),
                cloud.authority_host.clone(),
                cloud.graph_endpoint.clone(),
                cloud.resource_manager_endpoint.clone().unwrap_or_default(),
            ]);
        }
        format!("{table}\nA custom cloud is a JSON profile: `--cloud path/to/cloud.json`.\n")
    }
}

fn cmd_list(helper: &CommandHelper) -> Result<(), CommandError> {
    let clouds = KnownCloud::ALL
        .iter()
        .map(|(_, cloud)| CloudRecord::new(&cloud.profile(), "built-in".to_string(), None))
        .collect();
    helper.ui().emit(&CloudList(clouds))
}

#[derive(Serialize)]
#[serde(transparent)]
struct CloudShow(CloudRecord);

impl Report for CloudShow {
    fn human(&self, ui: &Ui) -> String {
        let cloud = &self.0;
        let mut rows = vec![
            ("name", cloud.name.clone()),
            ("source", cloud.source.clone()),
            ("authority host", cloud.authority_host.clone()),
            ("Microsoft Graph", cloud.graph_endpoint.clone()),
            ("Graph scope", cloud.graph_scope.clone()),
        ];
        if let Some(arm) = &cloud.resource_manager_endpoint {
            rows.push(("Resource Manager", arm.clone()));
        }
        if let Some(ca) = &cloud.ca_certificate {
            rows.push(("trusted CA", ca.clone()));
        }
        if let Some(host) = &cloud.authority_host_override {
            rows.push((
                "authority override",
                format!("{host} (AZURE_AUTHORITY_HOST)"),
            ));
        }
        key_value_table(ui, rows).to_string()
    }
}

fn cmd_show(helper: &CommandHelper) -> Result<(), CommandError> {
    let ResolvedCloud {
        profile,
        source,
        authority_override,
    } = helper.cloud()?;
    let source = match source {
        CloudSource::BuiltIn(_) => "built-in".to_string(),
        CloudSource::File(path) => path.display().to_string(),
    };
    let record = CloudRecord::new(
        &profile,
        source,
        authority_override.map(|url| trim_slash(url.as_str())),
    );
    helper.ui().emit(&CloudShow(record))
}
