//! Reading the tenant for `breakglass audit` (read-only, Graph v1.0) into a [`Snapshot`]; the
//! rules are in `breakglass_core::audit`. A read the operator may not make (403, or a feature
//! the tenant lacks) becomes a not-checked fact naming the permission, never a pass. With
//! `--azure`, the role assignments at the root of Azure are read through Resource Manager.

use breakglass_core::audit::Snapshot;
use breakglass_core::azure_rbac::{self, AzureAssignment, AzureReach};
use breakglass_core::config::Config;
use breakglass_core::roles;
use breakglass_core::stores::{self, MadeInTenant};
use breakglass_core::tenant::Fact;
use breakglass_entra::{ArmClient, ArmResponse, GraphClient};
use jiff::Timestamp;

use crate::Progress;
use crate::error::Error;
use crate::provision::vault::{LocalVault, Vault as _};
use crate::tenant::{self, Depth};

/// Key ids the local stores hold, or why they cannot be compared.
fn held_key_ids(vault: &mut LocalVault) -> Result<Result<Vec<String>, String>, Error> {
    if !vault.keepass_path().exists() {
        return Ok(Err(format!(
            "no KeePass database at {} on this machine",
            vault.keepass_path().display()
        )));
    }
    Ok(match vault.held_key_ids()? {
        Some(held) => Ok(held.into_iter().collect()),
        None => Err(
            "no KeePass password given (BREAKGLASS_KEEPASS_PASSWORD or --keepass-password-file)"
                .to_string(),
        ),
    })
}

/// Stores that are missing though the tenant holds what they keep, or that belong to another
/// tenant, each as a sentence naming the file.
pub fn store_problems(
    vault: &mut LocalVault,
    config: &Config,
    snapshot: &Snapshot,
    tenant_id: &str,
) -> Result<Vec<String>, Error> {
    let made = MadeInTenant::from_tenant(&snapshot.tenant);
    let found = vault.local_stores()?;
    Ok(stores::store_problems(config, &found, &made, tenant_id)
        .iter()
        .map(|p| vault.describe_problem(p).0)
        .collect())
}

/// Reads everything the audit looks at: the tenant, and meanwhile the key ids `vault` holds.
pub async fn snapshot(
    progress: &dyn Progress,
    graph: &GraphClient,
    config: &Config,
    vault: LocalVault,
    last_drill: Option<Timestamp>,
) -> Result<(Snapshot, LocalVault), Error> {
    let _busy = progress.busy("reading the tenant…");
    let (tenant, unlocked) = tokio::join!(
        tenant::read(graph, config, Depth::Audit),
        vault.read_meanwhile(held_key_ids)
    );
    // The stores' answer first, as when they were read before the tenant.
    let (vault, held_key_ids) = unlocked?;
    let held_key_ids = held_key_ids?;
    let tenant = tenant?;
    let snapshot = Snapshot {
        now: Timestamp::now(),
        declared_labels: config
            .app
            .credentials
            .iter()
            .map(|c| c.label.clone())
            .collect(),
        declared_credentials: config.app.credentials.clone(),
        exempt_from_app_management_policy: config.app.exempt_from_app_management_policy,
        held_key_ids,
        user_role: roles::by_name(&config.users.role).unwrap_or(roles::GLOBAL_ADMINISTRATOR),
        app_role: config
            .app
            .role
            .as_deref()
            .map(|r| roles::by_name(r).unwrap_or(roles::GLOBAL_ADMINISTRATOR)),
        tenant,
        last_drill,
        store_problems: Vec::new(),
        azure: None,
    };
    Ok((snapshot, vault))
}

/// Writes a report (SARIF, HTML) to `path`: atomically and readable by its owner only, since
/// it names the tenant's administrators and the objects that guard the way in.
pub fn save_report(path: &std::path::Path, text: &str) -> Result<(), Error> {
    breakglass_store::write_secret_file(path, text.as_bytes(), breakglass_store::Overwrite::Replace)
        .map_err(|e| {
            crate::error::config_error(format!("cannot write the report: {e}"))
                .hinted("pass `--out FILE` in a folder you can write to, or leave it out to print the report")
        })
}

/// The role assignments api-version: the first to carry conditions.
const ROLE_ASSIGNMENTS_API: &str = "2022-04-01";

/// Reads the Azure role assignments at `/` and on the tenant root management group for
/// `audit --azure`. A 403 is a fact (the operator lacks a role there), never a pass.
///
/// The root management group's listing with `atScope()` holds what is above it too, so an
/// operator with Reader there sees `/` as well; the listing at `/` itself needs a role at `/`,
/// which only elevated access gives, and is used when it answers.
pub async fn azure_reach(arm: &ArmClient, tenant_id: &str) -> Result<AzureReach, Error> {
    let group_id = azure_rbac::root_management_group(tenant_id);
    let root_path = "/providers/Microsoft.Authorization/roleAssignments";
    let group_path = format!("{group_id}{root_path}");
    let (root, group) = tokio::join!(
        arm.list(root_path, ROLE_ASSIGNMENTS_API, Some("atScope()")),
        arm.list(&group_path, ROLE_ASSIGNMENTS_API, Some("atScope()")),
    );
    let root = read_assignments(root?, root_path)?;
    let group = match group? {
        // No root management group yet (management groups never used): nobody holds a role on it.
        Err(answer) if answer.status == 404 => Fact::Known(Vec::new()),
        answer => read_assignments(answer, &group_path)?,
    };
    let at = |fact: &Fact<Vec<AzureAssignment>>, wanted: &dyn Fn(&str) -> bool| match fact {
        Fact::Known(list) => {
            Fact::Known(list.iter().filter(|a| wanted(&a.scope)).cloned().collect())
        }
        other => other.clone(),
    };
    let is_root = |scope: &str| scope == "/";
    let is_group = |scope: &str| scope.eq_ignore_ascii_case(&group_id);
    let root = match (&root, &group) {
        (Fact::Unreadable(_), Fact::Known(_)) => at(&group, &is_root),
        _ => at(&root, &is_root),
    };
    Ok(AzureReach {
        root,
        root_management_group: at(&group, &is_group),
    })
}

fn read_assignments(
    answer: Result<Vec<serde_json::Value>, ArmResponse>,
    path: &str,
) -> Result<Fact<Vec<AzureAssignment>>, Error> {
    match answer {
        Ok(items) => Ok(Fact::Known(items.iter().map(assignment).collect())),
        Err(answer) if answer.status == 403 => Ok(Fact::unreadable(
            azure_rbac::AZURE_READ,
            format!("GET {path} answered 403 {}", answer.error_code()),
        )),
        Err(answer) => Err(crate::monitor::arm::arm_failure(
            "list the role assignments of",
            path,
            &answer,
        )),
    }
}

fn assignment(item: &serde_json::Value) -> AzureAssignment {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let p = &item["properties"];
    AzureAssignment {
        id: text(&item["id"]),
        principal_id: text(&p["principalId"]),
        principal_type: text(&p["principalType"]),
        role_definition_id: text(&p["roleDefinitionId"]),
        scope: text(&p["scope"]),
    }
}
