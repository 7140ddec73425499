//! The emergency access identities as monitoring sees them, gathered from the tenant, or
//! read from a JSON file written by `breakglass monitor identities --out FILE`.
//!
//! Used by `monitor identities`, `monitor rules`, and by `scan` and `watch`: call
//! [`gather`] with a signed-in session, or [`load`] for a file, and [`save`] to keep them.

use std::path::Path;

use breakglass_core::config::Config;
use breakglass_core::identities::{
    EmergencyIdentities, MonitoredCredential, MonitoredUser, Severity, severity_for_store,
};
use breakglass_core::lease::MARKER_PREFIX;
use breakglass_entra::GraphClient;
use breakglass_store::{Overwrite, write_secret_file};

use crate::error::{Error, config_error, internal_error};
use crate::provision::credentials::EmergencyApp;
use crate::session::Session;
use crate::tenant::{emergency_users, exclusion_group};

/// What was gathered, and what a person should know about it.
#[derive(Clone, Debug)]
pub struct Gathered {
    pub identities: EmergencyIdentities,
    /// Things monitoring treats as unknown, e.g. credentials breakglass did not make.
    pub notes: Vec<String>,
}

/// Gathers the emergency identities with a signed-in session; the tenant id comes from the
/// session's token.
#[allow(dead_code, reason = "the entry point for `scan` and `watch`")]
pub async fn gather(session: &Session, config: &Config) -> Result<EmergencyIdentities, Error> {
    Ok(gather_with_notes(session, config).await?.identities)
}

/// [`gather`], with notes about credentials monitoring will treat as unknown.
pub async fn gather_with_notes(session: &Session, config: &Config) -> Result<Gathered, Error> {
    let claims = session.token.claims()?;
    let tenant_id = claims.tid.clone().unwrap_or_default();
    if tenant_id.is_empty() {
        return Err(internal_error("the access token names no tenant (tid)"));
    }
    gather_from(&session.graph, config, &tenant_id).await
}

/// Gathers the emergency identities of `tenant_id` through `graph`.
///
/// The app is found by its tag (as `plan` finds it), its credentials' labels come from
/// their display names (`breakglass:<label>`) and their severity from the store
/// `breakglass.toml` declares for the label (offline stores are critical); users are found
/// by their `employeeType` and the group by its mail nickname.
pub async fn gather_from(
    graph: &GraphClient,
    config: &Config,
    tenant_id: &str,
) -> Result<Gathered, Error> {
    let app = EmergencyApp::find(graph).await?;
    let mut notes = Vec::new();
    let mut credentials = Vec::new();
    for credential in &app.credentials {
        let Some(label) = credential.label() else {
            notes.push(format!(
                "credential {} on the emergency app was not made by breakglass; its use is reported as an unknown credential (critical)",
                credential.key_id
            ));
            continue;
        };
        let severity = match config.credential(label) {
            Some(policy) => severity_for_store(policy.store),
            None => {
                notes.push(format!(
                    "credential {} is labelled `{label}`, which breakglass.toml no longer declares; its use is critical",
                    credential.key_id
                ));
                Severity::Critical
            }
        };
        credentials.push(MonitoredCredential {
            key_id: credential.key_id.clone(),
            label: label.to_string(),
            kind: match credential.kind {
                breakglass_core::config::CredentialKind::Secret => "secret".to_string(),
                breakglass_core::config::CredentialKind::Certificate => "certificate".to_string(),
            },
            thumbprint: credential.thumbprint.clone(),
            severity,
        });
    }
    for credential in &app.service_principal_credentials {
        notes.push(format!(
            "credential {} is on the service principal, where no credential should be; its use is reported as an unknown credential (critical); `breakglass apply` removes it",
            credential.key_id
        ));
    }
    credentials.sort_by(|a, b| a.label.cmp(&b.label).then(a.key_id.cmp(&b.key_id)));

    let mut users: Vec<MonitoredUser> = emergency_users(graph)
        .await?
        .into_iter()
        .map(|u| MonitoredUser {
            id: u.id,
            user_principal_name: u.user_principal_name.unwrap_or_default(),
        })
        .collect();
    users.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));

    let exclusion_group_id = exclusion_group(graph, &config.group.mail_nickname)
        .await?
        .map(|g| g.id)
        .unwrap_or_default();
    if exclusion_group_id.is_empty() {
        notes.push(format!(
            "no group has the mail nickname `{}`; run `breakglass apply` to create the exclusion group",
            config.group.mail_nickname
        ));
    }
    let service_principal_id = app.service_principal_id.clone().unwrap_or_default();
    if service_principal_id.is_empty() {
        notes.push(
            "the emergency app has no service principal yet; run `breakglass apply`".to_string(),
        );
    }
    Ok(Gathered {
        identities: EmergencyIdentities {
            tenant_id: tenant_id.to_string(),
            app_id: app.app_id.clone(),
            application_object_id: app.object_id.clone(),
            service_principal_id,
            credentials,
            users,
            exclusion_group_id,
            temporary_user_marker: MARKER_PREFIX.to_string(),
        },
        notes,
    })
}

/// Writes the identities as JSON, atomically, readable by the owner only.
pub fn save(path: &Path, identities: &EmergencyIdentities) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(identities)
        .map_err(|e| internal_error(format!("cannot encode the identities: {e}")))?;
    text.push('\n');
    write_secret_file(path, text.as_bytes(), Overwrite::Replace).map_err(|e| {
        let hint = e.hint();
        config_error(e.to_string()).hinted(hint)
    })
}

/// Reads identities written by [`save`], which must name their tenant.
pub fn load(path: &Path) -> Result<EmergencyIdentities, Error> {
    let identities = read(path)?;
    if identities.tenant_id.trim().is_empty() {
        return Err(
            config_error(format!("{} names no tenant (tenantId)", path.display()))
                .hinted("write it again with `breakglass monitor identities --out FILE`"),
        );
    }
    Ok(identities)
}

/// Reads an identities file as it is, naming no tenant allowed (a scan of exports needs
/// none); [`load`] requires one.
pub fn read(path: &Path) -> Result<EmergencyIdentities, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        config_error(format!("cannot read {}: {e}", path.display())).hinted(
            "write it with `breakglass monitor identities --out FILE`, signed in to the tenant",
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        config_error(format!(
            "{} is not an emergency identities file: {e}",
            path.display()
        ))
        .hinted("write it with `breakglass monitor identities --out FILE`")
    })
}
