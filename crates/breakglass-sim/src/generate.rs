//! A made-up but plausible enterprise tenant of any size (`breakglass sim generate-tenant`),
//! for trying breakglass, and measuring the simulator, at the scale of the enterprises that
//! need emergency access. The same options always give the same description, so a
//! benchmark can name the tenant it ran on by its options alone.

use std::collections::HashMap;
use std::io::Write;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use uuid::Uuid;

use crate::permissions;
use crate::seed::{
    ApplicationDescription, GroupDescription, PolicyDescription, TenantDescription,
    UserDescription, WorkspaceDescription,
};
use breakglass_core::roles;

/// How big a tenant to describe.
#[derive(Clone, Copy, Debug)]
pub struct TenantSize {
    pub users: usize,
    /// Applications besides the operator's automation app, which is always there.
    pub applications: usize,
    pub policies: usize,
    /// Users holding a directory role (the first few of them Global Administrators).
    pub admins: usize,
    pub seed: u64,
}

/// Writes the description of a tenant of `size` as JSON, in the shape `sim serve --tenant`
/// reads.
pub fn write_tenant(size: &TenantSize, out: impl Write) -> std::io::Result<()> {
    let description = describe(size);
    serde_json::to_writer_pretty(out, &description).map_err(std::io::Error::other)
}

pub(crate) fn describe(size: &TenantSize) -> TenantDescription {
    let mut rng = StdRng::seed_from_u64(size.seed);
    let tenant_id = uuid_from(&mut rng);
    let users = users(&mut rng, size);
    let groups = groups(&mut rng, &users);
    let applications = applications(&mut rng, size.applications);
    let conditional_access_policies = policies(&mut rng, size.policies, &applications);
    TenantDescription {
        tenant_id,
        display_name: format!("Fabrikam (generated, seed {})", size.seed),
        initial_domain: format!("fabrikam{}.onmicrosoft.com", size.seed),
        custom_domains: vec![DOMAIN.to_string()],
        users,
        groups,
        applications,
        conditional_access_policies,
        workspaces: vec![WorkspaceDescription {
            subscription_id: uuid_from(&mut rng),
            resource_group: "rg-security".into(),
            name: "law-fabrikam-security".into(),
            location: "westeurope".into(),
        }],
        default_app_management_policy: None,
        app_management_policies: Vec::new(),
        temporary_access_pass_policy: Some(serde_json::json!({"state": "enabled"})),
        passkey_policy: None,
        custom_roles: Vec::new(),
        administrative_units: Vec::new(),
        role_activation_policies: Vec::new(),
        azure_role_assignments: Vec::new(),
    }
}

const DOMAIN: &str = "fabrikam.example";

const FIRST_NAMES: &[&str] = &[
    "Aaliyah",
    "Adele",
    "Ahmed",
    "Aiko",
    "Alejandro",
    "Alex",
    "Amara",
    "Ana",
    "Anders",
    "Anika",
    "Arjun",
    "Astrid",
    "Beatriz",
    "Ben",
    "Bogdan",
    "Carlos",
    "Chen",
    "Chloe",
    "Dario",
    "Deepa",
    "Diego",
    "Dmitri",
    "Elena",
    "Emma",
    "Fatima",
    "Felix",
    "Freya",
    "Gabriel",
    "Grace",
    "Hana",
    "Hassan",
    "Ines",
    "Isaac",
    "Ivan",
    "Jamal",
    "Jana",
    "Javier",
    "Jin",
    "Johan",
    "Julia",
    "Kai",
    "Kenji",
    "Lara",
    "Leila",
    "Liam",
    "Lucia",
    "Malik",
    "Maria",
    "Mateo",
    "Mei",
    "Mia",
    "Nadia",
    "Nia",
    "Noah",
    "Olga",
    "Omar",
    "Pablo",
    "Priya",
    "Quentin",
    "Rafael",
    "Ravi",
    "Rosa",
    "Sara",
    "Sean",
    "Sofia",
    "Tariq",
    "Thomas",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
];

const LAST_NAMES: &[&str] = &[
    "Abebe",
    "Andersen",
    "Bauer",
    "Becker",
    "Chowdhury",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Gonzalez",
    "Haddad",
    "Hansen",
    "Ito",
    "Jensen",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lee",
    "Lopez",
    "Martin",
    "Mensah",
    "Moreau",
    "Muller",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Perez",
    "Petrov",
    "Popescu",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Tanaka",
    "Torres",
    "Vance",
    "Wagner",
    "Walters",
    "Wang",
    "Weber",
    "Williams",
    "Yilmaz",
    "Zhang",
    "Zielinski",
];

const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Sales",
        &["Account Executive", "Sales Manager", "Sales Engineer"],
    ),
    (
        "Marketing",
        &["Marketing Specialist", "Content Writer", "Brand Manager"],
    ),
    (
        "Finance",
        &["Accountant", "Financial Analyst", "Controller"],
    ),
    (
        "Engineering",
        &[
            "Software Engineer",
            "Site Reliability Engineer",
            "Engineering Manager",
        ],
    ),
    (
        "Operations",
        &[
            "Operations Analyst",
            "Logistics Coordinator",
            "Plant Manager",
        ],
    ),
    (
        "Human Resources",
        &["HR Business Partner", "Recruiter", "Payroll Specialist"],
    ),
    ("Legal", &["Counsel", "Paralegal", "Compliance Officer"]),
    (
        "Support",
        &[
            "Support Engineer",
            "Service Desk Agent",
            "Customer Success Manager",
        ],
    ),
];

const LOCATIONS: &[&str] = &[
    "Amsterdam",
    "Berlin",
    "Chicago",
    "Dublin",
    "Lisbon",
    "Madrid",
    "Mumbai",
    "Oslo",
    "Paris",
    "Seattle",
    "Singapore",
    "Sydney",
    "Tokyo",
    "Toronto",
    "Warsaw",
];

/// Roles an administrator may hold, most common last so a larger admin team spreads over them.
const ADMIN_ROLES: &[&str] = &[
    "Privileged Role Administrator",
    "Privileged Authentication Administrator",
    "Security Administrator",
    "Conditional Access Administrator",
    "Application Administrator",
    "Cloud Application Administrator",
    "Hybrid Identity Administrator",
    "Exchange Administrator",
    "Authentication Administrator",
    "User Administrator",
    "Helpdesk Administrator",
    "Security Reader",
    "Global Reader",
];

/// Real tenants keep a handful of Global Administrators however big they are.
const GLOBAL_ADMINS: usize = 4;

fn uuid_from(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn users(rng: &mut StdRng, size: &TenantSize) -> Vec<UserDescription> {
    let admins = size.admins.min(size.users);
    // Administrators are spread through the directory, not the first users listed.
    let stride = size.users.checked_div(admins).unwrap_or(0);
    let mut taken: HashMap<String, u32> = HashMap::new();
    let mut users = Vec::with_capacity(size.users);
    let mut admin_number = 0;
    for index in 0..size.users {
        let first = *pick(rng, FIRST_NAMES);
        let last = *pick(rng, LAST_NAMES);
        let base = format!(
            "{}.{}",
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase()
        );
        let seen = taken.entry(base.clone()).or_insert(0);
        *seen += 1;
        let nickname = if *seen == 1 {
            base
        } else {
            format!("{base}{seen}")
        };
        let (department, titles) = pick(rng, DEPARTMENTS);
        let is_admin = stride > 0 && index % stride == 0 && admin_number < admins;
        let mut user = UserDescription {
            display_name: format!("{first} {last}"),
            user_principal_name: format!("{nickname}@{DOMAIN}"),
            password: format!("Gen-{:08x}-Pw1!", rng.random::<u32>()),
            roles: Vec::new(),
            job_title: Some(format!("{} ({department})", pick(rng, titles))),
            account_enabled: rng.random_ratio(97, 100),
            eligible_roles: Vec::new(),
            employee_type: Some(
                if rng.random_ratio(1, 10) {
                    "Contractor"
                } else {
                    "Employee"
                }
                .into(),
            ),
            on_premises_sync_enabled: rng.random_ratio(3, 10),
            authentication_methods: Vec::new(),
        };
        if is_admin {
            make_admin(rng, &mut user, admin_number);
            admin_number += 1;
        }
        users.push(user);
    }
    users
}

fn make_admin(rng: &mut StdRng, user: &mut UserDescription, admin_number: usize) {
    user.account_enabled = true;
    user.employee_type = Some("Employee".into());
    if admin_number < GLOBAL_ADMINS {
        user.roles
            .push(roles::GLOBAL_ADMINISTRATOR.display_name.into());
        user.job_title = Some("Identity Platform Owner (IT)".into());
        return;
    }
    user.job_title = Some("IT Administrator (IT)".into());
    let role = pick(rng, ADMIN_ROLES);
    // Organisations moving to PIM hold some roles as eligible only.
    if rng.random_ratio(1, 3) {
        user.eligible_roles.push((*role).into());
    } else {
        user.roles.push((*role).into());
    }
    if rng.random_ratio(1, 5) {
        let second = pick(rng, ADMIN_ROLES);
        if second != role {
            user.roles.push((*second).into());
        }
    }
}

/// One group per department and location, everyone in the group of theirs, and an admins'
/// group.
fn groups(rng: &mut StdRng, users: &[UserDescription]) -> Vec<GroupDescription> {
    let mut by_name: Vec<GroupDescription> = Vec::new();
    let mut index: HashMap<(usize, usize), usize> = HashMap::new();
    let mut admins = Vec::new();
    for user in users {
        if !user.roles.is_empty() || !user.eligible_roles.is_empty() {
            admins.push(user.user_principal_name.clone());
        }
        let department = DEPARTMENTS
            .iter()
            .position(|(name, _)| user.job_title.as_deref().is_some_and(|t| t.contains(name)));
        let Some(department) = department else {
            continue;
        };
        let location = rng.random_range(0..LOCATIONS.len());
        let at = *index.entry((department, location)).or_insert_with(|| {
            let name = format!("{} - {}", DEPARTMENTS[department].0, LOCATIONS[location]);
            by_name.push(GroupDescription {
                mail_nickname: name.to_ascii_lowercase().replace([' ', '-'], ""),
                display_name: name,
                members: Vec::new(),
                ..GroupDescription::default()
            });
            by_name.len() - 1
        });
        by_name[at].members.push(user.user_principal_name.clone());
    }
    by_name.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    by_name.push(GroupDescription {
        display_name: "Directory Administrators".into(),
        mail_nickname: "directoryadmins".into(),
        members: admins,
        ..GroupDescription::default()
    });
    by_name
}

const VENDORS: &[&str] = &[
    "Contoso",
    "Northwind",
    "Tailspin",
    "Litware",
    "Adatum",
    "Proseware",
    "Wingtip",
    "Fourth Coffee",
    "Woodgrove",
    "Alpine Ski",
    "Blue Yonder",
    "Coho",
    "Lucerne",
    "Margie's",
    "Trey Research",
    "Wide World",
    "Humongous",
    "Graphic Design",
    "VanArsdel",
    "Relecloud",
];

const PRODUCTS: &[&str] = &[
    "HR Sync",
    "Payroll Connector",
    "CRM Integration",
    "Backup Agent",
    "Mail Archiver",
    "Ticketing Bridge",
    "Provisioning Service",
    "Reporting Portal",
    "Expense Tracker",
    "SSO Gateway",
    "Device Inventory",
    "Security Scanner",
    "Data Export",
    "Calendar Sync",
    "Learning Platform",
    "Build Pipeline",
    "Monitoring Agent",
    "Contract Manager",
];

const OPERATOR_APP: &str = "breakglass operator automation";

/// What the operator's automation app holds in the built-in tenant, so breakglass can do
/// everything it does there.
const OPERATOR_PERMISSIONS: &[&str] = &[
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.Read.All",
    "Group.ReadWrite.All",
    "User.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "Policy.Read.All",
    "AuditLog.Read.All",
];

fn applications(rng: &mut StdRng, count: usize) -> Vec<ApplicationDescription> {
    let mut apps = Vec::with_capacity(count + 1);
    apps.push(ApplicationDescription {
        display_name: OPERATOR_APP.into(),
        operator: true,
        application_permissions: OPERATOR_PERMISSIONS.iter().map(|p| p.to_string()).collect(),
        roles: vec![roles::PRIVILEGED_ROLE_ADMINISTRATOR.display_name.into()],
        eligible_roles: Vec::new(),
    });
    let mut taken: HashMap<String, u32> = HashMap::new();
    for _ in 0..count {
        let base = format!("{} {}", pick(rng, VENDORS), pick(rng, PRODUCTS));
        let seen = taken.entry(base.clone()).or_insert(0);
        *seen += 1;
        let display_name = if *seen == 1 {
            base
        } else {
            format!("{base} {seen}")
        };
        apps.push(application(rng, display_name));
    }
    apps
}

fn application(rng: &mut StdRng, display_name: String) -> ApplicationDescription {
    let all = permissions::GRAPH_APP_ROLES;
    // Most line-of-business apps read a little; a few hold what an attacker wants.
    let count = match rng.random_range(0..100) {
        0..40 => 0,
        40..75 => 1,
        75..95 => 2,
        _ => 4,
    };
    let mut granted: Vec<String> = Vec::new();
    for _ in 0..count {
        let permission = if rng.random_ratio(3, 4) {
            pick(
                rng,
                &all.iter()
                    .filter(|p| p.value.ends_with(".Read.All"))
                    .collect::<Vec<_>>(),
            )
            .value
        } else {
            pick(rng, all).value
        };
        if !granted.iter().any(|g| g == permission) {
            granted.push(permission.to_string());
        }
    }
    let mut app_roles = Vec::new();
    let mut eligible_roles = Vec::new();
    if rng.random_ratio(1, 200) {
        app_roles.push(pick(rng, ADMIN_ROLES).to_string());
    } else if rng.random_ratio(1, 400) {
        eligible_roles.push(pick(rng, ADMIN_ROLES).to_string());
    }
    ApplicationDescription {
        display_name,
        operator: false,
        application_permissions: granted,
        roles: app_roles,
        eligible_roles,
    }
}

/// Conditional Access in every state: mostly enforced, some switched off, some being tried
/// out in report-only mode, as a tenant that has grown its policies for years has them.
fn policies(
    rng: &mut StdRng,
    count: usize,
    applications: &[ApplicationDescription],
) -> Vec<PolicyDescription> {
    const STATES: [&str; 3] = ["enabled", "disabled", "enabledForReportingButNotEnforced"];
    (0..count)
        .map(|index| {
            // The first three have one state each, so even a tiny tenant has all three.
            let state = if index < STATES.len() {
                STATES[index]
            } else {
                match rng.random_range(0..10) {
                    0..6 => STATES[0],
                    6..8 => STATES[1],
                    _ => STATES[2],
                }
            };
            policy(rng, index, state, applications)
        })
        .collect()
}

fn policy(
    rng: &mut StdRng,
    index: usize,
    state: &str,
    applications: &[ApplicationDescription],
) -> PolicyDescription {
    let mut policy = PolicyDescription {
        display_name: String::new(),
        state: state.into(),
        include_users: Vec::new(),
        include_roles: Vec::new(),
        exclude_users: Vec::new(),
        include_service_principals: Vec::new(),
        exclude_service_principals: Vec::new(),
        client_app_types: vec!["all".into()],
        grant: vec!["mfa".into()],
    };
    let purpose = match rng.random_range(0..6) {
        0 => {
            let role = pick(rng, ADMIN_ROLES);
            policy.include_roles = vec![
                roles::GLOBAL_ADMINISTRATOR.display_name.into(),
                (*role).into(),
            ];
            format!("Require MFA for {role}s")
        }
        1 => {
            policy.include_users = vec!["All".into()];
            policy.client_app_types = vec!["exchangeActiveSync".into(), "other".into()];
            policy.grant = vec!["block".into()];
            "Block legacy authentication".to_string()
        }
        2 => {
            policy.include_users = vec!["All".into()];
            policy.grant = vec!["compliantDevice".into(), "domainJoinedDevice".into()];
            format!("Require a managed device in {}", pick(rng, LOCATIONS))
        }
        3 => {
            policy.include_service_principals = vec!["ServicePrincipalsInMyTenant".into()];
            // Administrators keep their own automation out of a tenant-wide block.
            policy.exclude_service_principals = vec![OPERATOR_APP.into()];
            policy.grant = vec!["block".into()];
            "Block workload identities outside trusted locations".to_string()
        }
        4 if applications.len() > 1 => {
            let app = &applications[rng.random_range(1..applications.len())];
            policy.include_service_principals = vec![app.display_name.clone()];
            policy.grant = vec!["block".into()];
            format!("Block {} from risky locations", app.display_name)
        }
        _ => {
            policy.include_users = vec!["All".into()];
            "Require MFA for all users".to_string()
        }
    };
    policy.display_name = format!("CA{:03} - {purpose}", index + 1);
    policy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> TenantSize {
        TenantSize {
            users: 300,
            applications: 40,
            policies: 12,
            admins: 20,
            seed: 7,
        }
    }

    fn text(size: &TenantSize) -> String {
        let mut out = Vec::new();
        write_tenant(size, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_same_options_give_the_same_tenant_and_another_seed_another() {
        assert_eq!(text(&small()), text(&small()));
        assert_ne!(text(&small()), text(&TenantSize { seed: 8, ..small() }));
    }

    #[test]
    fn the_description_loads_with_every_user_admin_app_and_policy_state() {
        let origin = std::path::Path::new("generated.json");
        let description = crate::seed::parse(&text(&small()), origin).unwrap();
        let (tenant, operator) =
            crate::seed::build(&description, origin, jiff::Timestamp::now()).unwrap();
        assert!(operator.is_some());
        let users = tenant.live(crate::state::Kind::User).count();
        assert_eq!(users, 300);
        let upns: std::collections::HashSet<_> = description
            .users
            .iter()
            .map(|u| &u.user_principal_name)
            .collect();
        assert_eq!(upns.len(), 300, "user principal names are unique");
        let admins = description
            .users
            .iter()
            .filter(|u| !u.roles.is_empty() || !u.eligible_roles.is_empty())
            .count();
        assert_eq!(admins, 20);
        assert!(tenant.role_assignments.len() > GLOBAL_ADMINS);
        // 41 applications (the operator's included), each with its service principal, and
        // Microsoft's two service principals.
        assert_eq!(tenant.live(crate::state::Kind::Application).count(), 41);
        assert_eq!(
            tenant.live(crate::state::Kind::ServicePrincipal).count(),
            43
        );
        for state in ["enabled", "disabled", "enabledForReportingButNotEnforced"] {
            assert!(
                tenant
                    .conditional_access_policies
                    .iter()
                    .any(|p| p["state"] == state),
                "no policy is {state}"
            );
        }
        assert_eq!(tenant.conditional_access_policies.len(), 12);
    }
}
