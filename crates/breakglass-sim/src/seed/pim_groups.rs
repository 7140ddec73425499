//! Seeding of role-assignable groups' rules and of PIM for Groups eligibilities.

use serde_json::json;
use uuid::Uuid;

use super::{GroupDescription, Seeding};
use crate::SimError;
use crate::state::Kind;

impl Seeding<'_> {
    /// Entra refuses a group as a member of a role-assignable group, and a role for a group
    /// that is not role-assignable; a description asking for either could never be a tenant.
    pub(super) fn check_role_assignable(
        &self,
        group: &GroupDescription,
        member_ids: &[String],
    ) -> Result<(), SimError> {
        let name = &group.display_name;
        if !group.is_assignable_to_role {
            if !group.roles.is_empty() || !group.eligible_roles.is_empty() {
                return Err(self.fail(format!(
                    "group `{name}` holds directory roles but is not role-assignable: set \"isAssignableToRole\": true, as Entra assigns roles only to such groups"
                )));
            }
            return Ok(());
        }
        let nested = member_ids
            .iter()
            .filter_map(|id| self.tenant.object(id))
            .find(|o| o.kind == Kind::Group);
        match nested {
            Some(inner) => Err(self.fail(format!(
                "role-assignable group `{name}` lists group `{}` as a member: Entra does not nest groups in a role-assignable group; list its users instead",
                inner.display_name()
            ))),
            None => Ok(()),
        }
    }

    /// The group's PIM for Groups eligibilities, as `eligibilityScheduleInstances` lists them.
    pub(super) fn add_group_pim(
        &mut self,
        group: &GroupDescription,
        group_id: &str,
    ) -> Result<(), SimError> {
        let wanted = group
            .eligible_members
            .iter()
            .map(|u| (u, "member"))
            .chain(group.eligible_owners.iter().map(|u| (u, "owner")));
        for (upn, access) in wanted {
            let Some(principal_id) = self.user_ids.get(&upn.to_ascii_lowercase()).cloned() else {
                return Err(self.fail(format!(
                    "group `{}` makes `{upn}` eligible ({access}), which is not a user described before it",
                    group.display_name
                )));
            };
            let schedule = Uuid::new_v4().to_string();
            self.tenant.group_pim.eligibilities.push(json!({
                "id": format!("{group_id}_{access}_{schedule}"),
                "groupId": group_id,
                "principalId": principal_id,
                "accessId": access,
                "memberType": "direct",
                "startDateTime": self.created,
                "endDateTime": null,
                "eligibilityScheduleId": schedule,
            }));
        }
        Ok(())
    }
}
