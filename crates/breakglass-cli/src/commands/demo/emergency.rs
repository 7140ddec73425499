//! Steps 11 to 16: breaking glass with the rotating secret, the alert it raises, a command
//! and a temporary administrator with it, a drill and an audit. Each runs this very binary
//! as a person would type it, so the demo shows what the real commands print.

use breakglass_core::roles::GLOBAL_ADMINISTRATOR;
use breakglass_entra::TokenClaims;
use breakglass_sim::AlertReceiver;

use super::narrator::Narrator;
use super::scene::{Scene, run_self, stdout_of};
use crate::error::{CommandError, internal_error};

pub(super) async fn emergency_steps(
    narrator: &mut Narrator<'_>,
    scene: &Scene<'_>,
) -> Result<(), CommandError> {
    break_glass(narrator, scene).await?;
    monitoring(narrator, scene).await?;
    exec_command(narrator, scene).await?;
    temporary_admin(narrator, scene).await?;
    drill(narrator, scene).await?;
    audit(narrator, scene).await?;
    super::hardware::hardware_token(narrator, scene)
}

/// Step 11: a token with the rotating secret.
async fn break_glass(narrator: &mut Narrator<'_>, scene: &Scene<'_>) -> Result<(), CommandError> {
    let title = "Break glass: a token with the rotating secret";
    let why = "On the worst day, the rotating secret comes out of KeePass and buys a Microsoft \
               Graph token as the emergency app, which holds Global Administrator. `breakglass \
               token` prints only the token (or az's JSON); the demo shows its claims instead.";
    let started = narrator.begin(11, title, why)?;
    let mut args = vec!["token", "--output", "json"];
    args.extend_from_slice(&scene.keepass_flags());
    let printed = stdout_of(&scene.run(&args)?, "breakglass token --credential rotating")?;
    let answer: serde_json::Value =
        serde_json::from_str(&printed).map_err(|e| internal_error(format!("token output: {e}")))?;
    let claims = answer["accessToken"]
        .as_str()
        .and_then(|token| TokenClaims::from_jwt(token).ok())
        .unwrap_or_default();
    let global_administrator = GLOBAL_ADMINISTRATOR.template_id.to_string();
    let holds_global_admin = claims.wids.contains(&global_administrator);
    let shown = serde_json::json!({
        "appid": claims.appid,
        "wids": claims.wids,
        "tenant": answer["tenant"],
        "expiresOn": answer["expiresOn"],
    });
    narrator.finish(
        11,
        title,
        why,
        started,
        format!(
            "→ breakglass token --credential rotating\n→ a token for app {} in tenant {}, valid until {}\n→ Global Administrator in its wids: {}",
            shown["appid"].as_str().unwrap_or("?"),
            shown["tenant"].as_str().unwrap_or("?"),
            shown["expiresOn"].as_str().unwrap_or("?"),
            if holds_global_admin { "yes" } else { "no" }
        ),
        &shown,
    )?;
    Ok(())
}

/// Step 12: the alert rules, and the watcher delivering the sign-in just made.
async fn monitoring(narrator: &mut Narrator<'_>, scene: &Scene<'_>) -> Result<(), CommandError> {
    let title = "Monitoring: the rules, and the alert arriving";
    let why = "`breakglass monitor rules` writes the detections (KQL here; also Sentinel, ARM and \
               Bicep) with the tenant's real ids. Where no Sentinel runs, `breakglass watch` polls \
               the sign-in and audit logs and sends each event to a webhook, signed with \
               HMAC-SHA256. The demo runs a small webhook receiver and one `watch --once`: the \
               sign-in with the rotating secret arrives, labelled and rated high.";
    let started = narrator.begin(12, title, why)?;
    let identities = scene.folder.join("identities.json").display().to_string();
    let rules = scene.folder.join("rules").display().to_string();
    let mut args = vec![
        "monitor",
        "identities",
        "--out",
        identities.as_str(),
        "--config",
        scene.config.as_str(),
        "--keepass-password-file",
        scene.password_file.as_str(),
    ];
    stdout_of(&scene.run(&args)?, "breakglass monitor identities")?;
    args = vec![
        "monitor",
        "rules",
        "--format",
        "kql",
        "--identities",
        identities.as_str(),
        "--out",
        rules.as_str(),
    ];
    stdout_of(&scene.run(&args)?, "breakglass monitor rules --format kql")?;
    let mut rule_files: Vec<std::path::PathBuf> = std::fs::read_dir(&rules)
        .map_err(|e| internal_error(format!("cannot read {rules}: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    rule_files.sort();
    let shown_rule = rule_files
        .iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("sign"))
        })
        .or(rule_files.first())
        .cloned()
        .unwrap_or_default();
    let rule_text = std::fs::read_to_string(&shown_rule).unwrap_or_default();
    let (url, notifications) = watch_once(scene, &identities)?;
    let sign_in = notifications
        .iter()
        .find(|n| n["credentialLabel"] == "rotating")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let result = serde_json::json!({"ruleFiles": rule_files.len(), "shownRule": shown_rule.display().to_string(), "notifications": notifications.len(), "signIn": sign_in});
    narrator.finish(
        12,
        title,
        why,
        started,
        format!(
            "→ breakglass monitor rules --format kql --out {rules}: {} detections; the first lines of {}:\n{}\n→ breakglass watch --once --webhook {url}: {} notification(s) delivered\n→ the sign-in: severity {}, credential {} ({}), \"{}\"",
            rule_files.len(),
            shown_rule.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
            rule_text.lines().take(8).map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n"),
            notifications.len(),
            sign_in["severity"].as_str().unwrap_or("?"),
            sign_in["credentialLabel"].as_str().unwrap_or("?"),
            sign_in["credentialKeyId"].as_str().unwrap_or("?"),
            sign_in["title"].as_str().unwrap_or("?"),
        ),
        &result,
    )?;
    Ok(())
}

/// One `watch --once` delivering to a webhook receiver of the demo's own: the receiver's
/// address and what it received.
fn watch_once(
    scene: &Scene<'_>,
    identities: &str,
) -> Result<(String, Vec<serde_json::Value>), CommandError> {
    let receiver = AlertReceiver::start()?;
    let url = receiver.url().to_string();
    let mut watch_env = scene.env.clone();
    watch_env.push((
        "BREAKGLASS_WEBHOOK_SECRET",
        "demo-webhook-secret-0123456789".to_string(),
    ));
    let state = scene
        .state_dir
        .join("watch-state.json")
        .display()
        .to_string();
    let watched = run_self(
        &[
            "watch",
            "--once",
            "--webhook",
            url.as_str(),
            "--identities",
            identities,
            "--state",
            state.as_str(),
            "--config",
            scene.config.as_str(),
            "--keepass-password-file",
            scene.password_file.as_str(),
        ],
        &watch_env,
    )?;
    stdout_of(&watched, "breakglass watch --once")?;
    let notifications: Vec<serde_json::Value> = receiver
        .received()
        .into_iter()
        .filter_map(|body| serde_json::from_slice(&body).ok())
        .collect();
    Ok((url, notifications))
}

/// Step 13: a command run with the emergency credential.
async fn exec_command(narrator: &mut Narrator<'_>, scene: &Scene<'_>) -> Result<(), CommandError> {
    let title = "Run a command with the emergency credential";
    let why = "`breakglass exec` hands the credential to any tool through the Azure SDK \
               environment (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or a 0600 \
               certificate file removed afterwards) plus a fresh Graph token. Here the tool is \
               breakglass itself reading the tenant, signed in as the emergency app.";
    let started = narrator.begin(13, title, why)?;
    let program = std::env::current_exe()
        .map_err(|e| internal_error(e.to_string()))?
        .display()
        .to_string();
    let mut args = vec!["exec"];
    args.extend_from_slice(&scene.keepass_flags());
    args.extend_from_slice(&["--", program.as_str(), "tenant", "show", "--output", "json"]);
    let printed = stdout_of(
        &scene.run(&args)?,
        "breakglass exec -- breakglass tenant show",
    )?;
    let tenant: serde_json::Value =
        serde_json::from_str(&printed).unwrap_or(serde_json::Value::Null);
    narrator.finish(
        13,
        title,
        why,
        started,
        format!("→ breakglass exec --credential rotating -- breakglass tenant show\n→ the child read the tenant \"{}\" ({})", tenant["displayName"].as_str().unwrap_or("?"), tenant["id"].as_str().unwrap_or("?")),
        &tenant,
    )?;
    Ok(())
}

/// Step 14: a temporary administrator, its lease, and sweep.
async fn temporary_admin(
    narrator: &mut Narrator<'_>,
    scene: &Scene<'_>,
) -> Result<(), CommandError> {
    let title = "A temporary administrator with a time-to-live";
    let why = "`breakglass temp-user --ttl 5m` creates a cloud-only Global Administrator whose \
               expiry is written on the user itself, then counts down and removes it. With \
               --detach it returns at once and `breakglass sweep` (from cron) removes it when due. \
               The demo moves the simulator's clock six minutes on instead of waiting.";
    let started = narrator.begin(14, title, why)?;
    let created = stdout_of(
        &scene.run(&["temp-user", "--ttl", "5m", "--detach", "--output", "json"])?,
        "breakglass temp-user --ttl 5m --detach",
    )?;
    // The first JSON document printed: the sign-in details, of which the demo shows no secret.
    let created: serde_json::Value = serde_json::Deserializer::from_str(&created)
        .into_iter::<serde_json::Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or(serde_json::Value::Null);
    let upn = created["userPrincipalName"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    let expires = created["expires"].as_str().unwrap_or("?").to_string();
    let before = stdout_of(
        &scene.run(&["temp-user", "list", "--output", "json"])?,
        "breakglass temp-user list",
    )?;
    let before: serde_json::Value =
        serde_json::from_str(&before).unwrap_or(serde_json::Value::Null);
    scene.simulator.advance_clock(6 * 60);
    let swept = stdout_of(
        &scene.run(&["sweep", "--output", "json"])?,
        "breakglass sweep",
    )?;
    let swept: serde_json::Value = serde_json::from_str(&swept).unwrap_or(serde_json::Value::Null);
    let after = stdout_of(
        &scene.run(&["temp-user", "list", "--output", "json"])?,
        "breakglass temp-user list",
    )?;
    let after: serde_json::Value = serde_json::from_str(&after).unwrap_or(serde_json::Value::Null);
    let count = |v: &serde_json::Value| {
        v.as_array()
            .map(Vec::len)
            .or_else(|| v.get("leases").and_then(|l| l.as_array()).map(Vec::len))
            .unwrap_or(0)
    };
    let result = serde_json::json!({"userPrincipalName": upn, "expires": expires, "leasesBefore": count(&before), "swept": swept, "leasesAfter": count(&after)});
    narrator.finish(
        14,
        title,
        why,
        started,
        format!(
            "→ breakglass temp-user --ttl 5m --detach: {upn}, expires {expires} (its password is shown once to whoever runs it; not here)\n→ breakglass temp-user list: {} active lease(s)\n→ six minutes later, breakglass sweep removed it: role, sessions, user, deleted item\n→ breakglass temp-user list: {} active lease(s)",
            count(&before),
            count(&after)
        ),
        &result,
    )?;
    Ok(())
}

/// Step 15: a drill, recorded.
async fn drill(narrator: &mut Narrator<'_>, scene: &Scene<'_>) -> Result<(), CommandError> {
    let title = "Drill: prove every credential and record it";
    let why = "Microsoft asks for the emergency access to be validated at least every 90 days. \
               `breakglass drill` proves each credential (token, Graph read, Global Administrator, \
               expiry, and its sign-in in the service principal sign-in logs where the alert \
               fires) and checks the emergency users; three custodians bring their shares for the \
               offline certificate. The record (JSON and Markdown, no secrets) says when the next \
               drill is due.";
    let started = narrator.begin(15, title, why)?;
    let sheets = scene.folder.join("recovery-sheets");
    let mut shares: Vec<String> = std::fs::read_dir(&sheets)
        .map_err(|e| internal_error(format!("cannot read {}: {e}", sheets.display())))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| p.display().to_string())
        .collect();
    shares.sort();
    shares.truncate(3);
    let shares = format!("offline={}", shares.join(","));
    let records = scene.drill_records();
    let output = scene.run(&[
        "drill",
        "--config",
        scene.config.as_str(),
        "--keepass-password-file",
        scene.password_file.as_str(),
        "--shares",
        shares.as_str(),
        "--log-wait",
        "30s",
        "--out",
        records.as_str(),
    ])?;
    let human = String::from_utf8_lossy(&output.stdout).to_string();
    if !matches!(output.status.code(), Some(0) | Some(8)) {
        return Err(CommandError::new(
            crate::error::ErrorKind::Service,
            "the demo's drill could not run".to_string(),
        ));
    }
    let result = serde_json::json!({"exitCode": output.status.code(), "records": records});
    narrator.finish(
        15,
        title,
        why,
        started,
        format!("{human}→ records in {records}"),
        &result,
    )?;
    Ok(())
}

/// Step 16: who could take the emergency access over.
async fn audit(narrator: &mut Narrator<'_>, scene: &Scene<'_>) -> Result<(), CommandError> {
    let records = scene.drill_records();
    let title = "Audit: every way someone could take the emergency access over";
    let why = "Whoever can add a credential to the emergency app is Global Administrator. \
               `breakglass audit` reads the tenant (nothing is changed) and lists owners, \
               credentials breakglass did not make, roles and Graph permissions that reach the \
               app, Conditional Access for workload identities, and the emergency users' \
               posture against Microsoft's guidance. The simulated tenant has a few findings on \
               purpose: the operator that provisioned everything is itself one.";
    let started = narrator.begin(16, title, why)?;
    let output = scene.run(&[
        "audit",
        "--config",
        scene.config.as_str(),
        "--keepass-password-file",
        scene.password_file.as_str(),
        "--drills",
        records.as_str(),
        "--fail-on",
        "never",
        "--output",
        "json",
    ])?;
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&output, "breakglass audit")?)
        .map_err(|e| internal_error(format!("the demo's audit printed no JSON report: {e}")))?;
    let mut summary = audit_summary(&report);
    summary.push_str(&for_other_people(scene, &records)?);
    narrator.finish(16, title, why, started, summary, &report)?;
    Ok(())
}

/// The audit as a page for people, and the setting another scanner reads to recognise the
/// emergency accounts.
fn for_other_people(scene: &Scene<'_>, records: &str) -> Result<String, CommandError> {
    let page = scene.folder.join("audit.html").display().to_string();
    let config = ["--config", scene.config.as_str()];
    let mut html = vec!["audit", "--format", "html", "--out", page.as_str()];
    html.extend(config);
    html.extend([
        "--keepass-password-file",
        scene.password_file.as_str(),
        "--drills",
        records,
        "--fail-on",
        "never",
    ]);
    stdout_of(&scene.run(&html)?, "breakglass audit --format html")?;
    let mut export = vec!["export", "maester"];
    export.extend(config);
    let maester = stdout_of(&scene.run(&export)?, "breakglass export maester")?;
    let setting: serde_json::Value = serde_json::from_str(&maester)
        .map_err(|e| internal_error(format!("the demo's export printed no JSON: {e}")))?;
    Ok(format!(
        "→ the report for people (one page, no network): {page}\n\
         → for Maester's tests/Custom/maester-config.json, GlobalSettings.EmergencyAccessAccounts = {}\n",
        setting["GlobalSettings"]["EmergencyAccessAccounts"]
    ))
}

fn audit_summary(report: &serde_json::Value) -> String {
    let count = |key: &str| report["counts"][key].as_u64().unwrap_or(0);
    let mut text = format!(
        "→ breakglass audit: {} critical, {} high, {} medium, {} low, {} info; {} passed\n",
        count("critical"),
        count("high"),
        count("medium"),
        count("low"),
        count("info"),
        count("passed")
    );
    for finding in report["findings"].as_array().into_iter().flatten() {
        let severity = finding["severity"].as_str().unwrap_or_default();
        if finding["status"] == "finding" && matches!(severity, "critical" | "high") {
            text.push_str(&format!(
                "  {:<8} {}: {}\n",
                severity.to_uppercase(),
                finding["check"].as_str().unwrap_or("?"),
                finding["summary"].as_str().unwrap_or("?")
            ));
        }
    }
    text.push_str("→ the whole table, with evidence and hints: breakglass audit\n");
    text
}
