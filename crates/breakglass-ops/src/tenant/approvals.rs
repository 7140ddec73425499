//! Who may approve the activation of Global Administrator and Privileged Role Administrator:
//! the activation policies, with each named approver looked up (a user who was deleted or
//! disabled approves nothing) and each named group's users listed.

use breakglass_core::audit::TIER_ZERO_ROLES;
use breakglass_core::tenant::{Approver, Fact, Principal, RoleApproval};
use breakglass_entra::GraphClient;
use breakglass_entra::graph::models::User;
use breakglass_entra::graph::role_policies::{ActivationApproval, ApproverSet};
use breakglass_entra::{EntraError, Query};

use super::readable;
use crate::error::Error;

/// What lets an operator read PIM's activation policies.
const POLICY_READ: &str = "RoleManagementPolicy.Read.Directory (and Microsoft Entra ID P2 for PIM)";

fn approver_of(user: &User, usable: bool) -> Approver {
    Approver {
        principal: Principal {
            id: user.id.clone(),
            name: user
                .user_principal_name
                .clone()
                .unwrap_or_else(|| user.id.clone()),
            kind: "user".into(),
        },
        usable,
    }
}

/// A named approver: a user who is gone reads as not usable, named by id.
async fn single_user(graph: &GraphClient, id: &str) -> Result<Approver, EntraError> {
    let query = Query::new().select(["id", "userPrincipalName", "accountEnabled"]);
    match graph.user(id, &query).await {
        Ok(user) => Ok(approver_of(&user, user.account_enabled.unwrap_or(true))),
        Err(err) if err.status() == Some(404) => Ok(Approver {
            principal: Principal {
                id: id.to_string(),
                name: id.to_string(),
                kind: "user".into(),
            },
            usable: false,
        }),
        Err(err) => Err(err),
    }
}

async fn role_approval(
    graph: &GraphClient,
    role_template_id: String,
    approval: ActivationApproval,
) -> Result<RoleApproval, EntraError> {
    let mut out = RoleApproval {
        role_template_id,
        approval_required: approval.approval_required,
        names_approvers: !approval.approvers.is_empty(),
        ..RoleApproval::default()
    };
    if !approval.approval_required {
        return Ok(out);
    }
    for set in approval.approvers {
        match set {
            ApproverSet::User(id) => out.approvers.push(single_user(graph, &id).await?),
            ApproverSet::GroupMembers(id) => {
                for user in graph.group_transitive_users(&id).await? {
                    let usable = user.account_enabled.unwrap_or(true);
                    out.approvers.push(approver_of(&user, usable));
                }
            }
            ApproverSet::Other(kind) => out.uncounted.push(kind),
        }
    }
    Ok(out)
}

/// The activation policies of the tier-zero roles; a refused read is an unreadable fact.
pub(super) async fn role_approvals(graph: &GraphClient) -> Result<Fact<Vec<RoleApproval>>, Error> {
    let read = async {
        let reads = TIER_ZERO_ROLES.iter().map(|role| async move {
            let id = role.template_id.to_string();
            let approval = graph.role_activation_approval(&id).await?;
            match approval {
                Some(approval) => role_approval(graph, id, approval).await.map(Some),
                None => Ok(None),
            }
        });
        let found: Vec<Option<RoleApproval>> = futures::future::try_join_all(reads).await?;
        Ok::<_, Error>(found.into_iter().flatten().collect())
    };
    readable(
        "GET /policies/roleManagementPolicyAssignments",
        POLICY_READ,
        read,
    )
    .await
}
