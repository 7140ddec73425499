//! PIM's role management policies for directory roles, as Graph v1.0 lists them:
//! `GET /policies/roleManagementPolicyAssignments` (microsoft-graph-docs-contrib
//! `api-reference/v1.0/api/policyroot-list-rolemanagementpolicyassignments.md`). The filter on
//! `scopeId` and `scopeType` is required; `$expand=policy($expand=rules)` adds the policy and
//! its rules. Every role definition has a policy; the seeded ones differ from Entra's default
//! in their approval rule. Only the tenant scope of directory roles is served: PIM for
//! Groups' policies are not part of the simulated subset.

use http::StatusCode;
use serde_json::{Value, json};

use super::Ctx;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::state::{SeededActivation, Tenant};
use breakglass_core::roles as builtin;

const READ_PERMISSIONS: &[&str] = &[
    "RoleManagementPolicy.Read.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagementPolicy.ReadWrite.Directory",
    "RoleManagement.ReadWrite.Directory",
];

/// `/policies/roleManagementPolicyAssignments`
pub(crate) fn policies(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    match (rest, &ctx.request.method) {
        (["roleManagementPolicyAssignments"], &http::Method::GET) => Some(list_assignments(ctx)),
        _ => None,
    }
}

fn target(level: &str) -> Value {
    json!({"caller": "EndUser", "operations": ["all"], "level": level,
        "inheritableSettings": [], "enforcedSettings": []})
}

/// The end-user rules of a role's policy: how long an activation lasts, what it asks, and
/// who approves it.
fn rules(activation: &SeededActivation) -> Value {
    json!([
        {"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
         "id": "Expiration_EndUser_Assignment", "isExpirationRequired": true,
         "maximumDuration": "PT8H", "target": target("Assignment")},
        {"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule",
         "id": "Enablement_EndUser_Assignment",
         "enabledRules": ["MultiFactorAuthentication", "Justification"],
         "target": target("Assignment")},
        {"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
         "id": "Approval_EndUser_Assignment", "target": target("Assignment"),
         "setting": {
             "isApprovalRequired": activation.approval_required,
             "isApprovalRequiredForExtension": false,
             "isRequestorJustificationRequired": true,
             "approvalMode": "SingleStage",
             "approvalStages": [{
                 "approvalStageTimeOutInDays": 1,
                 "isApproverJustificationRequired": true,
                 "escalationTimeInMinutes": 0,
                 "isEscalationEnabled": false,
                 "primaryApprovers": activation.approvers,
                 "escalationApprovers": []
             }]
         }}
    ])
}

/// One assignment per role definition, its policy attached when `$expand` asks for it.
fn assignments(tenant: &Tenant, scope_type: &str, expand: &str) -> Vec<Value> {
    let with_policy = expand.contains("policy");
    let with_rules = expand.contains("rules");
    tenant
        .role_definitions
        .iter()
        .filter_map(|d| d.get("id").and_then(Value::as_str))
        .map(|role_id| {
            let activation = tenant
                .role_activations
                .iter()
                .find(|a| a.role_template_id.eq_ignore_ascii_case(role_id))
                .cloned()
                .unwrap_or_else(|| SeededActivation {
                    role_template_id: role_id.to_string(),
                    ..SeededActivation::default()
                });
            let policy_id = format!("{scope_type}_{}_{role_id}", tenant.tenant_id);
            let mut assignment = json!({
                "id": format!("{policy_id}_{role_id}"),
                "policyId": policy_id,
                "scopeId": "/",
                "scopeType": scope_type,
                "roleDefinitionId": role_id,
            });
            if with_policy {
                let mut policy = json!({
                    "id": policy_id, "displayName": scope_type, "description": scope_type,
                    "isOrganizationDefault": false, "scopeId": "/", "scopeType": scope_type,
                    "lastModifiedDateTime": null,
                    "lastModifiedBy": {"displayName": null, "id": null},
                });
                if with_rules {
                    policy["rules"] = rules(&activation);
                }
                assignment["policy"] = policy;
            }
            assignment
        })
        .collect()
}

fn list_assignments(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    let readers = [
        builtin::GLOBAL_READER,
        builtin::PRIVILEGED_ROLE_ADMINISTRATOR,
    ];
    if let Err(denied) = ctx.require(&tenant, READ_PERMISSIONS, &readers) {
        return denied;
    }
    let filter = ctx.request.query_param("$filter").unwrap_or_default();
    // Graph asks every request to name its scope; the directory-role scope is `/`.
    if !(filter.contains("scopeId") && filter.contains("scopeType")) {
        return ctx.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The filter must name a scopeId and a scopeType.",
        );
    }
    let expand = ctx.request.query_param("$expand").unwrap_or_default();
    // Both names of the tenant scope list the same policies, each under the name asked for.
    let scope_type = if filter.contains("'Directory'") {
        "Directory"
    } else {
        "DirectoryRole"
    };
    let items = assignments(&tenant, scope_type, &expand);
    list(
        ctx,
        items,
        "policies/roleManagementPolicyAssignments",
        DIRECTORY_PAGING,
        None,
    )
}
