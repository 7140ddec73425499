//! Reading the tenant for `breakglass audit` (read-only, Graph v1.0) into a [`Snapshot`]; the
//! rules are in `breakglass_core::audit`. A read the operator may not make (403, or a feature
//! the tenant lacks) becomes a not-checked fact naming the permission, never a pass.

use breakglass_core::audit::Snapshot;
use breakglass_core::config::Config;
use breakglass_core::roles;
use breakglass_core::stores::{self, MadeInTenant};
use breakglass_entra::GraphClient;
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
