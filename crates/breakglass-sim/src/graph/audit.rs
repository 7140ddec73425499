//! /auditLogs: directory audits and sign-ins (v1.0: interactive user sign-ins only;
//! beta: every kind, with `signInEventTypes`).

use http::Method;
use serde_json::{Map, Value};

use super::{Ctx, Version};
use crate::http::SimResponse;
use crate::listing::{LOG_PAGING, list};
use breakglass_core::roles as builtin;

/// The properties of the v1.0 `signIn` entity; beta-only ones are dropped on v1.0.
const V1_SIGN_IN_PROPERTIES: &[&str] = &[
    "id",
    "appDisplayName",
    "appId",
    "appliedConditionalAccessPolicies",
    "clientAppUsed",
    "conditionalAccessStatus",
    "correlationId",
    "createdDateTime",
    "deviceDetail",
    "ipAddress",
    "isInteractive",
    "location",
    "resourceDisplayName",
    "resourceId",
    "riskDetail",
    "riskEventTypes",
    "riskEventTypes_v2",
    "riskLevelAggregated",
    "riskLevelDuringSignIn",
    "riskState",
    "status",
    "userDisplayName",
    "userId",
    "userPrincipalName",
];

pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    if ctx.request.method != Method::GET {
        return None;
    }
    let tenant = ctx.sim.tenant();
    let readers = [
        builtin::SECURITY_READER,
        builtin::SECURITY_ADMINISTRATOR,
        builtin::GLOBAL_READER,
    ];
    if let Err(denied) = ctx.require(&tenant, &["AuditLog.Read.All"], &readers) {
        return Some(denied);
    }
    Some(match rest {
        ["directoryAudits"] => {
            let mut items = tenant.directory_audits.clone();
            items.reverse();
            list(ctx, items, "auditLogs/directoryAudits", LOG_PAGING, None)
        }
        ["signIns"] => {
            // Sign-ins also need directory read rights, a documented quirk.
            if let Err(denied) = ctx.require_read(&tenant, &[]) {
                return Some(denied);
            }
            let items: Vec<Value> = tenant
                .sign_ins
                .iter()
                .rev()
                .filter(|s| ctx.version == Version::Beta || s.interactive_user)
                .map(|s| match ctx.version {
                    Version::Beta => s.record.clone(),
                    Version::V1 => project(&s.record),
                })
                .collect();
            list(ctx, items, "auditLogs/signIns", LOG_PAGING, None)
        }
        _ => return None,
    })
}

fn project(record: &Value) -> Value {
    let mut out = Map::new();
    if let Value::Object(map) = record {
        for (key, value) in map {
            if V1_SIGN_IN_PROPERTIES.contains(&key.as_str()) {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}
