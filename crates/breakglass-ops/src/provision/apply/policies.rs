//! Keeping the emergency identities excluded from Conditional Access: one policy at a time,
//! each read just before its change, and only its one exclusion list sent back.

use breakglass_core::plan::Action;
use breakglass_entra::EntraError;
use breakglass_entra::graph::models::ExclusionPatch;

use super::{Applier, Resolved, service_error};
use crate::error::{Error, ErrorKind};

/// How changing one Conditional Access policy failed.
pub(super) enum PolicyFailure {
    /// This policy refused the change; the others are still tried.
    Refused(Error),
    /// Nothing else will work either (no permission, throttled, unreachable): stop.
    Fatal(Error),
}

/// A 4xx other than "not signed in", "not allowed" or "slow down" concerns this policy
/// only, e.g. a Microsoft-managed policy or one needing a licence the tenant lacks.
fn policy_failure(error: EntraError) -> PolicyFailure {
    let refused = error
        .graph()
        .is_some_and(|g| (400..500).contains(&g.status) && ![401, 403, 429].contains(&g.status));
    let denied = error.status() == Some(403);
    let error = Error::from(error);
    if refused {
        PolicyFailure::Refused(error)
    } else if denied {
        // The Graph hint names the permissions; say how to do without them.
        PolicyFailure::Fatal(error.hinted(
            "or set exclude_from_policies = false under [conditional_access] and have someone who may change Conditional Access exclude the group",
        ))
    } else {
        PolicyFailure::Fatal(error)
    }
}

/// The error when some policies refused their change, with every refusal's hints.
pub(super) fn refused_summary(first: &str, error: &Error, refused: &[(String, Error)]) -> Error {
    let mut summary = Error::new(
        ErrorKind::Service,
        format!(
            "{} Conditional Access change(s) were refused; the first: {first}: {error}",
            refused.len()
        ),
    );
    for (_, error) in refused {
        for hint in error.hints() {
            summary = summary.hinted(hint.clone());
        }
    }
    summary.hinted(
        "exclude the emergency access group (or app) from the refused policies by hand in the Microsoft Entra admin center, or list their ids in skip_policies under [conditional_access]",
    )
}

impl Applier<'_> {
    /// Adds the exclusion group (or the emergency service principal) to one policy's
    /// exclusions. The policy is read just before the PATCH, which carries the users (or
    /// workload identities) object as read with only that one list changed, so an exclusion
    /// someone else added meanwhile is kept, and so is everything else; a policy that already
    /// excludes it is left alone, so an interrupted apply converges.
    pub(super) async fn exclude_from_policy(
        &self,
        action: &Action,
        resolved: &Resolved,
    ) -> Result<Option<String>, PolicyFailure> {
        let (policy_id, for_group) = match action {
            Action::ExcludeGroupFromPolicy { policy_id, .. } => (policy_id, true),
            Action::ExcludeAppFromPolicy { policy_id, .. } => (policy_id, false),
            _ => return Ok(None),
        };
        let member = if for_group {
            resolved.group_id.clone().ok_or_else(|| {
                PolicyFailure::Fatal(service_error("the exclusion group is missing; plan again"))
            })?
        } else {
            self.service_principal_id(resolved)
                .map_err(PolicyFailure::Fatal)?
        };
        let policy = match self.graph.conditional_access_policy(policy_id).await {
            Ok(policy) => policy,
            Err(e) if e.status() == Some(404) => {
                return Ok(Some("the policy no longer exists".into()));
            }
            Err(e) => return Err(policy_failure(e)),
        };
        let conditions = policy.conditions.unwrap_or_default();
        let is_member = |ids: &[String]| ids.iter().any(|id| id.eq_ignore_ascii_case(&member));
        let patch = if for_group {
            let mut users = conditions.users.unwrap_or_default();
            if is_member(&users.exclude_groups) {
                return Ok(Some("already excluded".into()));
            }
            users.exclude_groups.push(member);
            ExclusionPatch::Users(users)
        } else {
            let mut workloads = conditions.client_applications.unwrap_or_default();
            if is_member(&workloads.exclude_service_principals) {
                return Ok(Some("already excluded".into()));
            }
            workloads.exclude_service_principals.push(member);
            ExclusionPatch::ClientApplications(workloads)
        };
        match self.graph.set_policy_exclusions(policy_id, &patch).await {
            Ok(()) => Ok(None),
            Err(e) if e.status() == Some(404) => Ok(Some("the policy no longer exists".into())),
            Err(e) => Err(policy_failure(e)),
        }
    }
}
