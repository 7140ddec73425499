//! /groups: create, read, list, update, delete, and membership.

use http::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use super::Ctx;
use super::applications::{directory_object_json, reference_id, with_owner_added};
use crate::clock::graph_time;
use crate::entities;
use crate::http::SimResponse;
use crate::listing::{DIRECTORY_PAGING, list};
use crate::listing::{Listing, list_objects};
use crate::state::{DirObject, Kind, Private, Target, Tenant};
use breakglass_core::roles as builtin;

const WRITE_PERMISSIONS: &[&str] = &["Group.ReadWrite.All", "Directory.ReadWrite.All"];
const MEMBER_PERMISSIONS: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];

pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Option<SimResponse> {
    let method = ctx.request.method.clone();
    Some(match (rest, method) {
        ([], Method::GET) => list_groups(ctx),
        ([], Method::POST) => create(ctx),
        ([id], Method::GET) => get(ctx, id),
        ([id], Method::PATCH) => update(ctx, id),
        ([id], Method::DELETE) => delete(ctx, id),
        ([id, "members"], Method::GET) => related(ctx, id, |p| &p.members),
        ([id, "owners"], Method::GET) => related(ctx, id, |p| &p.owners),
        ([id, "transitiveMembers"], Method::GET) => transitive_members(ctx, id),
        ([id, "owners", "$ref"], Method::POST) => add_owner(ctx, id),
        ([id, "members", "$ref"], Method::POST) => add_member(ctx, id),
        ([id, "members", member, "$ref"], Method::DELETE) => remove_member(ctx, id, member),
        ([id, "owners", owner, "$ref"], Method::DELETE) => remove_owner(ctx, id, owner),
        _ => return None,
    })
}

fn read_check(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<(), SimResponse> {
    ctx.require_read(
        tenant,
        &[
            "Group.Read.All",
            "Group.ReadWrite.All",
            "GroupMember.Read.All",
            "GroupMember.ReadWrite.All",
        ],
    )
}

fn find<'t>(ctx: &Ctx<'_>, tenant: &'t Tenant, id: &str) -> Option<&'t DirObject> {
    tenant
        .object(id)
        .filter(|o| o.kind == Kind::Group && !ctx.replicating(o))
}

/// Changing a role-assignable group needs role management rights as well.
fn role_assignable_check(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    group: &DirObject,
) -> Result<(), SimResponse> {
    if group.get("isAssignableToRole") == Some(Value::Bool(true)) {
        ctx.require(
            tenant,
            &["RoleManagement.ReadWrite.Directory"],
            &[builtin::PRIVILEGED_ROLE_ADMINISTRATOR],
        )?;
    }
    Ok(())
}

/// The group `id`, once the caller may change it: with `permissions` or as a User
/// Administrator, plus role management rights for a role-assignable group.
fn changeable_group(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    id: &str,
    permissions: &[&str],
) -> Result<DirObject, SimResponse> {
    ctx.require(tenant, permissions, &[builtin::USER_ADMINISTRATOR])?;
    let group = find(ctx, tenant, id)
        .cloned()
        .ok_or_else(|| ctx.not_found(id))?;
    role_assignable_check(ctx, tenant, &group)?;
    Ok(group)
}

fn list_groups(ctx: &Ctx<'_>) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let listing = Listing {
        kind: Kind::Group,
        context: "groups",
        paging: DIRECTORY_PAGING,
        default_select: None,
    };
    list_objects(
        ctx,
        &tenant,
        &listing,
        |g| !ctx.replicating(g),
        |g| g.to_value(),
    )
}

fn get(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    match find(ctx, &tenant, id) {
        Some(group) => {
            let mut value = group.to_value();
            if let Some(select) = ctx.request.query_param("$select") {
                let properties: Vec<String> =
                    select.split(',').map(|s| s.trim().to_string()).collect();
                value = crate::odata::select(&value, &properties);
            }
            ctx.entity(StatusCode::OK, "groups/$entity", value)
        }
        None => ctx.not_found(id),
    }
}

fn create(ctx: &Ctx<'_>) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let mut tenant = ctx.sim.tenant();
    if let Err(denied) = ctx.require(&tenant, WRITE_PERMISSIONS, &[builtin::USER_ADMINISTRATOR]) {
        return denied;
    }
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    let (Some(display_name), Some(nickname)) = (text("displayName"), text("mailNickname")) else {
        return ctx.bad_request("Properties 'displayName' and 'mailNickname' are required.");
    };
    // Entra's limits: a display name of at most 256 characters; a mail nickname of at most 64
    // ASCII characters without @ ( ) \ [ ] " ; : < > , or spaces.
    if display_name.chars().count() > 256 {
        return ctx.bad_request(
            "Invalid value specified for property 'displayName' of resource 'Group'.",
        );
    }
    if nickname.len() > 64
        || !nickname
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control() && !"@()\\[]\";:<>, ".contains(c))
    {
        return ctx.bad_request(
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
        );
    }
    if body.get("mailEnabled") != Some(&Value::Bool(false))
        || body.get("securityEnabled") != Some(&Value::Bool(true))
    {
        return ctx.bad_request("Only security groups can be created here: set mailEnabled to false and securityEnabled to true.");
    }
    let assignable = body.get("isAssignableToRole").and_then(Value::as_bool);
    if assignable == Some(true)
        && let Err(denied) = ctx.require(
            &tenant,
            &["RoleManagement.ReadWrite.Directory"],
            &[builtin::PRIVILEGED_ROLE_ADMINISTRATOR],
        )
    {
        return denied;
    }
    let now = ctx.now();
    let id = Uuid::new_v4();
    let data = entities::group(
        id,
        display_name,
        nickname,
        &graph_time(now),
        assignable,
        text("description"),
    );
    let object = DirObject::new(Kind::Group, &data, now, Private::default());
    let target = Target::of(&object);
    let value = Value::Object(data);
    tenant.objects.insert(id.to_string(), object);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "GroupManagement",
        "Add group",
        "Add",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.entity(StatusCode::CREATED, "groups/$entity", value)
}

fn update(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let group = match changeable_group(ctx, &tenant, id, WRITE_PERMISSIONS) {
        Ok(group) => group,
        Err(refused) => return refused,
    };
    let mut updated = group.clone();
    let mut data = group.data();
    let mut target = Target::of(&group);
    for (name, value) in body.as_object().into_iter().flatten() {
        if matches!(
            name.as_str(),
            "id" | "createdDateTime" | "isAssignableToRole"
        ) || name.starts_with('@')
        {
            continue;
        }
        if !data.contains_key(name) {
            return ctx.bad_request(&format!("Invalid property '{name}'."));
        }
        target = target.modified(
            name,
            data.get(name).cloned().unwrap_or(Value::Null),
            value.clone(),
        );
        data.insert(name.clone(), value.clone());
    }
    updated.replace(&data);
    tenant.objects.insert(id.to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "GroupManagement",
        "Update group",
        "Update",
        vec![target],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn delete(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let group = match changeable_group(ctx, &tenant, id, WRITE_PERMISSIONS) {
        Ok(group) => group,
        Err(refused) => return refused,
    };
    if let Some(entry) = tenant.objects.get_mut(id) {
        entry.deleted_at = Some(now);
        entry.set("deletedDateTime", Value::String(graph_time(now)));
    }
    tenant.audit(
        now,
        &ctx.caller.actor,
        "GroupManagement",
        "Delete group",
        "Delete",
        vec![Target::of(&group)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

/// `GET /groups/{id}/members` and `/owners`: the same directory-object listing of one of the
/// group's id lists.
fn related(ctx: &Ctx<'_>, id: &str, ids: fn(&Private) -> &[String]) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let Some(group) = find(ctx, &tenant, id) else {
        return ctx.not_found(id);
    };
    let items: Vec<Value> = ids(&group.private)
        .iter()
        .filter_map(|m| tenant.object(m))
        .map(directory_object_json)
        .collect();
    list(ctx, items, "directoryObjects", DIRECTORY_PAGING, None)
}

/// The members of the group and of every group nested in it, each once (a cycle of groups
/// ends where it started).
fn transitive_members(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let tenant = ctx.sim.tenant();
    if let Err(denied) = read_check(ctx, &tenant) {
        return denied;
    }
    let Some(group) = find(ctx, &tenant, id) else {
        return ctx.not_found(id);
    };
    let mut seen: Vec<String> = vec![group.id().to_ascii_lowercase()];
    let mut items = Vec::new();
    let mut frontier: Vec<String> = group.private.members.clone();
    while let Some(member_id) = frontier.pop() {
        let Some(member) = tenant.object(&member_id) else {
            continue;
        };
        if seen.contains(&member.id().to_ascii_lowercase()) {
            continue;
        }
        seen.push(member.id().to_ascii_lowercase());
        if member.kind == Kind::Group {
            frontier.extend(member.private.members.iter().cloned());
        }
        items.push(directory_object_json(member));
    }
    list(ctx, items, "directoryObjects", DIRECTORY_PAGING, None)
}

/// `POST /groups/{id}/owners/$ref`: a user or service principal; a role-assignable group
/// needs a Privileged Role Administrator, as for its members.
fn add_owner(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let group = match changeable_group(ctx, &tenant, id, WRITE_PERMISSIONS) {
        Ok(group) => group,
        Err(refused) => return refused,
    };
    let (owner, updated) = match with_owner_added(ctx, &tenant, &group, &body) {
        Ok(added) => added,
        Err(refused) => return refused,
    };
    tenant.objects.insert(id.to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "GroupManagement",
        "Add owner to group",
        "Assign",
        vec![Target::of(&owner), Target::of(&group)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn add_member(ctx: &Ctx<'_>, id: &str) -> SimResponse {
    let body = match ctx.body() {
        Ok(body) => body,
        Err(error) => return error,
    };
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let group = match changeable_group(ctx, &tenant, id, MEMBER_PERMISSIONS) {
        Ok(group) => group,
        Err(refused) => return refused,
    };
    let Some(member_id) = reference_id(&body) else {
        return ctx
            .bad_request("The @odata.id reference is missing or is not a directory object URL.");
    };
    let Some(member) = tenant.object(&member_id).cloned() else {
        return ctx.not_found(&member_id);
    };
    if group.private.members.contains(&member_id) {
        return ctx.bad_request("One or more added object references already exist for the following modified properties: 'members'.");
    }
    // Entra does not nest groups in a role-assignable group (groups-concept.md, "Restrictions
    // for role-assignable groups"); it documents no wording for the refusal, so this is ours.
    if member.kind == Kind::Group && group.get("isAssignableToRole") == Some(Value::Bool(true)) {
        return ctx.bad_request("A group cannot be added as a member of a role-assignable group.");
    }
    let mut updated = group.clone();
    updated.private.members.push(member_id);
    tenant.objects.insert(id.to_string(), updated);
    tenant.audit(
        now,
        &ctx.caller.actor,
        "GroupManagement",
        "Add member to group",
        "Assign",
        vec![Target::of(&member), Target::of(&group)],
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

fn remove_member(ctx: &Ctx<'_>, id: &str, member_id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let group = match changeable_group(ctx, &tenant, id, MEMBER_PERMISSIONS) {
        Ok(group) => group,
        Err(refused) => return refused,
    };
    if !group.private.members.iter().any(|m| m == member_id) {
        return ctx.not_found(member_id);
    }
    let mut updated = group.clone();
    updated.private.members.retain(|m| m != member_id);
    tenant.objects.insert(id.to_string(), updated);
    let mut targets = vec![Target::of(&group)];
    if let Some(member) = tenant.object(member_id) {
        targets.insert(0, Target::of(member));
    }
    tenant.audit(
        now,
        &ctx.caller.actor,
        "GroupManagement",
        "Remove member from group",
        "Unassign",
        targets,
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}

/// `DELETE /groups/{id}/owners/{id}/$ref` (group-delete-owners.md: 204): breakglass's client
/// removes owners of groups as of applications and service principals.
fn remove_owner(ctx: &Ctx<'_>, id: &str, owner_id: &str) -> SimResponse {
    let now = ctx.now();
    let mut tenant = ctx.sim.tenant();
    let group = match changeable_group(ctx, &tenant, id, WRITE_PERMISSIONS) {
        Ok(group) => group,
        Err(refused) => return refused,
    };
    if !group.private.owners.iter().any(|o| o == owner_id) {
        return ctx.not_found(owner_id);
    }
    let mut updated = group.clone();
    updated.private.owners.retain(|o| o != owner_id);
    tenant.objects.insert(id.to_string(), updated);
    let mut targets = vec![Target::of(&group)];
    if let Some(owner) = tenant.object(owner_id) {
        targets.insert(0, Target::of(owner));
    }
    tenant.audit(
        now,
        &ctx.caller.actor,
        "GroupManagement",
        "Remove owner from group",
        "Unassign",
        targets,
    );
    ctx.sim.persist(&tenant);
    ctx.no_content()
}
