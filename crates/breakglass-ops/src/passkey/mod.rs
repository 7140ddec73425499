//! Passkeys for the emergency users, provisioned by the operator through Microsoft's flow
//! (Graph v1.0): read the Passkey (FIDO2) method policy and refuse with what to change, read
//! `fido2Methods/creationOptions`, have the authenticator make the credential, register it
//! with `POST fido2Methods`. And the list and removal of a user's passkeys.

pub mod authenticator;
pub mod software;
#[cfg(feature = "usb-security-key")]
pub mod usb;

use std::path::PathBuf;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use breakglass_core::passkey::{self as rules, AuthenticatorFacts};
use breakglass_entra::graph::fido2::{
    AttestationResponse, CreationOptions, Fido2Method, NewFido2Method, PublicKeyCredential,
};
use breakglass_entra::{GraphClient, Query};
use breakglass_store::{Overwrite, write_secret_file};
use serde::Serialize;

use self::authenticator::{
    Authenticator, AuthenticatorError, MakeCredential, RelyingParty, UserAccount,
};
use crate::Progress;
use crate::error::{Error, ErrorKind, config_error, usage_error};
use crate::session::Session;

/// The origin the client data states: Entra's relying party is `login.microsoft.com`.
pub const ORIGIN: &str = "https://login.microsoft.com";

/// One passkey of a user, as `passkey list` and `passkey enroll` report it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyRecord {
    pub id: String,
    /// The label (`displayName`).
    pub label: Option<String>,
    pub aaguid: Option<String>,
    pub model: Option<String>,
    pub created: Option<String>,
    pub attestation_level: Option<String>,
}

impl From<Fido2Method> for PasskeyRecord {
    fn from(method: Fido2Method) -> Self {
        PasskeyRecord {
            id: method.id,
            label: method.display_name,
            aaguid: method.aa_guid,
            model: method.model,
            created: method.created_date_time,
            attestation_level: method.attestation_level,
        }
    }
}

/// What `passkey list` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyList {
    pub user_principal_name: String,
    pub user_id: String,
    pub passkeys: Vec<PasskeyRecord>,
}

/// What `passkey enroll` reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrolled {
    pub user_principal_name: String,
    pub user_id: String,
    /// `software` or `usb`.
    pub authenticator: String,
    /// `packed` or `none`.
    pub attestation_format: String,
    pub passkey: PasskeyRecord,
}

/// What `passkey enroll` is asked to do.
pub struct EnrollRequest<'a> {
    pub user: &'a str,
    pub label: &'a str,
    /// Where to write the creation options and the registration sent (no secrets in them).
    pub registration_out: Option<PathBuf>,
}

struct TargetUser {
    id: String,
    user_principal_name: String,
}

async fn target_user(graph: &GraphClient, user: &str) -> Result<TargetUser, Error> {
    let query = Query::new().select(["id", "userPrincipalName", "displayName"]);
    let found = graph.user(user, &query).await.map_err(|err| {
        if err.status() == Some(404) {
            usage_error(format!("no user {user} in the tenant")).hinted(
                "name the emergency user by its user principal name, as `breakglass plan` lists it",
            )
        } else {
            Error::from(err)
        }
    })?;
    Ok(TargetUser {
        user_principal_name: found
            .user_principal_name
            .unwrap_or_else(|| user.to_string()),
        id: found.id,
    })
}

/// Refuses, before the key is touched, when the Passkey (FIDO2) policy would refuse.
async fn check_policy(
    graph: &GraphClient,
    user: &TargetUser,
    facts: &AuthenticatorFacts,
) -> Result<rules::PasskeyPolicy, Error> {
    let policy = graph.passkey_policy().await?.to_policy();
    let needs_groups = policy
        .include
        .iter()
        .any(|t| !t.eq_ignore_ascii_case(breakglass_core::pass_policy::ALL_USERS))
        || !policy.exclude.is_empty();
    let groups = if needs_groups {
        graph.transitive_group_ids(&user.id).await?
    } else {
        Vec::new()
    };
    let unmet = rules::unmet_prerequisites(&policy, &groups, facts);
    if let Some(first) = unmet.first() {
        let mut error = config_error(format!(
            "cannot enrol a passkey for {}: {}; nothing was registered",
            user.user_principal_name, first.why
        ));
        for unmet in &unmet {
            error = error.hinted(&unmet.hint);
        }
        for later in unmet.iter().skip(1) {
            error = error.hinted(format!("also: {}", later.why));
        }
        return Err(error);
    }
    Ok(policy)
}

/// The error a person sees for what an authenticator answered, with what to do.
pub fn device_error(err: AuthenticatorError) -> Error {
    let (kind, hint) = match &err {
        AuthenticatorError::Excluded => (
            ErrorKind::Usage,
            "the key already has a passkey for this user: `breakglass passkey list --user …` shows it",
        ),
        AuthenticatorError::UnsupportedAlgorithm => (
            ErrorKind::Usage,
            "the tenant's creation options offer no algorithm the key makes; use a security key that supports ES256",
        ),
        AuthenticatorError::KeyFile { .. } => (
            ErrorKind::Usage,
            "use a software key file this breakglass wrote, mode 0600, or a new path",
        ),
        AuthenticatorError::NoDevice(_) => (
            ErrorKind::Config,
            "plug in the one security key to enrol (and only that one), then run the command again",
        ),
        AuthenticatorError::PinNotSet => (
            ErrorKind::Config,
            "set the key's PIN with the vendor's tool (or `ykman fido access change-pin`) first; keep the PIN apart from the key",
        ),
        AuthenticatorError::PinRefused { .. } => (
            ErrorKind::Config,
            "check the PIN in the envelope kept apart from the key; every wrong try counts towards locking it",
        ),
        AuthenticatorError::PinBlocked(_) => (
            ErrorKind::Config,
            "a locked PIN can only be cleared by resetting the key, which erases its passkeys: enrol another key instead",
        ),
        AuthenticatorError::NotTouched => (
            ErrorKind::Config,
            "touch the key when it blinks, within about 30 seconds; nothing was registered",
        ),
        AuthenticatorError::Device(_) => (
            ErrorKind::Config,
            "unplug the key, plug it in again and run the command again; `--verbose` shows more",
        ),
    };
    Error::new(kind, err.to_string()).hinted(hint)
}

fn decode(field: &str, text: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| {
            Error::new(
                ErrorKind::Service,
                format!("the creation options' {field} is not base64url"),
            )
        })
}

/// The client data JSON for `options` (`webauthn.create`, Entra's origin).
fn client_data(options: &CreationOptions) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": "webauthn.create",
        "challenge": options.public_key.challenge,
        "origin": ORIGIN,
        "crossOrigin": false,
    }))
    .unwrap_or_default()
}

fn make_request(
    options: &CreationOptions,
    client_data_json: &[u8],
) -> Result<MakeCredential, Error> {
    let key = &options.public_key;
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest(&SHA256, client_data_json).as_ref());
    Ok(MakeCredential {
        client_data_json: client_data_json.to_vec(),
        client_data_hash: hash,
        rp: RelyingParty {
            id: key.rp.id.clone(),
            name: key.rp.name.clone().unwrap_or_default(),
        },
        user: UserAccount {
            id: decode("user.id", &key.user.id)?,
            name: key.user.name.clone().unwrap_or_default(),
            display_name: key.user.display_name.clone().unwrap_or_default(),
        },
        pub_key_cred_params: key
            .pub_key_cred_params
            .iter()
            .filter(|p| p.kind == "public-key")
            .map(|p| p.alg)
            .collect(),
        exclude_list: key
            .exclude_credentials
            .iter()
            .map(|c| decode("excludeCredentials.id", &c.id))
            .collect::<Result<_, _>>()?,
        user_verification: key
            .authenticator_selection
            .as_ref()
            .and_then(|s| s.user_verification.as_deref())
            .is_some_and(|uv| uv == "required"),
        // Entra signs passkeys in as discoverable credentials; absent means required.
        resident_key: key
            .authenticator_selection
            .as_ref()
            .and_then(|s| s.require_resident_key)
            .unwrap_or(true),
    })
}

/// Enrols a passkey for `request.user` with `key`.
pub async fn enroll(
    progress: &dyn Progress,
    session: &Session,
    key: &mut dyn Authenticator,
    request: &EnrollRequest<'_>,
) -> Result<Enrolled, Error> {
    let graph = &session.graph;
    let user = target_user(graph, request.user).await?;
    let facts = AuthenticatorFacts {
        aaguid: key.known_aaguid().map(|a| a.to_string()),
        attestation_verifiable: key.attestation_verifiable(),
    };
    let policy = {
        let _busy = progress.busy("reading the Passkey (FIDO2) method policy…");
        check_policy(graph, &user, &facts).await?
    };
    let options = graph.passkey_creation_options(&user.id).await?;
    let client_data_json = client_data(&options);
    let make = make_request(&options, &client_data_json)?;
    let made = {
        let _busy = progress.busy(if key.kind() == "usb" {
            "touch the security key when it blinks…"
        } else {
            "the authenticator is making the credential…"
        });
        key.make_credential(&make).map_err(device_error)?
    };
    let aaguid = made.aaguid.to_string();
    if rules::aaguid_refused(&policy, &aaguid) {
        return Err(config_error(format!(
            "the key's AAGUID {aaguid} is refused by the Passkey (FIDO2) key restrictions; nothing was registered"
        ))
        .hinted("allow this key model in the policy's key restrictions, or use a model it allows"));
    }
    let body = NewFido2Method {
        display_name: request.label.to_string(),
        public_key_credential: PublicKeyCredential {
            id: URL_SAFE_NO_PAD.encode(&made.credential_id),
            response: AttestationResponse {
                client_data_json: URL_SAFE_NO_PAD.encode(&client_data_json),
                attestation_object: URL_SAFE_NO_PAD.encode(&made.attestation_object),
            },
            client_extension_results: serde_json::Map::new(),
        },
    };
    if let Some(path) = &request.registration_out {
        let record = serde_json::json!({"creationOptions": options, "registration": body});
        let bytes = serde_json::to_vec_pretty(&record).unwrap_or_default();
        write_secret_file(path, &bytes, Overwrite::Replace)
            .map_err(|e| config_error(e.to_string()).hinted(e.hint()))?;
    }
    let method = graph.register_passkey(&user.id, &body).await?;
    Ok(Enrolled {
        user_principal_name: user.user_principal_name,
        user_id: user.id,
        authenticator: key.kind().to_string(),
        attestation_format: made.format,
        passkey: PasskeyRecord::from(method),
    })
}

/// The passkeys of `user`.
pub async fn list(session: &Session, user: &str) -> Result<PasskeyList, Error> {
    let target = target_user(&session.graph, user).await?;
    let passkeys = session.graph.passkeys(&target.id).await?;
    Ok(PasskeyList {
        user_principal_name: target.user_principal_name,
        user_id: target.id,
        passkeys: passkeys.into_iter().map(PasskeyRecord::from).collect(),
    })
}

/// Removes the passkey `id` of `user`; the removed passkey as it was.
pub async fn remove(session: &Session, user: &str, id: &str) -> Result<PasskeyRecord, Error> {
    let list = list(session, user).await?;
    let Some(found) = list.passkeys.into_iter().find(|p| p.id == id) else {
        return Err(usage_error(format!(
            "{} has no passkey with id {id}",
            list.user_principal_name
        ))
        .hinted("`breakglass passkey list --user …` shows the ids"));
    };
    session.graph.remove_passkey(&list.user_id, id).await?;
    Ok(found)
}
