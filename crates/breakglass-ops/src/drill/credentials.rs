//! Proving each declared credential: a token with it, a Graph read, the role in effect, its
//! key id on the app, and its end date.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use breakglass_core::config::{CredentialKind, CredentialPolicy, StoreKind};
use breakglass_core::drill::{
    self, Authority, Check, CheckKind, CredentialResult, DrillRecord, Status,
};
use breakglass_entra::{AccessToken, GraphClient, HttpClient, HttpOptions, TokenClaims};
use jiff::Timestamp;

use super::{Given, failed, short, when};
use crate::Progress;
use crate::cloud::ResolvedCloud;
use crate::emergency::credential_source::{
    self, EmergencyCredential, Input, Request, acquire_token,
};
use crate::error::Error;
use crate::provision::credentials::{EmergencyApp, TenantCredential};
use crate::provision::vault::KeePassPassword;

/// Everything a credential's proof needs from the rest of the drill.
pub(super) struct Context<'a> {
    pub progress: &'a dyn Progress,
    /// The cloud chosen for this run, which each credential's own is checked against.
    pub chosen_cloud: &'a ResolvedCloud,
    pub http_options: &'a HttpOptions,
    pub keepass_password: &'a dyn Fn(&Path) -> Result<KeePassPassword, Error>,
    pub tokens: crate::provision::token_store::Tokens,
    pub config_path: &'a Path,
    pub min_days: i64,
    pub warn_days: i64,
    pub app: &'a EmergencyApp,
    pub authority: &'a Authority,
    /// Whether the service principal holds the declared role at `/` (for tokens without `wids`).
    pub assigned_at_root: Option<bool>,
    pub tenant_id: &'a str,
    pub tenant_now: Timestamp,
    pub earlier: &'a [DrillRecord],
    pub manifest: BTreeMap<String, String>,
}

fn store_name(policy: &CredentialPolicy) -> String {
    match policy.store {
        StoreKind::Keepass => "keepass".into(),
        StoreKind::Sheet => "sheet".into(),
        StoreKind::Shares => format!("shares {}", policy.shares.as_deref().unwrap_or("")),
        StoreKind::Pkcs11 => "pkcs11".into(),
    }
}

/// The last drill that proved `label`, from the earlier records.
fn last_proof(earlier: &[DrillRecord], label: &str) -> Option<(Timestamp, Option<String>)> {
    earlier
        .iter()
        .filter_map(|r| {
            r.credentials
                .iter()
                .find(|c| c.label == label && c.proven)
                .map(|c| (r.started, c.key_id.clone()))
        })
        .max_by_key(|(at, _)| *at)
}

/// The app's credentials carrying the label being proven.
struct OnApp<'a> {
    app: &'a EmergencyApp,
    label: &'a str,
    with_label: Vec<&'a TenantCredential>,
}

impl<'a> OnApp<'a> {
    fn new(app: &'a EmergencyApp, label: &'a str) -> OnApp<'a> {
        OnApp {
            app,
            label,
            with_label: app.with_label(label).collect(),
        }
    }

    fn newest(&self) -> Option<&'a TenantCredential> {
        self.with_label.iter().max_by_key(|c| c.end).copied()
    }

    /// The credential whose end date counts: the one with the key the store holds, else the
    /// newest with the label.
    fn for_expiry(&self, key: Option<&str>) -> Option<&'a TenantCredential> {
        key.and_then(|k| {
            self.with_label
                .iter()
                .find(|c| c.key_id.eq_ignore_ascii_case(k))
        })
        .copied()
        .or(self.newest())
    }

    fn key_check(&self, key: &str) -> Check {
        let label = self.label;
        if self
            .with_label
            .iter()
            .any(|c| c.key_id.eq_ignore_ascii_case(key))
        {
            Check::pass(
                CheckKind::KeyId,
                format!("{key} is on the app as breakglass:{label}"),
            )
        } else if self
            .app
            .credentials
            .iter()
            .any(|c| c.key_id.eq_ignore_ascii_case(key))
        {
            Check::warning(
                CheckKind::KeyId,
                format!("{key} is on the app under another label"),
            )
        } else {
            Check::failure(
                CheckKind::KeyId,
                format!("the store holds {key}, which the app no longer has"),
            )
            .hinted(format!("the store is stale: `breakglass credential list` compares stores and tenant; `breakglass credential rotate {label}` makes a new one"))
        }
    }

    /// Records the key the store holds, and whether the app still has it.
    fn record_key(&self, result: &mut CredentialResult, key: &str) {
        result.key_id = Some(key.to_string());
        result.checks.push(self.key_check(key));
    }
}

fn empty_result(policy: &CredentialPolicy) -> CredentialResult {
    CredentialResult {
        label: policy.label.clone(),
        key_id: None,
        kind: match policy.kind {
            CredentialKind::Secret => "secret".into(),
            CredentialKind::Certificate => "certificate".into(),
        },
        store: store_name(policy),
        token_serial: None,
        proven: false,
        checks: Vec::new(),
    }
}

/// Where to read the credential from; `None` when it is kept on paper and nobody brought it.
fn source_request(
    cx: &Context<'_>,
    policy: &CredentialPolicy,
    given: Option<&Given>,
) -> Option<Request> {
    let request = |sheet: Option<Input>, shares: Vec<Input>| Request {
        credential: Some(policy.label.clone()),
        sheet,
        shares,
        config_path: cx.config_path.to_path_buf(),
        tokens: cx.tokens.clone(),
    };
    match (policy.store, given) {
        (_, Some(Given::Sheet(input))) => Some(request(Some(input.clone()), Vec::new())),
        (_, Some(Given::Shares(inputs))) => Some(request(None, inputs.clone())),
        (StoreKind::Keepass | StoreKind::Pkcs11, None) => Some(request(None, Vec::new())),
        (StoreKind::Sheet | StoreKind::Shares, None) => None,
    }
}

/// A credential kept on paper that nobody brought: say so, and since when it is unproven;
/// what the manifest and the app show is still checked.
fn not_brought(
    cx: &Context<'_>,
    policy: &CredentialPolicy,
    on_app: &OnApp<'_>,
    result: &mut CredentialResult,
) {
    let label = on_app.label;
    let needs = match policy.threshold() {
        Some(t) => format!(
            "needs {} custodians ({} of {} shares): `--shares {label}=FILE,FILE,…`",
            t.k, t.k, t.n
        ),
        None => format!("needs the recovery sheet: `--sheet {label}=FILE`"),
    };
    let since = match last_proof(cx.earlier, label) {
        Some((at, key)) => format!(
            "; last proven {} ({}), due by {}",
            when(at),
            key.as_deref().map(short).unwrap_or("?"),
            when(drill::next_due(at))
        ),
        None => "; never proven by a drill".to_string(),
    };
    result
        .checks
        .push(Check::warning(CheckKind::Source, format!("not proven: {needs}{since}")).hinted(
            "bring the custodians' shares (or the sheet) at least every 90 days and run the drill with them",
        ));
    if let Some(key) = cx.manifest.get(label) {
        on_app.record_key(result, key);
    }
    let tenant_credential = on_app.for_expiry(result.key_id.as_deref());
    result.checks.push(expiry(cx, tenant_credential));
}

/// A token for Microsoft Graph with the credential, in the cloud it was made for.
async fn sign_in(
    cx: &Context<'_>,
    label: &str,
    credential: &EmergencyCredential,
) -> Result<(ResolvedCloud, HttpClient, AccessToken), Error> {
    let cloud = credential_source::resolve_cloud(cx.progress, cx.chosen_cloud.clone(), credential)?;
    let http = HttpClient::new(&cloud.profile, cx.http_options.clone())?;
    let scope = cloud.profile.graph_default_scope();
    let token = {
        let _busy = cx.progress.busy(&format!("signing in with `{label}`…"));
        acquire_token(&http, &cloud, credential, &scope).await?
    };
    Ok((cloud, http, token))
}

/// Whether the token is for this tenant and the emergency app.
fn token_check(
    cx: &Context<'_>,
    claims: &TokenClaims,
    credential: &EmergencyCredential,
    cloud: &ResolvedCloud,
) -> Check {
    let token_tenant = claims.tid.clone().unwrap_or_default();
    let token_app = claims.client_id().unwrap_or_default().to_string();
    if !token_tenant.eq_ignore_ascii_case(cx.tenant_id) {
        Check::failure(
            CheckKind::Token,
            format!(
                "the token is for tenant {token_tenant}, not {}",
                cx.tenant_id
            ),
        )
    } else if !token_app.eq_ignore_ascii_case(&cx.app.app_id) {
        Check::failure(
            CheckKind::Token,
            format!(
                "the token is for app {token_app}, not the emergency app {}",
                cx.app.app_id
            ),
        )
    } else {
        Check::pass(
            CheckKind::Token,
            format!(
                "client credentials ({}) at {}",
                credential.material.kind(),
                cloud.profile.authority_host.as_str().trim_end_matches('/')
            ),
        )
    }
}

/// A Graph read with the token: `GET /organization`.
async fn graph_read_check(graph: &GraphClient) -> Check {
    match graph.organization().await {
        Ok(organizations) => {
            let name = organizations
                .first()
                .and_then(|o| o.display_name.clone())
                .unwrap_or_default();
            Check::pass(CheckKind::GraphRead, format!("GET /organization: {name}"))
        }
        Err(err) => failed(CheckKind::GraphRead, Status::Failure, &Error::from(err)),
    }
}

pub(super) async fn prove_credential(
    cx: &Context<'_>,
    policy: &CredentialPolicy,
    given: Option<&Given>,
) -> CredentialResult {
    let label = policy.label.as_str();
    let on_app = OnApp::new(cx.app, label);
    let mut result = empty_result(policy);
    let Some(source) = source_request(cx, policy, given) else {
        not_brought(cx, policy, &on_app, &mut result);
        return result;
    };

    let credential = match credential_source::resolve(cx.progress, &source, cx.keepass_password) {
        Ok(credential) => credential,
        Err(err) => {
            result
                .checks
                .push(failed(CheckKind::Source, Status::Failure, &err));
            result.checks.push(expiry(cx, on_app.newest()));
            return result;
        }
    };
    result.checks.push(Check::pass(
        CheckKind::Source,
        format!("from {}", credential.origin),
    ));
    if let credential_source::Origin::Token { serial, .. } = &credential.origin {
        result.token_serial = Some(serial.clone());
    }
    if let Some(key) = &credential.key_id {
        on_app.record_key(&mut result, key);
    }
    let tenant_credential = on_app.for_expiry(credential.key_id.as_deref());

    let (cloud, http, token) = match sign_in(cx, label, &credential).await {
        Ok(parts) => parts,
        Err(err) => {
            result
                .checks
                .push(failed(CheckKind::Token, Status::Failure, &err));
            result.checks.push(expiry(cx, tenant_credential));
            result.checks.push(Check::skipped(
                CheckKind::SignInLog,
                "no token, so no sign-in to look for",
            ));
            return result;
        }
    };
    let claims = match token.claims() {
        Ok(claims) => claims,
        Err(err) => {
            let err = Error::from(err);
            result
                .checks
                .push(failed(CheckKind::Token, Status::Failure, &err));
            return result;
        }
    };
    let tenant_and_app = token_check(cx, &claims, &credential, &cloud);
    let token_ok = tenant_and_app.status == Status::Pass;
    result.checks.push(tenant_and_app);
    let graph = GraphClient::new(http, &cloud.profile, Arc::new(token));
    let read = graph_read_check(&graph).await;
    let read_ok = read.status == Status::Pass;
    result.checks.push(read);
    let role = drill::authority_in_token(
        cx.authority,
        &claims.wids,
        &claims.roles,
        cx.assigned_at_root,
    );
    let role_ok = role.status == Status::Pass;
    result.checks.push(role);
    result.checks.push(expiry(cx, tenant_credential));
    result.proven = token_ok && read_ok && role_ok;
    result
}

pub(super) fn expiry(cx: &Context<'_>, credential: Option<&TenantCredential>) -> Check {
    match credential {
        Some(c) => drill::expiry(c.end, cx.tenant_now, cx.min_days, cx.warn_days),
        None => Check::failure(
            CheckKind::Expiry,
            "the app has no credential with this label",
        )
        .hinted("run `breakglass apply` (or `breakglass credential add LABEL`) to make it"),
    }
}
