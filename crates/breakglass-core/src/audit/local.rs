//! What this machine holds: the last drill record and the local stores.

use super::{CheckId, Finding, Severity, Snapshot};
use crate::drill::{self, VALIDATION_INTERVAL_DAYS};

pub(super) fn last_drill(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::LastDrill;
    match snapshot.last_drill {
        None => out.push(
            Finding::found(
                check,
                Severity::Medium,
                "no drill record found on this machine: nothing shows that emergency access was tried",
            )
            .hinted("run `breakglass drill` (Microsoft asks for validation at least every 90 days)"),
        ),
        Some(at) => {
            let ago = drill::days_between(at, snapshot.now);
            if ago > VALIDATION_INTERVAL_DAYS {
                out.push(
                    Finding::found(
                        check,
                        Severity::Medium,
                        format!("the last drill was {ago} days ago, more than {VALIDATION_INTERVAL_DAYS}"),
                    )
                    .hinted("run `breakglass drill`"),
                );
            } else {
                out.push(Finding::pass(
                    check,
                    format!("the last drill was {ago} day(s) ago"),
                ));
            }
        }
    }
}

/// A missing store reads as empty to every tool that trusts it: the next rotation or apply
/// would revoke what the missing file holds.
pub(super) fn local_stores(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let check = CheckId::LocalStores;
    if snapshot.store_problems.is_empty() {
        out.push(Finding::pass(
            check,
            "the stores breakglass.toml names hold what the tenant says they should (or are not needed yet)",
        ));
    }
    for problem in &snapshot.store_problems {
        out.push(
            Finding::found(check, Severity::High, problem.clone())
                .hinted("restore the store from its backup before anyone runs `breakglass apply` or `credential rotate` (they refuse to run until then); `breakglass plan` says what it should hold"),
        );
    }
}
