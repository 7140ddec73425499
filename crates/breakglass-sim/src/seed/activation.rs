//! Seeding of PIM's activation policies for directory roles: whether activating an eligible
//! assignment needs approval, and who approves. Roles the description leaves out keep Entra's
//! default: no approval.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Seeding;
use crate::SimError;
use crate::state::{Kind, SeededActivation};

/// `roleActivationPolicies[]` of a tenant description.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ActivationPolicyDescription {
    /// A role's display name.
    pub role: String,
    pub approval_required: bool,
    /// Users by principal name and groups by display name; none means Entra's default
    /// approvers.
    #[serde(default)]
    pub approvers: Vec<ApproverDescription>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum ApproverDescription {
    User(String),
    Group(String),
}

impl Seeding<'_> {
    fn approver(&self, role: &str, approver: &ApproverDescription) -> Result<Value, SimError> {
        match approver {
            ApproverDescription::User(name) => {
                let id = self.user_ids.get(&name.to_ascii_lowercase()).ok_or_else(|| {
                    self.fail(format!(
                        "the activation policy of `{role}` names approver `{name}`, which is no user of the tenant"
                    ))
                })?;
                Ok(
                    json!({"@odata.type": "#microsoft.graph.singleUser", "userId": id,
                    "description": name, "isBackup": false}),
                )
            }
            ApproverDescription::Group(name) => {
                let group = self
                    .tenant
                    .live(Kind::Group)
                    .find(|g| g.display_name() == name.as_str())
                    .ok_or_else(|| {
                        self.fail(format!(
                            "the activation policy of `{role}` names approver group `{name}`, which the tenant does not have"
                        ))
                    })?;
                Ok(json!({"@odata.type": "#microsoft.graph.groupMembers",
                    "groupId": group.id(), "description": name, "isBackup": false}))
            }
        }
    }

    pub(super) fn add_activation_policies(
        &mut self,
        policies: &[ActivationPolicyDescription],
    ) -> Result<(), SimError> {
        for policy in policies {
            let role_template_id = self.role_id(&policy.role)?.to_string();
            let approvers = policy
                .approvers
                .iter()
                .map(|a| self.approver(&policy.role, a))
                .collect::<Result<Vec<_>, _>>()?;
            self.tenant.role_activations.push(SeededActivation {
                role_template_id,
                approval_required: policy.approval_required,
                approvers,
            });
        }
        Ok(())
    }
}
