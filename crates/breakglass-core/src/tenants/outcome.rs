//! One result for a run across tenants, from each tenant's: what the exit code says.

use serde::Serialize;

/// How one tenant came out of a command run across tenants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TenantStatus {
    /// Read, and nothing at or above the failing threshold.
    Passed,
    /// Read, with findings (or failures) at or above the threshold.
    Failed,
    /// Not read at all: sign-in refused, unreachable, throttled out, configuration unusable.
    Unreadable,
}

/// The run as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overall {
    /// Every tenant was read and passed.
    AllPassed,
    /// At least one tenant was read, and at least one failed or could not be read.
    SomeFailed,
    /// No tenant could be read.
    NoneRead,
}

/// The run's result from its tenants'. No tenants at all counts as none read: a run that
/// looked at nothing proves nothing.
pub fn overall(statuses: impl IntoIterator<Item = TenantStatus>) -> Overall {
    let (mut read, mut all_passed) = (false, true);
    for status in statuses {
        read |= status != TenantStatus::Unreadable;
        all_passed &= status == TenantStatus::Passed;
    }
    match (read, all_passed) {
        (false, _) => Overall::NoneRead,
        (true, true) => Overall::AllPassed,
        (true, false) => Overall::SomeFailed,
    }
}
