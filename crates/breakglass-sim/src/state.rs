//! The tenant's directory as the simulator keeps it: Graph-shaped JSON objects plus
//! the few private facts Entra never returns (secret hashes, passwords, owners).
//!
//! Everything here is synchronous and free of transport concerns, so a request
//! handler is a plain function of `&mut Tenant`.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::clock::graph_time;
use crate::index::Objects;
pub(crate) use crate::object::{DirObject, Kind, Private};
use crate::tracked::{Journal, Tracked, TrackedList, TrackedMap};

/// A sign-in record in the beta shape; v1.0 readers see a projection of it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignInRecord {
    pub record: Value,
    /// Interactive user sign-ins are the only ones v1.0 returns.
    pub interactive_user: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tenant {
    pub tenant_id: Uuid,
    pub display_name: String,
    pub initial_domain: String,
    pub created_at: Timestamp,
    pub domains: TrackedList,
    pub objects: Objects,
    pub role_definitions: TrackedList,
    pub role_assignments: TrackedList,
    /// PIM-eligible role assignments (`unifiedRoleEligibilityScheduleInstance`), seeded only;
    /// absent in state files written before they existed.
    #[serde(default)]
    pub role_eligibilities: TrackedList,
    pub conditional_access_policies: TrackedList,
    pub directory_audits: Journal<Value>,
    pub sign_ins: Journal<SignInRecord>,
    /// The Azure Resource Manager subset (workspaces, alert rules, action groups); absent
    /// in state files written before it existed.
    #[serde(default)]
    pub arm: ArmState,
    /// App management policies; absent in state files written before them.
    #[serde(default)]
    pub app_management: AppManagementState,
    /// The Temporary Access Pass method policy (`temporaryAccessPassAuthenticationMethodConfiguration`);
    /// Entra's built-in one in state files written before it.
    #[serde(default = "crate::pass_policy::default_policy")]
    pub temporary_access_pass_policy: Value,
    /// The Passkey (FIDO2) method policy (`fido2AuthenticationMethodConfiguration`); Entra's
    /// built-in one in state files written before it.
    #[serde(default = "crate::passkey_policy::default_policy")]
    pub passkey_policy: Value,
    /// Administrative units with their members, seeded only; absent in state files written
    /// before them.
    #[serde(default)]
    pub administrative_units: Vec<SeededUnit>,
    /// PIM activation policies that differ from Entra's default (no approval), seeded only;
    /// absent in state files written before them.
    #[serde(default)]
    pub role_activations: Vec<SeededActivation>,
    /// PIM for Groups schedule instances, seeded only; absent in state files written before
    /// them.
    #[serde(default)]
    pub group_pim: GroupPim,
}

/// PIM for Groups: who may activate membership or ownership of a group
/// (`privilegedAccessGroupEligibilityScheduleInstance`), and who holds it through PIM now
/// (`privilegedAccessGroupAssignmentScheduleInstance`), as Graph lists them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupPim {
    pub eligibilities: Vec<Value>,
    pub assignments: Vec<Value>,
}

/// The tenant's app management policies: the default one every application and service
/// principal follows unless a custom policy is assigned to it, and the custom ones.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppManagementState {
    /// `tenantAppManagementPolicy`, as GET /policies/defaultAppManagementPolicy returns it.
    pub default_policy: Tracked<Value>,
    /// `appManagementPolicy` objects.
    #[serde(default)]
    pub policies: TrackedList,
    /// `appliesTo`: (policy id, object id); one policy per object.
    #[serde(default)]
    pub applies_to: Tracked<Vec<(String, String)>>,
}

impl Clone for Tenant {
    fn clone(&self) -> Self {
        Tenant {
            tenant_id: self.tenant_id,
            display_name: self.display_name.clone(),
            initial_domain: self.initial_domain.clone(),
            created_at: self.created_at,
            domains: self.domains.duplicate(),
            objects: self.objects.clone(),
            role_definitions: self.role_definitions.duplicate(),
            role_assignments: self.role_assignments.duplicate(),
            role_eligibilities: self.role_eligibilities.duplicate(),
            conditional_access_policies: self.conditional_access_policies.duplicate(),
            directory_audits: self.directory_audits.duplicate(),
            sign_ins: self.sign_ins.duplicate(),
            arm: self.arm.clone(),
            app_management: AppManagementState {
                default_policy: self.app_management.default_policy.duplicate(),
                policies: self.app_management.policies.duplicate(),
                applies_to: self.app_management.applies_to.duplicate(),
            },
            // Set only by the seed, so the snapshot holds it and no change record needs to.
            temporary_access_pass_policy: self.temporary_access_pass_policy.clone(),
            passkey_policy: self.passkey_policy.clone(),
            administrative_units: self.administrative_units.clone(),
            role_activations: self.role_activations.clone(),
            group_pim: self.group_pim.clone(),
        }
    }
}

impl Default for AppManagementState {
    fn default() -> Self {
        let none = || json!({"passwordCredentials": [], "keyCredentials": []});
        AppManagementState {
            default_policy: Tracked::new(json!({
                "id": "00000000-0000-0000-0000-000000000000",
                "displayName": "Default app management tenant policy",
                "description": "The simulated tenant's default restrictions on application and service principal credentials.",
                "isEnabled": false,
                "applicationRestrictions": none(),
                "servicePrincipalRestrictions": none()
            })),
            policies: TrackedList::default(),
            applies_to: Tracked::default(),
        }
    }
}

/// What the simulated Azure Resource Manager holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArmState {
    /// Log Analytics workspaces, seeded from the tenant description.
    #[serde(default)]
    pub workspaces: Vec<ArmWorkspace>,
    /// Service principal object ids holding Contributor on a subscription:
    /// (principal id, subscription id).
    #[serde(default)]
    pub contributors: Vec<(String, String)>,
    /// Resources by lower-case resource id, as GET returns them.
    #[serde(default)]
    pub resources: TrackedMap<Value>,
    /// Azure role assignments at `/` and on the tenant root management group, seeded from the
    /// tenant description; absent in state files written before them.
    #[serde(default)]
    pub role_assignments: Vec<AzureRoleAssignment>,
}

/// One Azure role assignment (`Microsoft.Authorization/roleAssignments`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AzureRoleAssignment {
    /// The assignment's name, a GUID.
    pub name: String,
    /// `/`, or `/providers/Microsoft.Management/managementGroups/{id}`.
    pub scope: String,
    /// The role definition's GUID.
    pub role_definition: String,
    pub principal_id: String,
    /// `User`, `Group` or `ServicePrincipal`.
    pub principal_type: String,
}

/// One Log Analytics workspace.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArmWorkspace {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub customer_id: Uuid,
}

impl ArmWorkspace {
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

pub(crate) fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Who did something, for audit records and authorization.
#[derive(Clone, Debug)]
pub(crate) enum Actor {
    App {
        app_id: String,
        service_principal_id: String,
        display_name: String,
    },
    User {
        id: String,
        user_principal_name: String,
        display_name: String,
    },
}

impl Actor {
    pub fn principal_id(&self) -> &str {
        match self {
            Actor::App {
                service_principal_id,
                ..
            } => service_principal_id,
            Actor::User { id, .. } => id,
        }
    }

    fn initiated_by(&self) -> Value {
        match self {
            Actor::App {
                app_id,
                service_principal_id,
                display_name,
            } => json!({
                "app": {
                    "appId": app_id,
                    "displayName": display_name,
                    "servicePrincipalId": service_principal_id,
                    "servicePrincipalName": display_name,
                },
                "user": null,
            }),
            Actor::User {
                id,
                user_principal_name,
                display_name,
            } => json!({
                "app": null,
                "user": {
                    "id": id,
                    "displayName": display_name,
                    "userPrincipalName": user_principal_name,
                    "ipAddress": "127.0.0.1",
                },
            }),
        }
    }
}

/// One resource an audited change touched.
pub(crate) struct Target {
    pub id: String,
    pub display_name: String,
    pub kind: &'static str,
    pub user_principal_name: Option<String>,
    pub modified: Vec<(String, Value, Value)>,
}

impl Target {
    pub fn of(object: &DirObject) -> Target {
        let kind = match object.kind {
            Kind::User => "User",
            Kind::Group => "Group",
            Kind::Application => "Application",
            Kind::ServicePrincipal => "ServicePrincipal",
        };
        Target {
            id: object.id().to_string(),
            display_name: object.display_name().to_string(),
            kind,
            user_principal_name: object.str("userPrincipalName").map(Cow::into_owned),
            modified: Vec::new(),
        }
    }

    /// A policy (Conditional Access, app management) as an audit record names it.
    pub fn of_policy(policy: &Value) -> Target {
        let text = |name: &str| {
            policy
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Target {
            id: text("id"),
            display_name: text("displayName"),
            kind: "Policy",
            user_principal_name: None,
            modified: Vec::new(),
        }
    }

    pub fn modified(mut self, property: &str, old: Value, new: Value) -> Target {
        self.modified.push((property.to_string(), old, new));
        self
    }
}

impl Tenant {
    pub fn object(&self, id: &str) -> Option<&DirObject> {
        self.objects.get(id).filter(|o| o.deleted_at.is_none())
    }

    pub fn object_mut(&mut self, id: &str) -> Option<&mut DirObject> {
        self.objects.get_mut(id).filter(|o| o.deleted_at.is_none())
    }

    pub fn live(&self, kind: Kind) -> impl Iterator<Item = &DirObject> {
        self.objects
            .values()
            .filter(move |o| o.kind == kind && o.deleted_at.is_none())
    }

    pub fn application_by_app_id(&self, app_id: &str) -> Option<&DirObject> {
        self.objects
            .lookup(Kind::Application, "appId", app_id, false)
            .into_iter()
            .next()
    }

    pub fn service_principal_by_app_id(&self, app_id: &str) -> Option<&DirObject> {
        self.objects
            .lookup(Kind::ServicePrincipal, "appId", app_id, false)
            .into_iter()
            .next()
    }

    pub fn user_by_upn(&self, upn: &str) -> Option<&DirObject> {
        self.objects
            .lookup(Kind::User, "userPrincipalName", upn, false)
            .into_iter()
            .next()
    }

    /// Resolves `{id}` or `{userPrincipalName}` as Graph does for /users/{id|upn}.
    pub fn user_by_key(&self, key: &str) -> Option<&DirObject> {
        match self.object(key) {
            Some(object) if object.kind == Kind::User => Some(object),
            _ => self.user_by_upn(key),
        }
    }

    pub fn has_domain(&self, name: &str) -> bool {
        self.domains.iter().any(|d| {
            d.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.eq_ignore_ascii_case(name))
        })
    }

    /// Template ids of the directory roles assigned to this principal.
    pub fn role_template_ids_of(&self, principal_id: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .role_assignments
            .iter()
            .filter(|a| a.get("principalId").and_then(Value::as_str) == Some(principal_id))
            .filter_map(|a| a.get("roleDefinitionId").and_then(Value::as_str))
            .map(|id| self.template_of(id))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Maps a role definition id (which for built-in roles is the template id) to its template id.
    pub fn template_of(&self, role_definition_id: &str) -> String {
        self.role_definitions
            .iter()
            .find(|d| d.get("id").and_then(Value::as_str) == Some(role_definition_id))
            .and_then(|d| d.get("templateId").and_then(Value::as_str))
            .unwrap_or(role_definition_id)
            .to_string()
    }

    /// Graph application permissions granted to this service principal on Microsoft Graph.
    pub fn graph_permissions_of(&self, service_principal_id: &str) -> Vec<String> {
        let Some(sp) = self.object(service_principal_id) else {
            return Vec::new();
        };
        let mut values: Vec<String> = sp
            .private
            .app_role_assignments
            .iter()
            .filter_map(|a| a.get("appRoleId").and_then(Value::as_str))
            .filter_map(|id| Uuid::parse_str(id).ok())
            .filter_map(crate::permissions::by_id)
            .map(|p| p.value.to_string())
            .collect();
        values.sort();
        values.dedup();
        values
    }

    /// Records a directory audit event with Microsoft's activity name and category.
    pub fn audit(
        &mut self,
        now: Timestamp,
        actor: &Actor,
        category: &str,
        activity: &str,
        operation_type: &str,
        targets: Vec<Target>,
    ) {
        let target_resources: Vec<Value> = targets
            .into_iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "displayName": t.display_name,
                    "type": t.kind,
                    "userPrincipalName": t.user_principal_name,
                    "groupType": null,
                    "modifiedProperties": t.modified.into_iter().map(|(name, old, new)| json!({
                        "displayName": name,
                        "oldValue": if old.is_null() { Value::Null } else { Value::String(old.to_string()) },
                        "newValue": if new.is_null() { Value::Null } else { Value::String(new.to_string()) },
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let correlation = Uuid::new_v4().to_string();
        let record = json!({
            "id": format!("Directory_{}_{}", correlation, short_token()),
            "category": category,
            "correlationId": correlation,
            "result": "success",
            "resultReason": "",
            "activityDisplayName": activity,
            "activityDateTime": graph_time(now),
            "loggedByService": "Core Directory",
            "operationType": operation_type,
            "initiatedBy": actor.initiated_by(),
            "targetResources": target_resources,
            "additionalDetails": [],
        });
        self.directory_audits.push(record);
    }
}

fn short_token() -> String {
    let id = Uuid::new_v4().simple().to_string();
    id[..5].to_ascii_uppercase()
}

/// One administrative unit as Graph returns it, with the ids of its members (a navigation,
/// so never part of the unit's own JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeededUnit {
    pub unit: Value,
    pub members: Vec<String>,
}

impl SeededUnit {
    pub(crate) fn id(&self) -> &str {
        self.unit
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// What PIM asks before an eligible member of one directory role may activate it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeededActivation {
    pub role_template_id: String,
    pub approval_required: bool,
    /// `subjectSet`s (`singleUser`, `groupMembers`), as Graph lists them.
    pub approvers: Vec<Value>,
}
