//! Conditional Access for workload identities: a policy that targets the emergency app's
//! service principal can block it (AADSTS53003) when it is needed.

use super::{CheckId, Evidence, Finding, Outcome, Severity, Snapshot};
use crate::tenant::same;

pub(super) fn workload_ca_check(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::WorkloadConditionalAccess;
    let Some(sp) = &snapshot.tenant.service_principal else {
        return;
    };
    let policies = match snapshot.tenant.policies.get() {
        Err(missing) => {
            out.push(Finding::not_checked(check, missing));
            return;
        }
        Ok(policies) => policies,
    };
    let mut blocking = Vec::new();
    let mut reporting = Vec::new();
    for policy in policies {
        let targets = policy
            .include_service_principals
            .iter()
            .any(|i| same(i, "ServicePrincipalsInMyTenant") || same(i, &sp.id));
        let excluded = policy
            .exclude_service_principals
            .iter()
            .any(|e| same(e, &sp.id));
        if !targets || excluded {
            continue;
        }
        let how = if policy
            .include_service_principals
            .iter()
            .any(|i| same(i, &sp.id))
        {
            "includes the emergency service principal"
        } else {
            "includes ServicePrincipalsInMyTenant without excluding it"
        };
        let evidence = Evidence {
            id: policy.id.clone(),
            name: policy.display_name.clone(),
            kind: "conditionalAccessPolicy".into(),
            detail: Some(format!(
                "{} ({how}; grant {})",
                policy.state,
                policy.grant_controls.join(", ")
            )),
        };
        match policy.state.as_str() {
            "enabled" => blocking.push(evidence),
            "enabledForReportingButNotEnforced" => reporting.push(evidence),
            _ => {}
        }
    }
    let hint = "add the emergency service principal's object id to each policy's excluded service principals (Workload identities, Exclude)";
    if !blocking.is_empty() {
        let mut finding = Finding::found(
            check,
            Severity::Critical,
            format!(
                "{} enabled Conditional Access policy(ies) for workload identities apply to the emergency app: it can be blocked (AADSTS53003) when it is needed",
                blocking.len()
            ),
        )
        .hinted(hint);
        finding.evidence = blocking;
        out.push(finding);
    }
    if !reporting.is_empty() {
        let mut finding = Finding::found(
            check,
            Severity::Low,
            format!(
                "{} report-only policy(ies) for workload identities apply to the emergency app; they block nothing now, but would once enabled",
                reporting.len()
            ),
        )
        .hinted(hint);
        finding.evidence = reporting;
        out.push(finding);
    }
    if out
        .iter()
        .all(|f| f.check != check || f.status == Outcome::Pass)
    {
        out.push(Finding::pass(
            check,
            format!(
                "no enabled or report-only policy among {} targets the emergency service principal",
                policies.len()
            ),
        ));
    }
}
