//! Preparing a change (signing in is done): observe the tenant and the stores, check the
//! stores, and plan; then [`apply_plan`] carries the plan out through [`super::apply`].

use breakglass_core::plan::{self, Plan};
use breakglass_core::stores::MadeInTenant;

use super::Workspace;
use super::apply::{Applier, ApplyReporter, ExistingIds, TenantFacts, default_replication};
use super::vault::{KeePassPassword, LocalVault, Vault as _};
use crate::Progress;
use crate::error::{Error, config_error};
use crate::session::Session;
use crate::tenant::{self, Depth};

/// Everything `plan` and `apply` share: a session, the configuration, the stores, the plan.
pub struct Prepared {
    pub session: Session,
    pub workspace: Workspace,
    pub vault: LocalVault,
    pub observed: plan::Observed,
    pub plan: Plan,
    pub facts: TenantFacts,
}

/// Observes the tenant and the stores and plans; stops when a store the tenant's credentials
/// live in is missing (unless a person said it is lost for good) or belongs to another tenant.
pub async fn prepare(
    progress: &dyn Progress,
    session: Session,
    workspace: Workspace,
    password: KeePassPassword,
    replace_missing_stores: bool,
) -> Result<Prepared, Error> {
    let claims = session.token.claims()?;
    let tenant_id = claims.tid.clone().unwrap_or_default();
    let unlocking = LocalVault::new(&workspace.config, &workspace.base, password).read_meanwhile(
        |vault| -> Result<_, Error> { Ok((vault.held_key_ids()?, vault.held_accounts()?)) },
    );
    let (tenant, unlocked) = {
        let _busy = progress.busy("reading the emergency access objects from the tenant…");
        let reading = tenant::read(&session.graph, &workspace.config, Depth::Provision);
        tokio::join!(reading, unlocking)
    };
    // The stores' answer first, as when they were read before the tenant.
    let (mut vault, held) = unlocked?;
    let (held_key_ids, held_accounts) = held?;
    let observed = plan::Observed {
        tenant: tenant?,
        held_key_ids,
        held_accounts,
    };
    vault.ensure_usable(
        &workspace.config,
        &MadeInTenant::from_tenant(&observed.tenant),
        &tenant_id,
        replace_missing_stores,
    )?;
    let plan = plan::plan(&workspace.config, &observed, jiff::Timestamp::now())
        .map_err(|e| config_error(e.to_string()).hinted(e.hint()))?;
    let facts = TenantFacts::new(
        tenant_id,
        observed.tenant.initial_domain.clone(),
        &session.cloud.profile,
    );
    Ok(Prepared {
        session,
        workspace,
        vault,
        observed,
        plan,
        facts,
    })
}

/// Records the object id of users an interrupted apply created after writing their passwords
/// but before it learned their ids: their entries are found by user name until then.
pub fn adopt_created_users(prepared: &mut Prepared) -> Result<(), Error> {
    let Some(accounts) = &prepared.observed.held_accounts else {
        return Ok(());
    };
    let adopted: Vec<(String, String)> = prepared
        .observed
        .tenant
        .users
        .iter()
        .filter(|user| {
            accounts.iter().any(|a| {
                a.user_id.is_none()
                    && a.user_principal_name
                        .eq_ignore_ascii_case(&user.user_principal_name)
            })
        })
        .map(|user| (user.user_principal_name.clone(), user.id.clone()))
        .collect();
    for (name, id) in adopted {
        prepared.vault.confirm_account_password(&name, &id)?;
    }
    Ok(())
}

/// Stops before anything changes when the app management policy that binds the emergency app
/// would refuse a credential the plan adds: Entra would answer that add with a 400 halfway
/// through, after the app and other credentials were made.
fn refuse_blocked_credentials(plan: &Plan) -> Result<(), Error> {
    let Some(first) = plan.blocked_additions().next() else {
        return Ok(());
    };
    Err(config_error(format!(
        "the tenant would refuse credential `{}`: {}; nothing was changed",
        first.label, first.why
    ))
    .hinted(format!(
        "relax the policy's {} restriction for the emergency app (or assign the app a policy that allows its declared credentials), then apply again",
        first.restriction
    ))
    .hinted("`breakglass plan` lists every credential the policy blocks"))
}

/// Stops before anything changes when the Temporary Access Pass method policy would refuse a
/// pass the plan issues: Entra would refuse it after the users were made.
fn refuse_refused_passes(plan: &Plan) -> Result<(), Error> {
    let Some(first) = plan.refused_passes.first() else {
        return Ok(());
    };
    Err(config_error(format!(
        "the tenant would refuse the Temporary Access Pass for {}: {}; nothing was changed",
        first.user, first.why
    ))
    .hinted(first.hint.clone())
    .hinted("or set `[users] temporary_access_pass = false` and register the users' passkeys another way"))
}

/// Carries out a prepared plan: starts the stores a first apply needs, then every action in
/// order, reporting each; stops at the first failure (Conditional Access refusals aside).
pub async fn apply_plan(
    prepared: &mut Prepared,
    reporter: &mut dyn ApplyReporter,
) -> Result<(), Error> {
    refuse_blocked_credentials(&prepared.plan)?;
    refuse_refused_passes(&prepared.plan)?;
    let Workspace { config, .. } = &prepared.workspace;
    prepared.vault.create_missing_stores(config)?;
    let existing = ExistingIds::from_observed(&prepared.observed);
    let mut applier = Applier {
        graph: &prepared.session.graph,
        config,
        facts: prepared.facts.clone(),
        vault: &mut prepared.vault,
        replication: default_replication(),
        pass_terms: prepared.plan.pass_terms.clone(),
    };
    applier
        .apply(existing, &prepared.plan.actions, reporter)
        .await
}
