//! /roleManagement/directory: role definitions and role assignments.

use http::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use super::Ctx;
use super::applications::directory_object_json;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::seed::role_assignment;
use crate::state::{DirObject, Kind, Target, Tenant};
use breakglass_core::roles as builtin;

pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let method = ctx.request.method.clone();
    Some(match (rest, method) {
        (["directory", "roleDefinitions"], Method::GET) => definitions(ctx),
        (["directory", "roleDefinitions", id], Method::GET) => definition(ctx, id),
        (["directory", "roleAssignments"], Method::GET) => assignments(ctx),
        (["directory", "roleAssignments"], Method::POST) => assign(ctx),
        (["directory", "roleAssignments", id], Method::GET) => assignment(ctx, id),
        (["directory", "roleAssignments", id], Method::DELETE) => unassign(ctx, id),
        (["directory", "roleEligibilityScheduleInstances"], Method::GET) => eligibilities(ctx),
        _ => return None,
    })
}

fn read_check(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    ctx.require_read(
        tenant,
        &[
            "RoleManagement.Read.Directory",
            "RoleManagement.ReadWrite.Directory",
            "RoleManagement.Read.All",
        ],
    )
}

fn definitions(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    list(
        ctx,
        tenant.role_definitions.clone(),
        "roleManagement/directory/roleDefinitions",
        DIRECTORY_PAGING,
        None,
    )
}

fn definition(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    match find_definition(&tenant, id) {
        Some(definition) => ctx.entity(
            StatusCode::OK,
            "roleManagement/directory/roleDefinitions/$entity",
            definition.clone(),
        ),
        None => ctx.not_found(id),
    }
}

fn expand(tenant: &Tenant, assignment: &Value, expand: &[String]) -> Value {
    let mut value = assignment.clone();
    if expand.iter().any(|e| e == "principal") {
        let principal = assignment
            .get("principalId")
            .and_then(Value::as_str)
            .and_then(|id| tenant.object(id))
            .map(directory_object_json)
            .unwrap_or(Value::Null);
        value["principal"] = principal;
    }
    if expand.iter().any(|e| e == "roleDefinition") {
        let id = assignment
            .get("roleDefinitionId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        value["roleDefinition"] = tenant
            .role_definitions
            .iter()
            .find(|d| d.get("id").and_then(Value::as_str) == Some(id))
            .cloned()
            .unwrap_or(Value::Null);
    }
    value
}

fn expansions(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.request
        .query_param("$expand")
        .map(|e| e.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

/// A list answer of `items` with the `$expand`ed properties filled in; the OData context
/// names the expansions, as Graph does (`path(principal(),roleDefinition())`).
fn expanded_list(ctx: &Ctx<'_>, tenant: &Tenant, items: &[Value], path: &str) -> SimResponse {
    let expand_list = expansions(ctx);
    let items: Vec<Value> = items
        .iter()
        .map(|a| expand(tenant, a, &expand_list))
        .collect();
    let context = if expand_list.is_empty() {
        path.to_string()
    } else {
        format!(
            "{path}({})",
            expand_list
                .iter()
                .map(|e| format!("{e}()"))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    list(ctx, items, &context, DIRECTORY_PAGING, None)
}

fn assignments(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    expanded_list(
        ctx,
        &tenant,
        &tenant.role_assignments,
        "roleManagement/directory/roleAssignments",
    )
}

/// PIM-eligible assignments (`unifiedRoleEligibilityScheduleInstance`), seeded only: the
/// simulator has no PIM requests.
fn eligibilities(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require_read(
        &tenant,
        &[
            "RoleEligibilitySchedule.Read.Directory",
            "RoleEligibilitySchedule.ReadWrite.Directory",
            "RoleManagement.Read.Directory",
            "RoleManagement.ReadWrite.Directory",
            "RoleManagement.Read.All",
        ],
    ) {
        return denied;
    }
    expanded_list(
        ctx,
        &tenant,
        &tenant.role_eligibilities,
        "roleManagement/directory/roleEligibilityScheduleInstances",
    )
}

fn assignment(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    match tenant
        .role_assignments
        .iter()
        .find(|a| a.get("id").and_then(Value::as_str) == Some(id))
    {
        Some(found) => ctx.entity(
            StatusCode::OK,
            "roleManagement/directory/roleAssignments/$entity",
            expand(&tenant, found, &expansions(ctx)),
        ),
        None => ctx.not_found(id),
    }
}

fn assign(ctx: &Ctx<'_>) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(
        &tenant,
        &["RoleManagement.ReadWrite.Directory"],
        &[builtin::PRIVILEGED_ROLE_ADMINISTRATOR],
    ) {
        return denied;
    }
    let grant = match requested_grant(ctx, &tenant, &body) {
        Ok(grant) => grant,
        Err(refused) => return refused,
    };
    let Some(definition) = find_definition(&tenant, &grant.role_id).cloned() else {
        return ctx.not_found(&grant.role_id);
    };
    let principal = match assignable_principal(ctx, &tenant, &grant.principal_id) {
        Ok(principal) => principal,
        Err(refused) => return refused,
    };
    let template = definition
        .get("templateId")
        .and_then(Value::as_str)
        .and_then(|t| Uuid::parse_str(t).ok())
        .unwrap_or_default();
    let assignment = match scoped_assignment(ctx, &grant, template) {
        Ok(assignment) => assignment,
        Err(refused) => return refused,
    };
    if already_granted(&tenant, &assignment, &grant, template) {
        return ctx.bad_request("A conflicting object with one or more of the specified property values is present in the directory.");
    }
    tenant.role_assignments.push(assignment.clone());
    let role_name = definition
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let target = Target::of(&principal)
        .modified(
            "Role.DisplayName",
            Value::Null,
            Value::String(role_name.clone()),
        )
        .modified(
            "Role.TemplateId",
            Value::Null,
            Value::String(template.to_string()),
        );
    tenant.audit(
        now,
        &ctx.caller.actor,
        "RoleManagement",
        "Add member to role",
        "Assign",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(
        StatusCode::CREATED,
        "roleManagement/directory/roleAssignments/$entity",
        assignment,
    )
}

/// What a role assignment request asks for.
struct RequestedGrant {
    role_id: String,
    principal_id: String,
    scope: String,
}

fn requested_grant(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    body: &Value,
) -> Result<RequestedGrant, SimResponse> {
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    let (Some(role_id), Some(principal_id)) = (text("roleDefinitionId"), text("principalId"))
    else {
        return Err(
            ctx.bad_request("Properties 'roleDefinitionId' and 'principalId' are required.")
        );
    };
    // Entra assumes no scope: the request names a directory scope or an app scope
    // (rbacapplication-post-roleassignments.md), and this tenant has no app scopes.
    let Some(scope) = text("directoryScopeId") else {
        return Err(ctx.bad_request(if body.get("appScopeId").is_some() {
            "Only a directory scope ('directoryScopeId') is supported by this tenant."
        } else {
            "Either 'directoryScopeId' or 'appScopeId' is required."
        }));
    };
    // Besides the tenant, the application-management roles may be scoped to one app
    // registration or service principal (`/{object id}`).
    let app_scoped = scope
        .strip_prefix('/')
        .filter(|id| !id.is_empty())
        .and_then(|id| tenant.object(id))
        .is_some_and(|o| matches!(o.kind, Kind::Application | Kind::ServicePrincipal));
    if scope != "/" && !app_scoped {
        return Err(ctx.bad_request(
            "Only the tenant-wide directory scope '/' or an application's object id ('/{id}') is supported by this tenant.",
        ));
    }
    Ok(RequestedGrant {
        role_id,
        principal_id,
        scope,
    })
}

/// A role definition by its id or its template id (the same for built-in roles).
fn find_definition<'t>(tenant: &'t Tenant, id: &str) -> Option<&'t Value> {
    tenant.role_definitions.iter().find(|d| {
        d.get("id").and_then(Value::as_str) == Some(id)
            || d.get("templateId").and_then(Value::as_str) == Some(id)
    })
}

/// Users and service principals may hold roles; groups only when made role-assignable.
fn assignable_principal(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    principal_id: &str,
) -> Result<DirObject, SimResponse> {
    let Some(principal) = tenant
        .object(principal_id)
        .filter(|p| !ctx.replicating(p))
        .cloned()
    else {
        return Err(ctx.not_found(principal_id));
    };
    if principal.kind == Kind::Group
        && principal.get("isAssignableToRole") != Some(Value::Bool(true))
    {
        return Err(ctx.bad_request(
            "Only groups with isAssignableToRole set to true can be assigned to roles.",
        ));
    }
    Ok(principal)
}

/// The new assignment: at the tenant it has Entra's deterministic id; scoped to one
/// application (allowed for the application-management roles only) it has an id of its own.
fn scoped_assignment(
    ctx: &Ctx<'_>,
    grant: &RequestedGrant,
    template: Uuid,
) -> Result<Value, SimResponse> {
    if grant.scope != "/"
        && template != builtin::APPLICATION_ADMINISTRATOR.template_id
        && template != builtin::CLOUD_APPLICATION_ADMINISTRATOR.template_id
    {
        return Err(ctx.bad_request(
            "This role cannot be assigned at the scope of one application; assign it at '/'.",
        ));
    }
    let principal_uuid = Uuid::parse_str(&grant.principal_id).unwrap_or_default();
    let mut assignment = role_assignment(template, principal_uuid);
    if grant.scope != "/" {
        // Scoped assignments get an opaque id of their own; the simulator mints a GUID.
        assignment["id"] = Value::String(Uuid::new_v4().to_string());
        assignment["directoryScopeId"] = Value::String(grant.scope.clone());
    }
    Ok(assignment)
}

/// Whether the assignment exists already, by id or as the same role for the same
/// principal at the same scope.
fn already_granted(
    tenant: &Tenant,
    assignment: &Value,
    grant: &RequestedGrant,
    template: Uuid,
) -> bool {
    let id = assignment
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let same_grant = |a: &Value| {
        let field = |name: &str| a.get(name).and_then(Value::as_str).unwrap_or_default();
        field("principalId") == grant.principal_id
            && field("roleDefinitionId").eq_ignore_ascii_case(&template.to_string())
            && field("directoryScopeId") == grant.scope
    };
    tenant
        .role_assignments
        .iter()
        .any(|a| a.get("id").and_then(Value::as_str) == Some(id) || same_grant(a))
}

fn unassign(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(
        &tenant,
        &["RoleManagement.ReadWrite.Directory"],
        &[builtin::PRIVILEGED_ROLE_ADMINISTRATOR],
    ) {
        return denied;
    }
    let Some(position) = tenant
        .role_assignments
        .iter()
        .position(|a| a.get("id").and_then(Value::as_str) == Some(id))
    else {
        return ctx.not_found(id);
    };
    let removed = tenant.role_assignments.remove(position);
    let principal_id = removed
        .get("principalId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let role_id = removed
        .get("roleDefinitionId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let role_name = tenant
        .role_definitions
        .iter()
        .find(|d| d.get("id").and_then(Value::as_str) == Some(role_id.as_str()))
        .and_then(|d| d.get("displayName").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    let target = match tenant.object(&principal_id) {
        Some(principal) => Target::of(principal),
        None => Target {
            id: principal_id,
            display_name: String::new(),
            kind: "Other",
            user_principal_name: None,
            modified: Vec::new(),
        },
    }
    .modified("Role.DisplayName", Value::String(role_name), Value::Null);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "RoleManagement",
        "Remove member from role",
        "Unassign",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}
