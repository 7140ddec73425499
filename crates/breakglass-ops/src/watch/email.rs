//! The email receiver: one plain-text message per event, sent over SMTP with `lettre`
//! (tokio, rustls on aws-lc-rs).
//!
//! TLS: `smtps://` is implicit TLS, `smtp://` requires STARTTLS; plain SMTP only to a
//! loopback address (a local relay or a test server), as plain http is for webhooks. A
//! message is confirmed when the server accepts it at the end of DATA. The Message-ID is
//! derived from the event id alone, so a message sent again after a crash carries the same
//! one and mail systems can drop the repeat.

use std::str::FromStr as _;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};
use url::{Host, Url};

use super::{EVENT_ID_HEADER, Notification, facts, severity_name};
use crate::error::{Error, config_error, usage_error};

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Implicit,
    /// `smtp://`: STARTTLS, required; nothing is sent if the server does not offer it
    /// (port 587 by default).
    StartTls,
    /// `smtp://` to a loopback address, or `?tls=none`: no TLS (port 25 by default).
    Plain,
}

/// A checked `--smtp` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

const URL_HINT: &str =
    "e.g. smtp://mail.example.com:587 (STARTTLS) or smtps://mail.example.com:465 (TLS)";

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        // smtp: is not a scheme the URL standard knows, so an IPv4 address stays a name.
        Some(Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// Checks `--smtp`: `smtps://host[:port]`, `smtp://host[:port]` (STARTTLS required), and
/// plain SMTP only to a loopback address. `?tls=starttls` or `?tls=none` say it outright.
/// Never a user name or password in the URL.
pub fn parse_smtp_url(text: &str) -> Result<SmtpServer, Error> {
    let url = Url::parse(text.trim()).map_err(|e| {
        usage_error(format!("--smtp: not a URL ({e})")).hinted(URL_HINT.to_string())
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            usage_error("--smtp: the URL must not hold a user name or password")
                .hinted("pass --smtp-user NAME, and the password in BREAKGLASS_SMTP_PASSWORD or --smtp-password-file FILE"),
        );
    }
    let host = match url.host() {
        Some(Host::Domain(name)) if !name.is_empty() => name.to_string(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        _ => {
            return Err(usage_error("--smtp: the URL names no server").hinted(URL_HINT));
        }
    };
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        return Err(
            usage_error("--smtp: the URL must be just a server and a port").hinted(URL_HINT),
        );
    }
    let mut tls: Option<String> = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "tls" => tls = Some(value.to_ascii_lowercase()),
            other => {
                return Err(usage_error(format!("--smtp: unknown parameter `{other}`"))
                    .hinted("the only parameter is tls=starttls or tls=none"));
            }
        }
    }
    let loopback = is_loopback(&url);
    let security = match (url.scheme(), tls.as_deref()) {
        ("smtps", None) => Security::Implicit,
        ("smtps", Some(_)) => {
            return Err(
                usage_error("--smtp: smtps:// is always TLS; tls= is for smtp:// only")
                    .hinted(URL_HINT),
            );
        }
        ("smtp", Some("starttls")) => Security::StartTls,
        ("smtp", None) if !loopback => Security::StartTls,
        ("smtp", None | Some("none")) if loopback => Security::Plain,
        ("smtp", Some("none")) => {
            return Err(usage_error(format!(
                "--smtp: SMTP without TLS is only allowed to a loopback address, not {host}"
            ))
            .hinted("use STARTTLS (smtp://HOST:587) or TLS (smtps://HOST:465), or a local relay on 127.0.0.1"));
        }
        ("smtp", Some(other)) => {
            return Err(usage_error(format!("--smtp: unknown tls={other}"))
                .hinted("write tls=starttls or tls=none (loopback only)"));
        }
        (scheme, _) => {
            return Err(usage_error(format!(
                "--smtp: the scheme must be smtp or smtps, not {scheme}"
            ))
            .hinted(URL_HINT));
        }
    };
    let port = url.port().unwrap_or(match security {
        Security::Implicit => 465,
        Security::StartTls => 587,
        Security::Plain => 25,
    });
    Ok(SmtpServer {
        host,
        port,
        security,
    })
}

/// Checks an address flag: `name@example.com` or `Name <name@example.com>`.
pub fn parse_address(flag: &str, text: &str) -> Result<Mailbox, Error> {
    Mailbox::from_str(text.trim()).map_err(|_| {
        usage_error(format!("{flag} {}: not an email address", text.trim()))
            .hinted("write it as name@example.com, or \"Name <name@example.com>\"")
    })
}

/// The SMTP password: BREAKGLASS_SMTP_PASSWORD, or the first line of `file`. Never argv.
pub fn read_password(file: Option<&std::path::Path>) -> Result<Option<SecretString>, Error> {
    let password = match file {
        Some(path) => {
            let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                config_error(format!("cannot read {}: {e}", path.display()))
                    .hinted("--smtp-password-file names a file whose first line is the password")
            })?);
            let line = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_end_matches('\r');
            if line.is_empty() {
                return Err(config_error(format!(
                    "{} holds no password on its first line",
                    path.display()
                ))
                .hinted("--smtp-password-file names a file whose first line is the password"));
            }
            Some(SecretString::from(line.to_string()))
        }
        None => std::env::var("BREAKGLASS_SMTP_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(SecretString::from),
    };
    Ok(password)
}

/// Reads `--smtp-ca`: PEM certificates trusted in addition to the system roots.
pub fn read_ca(path: &std::path::Path) -> Result<Certificate, Error> {
    let hint = "it must hold one or more `-----BEGIN CERTIFICATE-----` blocks";
    let pem = std::fs::read(path).map_err(|e| {
        config_error(format!(
            "cannot read the CA certificate file {}: {e}",
            path.display()
        ))
        .hinted("--smtp-ca must name a readable PEM file")
    })?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(config_error(format!(
            "the CA certificate file {} holds no certificate",
            path.display()
        ))
        .hinted(hint));
    }
    Certificate::from_pem(&pem).map_err(|_| {
        config_error(format!(
            "the CA certificate file {} is not valid PEM",
            path.display()
        ))
        .hinted(hint)
    })
}

/// What `--email-*` and `--smtp*` gave, checked.
pub struct EmailSettings {
    pub server: SmtpServer,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub user: Option<String>,
    pub password: Option<SecretString>,
    pub ca: Option<Certificate>,
}

/// One email receiver: the SMTP server, the sender and the recipients.
pub struct EmailSink {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: SmtpServer,
    from: Mailbox,
    to: Vec<Mailbox>,
    /// Bounds one whole SMTP conversation; each reply is bounded by the `--timeout`.
    deadline: Duration,
}

impl EmailSink {
    pub fn new(settings: EmailSettings, timeout: Duration) -> Result<EmailSink, Error> {
        let EmailSettings {
            server,
            from,
            to,
            user,
            password,
            ca,
        } = settings;
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.clone())
                .port(server.port)
                .timeout(Some(timeout));
        if server.security != Security::Plain {
            let mut parameters = TlsParameters::builder(server.host.clone());
            if let Some(ca) = ca {
                parameters = parameters.add_root_certificate(ca);
            }
            let parameters = parameters.build_rustls().map_err(|e| {
                config_error(format!("cannot set up TLS for {}: {e}", server.host))
                    .hinted("check the --smtp-ca file")
            })?;
            builder = builder.tls(match server.security {
                Security::Implicit => Tls::Wrapper(parameters),
                _ => Tls::Required(parameters),
            });
        }
        if let Some(user) = user {
            let password = password.ok_or_else(|| {
                config_error(format!("--smtp-user {user} has no password"))
                    .hinted("set BREAKGLASS_SMTP_PASSWORD, or pass --smtp-password-file FILE")
            })?;
            // lettre keeps its own copy for the life of the transport.
            builder =
                builder.credentials(Credentials::new(user, password.expose_secret().to_string()));
        }
        Ok(EmailSink {
            transport: builder.build(),
            server,
            from,
            to,
            deadline: timeout.saturating_mul(3),
        })
    }

    /// The SMTP server's host, for messages.
    pub fn host(&self) -> &str {
        &self.server.host
    }

    /// The message for `n`: the same one, but for its Date, every time it is sent.
    pub fn message(&self, n: &Notification) -> Result<Message, String> {
        let domain = self.from.email.domain().to_string();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject(n))
            .message_id(Some(message_id(&n.id, &domain)))
            .date_now()
            .user_agent(concat!("breakglass/", env!("CARGO_PKG_VERSION")).to_string())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(EVENT_ID_HEADER),
                one_line(&n.id),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_string(),
            ))
            // Exchange and Outlook: no out-of-office or other automatic replies to it.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
                "All".to_string(),
            ))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .body(body(n))
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    /// One attempt to send `message`: Ok once the server accepted it at the end of DATA;
    /// otherwise whether trying again may help, and why (the server's reply code and text,
    /// never the password).
    pub async fn send(&self, message: &Message) -> Result<(), (bool, String)> {
        let envelope = message.envelope().clone();
        let raw = message.formatted();
        let sent = tokio::time::timeout(self.deadline, self.transport.send_raw(&envelope, &raw));
        match sent.await {
            Ok(Ok(_)) => Ok(()),
            Err(_) => Err((true, "did not finish in time".to_string())),
            Ok(Err(e)) => Err(classify(&e)),
        }
    }
}

/// The server's reply text, on one line and short; the rest of an error's chain otherwise.
fn reason(e: &lettre::transport::smtp::Error) -> String {
    use std::error::Error as _;
    let text = e.source().map(|s| s.to_string()).unwrap_or_default();
    let mut text = one_line(&text);
    if text.chars().count() > 200 {
        text = text.chars().take(199).collect::<String>() + "…";
    }
    text
}

/// The TLS error behind `e`, if the handshake failed (an untrusted certificate, a name
/// that does not match): retrying will not help.
fn tls_failure(e: &lettre::transport::smtp::Error) -> Option<String> {
    use std::error::Error as _;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = cause {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        if let Some(tls) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls.to_string());
        }
        cause = err.source();
    }
    e.is_tls().then(|| reason(e))
}

fn classify(e: &lettre::transport::smtp::Error) -> (bool, String) {
    let text = reason(e);
    let reply = |code: String| {
        if text.is_empty() {
            code
        } else {
            format!("{code} {text}")
        }
    };
    if let Some(code) = e.status() {
        let code = code.to_string();
        if e.is_transient() {
            return (true, format!("answered {}", reply(code)));
        }
        return (
            false,
            format!(
                "refused the message with {}; a permanent error: check --email-from, --email-to and --smtp-user",
                reply(code)
            ),
        );
    }
    if e.is_timeout() {
        return (true, "did not answer in time".to_string());
    }
    if let Some(tls) = tls_failure(e) {
        return (
            false,
            format!("failed the TLS handshake: {tls} (a private relay's CA goes in --smtp-ca)"),
        );
    }
    if e.is_client() {
        return (false, format!("could not be used: {text}"));
    }
    if e.is_response() {
        return (true, format!("answered something that is not SMTP: {text}"));
    }
    (true, format!("could not be reached: {text}"))
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// `[breakglass CRITICAL] <title>`.
pub fn subject(n: &Notification) -> String {
    format!(
        "[breakglass {}] {}",
        severity_name(n.severity).to_ascii_uppercase(),
        one_line(&n.title)
    )
}

/// `<breakglass.<event id>@<sender's domain>>`: the same for every send of one event, so
/// mail systems can drop a repeat. An id that is not a plain token is hashed.
pub fn message_id(event_id: &str, domain: &str) -> String {
    let plain = !event_id.is_empty()
        && event_id.len() <= 128
        && event_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let local = if plain {
        event_id.to_ascii_lowercase()
    } else {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, event_id.as_bytes());
        digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    format!("<breakglass.{local}@{domain}>")
}

/// The plain-text body: the title, then the facts Slack and Teams show, one per line.
pub fn body(n: &Notification) -> String {
    let facts = facts(n);
    let width = facts.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    let mut out = format!("{}\n\n", one_line(&n.title));
    for (key, value) in facts {
        out.push_str(&format!(
            "{:<width$} {}\n",
            format!("{key}:"),
            one_line(&value)
        ));
    }
    out.push_str(
        "\nSent by breakglass watch, which notifies every sign-in of, and change to,\n\
         the emergency access identities. If nobody here broke glass, treat it as\n\
         an incident.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::Subject;
    use breakglass_core::identities::Severity;
    use breakglass_scan::EventKind;

    fn sample() -> Notification {
        Notification {
            id: "0f2c1b9e-7a51-4c1e-9d3a-1e2f3a4b5c6d".into(),
            correlation_id: Some("c0a8f1d2-0000-4000-8000-000000000001".into()),
            tenant_id: "72f988bf-0000-4000-8000-000000000000".into(),
            tenant_name: None,
            time: "2026-01-01T00:00:00Z".into(),
            severity: Severity::Critical,
            kind: EventKind::ServicePrincipalSignIn,
            title: "Emergency app signed in with its offline credential".into(),
            identity: "bg app, credential offline".into(),
            subject: Subject {
                app_id: Some("11111111-1111-4111-8111-111111111111".into()),
                service_principal_id: Some("33333333-3333-4333-8333-333333333333".into()),
                ..Subject::default()
            },
            credential_key_id: Some("k".into()),
            credential_label: Some("offline".into()),
            ip_address: Some("203.0.113.7".into()),
            result: "success".into(),
            error_code: None,
            failure_reason: None,
            activity: None,
            initiated_by: None,
            source: "servicePrincipalSignIns".into(),
        }
    }

    #[test]
    fn smtp_urls_require_tls_except_to_loopback() {
        let starttls = parse_smtp_url("smtp://mail.example.com").unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (587, Security::StartTls)
        );
        let tls = parse_smtp_url("smtps://mail.example.com").unwrap();
        assert_eq!((tls.port, tls.security), (465, Security::Implicit));
        let local = parse_smtp_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((local.port, local.security), (2525, Security::Plain));
        assert_eq!(
            parse_smtp_url("smtp://localhost?tls=starttls")
                .unwrap()
                .security,
            Security::StartTls
        );
        assert_eq!(
            parse_smtp_url("smtp://[::1]").unwrap().security,
            Security::Plain
        );
        for bad in [
            "smtp://mail.example.com?tls=none",
            "smtp://user:pw@mail.example.com",
            "http://mail.example.com",
            "smtps://mail.example.com?tls=none",
            "smtp://mail.example.com/path",
            "smtp://mail.example.com?x=1",
            "mail.example.com",
        ] {
            assert!(parse_smtp_url(bad).is_err(), "{bad}");
        }
        let err = parse_smtp_url("smtp://mail.example.com?tls=none").unwrap_err();
        assert!(err.message().contains("loopback"), "{}", err.message());
        let err = parse_smtp_url("smtp://u:hunter2@mail.example.com").unwrap_err();
        assert!(!err.message().contains("hunter2"));
    }

    #[test]
    fn addresses_are_checked() {
        assert!(parse_address("--email-to", "ops@example.com").is_ok());
        assert!(parse_address("--email-to", "Ops <ops@example.com>").is_ok());
        assert!(parse_address("--email-to", "ops").is_err());
        assert!(parse_address("--email-to", "ops@").is_err());
    }

    #[test]
    fn the_message_id_depends_on_the_event_only() {
        let a = message_id("0F2C-x_1", "example.com");
        assert_eq!(a, "<breakglass.0f2c-x_1@example.com>");
        let odd = message_id("a b<c>@d", "example.com");
        assert_eq!(odd, message_id("a b<c>@d", "example.com"));
        assert!(!odd.contains(' ') && !odd[1..].contains('<'), "{odd}");
    }

    #[test]
    fn subject_and_body_carry_the_facts() {
        let n = sample();
        assert_eq!(
            subject(&n),
            "[breakglass CRITICAL] Emergency app signed in with its offline credential"
        );
        let body = body(&n);
        let line_of = |key: &str| {
            body.lines()
                .find(|line| line.starts_with(&format!("{key}:")))
                .map(|line| line[key.len() + 1..].trim().to_string())
        };
        for (key, value) in [
            ("Severity", "critical"),
            ("IP address", "203.0.113.7"),
            ("Event id", n.id.as_str()),
            ("Correlation id", "c0a8f1d2-0000-4000-8000-000000000001"),
            ("Tenant id", "72f988bf-0000-4000-8000-000000000000"),
            ("App id", "11111111-1111-4111-8111-111111111111"),
            (
                "Service principal id",
                "33333333-3333-4333-8333-333333333333",
            ),
            ("Key id", "k"),
        ] {
            assert_eq!(line_of(key).as_deref(), Some(value), "{key}: {body}");
        }
    }
}
