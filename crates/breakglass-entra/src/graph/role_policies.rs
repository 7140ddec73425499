//! PIM's activation rules for a directory role (Graph v1.0): whether activating an eligible
//! assignment needs approval, and who may approve. Microsoft Graph reference
//! `policyroot-list-rolemanagementpolicyassignments.md` and
//! `resources/unifiedrolemanagementpolicyapprovalrule.md`.

use breakglass_core::cloud::GraphVersion::V1;
use serde::Deserialize;
use serde_json::Value;

use super::models::User;
use super::{GraphClient, Query, odata_string, path_segment};
use crate::error::EntraError;

/// What the approval rule for activating a role asks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivationApproval {
    pub approval_required: bool,
    /// The primary approvers of every stage; empty means Entra's default approvers
    /// (Privileged Role Administrators and Global Administrators).
    pub approvers: Vec<ApproverSet>,
}

/// One entry of `primaryApprovers` (a `subjectSet`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApproverSet {
    /// `#microsoft.graph.singleUser`.
    User(String),
    /// `#microsoft.graph.groupMembers`.
    GroupMembers(String),
    /// Any other subject set (a manager, an internal sponsor…), by `@odata.type`: approvers
    /// the audit cannot count, so never reasons from.
    Other(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PolicyAssignmentWire {
    policy: Option<PolicyWire>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PolicyWire {
    /// Polymorphic (`unifiedRoleManagementPolicyRule` subtypes): read as JSON and picked
    /// apart, so an unknown rule type never fails the read.
    rules: Vec<Value>,
}

const APPROVAL_RULE: &str = "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule";

/// The approval rule for a member's own activation, from a policy's rules: the one whose
/// target's caller is `EndUser` (Entra names it `Approval_EndUser_Assignment`).
fn activation_approval(rules: &[Value]) -> Option<ActivationApproval> {
    let rule = rules.iter().find(|rule| {
        rule["@odata.type"] == APPROVAL_RULE
            && (rule["target"]["caller"] == "EndUser"
                || rule["id"] == "Approval_EndUser_Assignment")
    })?;
    let setting = &rule["setting"];
    let approvers = setting["approvalStages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|stage| stage["primaryApprovers"].as_array().into_iter().flatten())
        .map(approver_set)
        .collect();
    Some(ActivationApproval {
        approval_required: setting["isApprovalRequired"].as_bool().unwrap_or(false),
        approvers,
    })
}

fn approver_set(subject: &Value) -> ApproverSet {
    let kind = subject["@odata.type"].as_str().unwrap_or_default();
    let text = |key: &str| subject[key].as_str().map(str::to_string);
    match kind {
        "#microsoft.graph.singleUser" => text("userId").map(ApproverSet::User),
        "#microsoft.graph.groupMembers" => text("groupId").map(ApproverSet::GroupMembers),
        _ => None,
    }
    .unwrap_or_else(|| ApproverSet::Other(kind.to_string()))
}

impl GraphClient {
    /// The activation approval rule of a directory role at the tenant scope
    /// (`GET /policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq
    /// 'DirectoryRole' and roleDefinitionId eq '…'&$expand=policy($expand=rules)`,
    /// RoleManagementPolicy.Read.Directory). `None` when the tenant has no such policy.
    pub async fn role_activation_approval(
        &self,
        role_definition_id: &str,
    ) -> Result<Option<ActivationApproval>, EntraError> {
        let query = Query::new()
            .filter(format!(
                "scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq {}",
                odata_string(role_definition_id)
            ))
            .expand("policy($expand=rules)");
        let found: Vec<PolicyAssignmentWire> = self
            .list_all(V1, "policies/roleManagementPolicyAssignments", &query)
            .await?;
        Ok(found
            .iter()
            .filter_map(|a| a.policy.as_ref())
            .find_map(|p| activation_approval(&p.rules)))
    }

    /// The users among a group's members, directly or through nested groups, with whether
    /// they may sign in (`GET /groups/{id}/transitiveMembers`, GroupMember.Read.All).
    pub async fn group_transitive_users(&self, id: &str) -> Result<Vec<User>, EntraError> {
        let members: Vec<Value> = self
            .list_all(
                V1,
                &format!("groups/{}/transitiveMembers", path_segment(id)),
                &Query::new().select(["id", "userPrincipalName", "accountEnabled"]),
            )
            .await?;
        Ok(members
            .into_iter()
            .filter(|m| m["@odata.type"] == "#microsoft.graph.user")
            .filter_map(|m| serde_json::from_value(m).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_end_user_approval_rule_is_read_and_other_rules_ignored() {
        let rules = vec![
            json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
                   "id": "Expiration_EndUser_Assignment", "target": {"caller": "EndUser"}}),
            json!({"@odata.type": APPROVAL_RULE, "id": "Approval_EndUser_Assignment",
            "target": {"caller": "EndUser"},
            "setting": {"isApprovalRequired": true, "approvalStages": [
                {"primaryApprovers": [
                    {"@odata.type": "#microsoft.graph.singleUser", "userId": "u1"},
                    {"@odata.type": "#microsoft.graph.groupMembers", "groupId": "g1"},
                    {"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1}
                ]}]}}),
        ];
        let approval = activation_approval(&rules).unwrap();
        assert!(approval.approval_required);
        assert_eq!(
            approval.approvers,
            [
                ApproverSet::User("u1".into()),
                ApproverSet::GroupMembers("g1".into()),
                ApproverSet::Other("#microsoft.graph.requestorManager".into()),
            ]
        );
    }

    #[test]
    fn a_rule_without_settings_asks_for_no_approval() {
        let rules = vec![json!({"@odata.type": APPROVAL_RULE, "target": {"caller": "EndUser"}})];
        assert_eq!(
            activation_approval(&rules),
            Some(ActivationApproval::default())
        );
        assert_eq!(activation_approval(&[]), None);
    }
}
