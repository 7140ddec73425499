//! The Temporary Access Pass method policy, and the pass breakglass may ask for under it.
//!
//! Entra issues a pass only to a user the policy enables the method for, with a lifetime
//! between the policy's minimum and maximum, and only for one use when the policy says so.
//! Asking for anything else ends on a refusal whose shape Microsoft does not document, so
//! breakglass reads the policy first: it asks for a pass that fits, or refuses with what to
//! change before it changes anything.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::lease::{TAP_MAX_MINUTES, TAP_MIN_MINUTES};

/// The include target that enables a method for every user.
pub const ALL_USERS: &str = "all_users";

/// The Temporary Access Pass method policy as read
/// (`temporaryAccessPassAuthenticationMethodConfiguration`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassPolicy {
    pub enabled: bool,
    pub minimum_minutes: i64,
    pub maximum_minutes: i64,
    pub default_minutes: i64,
    /// Every pass is for one use only.
    pub one_time_only: bool,
    /// Group ids, or [`ALL_USERS`].
    pub include: Vec<String>,
    /// Group ids.
    pub exclude: Vec<String>,
}

impl Default for PassPolicy {
    /// Entra's built-in policy: disabled for all users, passes from one to eight hours.
    fn default() -> Self {
        PassPolicy {
            enabled: false,
            minimum_minutes: 60,
            maximum_minutes: 480,
            default_minutes: 60,
            one_time_only: false,
            include: vec![ALL_USERS.to_string()],
            exclude: Vec::new(),
        }
    }
}

/// The policy as read, with the groups of each emergency user (by object id) when the policy
/// targets groups only; users not listed are taken to be in no group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassPolicyView {
    pub policy: PassPolicy,
    pub groups_of_user: BTreeMap<String, Vec<String>>,
}

/// What an emergency user's pass is asked for: long enough for its owner to register a
/// passkey on the day it is handed over, and good for that one sign-in.
pub const EMERGENCY_USER_PASS: WantedPass = WantedPass {
    minutes: 480,
    usable_once: true,
};

/// A pass the policy would refuse, and what to change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefusedPass {
    pub user: String,
    pub why: String,
    pub hint: String,
}

/// The pass breakglass wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WantedPass {
    pub minutes: i64,
    pub usable_once: bool,
}

impl WantedPass {
    /// These terms unchanged: what to ask for when the policy could not be read.
    pub fn as_asked(self) -> PassTerms {
        PassTerms {
            minutes: self.minutes,
            usable_once: self.usable_once,
            adjusted: Vec::new(),
        }
    }
}

/// The pass to ask for, and what was changed from the wanted one to fit the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassTerms {
    pub minutes: i64,
    pub usable_once: bool,
    /// One sentence per adjustment, for people.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adjusted: Vec<String>,
}

/// Why the policy lets no pass be issued to a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum PassRefusal {
    #[error("the Temporary Access Pass method is disabled in this tenant")]
    Disabled,
    #[error(
        "the Temporary Access Pass method policy enables the method only for groups {groups}, and {user} is in none of them"
    )]
    NotIncluded { user: String, groups: String },
    #[error(
        "the Temporary Access Pass method policy excludes group {group}, and {user} is a member"
    )]
    Excluded { user: String, group: String },
}

impl PassRefusal {
    /// What to change, in one line.
    pub fn hint(&self) -> String {
        let policy =
            "Entra admin center > Authentication methods > Policies > Temporary Access Pass";
        match self {
            PassRefusal::Disabled => format!(
                "enable the method for the users who need passes ({policy}), or do without a pass"
            ),
            PassRefusal::NotIncluded { user, .. } => format!(
                "add {user} (or a group it is in) to the method's targets, or target all users ({policy})"
            ),
            PassRefusal::Excluded { user, group } => format!(
                "take {user} out of group {group}, or the group out of the method's exclusions ({policy})"
            ),
        }
    }
}

impl PassPolicy {
    /// Whether the policy enables passes for a user in `groups` (every group it is in,
    /// directly or through other groups, as Entra evaluates targets).
    pub fn admits(&self, user: &str, groups: &[String]) -> Result<(), PassRefusal> {
        if !self.enabled {
            return Err(PassRefusal::Disabled);
        }
        let member = |group: &String| groups.iter().any(|g| g.eq_ignore_ascii_case(group));
        if let Some(group) = self.exclude.iter().find(|group| member(group)) {
            return Err(PassRefusal::Excluded {
                user: user.to_string(),
                group: group.clone(),
            });
        }
        let included = self
            .include
            .iter()
            .any(|target| target.eq_ignore_ascii_case(ALL_USERS) || member(target));
        if included {
            Ok(())
        } else {
            Err(PassRefusal::NotIncluded {
                user: user.to_string(),
                groups: self.include.join(", "),
            })
        }
    }

    /// Whether only members of some group may have passes: a user's groups then matter.
    pub fn targets_groups_only(&self) -> bool {
        !self
            .include
            .iter()
            .any(|target| target.eq_ignore_ascii_case(ALL_USERS))
    }

    /// The pass nearest to `wanted` that the policy allows: the lifetime brought within the
    /// policy's bounds (and Entra's 10 minutes to 30 days), one use when the policy insists.
    pub fn fit(&self, wanted: WantedPass) -> PassTerms {
        let low = self.minimum_minutes.clamp(TAP_MIN_MINUTES, TAP_MAX_MINUTES);
        let high = self.maximum_minutes.clamp(low, TAP_MAX_MINUTES);
        let minutes = wanted.minutes.clamp(low, high);
        let mut adjusted = Vec::new();
        if minutes < wanted.minutes {
            adjusted.push(format!(
                "the pass lasts {}, the policy's maximum, instead of {}",
                describe_minutes(minutes),
                describe_minutes(wanted.minutes)
            ));
        } else if minutes > wanted.minutes {
            adjusted.push(format!(
                "the pass lasts {}, the policy's minimum, instead of {}",
                describe_minutes(minutes),
                describe_minutes(wanted.minutes)
            ));
        }
        let usable_once = wanted.usable_once || self.one_time_only;
        if usable_once && !wanted.usable_once {
            adjusted.push("the pass works for one sign-in only: the policy allows no other".into());
        }
        PassTerms {
            minutes,
            usable_once,
            adjusted,
        }
    }
}

/// `90 minutes`, `8 hours`, `2 days`.
pub fn describe_minutes(minutes: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if minutes % 1440 == 0 {
        plural(minutes / 1440, "day")
    } else if minutes % 60 == 0 {
        plural(minutes / 60, "hour")
    } else {
        plural(minutes, "minute")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> PassPolicy {
        PassPolicy {
            enabled: true,
            ..PassPolicy::default()
        }
    }

    #[test]
    fn a_wanted_pass_is_brought_within_the_policy() {
        let policy = enabled();
        let long = policy.fit(WantedPass {
            minutes: 24 * 60,
            usable_once: false,
        });
        assert_eq!(long.minutes, 480);
        assert!(!long.usable_once);
        assert_eq!(
            long.adjusted,
            ["the pass lasts 8 hours, the policy's maximum, instead of 1 day"]
        );
        let short = policy.fit(WantedPass {
            minutes: 15,
            usable_once: true,
        });
        assert_eq!((short.minutes, short.usable_once), (60, true));
        assert!(short.adjusted[0].contains("minimum"), "{short:?}");
        let fits = policy.fit(WantedPass {
            minutes: 120,
            usable_once: false,
        });
        assert!(fits.adjusted.is_empty());

        let once = PassPolicy {
            one_time_only: true,
            ..enabled()
        };
        let terms = once.fit(WantedPass {
            minutes: 120,
            usable_once: false,
        });
        assert!(terms.usable_once);
        assert_eq!(terms.adjusted.len(), 1);
    }

    #[test]
    fn bounds_outside_what_entra_allows_are_held_to_it() {
        let odd = PassPolicy {
            minimum_minutes: 0,
            maximum_minutes: 1_000_000,
            ..enabled()
        };
        let terms = odd.fit(WantedPass {
            minutes: 5,
            usable_once: true,
        });
        assert_eq!(terms.minutes, TAP_MIN_MINUTES);
        let terms = odd.fit(WantedPass {
            minutes: 100_000,
            usable_once: true,
        });
        assert_eq!(terms.minutes, TAP_MAX_MINUTES);
    }

    #[test]
    fn only_included_users_outside_every_excluded_group_get_passes() {
        let groups = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            PassPolicy::default().admits("u", &[]),
            Err(PassRefusal::Disabled)
        );
        assert_eq!(enabled().admits("u", &[]), Ok(()));
        let by_group = PassPolicy {
            include: groups(&["G1"]),
            exclude: groups(&["x"]),
            ..enabled()
        };
        assert!(by_group.targets_groups_only());
        assert_eq!(by_group.admits("u", &groups(&["g1"])), Ok(()));
        let refused = by_group
            .admits("bg-a@contoso", &groups(&["g2"]))
            .unwrap_err();
        assert!(
            refused.to_string().contains("bg-a@contoso is in none"),
            "{refused}"
        );
        assert!(refused.hint().contains("target all users"));
        assert_eq!(
            by_group.admits("u", &groups(&["g1", "X"])),
            Err(PassRefusal::Excluded {
                user: "u".into(),
                group: "x".into()
            })
        );
    }

    #[test]
    fn lifetimes_read_as_people_say_them() {
        assert_eq!(describe_minutes(90), "90 minutes");
        assert_eq!(describe_minutes(60), "1 hour");
        assert_eq!(describe_minutes(2880), "2 days");
    }
}
