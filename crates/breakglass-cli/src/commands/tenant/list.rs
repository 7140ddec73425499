//! `breakglass --tenants FILE tenant list`: the tenants a tenants file lists, read without
//! signing in to any, e.g. as a scheduler's matrix of one job per tenant.

use breakglass_core::tenants::{SignIn, TenantEntry};
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};
use crate::output::{Report, table};
use crate::ui::Ui;

/// Lists the tenants of the `--tenants` file (after `--only`): name, tenant id, cloud,
/// configuration and how the operator signs in. Signs in nowhere. With `--output json`, an
/// array a CI matrix can take as is (see docs/tenants.md).
#[derive(Debug, clap::Args)]
pub struct ListArgs {}

/// One tenant as listed; names where the secret is, never the secret.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    name: String,
    tenant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud: Option<String>,
    config: String,
    /// `client-secret-env`, `client-secret-file`, `certificate`, `pkcs11` or `device-code`.
    sign_in: &'static str,
    /// The environment variable holding the operator secret, for `client-secret-env`.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_env: Option<String>,
}

#[derive(Serialize)]
#[serde(transparent)]
struct TenantList(Vec<Listed>);

impl Report for TenantList {
    fn human(&self, ui: &Ui) -> String {
        let mut t = table(ui, &["NAME", "TENANT ID", "CLOUD", "CONFIG", "SIGN-IN"]);
        for tenant in &self.0 {
            t.add_row(vec![
                tenant.name.clone(),
                tenant.tenant_id.clone(),
                tenant
                    .cloud
                    .clone()
                    .unwrap_or_else(|| "(its config's)".into()),
                tenant.config.clone(),
                match &tenant.secret_env {
                    Some(name) => format!("client secret from ${name}"),
                    None => tenant.sign_in.to_string(),
                },
            ]);
        }
        format!("{t}\n")
    }
}

fn listed(entry: &TenantEntry) -> Listed {
    let (sign_in, secret_env) = match &entry.sign_in {
        SignIn::SecretFromEnv(name) => ("client-secret-env", Some(name.clone())),
        SignIn::SecretFromFile(_) => ("client-secret-file", None),
        SignIn::Certificate(_) => ("certificate", None),
        SignIn::Pkcs11 { .. } => ("pkcs11", None),
        SignIn::DeviceCode => ("device-code", None),
    };
    Listed {
        name: entry.name.clone(),
        tenant_id: entry.tenant_id.to_string(),
        cloud: entry.cloud.clone(),
        config: entry.config.clone(),
        sign_in,
        secret_env,
    }
}

pub fn cmd_list(helper: &CommandHelper, _args: &ListArgs) -> Result<(), CommandError> {
    let Some(path) = &helper.global().tenants else {
        return Err(
            usage_error("`tenant list` lists the tenants of a tenants file")
                .hinted("run `breakglass --tenants tenants.toml tenant list`"),
        );
    };
    let file = breakglass_ops::tenants::load(path)?;
    let selected = file
        .select(&helper.global().only)
        .map_err(|e| usage_error(e.to_string()))?;
    helper
        .ui()
        .emit(&TenantList(selected.into_iter().map(listed).collect()))
}
