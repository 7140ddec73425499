//! Reads the tenant into `breakglass_core::tenant::TenantView`: one reader for `plan`,
//! `apply`, `audit` and the commands around them, through typed Graph v1.0 requests only.
//!
//! Every object is found through a marker the tenant itself holds (the app's tag, the users'
//! `employeeType`, the group's mail nickname), so no local state is needed.

mod approvals;
mod convert;

use breakglass_core::app_policy::EffectivePolicy;
use breakglass_core::config::Config;
use breakglass_core::markers::APP_POLICY_NAME;
use breakglass_core::pass_policy::PassPolicyView;
use breakglass_core::plan::{APP_TAG, USER_MARKER};
use breakglass_core::roles::MICROSOFT_GRAPH_APP_ID;
use breakglass_core::tenant::{
    AdministrativeUnit, Application, Fact, Group, GroupEligibility, PermissionGrant, Policy,
    Principal, RoleAssignment, RoleDefinition, ServicePrincipal, TenantView, User,
};
use breakglass_entra::graph::Owned;
use breakglass_entra::graph::models as graph;
use breakglass_entra::{GraphClient, Query};
use futures::TryStreamExt as _;

pub use convert::policy_of;
use convert::{
    application_of, credentials_of, federated_credential_of, permission_grant_of, principal_of,
    role_assignment_of, role_eligibility_of,
};

use crate::error::{Error, ErrorKind};

/// How much of the tenant a command reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// What provisioning compares with `breakglass.toml`: the roles and Graph permissions of
    /// the emergency identities only. A refused read ends the command, except the
    /// Conditional Access policies when the configuration does not manage them.
    Provision,
    /// Everything `audit` weighs: every holder of a directory role (active or eligible) and
    /// of a Graph permission, owners, federated credentials, the users' methods and groups.
    /// A refused read becomes an unreadable fact naming the permission, never a pass.
    Audit,
}

/// Reads what the tenant holds of its emergency access.
pub async fn read(graph: &GraphClient, config: &Config, depth: Depth) -> Result<TenantView, Error> {
    let reader = Reader { graph, depth };
    let mut tenant = TenantView {
        initial_domain: initial_domain(graph).await?,
        apps: reader.tagged_apps().await?,
        ..TenantView::default()
    };
    if let Some(app) = tenant.emergency_app() {
        tenant.service_principal = reader.service_principal(&app.app_id).await?;
    }
    tenant.users = reader.users().await?;
    match depth {
        Depth::Provision => {
            let ids = tenant.emergency_ids();
            tenant.role_assignments = Fact::Known(reader.role_assignments_of(&ids).await?);
            if let Some(sp) = &tenant.service_principal {
                tenant.graph_grants = Fact::Known(reader.graph_grants_of(&sp.id).await?);
            }
        }
        Depth::Audit => {
            tenant.role_assignments = reader.every_role_assignment().await?;
            tenant.role_eligibilities = reader.every_role_eligibility().await?;
            tenant.role_approvals = approvals::role_approvals(graph).await?;
            tenant.graph_grants = reader.every_graph_grant().await?;
            tenant.role_definitions = reader.role_definitions().await?;
            tenant.administrative_units = reader.administrative_units().await?;
        }
    }
    tenant.group = reader.group(&config.group.mail_nickname).await?;
    if depth == Depth::Audit {
        tenant.group_eligibilities = reader.group_eligibilities(&tenant).await?;
    }
    tenant.policies = reader
        .policies(config.conditional_access.exclude_from_policies)
        .await?;
    let app_object_id = tenant.emergency_app().map(|app| app.id.clone());
    tenant.app_management = app_management(graph, app_object_id.as_deref()).await?;
    if config.app.exempt_from_app_management_policy {
        tenant.own_app_policy = own_app_policy(graph).await?;
    }
    if config.users.temporary_access_pass {
        let user_ids: Vec<&str> = tenant.users.iter().map(|u| u.id.as_str()).collect();
        tenant.pass_policy = pass_policy(graph, &user_ids).await?;
    }
    Ok(tenant)
}

/// The Temporary Access Pass method policy, with the groups each of `user_ids` is in
/// (transitively, as Entra evaluates targets) when the policy targets groups only. A refused
/// read is an unreadable fact: Entra still decides when a pass is asked for.
pub async fn pass_policy(
    graph: &GraphClient,
    user_ids: &[&str],
) -> Result<Fact<PassPolicyView>, Error> {
    let read = async {
        let policy = graph.temporary_access_pass_policy().await?.to_policy();
        let mut groups_of_user = std::collections::BTreeMap::new();
        if policy.enabled && policy.targets_groups_only() {
            for id in user_ids {
                groups_of_user.insert(id.to_string(), graph.transitive_group_ids(id).await?);
            }
        }
        Ok::<_, Error>(PassPolicyView {
            policy,
            groups_of_user,
        })
    };
    readable(
        "Temporary Access Pass method policy",
        PASS_POLICY_READ,
        read,
    )
    .await
}

/// What lets an operator read the Temporary Access Pass method policy.
pub const PASS_POLICY_READ: &str = "Policy.Read.AuthenticationMethod (or Policy.Read.All)";

/// The app management policy that binds the emergency app: the custom one assigned to it,
/// else the tenant default (an app not created yet gets no custom policy). A refused read is
/// an unreadable fact at every depth: it only informs the plan and the audit.
pub async fn app_management(
    graph: &GraphClient,
    app_object_id: Option<&str>,
) -> Result<Fact<EffectivePolicy>, Error> {
    let read = async {
        if let Some(id) = app_object_id
            && let Some(assigned) = graph
                .app_management_policies_of_application(id)
                .await?
                .first()
        {
            return Ok::<_, Error>(convert::assigned_policy_of(assigned));
        }
        Ok(convert::default_policy_of(
            &graph.default_app_management_policy().await?,
        ))
    };
    readable("app management policy", "Policy.Read.All", read).await
}

/// The id of breakglass's own app management policy, found by its name.
pub async fn own_app_policy(graph: &GraphClient) -> Result<Fact<Option<String>>, Error> {
    let read = async {
        Ok::<_, Error>(
            graph
                .app_management_policies()
                .await?
                .into_iter()
                .find(|p| p.display_name == APP_POLICY_NAME)
                .map(|p| p.id),
        )
    };
    readable("app management policies", "Policy.Read.All", read).await
}

/// The tenant's initial `*.onmicrosoft.com` domain.
pub async fn initial_domain(graph: &GraphClient) -> Result<String, Error> {
    Ok(graph
        .domains()
        .await?
        .into_iter()
        .find(|d| d.is_initial == Some(true))
        .map(|d| d.id)
        .unwrap_or_default())
}

fn marked_users() -> Query {
    Query::users_marked(USER_MARKER)
}

/// The emergency users as Graph lists them (found by their marker).
pub async fn emergency_users(graph: &GraphClient) -> Result<Vec<graph::User>, Error> {
    Ok(graph.users(&marked_users()).try_collect().await?)
}

/// The user names of the cloud-only emergency users, whose passwords KeePass keeps.
pub async fn emergency_user_names(graph: &GraphClient) -> Result<Vec<String>, Error> {
    Ok(emergency_users(graph)
        .await?
        .into_iter()
        .filter(|u| u.on_premises_sync_enabled != Some(true))
        .map(|u| u.user_principal_name.unwrap_or_default())
        .collect())
}

/// The exclusion group: the group with the mail nickname breakglass.toml names.
pub async fn exclusion_group(
    graph: &GraphClient,
    mail_nickname: &str,
) -> Result<Option<graph::Group>, Error> {
    let query = Query::mail_nickname_is(mail_nickname);
    let groups: Vec<graph::Group> = graph.groups(&query).try_collect().await?;
    Ok(groups.into_iter().next())
}

/// The object id of Microsoft Graph's service principal in this tenant.
pub async fn microsoft_graph_service_principal(
    graph: &GraphClient,
) -> Result<Option<String>, Error> {
    Ok(graph
        .service_principal_by_app_id(&MICROSOFT_GRAPH_APP_ID.to_string())
        .await?
        .map(|sp| sp.id))
}

/// A read that may be refused: 403 (and other refusals of the request, such as a tenant
/// without the licence a feature needs) become an unreadable fact naming `permission`;
/// network failures and throttling still end the command.
pub async fn readable<T>(
    what: &str,
    permission: &str,
    read: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<Fact<T>, Error> {
    match read.await {
        Ok(value) => Ok(Fact::Known(value)),
        Err(err) if matches!(err.kind(), ErrorKind::Authorization | ErrorKind::Service) => {
            // The request and correlation ids are for support, not for the report.
            let message = err.message();
            let message = message.split(" (request-id").next().unwrap_or(message);
            Ok(Fact::unreadable(permission, format!("{what}: {message}")))
        }
        Err(err) => Err(err),
    }
}

const GROUP_MEMBER_READ: &str = "GroupMember.Read.All (or Directory.Read.All)";

/// What lets an operator read PIM for Groups eligibilities.
pub const PIM_GROUPS_READ: &str = "PrivilegedEligibilitySchedule.Read.AzureADGroup (and Microsoft Entra ID P2 for PIM for Groups)";

struct Reader<'a> {
    graph: &'a GraphClient,
    depth: Depth,
}

impl Reader<'_> {
    /// A fact this depth reads: when provisioning, a refused read ends the command; when
    /// auditing, it becomes an unreadable fact.
    async fn fact<T>(
        &self,
        what: &str,
        permission: &str,
        read: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<Fact<T>, Error> {
        match self.depth {
            Depth::Provision => Ok(Fact::Known(read.await?)),
            Depth::Audit => readable(what, permission, read).await,
        }
    }

    /// A fact only an audit reads.
    async fn audit_fact<T>(
        &self,
        what: &str,
        permission: &str,
        read: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<Fact<T>, Error> {
        match self.depth {
            Depth::Provision => Ok(Fact::NotRead),
            Depth::Audit => readable(what, permission, read).await,
        }
    }

    async fn owners(&self, owned: Owned, id: &str) -> Result<Fact<Vec<Principal>>, Error> {
        let what = match owned {
            Owned::Application => "GET /applications/{id}/owners",
            Owned::ServicePrincipal => "GET /servicePrincipals/{id}/owners",
            Owned::Group => "GET /groups/{id}/owners",
        };
        let permission = match owned {
            Owned::Group => GROUP_MEMBER_READ,
            _ => "Application.Read.All",
        };
        self.fact(what, permission, async {
            let owners = self.graph.owners(owned, id).await?;
            Ok(owners.iter().map(principal_of).collect())
        })
        .await
    }

    /// Every application carrying the emergency-access tag, the one in use first.
    async fn tagged_apps(&self) -> Result<Vec<Application>, Error> {
        let query = Query::applications_tagged(APP_TAG);
        let found: Vec<graph::Application> = self.graph.applications(&query).try_collect().await?;
        let mut apps = Vec::new();
        for app in &found {
            let mut read = application_of(app);
            read.owners = self.owners(Owned::Application, &app.id).await?;
            read.federated_credentials = self
                .audit_fact(
                    "GET /applications/{id}/federatedIdentityCredentials",
                    "Application.Read.All",
                    async {
                        let found = self.graph.federated_identity_credentials(&app.id).await?;
                        Ok(found.iter().map(federated_credential_of).collect())
                    },
                )
                .await?;
            apps.push(read);
        }
        apps.sort_by_key(|a| (!a.in_use(), a.created));
        Ok(apps)
    }

    async fn service_principal(&self, app_id: &str) -> Result<Option<ServicePrincipal>, Error> {
        let Some(sp) = self.graph.service_principal_by_app_id(app_id).await? else {
            return Ok(None);
        };
        Ok(Some(ServicePrincipal {
            owners: self.owners(Owned::ServicePrincipal, &sp.id).await?,
            account_enabled: sp.account_enabled.unwrap_or(true),
            credentials: credentials_of(&sp.password_credentials, &sp.key_credentials),
            id: sp.id,
        }))
    }

    async fn users(&self) -> Result<Vec<User>, Error> {
        let mut users = Vec::new();
        for user in emergency_users(self.graph).await? {
            // Conditional Access counts a group nested in an excluded group as excluded too.
            let group_ids = self
                .audit_fact(
                    "GET /users/{id}/transitiveMemberOf/microsoft.graph.group",
                    GROUP_MEMBER_READ,
                    async { Ok(self.graph.transitive_group_ids(&user.id).await?) },
                )
                .await?;
            let method_types = self
                .audit_fact(
                    "GET /users/{id}/authentication/methods",
                    "UserAuthenticationMethod.Read.All",
                    async {
                        let methods = self.graph.authentication_methods(&user.id).await?;
                        Ok(methods.into_iter().map(|m| m.odata_type).collect())
                    },
                )
                .await?;
            users.push(User {
                user_principal_name: user.user_principal_name.unwrap_or_default(),
                account_enabled: user.account_enabled.unwrap_or(false),
                created: user.created_date_time.and_then(|t| t.parse().ok()),
                on_premises_sync_enabled: user.on_premises_sync_enabled,
                group_ids,
                method_types,
                id: user.id,
            });
        }
        Ok(users)
    }

    /// The active role assignments of these principals.
    async fn role_assignments_of(&self, ids: &[String]) -> Result<Vec<RoleAssignment>, Error> {
        let mut assignments = Vec::new();
        for id in ids {
            let query = Query::assignments_of(id);
            let found: Vec<graph::UnifiedRoleAssignment> =
                self.graph.role_assignments(&query).try_collect().await?;
            assignments.extend(found.iter().map(role_assignment_of));
        }
        Ok(assignments)
    }

    async fn every_role_assignment(&self) -> Result<Fact<Vec<RoleAssignment>>, Error> {
        let assignments = readable(
            "GET /roleManagement/directory/roleAssignments",
            "RoleManagement.Read.Directory",
            async {
                let query = Query::new().expand("principal");
                let found: Vec<graph::UnifiedRoleAssignment> =
                    self.graph.role_assignments(&query).try_collect().await?;
                Ok(found.iter().map(role_assignment_of).collect())
            },
        )
        .await?;
        self.expand_groups(assignments).await
    }

    /// PIM-eligible assignments: v1.0 has them (Microsoft Entra ID P2 tenants).
    async fn every_role_eligibility(&self) -> Result<Fact<Vec<RoleAssignment>>, Error> {
        let eligibilities = readable(
            "GET /roleManagement/directory/roleEligibilityScheduleInstances",
            "RoleEligibilitySchedule.Read.Directory (and Microsoft Entra ID P2 for PIM)",
            async {
                let found = self
                    .graph
                    .role_eligibilities(&Query::new().expand("principal"))
                    .await?;
                Ok(found.iter().map(role_eligibility_of).collect())
            },
        )
        .await?;
        self.expand_groups(eligibilities).await
    }

    /// A role held by a (role-assignable) group is held by its members: each becomes an
    /// assignment of its own, named with the group, next to the group's.
    async fn expand_groups(
        &self,
        assignments: Fact<Vec<RoleAssignment>>,
    ) -> Result<Fact<Vec<RoleAssignment>>, Error> {
        let Fact::Known(assignments) = assignments else {
            return Ok(assignments);
        };
        let mut out = Vec::new();
        for assignment in assignments {
            if assignment.principal.kind == "group" {
                let members = match self.transitive_members(&assignment.principal.id).await? {
                    Fact::Known(members) => members,
                    Fact::Unreadable(missing) => return Ok(Fact::Unreadable(missing)),
                    Fact::NotRead => return Ok(Fact::NotRead),
                };
                // A nested group holds nothing itself: its members are listed on their own.
                for mut member in members.into_iter().filter(|m| m.kind != "group") {
                    member.name =
                        format!("{} (member of {})", member.name, assignment.principal.name);
                    out.push(RoleAssignment {
                        principal: member,
                        ..assignment.clone()
                    });
                }
            }
            out.push(assignment);
        }
        Ok(Fact::Known(out))
    }

    async fn members(&self, group_id: &str) -> Result<Fact<Vec<Principal>>, Error> {
        self.fact("GET /groups/{id}/members", GROUP_MEMBER_READ, async {
            let query = Query::ids_and_names();
            let members: Vec<graph::DirectoryObject> = self
                .graph
                .group_members(group_id, &query)
                .try_collect()
                .await?;
            Ok(members.iter().map(principal_of).collect())
        })
        .await
    }

    /// The group's members, directly or through nested groups.
    async fn transitive_members(&self, group_id: &str) -> Result<Fact<Vec<Principal>>, Error> {
        self.fact(
            "GET /groups/{id}/transitiveMembers",
            GROUP_MEMBER_READ,
            async {
                let members = self.graph.group_transitive_members(group_id).await?;
                Ok(members.iter().map(principal_of).collect())
            },
        )
        .await
    }

    /// Every directory role definition with its permissions: custom roles name what they
    /// allow only there.
    async fn role_definitions(&self) -> Result<Fact<Vec<RoleDefinition>>, Error> {
        readable(
            "GET /roleManagement/directory/roleDefinitions",
            "RoleManagement.Read.Directory",
            async {
                let found = self.graph.role_definition_permissions().await?;
                Ok(found.iter().map(convert::role_definition_of).collect())
            },
        )
        .await
    }

    /// Every administrative unit with the ids of its members.
    async fn administrative_units(&self) -> Result<Fact<Vec<AdministrativeUnit>>, Error> {
        readable(
            "GET /directory/administrativeUnits",
            "AdministrativeUnit.Read.All (or Directory.Read.All)",
            async {
                let mut units = Vec::new();
                for unit in self.graph.administrative_units().await? {
                    let members = self.graph.administrative_unit_members(&unit.id).await?;
                    units.push(AdministrativeUnit {
                        display_name: unit.display_name.unwrap_or_default(),
                        restricted: unit.is_member_management_restricted == Some(true),
                        member_ids: members.into_iter().map(|m| m.id).collect(),
                        id: unit.id,
                    });
                }
                Ok(units)
            },
        )
        .await
    }

    /// The Microsoft Graph application permissions of one service principal.
    async fn graph_grants_of(
        &self,
        service_principal_id: &str,
    ) -> Result<Vec<PermissionGrant>, Error> {
        let Some(graph_sp) = microsoft_graph_service_principal(self.graph).await? else {
            return Ok(Vec::new());
        };
        let grants = self
            .graph
            .app_role_assignments(service_principal_id)
            .await?;
        Ok(grants
            .iter()
            .filter(|g| g.resource_id.eq_ignore_ascii_case(&graph_sp))
            .map(permission_grant_of)
            .collect())
    }

    /// Every holder of a Microsoft Graph application permission.
    async fn every_graph_grant(&self) -> Result<Fact<Vec<PermissionGrant>>, Error> {
        readable(
            "GET /servicePrincipals/{Microsoft Graph}/appRoleAssignedTo",
            "Application.Read.All",
            async {
                let Some(graph_sp) = microsoft_graph_service_principal(self.graph).await? else {
                    return Ok(Vec::new());
                };
                let grants = self.graph.app_role_assigned_to(&graph_sp).await?;
                Ok(grants.iter().map(permission_grant_of).collect())
            },
        )
        .await
    }

    async fn group(&self, mail_nickname: &str) -> Result<Option<Group>, Error> {
        let Some(group) = exclusion_group(self.graph, mail_nickname).await? else {
            return Ok(None);
        };
        let owners = match self.depth {
            Depth::Provision => Fact::NotRead,
            Depth::Audit => self.owners(Owned::Group, &group.id).await?,
        };
        let members = self.members(&group.id).await?;
        let nested_members = match (self.depth, &members) {
            (Depth::Audit, Fact::Known(direct)) => {
                match self.transitive_members(&group.id).await? {
                    Fact::Known(all) => Fact::Known(
                        all.into_iter()
                            .filter(|m| !direct.iter().any(|d| d.id.eq_ignore_ascii_case(&m.id)))
                            .collect(),
                    ),
                    other => other,
                }
            }
            _ => Fact::NotRead,
        };
        Ok(Some(Group {
            display_name: group.display_name.unwrap_or_default(),
            is_assignable_to_role: group.is_assignable_to_role.unwrap_or(false),
            owners,
            members,
            nested_members,
            id: group.id,
        }))
    }

    /// PIM for Groups eligibilities of every group that holds a directory role, and of the
    /// exclusion group. Graph lists them one group at a time. A tenant without PIM for Groups
    /// (no permission, no Microsoft Entra ID P2) leaves this one fact unreadable.
    async fn group_eligibilities(
        &self,
        tenant: &TenantView,
    ) -> Result<Fact<Vec<GroupEligibility>>, Error> {
        let mut groups: Vec<(String, String)> = Vec::new();
        let holders = tenant
            .role_assignments
            .items()
            .iter()
            .chain(tenant.role_eligibilities.items())
            .map(|a| &a.principal)
            .filter(|p| p.kind == "group")
            .map(|p| (p.id.clone(), p.name.clone()));
        let exclusion = tenant
            .group
            .iter()
            .map(|g| (g.id.clone(), g.display_name.clone()));
        for (id, name) in holders.chain(exclusion) {
            if !groups
                .iter()
                .any(|(known, _)| known.eq_ignore_ascii_case(&id))
            {
                groups.push((id, name));
            }
        }
        readable(
            "GET /identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
            PIM_GROUPS_READ,
            async {
                let mut out = Vec::new();
                for (id, name) in &groups {
                    let found = self.graph.group_eligibilities(id).await?;
                    out.extend(found.iter().map(|e| convert::group_eligibility_of(e, name)));
                }
                Ok(out)
            },
        )
        .await
    }

    /// Every Conditional Access policy (`Policy.Read.All`). When provisioning and the
    /// configuration does not manage them (`required` false), they only feed a note, so an
    /// operator who may not read them sees no difference.
    async fn policies(&self, required: bool) -> Result<Fact<Vec<Policy>>, Error> {
        let read = async {
            let policies = self.graph.conditional_access_policies().await?;
            Ok::<_, Error>(policies.iter().map(policy_of).collect::<Vec<_>>())
        };
        let what = "GET /identity/conditionalAccess/policies";
        match self.depth {
            Depth::Audit => readable(what, "Policy.Read.All", read).await,
            Depth::Provision => match read.await {
                Ok(policies) => Ok(Fact::Known(policies)),
                Err(err) if !required => Ok(Fact::unreadable("Policy.Read.All", format!("{what}: {}", err.message()))),
                Err(err) => Err(err.hinted(
                    "[conditional_access] exclude_from_policies = true needs the Conditional Access policies: grant Policy.Read.All (and Policy.ReadWrite.ConditionalAccess to apply), or set it to false",
                )),
            },
        }
    }
}
