//! The emergency user accounts' passwords and Temporary Access Passes, in the group
//! `breakglass accounts`.

use keepass::db::{EntryId, GroupId, fields};
use secrecy::{ExposeSecret as _, SecretString};

use super::{
    ACCOUNTS_GROUP, AccountState, F_ACCOUNT_STATE, F_TEMPORARY_ACCESS_PASS, F_TENANT, F_USER_ID,
    KeePassError, KeePassStore, StoredAccount,
};

impl KeePassStore {
    /// Keeps an emergency user's password, in the group `breakglass accounts`. A later call
    /// for the same user (by object id, else by user name) replaces it.
    ///
    /// The entry is written as *pending* ([`AccountState::Pending`]): the password is in the
    /// store before the tenant has it, so a crash between the two never leaves a user whose
    /// password no store holds. [`confirm_account`](Self::confirm_account) marks it in force
    /// once Entra has taken it. A new user has no object id yet; its entry is found by user
    /// name until it is confirmed.
    pub fn stage_account(
        &mut self,
        user_id: Option<&str>,
        user_principal_name: &str,
        tenant_id: &str,
        password: &SecretString,
    ) -> Result<(), KeePassError> {
        let existing = match user_id {
            Some(id) => self.find_account(id),
            None => None,
        }
        .or_else(|| self.find_unconfirmed_by_name(user_principal_name));
        let id = match existing {
            Some(id) => id,
            None => {
                let group = self.ensure_accounts_group();
                let mut group = self.db.group_mut(group).ok_or(KeePassError::Internal)?;
                group.add_entry().id()
            }
        };
        let mut entry = self.db.entry_mut(id).ok_or(KeePassError::Internal)?;
        entry.set_unprotected(
            fields::TITLE,
            format!("Emergency access account {user_principal_name}"),
        );
        entry.set_unprotected(fields::USERNAME, user_principal_name);
        entry.set_protected(fields::PASSWORD, password.expose_secret());
        entry.set_unprotected(F_USER_ID, user_id.unwrap_or_default());
        entry.set_unprotected(F_TENANT, tenant_id);
        entry.set_unprotected(F_ACCOUNT_STATE, AccountState::Pending.as_str());
        entry.set_unprotected(
            fields::NOTES,
            "EMERGENCY ACCESS ACCOUNT: holds Global Administrator. Every sign-in raises an alert.\nSign in at https://portal.azure.com with this user name and password; register a passkey with the Temporary Access Pass if one is stored here.",
        );
        Ok(())
    }

    /// Marks a staged password as the one the tenant holds, and records the user's object id.
    /// `false` when no entry has this object id or (unconfirmed) user name.
    pub fn confirm_account(&mut self, user_principal_name: &str, user_id: &str) -> bool {
        let Some(id) = self
            .find_account(user_id)
            .or_else(|| self.find_unconfirmed_by_name(user_principal_name))
        else {
            return false;
        };
        let Some(mut entry) = self.db.entry_mut(id) else {
            return false;
        };
        entry.set_unprotected(F_USER_ID, user_id);
        entry.set_unprotected(F_ACCOUNT_STATE, AccountState::InForce.as_str());
        true
    }

    /// Stores a Temporary Access Pass on a confirmed account entry.
    pub fn set_account_temporary_access_pass(
        &mut self,
        user_id: &str,
        pass: &SecretString,
    ) -> Result<(), KeePassError> {
        let id = self.find_account(user_id).ok_or(KeePassError::Internal)?;
        let mut entry = self.db.entry_mut(id).ok_or(KeePassError::Internal)?;
        entry.set_protected(F_TEMPORARY_ACCESS_PASS, pass.expose_secret());
        Ok(())
    }

    /// The emergency user accounts this database holds a password for.
    pub fn accounts(&self) -> Vec<StoredAccount> {
        let Some(group) = self.accounts_group_id().and_then(|g| self.db.group(g)) else {
            return Vec::new();
        };
        group
            .entries()
            .map(|e| StoredAccount {
                user_id: e
                    .get(F_USER_ID)
                    .filter(|id| !id.is_empty())
                    .map(str::to_string),
                user_principal_name: e.get(fields::USERNAME).unwrap_or_default().to_string(),
                // Entries written before accounts were staged were always in force.
                state: match e.get(F_ACCOUNT_STATE) {
                    Some(state) if state == AccountState::Pending.as_str() => AccountState::Pending,
                    _ => AccountState::InForce,
                },
                has_temporary_access_pass: e
                    .get(F_TEMPORARY_ACCESS_PASS)
                    .is_some_and(|p| !p.is_empty()),
            })
            .collect()
    }

    /// An emergency user's password and Temporary Access Pass, by object id, for the person
    /// who signs in with them.
    pub fn account_secrets(&self, user_id: &str) -> Option<(SecretString, Option<SecretString>)> {
        let entry = self.db.entry(self.find_account(user_id)?)?;
        let password = SecretString::from(entry.get(fields::PASSWORD)?.to_string());
        let pass = entry
            .get(F_TEMPORARY_ACCESS_PASS)
            .filter(|p| !p.is_empty())
            .map(|p| SecretString::from(p.to_string()));
        Some((password, pass))
    }

    /// Passwords staged for users that were never confirmed as created: (user name, password).
    pub fn unclaimed_accounts(&self) -> Vec<(String, SecretString)> {
        let Some(group) = self.accounts_group_id().and_then(|g| self.db.group(g)) else {
            return Vec::new();
        };
        group
            .entries()
            .filter(|e| e.get(F_USER_ID).is_none_or(str::is_empty))
            .filter_map(|e| {
                Some((
                    e.get(fields::USERNAME)?.to_string(),
                    SecretString::from(e.get(fields::PASSWORD)?.to_string()),
                ))
            })
            .collect()
    }

    /// The tenant ids the entries were made for (entries of older versions name none).
    pub fn tenant_ids(&self) -> std::collections::BTreeSet<String> {
        [self.group_id(), self.accounts_group_id()]
            .into_iter()
            .flatten()
            .filter_map(|g| self.db.group(g))
            .flat_map(|g| {
                g.entries()
                    .filter_map(|e| e.get(F_TENANT).map(str::to_ascii_lowercase))
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Forgets a password staged for a user that was never created; `true` when there was one.
    pub fn remove_unclaimed_account(&mut self, user_principal_name: &str) -> bool {
        match self.find_unconfirmed_by_name(user_principal_name) {
            Some(id) => self.db.entry_mut(id).map(|e| e.remove()).is_some(),
            None => false,
        }
    }

    /// Forgets an emergency user's entry; `true` when there was one.
    pub fn remove_account(&mut self, user_id: &str) -> bool {
        match self.find_account(user_id) {
            Some(id) => self.db.entry_mut(id).map(|e| e.remove()).is_some(),
            None => false,
        }
    }

    fn accounts_group_id(&self) -> Option<GroupId> {
        self.db.root().group_by_name(ACCOUNTS_GROUP).map(|g| g.id())
    }

    fn ensure_accounts_group(&mut self) -> GroupId {
        if let Some(id) = self.accounts_group_id() {
            return id;
        }
        let mut root = self.db.root_mut();
        let mut group = root.add_group();
        group.name = ACCOUNTS_GROUP.to_string();
        group.notes = Some(
            "Emergency access user accounts of Microsoft Entra ID, managed by breakglass.".into(),
        );
        group.id()
    }

    fn find_account(&self, user_id: &str) -> Option<EntryId> {
        let group = self.db.group(self.accounts_group_id()?)?;
        group
            .entries()
            .find(|e| {
                e.get(F_USER_ID)
                    .is_some_and(|u| u.eq_ignore_ascii_case(user_id))
            })
            .map(|e| e.id())
    }

    /// An entry staged for a user not yet created: no object id, this user name.
    fn find_unconfirmed_by_name(&self, user_principal_name: &str) -> Option<EntryId> {
        let group = self.db.group(self.accounts_group_id()?)?;
        group
            .entries()
            .find(|e| {
                e.get(F_USER_ID).is_none_or(str::is_empty)
                    && e.get(fields::USERNAME)
                        .is_some_and(|u| u.eq_ignore_ascii_case(user_principal_name))
            })
            .map(|e| e.id())
    }
}
