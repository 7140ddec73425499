//! Azure role assignments on Resource Manager, read-only: the subset `audit --azure` reads.
//! `GET /providers/Microsoft.Authorization/roleAssignments` lists those at the root scope `/`,
//! `GET /providers/Microsoft.Management/managementGroups/{id}/providers/Microsoft.Authorization/roleAssignments`
//! those of the tenant root management group (its id is the tenant id).
//!
//! As Resource Manager documents it (Role Assignments - List For Scope, api-version
//! 2022-04-01): `$filter=atScope()` keeps the assignments at or above the scope,
//! `principalId eq '{id}'` one principal's at, above or below it, no filter everything at,
//! above and below; pages carry `nextLink`. The caller needs a role at or above the scope
//! (every built-in role may read role assignments), else 403 `AuthorizationFailed`.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Simulator;
use crate::arm::{arm_error, arm_json, unauthorized};
use crate::clock::graph_time;
use crate::http::{SimRequest, SimResponse};
use crate::identity;
use crate::state::{AzureRoleAssignment, Tenant, sha256_hex};

/// Assignments per page: small, so that clients meet `nextLink` in tests.
const PAGE: usize = 50;

const ROLE_ASSIGNMENTS: &str = "Microsoft.Authorization/roleAssignments";

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The scope a role-assignment path names, or `None` when it is not one served here.
fn scope_of(segments: &[String]) -> Option<String> {
    let is = |i: usize, want: &str| segments.get(i).is_some_and(|s| eq(s, want));
    let list = |at: usize| {
        segments.len() == at + 3
            && is(at, "providers")
            && is(at + 1, "Microsoft.Authorization")
            && is(at + 2, "roleAssignments")
    };
    if list(0) {
        return Some("/".to_string());
    }
    if is(0, "providers") && is(1, "Microsoft.Management") && is(2, "managementGroups") && list(4) {
        return Some(format!(
            "/providers/Microsoft.Management/managementGroups/{}",
            segments[3]
        ));
    }
    None
}

/// Handles a request whose path starts with `/providers/`.
pub(crate) fn handle(sim: &Simulator, request: &SimRequest, segments: &[String]) -> SimResponse {
    let tenant = sim.tenant();
    let caller = match identity::authenticate_for(
        sim,
        &tenant,
        request.header("authorization"),
        identity::is_arm_resource,
    ) {
        Ok(caller) => caller,
        Err(problem) => return unauthorized(problem),
    };
    if request
        .query_param("api-version")
        .is_none_or(|v| v.trim().is_empty())
    {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    }
    let Some(scope) = scope_of(segments) else {
        return arm_error(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            "The simulated Resource Manager serves only role assignments at / and on the tenant root management group under /providers.",
        );
    };
    if request.method != Method::GET {
        return arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The simulated Resource Manager serves role assignments read-only.",
        );
    }
    let root_group =
        breakglass_core::azure_rbac::root_management_group(&tenant.tenant_id.to_string());
    if scope != "/" && !eq(&scope, &root_group) {
        return arm_error(
            StatusCode::NOT_FOUND,
            "ManagementGroupNotFound",
            &format!("The management group '{scope}' was not found."),
        );
    }
    let principal = caller.actor.principal_id().to_string();
    if !may_read(&tenant, &principal, &scope) {
        return arm_error(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            &format!(
                "The client '{principal}' with object id '{principal}' does not have authorization to perform action '{ROLE_ASSIGNMENTS}/read' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials."
            ),
        );
    }
    list(sim, &tenant, request, &scope)
}

/// Whether `scope` is `other` or above it: `/` is above everything.
fn at_or_above(other: &str, scope: &str) -> bool {
    other == "/" || eq(other, scope)
}

/// Any role at or above the scope lets its holder read the role assignments there.
fn may_read(tenant: &Tenant, principal: &str, scope: &str) -> bool {
    tenant
        .arm
        .role_assignments
        .iter()
        .any(|a| eq(&a.principal_id, principal) && at_or_above(&a.scope, scope))
}

/// Every assignment the simulated Azure holds: the seeded ones, then Contributor on the
/// workspaces' subscriptions (below the root management group).
fn every_assignment(tenant: &Tenant) -> Vec<AzureRoleAssignment> {
    let contributors = tenant.arm.contributors.iter().map(|(principal, sub)| {
        let hash = sha256_hex(&format!("{principal}/{sub}"));
        AzureRoleAssignment {
            name: format!(
                "{}-{}-{}-{}-{}",
                &hash[0..8],
                &hash[8..12],
                &hash[12..16],
                &hash[16..20],
                &hash[20..32]
            ),
            scope: format!("/subscriptions/{sub}"),
            role_definition: breakglass_core::azure_rbac::CONTRIBUTOR.id.to_string(),
            principal_id: principal.clone(),
            principal_type: "ServicePrincipal".into(),
        }
    });
    tenant
        .arm
        .role_assignments
        .iter()
        .cloned()
        .chain(contributors)
        .collect()
}

fn list(sim: &Simulator, tenant: &Tenant, request: &SimRequest, scope: &str) -> SimResponse {
    let filter = request.query_param("$filter").unwrap_or_default();
    let filter = filter.trim();
    let keep: Box<dyn Fn(&AzureRoleAssignment) -> bool> = if filter.is_empty() {
        Box::new(|_| true)
    } else if eq(filter, "atScope()") {
        Box::new(|a| at_or_above(&a.scope, scope))
    } else if let Some(id) = principal_filter(filter) {
        Box::new(move |a| eq(&a.principal_id, &id))
    } else {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "UnsupportedQuery",
            &format!(
                "The filter '{filter}' is not supported. Supported filters are atScope() and principalId eq '{{id}}'."
            ),
        );
    };
    let all: Vec<AzureRoleAssignment> = every_assignment(tenant)
        .into_iter()
        .filter(|a| keep(a))
        .collect();
    let skip: usize = request
        .query_param("$skipToken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let created = graph_time(tenant.created_at);
    let value: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(PAGE)
        .map(|a| document(a, &created))
        .collect();
    let next = (skip + PAGE < all.len()).then(|| next_link(sim, request, skip + PAGE));
    arm_json(StatusCode::OK, &json!({"value": value, "nextLink": next}))
}

/// `principalId eq '{id}'`.
fn principal_filter(filter: &str) -> Option<String> {
    let (field, value) = filter.split_once(" eq ")?;
    if !eq(field.trim(), "principalId") {
        return None;
    }
    let value = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(value.to_string())
}

fn next_link(sim: &Simulator, request: &SimRequest, skip: usize) -> String {
    let mut url = url::Url::parse(&format!("{}{}", sim.origin(), request.path))
        .unwrap_or_else(|_| url::Url::parse("http://invalid/").expect("static url"));
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in request.query_pairs() {
            if !eq(&key, "$skipToken") {
                query.append_pair(&key, &value);
            }
        }
        query.append_pair("$skipToken", &skip.to_string());
    }
    url.to_string()
}

/// An assignment as Resource Manager answers it.
fn document(a: &AzureRoleAssignment, created: &str) -> Value {
    let prefix = if a.scope == "/" { "" } else { a.scope.as_str() };
    // Built-in role definitions are named under a subscription when assigned there, and
    // tenant-wide above one.
    let definitions = if a.scope.starts_with("/subscriptions/") {
        a.scope.as_str()
    } else {
        ""
    };
    json!({
        "id": format!("{prefix}/providers/{ROLE_ASSIGNMENTS}/{}", a.name),
        "name": a.name,
        "type": ROLE_ASSIGNMENTS,
        "properties": {
            "roleDefinitionId": format!("{definitions}/providers/Microsoft.Authorization/roleDefinitions/{}", a.role_definition),
            "principalId": a.principal_id,
            "principalType": a.principal_type,
            "scope": a.scope,
            "condition": null,
            "conditionVersion": null,
            "createdOn": created,
            "updatedOn": created,
            "createdBy": null,
            "updatedBy": null,
            "delegatedManagedIdentityResourceId": null,
            "description": null,
        },
    })
}
