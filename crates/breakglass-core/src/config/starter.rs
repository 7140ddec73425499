//! The configuration `breakglass init` starts from.

/// The commented starting configuration `breakglass init` writes.
pub const STARTER: &str = r#"# breakglass.toml: the emergency access identities of one Microsoft Entra tenant.
# `breakglass plan` shows what would change; `breakglass apply` makes it so.
# Objects are found again through markers in the tenant itself, so any operator
# machine with this file sees the same truth.

[tenant]
# Directory id or initial domain. When absent, AZURE_TENANT_ID is used.
# id = "00000000-0000-0000-0000-000000000000"
# Cloud: public (default), usgov, china, or a path to a cloud profile JSON file.
# cloud = "public"

[app]
# The emergency access app registration and its service principal.
name = "Emergency access (breakglass)"
# A permanent, active directory role at tenant scope (never PIM-eligible) ...
role = "Global Administrator"
# ... or, instead of a role, Microsoft Graph application permissions:
# graph_permissions = ["Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory"]
# Lock the service principal's credentials so nobody can add one there.
lock_credentials = true
# A tenant-wide app management policy can forbid new client secrets or cap certificate
# lifetimes; `plan` says so. With true, apply gives the app a policy of its own that allows
# its declared credentials (needs Policy.ReadWrite.ApplicationConfiguration).
exempt_from_app_management_policy = false

# Kept offline for ever: a certificate whose key never leaves this machine except on
# paper, split into Shamir shares so no single custodian can use it.
[[app.credentials]]
label = "offline"
kind = "certificate"
store = "shares"
shares = "3-of-5"
lifetime_days = 1095

# Kept in KeePass and rotated: a client secret.
[[app.credentials]]
label = "rotating"
kind = "secret"
store = "keepass"
lifetime_days = 90
rotate_after_days = 30

# On a PKCS#11 token (smart card, HSM; only SoftHSM2 has been tried): the key is generated on
# the token and never leaves it. Keep the token and its PIN in the safe, apart.
# [[app.credentials]]
# label = "hardware"
# kind = "certificate"
# store = "pkcs11"
# pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so"
# pkcs11_token = "breakglass"
# pkcs11_key = "breakglass-emergency"
# pkcs11_algorithm = "RS256"   # only for a token without RSA-PSS; PS256 is the default
# lifetime_days = 365

[users]
# Classic cloud-only emergency access accounts on the initial *.onmicrosoft.com domain.
# Microsoft asks for at least two; 0 relies on the app alone.
count = 2
# Each name is this prefix plus a random part, so it cannot be guessed.
prefix = "breakglass"
# Create a Temporary Access Pass so each owner can register a passkey.
temporary_access_pass = false
role = "Global Administrator"

[group]
# The group every Conditional Access policy must exclude. It is role-assignable, so
# only Privileged Role Administrators and Global Administrators can change members.
name = "Emergency access accounts"
mail_nickname = "breakglass-emergency-access"

[stores]
# The KeePass database; its password comes from BREAKGLASS_KEEPASS_PASSWORD, a file
# (--keepass-password-file) or a prompt.
keepass = "breakglass.kdbx"
# Recovery and custodian sheets (PDF) are written here. Print them, then move the
# files somewhere safe or delete them.
sheets = "recovery-sheets"

[drift]
# What apply repairs when someone changed the tenant behind breakglass's back.
remove_owners = true
remove_unknown_credentials = true
restore_roles = true

[conditional_access]
# Microsoft asks that emergency access accounts be excluded from every Conditional Access
# policy. With true, apply adds the group above to excludeGroups of every policy that
# targets users, and the emergency app to excludeServicePrincipals of every policy for
# workload identities, enabled, report-only or disabled alike. It needs
# Policy.ReadWrite.ConditionalAccess (or the Conditional Access Administrator role).
# With false, plan only notes the policies that do not exclude the group.
exclude_from_policies = false
# Object ids of policies to leave alone, e.g. one that requires phishing-resistant
# authentication of the emergency accounts on purpose.
# skip_policies = ["00000000-0000-0000-0000-000000000000"]
"#;
