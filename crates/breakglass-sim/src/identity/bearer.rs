//! Bearer tokens presented to Graph and Resource Manager: which audiences each accepts,
//! and who the caller is.

use serde_json::Value;

use super::assertion::{parse_jwt, time_claim, verify_rsa};
use crate::Simulator;
use crate::state::{Kind, Tenant};

/// The caller a Graph request acts as, from its bearer token.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub actor: crate::state::Actor,
    pub app_permissions: Vec<String>,
    pub delegated: bool,
}

/// Why a bearer token is not accepted.
pub(crate) enum TokenProblem {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    WrongAudience,
    UnknownPrincipal,
}

pub(crate) fn authenticate(
    sim: &Simulator,
    tenant: &Tenant,
    authorization: Option<&str>,
) -> Result<Caller, TokenProblem> {
    authenticate_for(sim, tenant, authorization, is_graph_resource)
}

/// Resource Manager tokens name the Resource Manager host (here: the simulator's origin,
/// which serves both) or one of Azure's two Resource Manager audiences.
pub(crate) fn is_arm_resource(sim: &Simulator, resource: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    resource.eq_ignore_ascii_case(&sim.origin())
        || resource.eq_ignore_ascii_case("https://management.azure.com")
        || resource.eq_ignore_ascii_case("https://management.core.windows.net")
}

/// Checks a bearer token whose audience `accepts` allows.
pub(crate) fn authenticate_for(
    sim: &Simulator,
    tenant: &Tenant,
    authorization: Option<&str>,
    accepts: fn(&Simulator, &str) -> bool,
) -> Result<Caller, TokenProblem> {
    let token = authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(TokenProblem::Missing)?;
    let jwt = parse_jwt(token).ok_or(TokenProblem::Malformed)?;
    if !verify_rsa(
        "RS256",
        sim.signer.public_key_der(),
        jwt.signing_input.as_bytes(),
        &jwt.signature,
    ) {
        return Err(TokenProblem::BadSignature);
    }
    let now = sim.clock.now().as_second();
    if time_claim(&jwt.claims, "exp").is_none_or(|exp| exp <= now) {
        return Err(TokenProblem::Expired);
    }
    let audience = jwt
        .claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !accepts(sim, audience) {
        return Err(TokenProblem::WrongAudience);
    }
    let oid = jwt
        .claims
        .get("oid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let object = tenant.object(oid).ok_or(TokenProblem::UnknownPrincipal)?;
    match object.kind {
        Kind::ServicePrincipal => Ok(Caller {
            actor: crate::state::Actor::App {
                app_id: object.str("appId").unwrap_or_default().to_string(),
                service_principal_id: oid.to_string(),
                display_name: object.display_name().to_string(),
            },
            app_permissions: tenant.graph_permissions_of(oid),
            delegated: false,
        }),
        Kind::User => Ok(Caller {
            actor: crate::state::Actor::User {
                id: oid.to_string(),
                user_principal_name: object
                    .str("userPrincipalName")
                    .unwrap_or_default()
                    .to_string(),
                display_name: object.display_name().to_string(),
            },
            app_permissions: Vec::new(),
            delegated: true,
        }),
        _ => Err(TokenProblem::UnknownPrincipal),
    }
}

/// Graph tokens name the Graph host, or Microsoft Graph's app id.
pub(crate) fn is_graph_resource(sim: &Simulator, resource: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    resource.eq_ignore_ascii_case(&sim.origin())
        || resource.eq_ignore_ascii_case("https://graph.microsoft.com")
        || resource
            .eq_ignore_ascii_case(&breakglass_core::roles::MICROSOFT_GRAPH_APP_ID.to_string())
}
