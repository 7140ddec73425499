//! `breakglass monitor rules`: alert rules for the emergency access identities.

use std::path::PathBuf;

use breakglass_core::monitor::{self, RuleFormat, RuleKind, sentinel_severity, severity_name};
use breakglass_store::{Overwrite, write_secret_file};
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, config_error};
use crate::output::{Report, table};
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;
use crate::ui::Ui;

/// The formats of `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// One .kql file per detection, with a comment header.
    Kql,
    /// One Microsoft Sentinel analytic rule template (.yaml) per detection.
    Sentinel,
    /// One ARM template: an Azure Monitor log alert per detection and an action group.
    Arm,
    /// The same template in Bicep.
    Bicep,
}

impl From<FormatArg> for RuleFormat {
    fn from(format: FormatArg) -> RuleFormat {
        match format {
            FormatArg::Kql => RuleFormat::Kql,
            FormatArg::Sentinel => RuleFormat::Sentinel,
            FormatArg::Arm => RuleFormat::Arm,
            FormatArg::Bicep => RuleFormat::Bicep,
        }
    }
}

/// Generates alert rules for every sign-in of the emergency app and users and every change
/// to them: KQL queries, Microsoft Sentinel analytic rules, or an Azure Monitor ARM or Bicep
/// template.
///
/// The ids come from the tenant (signing in as `plan` does) or from a file written by
/// `monitor identities --out FILE`. Each detection has a stable name and id (derived from
/// the tenant id and the detection), so generating again changes nothing and redeploying
/// updates rules in place. Without `--out`, the files are printed on stdout.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// The rule format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: FormatArg,
    /// Write the files into this folder (created when missing; files of the same name are
    /// replaced).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Read the identities from this JSON file instead of the tenant.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleRow {
    id: String,
    slug: &'static str,
    name: &'static str,
    severity: &'static str,
    sentinel_severity: &'static str,
    azure_monitor_severity: u8,
    kind: &'static str,
    tables: &'static [&'static str],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RulesReport {
    tenant_id: String,
    format: RuleFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    out: Option<PathBuf>,
    files: Vec<String>,
    rules: Vec<RuleRow>,
    /// The file texts, when no folder was given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contents: Vec<monitor::RuleFile>,
}

impl Report for RulesReport {
    fn human(&self, ui: &Ui) -> String {
        if self.out.is_none() {
            let mut out = String::new();
            for file in &self.contents {
                if self.contents.len() > 1 {
                    let comment = if file.name.ends_with(".yaml") {
                        "#"
                    } else {
                        "//"
                    };
                    out.push_str(&format!("{comment} ---- {} ----\n", file.name));
                }
                out.push_str(&file.text);
                if self.contents.len() > 1 {
                    out.push('\n');
                }
            }
            return out;
        }
        let mut rows = table(ui, &["detection", "severity", "kind", "tables"]);
        for rule in &self.rules {
            rows.add_row(vec![
                rule.name.trim_start_matches("breakglass: ").to_string(),
                rule.severity.to_string(),
                rule.kind.to_string(),
                rule.tables.join(", "),
            ]);
        }
        let folder = self
            .out
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        format!(
            "{rows}\n\n{} {} rule file(s) for tenant {} written to {folder}",
            self.files.len(),
            self.format_name(),
            self.tenant_id,
        )
    }
}

impl RulesReport {
    fn format_name(&self) -> &'static str {
        self.format.name()
    }
}

pub async fn cmd_rules(helper: &CommandHelper, args: &RulesArgs) -> Result<(), CommandError> {
    let identities = match &args.identities {
        Some(path) => breakglass_ops::monitor::identities::load(path)?,
        None => super::gather_signed_in(helper, &args.config, &args.operator).await?,
    };
    let format = RuleFormat::from(args.format);
    let files = monitor::generate(&identities, format)
        .map_err(|e| config_error(e.to_string()).hinted(e.hint()))?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|e| {
            config_error(format!("cannot create {}: {e}", dir.display()))
                .hinted("check that the parent folder exists and is writable by you")
        })?;
        for file in &files {
            write_secret_file(
                &dir.join(&file.name),
                file.text.as_bytes(),
                Overwrite::Replace,
            )
            .map_err(|e| {
                let hint = e.hint();
                config_error(e.to_string()).hinted(hint)
            })?;
        }
    }
    let rules = monitor::detections(&identities)
        .iter()
        .map(|d| RuleRow {
            id: d.id(&identities.tenant_id).to_string(),
            slug: d.slug,
            name: d.name,
            severity: severity_name(d.severity),
            sentinel_severity: sentinel_severity(d.severity),
            azure_monitor_severity: monitor::azure_monitor_severity(d.severity),
            kind: match d.kind {
                RuleKind::Nrt => "NRT",
                RuleKind::Scheduled { .. } => "Scheduled",
            },
            tables: d.tables,
        })
        .collect();
    let report = RulesReport {
        tenant_id: identities.tenant_id.clone(),
        format,
        out: args.out.clone(),
        files: files.iter().map(|f| f.name.clone()).collect(),
        rules,
        contents: if args.out.is_none() {
            files
        } else {
            Vec::new()
        },
    };
    helper.ui().emit(&report)
}
