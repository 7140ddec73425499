//! `breakglass audit`: the tenant's emergency access posture, and every way someone could
//! take the emergency app over, as findings with a severity, the evidence and a hint.
//!
//! `breakglass_ops::audit` reads the tenant into a snapshot; the rules are in
//! `breakglass_core::audit`; this file is the flags, the report and exit 12.

use std::path::{Path, PathBuf};

use breakglass_core::audit::{self, Counts, Finding, Outcome, Severity};
use breakglass_core::config::Config;
use jiff::Timestamp;
use secrecy::SecretString;
use serde::Serialize;

use crate::context::CommandHelper;
use crate::error::{CommandError, ErrorKind, config_error, usage_error};
use crate::output::{Report, table};
use crate::provision::KEEPASS_PASSWORD_ENV;
use crate::session::OperatorArgs;
use crate::ui::Ui;
use breakglass_ops::Progress as _;
use breakglass_ops::audit as audit_reader;
use breakglass_ops::drill::record;
use breakglass_ops::provision::vault::{KeePassPassword, LocalVault};

/// Checks the tenant's emergency access against Microsoft's guidance and lists every way
/// someone could take the emergency app over. Changes nothing.
///
/// Takeover paths: owners of the app or its service principal, credentials breakglass did
/// not make (any credential on the service principal object), the credential lock, the
/// sign-in audience, Application / Cloud Application Administrators (tenant-wide or scoped
/// to the app, active or PIM-eligible), Hybrid Identity Administrators (may make themselves
/// owners), Global and Privileged Role Administrators, and service principals holding
/// Microsoft Graph application permissions that reach the app. Then Conditional Access for
/// workload identities that can block the app, the emergency users (cloud-only, on the
/// initial *.onmicrosoft.com domain, enabled, permanent active role, excluded from
/// Conditional Access, a phishing-resistant method), the number of Global Administrators
/// and the last drill recorded on this machine.
///
/// Exits 12 when a finding at or above `--fail-on` exists, or a check could not be made
/// because the operator lacks a permission (the finding names it).
#[derive(Clone, Debug, clap::Args)]
pub struct AuditArgs {
    /// The lowest severity that makes the audit exit 12: critical, high, medium, low or
    /// info; `never` exits 0 whatever is found.
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,

    /// Leave the passes out of the table (`--output json` always lists every result).
    #[arg(long)]
    pub findings_only: bool,

    #[command(flatten)]
    pub inputs: AuditInputs,

    /// Report as SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning accepts it), or
    /// as one HTML page for people, instead of the table or `--output json`.
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub format: Option<ReportFormat>,

    /// Also read Azure role assignments at the root scope (/) and on the tenant root management
    /// group through Azure Resource Manager (read-only; signs in to it as the operator): who
    /// keeps standing User Access Administrator or Owner at /, which Global Administrators
    /// could elevate, and whether the emergency identities keep a way onto the root. Needs a
    /// role on the root management group, e.g. Reader; without one both checks are not checked.
    #[arg(long)]
    pub azure: bool,

    /// Write the `--format` report to this file (mode 0600, replaced atomically) instead of
    /// stdout.
    #[arg(long, value_name = "FILE", requires = "format")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

/// What the audit reads besides the tenant: breakglass.toml, the drill records and the
/// KeePass password. `evidence` reads the same.
#[derive(Clone, Debug, clap::Args)]
pub struct AuditInputs {
    /// The folder of drill records, for the last-drill check. Default: `drills` next to
    /// breakglass.toml.
    #[arg(long, value_name = "DIR")]
    pub drills: Option<PathBuf>,

    /// A file whose first line is the KeePass master password, to compare the app's key ids
    /// with the stores. Without it, BREAKGLASS_KEEPASS_PASSWORD is used; the audit never
    /// prompts, and without either it compares display names only (an info finding says so).
    #[arg(long, value_name = "PATH", help_heading = "Configuration")]
    pub keepass_password_file: Option<PathBuf>,

    /// The configuration file (credential labels, the users' role).
    #[arg(
        long,
        env = "BREAKGLASS_CONFIG",
        value_name = "PATH",
        default_value = "breakglass.toml",
        help_heading = "Configuration"
    )]
    pub config: PathBuf,
}

/// The report formats for other tools and other people.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ReportFormat {
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// One self-contained HTML page (no script, font or request), readable on a phone and
    /// printable to PDF. With `--tenants`, a summary with a row per tenant, then each
    /// tenant's audit.
    Html,
    /// The same document as `--output json`, for writing to `--out`.
    Json,
}

/// What `audit` reports.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub tenant_id: String,
    pub audited_at: Timestamp,
    /// `--fail-on`, or `never`.
    pub fail_on: String,
    pub failed: bool,
    pub counts: Counts,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    findings_only: bool,
    /// The newest drill record's start on this machine, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_drill: Option<Timestamp>,
}

impl AuditReport {
    fn html_audit(&self) -> audit::html::HtmlAudit<'_> {
        audit::html::HtmlAudit {
            tenant_id: &self.tenant_id,
            audited_at: self.audited_at,
            fail_on: &self.fail_on,
            failed: self.failed,
            tool_version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The report as one HTML page for people.
    pub fn html(&self) -> String {
        audit::html::html(&self.html_audit(), &self.findings)
    }

    /// The report's part of a page across tenants: everything but the page and the heading.
    pub fn html_body(&self) -> String {
        audit::html::body(&self.html_audit(), &self.findings)
    }

    /// The report as SARIF, its results located at `config` (the file the audit judged).
    pub fn sarif(&self, config: &Path) -> Result<String, CommandError> {
        // SARIF locations are URIs: a relative path as given, else a file: URL.
        let config_uri = match url::Url::from_file_path(config) {
            Ok(url) => url.to_string(),
            Err(()) => config.display().to_string(),
        };
        let run = audit::sarif::SarifRun {
            tenant_id: &self.tenant_id,
            audited_at: self.audited_at,
            tool_version: env!("CARGO_PKG_VERSION"),
            config_path: &config_uri,
        };
        serde_json::to_string_pretty(&audit::sarif::sarif(&run, &self.findings))
            .map_err(|e| crate::error::internal_error(format!("cannot encode SARIF: {e}")))
    }
}

fn result_label(f: &Finding) -> String {
    match (f.status, f.severity) {
        (Outcome::Pass, _) => "ok".into(),
        (Outcome::NotChecked, _) => "NOT CHECKED".into(),
        (Outcome::Finding, Some(s)) if s >= Severity::High => s.label().to_uppercase(),
        (Outcome::Finding, Some(s)) => s.label().into(),
        (Outcome::Finding, None) => "finding".into(),
    }
}

impl Report for AuditReport {
    fn human(&self, ui: &Ui) -> String {
        let mut out = format!(
            "Emergency access audit of tenant {} at {}:\n",
            self.tenant_id,
            self.audited_at.strftime("%Y-%m-%d %H:%M UTC")
        );
        let mut t = table(ui, &["SEVERITY", "CHECK", "FINDING", "HINT"]);
        for f in &self.findings {
            if self.findings_only && f.status == Outcome::Pass {
                continue;
            }
            let mut text = f.summary.clone();
            for e in &f.evidence {
                text.push_str(&format!("\n- {} ({})", e.name, e.id));
                if let Some(detail) = &e.detail {
                    text.push_str(&format!(": {detail}"));
                }
            }
            t.add_row(vec![
                result_label(f),
                f.check.name().to_string(),
                text,
                f.hint.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
        let c = &self.counts;
        out.push_str(&format!(
            "{} critical, {} high, {} medium, {} low, {} info; {} not checked; {} passed.\n",
            c.critical, c.high, c.medium, c.low, c.info, c.not_checked, c.passed
        ));
        if self.fail_on != "never" {
            out.push_str(&format!(
                "{} (fails on {} and above, and on checks not made).\n",
                if self.failed { "FAILED" } else { "Passed" },
                self.fail_on
            ));
        }
        out
    }
}

pub fn drills_folder(args: &AuditInputs) -> PathBuf {
    if let Some(dir) = &args.drills {
        return dir.clone();
    }
    args.config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.join("drills"))
        .unwrap_or_else(|| PathBuf::from("drills"))
}

/// The stores on this machine. The KeePass password comes from `--keepass-password-file` or
/// the environment only: an audit never prompts.
fn audit_vault(args: &AuditInputs, config: &Config) -> Result<LocalVault, CommandError> {
    let base = args
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let password = match &args.keepass_password_file {
        Some(file) => {
            let text = crate::provision::read_password_file(file)?;
            let line = text.lines().next().unwrap_or_default().to_string();
            if line.is_empty() {
                return Err(config_error(format!(
                    "the KeePass password file {} is empty",
                    file.display()
                ))
                .hinted("write the master password on its first line, or use BREAKGLASS_KEEPASS_PASSWORD"));
            }
            KeePassPassword::Given(SecretString::from(line))
        }
        None => match std::env::var(KEEPASS_PASSWORD_ENV) {
            Ok(value) if !value.is_empty() => KeePassPassword::Given(SecretString::from(value)),
            _ => KeePassPassword::Unavailable(format!(
                "no KeePass password given ({KEEPASS_PASSWORD_ENV} or --keepass-password-file)"
            )),
        },
    };
    Ok(LocalVault::new(config, &base, password))
}

/// Reads the tenant and judges it: the report `audit` prints, and `evidence` keeps.
pub async fn run_audit(
    helper: &CommandHelper,
    args: &AuditArgs,
) -> Result<AuditReport, CommandError> {
    let ui = helper.ui();
    let threshold = match args.fail_on.trim().to_ascii_lowercase().as_str() {
        "never" => None,
        other => Some(Severity::parse(other).ok_or_else(|| {
            usage_error(format!("`--fail-on {}` is not a severity", args.fail_on))
                .hinted("use critical, high, medium, low, info or never")
        })?),
    };
    // A token handed in is for Graph: refused before stdin is read and the tenant read.
    if args.azure && args.operator.auth == crate::session::AuthMethod::TokenStdin {
        return Err(breakglass_ops::monitor::arm::one_token_is_not_enough().into());
    }
    let config = breakglass_ops::provision::load_config(&args.inputs.config)?;
    let vault = audit_vault(&args.inputs, &config)?;
    let records = record::read_all(ui, &drills_folder(&args.inputs))?;
    let last_drill = records.iter().map(|r| r.started).max();
    let session = helper.sign_in_for(&args.operator, &config).await?;
    let tenant_id = session.token.claims()?.tid.clone().unwrap_or_default();
    let (mut snapshot, mut vault) =
        audit_reader::snapshot(ui, &session.graph, &config, vault, last_drill).await?;
    snapshot.store_problems =
        audit_reader::store_problems(&mut vault, &config, &snapshot, &tenant_id)?;
    if args.azure {
        let operator = crate::context::operator_for(&args.operator, &config)?;
        let arm = crate::monitor::arm_sign_in(helper, &operator).await?;
        let _busy = ui.busy("reading Azure role assignments at the root…");
        snapshot.azure = Some(audit_reader::azure_reach(&arm, &tenant_id).await?);
    }
    let findings = audit::audit(&snapshot);
    let failed = threshold.is_some_and(|t| audit::fails(&findings, t));
    let report = AuditReport {
        tenant_id,
        audited_at: snapshot.now,
        fail_on: threshold.map_or("never", Severity::label).to_string(),
        failed,
        counts: Counts::of(&findings),
        findings,
        findings_only: args.findings_only,
        last_drill,
    };
    Ok(report)
}

pub async fn cmd_audit(helper: &CommandHelper, args: &AuditArgs) -> Result<(), CommandError> {
    let ui = helper.ui();
    let report = run_audit(helper, args).await?;
    let failed = report.failed;
    let text = match args.format {
        None => None,
        Some(ReportFormat::Html) => Some(report.html()),
        Some(ReportFormat::Sarif) => Some(report.sarif(&args.inputs.config)?),
        Some(ReportFormat::Json) => Some(crate::output::json_text(&report)?),
    };
    match (text, &args.out) {
        (None, _) => ui.emit(&report)?,
        (Some(text), Some(path)) => {
            audit_reader::save_report(path, &text)?;
            ui.status(format!("wrote the report to {}", path.display()));
        }
        (Some(text), None) => ui.write_stdout(&text)?,
    }
    if failed {
        let c = &report.counts;
        return Err(CommandError::new(
            ErrorKind::AuditFindings,
            format!(
                "the audit found {} critical, {} high, {} medium and {} low finding(s), and {} check(s) could not be made",
                c.critical, c.high, c.medium, c.low, c.not_checked
            ),
        )
        .hinted(format!(
            "the table above names each finding's evidence and what to do; `--fail-on` ({}) sets the severity that fails",
            report.fail_on
        )));
    }
    Ok(())
}
