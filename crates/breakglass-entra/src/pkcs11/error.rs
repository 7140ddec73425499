//! Why a PKCS#11 token could not be used, and what to do about it. A leaf: the token code and
//! the crate's error type both use it.

use std::path::PathBuf;

/// Why a token could not be used. Messages name the module, token and key labels, never a PIN.
#[derive(Debug, thiserror::Error)]
pub enum Pkcs11Error {
    #[error("cannot load the PKCS#11 module {module}: {reason}")]
    Module { module: PathBuf, reason: String },
    #[error("no token labelled `{token}` is present in {module}{}", present_tokens(.present))]
    NoToken {
        token: String,
        module: PathBuf,
        present: Vec<String>,
    },
    #[error("the PIN of token `{token}` was refused")]
    WrongPin { token: String },
    #[error(
        "token `{token}` is locked: its user PIN was entered wrongly too often (CKR_PIN_LOCKED)"
    )]
    Locked { token: String },
    #[error("token `{token}` holds no private key labelled `{key}`")]
    NoKey { token: String, key: String },
    #[error("token `{token}` holds the key `{key}` but no certificate for it")]
    NoCertificate { token: String, key: String },
    #[error("token `{token}`: {action} failed: {reason}")]
    Failed {
        token: String,
        action: &'static str,
        reason: String,
    },
}

impl Pkcs11Error {
    /// What to do about it, one line.
    pub fn hint(&self) -> String {
        match self {
            Pkcs11Error::Module { .. } => "check `pkcs11_module` in breakglass.toml: it must name the token vendor's PKCS#11 library (for SoftHSM2, /usr/lib/softhsm/libsofthsm2.so from the softhsm2 package)".to_string(),
            Pkcs11Error::NoToken { .. } => "insert the token, or check `pkcs11_token` against the label `softhsm2-util --show-slots` or `pkcs11-tool --list-tokens` prints".to_string(),
            Pkcs11Error::WrongPin { .. } => "breakglass tried this PIN once and does not retry; check BREAKGLASS_PKCS11_PIN, --pkcs11-pin-file or the tenants file's pkcs11_pin_file (a few more wrong PINs lock the token)".to_string(),
            Pkcs11Error::Locked { .. } => "breakglass does not try a locked token; its security officer must unblock or reset the user PIN (e.g. `softhsm2-util --init-pin` or the vendor's tool), then run the command again".to_string(),
            Pkcs11Error::NoKey { .. } | Pkcs11Error::NoCertificate { .. } => "run `breakglass apply` (or `breakglass credential add LABEL`) to make the key on this token, or check `pkcs11_key` and `pkcs11_token`".to_string(),
            Pkcs11Error::Failed { .. } => "the token refused the operation; run with -v for details, and check it supports RSA 3072 with SHA256-RSA-PKCS-PSS".to_string(),
        }
    }
}

fn present_tokens(present: &[String]) -> String {
    if present.is_empty() {
        " (it shows no token at all)".to_string()
    } else {
        format!(" (it shows {})", present.join(", "))
    }
}
