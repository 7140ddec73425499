//! Microsoft Graph application permissions held by other service principals: those that reach
//! the emergency app, and those that reach the emergency users. Role assignment lists do not
//! show them, so they are checked on their own.

use super::{
    CheckId, Finding, METHOD_POLICY_PERMISSIONS, OWNED_BY_PERMISSION, Severity, Snapshot,
    TAKEOVER_PERMISSIONS, USER_TAKEOVER_PERMISSIONS,
};
use crate::tenant::{PermissionGrant, same};

pub(super) fn permission_checks(
    snapshot: &Snapshot,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let check = CheckId::GraphPermissions;
    let grants = match snapshot.tenant.graph_grants.get() {
        Err(missing) => {
            out.push(Finding::not_checked(check, &missing));
            if !snapshot.tenant.users.is_empty() {
                out.push(Finding::not_checked(
                    CheckId::UserTakeoverPermissions,
                    missing,
                ));
            }
            return;
        }
        Ok(grants) => grants,
    };
    let others: Vec<&PermissionGrant> = grants
        .iter()
        .filter(|g| !is_emergency(&g.principal.id))
        .collect();
    let finding = app_takeover_grants(snapshot, &others);
    if !snapshot.tenant.users.is_empty() {
        user_takeover_permission_check(&others, out);
    }
    if finding.evidence.is_empty() {
        out.push(Finding::pass(
            check,
            "no other service principal holds a Microsoft Graph application permission that reaches the emergency app",
        ));
    } else {
        out.push(finding);
    }
}

/// The grants that reach the emergency app, as one finding (without evidence when none do).
fn app_takeover_grants(snapshot: &Snapshot, grants: &[&PermissionGrant]) -> Finding {
    // `…OwnedBy` reaches the app only through its owners, so they are looked up once.
    let owner_ids: Vec<String> = snapshot
        .tenant
        .emergency_app()
        .map(|a| a.owners.items())
        .unwrap_or_default()
        .iter()
        .chain(
            snapshot
                .tenant
                .service_principal
                .iter()
                .flat_map(|sp| sp.owners.items()),
        )
        .map(|p| p.id.clone())
        .collect();
    let mut finding = Finding::found(
        CheckId::GraphPermissions,
        Severity::Critical,
        String::new(),
    )
    .hinted("remove these Microsoft Graph application permissions, or replace them with narrower ones (Application.ReadWrite.OwnedBy for apps the holder owns); the holders' own credentials are as powerful as the emergency app's");
    for grant in grants {
        if let Some((_, why)) = TAKEOVER_PERMISSIONS
            .iter()
            .find(|(p, _)| same(p, &grant.permission))
        {
            finding = finding.with(
                grant
                    .principal
                    .evidence(Some(format!("{} ({why})", grant.permission))),
            );
        } else if same(&grant.permission, OWNED_BY_PERMISSION)
            && owner_ids.iter().any(|o| same(o, &grant.principal.id))
        {
            finding = finding.with(grant.principal.evidence(Some(format!(
                "{OWNED_BY_PERMISSION} and owns the emergency app (can add a credential to it)"
            ))));
        }
    }
    if !finding.evidence.is_empty() {
        finding.summary = format!(
            "{} grant(s) of Microsoft Graph application permissions reach the emergency app (invisible in the role assignment lists)",
            finding.evidence.len()
        );
    }
    finding
}

fn user_takeover_permission_check(grants: &[&PermissionGrant], out: &mut Vec<Finding>) {
    let direct = holders_of(
        grants,
        USER_TAKEOVER_PERMISSIONS,
        Finding::found(CheckId::UserTakeoverPermissions, Severity::Critical, String::new())
            .hinted("remove the permission from apps that do not need it; the app that provisions emergency users needs it only while issuing their first pass"),
    );
    let policy = holders_of(
        grants,
        METHOD_POLICY_PERMISSIONS,
        Finding::found(CheckId::UserTakeoverPermissions, Severity::High, String::new())
            .hinted("remove the permission from apps that do not manage the authentication methods policy; watch \"Authentication Methods Policy Update\" in the audit log"),
    );
    if direct.evidence.is_empty() && policy.evidence.is_empty() {
        out.push(Finding::pass(
            CheckId::UserTakeoverPermissions,
            "no service principal holds a Microsoft Graph application permission that can add an authentication method to an emergency user or enable one for every user",
        ));
    }
    if !direct.evidence.is_empty() {
        let mut direct = direct;
        direct.summary = format!(
            "{} service principal grant(s) can add an authentication method to any user, the emergency users included",
            direct.evidence.len()
        );
        out.push(direct);
    }
    if !policy.evidence.is_empty() {
        let mut policy = policy;
        policy.summary = format!(
            "{} service principal grant(s) can change the authentication methods policy for every user, emergency users included",
            policy.evidence.len()
        );
        out.push(policy);
    }
}

/// `finding` with one piece of evidence per grant of a permission in `wanted`.
fn holders_of(grants: &[&PermissionGrant], wanted: &[(&str, &str)], finding: Finding) -> Finding {
    grants.iter().fold(finding, |finding, grant| {
        match wanted.iter().find(|(p, _)| same(p, &grant.permission)) {
            Some((_, why)) => finding.with(
                grant
                    .principal
                    .evidence(Some(format!("{} ({why})", grant.permission))),
            ),
            None => finding,
        }
    })
}
