//! Every command: one file each, one `enum Command`, one dispatch.

use crate::context::CommandHelper;
use crate::error::CommandError;

pub mod admins;
pub mod apply;
pub mod audit;
pub mod audit_tenants;
pub mod cloud;
pub mod credential;
pub mod demo;
pub mod drill;
pub mod evidence;
pub mod evidence_tenants;
pub mod exec;
pub mod export;
pub mod init;
pub mod monitor;
pub mod passkey;
pub mod plan;
pub mod report;
pub mod scan;
pub mod shell;
pub mod sim;
pub mod sweep;
pub mod temp_user;
pub mod tenant;
pub mod tenant_runs;
pub mod tenants;
pub mod tenants_html;
pub mod token;
pub mod watch;
pub mod watch_tenants;
pub mod whoami;

/// The commands of breakglass.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    Plan(plan::PlanArgs),
    Apply(apply::ApplyArgs),
    #[command(subcommand)]
    Credential(credential::CredentialCommand),
    Whoami(whoami::WhoamiArgs),
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    #[command(subcommand)]
    Admins(admins::AdminsCommand),
    #[command(subcommand)]
    Cloud(cloud::CloudCommand),
    #[command(subcommand)]
    Sim(sim::SimCommand),
    Demo(demo::DemoArgs),
    TempUser(temp_user::TempUserArgs),
    #[command(subcommand)]
    Passkey(passkey::PasskeyCommand),
    Sweep(sweep::SweepArgs),
    Scan(scan::ScanArgs),
    #[command(subcommand)]
    Monitor(monitor::MonitorCommand),
    Token(token::TokenArgs),
    Exec(exec::ExecArgs),
    Drill(drill::DrillArgs),
    Watch(watch::WatchArgs),
    Audit(audit::AuditArgs),
    Evidence(evidence::EvidenceArgs),
    Export(export::ExportArgs),
    #[command(subcommand)]
    Report(report::ReportCommand),
    Completions(shell::CompletionsArgs),
    Man(shell::ManArgs),
}

impl Command {
    /// Whether the command waits for Ctrl-C itself (a server), instead of being cancelled by it.
    pub fn handles_signals(&self) -> bool {
        match self {
            Command::Sim(_) | Command::Exec(_) => true,
            Command::TempUser(args) => args.handles_signals(),
            _ => false,
        }
    }
}

impl Command {
    /// Whether one thread serves the command: it makes one or two requests, and starting
    /// worker threads would only slow a cold start (`token` is called from scripts in loops).
    pub fn single_threaded(&self) -> bool {
        matches!(self, Command::Token(_) | Command::Exec(_))
    }
}

/// Runs one command.
pub async fn run(helper: &CommandHelper, command: &Command) -> Result<(), CommandError> {
    if helper.global().tenants.is_none() && !helper.global().only.is_empty() {
        return Err(
            crate::error::usage_error("`--only` picks tenants of a `--tenants` file")
                .hinted("add `--tenants FILE`, or leave `--only` out"),
        );
    }
    if let Some(tenants_file) = helper.global().tenants.clone() {
        return run_for_tenants(helper, command, &tenants_file).await;
    }
    match command {
        Command::Init(args) => init::cmd_init(helper, args),
        Command::Plan(args) => plan::cmd_plan(helper, args).await,
        Command::Apply(args) => apply::cmd_apply(helper, args).await,
        Command::Credential(command) => credential::cmd_credential(helper, command).await,
        Command::Whoami(args) => whoami::cmd_whoami(helper, args).await,
        Command::Tenant(command) => tenant::cmd_tenant(helper, command).await,
        Command::Admins(command) => admins::cmd_admins(helper, command).await,
        Command::Cloud(command) => cloud::cmd_cloud(helper, command),
        Command::Sim(command) => sim::cmd_sim(helper, command).await,
        Command::Demo(args) => demo::cmd_demo(helper, args).await,
        Command::TempUser(args) => temp_user::cmd_temp_user(helper, args).await,
        Command::Passkey(command) => passkey::cmd_passkey(helper, command).await,
        Command::Sweep(args) => sweep::cmd_sweep(helper, args).await,
        Command::Scan(args) => scan::cmd_scan(helper, args).await,
        Command::Monitor(command) => monitor::cmd_monitor(helper, command).await,
        Command::Token(args) => token::cmd_token(helper, args).await,
        Command::Exec(args) => exec::cmd_exec(helper, args).await,
        Command::Drill(args) => drill::cmd_drill(helper, args).await,
        Command::Watch(args) => watch::cmd_watch(helper, args).await,
        Command::Audit(args) => audit::cmd_audit(helper, args).await,
        Command::Evidence(args) => evidence::cmd_evidence(helper, args).await,
        Command::Export(args) => export::cmd_export(helper, args).await,
        Command::Report(command) => report::cmd_report(helper, command).await,
        Command::Completions(args) => shell::cmd_completions(helper, args),
        Command::Man(args) => shell::cmd_man(helper, args),
    }
}

/// The commands that run across tenants.
const ACROSS_TENANTS: &str = "audit, evidence, plan, apply, drill, credential list, monitor identities, watch, tenant list, report merge";

/// Runs `command` for every tenant of `tenants_file`, or says it does not run across tenants.
async fn run_for_tenants(
    helper: &CommandHelper,
    command: &Command,
    tenants_file: &std::path::Path,
) -> Result<(), CommandError> {
    use credential::CredentialCommand;
    use monitor::MonitorCommand;
    match command {
        Command::Init(args) => init::cmd_init(helper, args),
        Command::Watch(args) => watch_tenants::cmd_watch_tenants(helper, args, tenants_file).await,
        Command::Report(command) => report::cmd_report(helper, command).await,
        Command::Tenant(tenant::TenantCommand::List(args)) => tenant::list::cmd_list(helper, args),
        Command::Audit(args) => audit_tenants::cmd_audit_tenants(helper, args, tenants_file).await,
        Command::Evidence(args) => {
            evidence_tenants::cmd_evidence_tenants(helper, args, tenants_file).await
        }
        Command::Plan(args) => tenant_runs::cmd_plan_tenants(helper, args, tenants_file).await,
        Command::Apply(args) => tenant_runs::cmd_apply_tenants(helper, args, tenants_file).await,
        Command::Drill(args) => tenant_runs::cmd_drill_tenants(helper, args, tenants_file).await,
        Command::Credential(CredentialCommand::List(args)) => {
            tenant_runs::cmd_list_tenants(helper, args, tenants_file).await
        }
        Command::Monitor(MonitorCommand::Identities(args)) => {
            tenant_runs::cmd_identities_tenants(helper, args, tenants_file).await
        }
        _ => Err(crate::error::usage_error(format!(
            "`--tenants` runs only these commands across tenants: {ACROSS_TENANTS}"
        ))
        .hinted("leave `--tenants` out to run the command for one tenant")),
    }
}
