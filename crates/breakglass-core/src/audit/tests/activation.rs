//! The PIM approval lockout: every other Global and Privileged Role Administrator eligible
//! only, activation needing approval, and no approver able to give it.

use super::*;
use crate::tenant::{Approver, RoleApproval};

const PRA: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";

fn eligible(snapshot: &mut Snapshot, id: &str, name: &str, role: &str) {
    if let Fact::Known(list) = &mut snapshot.tenant.role_eligibilities {
        list.push(grant(id, name, role, "/"));
    }
}

fn approval(role: &str, required: bool, approvers: Option<Vec<Approver>>) -> RoleApproval {
    RoleApproval {
        role_template_id: role.into(),
        approval_required: required,
        names_approvers: approvers.is_some(),
        approvers: approvers.unwrap_or_default(),
        uncounted: Vec::new(),
    }
}

fn approver(id: &str, usable: bool) -> Approver {
    Approver {
        principal: principal(id, &format!("{id}@contoso.onmicrosoft.com"), "user"),
        usable,
    }
}

/// The one result of the check, pass or not.
fn result(snapshot: &Snapshot) -> Finding {
    let found: Vec<Finding> = audit(snapshot)
        .into_iter()
        .filter(|f| f.check == CheckId::RoleActivationLockout)
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    found[0].clone()
}

/// alice is eligible for Global Administrator; activation needs approval from `approvers`.
fn alice_eligible(approvers: Option<Vec<Approver>>) -> Snapshot {
    let mut snapshot = clean();
    eligible(&mut snapshot, "alice", "alice@contoso.onmicrosoft.com", GA);
    snapshot.tenant.role_approvals = Fact::Known(vec![
        approval(GA, true, approvers),
        approval(PRA, true, None),
    ]);
    snapshot
}

#[test]
fn only_emergency_administrators_and_nobody_eligible_is_no_stuck_activation() {
    let found = result(&clean());
    assert_eq!(found.status, Outcome::Pass, "{found:#?}");
}

#[test]
fn an_eligible_administrator_whose_only_approver_is_disabled_is_locked_out() {
    let found = result(&alice_eligible(Some(vec![approver("bob", false)])));
    assert_eq!(found.severity, Some(Severity::High), "{found:#?}");
    let ids: Vec<&str> = found.evidence.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["bob", "alice"]);
    assert!(
        found.evidence[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("disabled")
    );

    let found = result(&alice_eligible(Some(vec![approver("bob", true)])));
    assert_eq!(
        found.status,
        Outcome::Pass,
        "an enabled approver can approve"
    );
}

#[test]
fn nobody_approves_their_own_activation() {
    let found = result(&alice_eligible(Some(vec![approver("alice", true)])));
    assert_eq!(found.status, Outcome::Finding, "{found:#?}");
    assert!(
        found.evidence[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("own request")
    );
}

#[test]
fn default_approvers_count_only_when_someone_else_is_active() {
    let found = result(&alice_eligible(None));
    assert_eq!(found.status, Outcome::Finding, "{found:#?}");
    assert!(found.evidence.iter().any(|e| e.kind == "role"));

    let mut snapshot = alice_eligible(None);
    if let Fact::Known(list) = &mut snapshot.tenant.role_assignments {
        list.push(grant("carol", "carol@contoso.onmicrosoft.com", PRA, "/"));
    }
    assert_eq!(result(&snapshot).status, Outcome::Pass);
}

#[test]
fn self_service_activation_or_an_uncounted_approver_is_no_lockout() {
    let mut snapshot = alice_eligible(Some(vec![approver("bob", false)]));
    snapshot.tenant.role_approvals = Fact::Known(vec![approval(GA, false, None)]);
    assert_eq!(result(&snapshot).status, Outcome::Pass);

    let mut snapshot = alice_eligible(Some(vec![approver("bob", false)]));
    if let Fact::Known(list) = &mut snapshot.tenant.role_approvals {
        list[0]
            .uncounted
            .push("#microsoft.graph.requestorManager".into());
    }
    assert_eq!(result(&snapshot).status, Outcome::Pass);
}

#[test]
fn with_the_emergency_identities_inactive_too_it_is_critical() {
    let mut snapshot = alice_eligible(Some(vec![approver("bob", false)]));
    snapshot.tenant.role_assignments = Fact::Known(vec![]);
    let found = result(&snapshot);
    assert_eq!(found.severity, Some(Severity::Critical), "{found:#?}");
}

#[test]
fn unreadable_activation_policies_are_not_checked() {
    let mut snapshot = alice_eligible(None);
    snapshot.tenant.role_approvals = Fact::unreadable("RoleManagementPolicy.Read.Directory", "403");
    let found = result(&snapshot);
    assert_eq!(found.status, Outcome::NotChecked);
    assert!(
        found
            .hint
            .unwrap()
            .contains("RoleManagementPolicy.Read.Directory")
    );
}
