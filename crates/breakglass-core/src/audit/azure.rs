//! Azure reach (`audit --azure`): who can take User Access Administrator at the root of Azure,
//! and whether the emergency identities keep a way onto the root management group. Read-only
//! facts from Resource Manager; without `--azure` neither check is reported at all.

use super::{CheckId, Evidence, Finding, Severity, Snapshot};
use crate::azure_rbac::{AzureAssignment, AzureReach};
use crate::roles;
use crate::tenant::{Principal, RoleAssignment, TenantView, same};

/// The audit's name for an object id: from what the tenant reading already named, else the id.
fn evidence_of(tenant: &TenantView, a: &AzureAssignment, detail: String) -> Evidence {
    let named = known_principals(tenant).find(|p| same(&p.id, &a.principal_id));
    Evidence {
        id: a.principal_id.clone(),
        name: named
            .as_ref()
            .map_or_else(|| a.principal_id.clone(), |p| p.name.clone()),
        kind: named.map_or_else(|| a.kind(), |p| p.kind),
        detail: Some(detail),
    }
}

fn known_principals(tenant: &TenantView) -> impl Iterator<Item = Principal> + '_ {
    let users = tenant.users.iter().map(|u| Principal {
        id: u.id.clone(),
        name: u.user_principal_name.clone(),
        kind: "user".into(),
    });
    let sp = tenant.service_principal.iter().map(|sp| Principal {
        id: sp.id.clone(),
        name: tenant
            .emergency_app()
            .map_or_else(|| sp.id.clone(), |a| a.display_name.clone()),
        kind: "servicePrincipal".into(),
    });
    let holders = tenant
        .role_assignments
        .items()
        .iter()
        .chain(tenant.role_eligibilities.items())
        .map(|a| a.principal.clone())
        .chain(
            tenant
                .graph_grants
                .items()
                .iter()
                .map(|g| g.principal.clone()),
        );
    users.chain(sp).chain(holders)
}

fn scope_name(a: &AzureAssignment) -> &'static str {
    if a.at_root() {
        "/ (root scope)"
    } else {
        "the root management group"
    }
}

pub(super) fn azure_checks(
    snapshot: &Snapshot,
    azure: &AzureReach,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    elevation(snapshot, azure, is_emergency, out);
    root_role(snapshot, azure, is_emergency, out);
}

/// Global Administrators (active or eligible, tenant-wide), who may call `elevateAccess`.
fn global_admins(tenant: &TenantView) -> Vec<(&RoleAssignment, &'static str)> {
    let ga = roles::GLOBAL_ADMINISTRATOR.template_id.to_string();
    let mut out: Vec<(&RoleAssignment, &'static str)> = Vec::new();
    let lists = [
        (tenant.role_assignments.items(), "active"),
        (tenant.role_eligibilities.items(), "eligible"),
    ];
    for (list, how) in lists {
        for a in list {
            let wanted = same(&a.role_template_id, &ga)
                && a.directory_scope_id == "/"
                && a.principal.kind != "group";
            if wanted
                && !out
                    .iter()
                    .any(|(b, _)| same(&b.principal.id, &a.principal.id))
            {
                out.push((a, how));
            }
        }
    }
    out
}

/// Standing Owner or User Access Administrator at `/` (what `elevateAccess` leaves behind),
/// and the Global Administrators who could take it.
fn elevation(
    snapshot: &Snapshot,
    azure: &AzureReach,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let check = CheckId::AzureElevation;
    let root = match azure.root.get() {
        Ok(root) => root,
        Err(missing) => return out.push(Finding::not_checked(check, missing)),
    };
    let tenant = &snapshot.tenant;
    let standing: Vec<&AzureAssignment> = root
        .iter()
        .filter(|a| a.at_root() && a.assigns_roles())
        .collect();
    for a in &standing {
        let detail = format!("{} at / (root scope)", a.role_name());
        let emergency = is_emergency(&a.principal_id);
        let finding = if emergency {
            Finding::found(
                check,
                Severity::Low,
                "an emergency identity keeps standing access administration at the root of Azure",
            )
            .hinted("remove the assignment at / once the work that needed it is done (`az role assignment delete --scope / ...`); an emergency user can elevate again when needed")
        } else {
            Finding::found(
                check,
                Severity::High,
                "standing access administration at the root of Azure: every subscription and management group, and the power to grant itself more",
            )
            .hinted("remove the assignment at / (Microsoft asks that elevated access be removed once done); grant narrower roles on management groups instead")
        };
        out.push(finding.with(evidence_of(tenant, a, detail)));
    }
    out.push(elevators_pass(tenant, standing.is_empty(), is_emergency));
}

/// The pass listing who may elevate: evidence for the reader, not a finding, since every
/// Global Administrator can, and the tier-zero checks judge who holds that role.
fn elevators_pass(
    tenant: &TenantView,
    nothing_standing: bool,
    is_emergency: &dyn Fn(&str) -> bool,
) -> Finding {
    let admins = global_admins(tenant);
    let standing = if nothing_standing {
        "no standing Owner or User Access Administrator at /"
    } else {
        "see the findings for the standing assignments at /"
    };
    let unread = match (
        tenant.role_assignments.get(),
        tenant.role_eligibilities.get(),
    ) {
        (Ok(_), Ok(_)) => String::new(),
        (Err(m), _) | (_, Err(m)) => format!(" (some Global Administrators unread: {})", m.detail),
    };
    let mut pass = Finding::pass(
        CheckId::AzureElevation,
        format!(
            "{standing}; {} Global Administrator(s) can elevate to User Access Administrator at / with elevateAccess{unread}",
            admins.len()
        ),
    );
    for (a, how) in admins {
        let who = if is_emergency(&a.principal.id) {
            "emergency identity; "
        } else {
            ""
        };
        pass = pass.with(a.principal.evidence(Some(format!(
            "{who}Global Administrator ({how}): may elevate"
        ))));
    }
    pass
}

/// Whether the emergency identities keep a way onto the root management group.
fn root_role(
    snapshot: &Snapshot,
    azure: &AzureReach,
    is_emergency: &dyn Fn(&str) -> bool,
    out: &mut Vec<Finding>,
) {
    let check = CheckId::AzureRootRole;
    let (root, group) = match (azure.root.get(), azure.root_management_group.get()) {
        (Ok(root), Ok(group)) => (root, group),
        (Err(missing), _) | (_, Err(missing)) => {
            return out.push(Finding::not_checked(check, missing));
        }
    };
    let tenant = &snapshot.tenant;
    let all: Vec<&AzureAssignment> = group.iter().chain(root.iter()).collect();
    let held: Vec<&&AzureAssignment> = all
        .iter()
        .filter(|a| is_emergency(&a.principal_id))
        .collect();
    let others: Vec<&&AzureAssignment> = all
        .iter()
        .filter(|a| !is_emergency(&a.principal_id) && a.assigns_roles())
        .collect();
    let emergency_admin = held.iter().any(|a| a.assigns_roles());
    let ga = roles::GLOBAL_ADMINISTRATOR.template_id.to_string();
    let elevators: Vec<&str> = tenant
        .users
        .iter()
        .filter(|u| u.account_enabled && tenant.holds_role(&u.id, &ga))
        .map(|u| u.user_principal_name.as_str())
        .collect();
    if !others.is_empty() && !emergency_admin && elevators.is_empty() {
        if let Err(missing) = tenant.role_assignments.get() {
            return out.push(Finding::not_checked(check, missing));
        }
        let mut finding = Finding::found(
            check,
            Severity::Medium,
            format!(
                "{} principal(s) may manage access at the root of Azure, and no emergency identity can: none holds Owner or User Access Administrator there, and no enabled emergency user is an active Global Administrator who could elevate",
                others.len()
            ),
        )
        .hinted("give the emergency users permanent active Global Administrator (Microsoft's guidance), or an emergency identity Owner on the root management group, so that whoever manages Azure access cannot lock the emergency access out of Azure");
        for a in others {
            finding = finding.with(evidence_of(
                tenant,
                a,
                format!("{} at {}", a.role_name(), scope_name(a)),
            ));
        }
        return out.push(finding);
    }
    out.push(root_role_pass(tenant, &held, &elevators));
}

fn root_role_pass(tenant: &TenantView, held: &[&&AzureAssignment], elevators: &[&str]) -> Finding {
    let elevate = if elevators.is_empty() {
        String::new()
    } else {
        format!(
            "; {} can elevate as Global Administrator",
            elevators.join(", ")
        )
    };
    let summary = if held.is_empty() {
        format!(
            "no emergency identity holds an Azure role on the root management group or at / (Microsoft's guidance requires none){elevate}"
        )
    } else {
        format!(
            "{} role assignment(s) of emergency identities at the root of Azure{elevate}",
            held.len()
        )
    };
    let mut pass = Finding::pass(CheckId::AzureRootRole, summary);
    for a in held {
        pass = pass.with(evidence_of(
            tenant,
            a,
            format!("{} at {}", a.role_name(), scope_name(a)),
        ));
    }
    pass
}
