//! The app's credentials: those breakglass did not make or no store holds go, each declared
//! label has a usable one, and age, expiry and kind are noticed.

use jiff::{SignedDuration, Timestamp};

use super::{Action, Notice, Observed, OwnedObject, RemovalReason, label_of, warn};
use crate::config::{Config, CredentialPolicy};
use crate::tenant::{Application, Credential};

pub(super) fn plan_credentials(
    config: &Config,
    observed: &Observed,
    app: Option<&Application>,
    now: Timestamp,
    actions: &mut Vec<Action>,
    notices: &mut Vec<Notice>,
) {
    let present: &[Credential] = app.map(|a| a.credentials.as_slice()).unwrap_or_default();
    let held = observed.held_key_ids.as_ref();
    for credential in present {
        let label = label_of(credential.display_name.as_deref());
        let declared = label.and_then(|l| config.credential(l));
        let reason = match (declared, held) {
            (None, _) => Some(RemovalReason::NotDeclared),
            (Some(_), Some(held)) if !held.contains(&credential.key_id) => {
                Some(RemovalReason::NotInAnyStore)
            }
            _ => None,
        };
        match reason {
            Some(RemovalReason::NotDeclared) if !config.drift.remove_unknown_credentials => warn(
                notices,
                format!(
                    "credential {} ({}) was not made by breakglass; anyone holding it can act as the emergency app",
                    credential.key_id,
                    credential.display_name.as_deref().unwrap_or("no name")
                ),
            ),
            Some(reason) => actions.push(Action::RemoveCredential {
                key_id: credential.key_id.clone(),
                display_name: credential.display_name.clone(),
                reason,
                on: OwnedObject::Application,
            }),
            None => {}
        }
    }
    for policy in &config.app.credentials {
        let usable: Vec<&Credential> = present
            .iter()
            .filter(|c| label_of(c.display_name.as_deref()) == Some(policy.label.as_str()))
            .filter(|c| held.is_none_or(|h| h.contains(&c.key_id)))
            .filter(|c| c.end.is_none_or(|end| end > now))
            .collect();
        if usable.is_empty() {
            actions.push(Action::AddCredential {
                label: policy.label.clone(),
                kind: policy.kind,
            });
            continue;
        }
        if let Some(newest) = usable.iter().filter_map(|c| c.start).max() {
            rotation_notice(policy, newest, now, notices);
        }
        for credential in &usable {
            if credential.kind != policy.kind {
                warn(
                    notices,
                    format!(
                        "credential `{}` is a {:?} but the declaration says {:?}; rotate it to change its kind",
                        policy.label, credential.kind, policy.kind
                    ),
                );
            }
            if let Some(end) = credential.end
                && end.duration_since(now) < SignedDuration::from_hours(24 * 14)
            {
                warn(
                    notices,
                    format!(
                        "credential `{}` ({}) expires on {}; rotate it now",
                        policy.label,
                        credential.key_id,
                        end.strftime("%Y-%m-%d")
                    ),
                );
            }
        }
    }
}

fn rotation_notice(
    policy: &CredentialPolicy,
    newest: Timestamp,
    now: Timestamp,
    notices: &mut Vec<Notice>,
) {
    if let Some(days) = policy.rotate_after_days {
        let age = now.duration_since(newest);
        if age >= SignedDuration::from_hours(24 * i64::from(days)) {
            warn(
                notices,
                format!(
                    "credential `{}` is {} days old and due for rotation: run `breakglass credential rotate {}`",
                    policy.label,
                    age.as_hours() / 24,
                    policy.label
                ),
            );
        }
    }
}
