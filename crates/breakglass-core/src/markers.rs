//! How breakglass marks what it makes in a tenant, so that it finds its own objects again
//! (and monitoring and audits recognise them) without keeping any state of its own.

/// The tag that marks the emergency access app (and, copied by Entra, its service principal).
pub const APP_TAG: &str = "breakglass:emergency-access";
/// The `employeeType` that marks an emergency access user.
pub const USER_MARKER: &str = "breakglass:emergency-access";
/// Credential display names are this prefix plus the label.
pub const CREDENTIAL_PREFIX: &str = "breakglass:";
/// The note written on the app.
pub const APP_NOTES: &str = "Emergency access app managed by breakglass. Every sign-in and every change raises an alert. Change it only through breakglass.toml.";

/// The display name of the app management policy breakglass gives the emergency app when
/// `[app] exempt_from_app_management_policy` is on; breakglass finds it again by this name.
pub const APP_POLICY_NAME: &str = "breakglass: emergency access credentials";
