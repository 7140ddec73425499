//! Whether the local stores are the ones the tenant's emergency credentials live in.
//!
//! A store that is missing must never read as an empty one: everything the tenant holds that
//! the store should hold would then look like a leftover, and `apply` or `credential rotate`
//! would revoke the very credential the missing file holds. So before anything changes a
//! credential, the stores on this machine are compared with what breakglass made in the
//! tenant, and a store that should be there but is not (or belongs to another tenant) stops
//! the command.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::config::{Config, StoreKind};
use crate::plan::label_of;
use crate::tenant::TenantView;

/// How one local store was found on this machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StoreFound {
    /// The file is there and was read.
    Present,
    /// The file is not there.
    Missing,
    /// The file is there but could not be opened without its password (none was given).
    Locked,
}

/// The local stores, as found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalStores {
    pub keepass: StoreFound,
    /// The sheet manifest, which lists the key ids printed on recovery and share sheets.
    pub manifest: StoreFound,
    /// The tenant ids the stores' entries were made for (empty for old entries and new stores).
    pub tenant_ids: BTreeSet<String>,
}

/// What breakglass made in the tenant that a local store should hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MadeInTenant {
    /// `(label, key id)` of each credential on the emergency app that breakglass made.
    pub credentials: Vec<(String, String)>,
    /// User principal names of the emergency users (their passwords live in KeePass).
    pub users: Vec<String>,
}

impl MadeInTenant {
    /// What the tenant shows breakglass made: the labelled credentials of its tagged apps,
    /// and its cloud-only users (a synced user's password lives in Active Directory, never
    /// in KeePass).
    pub fn from_tenant(tenant: &TenantView) -> MadeInTenant {
        MadeInTenant {
            credentials: tenant
                .apps
                .iter()
                .flat_map(|app| &app.credentials)
                .filter_map(|c| {
                    label_of(c.display_name.as_deref())
                        .map(|label| (label.to_string(), c.key_id.clone()))
                })
                .collect(),
            users: tenant
                .users
                .iter()
                .filter(|u| !u.synced())
                .map(|u| u.user_principal_name.clone())
                .collect(),
        }
    }
}

/// Why the local stores cannot be trusted for a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "camelCase")]
pub enum StoreProblem {
    /// The KeePass database is missing, yet the tenant holds what it should keep.
    #[serde(rename_all = "camelCase")]
    KeePassMissing {
        /// `label (key id)` of the credentials it should hold.
        credentials: Vec<String>,
        /// The emergency users whose passwords it should hold.
        users: Vec<String>,
    },
    /// The sheet manifest is missing, yet the app holds credentials kept on sheets.
    #[serde(rename_all = "camelCase")]
    ManifestMissing { credentials: Vec<String> },
    /// The stores hold entries of another tenant.
    #[serde(rename_all = "camelCase")]
    OtherTenant {
        found: Vec<String>,
        expected: String,
    },
}

impl StoreProblem {
    /// Whether a person may answer this problem by saying the store is lost for good
    /// (`apply --replace-missing-stores`); a store of another tenant never is.
    pub fn is_missing(&self) -> bool {
        matches!(
            self,
            StoreProblem::KeePassMissing { .. } | StoreProblem::ManifestMissing { .. }
        )
    }
}

fn described(credentials: &[&(String, String)]) -> Vec<String> {
    credentials
        .iter()
        .map(|(label, key_id)| format!("`{label}` ({key_id})"))
        .collect()
}

/// Compares the stores with what the tenant holds. An empty list means the stores can be
/// used, and a missing one created (a first `apply`).
pub fn store_problems(
    config: &Config,
    stores: &LocalStores,
    made: &MadeInTenant,
    tenant_id: &str,
) -> Vec<StoreProblem> {
    let mut problems = Vec::new();
    let kept_in = |kind: &[StoreKind]| -> Vec<&(String, String)> {
        made.credentials
            .iter()
            .filter(|(label, _)| {
                config
                    .credential(label)
                    .is_some_and(|policy| kind.contains(&policy.store))
            })
            .collect()
    };
    if stores.keepass == StoreFound::Missing {
        let credentials = kept_in(&[StoreKind::Keepass]);
        if !credentials.is_empty() || !made.users.is_empty() {
            problems.push(StoreProblem::KeePassMissing {
                credentials: described(&credentials),
                users: made.users.clone(),
            });
        }
    }
    if stores.manifest == StoreFound::Missing {
        let credentials = kept_in(&[StoreKind::Sheet, StoreKind::Shares]);
        if !credentials.is_empty() {
            problems.push(StoreProblem::ManifestMissing {
                credentials: described(&credentials),
            });
        }
    }
    let foreign: Vec<String> = stores
        .tenant_ids
        .iter()
        .filter(|id| !id.eq_ignore_ascii_case(tenant_id))
        .cloned()
        .collect();
    if !tenant_id.is_empty() && !foreign.is_empty() {
        problems.push(StoreProblem::OtherTenant {
            found: foreign,
            expected: tenant_id.to_string(),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::STARTER;

    const TENANT: &str = "11111111-1111-1111-1111-111111111111";

    fn config() -> Config {
        Config::parse(STARTER).unwrap()
    }

    fn stores(keepass: StoreFound, manifest: StoreFound) -> LocalStores {
        LocalStores {
            keepass,
            manifest,
            tenant_ids: BTreeSet::new(),
        }
    }

    fn made(labels: &[&str], users: &[&str]) -> MadeInTenant {
        MadeInTenant {
            credentials: labels
                .iter()
                .map(|l| (l.to_string(), format!("key-{l}")))
                .collect(),
            users: users.iter().map(|u| u.to_string()).collect(),
        }
    }

    #[test]
    fn nothing_made_yet_lets_a_first_apply_create_the_stores() {
        let found = stores(StoreFound::Missing, StoreFound::Missing);
        assert!(store_problems(&config(), &found, &made(&[], &[]), TENANT).is_empty());
    }

    #[test]
    fn a_missing_keepass_with_its_credential_in_the_tenant_is_a_problem() {
        let found = stores(StoreFound::Missing, StoreFound::Present);
        let problems = store_problems(&config(), &found, &made(&["rotating"], &[]), TENANT);
        assert_eq!(
            problems,
            vec![StoreProblem::KeePassMissing {
                credentials: vec!["`rotating` (key-rotating)".into()],
                users: vec![],
            }]
        );
        assert!(problems[0].is_missing());
    }

    #[test]
    fn emergency_users_alone_need_the_keepass_database() {
        let found = stores(StoreFound::Missing, StoreFound::Present);
        let problems = store_problems(&config(), &found, &made(&["offline"], &["a@x"]), TENANT);
        assert!(
            matches!(&problems[..], [StoreProblem::KeePassMissing { credentials, users }] if credentials.is_empty() && users == &["a@x"])
        );
    }

    #[test]
    fn a_missing_manifest_with_a_sheet_credential_in_the_tenant_is_a_problem() {
        let found = stores(StoreFound::Present, StoreFound::Missing);
        let problems = store_problems(
            &config(),
            &found,
            &made(&["offline", "rotating"], &[]),
            TENANT,
        );
        assert_eq!(
            problems,
            vec![StoreProblem::ManifestMissing {
                credentials: vec!["`offline` (key-offline)".into()]
            }]
        );
    }

    #[test]
    fn a_locked_keepass_is_not_a_missing_one() {
        let found = stores(StoreFound::Locked, StoreFound::Present);
        assert!(
            store_problems(&config(), &found, &made(&["rotating"], &["a@x"]), TENANT).is_empty()
        );
    }

    #[test]
    fn entries_of_another_tenant_are_a_problem() {
        let mut found = stores(StoreFound::Present, StoreFound::Present);
        found.tenant_ids = [
            TENANT.to_uppercase(),
            "22222222-2222-2222-2222-222222222222".into(),
        ]
        .into();
        let problems = store_problems(&config(), &found, &made(&[], &[]), TENANT);
        assert_eq!(
            problems,
            vec![StoreProblem::OtherTenant {
                found: vec!["22222222-2222-2222-2222-222222222222".into()],
                expected: TENANT.into(),
            }]
        );
    }
}
