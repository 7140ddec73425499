//! The receivers `watch` delivers to, built from what the operator named (flags or their
//! environment variables) and checked before anything is read from the tenant: a generic
//! webhook with its HMAC secret, Slack, Teams, and email over SMTP.

use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use super::email::{
    EmailSettings, EmailSink, Security, parse_address, parse_smtp_url, read_ca, read_password,
};
use super::sinks::{Sink, parse_url};
use crate::error::{Error, config_error, usage_error};

/// What the operator named for email; the names are the flags' (`--email-to`, …).
#[derive(Clone, Debug, Default)]
pub struct EmailFlags {
    pub email_to: Vec<String>,
    pub email_from: Option<String>,
    pub smtp: Option<String>,
    pub smtp_user: Option<String>,
    pub smtp_password_file: Option<PathBuf>,
    pub smtp_ca: Option<PathBuf>,
}

/// Every receiver the operator named.
#[derive(Clone, Debug, Default)]
pub struct ReceiverFlags {
    pub webhook: Option<String>,
    pub webhook_secret_file: Option<PathBuf>,
    pub slack: Option<String>,
    pub teams: Option<String>,
    pub email: EmailFlags,
}

fn webhook_secret(args: &ReceiverFlags) -> Result<Zeroizing<Vec<u8>>, Error> {
    let secret = match &args.webhook_secret_file {
        Some(path) => {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                config_error(format!("cannot read {}: {e}", path.display()))
                    .hinted("--webhook-secret-file names a file whose first line is the secret")
            })?);
            Zeroizing::new(
                text.lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .as_bytes()
                    .to_vec(),
            )
        }
        None => Zeroizing::new(
            std::env::var("BREAKGLASS_WEBHOOK_SECRET")
                .unwrap_or_default()
                .trim()
                .as_bytes()
                .to_vec(),
        ),
    };
    if secret.len() < 16 {
        return Err(config_error(
            "the webhook secret is missing or shorter than 16 characters",
        )
        .hinted("set BREAKGLASS_WEBHOOK_SECRET, or pass --webhook-secret-file FILE")
        .hinted("e.g. `openssl rand -hex 32`; the receiver checks X-Breakglass-Signature with it"));
    }
    Ok(secret)
}

/// The email receiver, when `--email-to`, `--email-from` and `--smtp` are given; the
/// SMTP flags without them are a usage error.
fn email_sink(args: &EmailFlags, timeout: Duration) -> Result<Option<Sink>, Error> {
    let wanted = !args.email_to.is_empty() || args.email_from.is_some() || args.smtp.is_some();
    if !wanted {
        for (given, flag) in [
            (args.smtp_user.is_some(), "--smtp-user"),
            (args.smtp_password_file.is_some(), "--smtp-password-file"),
            (args.smtp_ca.is_some(), "--smtp-ca"),
        ] {
            if given {
                return Err(usage_error(format!("{flag} needs --smtp"))
                    .hinted("email needs --email-to ADDR, --email-from ADDR and --smtp URL"));
            }
        }
        return Ok(None);
    }
    let missing: Vec<&str> = [
        (args.email_to.is_empty(), "--email-to"),
        (args.email_from.is_none(), "--email-from"),
        (args.smtp.is_none(), "--smtp"),
    ]
    .into_iter()
    .filter_map(|(missing, flag)| missing.then_some(flag))
    .collect();
    if !missing.is_empty() {
        return Err(usage_error(format!("email also needs {}", missing.join(" and ")))
            .hinted("email needs --email-to ADDR, --email-from ADDR and --smtp URL (or BREAKGLASS_EMAIL_TO, BREAKGLASS_EMAIL_FROM, BREAKGLASS_SMTP_URL)"));
    }
    let server = parse_smtp_url(args.smtp.as_deref().unwrap_or_default())?;
    let from = parse_address(
        "--email-from",
        args.email_from.as_deref().unwrap_or_default(),
    )?;
    let to = args
        .email_to
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| parse_address("--email-to", a))
        .collect::<Result<Vec<_>, _>>()?;
    if to.is_empty() {
        return Err(usage_error("--email-to names no address"));
    }
    let user = args
        .smtp_user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if user.is_none() && args.smtp_password_file.is_some() {
        return Err(usage_error("--smtp-password-file needs --smtp-user")
            .hinted("the password is only sent with a user name"));
    }
    // Without a user name no AUTH is sent, so a password in the environment is not read.
    let password = match user {
        Some(_) => read_password(args.smtp_password_file.as_deref())?,
        None => None,
    };
    if args.smtp_ca.is_some() && server.security == Security::Plain {
        return Err(
            usage_error("--smtp-ca needs TLS, and this --smtp URL has none")
                .hinted("use smtps://HOST or smtp://HOST?tls=starttls"),
        );
    }
    let ca = args.smtp_ca.as_deref().map(read_ca).transpose()?;
    let settings = EmailSettings {
        server,
        from,
        to,
        user,
        password,
        ca,
    };
    Ok(Some(Sink::email(EmailSink::new(settings, timeout)?)))
}

pub fn receivers(args: &ReceiverFlags, timeout: Duration) -> Result<Vec<Sink>, Error> {
    let mut sinks = Vec::new();
    if let Some(url) = &args.webhook {
        sinks.push(Sink::webhook(
            parse_url("--webhook", url)?,
            webhook_secret(args)?,
        ));
    } else if args.webhook_secret_file.is_some() {
        return Err(usage_error("--webhook-secret-file needs --webhook"));
    }
    if let Some(url) = &args.slack {
        sinks.push(Sink::slack(parse_url("--slack", url)?));
    }
    if let Some(url) = &args.teams {
        sinks.push(Sink::teams(parse_url("--teams", url)?));
    }
    if let Some(email) = email_sink(&args.email, timeout)? {
        sinks.push(email);
    }
    if sinks.is_empty() {
        return Err(usage_error("watch needs somewhere to send notifications").hinted(
            "pass --webhook URL, --slack URL, --teams URL, or --email-to ADDR --email-from ADDR --smtp URL",
        ));
    }
    Ok(sinks)
}
