//! /directory/administrativeUnits: the units and their members, seeded only (the simulator
//! has no requests that change them).

use http::{Method, StatusCode};

use super::Ctx;
use super::applications::directory_object_json;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::state::{SeededUnit, Tenant};

pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let method = ctx.request.method.clone();
    Some(match (rest, method) {
        ([], Method::GET) => units(ctx),
        ([id], Method::GET) => unit(ctx, id),
        ([id, "members"], Method::GET) => members(ctx, id),
        _ => return None,
    })
}

fn read_check(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    ctx.require_read(
        tenant,
        &[
            "AdministrativeUnit.Read.All",
            "AdministrativeUnit.ReadWrite.All",
        ],
    )
}

fn find<'t>(tenant: &'t Tenant, id: &str) -> Option<&'t SeededUnit> {
    tenant
        .administrative_units
        .iter()
        .find(|u| u.id().eq_ignore_ascii_case(id))
}

fn units(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let items = tenant
        .administrative_units
        .iter()
        .map(|u| u.unit.clone())
        .collect();
    list(
        ctx,
        items,
        "directory/administrativeUnits",
        DIRECTORY_PAGING,
        None,
    )
}

fn unit(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    match find(&tenant, id) {
        Some(found) => ctx.entity(
            StatusCode::OK,
            "directory/administrativeUnits/$entity",
            found.unit.clone(),
        ),
        None => ctx.not_found(id),
    }
}

fn members(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let Some(found) = find(&tenant, id) else {
        return ctx.not_found(id);
    };
    let items = found
        .members
        .iter()
        .filter_map(|m| tenant.object(m))
        .map(directory_object_json)
        .collect();
    list(ctx, items, "directoryObjects", DIRECTORY_PAGING, None)
}
