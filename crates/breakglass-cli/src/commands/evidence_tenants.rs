//! `breakglass --tenants FILE evidence --out DIR`: each tenant's evidence pack in a subfolder
//! named after the tenant, and at the top `summary.html` (a row per tenant, linking to its
//! audit.html), `summary.json`, and a `SHA256SUMS` and `manifest.json` of every file, so
//! `sha256sum -c SHA256SUMS` in DIR checks the whole pack. A tenant that could not be read has
//! its row and reason, and no subfolder; it never stops the others.

use std::path::Path;

use breakglass_core::audit::Counts;
use breakglass_core::tenants::summary_html::{ReportAt, safe_names};
use breakglass_core::tenants::{TenantStatus, overall};
use breakglass_ops::evidence::{
    EvidenceFile, TenantPack, is_zip, write_tenant_pack, write_tenants_top,
};
use breakglass_ops::tenants::TenantTarget;
use jiff::Timestamp;
use serde::Serialize;

use super::audit_tenants::AuditRow;
use super::evidence::{EvidenceArgs, Gathered, Pack, file, gather, json};
use super::tenants::{AcrossTenants, TenantOutcome, TenantsReport, across, verdict};
use super::tenants_html::summary_page;
use crate::context::CommandHelper;
use crate::error::{CommandError, usage_error};
use crate::output::Report;
use crate::ui::Ui;

/// One tenant's part of the pack, as `summary.json` and `--output json` give it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantEvidence {
    /// Its subfolder of `--out`.
    pub folder: String,
    /// Its audit's counts and last drill, for the summary row.
    pub counts: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_drill: Option<Timestamp>,
    pub manifest: breakglass_ops::evidence::Manifest,
    #[serde(skip)]
    row: AuditRow,
    #[serde(skip)]
    written: Vec<breakglass_ops::evidence::ManifestEntry>,
}

/// The summary's columns: the audit's (`AUDIT_COLUMNS`, whose cells `AuditRow` makes), then
/// how many files the tenant's folder holds.
const EVIDENCE_COLUMNS: &[&str] = &[
    "CRIT/HIGH/MED/LOW",
    "NOT CHECKED",
    "LAST DRILL",
    "NEXT DUE",
    "WORST FINDING",
    "FILES",
];

impl Report for TenantEvidence {
    fn human(&self, ui: &Ui) -> String {
        format!(
            "in {}/:\n{}",
            self.folder,
            Pack(self.manifest.clone()).human(ui)
        )
    }
}

impl AcrossTenants for TenantEvidence {
    const TITLE: &'static str = "Emergency access evidence";
    const COLUMNS: &'static [&'static str] = EVIDENCE_COLUMNS;
    /// The pack holds what was found, whatever it was: the audit's cells say how it went.
    const PASSED: &'static str = "written";

    fn passed(&self) -> bool {
        true
    }

    fn cells(&self) -> Vec<String> {
        let mut cells = self.row.cells();
        cells.push(self.manifest.files.len().to_string());
        cells
    }
}

fn refuse_one_tenant_flags(args: &EvidenceArgs) -> Result<(), CommandError> {
    if is_zip(&args.out) {
        return Err(usage_error(
            "with --tenants the evidence is a folder of folders, not one .zip",
        )
        .hinted("pass `--out DIR`, then archive the folder if one file is needed"));
    }
    if args.workspace.is_some() {
        return Err(
            usage_error("`--workspace` names one tenant's Log Analytics workspace")
                .hinted("run `breakglass evidence --workspace ID` for that tenant alone"),
        );
    }
    if args.inputs.drills.is_some() {
        return Err(usage_error("`--drills` names one tenant's drill records")
            .hinted("with --tenants each tenant's drills are read from `drills` next to its breakglass.toml"));
    }
    Ok(())
}

/// Gathers every tenant's evidence, `--concurrency` at once, then writes the pack.
pub async fn cmd_evidence_tenants(
    helper: &CommandHelper,
    args: &EvidenceArgs,
    tenants_file: &Path,
) -> Result<(), CommandError> {
    refuse_one_tenant_flags(args)?;
    let job = |tenant_helper: CommandHelper, target: TenantTarget| {
        let mut tenant_args = args.clone();
        tenant_args.operator.tenant = Some(target.tenant_id.to_string());
        tenant_args.inputs.config = target.config_path.clone();
        if target.keepass_password_file.is_some() {
            tenant_args.inputs.keepass_password_file = target.keepass_password_file.clone();
        }
        async move { gather(&tenant_helper, &tenant_args).await }
    };
    let concurrency = usize::from(helper.global().concurrency);
    let gathered = across(helper, tenants_file, job, |_| true, concurrency).await?;
    let outcomes = write_tenants(&args.out, gathered)?;
    let report = TenantsReport {
        overall: overall(outcomes.iter().map(|o| o.status)),
        tenants: outcomes,
    };
    let (manifest, path) = write_top(&args.out, &report)?;
    helper.ui().status(format!(
        "wrote {} files and their SHA-256 to {}",
        manifest.files.len(),
        path.display()
    ));
    helper.ui().emit(&report)?;
    verdict(&report.tenants)
}

/// Writes each read tenant's pack into its subfolder; the others keep their reason.
fn write_tenants(
    dir: &Path,
    gathered: Vec<TenantOutcome<Gathered>>,
) -> Result<Vec<TenantOutcome<TenantEvidence>>, CommandError> {
    let folders = safe_names(gathered.iter().map(|o| o.name.as_str()));
    let mut outcomes = Vec::with_capacity(gathered.len());
    for (outcome, folder) in gathered.into_iter().zip(folders) {
        let report = match outcome.report {
            Some(Gathered {
                audit,
                files,
                missing,
            }) => {
                let TenantPack {
                    folder,
                    manifest,
                    written,
                } = write_tenant_pack(dir, &folder, &audit.tenant_id, files, missing)?;
                let row = AuditRow::of(&audit);
                Some(TenantEvidence {
                    folder,
                    counts: audit.counts,
                    last_drill: audit.last_drill,
                    manifest,
                    row,
                    written,
                })
            }
            None => None,
        };
        outcomes.push(TenantOutcome {
            name: outcome.name,
            tenant_id: outcome.tenant_id,
            status: outcome.status,
            error: outcome.error,
            report,
        });
    }
    Ok(outcomes)
}

/// `summary.html`, `summary.json`, then the sums and manifest of everything.
fn write_top(
    dir: &Path,
    report: &TenantsReport<TenantEvidence>,
) -> Result<
    (
        breakglass_ops::evidence::TenantsManifest,
        std::path::PathBuf,
    ),
    CommandError,
> {
    // The same names as the folders: `safe_names` of the same list.
    let names = safe_names(report.tenants.iter().map(|o| o.name.as_str()));
    let page = summary_page(&report.tenants, &names, |tenant, _| {
        ReportAt::File(format!("{}/audit.html", tenant.folder))
    });
    let top: Vec<EvidenceFile> = vec![
        file(
            "summary.html",
            "a row per tenant, linking to its audit.html",
            page.into_bytes(),
        ),
        file(
            "summary.json",
            "every tenant's result and files, as `--output json`",
            json(report)?,
        ),
    ];
    let packs: Vec<TenantPack> = report
        .tenants
        .iter()
        .filter_map(|o| o.report.as_ref())
        .map(|r| TenantPack {
            folder: r.folder.clone(),
            manifest: r.manifest.clone(),
            written: r.written.clone(),
        })
        .collect();
    let missing = report
        .tenants
        .iter()
        .filter(|o| o.status == TenantStatus::Unreadable)
        .map(|o| {
            let why = o.error.as_ref().map_or("no report", |e| e.message.as_str());
            format!("{} ({}): not read: {why}", o.name, o.tenant_id)
        })
        .collect();
    write_tenants_top(dir, &packs, top, missing).map_err(CommandError::from)
}
