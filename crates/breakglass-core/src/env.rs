//! The environment variable names breakglass reads, in one place.
//!
//! The `AZURE_*` names are the Azure SDK's, so an environment prepared for
//! azure-identity or the Azure CLI works unchanged.

/// Directory (tenant) id or domain.
pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
/// Application (client) id.
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// Client secret value (never the secret's key id).
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// Path to a PEM file holding the private key and the certificate.
pub const AZURE_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
/// Authority host, e.g. `https://login.microsoftonline.us`.
pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
/// Cloud profile: `public`, `usgov`, `china` or a path to a JSON profile.
pub const BREAKGLASS_CLOUD: &str = "BREAKGLASS_CLOUD";
/// The KeePass database password, for runs without a terminal to ask on.
pub const BREAKGLASS_KEEPASS_PASSWORD: &str = "BREAKGLASS_KEEPASS_PASSWORD";
/// The user PIN of the PKCS#11 token of `store = "pkcs11"` credentials.
pub const BREAKGLASS_PKCS11_PIN: &str = "BREAKGLASS_PKCS11_PIN";
/// The PIN of the FIDO2 security key `passkey enroll --authenticator usb` enrols.
pub const BREAKGLASS_FIDO_PIN: &str = "BREAKGLASS_FIDO_PIN";
