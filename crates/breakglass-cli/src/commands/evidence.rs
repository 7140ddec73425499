//! `breakglass evidence --out DIR`: the files an auditor asks for, with a manifest of their
//! SHA-256 (the writing is `breakglass_ops::evidence`).

use std::path::PathBuf;

use breakglass_ops::evidence::{EvidenceFile, is_zip, write_pack, write_pack_zip};
use breakglass_ops::monitor::arm::{self, WorkspaceId};

use super::audit::{AuditArgs, AuditInputs, AuditReport, run_audit};
use crate::context::CommandHelper;
use crate::error::{CommandError, internal_error};
use crate::output::{Report, table};
use crate::session::OperatorArgs;
use crate::ui::Ui;

/// Gathers the evidence of the emergency access into one folder (or one .zip archive): the audit (JSON, HTML and
/// SARIF), the last drill record (JSON and Markdown), breakglass.toml (it holds no secret),
/// the monitored identities and, with `--workspace`, the alert rules' status; and
/// `manifest.json` and `SHA256SUMS` with each file's SHA-256 (`sha256sum -c SHA256SUMS`
/// checks them). What is missing is named in the manifest.
///
/// Run it after each drill and after each use of the emergency access, and hand the folder
/// to whoever reviews it (Microsoft's guidance asks for a review after every use).
///
/// With `--tenants`, a subfolder per tenant (named after it) holding that tenant's pack, and
/// at the top `summary.html`, `summary.json` and one `SHA256SUMS` and `manifest.json` of every
/// file; a tenant that could not be read has its row and reason, and no subfolder.
#[derive(Clone, Debug, clap::Args)]
pub struct EvidenceArgs {
    /// The folder to write (created when missing; files of the same name are replaced), or a
    /// path ending in .zip for one archive of the same files (mode 0600, written atomically;
    /// an archive already there is replaced).
    #[arg(long, value_name = "DIR|FILE.zip")]
    pub out: PathBuf,
    /// Also record the alert rules' status on this Log Analytics workspace (resource id).
    #[arg(long, value_name = "RESOURCE_ID")]
    pub workspace: Option<String>,
    /// With `--workspace`, the Microsoft Sentinel analytic rules too.
    #[arg(long, requires = "workspace")]
    pub sentinel: bool,
    #[command(flatten)]
    pub inputs: AuditInputs,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

pub(crate) fn json(value: &impl serde::Serialize) -> Result<Vec<u8>, CommandError> {
    serde_json::to_vec_pretty(value).map_err(|e| internal_error(format!("cannot encode: {e}")))
}

pub(crate) fn file(name: &str, what: &str, contents: Vec<u8>) -> EvidenceFile {
    EvidenceFile {
        name: name.into(),
        what: what.into(),
        contents,
    }
}

/// What `evidence` gathers of one tenant, before it is written.
pub struct Gathered {
    /// The audit, as `audit.json` holds it.
    pub audit: AuditReport,
    pub files: Vec<EvidenceFile>,
    /// What is not in the pack, and why.
    pub missing: Vec<String>,
}

/// Reads the tenant and this machine's files into the pack's contents; writes nothing.
pub async fn gather(helper: &CommandHelper, args: &EvidenceArgs) -> Result<Gathered, CommandError> {
    let audit_args = AuditArgs {
        fail_on: "never".into(),
        findings_only: false,
        azure: false,
        inputs: args.inputs.clone(),
        format: None,
        out: None,
        operator: args.operator.clone(),
    };
    let report = run_audit(helper, &audit_args).await?;
    let mut files = vec![
        file(
            "audit.json",
            "the audit, as `breakglass audit --output json`",
            json(&report)?,
        ),
        file(
            "audit.html",
            "the audit as a page for people",
            report.html().into_bytes(),
        ),
        file(
            "audit.sarif",
            "the audit as SARIF 2.1.0",
            report.sarif(&args.inputs.config)?.into_bytes(),
        ),
    ];
    let mut missing = Vec::new();
    let config_text = std::fs::read(&args.inputs.config).map_err(|e| {
        crate::error::config_error(format!("cannot read {}: {e}", args.inputs.config.display()))
    })?;
    files.push(file(
        "breakglass.toml",
        "the declared emergency access (no secrets)",
        config_text,
    ));
    let drills = super::audit::drills_folder(&args.inputs);
    let records = breakglass_ops::drill::record::read_all(helper.ui(), &drills)?;
    match records.iter().max_by_key(|r| r.started) {
        Some(last) => {
            files.push(file(
                "last-drill.json",
                "the last drill record",
                json(last)?,
            ));
            files.push(file(
                "last-drill.md",
                "the last drill record, for people",
                breakglass_ops::drill::record::markdown(last).into_bytes(),
            ));
        }
        None => missing.push(format!(
            "no drill record in {}: run `breakglass drill`",
            drills.display()
        )),
    }
    let config = breakglass_ops::provision::load_config(&args.inputs.config)?;
    let session = helper.sign_in_for(&args.operator, &config).await?;
    let identities = breakglass_ops::monitor::identities::gather(&session, &config).await?;
    files.push(file(
        "monitor-identities.json",
        "every id the alert rules match",
        json(&identities)?,
    ));
    match &args.workspace {
        Some(workspace) => {
            let workspace = WorkspaceId::parse(workspace)?;
            let operator = crate::context::operator_for(&args.operator, &config)?;
            let arm_client = crate::monitor::arm_sign_in(helper, &operator).await?;
            let statuses = arm::status(&arm_client, &workspace, &identities, args.sentinel).await?;
            files.push(file(
                "rules-status.json",
                "the deployed alert rules, as read",
                json(&statuses)?,
            ));
        }
        None => missing.push("the alert rules' status: pass `--workspace RESOURCE_ID`".into()),
    }
    Ok(Gathered {
        audit: report,
        files,
        missing,
    })
}

pub async fn cmd_evidence(helper: &CommandHelper, args: &EvidenceArgs) -> Result<(), CommandError> {
    let Gathered {
        audit,
        files,
        missing,
    } = gather(helper, args).await?;
    let (manifest, path) = if is_zip(&args.out) {
        write_pack_zip(&args.out, &audit.tenant_id, files, missing)?
    } else {
        write_pack(&args.out, &audit.tenant_id, files, missing)?
    };
    for note in &manifest.missing {
        helper.ui().warn(format!("not in the pack: {note}"));
    }
    helper.ui().status(format!(
        "wrote {} files and their SHA-256 to {}",
        manifest.files.len(),
        path.display()
    ));
    helper.ui().emit(&Pack(manifest))
}

/// The manifest, as `evidence` reports it.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub(crate) struct Pack(pub breakglass_ops::evidence::Manifest);

impl Report for Pack {
    fn human(&self, ui: &Ui) -> String {
        let mut rows = table(ui, &["file", "what", "sha-256"]);
        for entry in &self.0.files {
            rows.add_row(vec![
                entry.name.clone(),
                entry.what.clone(),
                entry.sha256.clone(),
            ]);
        }
        rows.to_string()
    }
}
