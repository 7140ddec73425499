//! Steps 6 to 10: declaring the emergency access, planning, applying, rotating the secret
//! and applying again, through the same operations as `init`, `plan`, `apply` and
//! `credential rotate`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use breakglass_core::config::STARTER;
use breakglass_ops::provision::prepare::{Prepared, prepare as prepare_signed_in};
use breakglass_ops::provision::rotate::CredentialSession;
use breakglass_ops::provision::vault::KeePassPassword;
use breakglass_store::{Overwrite, write_secret_file};
use secrecy::SecretString;

use super::narrator::Narrator;
use crate::commands::apply::apply_prepared;
use crate::commands::credential::rotate::{describe_added, describe_removed};
use crate::commands::plan::PlanReport;
use crate::error::{CommandError, internal_error};
use crate::output::Report;
use crate::provision::ConfigArgs;
use crate::session::Session;
use crate::ui::Ui;

/// The workspace step 6 wrote.
struct Declared {
    folder: PathBuf,
    config_args: ConfigArgs,
    password: SecretString,
}

pub(super) async fn provision_steps(
    ui: &Ui,
    narrator: &mut Narrator<'_>,
    session: Session,
    state_dir: &Path,
) -> Result<(), CommandError> {
    let declared = declare(narrator, state_dir)?;
    let prepared = plan(narrator, ui, &session, &declared).await?;
    apply(narrator, ui, prepared, &declared.folder).await?;
    rotate(narrator, &session, &declared).await?;
    apply_again(narrator, ui, session, &declared).await
}

/// Step 6: the declaration, as `breakglass init` writes it, and the KeePass password the
/// demo makes up instead of asking.
fn declare(narrator: &mut Narrator<'_>, state_dir: &Path) -> Result<Declared, CommandError> {
    let title = "Declare the emergency access identities";
    let why = "breakglass.toml declares one emergency app with Global Administrator, an offline \
               certificate split into 3-of-5 Shamir shares, a rotating secret kept in KeePass, \
               two cloud-only emergency users and a role-assignable group that Conditional \
               Access policies exclude. The KeePass password would come from a prompt; the demo \
               makes one up and keeps it in a 0600 file.";
    let started = narrator.begin(6, title, why)?;
    let folder = state_dir.join("workspace");
    std::fs::create_dir_all(&folder)
        .map_err(|e| internal_error(format!("cannot create {}: {e}", folder.display())))?;
    let config_path = folder.join("breakglass.toml");
    if !config_path.exists() {
        std::fs::write(&config_path, STARTER)
            .map_err(|e| internal_error(format!("cannot write {}: {e}", config_path.display())))?;
    }
    let password_file = folder.join("keepass-password.txt");
    let password = match std::fs::read_to_string(&password_file) {
        Ok(text) => text.trim().to_string(),
        Err(_) => {
            let made = secrecy::ExposeSecret::expose_secret(&breakglass_ops::random::password())
                .to_string();
            write_secret_file(
                &password_file,
                format!("{made}\n").as_bytes(),
                Overwrite::Refuse,
            )
            .map_err(|e| internal_error(e.to_string()))?;
            made
        }
    };
    let config_args = ConfigArgs {
        config: config_path.clone(),
        keepass_password_file: Some(password_file.clone()),
        never_prompt: false,
        pkcs11_pin_file: None,
    };
    let declared = serde_json::json!({"config": config_path.display().to_string(), "keepassPasswordFile": password_file.display().to_string()});
    narrator.finish(
        6,
        title,
        why,
        started,
        format!("→ breakglass init   (wrote {})", config_path.display()),
        &declared,
    )?;
    Ok(Declared {
        folder,
        config_args,
        password: SecretString::from(password),
    })
}

/// Step 7: the plan of a fresh tenant.
async fn plan(
    narrator: &mut Narrator<'_>,
    ui: &Ui,
    session: &Session,
    declared: &Declared,
) -> Result<Prepared, CommandError> {
    let title = "Plan";
    let why = "breakglass reads the tenant, finds nothing carrying its markers, and lists what it \
               would create, in order. `breakglass plan` changes nothing.";
    let started = narrator.begin(7, title, why)?;
    let prepared = prepare_signed_in(
        ui,
        session.clone(),
        declared.config_args.workspace()?,
        KeePassPassword::Given(declared.password.clone()),
        false,
    )
    .await?;
    let report = PlanReport::new(prepared.facts.tenant_id.clone(), &prepared.plan);
    narrator.finish(7, title, why, started, report.human(ui), &report)?;
    Ok(prepared)
}

/// Step 8: apply.
async fn apply(
    narrator: &mut Narrator<'_>,
    ui: &Ui,
    prepared: Prepared,
    folder: &Path,
) -> Result<(), CommandError> {
    let title = "Apply";
    let why = "Each change is made and reported; each credential goes to its store as soon as \
               it exists, so an interrupted apply never leaves a credential that no store holds. \
               The certificate's private key is made here and never leaves this machine except \
               on the share sheets.";
    let started = narrator.begin(8, title, why)?;
    let applied = apply_prepared(ui, prepared, true).await?;
    narrator.finish(
        8,
        title,
        why,
        started,
        format!(
            "{}→ stores: {}/breakglass.kdbx and {}/recovery-sheets/",
            applied.human(ui),
            folder.display(),
            folder.display()
        ),
        &applied,
    )?;
    Ok(())
}

/// Step 9: rotate the secret, as `breakglass credential rotate rotating` does.
async fn rotate(
    narrator: &mut Narrator<'_>,
    session: &Session,
    declared: &Declared,
) -> Result<(), CommandError> {
    let title = "Rotate the rotating secret";
    let why = "A new secret is added, proven (a token with it and a Graph call), written to \
               KeePass, and only then is the old one removed: the store never lacks a working \
               credential.";
    let started = narrator.begin(9, title, why)?;
    let mut credentials = CredentialSession::open(
        session.clone(),
        declared.config_args.workspace()?,
        KeePassPassword::Given(declared.password.clone()),
    )?;
    let mut progress = |_: String| {};
    let rotated = credentials
        .ops(Duration::from_secs(60), &mut progress)
        .rotate("rotating")
        .await?;
    let human = format!(
        "{}{}",
        describe_added(&rotated.added),
        describe_removed("removed old", &rotated.removed)
    );
    narrator.finish(9, title, why, started, human, &rotated)?;
    Ok(())
}

/// Step 10: apply again, with nothing to do.
async fn apply_again(
    narrator: &mut Narrator<'_>,
    ui: &Ui,
    session: Session,
    declared: &Declared,
) -> Result<(), CommandError> {
    let title = "Apply again";
    let why = "The tenant now matches the declaration, so a second apply has nothing to do. Run \
               `breakglass plan --detailed-exitcode` on a schedule to learn of drift.";
    let started = narrator.begin(10, title, why)?;
    let prepared = prepare_signed_in(
        ui,
        session,
        declared.config_args.workspace()?,
        KeePassPassword::Given(declared.password.clone()),
        false,
    )
    .await?;
    let again = apply_prepared(ui, prepared, true).await?;
    narrator.finish(10, title, why, started, again.human(ui), &again)?;
    Ok(())
}
