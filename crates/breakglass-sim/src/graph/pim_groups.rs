//! /identityGovernance/privilegedAccess/group: PIM for Groups eligibility and assignment
//! schedule instances, seeded only (the simulator has no PIM requests).
//!
//! Graph lists them only when `$filter` names one group or one principal with `eq`
//! (privilegedaccessgroup-list-eligibilityscheduleinstances.md), and refuses a listing that
//! does not; the refusal's wording is not documented, so nothing should read it.

use http::Method;
use serde_json::Value;

use super::Ctx;
use super::applications::directory_object_json;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::odata::{CompareOp, Filter, Literal, parse_filter};
use crate::state::{Kind, Tenant};
use breakglass_core::roles as builtin;

/// Which listing, and the application permissions that read it.
#[derive(Clone, Copy)]
enum Instances {
    Eligibility,
    Assignment,
}

impl Instances {
    fn permissions(self) -> &'static [&'static str] {
        match self {
            Instances::Eligibility => &[
                "PrivilegedEligibilitySchedule.Read.AzureADGroup",
                "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
            ],
            Instances::Assignment => &[
                "PrivilegedAssignmentSchedule.Read.AzureADGroup",
                "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
            ],
        }
    }

    fn path(self) -> &'static str {
        match self {
            Instances::Eligibility => {
                "identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
            }
            Instances::Assignment => {
                "identityGovernance/privilegedAccess/group/assignmentScheduleInstances"
            }
        }
    }

    fn items(self, tenant: &Tenant) -> &[Value] {
        match self {
            Instances::Eligibility => &tenant.group_pim.eligibilities,
            Instances::Assignment => &tenant.group_pim.assignments,
        }
    }
}

/// Routes `/identityGovernance/...`.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let method = ctx.request.method.clone();
    let which = match (rest, method) {
        (["privilegedAccess", "group", "eligibilityScheduleInstances"], Method::GET) => {
            Instances::Eligibility
        }
        (["privilegedAccess", "group", "assignmentScheduleInstances"], Method::GET) => {
            Instances::Assignment
        }
        _ => return None,
    };
    Some(instances(ctx, which))
}

/// What the listing is scoped to: one group, or one principal.
enum Scope {
    Group(String),
    Principal(String),
}

/// The `eq` comparison on `groupId` or `principalId` the filter must hold (alone, or
/// and-ed with other conditions).
fn scope_of(filter: &Filter) -> Option<Scope> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Literal::Str(value),
        } if path.len() == 1 => match path[0].as_str() {
            "groupId" => Some(Scope::Group(value.clone())),
            "principalId" => Some(Scope::Principal(value.clone())),
            _ => None,
        },
        Filter::And(a, b) => scope_of(a).or_else(|| scope_of(b)),
        _ => None,
    }
}

/// Global Reader reads every group's; Privileged Role Administrator a role-assignable
/// group's, User Administrator another group's (the least privileged roles the reference
/// names for delegated callers; apps need the listing's own permission). Listed by
/// principal, the caller must be allowed each group the answer holds.
fn authorize(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    which: Instances,
    scope: &Scope,
) -> Result<(), SimResponse> {
    let groups: Vec<&str> = match scope {
        Scope::Group(id) => vec![id.as_str()],
        Scope::Principal(principal) => which
            .items(tenant)
            .iter()
            .filter(|i| i.get("principalId").and_then(Value::as_str) == Some(principal))
            .filter_map(|i| i.get("groupId").and_then(Value::as_str))
            .collect(),
    };
    if groups.is_empty() {
        // Nothing to show still needs a caller who could read some group's.
        return ctx.require(
            tenant,
            which.permissions(),
            &[
                builtin::GLOBAL_READER,
                builtin::PRIVILEGED_ROLE_ADMINISTRATOR,
                builtin::USER_ADMINISTRATOR,
            ],
        );
    }
    for id in groups {
        let assignable = tenant
            .object(id)
            .filter(|o| o.kind == Kind::Group)
            .is_some_and(|g| g.get("isAssignableToRole") == Some(Value::Bool(true)));
        let other = if assignable {
            builtin::PRIVILEGED_ROLE_ADMINISTRATOR
        } else {
            builtin::USER_ADMINISTRATOR
        };
        ctx.require(
            tenant,
            which.permissions(),
            &[builtin::GLOBAL_READER, other],
        )?;
    }
    Ok(())
}

fn instances(ctx: &Ctx<'_>, which: Instances) -> SimResponse {
    let tenant = ctx.sim.tenant();
    let scope = ctx
        .request
        .query_param("$filter")
        .and_then(|f| parse_filter(&f).ok())
        .as_ref()
        .and_then(scope_of);
    let Some(scope) = scope else {
        return ctx.bad_request(
            "This listing needs $filter with groupId eq '{id}' or principalId eq '{id}'.",
        );
    };
    if let Err(denied) = authorize(ctx, &tenant, which, &scope) {
        return denied;
    }
    let expand = expansions(ctx);
    let items: Vec<Value> = which
        .items(&tenant)
        .iter()
        .map(|item| expanded(&tenant, item, &expand))
        .collect();
    // `list` applies the filter itself; the context names the expansions, as Graph does.
    let context = if expand.is_empty() {
        which.path().to_string()
    } else {
        let names: Vec<String> = expand.iter().map(|e| format!("{e}()")).collect();
        format!("{}({})", which.path(), names.join(","))
    };
    list(ctx, items, &context, DIRECTORY_PAGING, None)
}

fn expansions(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.request
        .query_param("$expand")
        .map(|e| e.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

/// `principal` and `group`, the instance's navigation properties, filled in when asked.
fn expanded(tenant: &Tenant, item: &Value, expand: &[String]) -> Value {
    let mut value = item.clone();
    for (navigation, id_property) in [("principal", "principalId"), ("group", "groupId")] {
        if expand.iter().any(|e| e == navigation) {
            value[navigation] = item
                .get(id_property)
                .and_then(Value::as_str)
                .and_then(|id| tenant.object(id))
                .map(directory_object_json)
                .unwrap_or(Value::Null);
        }
    }
    value
}
