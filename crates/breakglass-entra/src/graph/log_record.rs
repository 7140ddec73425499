//! A sign-in or directory audit record as Graph sent it, read leniently.
//!
//! The watcher keeps log records whole (the matcher of `scan` reads every property, as it
//! does in exported logs), so the few properties it needs itself are read here, where the
//! Graph schema's names live. A property that is missing or of another type reads as
//! absent: a log record is evidence, and one odd field must not hide the rest of it.

use jiff::Timestamp;
use serde_json::Value;

/// A borrowed view of one log record.
#[derive(Clone, Copy, Debug)]
pub struct LogRecord<'a>(pub &'a Value);

impl<'a> LogRecord<'a> {
    /// The record's Graph id, or "" when it has none.
    pub fn id(self) -> &'a str {
        self.text("id").unwrap_or_default()
    }

    /// When it happened: `createdDateTime` (sign-ins) or `activityDateTime` (audits).
    pub fn time(self) -> Option<Timestamp> {
        ["createdDateTime", "activityDateTime"]
            .into_iter()
            .find_map(|key| self.text(key))
            .and_then(|text| text.parse().ok())
    }

    /// A directory audit's `activityDisplayName`, trimmed.
    pub fn activity(self) -> Option<&'a str> {
        self.text("activityDisplayName").map(str::trim)
    }

    /// The `targetResources` as JSON text, for looking ids and markers up in.
    pub fn targets_text(self) -> Option<String> {
        self.0.get("targetResources").map(Value::to_string)
    }

    /// What a person knows the first target by: its UPN, display name or id, the first that
    /// is not empty.
    pub fn first_target_name(self) -> Option<&'a str> {
        let target = self.first_target()?;
        ["userPrincipalName", "displayName", "id"]
            .into_iter()
            .find_map(|key| {
                target
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
            })
    }

    /// The first target's display name, or its id when it has none.
    pub fn first_target_label(self) -> Option<&'a str> {
        let target = self.first_target()?;
        target
            .get("displayName")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .or_else(|| target.get("id").and_then(Value::as_str))
    }

    /// The old and the new values of the first target's modified properties, each joined
    /// with spaces. Graph sends them as JSON text; any other JSON is kept as its text.
    pub fn first_target_changes(self) -> Option<(String, String)> {
        let target = self.first_target()?;
        let mut old_values = String::new();
        let mut new_values = String::new();
        let properties = target
            .get("modifiedProperties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for property in properties {
            for (key, out) in [("oldValue", &mut old_values), ("newValue", &mut new_values)] {
                match property.get(key) {
                    Some(Value::String(text)) => out.push_str(text),
                    Some(Value::Null) | None => {}
                    Some(other) => out.push_str(&other.to_string()),
                }
                out.push(' ');
            }
        }
        Some((old_values, new_values))
    }

    /// The id Entra gives every record of one request, across the sign-in and audit logs.
    pub fn correlation_id(self) -> Option<&'a str> {
        self.text("correlationId").filter(|id| !id.is_empty())
    }

    /// A sign-in's user: its object id and UPN, each when the record has it.
    pub fn signed_in_user(self) -> (Option<&'a str>, Option<&'a str>) {
        let non_empty = |key| self.text(key).filter(|text| !text.is_empty());
        (non_empty("userId"), non_empty("userPrincipalName"))
    }

    /// A sign-in's service principal object id.
    pub fn service_principal_id(self) -> Option<&'a str> {
        self.text("servicePrincipalId").filter(|id| !id.is_empty())
    }

    /// Who made an audited change, for people: the user's UPN (or id), or the app's name
    /// (or application id, or service principal id).
    pub fn initiated_by(self) -> Option<&'a str> {
        let initiator = self.0.get("initiatedBy")?;
        [
            ("user", "userPrincipalName"),
            ("user", "id"),
            ("app", "displayName"),
            ("app", "appId"),
            ("app", "servicePrincipalId"),
        ]
        .into_iter()
        .find_map(|(who, key)| {
            initiator
                .get(who)?
                .get(key)?
                .as_str()
                .filter(|text| !text.is_empty())
        })
    }

    /// Each target's id and UPN (users have one), in the record's order.
    pub fn targets(self) -> Vec<(&'a str, Option<&'a str>)> {
        let Some(Value::Array(targets)) = self.0.get("targetResources") else {
            return Vec::new();
        };
        targets
            .iter()
            .filter_map(|target| {
                let id = target.get("id")?.as_str()?;
                let upn = target
                    .get("userPrincipalName")
                    .and_then(Value::as_str)
                    .filter(|upn| !upn.is_empty());
                Some((id, upn))
            })
            .collect()
    }

    fn first_target(self) -> Option<&'a Value> {
        self.0.get("targetResources")?.get(0)
    }

    fn text(self, key: &str) -> Option<&'a str> {
        self.0.get(key).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_audit_record_reads_its_activity_target_and_changes() {
        let record = json!({
            "id": "a1",
            "activityDateTime": "2026-12-04T10:00:00Z",
            "activityDisplayName": " Update conditional access policy ",
            "targetResources": [{
                "id": "p1",
                "displayName": "",
                "modifiedProperties": [
                    {"oldValue": "[\"g1\"]", "newValue": null},
                    {"oldValue": {"odd": true}, "newValue": "[]"}
                ]
            }]
        });
        let view = LogRecord(&record);
        assert_eq!(view.id(), "a1");
        assert_eq!(view.time(), Some("2026-12-04T10:00:00Z".parse().unwrap()));
        assert_eq!(view.activity(), Some("Update conditional access policy"));
        assert_eq!(view.first_target_label(), Some("p1"));
        assert_eq!(view.first_target_name(), Some("p1"));
        let (old, new) = view.first_target_changes().unwrap();
        assert_eq!(old, "[\"g1\"] {\"odd\":true} ");
        assert_eq!(new, " [] ");
    }

    #[test]
    fn a_record_of_the_wrong_shape_reads_as_absent() {
        let record = json!({"id": 7, "createdDateTime": "yesterday", "targetResources": "x"});
        let view = LogRecord(&record);
        assert_eq!(view.id(), "");
        assert_eq!(view.time(), None);
        assert_eq!(view.activity(), None);
        assert_eq!(view.first_target_name(), None);
        assert_eq!(view.first_target_changes(), None);
    }

    #[test]
    fn who_did_it_and_to_whom_is_read_from_either_log() {
        let audit = json!({
            "id": "a1", "correlationId": "c1",
            "initiatedBy": {"user": null, "app": {"displayName": "", "appId": "app-1"}},
            "targetResources": [{"id": "u1", "userPrincipalName": "a@x"}, {"id": 3}, {"id": "g1"}]
        });
        let view = LogRecord(&audit);
        assert_eq!(view.correlation_id(), Some("c1"));
        assert_eq!(view.initiated_by(), Some("app-1"));
        assert_eq!(view.targets(), vec![("u1", Some("a@x")), ("g1", None)]);

        let sign_in = json!({"userId": "u1", "userPrincipalName": "", "servicePrincipalId": "sp"});
        let view = LogRecord(&sign_in);
        assert_eq!(view.signed_in_user(), (Some("u1"), None));
        assert_eq!(view.service_principal_id(), Some("sp"));
        assert_eq!(view.correlation_id(), None);
        assert_eq!(view.initiated_by(), None);
    }

    #[test]
    fn a_sign_in_is_timed_by_its_creation() {
        let record = json!({"id": "s1", "createdDateTime": "2026-12-04T10:00:00Z"});
        assert!(LogRecord(&record).time().is_some());
    }
}
