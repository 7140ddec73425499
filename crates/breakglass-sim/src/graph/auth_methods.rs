//! The Temporary Access Pass method policy as Graph v1.0 serves it:
//! `GET /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass`
//! (microsoft-graph-docs-contrib `api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-get.md`,
//! `resources/temporaryaccesspassauthenticationmethodconfiguration.md`). The reference lists
//! Policy.Read.AuthenticationMethod as the least privileged permission, Policy.Read.All and
//! Policy.ReadWrite.AuthenticationMethod as higher ones. The rules the policy sets on issuing a
//! pass are in `crate::pass_policy`.

use http::{Method, StatusCode};

use super::Ctx;
use crate::http::SimResponse;
use breakglass_core::roles as builtin;

const READ_PERMISSIONS: &[&str] = &[
    "Policy.Read.AuthenticationMethod",
    "Policy.Read.All",
    "Policy.ReadWrite.AuthenticationMethod",
];

/// `/policies/authenticationMethodsPolicy/…`
pub(crate) fn policies(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    match (rest, &ctx.request.method) {
        (
            [
                "authenticationMethodsPolicy",
                "authenticationMethodConfigurations",
                "TemporaryAccessPass",
            ],
            &Method::GET,
        ) => Some(get_pass_policy(ctx)),
        (
            [
                "authenticationMethodsPolicy",
                "authenticationMethodConfigurations",
                id,
            ],
            &Method::GET,
        ) if id.eq_ignore_ascii_case("fido2") => Some(get_passkey_policy(ctx)),
        _ => None,
    }
}

/// `GET …/authenticationMethodConfigurations/fido2`, with the same readers as the pass policy.
fn get_passkey_policy(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(&tenant, READ_PERMISSIONS, &READERS) {
        return denied;
    }
    ctx.entity(
        StatusCode::OK,
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
        tenant.passkey_policy.clone(),
    )
}

const READERS: [builtin::BuiltInRole; 4] = [
    builtin::GLOBAL_READER,
    builtin::SECURITY_READER,
    builtin::SECURITY_ADMINISTRATOR,
    builtin::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
];

fn get_pass_policy(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    let readers = [
        builtin::GLOBAL_READER,
        builtin::SECURITY_READER,
        builtin::SECURITY_ADMINISTRATOR,
        builtin::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    ];
    if let Err(denied) = ctx.require(&tenant, READ_PERMISSIONS, &readers) {
        return denied;
    }
    ctx.entity(
        StatusCode::OK,
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
        tenant.temporary_access_pass_policy.clone(),
    )
}
