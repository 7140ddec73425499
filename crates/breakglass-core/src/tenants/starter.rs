//! The commented tenants file `breakglass init --tenants` writes.

/// The commented starting tenants file.
pub const STARTER: &str = r#"# tenants.toml: every tenant whose emergency access breakglass looks after, for
#   breakglass --tenants tenants.toml audit | drill | plan | monitor identities | credential list
# One [[tenant]] table per tenant. `--only NAME,NAME` picks some of them.
# No secret goes in this file: each tenant names where its operator secret is.

[[tenant]]
# A short name, unique here, shown in the summary and in notifications.
name = "contoso"
# The directory (tenant) id, or its initial domain.
tenant_id = "00000000-0000-0000-0000-000000000000"
# public (default: [tenant] cloud of its breakglass.toml, else public), usgov, china,
# or the path to a cloud profile JSON file.
# cloud = "public"
# The tenant's breakglass.toml; a relative path is relative to this file.
config = "contoso/breakglass.toml"
# The operator app registration (client) id in that tenant.
client_id = "11111111-1111-1111-1111-111111111111"
# How the operator signs in; exactly one of:
#   client_secret_env  = "NAME"   the environment variable holding the client secret
#   client_secret_file = "PATH"   a 0600 file whose first line is the client secret
#   certificate_path   = "PATH"   a PEM file with the certificate and its private key
#   pkcs11_module, pkcs11_token, pkcs11_key
#                                 a key and its certificate on a PKCS#11 token, which signs;
#                                 the PIN from pkcs11_pin_file (0600) or BREAKGLASS_PKCS11_PIN
#   auth = "device-code"          a person signs in in a browser (client_id optional)
client_secret_env = "CONTOSO_OPERATOR_SECRET"
# Optional: a 0600 file whose first line is this tenant's KeePass master password, for the
# drill and the audit's key-id comparison. Without it, BREAKGLASS_KEEPASS_PASSWORD; a run
# across tenants never prompts.
# keepass_password_file = "contoso/keepass-password"

# [[tenant]]
# name = "fabrikam"
# tenant_id = "fabrikam.onmicrosoft.com"
# config = "fabrikam/breakglass.toml"
# client_id = "22222222-2222-2222-2222-222222222222"
# certificate_path = "fabrikam/operator.pem"

# [[tenant]]
# name = "northwind"
# tenant_id = "northwind.onmicrosoft.com"
# config = "northwind/breakglass.toml"
# client_id = "33333333-3333-3333-3333-333333333333"
# pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so"   # the token vendor's PKCS#11 library
# pkcs11_token = "operators"                           # the token's label
# pkcs11_key = "northwind-operator"                    # the key's and certificate's label
# pkcs11_pin_file = "northwind/operator-pin"           # optional; else BREAKGLASS_PKCS11_PIN
# pkcs11_algorithm = "RS256"                           # optional; only for a token without RSA-PSS
"#;
