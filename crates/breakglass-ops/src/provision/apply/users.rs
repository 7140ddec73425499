//! The emergency users and the exclusion group. A user's password and pass are in KeePass
//! before the user holds any power; a new user's password before the user even exists.

use breakglass_core::pass_policy::{EMERGENCY_USER_PASS, describe_minutes};
use breakglass_core::plan::{Principal, USER_MARKER};
use breakglass_entra::graph::models::{
    NewGroup, NewTemporaryAccessPass, NewUser, PasswordProfile, UserPatch,
};
use breakglass_entra::{Query, retry_while_replicating};
use futures::TryStreamExt as _;
use secrecy::{ExposeSecret as _, SecretString};

use super::{Applier, Resolved, is_conflict, service_error, there_is_done};
use crate::error::Error;

/// What the exclusion group says about itself in the portal.
const GROUP_DESCRIPTION: &str = "Emergency access accounts managed by breakglass. Every Conditional Access policy must exclude this group.";

impl Applier<'_> {
    pub(super) async fn create_group(
        &self,
        display_name: &str,
        mail_nickname: &str,
        resolved: &mut Resolved,
    ) -> Result<Option<String>, Error> {
        let group = self
            .graph
            .create_group(&NewGroup {
                display_name: display_name.to_string(),
                mail_nickname: mail_nickname.to_string(),
                mail_enabled: false,
                security_enabled: true,
                is_assignable_to_role: Some(true),
                description: Some(GROUP_DESCRIPTION.into()),
            })
            .await?;
        resolved.group_id = Some(group.id.clone());
        Ok(Some(format!("object id {}", group.id)))
    }

    /// Creates an emergency user whose password is in KeePass before the user exists. A
    /// password staged by a run that died before its create request is used again, so a crash
    /// leaves nothing behind; a create that went through but whose answer was lost shows as
    /// a conflict on the user name and is adopted when the user carries the marker.
    pub(super) async fn create_user(
        &mut self,
        resolved: &Resolved,
    ) -> Result<(String, String), Error> {
        let domain = self.facts.initial_domain.clone();
        let prefix = format!("{}-", self.config.users.prefix);
        let mut reusable = self.unclaimed_names(resolved, &prefix, &domain)?;
        // A handful of tries: a clash with a user who is not ours means another random name.
        for _ in 0..3 {
            let (upn, password) = match reusable.pop() {
                Some(staged) => staged,
                None => {
                    let alias = format!("{prefix}{}", crate::random::name_suffix());
                    (format!("{alias}@{domain}"), crate::random::password())
                }
            };
            self.vault
                .stage_account_password(None, &upn, &self.facts.tenant_id, &password)?;
            let alias = upn.split('@').next().unwrap_or_default().to_string();
            let suffix = alias.strip_prefix(&prefix).unwrap_or(&alias).to_string();
            let new = NewUser {
                account_enabled: true,
                display_name: format!("Emergency access {suffix}"),
                mail_nickname: alias,
                user_principal_name: upn.clone(),
                password_profile: PasswordProfile {
                    password,
                    force_change_password_next_sign_in: false,
                },
                usage_location: None,
                employee_type: Some(USER_MARKER.into()),
                company_name: None,
            };
            let id = match self.graph.create_user(&new).await {
                Ok(user) => user.id,
                Err(e) if is_conflict(&e) => match self.emergency_user_named(&upn).await? {
                    Some(id) => id,
                    None => {
                        self.vault.forget_unclaimed_account(&upn)?;
                        continue;
                    }
                },
                Err(e) => return Err(e.into()),
            };
            self.vault.confirm_account_password(&upn, &id)?;
            return Ok((id, upn));
        }
        Err(service_error(
            "three random emergency user names in a row were already taken",
        )
        .hinted("run `breakglass apply` again; if it keeps happening, change `prefix` under [users]"))
    }

    /// Passwords a run staged for users it never created, on this tenant's domain and prefix,
    /// and not the name of a user that exists.
    fn unclaimed_names(
        &mut self,
        resolved: &Resolved,
        prefix: &str,
        domain: &str,
    ) -> Result<Vec<(String, SecretString)>, Error> {
        let taken = |upn: &str| {
            resolved
                .existing_user_names
                .iter()
                .chain(resolved.new_users.values().map(|(_, upn)| upn))
                .any(|taken| taken.eq_ignore_ascii_case(upn))
        };
        Ok(self
            .vault
            .unclaimed_account_passwords()?
            .into_iter()
            .filter(|(upn, _)| {
                upn.rsplit_once('@').is_some_and(|(alias, d)| {
                    alias.starts_with(prefix) && d.eq_ignore_ascii_case(domain)
                }) && !taken(upn)
            })
            .collect())
    }

    /// The object id of the user with this name, if it carries the emergency-user marker.
    async fn emergency_user_named(&self, upn: &str) -> Result<Option<String>, Error> {
        let query = Query::user_named(upn);
        let users: Vec<_> = self.graph.users(&query).try_collect().await?;
        Ok(users
            .into_iter()
            .find(|u| u.employee_type.as_deref() == Some(USER_MARKER))
            .map(|u| u.id))
    }

    pub(super) async fn reset_password(
        &mut self,
        id: &str,
        user_principal_name: &str,
    ) -> Result<Option<String>, Error> {
        let password = crate::random::password();
        // Stored (pending) before Entra has it: killed after this, the next plan sees a
        // pending password and resets again; never a password no store holds.
        self.vault.stage_account_password(
            Some(id),
            user_principal_name,
            &self.facts.tenant_id,
            &password,
        )?;
        let patch = UserPatch {
            password: Some(password),
            ..UserPatch::default()
        };
        let graph = self.graph;
        let result =
            retry_while_replicating(self.replication, || graph.update_user(id, &patch)).await;
        match result {
            Ok(()) => {}
            Err(e) if e.status() == Some(403) => {
                return Err(Error::from(e).hinted(format!(
                    "only a Privileged Authentication Administrator or a Global Administrator may reset the password of a user who holds an admin role, such as {user_principal_name}: run `breakglass apply` again signed in as one (`--auth device-code`)"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        self.vault
            .confirm_account_password(user_principal_name, id)?;
        Ok(Some("the new password is in KeePass".into()))
    }

    pub(super) async fn enable_user(&self, id: &str) -> Result<Option<String>, Error> {
        let patch = UserPatch {
            account_enabled: Some(true),
            ..UserPatch::default()
        };
        self.graph.update_user(id, &patch).await?;
        Ok(None)
    }

    pub(super) async fn add_member(
        &self,
        principal: &Principal,
        resolved: &Resolved,
    ) -> Result<Option<String>, Error> {
        let member = self.principal_id(principal, resolved)?;
        let group = resolved
            .group_id
            .clone()
            .ok_or_else(|| service_error("the exclusion group is missing; plan again"))?;
        let graph = self.graph;
        let result =
            retry_while_replicating(self.replication, || graph.add_group_member(&group, &member))
                .await;
        there_is_done(result, "already a member")
    }

    pub(super) async fn create_pass(
        &mut self,
        principal: &Principal,
        resolved: &Resolved,
    ) -> Result<Option<String>, Error> {
        let user = self.principal_id(principal, resolved)?;
        let terms = self
            .pass_terms
            .clone()
            .unwrap_or_else(|| EMERGENCY_USER_PASS.as_asked());
        let request = NewTemporaryAccessPass {
            start_date_time: None,
            lifetime_in_minutes: u32::try_from(terms.minutes).ok(),
            is_usable_once: Some(terms.usable_once),
        };
        let graph = self.graph;
        let pass = retry_while_replicating(self.replication, || {
            graph.create_temporary_access_pass(&user, &request)
        })
        .await?;
        let secret = pass
            .temporary_access_pass
            .filter(|p| !p.expose_secret().is_empty())
            .ok_or_else(|| {
                service_error("Graph created a Temporary Access Pass but did not return it")
                    .hinted("run `breakglass apply` again: a new pass replaces that one")
            })?;
        self.vault.store_temporary_access_pass(&user, &secret)?;
        Ok(Some(format!(
            "valid for {}, {}, to register a passkey",
            describe_minutes(terms.minutes),
            if terms.usable_once {
                "usable once"
            } else {
                "reusable"
            }
        )))
    }
}
