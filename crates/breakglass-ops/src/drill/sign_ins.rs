//! Finding the drill's sign-ins in the service principal sign-in logs (Graph beta: v1.0 has
//! no service principal sign-ins), where the alert rules look.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use breakglass_entra::GraphClient;
use breakglass_entra::graph::filters::app_sign_ins_since;
use breakglass_entra::graph::models::SignIn;
use futures::TryStreamExt as _;
use jiff::Timestamp;

use crate::Progress;
use crate::error::Error;

/// Looks for the drill's sign-ins in the service principal sign-in logs (Graph beta), by the
/// key id of the credential each used.
pub(super) async fn find_sign_ins(
    progress: &dyn Progress,
    graph: &GraphClient,
    app_id: &str,
    since: Timestamp,
    key_ids: &BTreeSet<String>,
    wait: Duration,
) -> Result<BTreeMap<String, SignIn>, Error> {
    let since = since.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let filter = app_sign_ins_since(app_id, &since);
    let started = Instant::now();
    let mut pause = Duration::from_secs(5);
    let mut found: BTreeMap<String, SignIn> = BTreeMap::new();
    let _busy = progress.busy(&format!(
        "looking for the drill's sign-ins in the sign-in logs (up to {}s)…",
        wait.as_secs()
    ));
    loop {
        let items: Vec<SignIn> = graph
            .service_principal_sign_ins_beta(Some(&filter), None)
            .try_collect()
            .await?;
        for item in items {
            let key = item
                .service_principal_credential_key_id
                .clone()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if key_ids.contains(&key) {
                found.entry(key).or_insert(item);
            }
        }
        let left = wait.saturating_sub(started.elapsed());
        if found.len() == key_ids.len() || left.is_zero() {
            return Ok(found);
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}
