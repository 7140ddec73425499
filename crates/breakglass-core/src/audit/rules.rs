//! What each check looks for and why it matters, in words for the people who receive a report
//! without breakglass at hand: a security team's code-scanning dashboard, an auditor.

use super::{CheckId, Severity};

/// One check, described.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleText {
    /// One line: what the check wants to be true.
    pub title: &'static str,
    /// Why it matters and what to do when it is not.
    pub help: &'static str,
}

const fn rule(title: &'static str, help: &'static str) -> RuleText {
    RuleText { title, help }
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [CheckId; 37] = [
        CheckId::EmergencyApp,
        CheckId::AppOwners,
        CheckId::ServicePrincipalOwners,
        CheckId::AppCredentials,
        CheckId::ServicePrincipalCredentials,
        CheckId::FederatedCredentials,
        CheckId::CredentialLock,
        CheckId::AppManagementPolicy,
        CheckId::SignInAudience,
        CheckId::ServicePrincipalEnabled,
        CheckId::AppRole,
        CheckId::CredentialAdminRoles,
        CheckId::OwnerAdminRoles,
        CheckId::TierZeroRoles,
        CheckId::GraphPermissions,
        CheckId::UserTakeoverRoles,
        CheckId::UserTakeoverPermissions,
        CheckId::CustomRoles,
        CheckId::AdministrativeUnits,
        CheckId::WorkloadConditionalAccess,
        CheckId::EmergencyAccessPaths,
        CheckId::PolicyLockout,
        CheckId::RoleActivationLockout,
        CheckId::UserCloudOnly,
        CheckId::UserDomain,
        CheckId::UserEnabled,
        CheckId::UserRole,
        CheckId::UserConditionalAccess,
        CheckId::UserPhishingResistant,
        CheckId::UserDeviceBoundMethods,
        CheckId::MandatoryMfa,
        CheckId::ExclusionGroup,
        CheckId::GlobalAdminCount,
        CheckId::AzureElevation,
        CheckId::AzureRootRole,
        CheckId::LastDrill,
        CheckId::LocalStores,
    ];

    /// The check in words.
    pub fn text(self) -> RuleText {
        TEXTS
            .iter()
            .find(|(check, _)| *check == self)
            .map(|(_, text)| *text)
            .unwrap_or(rule("", ""))
    }
}

/// Each check in words, in report order.
const TEXTS: [(CheckId, RuleText); 37] = [
    (
        CheckId::EmergencyApp,
        rule(
            "The emergency app exists",
            "No application carries the breakglass tag, so the tenant has no emergency app to audit. `breakglass apply` creates it.",
        ),
    ),
    (
        CheckId::AppOwners,
        rule(
            "The emergency app's application object has no owners",
            "An owner may add a secret or certificate to the app and sign in as it, with every role the app holds. Remove the owners; breakglass manages the app without them.",
        ),
    ),
    (
        CheckId::ServicePrincipalOwners,
        rule(
            "The emergency app's service principal has no owners",
            "An owner of the service principal may add a credential to it and sign in as the app. Remove the owners.",
        ),
    ),
    (
        CheckId::AppCredentials,
        rule(
            "Every credential of the emergency app was made by breakglass and is held by its stores",
            "A credential breakglass did not make, or one no local store holds, is a way in that nobody watches: whoever holds it is the emergency app. Find who added it in the audit log, then let `breakglass apply` remove it.",
        ),
    ),
    (
        CheckId::ServicePrincipalCredentials,
        rule(
            "The emergency app's service principal holds no credentials",
            "A credential on the service principal signs in as the app and does not show on the app registration's blade. breakglass never puts one there: remove it.",
        ),
    ),
    (
        CheckId::FederatedCredentials,
        rule(
            "The emergency app trusts no federated identity",
            "A federated identity credential lets tokens from another issuer (a CI pipeline, another cloud) sign in as the app without any secret. Remove it.",
        ),
    ),
    (
        CheckId::CredentialLock,
        rule(
            "The emergency app's credentials are locked on its service principal",
            "Without the service principal lock configuration, credentials can be added to the service principal object. `breakglass apply` sets the lock.",
        ),
    ),
    (
        CheckId::AppManagementPolicy,
        rule(
            "The app management policy allows the emergency app's declared credentials",
            "A policy that forbids new secrets or caps credential lifetimes below the declared ones makes the next rotation fail, and the way in expires with the old credential. Exempt the app (`[app] exempt_from_app_management_policy`) or relax the policy.",
        ),
    ),
    (
        CheckId::SignInAudience,
        rule(
            "The emergency app is single-tenant",
            "A multi-tenant app can be instantiated in other tenants, and Conditional Access for workload identities covers single-tenant apps only. Set signInAudience to AzureADMyOrg.",
        ),
    ),
    (
        CheckId::ServicePrincipalEnabled,
        rule(
            "The emergency app's service principal exists and is enabled",
            "Without an enabled service principal the emergency app cannot sign in. `breakglass apply` creates or enables it.",
        ),
    ),
    (
        CheckId::AppRole,
        rule(
            "The emergency app holds its declared role, active and tenant-wide",
            "An app cannot activate a PIM-eligible role: without an active assignment at the tenant scope the emergency app signs in and can do nothing.",
        ),
    ),
    (
        CheckId::CredentialAdminRoles,
        rule(
            "Nobody else may add credentials to the emergency app",
            "Application Administrators and Cloud Application Administrators (tenant-wide, or scoped to the app) may add a credential to the app and sign in as it. Keep these roles empty or scoped away from it, and watch their use.",
        ),
    ),
    (
        CheckId::OwnerAdminRoles,
        rule(
            "Nobody else may make themselves owner of the emergency app",
            "A Hybrid Identity Administrator may make itself an owner, and an owner may add a credential. Keep the role to the people who need it.",
        ),
    ),
    (
        CheckId::TierZeroRoles,
        rule(
            "Global and Privileged Role Administrators are few",
            "Each of them can take the emergency access over as it can everything else. Keep them few and watched.",
        ),
    ),
    (
        CheckId::GraphPermissions,
        rule(
            "No other app holds Graph permissions that reach the emergency app",
            "Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All and RoleManagement.ReadWrite.Directory (and Application.ReadWrite.OwnedBy for an owner) let an app add a credential to the emergency app, or grant itself the power to. Remove them where they are not needed.",
        ),
    ),
    (
        CheckId::UserTakeoverRoles,
        rule(
            "Nobody else may reset the emergency users' authentication",
            "A Privileged Authentication Administrator may reset the password and methods of any user, emergency users included, and sign in as them.",
        ),
    ),
    (
        CheckId::UserTakeoverPermissions,
        rule(
            "No app may manage the emergency users' authentication methods",
            "An app holding UserAuthenticationMethod.ReadWrite.All may issue a Temporary Access Pass to any user and sign in as an emergency user. Remove the permission once provisioning is done.",
        ),
    ),
    (
        CheckId::CustomRoles,
        rule(
            "No custom directory role reaches the emergency app or the emergency users' methods",
            "A custom role holding microsoft.directory/applications/credentials/update, .../servicePrincipals/credentials/update, the owners/update actions, allProperties on applications or service principals, or any users/authenticationMethods action does what Application Administrators or Privileged Authentication Administrators do. Assigned tenant-wide or on the emergency objects, actively or eligibly, its holder can take the emergency access over. Take those actions out of the role or remove the assignments.",
        ),
    ),
    (
        CheckId::AdministrativeUnits,
        rule(
            "No role is scoped to an administrative unit that holds an emergency user or the exclusion group",
            "A role assigned over an administrative unit lets its holder manage the unit's users and groups, and in a restricted management unit only such holders may. Keep the emergency users and the exclusion group out of administrative units, or in a restricted management unit over which no role is assigned: then even tenant-wide administrators cannot change them without first assigning themselves there, which the audit log records.",
        ),
    ),
    (
        CheckId::WorkloadConditionalAccess,
        rule(
            "No Conditional Access policy for workload identities can block the emergency app",
            "Service principals are no longer exempt from Conditional Access: an enabled policy that includes the emergency app refuses its sign-in when it is needed. Exclude the app's service principal.",
        ),
    ),
    (
        CheckId::EmergencyAccessPaths,
        rule(
            "There are at least two independent ways in",
            "Microsoft's guidance asks for two or more emergency accounts, so that one lost credential or one broken policy does not lock the tenant out.",
        ),
    ),
    (
        CheckId::PolicyLockout,
        rule(
            "Conditional Access leaves an emergency identity able to sign in",
            "Policies are evaluated together: each emergency identity may be excluded from most of them and still be stopped by one. The check looks for the state where every emergency user and the emergency app are stopped by an enabled policy (a block, or a grant only a managed device meets), and for the report-only or disabled policy whose enabling would bring that state about. Report-only policies block nothing until enabled; they are named because enabling is their next step.",
        ),
    ),
    (
        CheckId::RoleActivationLockout,
        rule(
            "Someone besides the emergency identities can act as Global or Privileged Role Administrator",
            "When every Global and Privileged Role Administrator is PIM-eligible only, activation needs approval and no approver is left who may give it (deleted, disabled, or only eligible themselves), nobody can administer the tenant except through the emergency access, and nobody at all if the emergency identities hold nothing actively. Microsoft's emergency access guidance names this lockout. Keep one more administrator active, or name approvers who are active and enabled.",
        ),
    ),
    (
        CheckId::UserCloudOnly,
        rule(
            "Emergency users are cloud-only",
            "A user synchronised from on-premises depends on that directory: an on-premises compromise or outage reaches it.",
        ),
    ),
    (
        CheckId::UserDomain,
        rule(
            "Emergency users sign in on the initial onmicrosoft.com domain",
            "A custom domain's federation or DNS problem can lock out a user named on it.",
        ),
    ),
    (
        CheckId::UserEnabled,
        rule(
            "Emergency users are enabled",
            "A disabled emergency user cannot sign in when needed.",
        ),
    ),
    (
        CheckId::UserRole,
        rule(
            "Emergency users hold their role permanently and active",
            "Activating a PIM-eligible role needs working MFA and approvers, which an emergency may not have.",
        ),
    ),
    (
        CheckId::UserConditionalAccess,
        rule(
            "No Conditional Access policy can block an emergency user",
            "Every enabled policy must exclude the emergency users, or the exclusion group. A policy that blocks them is the lockout emergency access exists for.",
        ),
    ),
    (
        CheckId::UserPhishingResistant,
        rule(
            "Emergency users have a phishing-resistant method",
            "Mandatory MFA for the admin portals applies to emergency accounts too; Microsoft asks for a FIDO2 passkey or certificate-based authentication on them.",
        ),
    ),
    (
        CheckId::UserDeviceBoundMethods,
        rule(
            "Emergency users do not depend on one device to sign in",
            "Windows Hello for Business and Platform Credential keep the key in one device's TPM or secure enclave. When that is an emergency user's only phishing-resistant method, the device being lost, wiped or judged non-compliant by a Conditional Access device policy locks the user out. Register a FIDO2 security key that is stored with the account's sealed credentials.",
        ),
    ),
    (
        CheckId::MandatoryMfa,
        rule(
            "Emergency users can meet mandatory MFA with a FIDO2 passkey or a certificate",
            "Microsoft enforces MFA for the Azure and Entra admin portals, emergency accounts included, and asks that they meet it with a FIDO2 passkey or certificate-based authentication: neither depends on a phone, a network or a managed device. The emergency app is a workload identity and is not affected.",
        ),
    ),
    (
        CheckId::ExclusionGroup,
        rule(
            "The Conditional Access exclusion group is protected and holds only emergency users",
            "Every member escapes the policies that exclude the group. It must be role-assignable (so only privileged roles may change it), have no owners, and hold only the emergency users, directly or through nested groups, with nobody else eligible to join or own it through PIM for Groups.",
        ),
    ),
    (
        CheckId::GlobalAdminCount,
        rule(
            "Fewer than five principals hold Global Administrator",
            "Microsoft recommends fewer than five Global Administrators: each one is a way to take the tenant over.",
        ),
    ),
    (
        CheckId::AzureElevation,
        rule(
            "Nobody keeps standing access administration at the root of Azure",
            "A Global Administrator can call elevateAccess and become User Access Administrator at the root scope (/), over every subscription and management group. Microsoft asks that this elevated access be removed once the work is done: a standing Owner or User Access Administrator at / is a permanent master key to Azure. The report lists every Global Administrator who could elevate; remove the standing assignments at /. Read with `audit --azure` only.",
        ),
    ),
    (
        CheckId::AzureRootRole,
        rule(
            "The emergency identities cannot be locked out of Azure's root",
            "Microsoft's guidance asks for no Azure role on emergency accounts; an emergency user who is an active Global Administrator can always elevate to User Access Administrator at /. When others may manage access at the root of Azure and no emergency identity can (no Owner or User Access Administrator there, no emergency user who can elevate), those others could shut the emergency access out of Azure. The report lists what each emergency identity holds at the root. Read with `audit --azure` only.",
        ),
    ),
    (
        CheckId::LastDrill,
        rule(
            "The emergency access was drilled in the last 90 days",
            "Microsoft asks that emergency access be validated at least every 90 days. `breakglass drill` proves each credential and records it.",
        ),
    ),
    (
        CheckId::LocalStores,
        rule(
            "The local stores hold what the tenant expects",
            "The KeePass database and the sheets' manifest must hold the credentials and passwords the tenant has, or the way in is lost with them.",
        ),
    ),
];

impl CheckId {
    /// The worst severity a finding of this check can have (docs/audit.md lists when each
    /// applies), for dashboards that rank a rule before they see its findings.
    pub fn worst_severity(self) -> Severity {
        use CheckId::*;
        match self {
            AppOwners
            | ServicePrincipalOwners
            | AppCredentials
            | ServicePrincipalCredentials
            | FederatedCredentials
            | ServicePrincipalEnabled
            | CredentialAdminRoles
            | GraphPermissions
            | UserTakeoverRoles
            | UserTakeoverPermissions
            | CustomRoles
            | WorkloadConditionalAccess
            | UserConditionalAccess
            | PolicyLockout
            | RoleActivationLockout => Severity::Critical,
            EmergencyApp | CredentialLock | AppManagementPolicy | SignInAudience | AppRole
            | OwnerAdminRoles | EmergencyAccessPaths | UserCloudOnly | UserDomain | UserEnabled
            | UserRole | ExclusionGroup | LocalStores | AdministrativeUnits => Severity::High,
            UserPhishingResistant | GlobalAdminCount | LastDrill | AzureRootRole => {
                Severity::Medium
            }
            UserDeviceBoundMethods | AzureElevation => Severity::High,
            MandatoryMfa => Severity::High,
            TierZeroRoles => Severity::Low,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_has_its_words_and_the_table_follows_report_order() {
        let order: Vec<CheckId> = TEXTS.iter().map(|(check, _)| *check).collect();
        assert_eq!(order, CheckId::ALL);
        for check in CheckId::ALL {
            let text = check.text();
            assert!(!text.title.is_empty() && text.help.len() > 40, "{check:?}");
        }
    }
}
