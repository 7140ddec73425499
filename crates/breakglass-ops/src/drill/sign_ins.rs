//! Finding the drill's sign-ins in the service principal sign-in logs (Graph beta: v1.0 has
//! no service principal sign-ins), where the alert rules look.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use breakglass_core::cloud::GraphVersion::Beta;
use breakglass_entra::{GraphClient, Query, odata_string};
use jiff::Timestamp;
use serde_json::Value;

use crate::Progress;
use crate::error::Error;
use crate::json_fields::text;

/// Looks for the drill's sign-ins in the service principal sign-in logs (Graph beta).
pub(super) async fn find_sign_ins(
    progress: &dyn Progress,
    graph: &GraphClient,
    app_id: &str,
    since: Timestamp,
    key_ids: &BTreeSet<String>,
    wait: Duration,
) -> Result<BTreeMap<String, Value>, Error> {
    let filter = format!(
        "signInEventTypes/any(t: t eq 'servicePrincipal') and appId eq {} and createdDateTime ge {}",
        odata_string(app_id),
        since.strftime("%Y-%m-%dT%H:%M:%SZ")
    );
    let query = Query::new().filter(filter);
    let started = Instant::now();
    let mut pause = Duration::from_secs(5);
    let mut found: BTreeMap<String, Value> = BTreeMap::new();
    let _busy = progress.busy(&format!(
        "looking for the drill's sign-ins in the sign-in logs (up to {}s)…",
        wait.as_secs()
    ));
    loop {
        let items: Vec<Value> = graph.list_all(Beta, "auditLogs/signIns", &query).await?;
        for item in items {
            let key = text(&item, "servicePrincipalCredentialKeyId").to_ascii_lowercase();
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
