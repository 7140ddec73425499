//! One change of the tenant as the change log keeps it: the records of what the change
//! touched, each the new value of one object (or its removal), or the entries it appended.
//!
//! Replaying a record sets a value or appends entries from a position, so replaying a record
//! that a snapshot already holds changes nothing.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::{DirObject, SignInRecord, Tenant};

/// The keyed lists of Graph objects a record can name.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum List {
    Domains,
    RoleDefinitions,
    RoleAssignments,
    RoleEligibilities,
    ConditionalAccessPolicies,
    AppManagementPolicies,
}

// A record lives only while one change is encoded or replayed; boxing its object buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "record")]
pub(crate) enum Record<'a> {
    /// A directory object, `None` when purged.
    Object {
        id: String,
        #[serde(default, deserialize_with = "crate::object::logged")]
        object: Option<Cow<'a, DirObject>>,
    },
    Listed {
        list: List,
        id: String,
        item: Option<Cow<'a, Value>>,
    },
    /// A Resource Manager resource by lower-case id.
    Resource {
        id: String,
        resource: Option<Cow<'a, Value>>,
    },
    SignIns {
        at: usize,
        entries: Cow<'a, [SignInRecord]>,
    },
    DirectoryAudits {
        at: usize,
        entries: Cow<'a, [Value]>,
    },
    DefaultAppManagementPolicy {
        policy: Cow<'a, Value>,
    },
    AppManagementAppliesTo {
        pairs: Cow<'a, [(String, String)]>,
    },
}

impl Tenant {
    fn list(&self, list: List) -> &crate::tracked::TrackedList {
        match list {
            List::Domains => &self.domains,
            List::RoleDefinitions => &self.role_definitions,
            List::RoleAssignments => &self.role_assignments,
            List::RoleEligibilities => &self.role_eligibilities,
            List::ConditionalAccessPolicies => &self.conditional_access_policies,
            List::AppManagementPolicies => &self.app_management.policies,
        }
    }

    fn list_mut(&mut self, list: List) -> &mut crate::tracked::TrackedList {
        match list {
            List::Domains => &mut self.domains,
            List::RoleDefinitions => &mut self.role_definitions,
            List::RoleAssignments => &mut self.role_assignments,
            List::RoleEligibilities => &mut self.role_eligibilities,
            List::ConditionalAccessPolicies => &mut self.conditional_access_policies,
            List::AppManagementPolicies => &mut self.app_management.policies,
        }
    }

    /// What changed since the last call (or since the tenant was loaded), as records; from
    /// now on it counts as saved.
    pub fn take_changes(&self) -> Vec<Record<'_>> {
        let mut records: Vec<Record<'_>> = self
            .objects
            .take_changes()
            .into_iter()
            .map(|(id, object)| Record::Object {
                id,
                object: object.map(Cow::Borrowed),
            })
            .collect();
        for list in [
            List::Domains,
            List::RoleDefinitions,
            List::RoleAssignments,
            List::RoleEligibilities,
            List::ConditionalAccessPolicies,
            List::AppManagementPolicies,
        ] {
            records.extend(
                self.list(list)
                    .take_changes()
                    .into_iter()
                    .map(|(id, item)| Record::Listed {
                        list,
                        id,
                        item: item.map(Cow::Borrowed),
                    }),
            );
        }
        records.extend(
            self.arm
                .resources
                .take_changes()
                .into_iter()
                .map(|(id, resource)| Record::Resource {
                    id,
                    resource: resource.map(Cow::Borrowed),
                }),
        );
        let (at, entries) = self.sign_ins.take_changes();
        if !entries.is_empty() {
            records.push(Record::SignIns {
                at,
                entries: Cow::Borrowed(entries),
            });
        }
        let (at, entries) = self.directory_audits.take_changes();
        if !entries.is_empty() {
            records.push(Record::DirectoryAudits {
                at,
                entries: Cow::Borrowed(entries),
            });
        }
        if let Some(policy) = self.app_management.default_policy.take_change() {
            records.push(Record::DefaultAppManagementPolicy {
                policy: Cow::Borrowed(policy),
            });
        }
        if let Some(pairs) = self.app_management.applies_to.take_change() {
            records.push(Record::AppManagementAppliesTo {
                pairs: Cow::Borrowed(pairs),
            });
        }
        records
    }

    /// Counts everything as saved, e.g. once a snapshot has been written.
    pub fn forget_changes(&mut self) {
        self.objects.forget_changes();
        for list in [
            List::Domains,
            List::RoleDefinitions,
            List::RoleAssignments,
            List::RoleEligibilities,
            List::ConditionalAccessPolicies,
            List::AppManagementPolicies,
        ] {
            self.list_mut(list).forget_changes();
        }
        self.arm.resources.forget_changes();
        self.sign_ins.forget_changes();
        self.directory_audits.forget_changes();
        self.app_management.default_policy.forget_changes();
        self.app_management.applies_to.forget_changes();
    }

    /// Applies one saved record, without counting it as a change to save again.
    pub fn replay(&mut self, record: Record<'static>) {
        match record {
            Record::Object { id, object } => self.objects.restore(id, object.map(Cow::into_owned)),
            Record::Listed { list, id, item } => {
                self.list_mut(list).restore(&id, item.map(Cow::into_owned));
            }
            Record::Resource { id, resource } => {
                self.arm
                    .resources
                    .restore(id, resource.map(Cow::into_owned));
            }
            Record::SignIns { at, entries } => self.sign_ins.restore(at, entries.into_owned()),
            Record::DirectoryAudits { at, entries } => {
                self.directory_audits.restore(at, entries.into_owned());
            }
            Record::DefaultAppManagementPolicy { policy } => {
                self.app_management
                    .default_policy
                    .restore(policy.into_owned());
            }
            Record::AppManagementAppliesTo { pairs } => {
                self.app_management.applies_to.restore(pairs.into_owned());
            }
        }
    }
}

/// One change as a log frame's payload.
pub(crate) fn encode(records: &[Record<'_>]) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(records)
}

/// Replays one log frame's payload.
pub(crate) fn replay(tenant: &mut Tenant, payload: &[u8]) -> Result<(), String> {
    let records: Vec<Record<'static>> =
        serde_json::from_slice(payload).map_err(|e| format!("a change record: {e}"))?;
    for record in records {
        tenant.replay(record);
    }
    Ok(())
}
