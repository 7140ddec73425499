//! The plan: what `apply` must do to make the tenant match `breakglass.toml`.
//!
//! [`Observed`] is what the tenant (and the local stores) hold now, gathered by the
//! caller; [`plan`] compares it with the [`Config`] and returns the [`Action`]s, in the
//! order they must run, plus notices a person should read. Nothing here does I/O, so
//! every drift rule is unit-tested.

mod action;
mod app;
mod app_policy;
mod conditional_access;
mod credentials;
mod passes;
mod users;

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::Serialize;

use crate::config::Config;
use crate::tenant::TenantView;

pub use action::{Action, OwnedObject, Principal, PropertyChange, RemovalReason, describe};

pub use crate::markers::{APP_NOTES, APP_TAG, CREDENTIAL_PREFIX, USER_MARKER};

/// The credential label a display name carries, if breakglass made it.
pub fn label_of(display_name: Option<&str>) -> Option<&str> {
    display_name?
        .strip_prefix(CREDENTIAL_PREFIX)
        .filter(|l| !l.is_empty())
}

/// The display name of a credential with this label.
pub fn credential_display_name(label: &str) -> String {
    format!("{CREDENTIAL_PREFIX}{label}")
}

/// What the tenant and the local stores hold now.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Observed {
    /// The tenant, as provisioning reads it: the role assignments and Graph permissions of
    /// the emergency identities only.
    pub tenant: TenantView,
    /// Key ids the local stores hold; `None` when they could not be read.
    pub held_key_ids: Option<BTreeSet<String>>,
    /// The emergency users' entries in KeePass; `None` when it could not be read.
    pub held_accounts: Option<Vec<HeldAccount>>,
}

fn contains_id(list: &[String], id: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(id))
}

/// An emergency user's entry in KeePass, without its secrets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldAccount {
    /// `None` while the user is being created: the entry is written before the user exists.
    pub user_id: Option<String>,
    pub user_principal_name: String,
    /// Whether the tenant took the password; a pending one may never have reached it.
    pub in_force: bool,
    pub has_temporary_access_pass: bool,
}

/// Something a person should know that apply will not change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    #[serde(serialize_with = "notice_level")]
    pub severity: Severity,
    pub message: String,
}

pub use crate::severity::Severity;

/// A notice is a note (info) or a warning (anything worse), as `plan` has always printed it.
fn notice_level<S: serde::Serializer>(severity: &Severity, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(if *severity == Severity::Info {
        "info"
    } else {
        "warning"
    })
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub notices: Vec<Notice>,
    /// Declared credentials the app management policy that binds the emergency app would
    /// refuse; `apply` and rotation stop before adding one.
    pub blocked: Vec<crate::app_policy::Blocked>,
    /// What the passes this plan issues are asked for, fitted to the tenant's pass policy;
    /// none when the plan issues none or the policy could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_terms: Option<crate::pass_policy::PassTerms>,
    /// Users the pass policy would refuse the pass this plan issues them; `apply` stops
    /// before changing anything.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused_passes: Vec<crate::pass_policy::RefusedPass>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The declared credentials the app management policy refuses that this plan adds.
    pub fn blocked_additions(&self) -> impl Iterator<Item = &crate::app_policy::Blocked> {
        self.blocked
            .iter()
            .filter(|b| adds_credential(&self.actions, &b.label))
    }
}

/// Whether `actions` add a credential labelled `label`.
fn adds_credential(actions: &[Action], label: &str) -> bool {
    actions
        .iter()
        .any(|a| matches!(a, Action::AddCredential { label: l, .. } if l == label))
}

/// Why no plan can be made without a person deciding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(
        "{count} applications carry the breakglass marker and more than one is in use ({ids}); breakglass cannot tell which is the emergency app"
    )]
    AmbiguousApps { count: usize, ids: String },
}

impl PlanError {
    pub fn hint(&self) -> &'static str {
        match self {
            PlanError::AmbiguousApps { .. } => {
                "remove the tag `breakglass:emergency-access` from the app that is not the emergency app, then plan again"
            }
        }
    }
}

fn warn(notices: &mut Vec<Notice>, message: String) {
    notices.push(Notice {
        severity: Severity::Medium,
        message,
    });
}

fn info(notices: &mut Vec<Notice>, message: String) {
    notices.push(Notice {
        severity: Severity::Info,
        message,
    });
}

/// Compares the tenant with the declaration.
pub fn plan(config: &Config, observed: &Observed, now: Timestamp) -> Result<Plan, PlanError> {
    let mut actions = Vec::new();
    let mut notices = Vec::new();

    let app = app::plan_app(config, observed, &mut actions)?;
    let sp = app::plan_service_principal(observed, app, &mut actions);
    app::plan_owners(config, app, sp, &mut actions, &mut notices);
    app::remove_service_principal_credentials(sp, &mut actions);
    app::plan_authority(config, observed, sp, &mut actions, &mut notices);
    let exempting = app_policy::plan_exemption(config, observed, &mut actions, &mut notices);
    credentials::plan_credentials(config, observed, app, now, &mut actions, &mut notices);
    users::plan_group(config, observed, &mut actions, &mut notices);
    users::plan_users(config, observed, &mut actions, &mut notices);
    // Conditional Access comes last: the group has its members and the app its service
    // principal before any policy refers to them.
    conditional_access::plan_conditional_access(config, observed, sp, &mut actions, &mut notices);
    let blocked = if exempting {
        Vec::new()
    } else {
        app_policy::plan_app_policy(config, observed, app, now, &actions, &mut notices)
    };

    let passes = passes::plan_passes(observed, &actions, &mut notices);

    if observed.held_key_ids.is_none() {
        info(&mut notices, "the local stores could not be read, so credentials that no store holds cannot be found".into());
    }
    Ok(Plan {
        actions,
        notices,
        blocked,
        pass_terms: passes.terms,
        refused_passes: passes.refused,
    })
}

fn holds_role(observed: &Observed, principal_id: &str, role_template_id: &str) -> bool {
    observed.tenant.holds_role(principal_id, role_template_id)
}

#[cfg(test)]
mod tests;
