//! The credential entries, in the group `breakglass`: listed, read back, added or replaced,
//! and removed.

use keepass::db::{EntryId, GroupId, Times, Value, fields};
use secrecy::ExposeSecret as _;
use uuid::Uuid;

use super::{
    F_AUTHORITY, F_CLIENT, F_CLOUD, F_EXPIRES, F_KEY, F_KIND, F_LABEL, F_PAYLOAD, F_STARTS,
    F_TENANT, F_THUMBPRINT, GROUP_NAME, KeePassEntry, KeePassError, KeePassStore, UpsertOutcome,
};
use crate::credential::{CredentialKind, StoredCredential};
use crate::payload::CredentialPayload;

impl KeePassStore {
    /// The breakglass entries, in database order.
    pub fn list(&self) -> Vec<KeePassEntry> {
        let Some(group) = self.group_id() else {
            return Vec::new();
        };
        let Some(group) = self.db.group(group) else {
            return Vec::new();
        };
        group
            .entries()
            .map(|e| {
                let get = |k: &str| e.get(k).unwrap_or_default().to_string();
                KeePassEntry {
                    title: get(fields::TITLE),
                    label: get(F_LABEL),
                    tenant_id: get(F_TENANT),
                    client_id: get(F_CLIENT),
                    key_id: e.get(F_KEY).and_then(|k| Uuid::parse_str(k).ok()),
                    kind: get(F_KIND),
                    expires: get(F_EXPIRES),
                    thumbprint: e.get(F_THUMBPRINT).map(str::to_string),
                }
            })
            .collect()
    }

    /// Reads back the credential with this key id.
    pub fn get(&self, key_id: Uuid) -> Result<Option<StoredCredential>, KeePassError> {
        let Some(id) = self.find(key_id, None) else {
            return Ok(None);
        };
        let Some(entry) = self.db.entry(id) else {
            return Ok(None);
        };
        let text = entry
            .get(F_PAYLOAD)
            .ok_or(KeePassError::EntryDamaged { key_id })?;
        let payload =
            CredentialPayload::parse(text).map_err(|_| KeePassError::EntryDamaged { key_id })?;
        Ok(Some(payload.credential().clone()))
    }

    /// Adds the credential, or replaces the entry with the same key id (or, failing that, the
    /// same client id and label). Other entries and groups are left as they are.
    pub fn upsert(&mut self, credential: &StoredCredential) -> Result<UpsertOutcome, KeePassError> {
        let payload = CredentialPayload::encode(credential)
            .map_err(|e| KeePassError::Credential(e.to_string()))?;
        let group = self.ensure_group();
        let existing = self.find(
            credential.key_id,
            Some((&credential.client_id.to_string(), &credential.label)),
        );
        let (id, outcome) = match existing {
            Some(id) => (id, UpsertOutcome::Replaced),
            None => {
                let mut group = self.db.group_mut(group).ok_or(KeePassError::Internal)?;
                (group.add_entry().id(), UpsertOutcome::Added)
            }
        };
        let mut entry = self.db.entry_mut(id).ok_or(KeePassError::Internal)?;
        let c = credential;
        // Start from a clean set of fields so nothing of a replaced credential survives.
        entry.fields.retain(|k, _| !is_owned_field(k));
        let names: Vec<String> = entry
            .as_ref()
            .attachments_named()
            .map(|(n, _)| n.to_string())
            .collect();
        for name in names.iter().filter(|n| n.ends_with(".pem")) {
            entry.remove_attachment_by_name(name);
        }
        entry.set_unprotected(fields::TITLE, c.title());
        entry.set_unprotected(fields::USERNAME, c.client_id.to_string());
        entry.set_unprotected(
            fields::URL,
            format!("{}/{}", c.authority_host.trim_end_matches('/'), c.tenant_id),
        );
        entry.set_unprotected(fields::NOTES, usage_notes(c));
        entry.set_unprotected(F_TENANT, c.tenant_id.clone());
        entry.set_unprotected(F_CLIENT, c.client_id.to_string());
        entry.set_unprotected(F_KEY, c.key_id.to_string());
        entry.set_unprotected(F_LABEL, c.label.clone());
        entry.set_unprotected(F_KIND, c.kind.name());
        entry.set_unprotected(F_STARTS, c.start.to_string());
        entry.set_unprotected(F_EXPIRES, c.end.to_string());
        entry.set_unprotected(F_CLOUD, c.cloud.clone());
        entry.set_unprotected(F_AUTHORITY, c.authority_host.clone());
        entry.set_protected(F_PAYLOAD, payload.text().expose_secret());
        match &c.kind {
            CredentialKind::Secret { value, .. } => {
                entry.set_protected(fields::PASSWORD, value.expose_secret());
            }
            CredentialKind::Certificate(cert) => {
                entry.set_protected(fields::PASSWORD, "");
                entry.set_unprotected(F_THUMBPRINT, cert.thumbprint_sha1_hex());
                let pem = cert.combined_pem();
                entry.add_attachment(
                    format!("{}.pem", c.label),
                    Value::protected(pem.expose_secret().as_bytes().to_vec()),
                );
            }
        }
        let now = Times::now();
        entry.times.last_modification = Some(now);
        entry.times.expiry = naive(c.end);
        entry.times.expires = Some(true);
        entry.tags.retain(|t| t != "breakglass");
        entry.tags.push("breakglass".to_string());
        self.db.remove_unused_attachments();
        Ok(outcome)
    }

    /// Removes the entry with this key id. Returns whether one was found.
    pub fn remove(&mut self, key_id: Uuid) -> bool {
        let Some(id) = self.find(key_id, None) else {
            return false;
        };
        let Some(entry) = self.db.entry_mut(id) else {
            return false;
        };
        entry.remove();
        self.db
            .deleted_objects
            .insert(id.uuid(), Some(Times::now()));
        self.db.remove_unused_attachments();
        true
    }

    pub(super) fn group_id(&self) -> Option<GroupId> {
        self.db.root().group_by_name(GROUP_NAME).map(|g| g.id())
    }

    fn ensure_group(&mut self) -> GroupId {
        if let Some(id) = self.group_id() {
            return id;
        }
        let mut root = self.db.root_mut();
        let mut group = root.add_group();
        group.name = GROUP_NAME.to_string();
        group.notes = Some(
            "Emergency (break-glass) credentials of Microsoft Entra ID, managed by breakglass."
                .into(),
        );
        group.id()
    }

    fn find(&self, key_id: Uuid, client_and_label: Option<(&str, &str)>) -> Option<EntryId> {
        let group = self.db.group(self.group_id()?)?;
        let key = key_id.to_string();
        let by_key = group
            .entries()
            .find(|e| e.get(F_KEY).is_some_and(|k| k.eq_ignore_ascii_case(&key)))
            .map(|e| e.id());
        by_key.or_else(|| {
            let (client, label) = client_and_label?;
            group
                .entries()
                .find(|e| {
                    e.get(F_CLIENT)
                        .is_some_and(|c| c.eq_ignore_ascii_case(client))
                        && e.get(F_LABEL) == Some(label)
                })
                .map(|e| e.id())
        })
    }
}

fn is_owned_field(name: &str) -> bool {
    matches!(
        name,
        F_TENANT
            | F_CLIENT
            | F_KEY
            | F_LABEL
            | F_KIND
            | F_STARTS
            | F_EXPIRES
            | F_CLOUD
            | F_AUTHORITY
            | F_THUMBPRINT
            | F_PAYLOAD
    )
}

fn naive(t: jiff::Timestamp) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp(t.as_second(), 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// The entry's notes: how to use the credential by hand.
fn usage_notes(c: &StoredCredential) -> String {
    let mut notes = String::new();
    notes.push_str("EMERGENCY ACCESS: this credential grants Global Administrator. Every use raises an alert.\n\n");
    match &c.kind {
        CredentialKind::Secret { .. } => notes.push_str(&format!(
            "Get a token: breakglass token --keepass <this file> --key-id {}\n\
             By hand: POST {}/{}/oauth2/v2.0/token with grant_type=client_credentials, client_id={}, \
             client_secret=<Password>, scope=https://graph.microsoft.com/.default\n",
            c.key_id,
            c.authority_host.trim_end_matches('/'),
            c.tenant_id,
            c.client_id
        )),
        CredentialKind::Certificate(_) => notes.push_str(&format!(
            "Get a token: breakglass token --keepass <this file> --key-id {}\n\
             By hand: save the attachment {}.pem, then e.g. az login --service-principal -u {} --certificate {}.pem --tenant {} --allow-no-subscriptions\n",
            c.key_id, c.label, c.client_id, c.label, c.tenant_id
        )),
    }
    if !c.note.trim().is_empty() {
        notes.push('\n');
        notes.push_str(c.note.trim());
        notes.push('\n');
    }
    notes
}
