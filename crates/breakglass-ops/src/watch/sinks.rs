//! Where notifications go: a generic webhook (JSON, signed with HMAC-SHA256), a Slack
//! incoming webhook, a Microsoft Teams incoming webhook, email over SMTP ([`super::email`]);
//! each delivery retried with backoff on 5xx, 408, 429 (SMTP: 4xx replies), timeouts and
//! connection failures.

use std::time::Duration;

use aws_lc_rs::hmac;
use serde_json::{Value, json};
use url::{Host, Url};
use zeroize::Zeroizing;

use super::email::EmailSink;
use super::{EVENT_ID_HEADER, Notification, facts, severity_name};
use crate::error::{Error, usage_error};

/// The header carrying the webhook body's signature: `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Breakglass-Signature";

/// The format a receiver expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkKind {
    Webhook,
    Slack,
    Teams,
    Email,
}

impl SinkKind {
    /// The name in the state file and in messages.
    pub fn name(self) -> &'static str {
        match self {
            SinkKind::Webhook => "webhook",
            SinkKind::Slack => "slack",
            SinkKind::Teams => "teams",
            SinkKind::Email => "email",
        }
    }
}

/// One receiver.
pub struct Sink {
    pub kind: SinkKind,
    target: Target,
}

/// Where a receiver is reached.
enum Target {
    Http {
        url: Url,
        secret: Option<Zeroizing<Vec<u8>>>,
    },
    Email(Box<EmailSink>),
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sink({}, {})", self.kind.name(), self.host())
    }
}

/// Checks a receiver URL: https, or http to a loopback address only (a local relay or a
/// test receiver); never user info in it. Incoming webhook URLs carry their own token, so
/// the URL itself is never printed, only its host.
pub fn parse_url(flag: &str, text: &str) -> Result<Url, Error> {
    let url = Url::parse(text.trim()).map_err(|e| {
        usage_error(format!("{flag}: not a URL ({e})"))
            .hinted("give the full address, e.g. https://hooks.example.com/breakglass")
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(usage_error(format!(
            "{flag}: the URL must not hold a user name or password"
        ))
        .hinted("the generic webhook is authenticated by its HMAC signature"));
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(usage_error(format!(
            "{flag}: plain http is only allowed to a loopback address"
        ))
        .hinted("use https, or a local relay on 127.0.0.1")),
        _ => Err(usage_error(format!("{flag}: the URL must be https"))
            .hinted("e.g. https://hooks.example.com/breakglass")),
    }
}

impl Sink {
    pub fn webhook(url: Url, secret: Zeroizing<Vec<u8>>) -> Sink {
        Sink {
            kind: SinkKind::Webhook,
            target: Target::Http {
                url,
                secret: Some(secret),
            },
        }
    }

    pub fn slack(url: Url) -> Sink {
        Sink {
            kind: SinkKind::Slack,
            target: Target::Http { url, secret: None },
        }
    }

    pub fn teams(url: Url) -> Sink {
        Sink {
            kind: SinkKind::Teams,
            target: Target::Http { url, secret: None },
        }
    }

    pub fn email(sink: EmailSink) -> Sink {
        Sink {
            kind: SinkKind::Email,
            target: Target::Email(Box::new(sink)),
        }
    }

    /// The receiver's host, for messages.
    pub fn host(&self) -> String {
        match &self.target {
            Target::Http { url, .. } => url.host_str().unwrap_or_default().to_string(),
            Target::Email(email) => email.host().to_string(),
        }
    }

    /// How the receiver is named in messages: its kind and host, never its URL.
    pub fn describe(&self) -> String {
        match self.kind {
            SinkKind::Email => format!("SMTP server {}", self.host()),
            kind => format!("{} receiver {}", kind.name(), self.host()),
        }
    }

    /// The body this receiver gets for `n`.
    pub fn body(&self, n: &Notification) -> Vec<u8> {
        let value = match self.kind {
            SinkKind::Webhook => serde_json::to_value(n).unwrap_or(Value::Null),
            SinkKind::Slack => slack_payload(n),
            SinkKind::Teams => teams_payload(n),
            SinkKind::Email => Value::Null,
        };
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

/// `sha256=<hex>` of HMAC-SHA256 over `body`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, body);
    let mut out = String::from("sha256=");
    for byte in tag.as_ref() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// A Slack incoming-webhook message: `text` for notifications, `blocks` for the channel.
pub fn slack_payload(n: &Notification) -> Value {
    let severity = severity_name(n.severity).to_ascii_uppercase();
    let text = format!("[{severity}] breakglass: {}", n.title);
    let fields: Vec<Value> = facts(n)
        .into_iter()
        .map(|(k, v)| json!({"type": "mrkdwn", "text": format!("*{k}*\n{v}")}))
        .collect();
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&text, 150)}}),
    ];
    // Slack allows at most ten fields per section.
    for chunk in fields.chunks(10) {
        blocks.push(json!({"type": "section", "fields": chunk}));
    }
    json!({"text": text, "blocks": blocks})
}

/// A Microsoft Teams incoming-webhook message as an Adaptive Card.
pub fn teams_payload(n: &Notification) -> Value {
    let severity = severity_name(n.severity).to_ascii_uppercase();
    let facts: Vec<Value> = facts(n)
        .into_iter()
        .map(|(k, v)| json!({"title": k, "value": v}))
        .collect();
    let color = match n.severity {
        breakglass_core::identities::Severity::Critical
        | breakglass_core::identities::Severity::High => "Attention",
        _ => "Warning",
    };
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "size": "Large", "weight": "Bolder", "color": color, "wrap": true,
                     "text": format!("[{severity}] {}", n.title)},
                    {"type": "FactSet", "facts": facts}
                ]
            }
        }]
    })
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// How deliveries are attempted.
pub struct Delivery {
    client: reqwest::Client,
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first pause; doubled after each failure, at most 30 s.
    pub backoff: Duration,
}

impl Delivery {
    pub fn new(timeout: Duration, retries: u32) -> Result<Delivery, Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("breakglass/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                crate::error::internal_error(format!("cannot set up the HTTP client: {e}"))
            })?;
        Ok(Delivery {
            client,
            retries,
            backoff: Duration::from_millis(500),
        })
    }

    /// One POST of `body`: Ok on 2xx; otherwise whether trying again may help, and why.
    async fn post(
        &self,
        url: &Url,
        secret: Option<&Zeroizing<Vec<u8>>>,
        body: &[u8],
        n: &Notification,
    ) -> Result<(), (bool, String)> {
        let mut request = self
            .client
            .post(url.clone())
            .header("Content-Type", "application/json")
            .header(EVENT_ID_HEADER, n.id.as_str());
        if let Some(secret) = secret {
            request = request.header(SIGNATURE_HEADER, signature(secret, body));
        }
        match request.body(body.to_vec()).send().await {
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    return Ok(());
                }
                let code = status.as_u16();
                let retry = status.is_server_error() || code == 408 || code == 429;
                Err((retry, format!("answered HTTP {code}")))
            }
            Err(e) if e.is_timeout() => Err((true, "did not answer in time".to_string())),
            Err(e) if e.is_connect() => Err((true, "could not be reached".to_string())),
            Err(_) => Err((true, "failed to take the request".to_string())),
        }
    }

    /// Sends `n` to `sink` until it confirms (HTTP 2xx; SMTP 250 at the end of DATA), or
    /// the retries are spent, or it answers an error retrying cannot fix. The error says
    /// why, never the URL, the secret or the password.
    pub async fn deliver(&self, sink: &Sink, n: &Notification) -> Result<(), String> {
        let (body, message) = match &sink.target {
            Target::Email(email) => {
                let message = email
                    .message(n)
                    .map_err(|why| format!("{} {why}", sink.describe()))?;
                (Vec::new(), Some(message))
            }
            Target::Http { .. } => (sink.body(n), None),
        };
        let mut pause = self.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = match (&sink.target, &message) {
                (Target::Http { url, secret }, _) => {
                    self.post(url, secret.as_ref(), &body, n).await
                }
                (Target::Email(email), Some(message)) => email.send(message).await,
                (Target::Email(_), None) => Err((false, "has no message".to_string())),
            };
            let Err((retry, why)) = outcome else {
                return Ok(());
            };
            let why = format!("{} {why} (attempt {attempt})", sink.describe());
            if !retry || attempt > self.retries {
                return Err(why);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(30));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::Subject;
    use breakglass_core::identities::Severity;
    use breakglass_scan::EventKind;

    fn sample() -> Notification {
        Notification {
            id: "e1".into(),
            correlation_id: Some("c0a8f1d2-0000-4000-8000-000000000001".into()),
            tenant_id: "72f988bf-0000-4000-8000-000000000000".into(),
            tenant_name: None,
            time: "2026-01-01T00:00:00Z".into(),
            severity: Severity::High,
            kind: EventKind::ServicePrincipalSignIn,
            title: "Emergency app signed in with its rotating credential".into(),
            identity: "bg app, credential rotating".into(),
            subject: Subject {
                app_id: Some("11111111-1111-4111-8111-111111111111".into()),
                service_principal_id: Some("33333333-3333-4333-8333-333333333333".into()),
                ..Subject::default()
            },
            credential_key_id: Some("k".into()),
            credential_label: Some("rotating".into()),
            ip_address: Some("10.0.0.1".into()),
            result: "success".into(),
            error_code: None,
            failure_reason: None,
            activity: None,
            initiated_by: None,
            source: "servicePrincipalSignIns".into(),
        }
    }

    #[test]
    fn hmac_matches_the_rfc_4231_vector() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn urls_must_be_https_or_loopback_http() {
        assert!(parse_url("--webhook", "https://hooks.example.com/x").is_ok());
        assert!(parse_url("--webhook", "http://127.0.0.1:8080/x").is_ok());
        assert!(parse_url("--webhook", "http://[::1]:8080/x").is_ok());
        assert!(parse_url("--webhook", "http://localhost/x").is_ok());
        assert!(parse_url("--webhook", "http://hooks.example.com/x").is_err());
        assert!(parse_url("--webhook", "ftp://hooks.example.com/x").is_err());
        assert!(parse_url("--webhook", "https://u:p@hooks.example.com/x").is_err());
        assert!(parse_url("--webhook", "not a url").is_err());
    }

    #[test]
    fn payloads_have_their_shapes() {
        let n = sample();
        let webhook: Value = serde_json::from_slice(
            &Sink::webhook(
                Url::parse("https://x.example").unwrap(),
                Zeroizing::new(b"s".to_vec()),
            )
            .body(&n),
        )
        .unwrap();
        for field in [
            "id",
            "time",
            "severity",
            "kind",
            "title",
            "identity",
            "credentialKeyId",
            "credentialLabel",
            "ipAddress",
            "result",
            "source",
        ] {
            assert!(webhook.get(field).is_some(), "{field}: {webhook}");
        }
        assert_eq!(webhook["severity"], "high");
        let slack = slack_payload(&n);
        assert!(slack["text"].as_str().unwrap().contains("HIGH"));
        assert_eq!(slack["blocks"][0]["type"], "header");
        let teams = teams_payload(&n);
        assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
    }
}
