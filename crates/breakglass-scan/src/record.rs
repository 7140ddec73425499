//! Reading one log record, whatever its shape, and deciding whether it touches the
//! emergency identities.
//!
//! The same event arrives in three spellings: Microsoft Graph (`appId`, `status.errorCode`,
//! `createdDateTime`), Azure Monitor diagnostic records (`time`, `category`, `resultType`, and
//! the Graph-shaped fields inside `properties`), and Log Analytics rows (`TimeGenerated`,
//! `AppId`, `ResultType`, dynamic columns sometimes exported as JSON text). Field names are
//! therefore looked up ignoring ASCII case, first in the record and then in `properties`,
//! and string values that hold JSON are parsed when an object or array is needed.

use breakglass_core::identities::{EmergencyIdentities, Severity};
use breakglass_core::monitor::{FEDERATED_CREDENTIALS_PROPERTY, RoleChange, role_change};
use serde::Serialize;
use serde_json::{Map, Value};

/// What kind of event a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EventKind {
    /// A sign-in of the emergency app (client credentials).
    ServicePrincipalSignIn,
    /// A sign-in of an emergency user (interactive or not).
    UserSignIn,
    /// A directory change to, or by, an emergency identity.
    AuditChange,
}

impl EventKind {
    /// Words for people.
    pub fn describe(self) -> &'static str {
        match self {
            EventKind::ServicePrincipalSignIn => "service principal sign-in",
            EventKind::UserSignIn => "user sign-in",
            EventKind::AuditChange => "audit change",
        }
    }
}

/// Where an event was found.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceLocation {
    pub file: String,
    /// 1-based line, for line-oriented files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 0-based index in a `value` or `records` array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(record) = self.record {
            write!(f, "#{record}")?;
        }
        Ok(())
    }
}

/// One event touching the emergency identities.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// When it happened, as the log wrote it (RFC 3339, UTC).
    pub time: String,
    pub kind: EventKind,
    /// Who, for people: the app and credential label, the user's UPN, or the changed object.
    pub identity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// The key id of the credential used (`servicePrincipalCredentialKeyId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_key_id: Option<String>,
    /// The label breakglass gave that credential; absent for unknown key ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_label: Option<String>,
    pub severity: Severity,
    /// `success` or `failure`.
    pub result: String,
    /// The error code of a failure (an AADSTS number for sign-ins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// The audit activity, e.g. `Add service principal credentials`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    pub source: SourceLocation,
}

/// A record as a case-insensitive view over a JSON object and its `properties`.
struct View<'a> {
    top: &'a Map<String, Value>,
    properties: Option<&'a Map<String, Value>>,
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn non_empty(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value that should be an object or array but may be JSON text (Log Analytics exports
/// dynamic columns of some tables as strings).
fn structured(value: &Value) -> Option<Value> {
    match value {
        Value::Object(_) | Value::Array(_) => Some(value.clone()),
        Value::String(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                serde_json::from_str(t).ok()
            } else {
                None
            }
        }
        _ => None,
    }
}

impl<'a> View<'a> {
    fn new(top: &'a Map<String, Value>) -> Self {
        let properties = get_ci(top, "properties").and_then(Value::as_object);
        View { top, properties }
    }

    fn raw(&self, key: &str) -> Option<&'a Value> {
        let found = self
            .properties
            .and_then(|p| get_ci(p, key))
            .filter(|v| !v.is_null());
        found.or_else(|| get_ci(self.top, key).filter(|v| !v.is_null()))
    }

    fn text(&self, key: &str) -> Option<String> {
        self.raw(key).and_then(non_empty)
    }

    fn first_text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.text(k))
    }

    fn object(&self, key: &str) -> Option<Value> {
        self.raw(key).and_then(structured)
    }

    fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }
}

fn path_text(value: &Value, path: &[&str]) -> Option<String> {
    let mut current = value;
    for key in path {
        current = get_ci(current.as_object()?, key)?;
    }
    non_empty(current)
}

fn eq(a: &str, b: &str) -> bool {
    !b.is_empty() && a.eq_ignore_ascii_case(b)
}

/// Decides whether a record touches the identities and describes it. `mentioned` is the
/// watched string the prefilter found in the raw record, if any: an audit record that names
/// a watched id only in, say, a modified property (a Conditional Access policy excluding
/// the emergency group) is reported with it.
pub fn match_record(
    record: &Value,
    identities: &EmergencyIdentities,
    mentioned: Option<&str>,
    source: SourceLocation,
) -> Option<Event> {
    let top = record.as_object()?;
    let view = View::new(top);
    let category = view
        .first_text(&["category", "Type"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    let is_audit = view.has("activityDisplayName")
        || view.has("targetResources")
        || category.contains("audit");
    if is_audit {
        return match_audit(&view, identities, mentioned, source);
    }
    let is_signin = category.contains("signin")
        || view.has("appId")
        || view.has("userId")
        || view.has("servicePrincipalId");
    if !is_signin {
        return None;
    }
    match_signin(&view, &category, identities, source)
}

fn signin_result(view: &View<'_>) -> (String, Option<String>, Option<String>) {
    let status = view.object("status");
    let code = status
        .as_ref()
        .and_then(|s| path_text(s, &["errorCode"]))
        .or_else(|| view.text("ResultType"))
        .or_else(|| view.text("resultType"));
    let reason = status
        .as_ref()
        .and_then(|s| path_text(s, &["failureReason"]))
        .or_else(|| view.text("ResultDescription"))
        .or_else(|| view.text("resultDescription"))
        .filter(|r| !r.eq_ignore_ascii_case("other") && !r.is_empty());
    if code.as_deref() == Some("0") {
        return ("success".into(), None, None);
    }
    if code.is_none() && reason.is_none() {
        return ("unknown".into(), None, None);
    }
    ("failure".into(), code, reason)
}

fn ip_of(view: &View<'_>) -> Option<String> {
    view.first_text(&["ipAddress", "callerIpAddress"])
}

fn time_of(view: &View<'_>) -> String {
    view.first_text(&[
        "createdDateTime",
        "activityDateTime",
        "TimeGenerated",
        "time",
    ])
    .unwrap_or_default()
}

/// What a sign-in record says happened, whoever signed in.
struct Outcome {
    time: String,
    result: String,
    error_code: Option<String>,
    failure_reason: Option<String>,
    ip_address: Option<String>,
    source: SourceLocation,
}

fn match_signin(
    view: &View<'_>,
    category: &str,
    identities: &EmergencyIdentities,
    source: SourceLocation,
) -> Option<Event> {
    let app_id = view.text("appId");
    let key_id = view.text("servicePrincipalCredentialKeyId");
    let user_id = view.text("userId");
    let upn = view.text("userPrincipalName");
    let event_types = view
        .raw("signInEventTypes")
        .map(|v| v.to_string().to_ascii_lowercase())
        .unwrap_or_default();
    let service_principal = category.contains("serviceprincipal")
        || event_types.contains("serviceprincipal")
        || key_id.is_some()
        || view.has("servicePrincipalCredentialThumbprint")
        || (user_id.is_none() && upn.is_none());
    let (result, error_code, failure_reason) = signin_result(view);
    let outcome = Outcome {
        time: time_of(view),
        result,
        error_code,
        failure_reason,
        ip_address: ip_of(view),
        source,
    };
    if service_principal {
        service_principal_signin(view, identities, app_id, key_id, outcome)
    } else {
        user_signin(identities, app_id, user_id, upn, outcome)
    }
}

/// A sign-in of the emergency app, or with one of its credentials' key ids.
fn service_principal_signin(
    view: &View<'_>,
    identities: &EmergencyIdentities,
    app_id: Option<String>,
    key_id: Option<String>,
    outcome: Outcome,
) -> Option<Event> {
    let sp_id = view.text("servicePrincipalId");
    let app_matches = app_id.as_deref().is_some_and(|a| eq(a, &identities.app_id))
        || sp_id
            .as_deref()
            .is_some_and(|s| eq(s, &identities.service_principal_id));
    let key_label = key_id
        .as_deref()
        .and_then(|k| identities.label_of_key(k))
        .map(str::to_string);
    if !app_matches && key_label.is_none() {
        return None;
    }
    let key_text = key_id.clone().unwrap_or_default();
    let severity = identities.severity_of_key(&key_text);
    let app_name = view
        .text("servicePrincipalName")
        .or_else(|| view.text("appDisplayName"))
        .unwrap_or_else(|| "emergency app".to_string());
    let identity = match (&key_label, &key_id) {
        (Some(label), _) => format!("{app_name}, credential {label}"),
        (None, Some(key)) => format!("{app_name}, UNKNOWN credential {key}"),
        (None, None) => format!("{app_name}, no credential key id"),
    };
    Some(Event {
        time: outcome.time,
        kind: EventKind::ServicePrincipalSignIn,
        identity,
        app_id,
        user_principal_name: None,
        credential_key_id: key_id,
        credential_label: key_label,
        severity,
        result: outcome.result,
        error_code: outcome.error_code,
        failure_reason: outcome.failure_reason,
        ip_address: outcome.ip_address,
        activity: None,
        source: outcome.source,
    })
}

/// A sign-in of an emergency user, or of anyone into the emergency app.
fn user_signin(
    identities: &EmergencyIdentities,
    app_id: Option<String>,
    user_id: Option<String>,
    upn: Option<String>,
    outcome: Outcome,
) -> Option<Event> {
    let user = identities.users.iter().find(|u| {
        user_id.as_deref().is_some_and(|id| eq(id, &u.id))
            || upn
                .as_deref()
                .is_some_and(|n| eq(n, &u.user_principal_name))
    });
    let app_matches = app_id.as_deref().is_some_and(|a| eq(a, &identities.app_id));
    if user.is_none() && !app_matches {
        return None;
    }
    let name = upn
        .or_else(|| user.map(|u| u.user_principal_name.clone()))
        .filter(|n| !n.is_empty())
        .or(user_id)
        .unwrap_or_default();
    let identity = if user.is_some() {
        name.clone()
    } else {
        format!("{name} into the emergency app")
    };
    Some(Event {
        time: outcome.time,
        kind: EventKind::UserSignIn,
        identity,
        app_id,
        user_principal_name: Some(name),
        credential_key_id: None,
        credential_label: None,
        severity: Severity::Critical,
        result: outcome.result,
        error_code: outcome.error_code,
        failure_reason: outcome.failure_reason,
        ip_address: outcome.ip_address,
        activity: None,
        source: outcome.source,
    })
}

fn match_audit(
    view: &View<'_>,
    identities: &EmergencyIdentities,
    mentioned: Option<&str>,
    source: SourceLocation,
) -> Option<Event> {
    let activity = view.first_text(&["activityDisplayName", "OperationName", "operationName"]);
    let mut who: Option<String> = None;
    if let Some(Value::Array(targets)) = view.object("targetResources") {
        for target in &targets {
            let id = path_text(target, &["id"]).unwrap_or_default();
            let upn = path_text(target, &["userPrincipalName"]).unwrap_or_default();
            if let Some(name) = identities
                .describe(&id)
                .or_else(|| identities.describe(&upn))
            {
                who = Some(name);
                break;
            }
        }
    }
    let initiated = view.object("initiatedBy");
    let mut actor: Option<String> = None;
    if let Some(init) = &initiated {
        for path in [
            &["app", "appId"][..],
            &["app", "servicePrincipalId"][..],
            &["user", "id"][..],
            &["user", "userPrincipalName"][..],
        ] {
            if let Some(name) = path_text(init, path).and_then(|id| identities.describe(&id)) {
                actor = Some(name);
                break;
            }
        }
    }
    let identity = match (&who, &actor, mentioned) {
        (Some(target), Some(by), _) => format!("{target} (by {by})"),
        (Some(target), None, _) => target.clone(),
        (None, Some(by), _) => format!("by {by}"),
        (None, None, Some(needle)) => {
            let name = identities
                .describe(needle)
                .unwrap_or_else(|| needle.to_string());
            format!("mentions {name}")
        }
        (None, None, None) => return None,
    };
    let result_text = view
        .first_text(&["result", "Result"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    let result = match result_text.as_str() {
        "success" | "0" => "success",
        "" => "unknown",
        _ => "failure",
    }
    .to_string();
    let failure_reason = if result == "failure" {
        view.first_text(&["resultReason", "ResultReason", "ResultDescription"])
    } else {
        None
    };
    let ip_address = initiated
        .as_ref()
        .and_then(|i| path_text(i, &["user", "ipAddress"]))
        .or_else(|| ip_of(view));
    let lowered = activity.clone().unwrap_or_default().to_ascii_lowercase();
    let role_lost = activity.as_deref().and_then(role_change) == Some(RoleChange::Removed);
    let federated = lowered == "update application"
        && view.object("targetResources").is_some_and(|targets| {
            targets
                .to_string()
                .to_ascii_lowercase()
                .contains(&FEDERATED_CREDENTIALS_PROPERTY.to_ascii_lowercase())
        });
    let severity = if lowered.contains("credential")
        || lowered.contains("certificates and secrets")
        || role_lost
        || federated
        || lowered.contains("conditional access")
    {
        Severity::Critical
    } else {
        Severity::High
    };
    Some(Event {
        time: time_of(view),
        kind: EventKind::AuditChange,
        identity,
        app_id: None,
        user_principal_name: None,
        credential_key_id: None,
        credential_label: None,
        severity,
        result: result.clone(),
        error_code: if result == "failure" {
            Some(result_text)
        } else {
            None
        },
        failure_reason,
        ip_address,
        activity,
        source,
    })
}
