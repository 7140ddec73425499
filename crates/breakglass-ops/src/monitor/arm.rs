//! Resource Manager for `monitor deploy` and `monitor status`: the workspace id, signing in
//! for a Resource Manager token, the resources the rules become, and comparing them with what
//! Resource Manager holds.

use std::sync::Arc;

use breakglass_core::identities::EmergencyIdentities;
use breakglass_core::monitor::{self, RuleKind, render};
use breakglass_core::{CloudProfile, TenantId};
use breakglass_entra::{
    AccessToken, ArmClient, ArmResponse, ClientCredential, ClientCredentialsFlow, DeviceCodeFlow,
    HttpClient, TokenProvider,
};
use serde::Serialize;
use serde_json::Value;

use crate::Progress;
use crate::cloud::ResolvedCloud;
use crate::error::{Error, ErrorKind, config_error, usage_error};
use crate::session::Operator;

/// A Log Analytics workspace resource id, checked strictly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceId {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
}

const WORKSPACE_SHAPE: &str = "/subscriptions/{subscription GUID}/resourceGroups/{resource group}/providers/Microsoft.OperationalInsights/workspaces/{name}";

impl WorkspaceId {
    /// Parses `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}`.
    pub fn parse(text: &str) -> Result<WorkspaceId, Error> {
        let refuse = |why: &str| {
            usage_error(format!(
                "`{text}` is not a Log Analytics workspace resource id: {why}"
            ))
            .hinted(format!("give it as {WORKSPACE_SHAPE}, e.g. from `az monitor log-analytics workspace show --query id -o tsv`"))
        };
        let trimmed = text.trim();
        let Some(rest) = trimmed.strip_prefix('/') else {
            return Err(refuse("it must start with /subscriptions/"));
        };
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        let [
            subs,
            subscription,
            groups,
            group,
            providers,
            namespace,
            workspaces,
            name,
        ] = parts.as_slice()
        else {
            return Err(refuse("it must have exactly eight path segments"));
        };
        if !subs.eq_ignore_ascii_case("subscriptions")
            || !groups.eq_ignore_ascii_case("resourceGroups")
            || !providers.eq_ignore_ascii_case("providers")
        {
            return Err(refuse(
                "the segments must be subscriptions, resourceGroups and providers",
            ));
        }
        if uuid::Uuid::parse_str(subscription).is_err() || subscription.len() != 36 {
            return Err(refuse("the subscription id must be a GUID"));
        }
        if !namespace.eq_ignore_ascii_case("Microsoft.OperationalInsights")
            || !workspaces.eq_ignore_ascii_case("workspaces")
        {
            return Err(refuse(
                "the resource type must be Microsoft.OperationalInsights/workspaces",
            ));
        }
        let group_ok = !group.is_empty()
            && group.len() <= 90
            && !group.ends_with('.')
            && group
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'));
        if !group_ok {
            return Err(refuse("the resource group name is not valid"));
        }
        let name_ok = (4..=63).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !name_ok {
            return Err(refuse(
                "the workspace name must be 4 to 63 letters, digits or hyphens",
            ));
        }
        Ok(WorkspaceId {
            subscription: subscription.to_ascii_lowercase(),
            resource_group: group.to_string(),
            name: name.to_string(),
        })
    }

    pub fn resource_group_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.subscription, self.resource_group
        )
    }

    pub fn id(&self) -> String {
        format!(
            "{}/providers/Microsoft.OperationalInsights/workspaces/{}",
            self.resource_group_id(),
            self.name
        )
    }
}

/// The Log Analytics workspaces api-version.
pub const WORKSPACES_API: &str = "2022-10-01";

/// Signs in for a Resource Manager token, as the operator signs in for Graph.
pub async fn sign_in(
    progress: &dyn Progress,
    cloud: &ResolvedCloud,
    operator: &Operator,
    options: breakglass_entra::HttpOptions,
) -> Result<ArmClient, Error> {
    let profile: &CloudProfile = &cloud.profile;
    let base = profile.resource_manager_endpoint.clone().ok_or_else(|| {
        config_error(format!(
            "the cloud profile `{}` has no resourceManagerEndpoint, which alert rules and `audit --azure` need",
            profile.name
        ))
        .hinted("add \"resourceManagerEndpoint\" to the cloud profile")
    })?;
    let resource = base.as_str().trim_end_matches('/').to_string();
    let scope = format!("{resource}/.default");
    let http = HttpClient::new(profile, options)?;
    let provider: Arc<dyn TokenProvider> = match operator {
        Operator::Secret {
            tenant,
            client_id,
            secret,
        } => {
            let flow = ClientCredentialsFlow::new(
                &http,
                profile,
                tenant,
                client_id,
                ClientCredential::Secret(secret.clone()),
            )
            .with_scope(scope);
            flow.into_provider()
        }
        Operator::Certificate {
            tenant, client_id, ..
        }
        | Operator::Pkcs11 {
            tenant, client_id, ..
        } => ClientCredentialsFlow::new(
            &http,
            profile,
            tenant,
            client_id,
            operator.certificate_credential().await?,
        )
        .with_scope(scope)
        .into_provider(),
        Operator::DeviceCode { tenant, client_id } => {
            let flow = DeviceCodeFlow::new(&http, profile, tenant, client_id, &scope);
            let prompt = flow.start().await?;
            progress.important(&prompt.message);
            let token = {
                let _busy = progress.busy("waiting for the sign-in in the browser…");
                flow.poll(&prompt).await?
            };
            Arc::new(token)
        }
        Operator::HandedIn(_) => return Err(one_token_is_not_enough()),
        Operator::AzCli { tenant } => {
            let tenant = tenant.as_ref().map(TenantId::to_string);
            let token: AccessToken = {
                let _busy = progress.busy("asking the Azure CLI for a Resource Manager token…");
                breakglass_entra::azcli::access_token_from_az_cli(&resource, tenant.as_deref())
                    .await?
            };
            Arc::new(token)
        }
    };
    {
        let _busy = progress.busy("signing in to Azure Resource Manager…");
        provider.token().await?;
    }
    Ok(ArmClient::new(http, base, provider))
}

/// A Resource Manager failure as a command error, with ARM's code and message.
pub fn arm_failure(action: &str, id: &str, response: &ArmResponse) -> Error {
    let kind = match response.status {
        401 => ErrorKind::Authentication,
        403 => ErrorKind::Authorization,
        429 => ErrorKind::Throttled,
        _ => ErrorKind::Service,
    };
    let hint = match (response.status, response.error_code()) {
        (403, _) => "the operator needs a role that may write alert rules on the subscription or resource group, e.g. Contributor (or Monitoring Contributor and Microsoft Sentinel Contributor)".to_string(),
        (404, "ResourceNotFound") | (404, "ResourceGroupNotFound") | (404, "SubscriptionNotFound") => format!(
            "check --workspace: the workspace must exist and be visible to the operator; its id has the shape {WORKSPACE_SHAPE}"
        ),
        (401, _) => "the Resource Manager token was refused; sign in again".to_string(),
        _ => "see the message from Azure Resource Manager".to_string(),
    };
    let code = response.error_code();
    let message = response.error_message();
    let detail = if code.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        format!("HTTP {} {code}: {message}", response.status)
    };
    Error::new(
        kind,
        format!("Azure Resource Manager refused to {action} {id}: {detail}"),
    )
    .hinted(hint)
}

/// Reads the workspace; its region is where the log alerts go.
pub async fn workspace_location(arm: &ArmClient, workspace: &WorkspaceId) -> Result<String, Error> {
    let id = workspace.id();
    let response = arm.get(&id, WORKSPACES_API).await?;
    if !response.is_success() {
        return Err(arm_failure("read the workspace", &id, &response));
    }
    Ok(response.body["location"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// One rule as Resource Manager should hold it.
#[derive(Clone, Debug)]
pub struct DesiredRule {
    /// The detection's display name.
    pub name: String,
    pub slug: &'static str,
    /// `Azure Monitor`, `Sentinel Scheduled` or `Sentinel NRT`.
    pub kind: &'static str,
    pub id: String,
    pub api_version: &'static str,
    pub body: Value,
}

/// The log alerts (and with `sentinel`, the Sentinel rules) for these identities.
pub fn desired_rules(
    identities: &EmergencyIdentities,
    workspace: &WorkspaceId,
    location: &str,
    action_group_id: &str,
    sentinel: bool,
) -> Vec<DesiredRule> {
    let tenant = identities.tenant_id.as_str();
    let detections = monitor::detections(identities);
    let mut rules: Vec<DesiredRule> = detections
        .iter()
        .map(|d| DesiredRule {
            name: d.name.to_string(),
            slug: d.slug,
            kind: "Azure Monitor",
            id: format!(
                "{}/providers/Microsoft.Insights/scheduledQueryRules/{}",
                workspace.resource_group_id(),
                render::alert_rule_name(d)
            ),
            api_version: render::SCHEDULED_QUERY_RULES_API,
            body: render::log_alert_resource(d, tenant, &workspace.id(), location, action_group_id),
        })
        .collect();
    if sentinel {
        rules.extend(detections.iter().map(|d| DesiredRule {
            name: d.name.to_string(),
            slug: d.slug,
            kind: match d.kind {
                RuleKind::Nrt => "Sentinel NRT",
                RuleKind::Scheduled { .. } => "Sentinel Scheduled",
            },
            id: format!(
                "{}/providers/Microsoft.SecurityInsights/alertRules/{}",
                workspace.id(),
                d.id(tenant)
            ),
            api_version: render::sentinel_alert_rules_api(d.kind),
            body: render::sentinel_alert_rule(d),
        }));
    }
    rules
}

/// Whether `actual` holds everything `desired` says (Resource Manager adds read-only fields
/// and may spell the region differently; those are not differences).
pub fn holds(desired: &Value, actual: &Value) -> bool {
    match (desired, actual) {
        (Value::Object(want), Value::Object(have)) => want.iter().all(|(key, value)| {
            if key == "location" {
                return true;
            }
            have.get(key).is_some_and(|v| holds(value, v))
        }),
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| holds(w, h))
        }
        (Value::String(want), Value::String(have)) if want.starts_with("/subscriptions/") => {
            want.eq_ignore_ascii_case(have)
        }
        (Value::Number(want), Value::Number(have)) => want.as_f64() == have.as_f64(),
        _ => desired == actual,
    }
}

/// `--auth token-stdin` hands in one Graph token; Resource Manager needs its own.
pub fn one_token_is_not_enough() -> Error {
    usage_error(
        "`monitor deploy`, `monitor status`, `evidence --workspace` and `audit --azure` need a Resource Manager token, and `--auth token-stdin` hands in one token",
    )
    .hinted("use `--auth env`, `--auth device-code` or `--auth az`")
}

/// The action group breakglass makes in the workspace's resource group, notifying
/// `address`; written only when it is missing or differs. Returns its resource id.
pub async fn ensure_action_group(
    arm: &ArmClient,
    workspace: &WorkspaceId,
    address: &str,
) -> Result<String, Error> {
    let id = format!(
        "{}/providers/Microsoft.Insights/actionGroups/{}",
        workspace.resource_group_id(),
        render::ACTION_GROUP_NAME
    );
    let body = render::action_group_resource(address);
    let current = arm.get(&id, render::ACTION_GROUPS_API).await?;
    if !(current.is_success() && holds(&body, &current.body)) {
        let answer = arm.put(&id, render::ACTION_GROUPS_API, &body).await?;
        if !answer.is_success() {
            return Err(arm_failure("write the action group", &id, &answer));
        }
    }
    Ok(id)
}

/// One alert rule as `monitor deploy` left it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployedRule {
    pub name: String,
    pub detection: &'static str,
    pub kind: &'static str,
    pub resource_id: String,
    /// `created`, `updated` or `unchanged`.
    pub result: &'static str,
}

/// Writes each rule that is missing or differs; a rule already as desired is left alone.
pub async fn deploy_rules(
    arm: &ArmClient,
    rules: Vec<DesiredRule>,
) -> Result<Vec<DeployedRule>, Error> {
    let mut rows = Vec::new();
    for rule in rules {
        let current = arm.get(&rule.id, rule.api_version).await?;
        let result = if current.is_success() && holds(&rule.body, &current.body) {
            "unchanged"
        } else {
            if !current.is_success() && current.status != 404 {
                return Err(arm_failure("read", &rule.id, &current));
            }
            let answer = arm.put(&rule.id, rule.api_version, &rule.body).await?;
            if !answer.is_success() {
                return Err(arm_failure("write", &rule.id, &answer));
            }
            if answer.status == 201 || current.status == 404 {
                "created"
            } else {
                "updated"
            }
        };
        rows.push(DeployedRule {
            name: rule.name,
            detection: rule.slug,
            kind: rule.kind,
            resource_id: rule.id,
            result,
        });
    }
    Ok(rows)
}

/// One alert rule as `monitor status` found it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleStatus {
    pub name: String,
    pub detection: &'static str,
    pub kind: &'static str,
    pub resource_id: String,
    /// `yes`, `no` or `differs`.
    pub deployed: &'static str,
    pub enabled: Option<bool>,
}

/// Reads each rule and judges it against what deploy would write, leaving aside whether it is
/// enabled (its own column) and the action group (whichever deploy was given).
pub async fn rule_statuses(
    arm: &ArmClient,
    rules: Vec<DesiredRule>,
) -> Result<Vec<RuleStatus>, Error> {
    let mut rows = Vec::new();
    for rule in rules {
        let mut desired = rule.body.clone();
        // Status judges the rule itself: whether it is on is its own column, and the action
        // group is whichever deploy was given.
        if let Some(properties) = desired["properties"].as_object_mut() {
            properties.remove("enabled");
            if let Some(actions) = properties
                .get_mut("actions")
                .and_then(serde_json::Value::as_object_mut)
            {
                actions.remove("actionGroups");
            }
        }
        let current = arm.get(&rule.id, rule.api_version).await?;
        let (deployed, enabled) = if current.status == 404 {
            ("no", None)
        } else if current.is_success() {
            let enabled = current.body["properties"]["enabled"].as_bool();
            if holds(&desired, &current.body) {
                ("yes", enabled)
            } else {
                ("differs", enabled)
            }
        } else {
            return Err(arm_failure("read", &rule.id, &current));
        };
        rows.push(RuleStatus {
            name: rule.name,
            detection: rule.slug,
            kind: rule.kind,
            resource_id: rule.id,
            deployed,
            enabled,
        });
    }
    Ok(rows)
}

/// The action group the alerts notify.
#[derive(Clone, Copy, Debug)]
pub enum ActionGroup<'a> {
    /// An existing one, by resource id.
    Existing(&'a str),
    /// breakglass's own, made or corrected to mail this address.
    Email(&'a str),
}

impl<'a> ActionGroup<'a> {
    /// The action group the flags name: an id wins over an address; an address given is
    /// checked either way.
    pub fn from_flags(
        id: Option<&'a str>,
        email: Option<&'a str>,
    ) -> Result<ActionGroup<'a>, Error> {
        let email = email.map(str::trim);
        if let Some(address) = email
            && (!address.contains('@') || address.starts_with('@') || address.ends_with('@'))
        {
            return Err(usage_error(format!("`{address}` is not an e-mail address")));
        }
        match (id, email) {
            (Some(id), _) => Ok(ActionGroup::Existing(id.trim())),
            (None, Some(address)) => Ok(ActionGroup::Email(address)),
            (None, None) => Err(usage_error("the alerts need an action group to notify").hinted(
                "pass `--action-group RESOURCE_ID` for an existing one, or `--email ADDRESS` to create one",
            )),
        }
    }
}

/// What `monitor deploy` did.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployed {
    pub workspace: String,
    pub action_group: String,
    pub rules: Vec<DeployedRule>,
}

/// Deploys the alert rules of `identities` to `workspace`, notifying `action_group`.
pub async fn deploy(
    arm: &ArmClient,
    workspace: &WorkspaceId,
    identities: &EmergencyIdentities,
    action_group: ActionGroup<'_>,
    sentinel: bool,
) -> Result<Deployed, Error> {
    let location = workspace_location(arm, workspace).await?;
    let action_group = match action_group {
        ActionGroup::Existing(id) => id.to_string(),
        ActionGroup::Email(address) => ensure_action_group(arm, workspace, address).await?,
    };
    let rules = desired_rules(identities, workspace, &location, &action_group, sentinel);
    Ok(Deployed {
        workspace: workspace.id(),
        action_group,
        rules: deploy_rules(arm, rules).await?,
    })
}

/// What `monitor status` found.
#[derive(Serialize)]
pub struct Statuses {
    pub workspace: String,
    /// Every rule deployed as desired, and enabled.
    pub ok: bool,
    pub rules: Vec<RuleStatus>,
}

/// Compares the alert rules in `workspace` with those `deploy` would write.
pub async fn status(
    arm: &ArmClient,
    workspace: &WorkspaceId,
    identities: &EmergencyIdentities,
    sentinel: bool,
) -> Result<Statuses, Error> {
    let location = workspace_location(arm, workspace).await?;
    let rules = desired_rules(identities, workspace, &location, "", sentinel);
    let rules = rule_statuses(arm, rules).await?;
    let ok = rules
        .iter()
        .all(|r| r.deployed == "yes" && r.enabled == Some(true));
    Ok(Statuses {
        workspace: workspace.id(),
        ok,
        rules,
    })
}
