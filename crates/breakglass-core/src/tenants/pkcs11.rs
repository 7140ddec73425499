//! `pkcs11_module`, `pkcs11_token`, `pkcs11_key`, `pkcs11_pin_file` and `pkcs11_algorithm` of a
//! `[[tenant]]`: the
//! operator's certificate with its key on a PKCS#11 token. Checked here so that a half-given
//! location is named before any token is touched.

use super::SignIn;
use crate::config::Pkcs11Location;

/// The four keys as written.
pub(super) struct Given {
    pub module: Option<String>,
    pub token: Option<String>,
    pub key: Option<String>,
    pub pin_file: Option<String>,
    pub algorithm: Option<crate::config::TokenSignature>,
}

impl Given {
    /// `None` when no `pkcs11_*` key is given; the sign-in when the three that locate the key
    /// are; else what is missing.
    pub fn sign_in(self) -> Result<Option<SignIn>, String> {
        let trimmed = |value: Option<String>| {
            value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (module, token, key) = (trimmed(self.module), trimmed(self.token), trimmed(self.key));
        let pin_file = trimmed(self.pin_file);
        if module.is_none() && token.is_none() && key.is_none() {
            if self.algorithm.is_some() {
                return Err(
                    "pkcs11_algorithm is given without the key it signs with; add pkcs11_module, pkcs11_token and pkcs11_key, or remove it".to_string(),
                );
            }
            return match pin_file {
                Some(_) => Err(
                    "pkcs11_pin_file is given without the key it unlocks; add pkcs11_module, pkcs11_token and pkcs11_key, or remove it".to_string(),
                ),
                None => Ok(None),
            };
        }
        let missing: Vec<&str> = [
            ("pkcs11_module", module.is_none()),
            ("pkcs11_token", token.is_none()),
            ("pkcs11_key", key.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        match (module, token, key) {
            (Some(module), Some(token), Some(key)) => Ok(Some(SignIn::Pkcs11 {
                location: Pkcs11Location { module, token, key },
                pin_file,
                algorithm: self.algorithm.unwrap_or_default(),
            })),
            _ => Err(format!(
                "a key on a PKCS#11 token needs pkcs11_module (the vendor's library), pkcs11_token (the token's label) and pkcs11_key (the key's label); {} missing",
                missing.join(" and ") + if missing.len() == 1 { " is" } else { " are" }
            )),
        }
    }
}
