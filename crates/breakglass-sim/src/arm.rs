//! The Azure Resource Manager subset `breakglass monitor deploy` needs: Log Analytics
//! workspaces (read only, seeded), Azure Monitor log alerts (`scheduledQueryRules`), action
//! groups, and Microsoft Sentinel analytic rules (`alertRules`, an extension resource of a
//! workspace).
//!
//! Shapes follow Resource Manager: `{"error": {"code", "message"}}` bodies, 201 on create and
//! 200 on update, 404 `ResourceNotFound`/`ResourceGroupNotFound`/`SubscriptionNotFound`,
//! 400 `MissingApiVersionParameter`, 403 `AuthorizationFailed`. Azure RBAC is modeled
//! minimally: a service principal may read and write under a subscription when it holds
//! Contributor there (the seeded operator app does, on every seeded workspace's subscription).

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::Simulator;
use crate::http::{SimRequest, SimResponse};
use crate::identity::{self, TokenProblem};
use crate::state::{ArmWorkspace, Tenant};

pub(crate) fn arm_error(status: StatusCode, code: &str, message: &str) -> SimResponse {
    let id = Uuid::new_v4().to_string();
    SimResponse::json(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
    .with_header("x-ms-request-id", &id)
    .with_header("x-ms-correlation-request-id", &id)
    .with_header("Cache-Control", "no-cache")
}

pub(crate) fn arm_json(status: StatusCode, value: &Value) -> SimResponse {
    let id = Uuid::new_v4().to_string();
    SimResponse::json(status, value)
        .with_header("x-ms-request-id", &id)
        .with_header("x-ms-correlation-request-id", &id)
        .with_header("Cache-Control", "no-cache")
}

fn bad_request(message: &str) -> SimResponse {
    arm_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn not_found(type_and_name: &str, resource_group: &str) -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!(
            "The Resource '{type_and_name}' under resource group '{resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

/// The kinds of resource served.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResourceType {
    ScheduledQueryRules,
    ActionGroups,
    AlertRules,
}

impl ResourceType {
    fn full_name(self) -> &'static str {
        match self {
            ResourceType::ScheduledQueryRules => "Microsoft.Insights/scheduledQueryRules",
            ResourceType::ActionGroups => "Microsoft.Insights/actionGroups",
            ResourceType::AlertRules => "Microsoft.SecurityInsights/alertRules",
        }
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Handles a request whose path starts with `/subscriptions/`.
pub(crate) fn handle(sim: &Simulator, request: &SimRequest, segments: &[String]) -> SimResponse {
    let mut tenant = sim.tenant();
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
    // subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}[/{name}[/...]]
    let Some(subscription) = segments.get(1) else {
        return bad_request("The request path is not a valid resource path.");
    };
    if let Err(refused) = authorize(
        &tenant,
        request,
        segments,
        subscription,
        caller.actor.principal_id(),
    ) {
        return refused;
    }
    if segments.len() < 4 || !eq(&segments[2], "resourceGroups") {
        return bad_request("The request path is not a valid resource path.");
    }
    let group = ResourceGroup {
        subscription,
        name: &segments[3],
    };
    if !group.exists(&tenant) {
        return arm_error(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            &format!("Resource group '{}' could not be found.", group.name),
        );
    }
    let rest = &segments[4..];
    if is_provider(rest, "Microsoft.Insights", "scheduledQueryRules")
        || is_provider(rest, "Microsoft.Insights", "actionGroups")
    {
        return monitor_resources(sim, &mut tenant, request, &group, rest);
    }
    if is_provider(rest, "Microsoft.OperationalInsights", "workspaces") && rest.len() >= 4 {
        return workspace_resources(sim, &mut tenant, request, &group, &rest[3], &rest[4..]);
    }
    invalid_resource_type()
}

pub(crate) fn unauthorized(problem: TokenProblem) -> SimResponse {
    let (code, message) = match problem {
        TokenProblem::Missing => (
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ),
        TokenProblem::WrongAudience => (
            "InvalidAuthenticationTokenAudience",
            "The access token has been obtained for wrong audience or resource. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.azure.com/'.",
        ),
        TokenProblem::Expired => (
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        ),
        _ => (
            "InvalidAuthenticationToken",
            "The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' should be present.",
        ),
    };
    arm_error(StatusCode::UNAUTHORIZED, code, message).with_header(
        "WWW-Authenticate",
        "Bearer authorization_uri=\"https://login.windows.net/\", error=\"invalid_token\"",
    )
}

/// The subscription must be one the seeded workspaces live in, and the caller must hold
/// Contributor on it.
fn authorize(
    tenant: &Tenant,
    request: &SimRequest,
    segments: &[String],
    subscription: &str,
    principal: &str,
) -> Result<(), SimResponse> {
    let known_subscription = tenant
        .arm
        .workspaces
        .iter()
        .any(|w| eq(&w.subscription_id, subscription));
    if !known_subscription {
        return Err(arm_error(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            &format!("The subscription '{subscription}' could not be found."),
        ));
    }
    let allowed = tenant
        .arm
        .contributors
        .iter()
        .any(|(p, s)| eq(p, principal) && eq(s, subscription));
    if allowed {
        return Ok(());
    }
    let action = match request.method {
        Method::GET => "read",
        Method::DELETE => "delete",
        _ => "write",
    };
    let kind = segments.get(6).map(String::as_str).unwrap_or("resources");
    let namespace = segments
        .get(5)
        .map(String::as_str)
        .unwrap_or("Microsoft.Resources");
    Err(arm_error(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        &format!(
            "The client '{principal}' with object id '{principal}' does not have authorization to perform action '{namespace}/{kind}/{action}' over scope '{}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            request.path
        ),
    ))
}

/// A resource group, as the request's path names it.
struct ResourceGroup<'a> {
    subscription: &'a str,
    name: &'a str,
}

impl ResourceGroup<'_> {
    /// Resource groups exist where the tenant description puts workspaces.
    fn exists(&self, tenant: &Tenant) -> bool {
        tenant
            .arm
            .workspaces
            .iter()
            .any(|w| eq(&w.subscription_id, self.subscription) && eq(&w.resource_group, self.name))
    }
}

/// Whether the path under a resource group goes on `providers/{namespace}/{type}/…`.
fn is_provider(rest: &[String], namespace: &str, resource_type: &str) -> bool {
    rest.len() > 2
        && eq(&rest[0], "providers")
        && eq(&rest[1], namespace)
        && eq(&rest[2], resource_type)
}

fn invalid_resource_type() -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        "The resource type could not be found in the namespace of this simulated Resource Manager, which serves workspaces, scheduledQueryRules, actionGroups and Sentinel alertRules.",
    )
}

/// Azure Monitor's log alerts and action groups: a collection and its members.
fn monitor_resources(
    sim: &Simulator,
    tenant: &mut Tenant,
    request: &SimRequest,
    group: &ResourceGroup<'_>,
    rest: &[String],
) -> SimResponse {
    let kind = if eq(&rest[2], "scheduledQueryRules") {
        ResourceType::ScheduledQueryRules
    } else {
        ResourceType::ActionGroups
    };
    let prefix = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{}",
        group.subscription,
        group.name,
        kind.full_name()
    );
    match &rest[3..] {
        [] => list(tenant, request, &prefix),
        [name] => {
            let addressed = Addressed {
                kind,
                id: format!("{prefix}/{name}"),
                name,
                shown: format!("{}/{name}", kind.full_name()),
                resource_group: group.name,
            };
            one(sim, tenant, request, &addressed)
        }
        _ => bad_request("The request path is not a valid resource path."),
    }
}

/// A seeded workspace (read only) and the Sentinel analytic rules under it.
fn workspace_resources(
    sim: &Simulator,
    tenant: &mut Tenant,
    request: &SimRequest,
    group: &ResourceGroup<'_>,
    name: &str,
    sub: &[String],
) -> SimResponse {
    let Some(workspace) = tenant
        .arm
        .workspaces
        .iter()
        .find(|w| {
            eq(&w.subscription_id, group.subscription)
                && eq(&w.resource_group, group.name)
                && eq(&w.name, name)
        })
        .cloned()
    else {
        return not_found(
            &format!("Microsoft.OperationalInsights/workspaces/{name}"),
            group.name,
        );
    };
    if sub.is_empty() {
        if request.method != Method::GET {
            return arm_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The simulator's workspaces are read-only; describe them in the tenant description.",
            );
        }
        return arm_json(StatusCode::OK, &workspace_body(&workspace));
    }
    if !is_provider(sub, "Microsoft.SecurityInsights", "alertRules") {
        return invalid_resource_type();
    }
    let prefix = format!(
        "{}/providers/Microsoft.SecurityInsights/alertRules",
        workspace.id()
    );
    match &sub[3..] {
        [] => list(tenant, request, &prefix),
        [rule] => {
            let addressed = Addressed {
                kind: ResourceType::AlertRules,
                id: format!("{prefix}/{rule}"),
                name: rule,
                shown: format!(
                    "Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/alertRules/{rule}",
                    workspace.name
                ),
                resource_group: group.name,
            };
            one(sim, tenant, request, &addressed)
        }
        _ => bad_request("The request path is not a valid resource path."),
    }
}

fn workspace_body(workspace: &ArmWorkspace) -> Value {
    json!({
        "id": workspace.id(),
        "name": workspace.name,
        "type": "Microsoft.OperationalInsights/workspaces",
        "location": workspace.location,
        "properties": {
            "customerId": workspace.customer_id,
            "provisioningState": "Succeeded",
            "sku": {"name": "PerGB2018"},
            "retentionInDays": 30,
        },
    })
}

fn list(tenant: &Tenant, request: &SimRequest, prefix: &str) -> SimResponse {
    if request.method != Method::GET {
        return arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The requested method is not allowed on a collection.",
        );
    }
    let prefix = format!("{}/", prefix.to_ascii_lowercase());
    let value: Vec<Value> = tenant
        .arm
        .resources
        .iter()
        .filter(|(id, _)| id.starts_with(&prefix) && !id[prefix.len()..].contains('/'))
        .map(|(_, resource)| resource.clone())
        .collect();
    arm_json(StatusCode::OK, &json!({"value": value}))
}

/// The one resource a request addresses, and how a 404 names it.
struct Addressed<'a> {
    kind: ResourceType,
    id: String,
    name: &'a str,
    shown: String,
    resource_group: &'a str,
}

fn one(
    sim: &Simulator,
    tenant: &mut Tenant,
    request: &SimRequest,
    addressed: &Addressed<'_>,
) -> SimResponse {
    let key = addressed.id.to_ascii_lowercase();
    match request.method {
        Method::GET => match tenant.arm.resources.get(&key) {
            Some(resource) => arm_json(StatusCode::OK, resource),
            None => not_found(&addressed.shown, addressed.resource_group),
        },
        Method::DELETE => {
            if tenant.arm.resources.remove(&key).is_some() {
                sim.persist(tenant);
                arm_json(StatusCode::OK, &Value::Null)
            } else {
                SimResponse::no_content()
            }
        }
        Method::PUT => put(sim, tenant, request, addressed, key),
        _ => arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The requested method is not allowed on this resource.",
        ),
    }
}

/// Creates (201) or replaces (200) a resource.
fn put(
    sim: &Simulator,
    tenant: &mut Tenant,
    request: &SimRequest,
    addressed: &Addressed<'_>,
    key: String,
) -> SimResponse {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.",
        );
    };
    let existing = tenant.arm.resources.get(&key).cloned();
    let api_version = request.query_param("api-version").unwrap_or_default();
    let resource = match build(sim, tenant, addressed, &body, &api_version) {
        Ok(resource) => resource,
        Err(response) => return response,
    };
    tenant.arm.resources.insert(key, resource.clone());
    sim.persist(tenant);
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    arm_json(status, &resource)
}

fn invalid(message: String) -> SimResponse {
    arm_error(StatusCode::BAD_REQUEST, "InvalidPayload", &message)
}

fn require<'a>(
    properties: &'a Map<String, Value>,
    name: &str,
    check: fn(&Value) -> bool,
    what: &str,
) -> Result<&'a Value, SimResponse> {
    match properties.get(name) {
        Some(value) if check(value) => Ok(value),
        Some(_) => Err(invalid(format!("The property '{name}' must be {what}."))),
        None => Err(invalid(format!(
            "The required property '{name}' is missing from the request."
        ))),
    }
}

fn is_duration(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.starts_with('P') && s.len() > 2)
}

/// The resource a PUT body describes, checked as Resource Manager checks it.
fn build(
    sim: &Simulator,
    tenant: &Tenant,
    addressed: &Addressed<'_>,
    body: &Map<String, Value>,
    api_version: &str,
) -> Result<Value, SimResponse> {
    let Some(Value::Object(properties)) = body.get("properties") else {
        return Err(bad_request(
            "The request content is missing the required 'properties' object.",
        ));
    };
    let mut properties = properties.clone();
    let mut resource = Map::new();
    resource.insert("id".into(), json!(addressed.id));
    resource.insert("name".into(), json!(addressed.name));
    resource.insert("type".into(), json!(addressed.kind.full_name()));
    match addressed.kind {
        ResourceType::ScheduledQueryRules => {
            insert_location_and_tags(&mut resource, body)?;
            resource.insert(
                "kind".into(),
                body.get("kind").cloned().unwrap_or(json!("LogAlert")),
            );
            check_log_alert(tenant, &properties)?;
            properties.entry("enabled").or_insert(json!(true));
            properties.insert("createdWithApiVersion".into(), json!("2023-12-01"));
            properties.insert("isLegacyLogAnalyticsRule".into(), json!(false));
        }
        ResourceType::ActionGroups => {
            insert_location_and_tags(&mut resource, body)?;
            check_action_group(&properties)?;
        }
        ResourceType::AlertRules => {
            let rule_kind = check_alert_rule(body, &properties, api_version)?;
            resource.insert("kind".into(), json!(rule_kind));
            properties.insert(
                "lastModifiedUtc".into(),
                json!(crate::clock::graph_time(sim.clock.now())),
            );
            let etag = format!("\"{}\"", Uuid::new_v4());
            resource.insert("etag".into(), json!(etag));
        }
    }
    resource.insert("properties".into(), Value::Object(properties));
    Ok(Value::Object(resource))
}

/// Tracked resources (not extension resources such as Sentinel's) have a location.
fn insert_location_and_tags(
    resource: &mut Map<String, Value>,
    body: &Map<String, Value>,
) -> Result<(), SimResponse> {
    let Some(location) = body.get("location").and_then(Value::as_str) else {
        return Err(arm_error(
            StatusCode::BAD_REQUEST,
            "LocationRequired",
            "The location property is required for this definition.",
        ));
    };
    resource.insert("location".into(), json!(location));
    if let Some(tags) = body.get("tags") {
        resource.insert("tags".into(), tags.clone());
    }
    Ok(())
}

/// A log alert (`scheduledQueryRules`): its schedule, the workspaces it queries, its
/// conditions and the action groups it notifies.
fn check_log_alert(tenant: &Tenant, properties: &Map<String, Value>) -> Result<(), SimResponse> {
    require(
        properties,
        "severity",
        |v| v.as_u64().is_some_and(|n| n <= 4),
        "an integer from 0 to 4",
    )?;
    require(
        properties,
        "evaluationFrequency",
        is_duration,
        "an ISO 8601 duration",
    )?;
    require(
        properties,
        "windowSize",
        is_duration,
        "an ISO 8601 duration",
    )?;
    let scopes = require(
        properties,
        "scopes",
        |v| v.as_array().is_some_and(|a| !a.is_empty()),
        "a non-empty list of resource ids",
    )?;
    check_scopes(tenant, scopes)?;
    check_criteria(properties)?;
    check_action_groups(tenant, properties)
}

fn check_scopes(tenant: &Tenant, scopes: &Value) -> Result<(), SimResponse> {
    for scope in scopes.as_array().into_iter().flatten() {
        let known = scope.as_str().is_some_and(|s| {
            tenant
                .arm
                .workspaces
                .iter()
                .any(|w| eq(&w.id(), s.trim_end_matches('/')))
        });
        if !known {
            return Err(bad_request(&format!(
                "Scope '{}' does not exist or is not a Log Analytics workspace.",
                scope.as_str().unwrap_or_default()
            )));
        }
    }
    Ok(())
}

fn check_criteria(properties: &Map<String, Value>) -> Result<(), SimResponse> {
    let conditions = properties
        .get("criteria")
        .and_then(|c| c.get("allOf"))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            invalid("The required property 'criteria.allOf' is missing or empty.".into())
        })?;
    for condition in conditions {
        for field in ["query", "timeAggregation", "operator", "threshold"] {
            if condition.get(field).is_none() {
                return Err(invalid(format!(
                    "The required property 'criteria.allOf[].{field}' is missing."
                )));
            }
        }
    }
    Ok(())
}

/// Every action group a log alert names must exist already.
fn check_action_groups(
    tenant: &Tenant,
    properties: &Map<String, Value>,
) -> Result<(), SimResponse> {
    let Some(groups) = properties
        .get("actions")
        .and_then(|a| a.get("actionGroups"))
        .and_then(Value::as_array)
    else {
        return Ok(());
    };
    for group in groups {
        let known = group
            .as_str()
            .is_some_and(|g| tenant.arm.resources.contains_key(&g.to_ascii_lowercase()));
        if !known {
            return Err(bad_request(&format!(
                "The action group '{}' was not found.",
                group.as_str().unwrap_or_default()
            )));
        }
    }
    Ok(())
}

fn check_action_group(properties: &Map<String, Value>) -> Result<(), SimResponse> {
    require(
        properties,
        "groupShortName",
        |v| {
            v.as_str()
                .is_some_and(|s| !s.is_empty() && s.chars().count() <= 12)
        },
        "a string of 1 to 12 characters",
    )?;
    require(properties, "enabled", Value::is_boolean, "true or false")?;
    Ok(())
}

/// A Sentinel analytic rule; answers its kind, Scheduled or NRT (the two the simulator serves).
fn check_alert_rule<'b>(
    body: &'b Map<String, Value>,
    properties: &Map<String, Value>,
    api_version: &str,
) -> Result<&'b str, SimResponse> {
    let rule_kind = body.get("kind").and_then(Value::as_str).unwrap_or_default();
    if rule_kind != "Scheduled" && rule_kind != "NRT" {
        return Err(bad_request(
            "The alert rule kind must be one of 'Scheduled', 'NRT', 'Fusion', 'MicrosoftSecurityIncidentCreation'; the simulator serves Scheduled and NRT.",
        ));
    }
    if rule_kind == "NRT" && !api_version.ends_with("-preview") {
        return Err(bad_request(&format!(
            "The alert rule kind 'NRT' is not supported in api-version '{api_version}'; use a preview api-version that defines it."
        )));
    }
    require(properties, "displayName", Value::is_string, "a string")?;
    require(properties, "enabled", Value::is_boolean, "true or false")?;
    require(properties, "query", Value::is_string, "a KQL query")?;
    require(
        properties,
        "severity",
        |v| {
            matches!(
                v.as_str(),
                Some("High" | "Medium" | "Low" | "Informational")
            )
        },
        "one of High, Medium, Low, Informational",
    )?;
    if rule_kind == "Scheduled" {
        check_schedule(properties)?;
    }
    Ok(rule_kind)
}

/// A Scheduled rule's query schedule, trigger and suppression; NRT rules run every minute.
fn check_schedule(properties: &Map<String, Value>) -> Result<(), SimResponse> {
    require(
        properties,
        "queryFrequency",
        is_duration,
        "an ISO 8601 duration",
    )?;
    require(
        properties,
        "queryPeriod",
        is_duration,
        "an ISO 8601 duration",
    )?;
    require(
        properties,
        "triggerOperator",
        |v| {
            matches!(
                v.as_str(),
                Some("GreaterThan" | "LessThan" | "Equal" | "NotEqual")
            )
        },
        "one of GreaterThan, LessThan, Equal, NotEqual",
    )?;
    require(properties, "triggerThreshold", Value::is_u64, "an integer")?;
    require(
        properties,
        "suppressionDuration",
        is_duration,
        "an ISO 8601 duration",
    )?;
    require(
        properties,
        "suppressionEnabled",
        Value::is_boolean,
        "true or false",
    )?;
    Ok(())
}
