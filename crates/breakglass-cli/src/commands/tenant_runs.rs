//! `plan`, `apply`, `drill`, `credential list` and `monitor identities` across the tenants of a tenants file: each tenant's run as the
//! single-tenant command makes it, with that tenant's configuration, cloud and operator, and a
//! summary row per tenant. The audit's is in `audit_tenants`.

use std::path::Path;

use breakglass_core::drill::Verdict;
use breakglass_ops::tenants::TenantTarget;

use crate::commands::apply::{Applied, ApplyArgs, apply_prepared};
use crate::commands::credential::list::{ListArgs, run_list};
use crate::commands::drill::DrillArgs;
use crate::commands::drill::run::{DrillReport, run_drill};
use crate::commands::monitor::identities::{IdentitiesArgs, IdentitiesReport};
use crate::commands::plan::{PlanArgs, PlanReport, prepare};
use crate::commands::tenants::{AcrossTenants, run_across, run_across_with};
use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;

/// The configuration flags of one tenant: its breakglass.toml and KeePass password file,
/// never a prompt.
fn tenant_config(target: &TenantTarget) -> ConfigArgs {
    ConfigArgs {
        config: target.config_path.clone(),
        keepass_password_file: target.keepass_password_file.clone(),
        never_prompt: true,
        pkcs11_pin_file: None,
    }
}

/// The sign-in flags of one tenant: its id, checked against `[tenant] id` as `--tenant` is.
/// The operator itself is the tenant helper's.
fn tenant_operator(given: &OperatorArgs, target: &TenantTarget) -> OperatorArgs {
    OperatorArgs {
        tenant: Some(target.tenant_id.to_string()),
        ..given.clone()
    }
}

impl AcrossTenants for PlanReport {
    const TITLE: &'static str = "Plan";
    const COLUMNS: &'static [&'static str] = &["CHANGES", "WARNINGS", "FIRST CHANGE"];

    /// A tenant passes when it matches its breakglass.toml.
    fn passed(&self) -> bool {
        self.changes == 0
    }

    fn cells(&self) -> Vec<String> {
        let warnings = self
            .notices
            .iter()
            .filter(|n| n.severity != breakglass_core::plan::Severity::Info)
            .count();
        vec![
            self.changes.to_string(),
            warnings.to_string(),
            self.actions
                .first()
                .map_or("-".to_string(), |a| a.description.clone()),
        ]
    }
}

/// `breakglass --tenants FILE plan`: what `apply` would change in each tenant. A tenant with
/// pending changes counts as failed, so a scheduled run notices drift anywhere.
pub async fn cmd_plan_tenants(
    helper: &CommandHelper,
    args: &PlanArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    let job = |tenant_helper: CommandHelper, target: TenantTarget| {
        let config = tenant_config(&target);
        let operator = tenant_operator(&args.operator, &target);
        let stores = args.stores;
        async move {
            let prepared = prepare(&tenant_helper, &config, &operator, false, stores).await?;
            Ok(PlanReport::new(
                prepared.facts.tenant_id.clone(),
                &prepared.plan,
            ))
        }
    };
    run_across(helper, tenants_file, job).await
}

impl AcrossTenants for DrillReport {
    const TITLE: &'static str = "Drill";
    const COLUMNS: &'static [&'static str] =
        &["FAILURES/WARNINGS", "CREDENTIALS", "NEXT DUE", "RECORD"];

    fn passed(&self) -> bool {
        self.record.verdict != Verdict::Failed
    }

    fn cells(&self) -> Vec<String> {
        let record = &self.record;
        vec![
            format!("{}/{}", record.failures, record.warnings),
            record.credentials.len().to_string(),
            record
                .next_due
                .map_or("-".to_string(), |due| due.strftime("%Y-%m-%d").to_string()),
            self.record_files
                .as_ref()
                .map_or("-".to_string(), |files| files.json.display().to_string()),
        ]
    }
}

/// `breakglass --tenants FILE drill`: each tenant's credentials and users proven, each record
/// written next to that tenant's breakglass.toml. Sheets and shares are one tenant's paper,
/// so they are not taken here.
pub async fn cmd_drill_tenants(
    helper: &CommandHelper,
    args: &DrillArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    if !args.sheet.is_empty() || !args.shares.is_empty() {
        return Err(usage_error("`--sheet` and `--shares` hold one tenant's paper")
            .hinted("prove sheet- and share-held credentials with `breakglass drill` for that tenant alone"));
    }
    if args.out.is_some() || args.format.is_some() || args.history.is_some() {
        return Err(
            usage_error("`--out`, `--format` and `--history` are for one tenant's drill")
                .hinted("with --tenants each record is written to `drills` next to that tenant's breakglass.toml"),
        );
    }
    let job = |tenant_helper: CommandHelper, target: TenantTarget| {
        let tenant_args = DrillArgs {
            config: tenant_config(&target),
            operator: tenant_operator(&args.operator, &target),
            ..args.clone()
        };
        async move { run_drill(&tenant_helper, &tenant_args).await }
    };
    run_across(helper, tenants_file, job).await
}

impl AcrossTenants for breakglass_ops::provision::listing::CredentialList {
    const TITLE: &'static str = "Credentials";
    const COLUMNS: &'static [&'static str] = &["CREDENTIALS", "FEWEST DAYS LEFT", "ATTENTION"];

    /// A tenant passes when every credential is held where it belongs and every declared
    /// label has a usable one.
    fn passed(&self) -> bool {
        self.labels_without_usable_credential.is_empty()
            && self
                .credentials
                .iter()
                .all(|row| row.status == breakglass_ops::provision::listing::Status::Ok)
    }

    fn cells(&self) -> Vec<String> {
        let attention = self
            .credentials
            .iter()
            .filter(|row| row.status != breakglass_ops::provision::listing::Status::Ok)
            .count()
            + self.labels_without_usable_credential.len();
        vec![
            self.credentials.len().to_string(),
            self.credentials
                .iter()
                .filter_map(|row| row.days_left)
                .min()
                .map_or("-".to_string(), |days| days.to_string()),
            attention.to_string(),
        ]
    }
}

/// `breakglass --tenants FILE credential list`: each tenant's emergency app credentials and
/// where they are kept.
pub async fn cmd_list_tenants(
    helper: &CommandHelper,
    args: &ListArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    let job = |tenant_helper: CommandHelper, target: TenantTarget| {
        let tenant_args = ListArgs {
            config: tenant_config(&target),
            operator: tenant_operator(&args.operator, &target),
        };
        async move { run_list(&tenant_helper, &tenant_args).await }
    };
    run_across(helper, tenants_file, job).await
}

impl AcrossTenants for IdentitiesReport {
    const TITLE: &'static str = "Emergency identities";
    const COLUMNS: &'static [&'static str] = &["APP (CLIENT) ID", "CREDENTIALS", "USERS"];

    /// A tenant passes when its emergency app was found: without it nothing can be matched.
    fn passed(&self) -> bool {
        !self.0.app_id.is_empty()
    }

    fn cells(&self) -> Vec<String> {
        vec![
            if self.0.app_id.is_empty() {
                "(none)".to_string()
            } else {
                self.0.app_id.clone()
            },
            self.0.credentials.len().to_string(),
            self.0.users.len().to_string(),
        ]
    }
}

/// `breakglass --tenants FILE monitor identities`: what monitoring matches on, per tenant.
pub async fn cmd_identities_tenants(
    helper: &CommandHelper,
    args: &IdentitiesArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    if args.out.is_some() {
        return Err(usage_error("`--out` writes one tenant's identities")
            .hinted("use `--output json` for every tenant's in one document"));
    }
    let job = |tenant_helper: CommandHelper, target: TenantTarget| {
        let config = tenant_config(&target);
        let operator = tenant_operator(&args.operator, &target);
        async move {
            crate::commands::monitor::gather_signed_in(&tenant_helper, &config, &operator)
                .await
                .map(IdentitiesReport)
        }
    };
    run_across(helper, tenants_file, job).await
}

impl AcrossTenants for Applied {
    const TITLE: &'static str = "Apply";
    const COLUMNS: &'static [&'static str] = &["CHANGES MADE", "LAST CHANGE"];

    /// A tenant passes when every change was made (an error is its row).
    fn passed(&self) -> bool {
        true
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.applied.len().to_string(),
            self.applied
                .last()
                .map_or("-".to_string(), |step| step.description.clone()),
        ]
    }
}

/// `breakglass --tenants FILE apply`: each tenant made to match its breakglass.toml. Without
/// `--yes` each tenant's plan is shown and asked about in turn, one tenant at a time; with it,
/// `--concurrency` tenants at once. One tenant's changes are always made in order by one run.
pub async fn cmd_apply_tenants(
    helper: &CommandHelper,
    args: &ApplyArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    let job = |tenant_helper: CommandHelper, target: TenantTarget| {
        let config = tenant_config(&target);
        let operator = tenant_operator(&args.operator, &target);
        let (stores, yes) = (args.stores, args.yes);
        async move {
            let prepared = prepare(&tenant_helper, &config, &operator, true, stores).await?;
            apply_prepared(tenant_helper.ui(), prepared, yes).await
        }
    };
    let concurrency = if args.yes {
        usize::from(helper.global().concurrency)
    } else {
        1
    };
    run_across_with(helper, tenants_file, job, concurrency).await
}
