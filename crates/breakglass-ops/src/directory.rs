//! Reads of the directory for people: who holds admin roles, the organization and its
//! domains, and who a token says the signed-in identity is.

use std::collections::HashMap;

use breakglass_core::roles;
use breakglass_entra::graph::models::UnifiedRoleAssignment;
use breakglass_entra::{GraphClient, Query};
use futures::TryStreamExt as _;
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, ErrorKind};
use crate::session::Session;

/// One role assignment.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminRecord {
    pub role: String,
    pub role_definition_id: String,
    pub privileged: bool,
    pub principal_display_name: Option<String>,
    /// `user`, `servicePrincipal`, `group`, or what Graph said.
    pub principal_type: String,
    pub principal_id: String,
    /// The user principal name (users) or application id (service principals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    pub directory_scope_id: String,
    pub assignment_id: String,
}

/// What `admins list` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct AdminList(pub Vec<AdminRecord>);

/// Reads every directory role assignment with its role name and principal.
pub async fn read_admins(graph: &GraphClient) -> Result<AdminList, Error> {
    let definitions = graph.role_definitions(&Query::role_names()).await?;
    let mut names: HashMap<String, (String, Option<String>)> = HashMap::new();
    for definition in definitions {
        let name = definition
            .display_name
            .unwrap_or_else(|| definition.id.clone());
        let template = definition.template_id.clone();
        if let Some(template) = &definition.template_id {
            names.insert(
                template.to_ascii_lowercase(),
                (name.clone(), Some(template.clone())),
            );
        }
        names.insert(definition.id.to_ascii_lowercase(), (name, template));
    }
    let assignments: Vec<UnifiedRoleAssignment> = graph
        .role_assignments(&Query::new().expand("principal"))
        .try_collect()
        .await?;
    let mut records: Vec<AdminRecord> = assignments
        .into_iter()
        .map(|assignment| {
            let (role, template) = names
                .get(&assignment.role_definition_id.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| (assignment.role_definition_id.clone(), None));
            let template_id = template
                .as_deref()
                .or(Some(assignment.role_definition_id.as_str()))
                .and_then(|id| Uuid::parse_str(id).ok());
            let privileged = template_id
                .and_then(roles::by_template_id)
                .is_some_and(|role| role.privileged);
            let principal = assignment.principal;
            let principal_type = principal
                .as_ref()
                .and_then(|principal| principal.kind())
                .unwrap_or("unknown")
                .to_string();
            AdminRecord {
                role,
                role_definition_id: assignment.role_definition_id,
                privileged,
                principal_display_name: principal.as_ref().and_then(|p| p.display_name.clone()),
                principal_type,
                principal_id: assignment.principal_id,
                user_principal_name: principal
                    .as_ref()
                    .and_then(|p| p.user_principal_name.clone()),
                app_id: principal.as_ref().and_then(|p| p.app_id.clone()),
                directory_scope_id: assignment
                    .directory_scope_id
                    .unwrap_or_else(|| "/".to_string()),
                assignment_id: assignment.id,
            }
        })
        .collect();
    // Privileged first, most powerful roles first (the order of `roles::ALL`), then by name.
    let rank = |record: &AdminRecord| {
        roles::ALL
            .iter()
            .position(|role| role.display_name.eq_ignore_ascii_case(&record.role))
            .unwrap_or(roles::ALL.len())
    };
    records.sort_by(|a, b| {
        (
            !a.privileged,
            rank(a),
            &a.role,
            &a.principal_display_name,
            &a.principal_id,
        )
            .cmp(&(
                !b.privileged,
                rank(b),
                &b.role,
                &b.principal_display_name,
                &b.principal_id,
            ))
    });
    Ok(AdminList(records))
}

impl AdminList {
    /// Keeps only privileged roles.
    pub fn privileged_only(self) -> AdminList {
        AdminList(
            self.0
                .into_iter()
                .filter(|record| record.privileged)
                .collect(),
        )
    }
}

/// One verified domain.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainRecord {
    pub name: String,
    pub is_initial: bool,
    pub is_default: bool,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// What `tenant show` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantReport {
    pub id: String,
    pub display_name: Option<String>,
    pub tenant_type: Option<String>,
    pub created_date_time: Option<String>,
    pub verified_domains: Vec<DomainRecord>,
}

/// Reads the organization through Graph.
pub async fn read_organization(graph: &GraphClient) -> Result<TenantReport, Error> {
    let organizations = graph.organization().await?;
    let Some(organization) = organizations.into_iter().next() else {
        return Err(Error::new(
            ErrorKind::Service,
            "Microsoft Graph returned no organization for this tenant",
        )
        .hinted("check that --cloud and the tenant match where the operator is registered"));
    };
    let mut verified_domains: Vec<DomainRecord> = organization
        .verified_domains
        .into_iter()
        .map(|domain| DomainRecord {
            name: domain.name,
            is_initial: domain.is_initial.unwrap_or(false),
            is_default: domain.is_default.unwrap_or(false),
            kind: domain.kind,
        })
        .collect();
    // Default first, then initial, then by name: stable and most useful on top.
    verified_domains.sort_by(|a, b| {
        (!a.is_default, !a.is_initial, a.name.as_str()).cmp(&(
            !b.is_default,
            !b.is_initial,
            b.name.as_str(),
        ))
    });
    Ok(TenantReport {
        id: organization.id,
        display_name: organization.display_name,
        tenant_type: organization.tenant_type,
        created_date_time: organization.created_date_time,
        verified_domains,
    })
}

/// A directory role held, from the token's `wids` claim.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldRole {
    pub template_id: String,
    /// The role's name when breakglass knows the template id.
    pub display_name: Option<String>,
    pub privileged: bool,
}

/// What `whoami` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub cloud: String,
    pub sign_in: &'static str,
    pub tenant_id: Option<String>,
    /// `application` for app-only tokens, `user` for delegated ones.
    pub kind: &'static str,
    pub app_id: Option<String>,
    pub app_display_name: Option<String>,
    pub user: Option<String>,
    pub object_id: Option<String>,
    pub directory_roles: Vec<HeldRole>,
    /// Application permissions (`roles` claim) for app-only tokens.
    pub application_permissions: Vec<String>,
    /// Delegated scopes (`scp` claim) for user tokens.
    pub scopes: Vec<String>,
    pub expires_on: String,
}

/// The "User" (default member) role every signed-in user's token carries in `wids`.
const DEFAULT_USER_ROLE: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

impl Identity {
    /// Reads the identity from a session's token claims.
    pub fn from_session(session: &Session) -> Result<Identity, Error> {
        let claims = session.token.claims()?;
        let directory_roles = claims
            .wids
            .iter()
            .filter(|id| !id.eq_ignore_ascii_case(DEFAULT_USER_ROLE))
            .map(|id| {
                let known = Uuid::parse_str(id).ok().and_then(roles::by_template_id);
                HeldRole {
                    template_id: id.clone(),
                    display_name: known.map(|role| role.display_name.to_string()),
                    privileged: known.is_some_and(|role| role.privileged),
                }
            })
            .collect();
        let app_only = claims.is_app_only();
        Ok(Identity {
            cloud: session.cloud.profile.name.clone(),
            sign_in: session.method,
            tenant_id: claims.tid.clone(),
            kind: if app_only { "application" } else { "user" },
            app_id: claims.client_id().map(str::to_string),
            app_display_name: claims.app_displayname.clone(),
            user: claims.user().map(str::to_string),
            object_id: claims.oid.clone(),
            directory_roles,
            application_permissions: claims.roles.clone(),
            scopes: claims
                .scopes()
                .iter()
                .map(|scope| scope.to_string())
                .collect(),
            expires_on: session.token.expires_on.to_string(),
        })
    }

    /// The directory roles as one line each, names where known.
    pub fn role_lines(&self) -> Vec<String> {
        self.directory_roles
            .iter()
            .map(|role| match &role.display_name {
                Some(name) if role.privileged => format!("{name} (privileged)"),
                Some(name) => name.clone(),
                None => format!("role template {}", role.template_id),
            })
            .collect()
    }
}
