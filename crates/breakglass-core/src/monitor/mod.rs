//! Alert rules for the emergency access identities: which events matter, as KQL queries over
//! the Microsoft Entra tables of a Log Analytics workspace, rendered as plain `.kql` files,
//! Microsoft Sentinel analytic rule templates, or an Azure Monitor ARM or Bicep template.
//!
//! Nothing here does I/O: [`EmergencyIdentities`] go in, named file texts come out. Every
//! detection has a stable slug and a stable id (a UUID v5 of the tenant id and the slug), so
//! generating the rules again for the same identities changes nothing, and redeploying them
//! updates the rules in place instead of adding copies.

mod queries;
pub mod render;
pub mod yaml;

use serde::Serialize;
use uuid::Uuid;

use crate::identities::{EmergencyIdentities, Severity};

pub use queries::{
    CREDENTIAL_ACTIVITIES, FEDERATED_CREDENTIALS_PROPERTY, ROLE_ADDED_ACTIVITIES,
    ROLE_REMOVED_ACTIVITIES, RoleChange, TEMPORARY_USER_ALIAS_PREFIX,
    USER_AUTHENTICATION_ACTIVITIES, USER_LIFECYCLE_ACTIVITIES, names_temporary_admin, role_change,
};

/// The namespace of breakglass's rule ids (UUID v5). Never change it: every deployed rule's
/// id derives from it.
pub const RULE_NAMESPACE: Uuid = Uuid::from_u128(0xd1ad7bf2_efe4_4ad4_81dd_33c4cd024a4f);

/// The version written into every rule (Sentinel `version`, ARM tags).
pub const RULE_VERSION: &str = "1.0.0";

/// The stable id of a detection in a tenant.
pub fn rule_id(tenant_id: &str, slug: &str) -> Uuid {
    let name = format!(
        "breakglass/{}/{}",
        tenant_id.trim().to_ascii_lowercase(),
        slug
    );
    Uuid::new_v5(&RULE_NAMESPACE, name.as_bytes())
}

/// How a rule runs in Sentinel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleKind {
    /// Near-real-time: every minute, on what arrived since the last run.
    Nrt,
    /// Every `frequency_minutes`, over the last `period_minutes`.
    Scheduled {
        frequency_minutes: u32,
        period_minutes: u32,
    },
}

/// One Sentinel entity: which result columns identify it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityMapping {
    /// `Account`, `IP` or `CloudApplication`.
    pub entity_type: &'static str,
    /// (identifier, column) pairs, e.g. (`AadUserId`, `UserId`).
    pub fields: Vec<(&'static str, &'static str)>,
}

/// One detection: a concern, the query that finds it, and how loud it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detection {
    /// Stable, file-name safe, e.g. `app-sign-in-critical`.
    pub slug: &'static str,
    /// Stable display name.
    pub name: &'static str,
    /// What it detects, in a few sentences.
    pub description: String,
    /// Why it matters, for the reader of the rule.
    pub why: &'static str,
    pub severity: Severity,
    /// The Log Analytics tables the query reads.
    pub tables: &'static [&'static str],
    pub kind: RuleKind,
    /// MITRE ATT&CK tactics, in Sentinel's spelling.
    pub tactics: &'static [&'static str],
    /// MITRE ATT&CK techniques, e.g. `T1078.004`.
    pub techniques: &'static [&'static str],
    /// The KQL query; every result row is an alert.
    pub query: String,
    pub entities: Vec<EntityMapping>,
    /// (Sentinel custom detail key, result column).
    pub custom_details: Vec<(&'static str, &'static str)>,
    /// Sentinel alert name with `{{Column}}` placeholders.
    pub alert_name: &'static str,
    /// Sentinel alert description with `{{Column}}` placeholders.
    pub alert_description: &'static str,
    /// Columns Azure Monitor splits alerts by.
    pub dimensions: &'static [&'static str],
}

impl Detection {
    /// The stable id of this detection in `tenant_id`.
    pub fn id(&self, tenant_id: &str) -> Uuid {
        rule_id(tenant_id, self.slug)
    }
}

/// Every detection, in a fixed order, for these identities.
pub fn detections(identities: &EmergencyIdentities) -> Vec<Detection> {
    queries::all(identities)
}

/// The severity a Sentinel rule gets: Sentinel has no "Critical", so critical is High and the
/// criticality goes into the alert's name and custom details.
pub fn sentinel_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Informational",
    }
}

/// The Azure Monitor alert severity: 0 (Critical) to 4 (Verbose).
pub fn azure_monitor_severity(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
    }
}

/// The lower-case name of a severity, as the queries' `Criticality` column holds it.
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "informational",
    }
}

/// The formats rules are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleFormat {
    /// One `.kql` file per detection, with a comment header.
    Kql,
    /// One Sentinel analytic rule template (`.yaml`) per detection.
    Sentinel,
    /// One ARM template with an Azure Monitor log alert per detection and an action group.
    Arm,
    /// The same template in Bicep.
    Bicep,
}

impl RuleFormat {
    pub const ALL: [RuleFormat; 4] = [
        RuleFormat::Kql,
        RuleFormat::Sentinel,
        RuleFormat::Arm,
        RuleFormat::Bicep,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RuleFormat::Kql => "kql",
            RuleFormat::Sentinel => "sentinel",
            RuleFormat::Arm => "arm",
            RuleFormat::Bicep => "bicep",
        }
    }
}

/// A generated file: a name (no folders) and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleFile {
    pub name: String,
    pub text: String,
}

/// Why rules cannot be generated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MonitorError {
    #[error("the emergency identities have no tenant id, which every rule id derives from")]
    NoTenant,
    #[error("the emergency identities have no emergency app (app id and service principal id)")]
    NoApp,
}

impl MonitorError {
    pub fn hint(&self) -> &'static str {
        match self {
            MonitorError::NoTenant => {
                "gather the identities again with `breakglass monitor identities --out FILE`"
            }
            MonitorError::NoApp => {
                "run `breakglass apply` to create the emergency app, then gather the identities again"
            }
        }
    }
}

/// Renders every detection in `format`.
pub fn generate(
    identities: &EmergencyIdentities,
    format: RuleFormat,
) -> Result<Vec<RuleFile>, MonitorError> {
    if identities.tenant_id.trim().is_empty() {
        return Err(MonitorError::NoTenant);
    }
    if identities.app_id.trim().is_empty() && identities.service_principal_id.trim().is_empty() {
        return Err(MonitorError::NoApp);
    }
    let detections = detections(identities);
    let tenant = identities.tenant_id.as_str();
    Ok(match format {
        RuleFormat::Kql => detections
            .iter()
            .map(|d| RuleFile {
                name: format!("{}.kql", d.slug),
                text: render::kql_file(d, tenant),
            })
            .collect(),
        RuleFormat::Sentinel => detections
            .iter()
            .map(|d| RuleFile {
                name: format!("{}.yaml", d.slug),
                text: render::sentinel_yaml(d, tenant),
            })
            .collect(),
        RuleFormat::Arm => vec![RuleFile {
            name: render::TEMPLATE_NAME.to_string() + ".json",
            text: render::arm_template(&detections, tenant),
        }],
        RuleFormat::Bicep => vec![RuleFile {
            name: render::TEMPLATE_NAME.to_string() + ".bicep",
            text: render::bicep_template(&detections, tenant),
        }],
    })
}

#[cfg(test)]
mod tests;
