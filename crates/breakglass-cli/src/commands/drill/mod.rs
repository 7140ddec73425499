//! `breakglass drill`: proves that emergency access works, records the proof, and says when
//! the next drill is due.
//!
//! [`run`] makes the checks, [`record`] writes and reads the records, [`history`] reads them
//! back into each credential's and user's standing. The rules that score each finding are
//! in `breakglass_core::drill`.

use std::path::PathBuf;

use breakglass_core::drill::{DEFAULT_MIN_DAYS, DEFAULT_WARN_DAYS};

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::provision::ConfigArgs;
use crate::session::OperatorArgs;

pub mod history;
pub mod run;

/// Proves the emergency access works, without using it for anything else, and records it.
///
/// For each credential in breakglass.toml: a token with it (client credentials), a Microsoft
/// Graph read with that token (GET /organization), the directory role in effect (the token's
/// `wids`; with `graph_permissions`, its `roles`), the credential's end date, and that the
/// sign-in shows up in the service principal sign-in logs (Graph beta; v1.0 has no service
/// principal sign-ins), where alerts fire. KeePass credentials are proven directly; sheet and
/// share credentials need `--sheet` or `--shares`, else they are reported as not proven.
///
/// For each emergency user, what can be proven without its owner: enabled, Global
/// Administrator active at tenant scope, a phishing-resistant method registered, a member of
/// the exclusion group, excluded from every enabled Conditional Access policy that targets
/// it, and its last sign-in.
///
/// The record (drill-<UTC time>.json and .md, no secrets) goes to `--out`. Microsoft asks
/// for validation at least every 90 days: the record and `--history` say when the next
/// drill is due. Exit 8 when a check failed (or, with `--strict`, warned); `--history`
/// exits 9 when a drill is overdue.
#[derive(Clone, Debug, clap::Args)]
pub struct DrillArgs {
    /// Prove a sheet-held credential with the recovery sheet's QR code text: `LABEL=FILE`
    /// (the label may be left out when only one credential is kept on a sheet). Repeatable.
    #[arg(long, value_name = "[LABEL=]FILE")]
    pub sheet: Vec<String>,

    /// Prove a share-held credential with k custodians' share texts:
    /// `LABEL=FILE,FILE,FILE` (the label may be left out when only one credential is kept
    /// in shares), e.g. `--shares offline=a.txt,b.txt,c.txt`. Repeatable.
    #[arg(long, value_name = "[LABEL=]FILE,FILE,…")]
    pub shares: Vec<String>,

    /// A credential expiring within this many days fails the drill.
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_MIN_DAYS)]
    pub min_days: i64,

    /// A credential expiring within this many days is a warning.
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_WARN_DAYS)]
    pub warn_days: i64,

    /// How long to wait for the drill's sign-ins to show up in the sign-in logs (e.g. 300s,
    /// 5m; 0 looks once). Entra takes minutes to write them.
    #[arg(long, value_name = "DURATION", default_value = "300s")]
    pub log_wait: String,

    /// Warnings fail the drill too (exit 8).
    #[arg(long)]
    pub strict: bool,

    /// What this run records: a planned drill, an emergency use (the access was needed), or a
    /// misuse (someone used it who should not have); each is kept for its review.
    #[arg(long, value_enum, value_name = "KIND", default_value = "drill")]
    pub kind: UseKindArg,

    /// Why, in your words (an incident or change number), kept in the record.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,

    /// Print the record as one self-contained HTML page (no script, font or request) instead
    /// of the table or `--output json`; the JSON and Markdown records are written as ever.
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with = "history")]
    pub format: Option<PageFormat>,

    /// The folder for the drill records. Default: `drills` next to breakglass.toml.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Show when each credential and user was last proven and when the next drill is due,
    /// from the records in DIR (default: the `--out` folder), without contacting the
    /// tenant. Exits 9 when a drill is overdue.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    #[allow(clippy::option_option)]
    pub history: Option<Option<PathBuf>>,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum PageFormat {
    /// A page for people, readable on a phone and printable to PDF.
    Html,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum UseKindArg {
    Drill,
    Emergency,
    Misuse,
}

impl From<UseKindArg> for breakglass_core::drill::UseKind {
    fn from(kind: UseKindArg) -> Self {
        match kind {
            UseKindArg::Drill => Self::Drill,
            UseKindArg::Emergency => Self::Emergency,
            UseKindArg::Misuse => Self::Misuse,
        }
    }
}

pub async fn cmd_drill(helper: &CommandHelper, args: &DrillArgs) -> Result<(), CommandError> {
    match &args.history {
        Some(dir) => history::cmd_history(helper, args, dir.as_deref()),
        None => run::cmd_run(helper, args).await,
    }
}

/// The records folder: `--out`, else `drills` next to breakglass.toml.
pub fn records_folder(args: &DrillArgs) -> PathBuf {
    if let Some(out) = &args.out {
        return out.clone();
    }
    args.config
        .config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.join("drills"))
        .unwrap_or_else(|| PathBuf::from("drills"))
}
