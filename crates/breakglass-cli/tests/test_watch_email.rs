//! `breakglass watch` delivering by email: the real binary against an in-process simulator
//! and a small SMTP server in the test (RFC 5321: greeting, EHLO, AUTH PLAIN, MAIL, RCPT,
//! DATA, QUIT) that accepts, refuses or answers 451 as each test asks. One message per
//! event with a Message-ID derived from the event id, nothing sent twice, permanent
//! refusals fail the run without losing the event, transient ones are retried, and the
//! flags are checked before anything is sent.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::Value;

use crate::common::{InProcessSimulator, TestEnv, initialised};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";
const SMTP_PASSWORD: &str = "smtp-password-never-printed-7f3a";
const FROM: &str = "breakglass@alerts.example.com";
const TO: [&str; 2] = ["secops@example.com", "oncall@example.net"];

/// How the test server behaves.
#[derive(Clone, Default)]
struct Behaviour {
    /// The greeting's reply line, `220 …` when `None`.
    greeting: Option<&'static str>,
    /// The reply to every RCPT, `250 …` when `None`.
    rcpt: Option<&'static str>,
    /// Answer `451` at the end of DATA this many times before accepting.
    data_fail_first: usize,
    /// Advertise AUTH PLAIN (and require it before MAIL).
    auth: bool,
    /// TLS: from the first byte (`implicit`), or after STARTTLS, which is then offered.
    tls: Option<TlsMode>,
}

#[derive(Clone)]
struct TlsMode {
    config: Arc<rustls::ServerConfig>,
    implicit: bool,
}

/// One message the server accepted.
#[derive(Clone, Debug)]
struct Mail {
    mail_from: String,
    rcpt_to: Vec<String>,
    headers: BTreeMap<String, String>,
    body: String,
    /// Whether it came over TLS.
    tls: bool,
}

#[derive(Default)]
struct Seen {
    accepted: Vec<Mail>,
    /// `\0user\0password` of every AUTH PLAIN, and whether it came over TLS.
    auth: Vec<(String, bool)>,
    /// Every command line, for the assertions' messages (AUTH lines left out).
    commands: Vec<String>,
}

/// An SMTP server on 127.0.0.1, one thread per connection.
struct SmtpServer {
    port: u16,
    seen: Arc<Mutex<Seen>>,
    connections: Arc<AtomicUsize>,
    data_ends: Arc<AtomicUsize>,
}

impl SmtpServer {
    fn start(behaviour: Behaviour) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let connections = Arc::new(AtomicUsize::new(0));
        let data_ends = Arc::new(AtomicUsize::new(0));
        let (s, c, d) = (seen.clone(), connections.clone(), data_ends.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                c.fetch_add(1, Ordering::SeqCst);
                let (s, d, b) = (s.clone(), d.clone(), behaviour.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &b, &s, &d);
                });
            }
        });
        SmtpServer {
            port,
            seen,
            connections,
            data_ends,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn accepted(&self) -> Vec<Mail> {
        self.seen.lock().unwrap().accepted.clone()
    }

    fn auth(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .auth
            .iter()
            .map(|(a, _)| a.clone())
            .collect()
    }

    fn auth_over_tls(&self) -> Vec<bool> {
        self.seen
            .lock()
            .unwrap()
            .auth
            .iter()
            .map(|(_, t)| *t)
            .collect()
    }

    fn commands(&self) -> Vec<String> {
        self.seen.lock().unwrap().commands.clone()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn data_ends(&self) -> usize {
        self.data_ends.load(Ordering::SeqCst)
    }
}

fn reply<S: Write>(stream: &mut S, line: &str) -> std::io::Result<()> {
    stream.write_all(format!("{line}\r\n").as_bytes())?;
    stream.flush()
}

fn tls_stream(
    config: &Arc<rustls::ServerConfig>,
    tcp: TcpStream,
) -> std::io::Result<rustls::StreamOwned<rustls::ServerConnection, TcpStream>> {
    let connection =
        rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
    Ok(rustls::StreamOwned::new(connection, tcp))
}

/// One connection: plain, TLS from the start, or plain until STARTTLS and TLS after it.
fn serve(
    tcp: TcpStream,
    behaviour: &Behaviour,
    seen: &Mutex<Seen>,
    data_ends: &AtomicUsize,
) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    match &behaviour.tls {
        None => converse(tcp, behaviour, seen, data_ends, false).map(drop),
        Some(mode) if mode.implicit => {
            let tls = tls_stream(&mode.config, tcp)?;
            converse(tls, behaviour, seen, data_ends, true).map(drop)
        }
        Some(mode) => {
            if let Some(tcp) = converse(tcp, behaviour, seen, data_ends, false)? {
                let tls = tls_stream(&mode.config, tcp)?;
                converse(tls, behaviour, seen, data_ends, true)?;
            }
            Ok(())
        }
    }
}

/// `<a@b>` out of `MAIL FROM:<a@b> BODY=8BITMIME`.
fn path_of(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument[start..]
        .find('>')
        .map_or(argument.len(), |i| start + i);
    argument[start..end].to_string()
}

/// Splits a message into its unfolded headers (lower-case names) and its body.
fn parse_message(data: &str) -> (BTreeMap<String, String>, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let mut headers = BTreeMap::new();
    for line in unfolded.split("\r\n") {
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    (headers, body.to_string())
}

/// Decodes a quoted-printable body (RFC 2045 6.7): soft line breaks and `=XX`.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Speaks SMTP on `stream` until QUIT or the end; returns the stream when the client
/// asked for STARTTLS and was told to go ahead (the greeting is not repeated after it).
fn converse<S: Read + Write>(
    stream: S,
    behaviour: &Behaviour,
    seen: &Mutex<Seen>,
    data_ends: &AtomicUsize,
    encrypted: bool,
) -> std::io::Result<Option<S>> {
    let mut reader = BufReader::new(stream);
    let starttls_offered = behaviour.tls.as_ref().is_some_and(|m| !m.implicit) && !encrypted;
    let after_starttls = behaviour.tls.as_ref().is_some_and(|m| !m.implicit) && encrypted;
    if let Some(greeting) = behaviour.greeting {
        // A refusing server still answers QUIT, as RFC 5321 says.
        reply(reader.get_mut(), greeting)?;
    } else if !after_starttls {
        reply(reader.get_mut(), "220 smtp.test ESMTP ready")?;
    }
    let refusing = behaviour.greeting.is_some();
    let mut authenticated = !behaviour.auth;
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if !upper.starts_with("AUTH") {
            seen.lock().unwrap().commands.push(command.clone());
        }
        if upper.starts_with("QUIT") {
            reply(reader.get_mut(), "221 bye")?;
            return Ok(None);
        }
        if refusing {
            reply(reader.get_mut(), "503 no service here")?;
            continue;
        }
        if upper.starts_with("EHLO") {
            reply(reader.get_mut(), "250-smtp.test")?;
            if starttls_offered {
                reply(reader.get_mut(), "250-STARTTLS")?;
            }
            if behaviour.auth {
                reply(reader.get_mut(), "250-AUTH PLAIN")?;
            }
            reply(reader.get_mut(), "250 8BITMIME")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            reply(reader.get_mut(), "250 ok")?;
        } else if upper.starts_with("RSET") {
            mail_from = None;
            rcpt_to.clear();
            reply(reader.get_mut(), "250 ok")?;
        } else if upper == "STARTTLS" && starttls_offered {
            reply(reader.get_mut(), "220 2.0.0 go ahead")?;
            return Ok(Some(reader.into_inner()));
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = command.split_whitespace().nth(2).unwrap_or_default();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            seen.lock().unwrap().auth.push((decoded, encrypted));
            authenticated = true;
            reply(reader.get_mut(), "235 2.7.0 authenticated")?;
        } else if upper.starts_with("MAIL FROM:") {
            if !authenticated {
                reply(reader.get_mut(), "530 5.7.0 authentication required")?;
                continue;
            }
            mail_from = Some(path_of(&command[10..]));
            rcpt_to.clear();
            reply(reader.get_mut(), "250 2.1.0 ok")?;
        } else if upper.starts_with("RCPT TO:") {
            match behaviour.rcpt {
                Some(refusal) => reply(reader.get_mut(), refusal)?,
                None => {
                    rcpt_to.push(path_of(&command[8..]));
                    reply(reader.get_mut(), "250 2.1.5 ok")?;
                }
            }
        } else if upper == "DATA" {
            if mail_from.is_none() || rcpt_to.is_empty() {
                reply(reader.get_mut(), "503 5.5.1 no valid recipients")?;
                continue;
            }
            reply(reader.get_mut(), "354 end with <CRLF>.<CRLF>")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(None);
                }
                if line == ".\r\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(unstuffed);
            }
            let n = data_ends.fetch_add(1, Ordering::SeqCst);
            if n < behaviour.data_fail_first {
                reply(reader.get_mut(), "451 4.3.0 try again later")?;
            } else {
                let (headers, mut body) = parse_message(&data);
                if headers
                    .get("content-transfer-encoding")
                    .is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"))
                {
                    body = decode_quoted_printable(&body);
                }
                seen.lock().unwrap().accepted.push(Mail {
                    mail_from: mail_from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    headers,
                    body,
                    tls: encrypted,
                });
                reply(reader.get_mut(), "250 2.0.0 queued")?;
            }
            mail_from = None;
            rcpt_to.clear();
        } else {
            reply(reader.get_mut(), "500 5.5.2 unknown command")?;
        }
    }
}

/// A private CA, written to `dir/relay-ca.pem`, and a server configuration with a
/// certificate it issued for `localhost`: a private relay, as `--smtp-ca` is for.
fn private_relay_tls(dir: &Path) -> (PathBuf, Arc<rustls::ServerConfig>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "breakglass test relay CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("server key");
    let mut server = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    server
        .distinguished_name
        .push(DnType::CommonName, "smtp.test");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let certificate = server.signed_by(&key, &issuer).expect("server certificate");
    let path = dir.join("relay-ca.pem");
    std::fs::write(&path, ca_pem).expect("write the CA");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![certificate.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("TLS configuration");
    (path, Arc::new(config))
}

/// `init` and `apply` against a fresh simulator.
fn applied() -> (TestEnv, InProcessSimulator) {
    let (env, simulator) = initialised(TestEnv::new(), None, KEEPASS_PASSWORD);
    env.run(["apply", "--yes"]).assert_success();
    (env, simulator)
}

fn state_file(env: &TestEnv) -> PathBuf {
    env.root().join("watch.json")
}

fn state(env: &TestEnv) -> Value {
    serde_json::from_str(&std::fs::read_to_string(state_file(env)).expect("state file"))
        .expect("state JSON")
}

/// `watch --once` by email to `smtp`, with `extra` flags.
fn email_once(env: &TestEnv, smtp: &str, extra: &[&str]) -> crate::common::CommandOutput {
    let state = state_file(env).display().to_string();
    let mut args = vec![
        "watch",
        "--once",
        "--state",
        &state,
        "--output",
        "json",
        "--email-from",
        FROM,
        "--email-to",
        TO[0],
        "--email-to",
        TO[1],
        "--smtp",
        smtp,
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// Delivers what `apply` itself caused, so the next run sees only what the test does.
fn baseline(env: &TestEnv) {
    let server = SmtpServer::start(Behaviour::default());
    email_once(env, &server.url(), &[]).assert_success();
}

fn use_rotating(env: &TestEnv) {
    env.run(["token", "--credential", "rotating"])
        .assert_success();
}

fn sign_ins(mails: &[Mail]) -> Vec<&Mail> {
    mails
        .iter()
        .filter(|m| m.headers["subject"].contains("signed in"))
        .collect()
}

#[test]
fn a_sign_in_is_emailed_once_with_a_stable_message_id() {
    let (mut env, _simulator) = applied();
    baseline(&env);
    use_rotating(&env);

    let server = SmtpServer::start(Behaviour {
        auth: true,
        ..Behaviour::default()
    });
    env.set_env("BREAKGLASS_SMTP_PASSWORD", SMTP_PASSWORD);
    let output = email_once(&env, &server.url(), &["--smtp-user", "alice"]);
    output.assert_success();
    let mails = server.accepted();
    assert_eq!(mails.len(), 1, "{output}\n{:#?}", server.commands());
    let mail = &mails[0];
    let delivered = output.json()["delivered"].clone();
    assert_eq!(delivered.as_array().unwrap().len(), 1, "{output}");
    let id = delivered[0]["id"].as_str().unwrap().to_string();

    // The envelope and the headers.
    assert_eq!(mail.mail_from, FROM);
    assert_eq!(mail.rcpt_to, TO.to_vec());
    let h = &mail.headers;
    assert_eq!(
        h["subject"], "[breakglass HIGH] Emergency app signed in with its rotating credential",
        "{h:#?}"
    );
    assert_eq!(h["from"], FROM);
    for to in TO {
        assert!(h["to"].contains(to), "{h:#?}");
    }
    assert_eq!(
        h["message-id"],
        format!(
            "<breakglass.{}@alerts.example.com>",
            id.to_ascii_lowercase()
        ),
        "{h:#?}"
    );
    assert_eq!(h["x-breakglass-event-id"], id);
    assert_eq!(h["auto-submitted"], "auto-generated");
    assert!(h.contains_key("date"), "{h:#?}");
    assert!(h["content-type"].starts_with("text/plain"), "{h:#?}");

    // The body: the facts Slack and Teams show, one per line.
    let body = &mail.body;
    assert!(
        body.contains("Emergency app signed in with its rotating credential"),
        "{body}"
    );
    let fact = |key: &str| {
        body.lines()
            .find_map(|line| line.strip_prefix(&format!("{key}:")))
            .map(|value| value.trim().to_string())
            .unwrap_or_else(|| panic!("{key:?} not in:\n{body}"))
    };
    let identities = env.run(["monitor", "identities", "--output", "json"]);
    identities.assert_success();
    let identities = identities.json();
    for (key, value) in [
        ("Severity", "high"),
        ("Credential", "rotating"),
        ("Result", "success"),
        ("Source", "servicePrincipalSignIns"),
        ("Event id", id.as_str()),
        ("Tenant id", identities["tenantId"].as_str().unwrap()),
        ("App id", identities["appId"].as_str().unwrap()),
        (
            "Service principal id",
            identities["servicePrincipalId"].as_str().unwrap(),
        ),
    ] {
        assert_eq!(fact(key), value, "{body}");
    }
    for key in ["Key id", "IP address", "Correlation id"] {
        assert!(!fact(key).is_empty(), "{key}: {body}");
    }
    assert!(body.contains("treat it as\r\nan incident"), "{body}");

    // Signed in with the password from the environment, which is printed nowhere.
    assert_eq!(server.auth(), vec![format!("\0alice\0{SMTP_PASSWORD}")]);
    assert!(!output.stdout.contains(SMTP_PASSWORD) && !output.stderr.contains(SMTP_PASSWORD));
    let state_text = std::fs::read_to_string(state_file(&env)).unwrap();
    assert!(!state_text.contains(SMTP_PASSWORD));
    assert!(
        state(&env)["delivered"]
            .get(format!("email:{id}"))
            .is_some(),
        "{state_text}"
    );

    // Again: nothing is sent, not even a connection is made.
    let connections = server.connections();
    let again = email_once(&env, &server.url(), &["--smtp-user", "alice"]);
    again.assert_success();
    assert_eq!(server.accepted().len(), 1, "{again}");
    assert_eq!(server.connections(), connections, "{again}");
    assert!(
        again.json()["alreadyDelivered"].as_u64().unwrap() >= 1,
        "{again}"
    );

    // The same password from --smtp-password-file, with the environment variable unset.
    env.remove_env("BREAKGLASS_SMTP_PASSWORD");
    use_rotating(&env);
    let file = env.write_file("smtp-password", &format!("{SMTP_PASSWORD}\n"));
    let from_file = email_once(
        &env,
        &server.url(),
        &[
            "--smtp-user",
            "alice",
            "--smtp-password-file",
            &file.display().to_string(),
        ],
    );
    from_file.assert_success();
    assert_eq!(sign_ins(&server.accepted()).len(), 2, "{from_file}");
    assert_eq!(server.auth().len(), 2);
    assert_eq!(server.auth()[1], format!("\0alice\0{SMTP_PASSWORD}"));
    assert!(!from_file.stdout.contains(SMTP_PASSWORD) && !from_file.stderr.contains(SMTP_PASSWORD));
}

#[test]
fn a_refusing_server_fails_the_run_and_the_event_waits_for_the_next() {
    let (env, _simulator) = applied();
    baseline(&env);
    use_rotating(&env);
    let before = state(&env);

    // 550 at RCPT: permanent, so not retried; exit 6, the reply named, nothing recorded.
    let unknown = SmtpServer::start(Behaviour {
        rcpt: Some("550 5.1.1 <secops@example.com>: no such user"),
        ..Behaviour::default()
    });
    let refused = email_once(&env, &unknown.url(), &["--retries", "2"]);
    refused.assert_code(6);
    assert!(
        refused
            .stderr
            .contains("550 5.1.1 <secops@example.com>: no such user"),
        "{refused}"
    );
    assert!(
        refused.stderr.contains("SMTP server 127.0.0.1"),
        "{refused}"
    );
    assert!(refused.stderr.contains("hint:"), "{refused}");
    assert_eq!(
        unknown.connections(),
        1,
        "a permanent refusal is not retried"
    );
    assert!(unknown.accepted().is_empty());
    let after = state(&env);
    assert_eq!(after["delivered"], before["delivered"], "{after:#}");

    // 554 at the greeting: the same.
    let closed = SmtpServer::start(Behaviour {
        greeting: Some("554 5.3.2 not accepting mail from you"),
        ..Behaviour::default()
    });
    let refused = email_once(&env, &closed.url(), &[]);
    refused.assert_code(6);
    assert!(
        refused
            .stderr
            .contains("554 5.3.2 not accepting mail from you"),
        "{refused}"
    );
    assert_eq!(state(&env)["delivered"], before["delivered"]);

    // STARTTLS demanded but not offered: nothing is sent in the clear.
    let plain = SmtpServer::start(Behaviour::default());
    let downgraded = email_once(&env, &format!("{}?tls=starttls", plain.url()), &[]);
    downgraded.assert_code(6);
    assert!(downgraded.stderr.contains("STARTTLS"), "{downgraded}");
    assert!(
        !plain.commands().iter().any(|c| c.starts_with("MAIL")),
        "{:?}",
        plain.commands()
    );

    // The cursor stayed at the event: a server that accepts gets it.
    let server = SmtpServer::start(Behaviour::default());
    let output = email_once(&env, &server.url(), &[]);
    output.assert_success();
    let mails = server.accepted();
    assert_eq!(sign_ins(&mails).len(), 1, "{output}\n{mails:#?}");
    assert_eq!(mails.len(), 1, "{mails:#?}");
}

#[test]
fn a_451_is_retried_and_the_message_delivered_once() {
    let (env, _simulator) = applied();
    baseline(&env);
    use_rotating(&env);

    let server = SmtpServer::start(Behaviour {
        data_fail_first: 1,
        ..Behaviour::default()
    });
    let output = email_once(&env, &server.url(), &[]);
    output.assert_success();
    assert_eq!(server.data_ends(), 2, "{output}");
    assert_eq!(server.connections(), 2, "{output}");
    let mails = server.accepted();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(sign_ins(&mails).len(), 1);

    // Transient every time: retried, then exit 6 with the reply named.
    use_rotating(&env);
    let busy = SmtpServer::start(Behaviour {
        data_fail_first: usize::MAX,
        ..Behaviour::default()
    });
    let failed = email_once(&env, &busy.url(), &["--retries", "1"]);
    failed.assert_code(6);
    assert_eq!(busy.data_ends(), 2, "{failed}");
    assert!(
        failed.stderr.contains("451 4.3.0 try again later"),
        "{failed}"
    );
}

#[test]
fn tls_and_starttls_to_a_private_relay_need_its_ca() {
    let (mut env, _simulator) = applied();
    baseline(&env);
    use_rotating(&env);
    let (ca, config) = private_relay_tls(env.root());
    let ca = ca.display().to_string();

    // Implicit TLS: without --smtp-ca the certificate is not trusted and nothing is sent.
    let tls = SmtpServer::start(Behaviour {
        tls: Some(TlsMode {
            config: config.clone(),
            implicit: true,
        }),
        ..Behaviour::default()
    });
    let url = format!("smtps://localhost:{}", tls.port);
    let untrusted = email_once(&env, &url, &[]);
    untrusted.assert_code(6);
    assert!(untrusted.stderr.contains("TLS"), "{untrusted}");
    assert!(untrusted.stderr.contains("--smtp-ca"), "{untrusted}");
    assert!(tls.commands().is_empty(), "{:?}", tls.commands());

    // With it, the message goes over TLS.
    let trusted = email_once(&env, &url, &["--smtp-ca", &ca]);
    trusted.assert_success();
    let mails = tls.accepted();
    assert_eq!(mails.len(), 1, "{trusted}");
    assert!(mails[0].tls);

    // STARTTLS, with AUTH: the password only after the upgrade.
    use_rotating(&env);
    env.set_env("BREAKGLASS_SMTP_PASSWORD", SMTP_PASSWORD);
    let starttls = SmtpServer::start(Behaviour {
        auth: true,
        tls: Some(TlsMode {
            config,
            implicit: false,
        }),
        ..Behaviour::default()
    });
    let url = format!("smtp://localhost:{}?tls=starttls", starttls.port);
    let output = email_once(&env, &url, &["--smtp-ca", &ca, "--smtp-user", "alice"]);
    output.assert_success();
    let mails = starttls.accepted();
    assert_eq!(sign_ins(&mails).len(), 1, "{output}");
    assert!(mails.iter().all(|m| m.tls));
    assert_eq!(starttls.auth_over_tls(), vec![true]);
    assert!(
        starttls.commands().iter().any(|c| c == "STARTTLS"),
        "{:?}",
        starttls.commands()
    );
}

#[test]
fn email_flags_are_checked_before_anything_is_sent() {
    let env = TestEnv::new();
    let run = |extra: &[&str]| {
        let mut args = vec!["watch", "--once"];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    fn complete(smtp: &str) -> Vec<&str> {
        vec!["--email-from", FROM, "--email-to", TO[0], "--smtp", smtp]
    }

    // No TLS to a host that is not loopback.
    let plain = run(&complete("smtp://mail.example.com?tls=none"));
    plain.assert_code(2);
    assert!(plain.stderr.contains("loopback"), "{plain}");
    assert!(plain.stderr.contains("hint: use STARTTLS"), "{plain}");

    // A password in the URL is refused, and not repeated.
    let in_url = run(&complete("smtp://alice:url-password-9c1e@mail.example.com"));
    in_url.assert_code(2);
    assert!(!in_url.stderr.contains("url-password-9c1e"), "{in_url}");
    assert!(
        in_url.stderr.contains("BREAKGLASS_SMTP_PASSWORD"),
        "{in_url}"
    );

    // There is no flag for the password itself.
    let argv = run(&[
        "--email-from",
        FROM,
        "--email-to",
        TO[0],
        "--smtp",
        "smtp://127.0.0.1:2525",
        "--smtp-password",
        "hunter2",
    ]);
    argv.assert_code(2);

    // A user name without a password.
    let mut with_user = complete("smtps://mail.example.com");
    with_user.extend(["--smtp-user", "alice"]);
    let no_password = run(&with_user);
    no_password.assert_code(3);
    assert!(
        no_password.stderr.contains("BREAKGLASS_SMTP_PASSWORD"),
        "{no_password}"
    );

    // Addresses, the scheme, missing pieces, a missing CA file.
    let bad_to = run(&[
        "--email-from",
        FROM,
        "--email-to",
        "secops",
        "--smtp",
        "smtps://mail.example.com",
    ]);
    bad_to.assert_code(2);
    assert!(bad_to.stderr.contains("--email-to secops"), "{bad_to}");
    run(&complete("https://mail.example.com")).assert_code(2);
    let no_from = run(&["--email-to", TO[0], "--smtp", "smtps://mail.example.com"]);
    no_from.assert_code(2);
    assert!(no_from.stderr.contains("--email-from"), "{no_from}");
    let stray = run(&["--slack", "https://x.example/h", "--smtp-user", "alice"]);
    stray.assert_code(2);
    let mut with_ca = complete("smtps://mail.example.com");
    with_ca.extend(["--smtp-ca", "/nonexistent/ca.pem"]);
    run(&with_ca).assert_code(3);
}
