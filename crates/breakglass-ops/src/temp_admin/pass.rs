//! The Temporary Access Pass a temporary administrator signs in with, decided from the
//! tenant's pass policy before the user exists: a pass that fits, or a refusal that changes
//! nothing.

use breakglass_core::lease::tap_lifetime_minutes;
use breakglass_core::pass_policy::{PassTerms, WantedPass};
use breakglass_entra::GraphClient;
use jiff::SignedDuration;

use crate::Progress;
use crate::error::{Error, config_error};

/// Who the policy is asked about: the user does not exist yet and is in no group.
const NEW_USER: &str = "a new temporary administrator";

/// The pass for a lease of `ttl`: as long as the lease (within the policy's bounds) and
/// reusable unless the policy allows one use only.
pub(super) async fn terms_for_lease(
    progress: &dyn Progress,
    graph: &GraphClient,
    ttl: SignedDuration,
) -> Result<PassTerms, Error> {
    let wanted = WantedPass {
        minutes: tap_lifetime_minutes(ttl),
        usable_once: false,
    };
    let fact = {
        let _busy = progress.busy("reading the Temporary Access Pass method policy…");
        crate::tenant::pass_policy(graph, &[]).await?
    };
    let view = match fact.get() {
        Ok(view) => view,
        Err(missing) => {
            progress.warn(&format!(
                "the Temporary Access Pass method policy could not be read ({} would allow it): asking for the pass anyway, and Entra decides",
                missing.permission
            ));
            return Ok(wanted.as_asked());
        }
    };
    if let Err(refusal) = view.policy.admits(NEW_USER, &[]) {
        return Err(config_error(format!("{refusal}; nothing was created"))
            .hinted(refusal.hint())
            .hinted(
                "or leave out --tap: the temporary administrator then signs in with a password",
            ));
    }
    let terms = view.policy.fit(wanted);
    for adjustment in &terms.adjusted {
        progress.warn(adjustment);
    }
    Ok(terms)
}
