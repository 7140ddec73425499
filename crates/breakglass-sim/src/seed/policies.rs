//! Seeding the tenant's policies: app management policies, the Temporary Access Pass method
//! policy and Conditional Access policies, once every object they name exists.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{PolicyAssignments, PolicyDescription, Seeding, TenantDescription, policy_json};
use crate::SimError;
use crate::state::Kind;
use breakglass_core::roles;

impl Seeding<'_> {
    pub(super) fn add_app_management(
        &mut self,
        description: &TenantDescription,
    ) -> Result<(), SimError> {
        if let Some(properties) = description
            .default_app_management_policy
            .as_ref()
            .and_then(Value::as_object)
        {
            for (name, value) in properties {
                self.tenant.app_management.default_policy[name] = value.clone();
            }
        }
        for policy in &description.app_management_policies {
            let mut policy = policy.clone();
            let applies_to: Vec<String> = policy
                .as_object_mut()
                .and_then(|fields| fields.remove("appliesTo"))
                .and_then(|names| serde_json::from_value(names).ok())
                .unwrap_or_default();
            let id = Uuid::new_v4().to_string();
            policy["id"] = Value::String(id.clone());
            for name in &applies_to {
                let app = self
                    .tenant
                    .live(Kind::Application)
                    .find(|app| app.display_name() == **name)
                    .map(|app| app.id().to_string())
                    .ok_or_else(|| {
                        self.fail(format!(
                            "app management policy applies to unknown application `{name}`"
                        ))
                    })?;
                self.tenant
                    .app_management
                    .applies_to
                    .push((id.clone(), app));
            }
            self.tenant.app_management.policies.push(policy);
        }
        Ok(())
    }

    pub(super) fn set_pass_policy(
        &mut self,
        description: &TenantDescription,
    ) -> Result<(), SimError> {
        let Some(properties) = description
            .temporary_access_pass_policy
            .as_ref()
            .and_then(Value::as_object)
        else {
            return Ok(());
        };
        for (name, value) in properties {
            let value = if matches!(name.as_str(), "includeTargets" | "excludeTargets") {
                let names: Vec<String> = serde_json::from_value(value.clone()).map_err(|_| {
                    self.fail(format!(
                        "temporaryAccessPassPolicy.{name} lists group names"
                    ))
                })?;
                let mut targets = Vec::new();
                for group in names {
                    targets.push(crate::pass_policy::target(&self.group_target(&group)?));
                }
                Value::Array(targets)
            } else {
                value.clone()
            };
            self.tenant.temporary_access_pass_policy[name] = value;
        }
        Ok(())
    }

    pub(super) fn set_passkey_policy(
        &mut self,
        description: &TenantDescription,
    ) -> Result<(), SimError> {
        let Some(properties) = description
            .passkey_policy
            .as_ref()
            .and_then(Value::as_object)
        else {
            return Ok(());
        };
        for (name, value) in properties {
            let value = if matches!(name.as_str(), "includeTargets" | "excludeTargets") {
                let names: Vec<String> = serde_json::from_value(value.clone())
                    .map_err(|_| self.fail(format!("passkeyPolicy.{name} lists group names")))?;
                let mut targets = Vec::new();
                for group in names {
                    targets.push(crate::pass_policy::target(&self.group_target(&group)?));
                }
                Value::Array(targets)
            } else {
                value.clone()
            };
            self.tenant.passkey_policy[name] = value;
        }
        Ok(())
    }

    /// A policy target's id: `all_users`, or the id of the seeded group of that name.
    pub(super) fn group_target(&self, name: &str) -> Result<String, SimError> {
        if name == "all_users" {
            return Ok(name.to_string());
        }
        self.tenant
            .live(Kind::Group)
            .find(|group| group.display_name() == name)
            .map(|group| group.id().to_string())
            .ok_or_else(|| {
                self.fail(format!(
                    "temporaryAccessPassPolicy names unknown group `{name}`"
                ))
            })
    }

    pub(super) fn add_policy(&mut self, policy: &PolicyDescription) -> Result<(), SimError> {
        let mut include_roles = Vec::new();
        for name in &policy.include_roles {
            let role = roles::by_name(name).ok_or_else(|| {
                self.fail(format!(
                    "policy `{}` names unknown role `{name}`",
                    policy.display_name
                ))
            })?;
            include_roles.push(role.template_id.to_string());
        }
        if !matches!(
            policy.state.as_str(),
            "enabled" | "disabled" | "enabledForReportingButNotEnforced"
        ) {
            return Err(self.fail(format!(
                "policy `{}` has state `{}`; use enabled, disabled or enabledForReportingButNotEnforced",
                policy.display_name, policy.state
            )));
        }
        // A policy that names nobody applies to nobody, which Graph writes as `None`.
        let include_users = if policy.include_users.is_empty()
            && include_roles.is_empty()
            && policy.include_service_principals.is_empty()
        {
            vec!["None".to_string()]
        } else {
            policy.include_users.clone()
        };
        let client_applications = if policy.include_service_principals.is_empty() {
            Value::Null
        } else {
            json!({
                "includeServicePrincipals": self.service_principal_ids(policy, &policy.include_service_principals)?,
                "excludeServicePrincipals": self.service_principal_ids(policy, &policy.exclude_service_principals)?,
                "servicePrincipalFilter": null
            })
        };
        let assignments = PolicyAssignments {
            include_users,
            include_roles,
            client_applications,
        };
        let policy = policy_json(policy, &self.created, assignments);
        self.tenant.conditional_access_policies.push(policy);
        Ok(())
    }

    /// Service principals are named by object id, `ServicePrincipalsInMyTenant`, or (in
    /// the description only) the display name of a seeded application.
    pub(super) fn service_principal_ids(
        &self,
        policy: &PolicyDescription,
        names: &[String],
    ) -> Result<Vec<String>, SimError> {
        names
            .iter()
            .map(|name| {
                if name == "ServicePrincipalsInMyTenant" || Uuid::parse_str(name).is_ok() {
                    return Ok(name.clone());
                }
                self.service_principal_ids
                    .get(name)
                    .cloned()
                    .ok_or_else(|| {
                        self.fail(format!(
                            "policy `{}` names service principal `{name}`, which is not among the applications",
                            policy.display_name
                        ))
                    })
            })
            .collect()
    }
}
