//! `breakglass watch` delivering by email: the real binary against an in-process simulator
//! and a small SMTP server in the test (RFC 5321: greeting, EHLO, AUTH PLAIN, MAIL, RCPT,
//! DATA, QUIT) that accepts, refuses or answers 451 as each test asks. One message per
//! event with a Message-ID derived from the event id, nothing sent twice, permanent
//! refusals fail the run without losing the event, transient ones are retried, and the
//! flags are checked before anything is sent.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::Value;

use crate::common::{InProcessSimulator, TestEnv};

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
}

/// One message the server accepted.
#[derive(Clone, Debug)]
struct Mail {
    mail_from: String,
    rcpt_to: Vec<String>,
    headers: BTreeMap<String, String>,
    body: String,
}

#[derive(Default)]
struct Seen {
    accepted: Vec<Mail>,
    /// `\0user\0password` of every AUTH PLAIN.
    auth: Vec<String>,
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
                    let _ = converse(stream, &b, &s, &d);
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
        self.seen.lock().unwrap().auth.clone()
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

fn reply(stream: &mut TcpStream, line: &str) -> std::io::Result<()> {
    stream.write_all(format!("{line}\r\n").as_bytes())
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

fn converse(
    stream: TcpStream,
    behaviour: &Behaviour,
    seen: &Mutex<Seen>,
    data_ends: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    if let Some(greeting) = behaviour.greeting {
        reply(&mut out, greeting)?;
        // A refusing server still answers QUIT, as RFC 5321 says.
    } else {
        reply(&mut out, "220 smtp.test ESMTP ready")?;
    }
    let refusing = behaviour.greeting.is_some();
    let mut authenticated = !behaviour.auth;
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if !upper.starts_with("AUTH") {
            seen.lock().unwrap().commands.push(command.clone());
        }
        if upper.starts_with("QUIT") {
            reply(&mut out, "221 bye")?;
            return Ok(());
        }
        if refusing {
            reply(&mut out, "503 no service here")?;
            continue;
        }
        if upper.starts_with("EHLO") {
            reply(&mut out, "250-smtp.test")?;
            if behaviour.auth {
                reply(&mut out, "250-AUTH PLAIN")?;
            }
            reply(&mut out, "250 8BITMIME")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            reply(&mut out, "250 ok")?;
        } else if upper.starts_with("RSET") {
            mail_from = None;
            rcpt_to.clear();
            reply(&mut out, "250 ok")?;
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = command.split_whitespace().nth(2).unwrap_or_default();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            seen.lock().unwrap().auth.push(decoded);
            authenticated = true;
            reply(&mut out, "235 2.7.0 authenticated")?;
        } else if upper.starts_with("MAIL FROM:") {
            if !authenticated {
                reply(&mut out, "530 5.7.0 authentication required")?;
                continue;
            }
            mail_from = Some(path_of(&command[10..]));
            rcpt_to.clear();
            reply(&mut out, "250 2.1.0 ok")?;
        } else if upper.starts_with("RCPT TO:") {
            match behaviour.rcpt {
                Some(refusal) => reply(&mut out, refusal)?,
                None => {
                    rcpt_to.push(path_of(&command[8..]));
                    reply(&mut out, "250 2.1.5 ok")?;
                }
            }
        } else if upper == "DATA" {
            if mail_from.is_none() || rcpt_to.is_empty() {
                reply(&mut out, "503 5.5.1 no valid recipients")?;
                continue;
            }
            reply(&mut out, "354 end with <CRLF>.<CRLF>")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(unstuffed);
            }
            let n = data_ends.fetch_add(1, Ordering::SeqCst);
            if n < behaviour.data_fail_first {
                reply(&mut out, "451 4.3.0 try again later")?;
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
                });
                reply(&mut out, "250 2.0.0 queued")?;
            }
            mail_from = None;
            rcpt_to.clear();
        } else {
            reply(&mut out, "500 5.5.2 unknown command")?;
        }
    }
}

/// `init` and `apply` against a fresh simulator.
fn applied() -> (TestEnv, InProcessSimulator) {
    let mut env = TestEnv::new();
    let simulator = InProcessSimulator::start(&env.root().join("sim"), None);
    simulator.configure(&mut env);
    env.set_env("BREAKGLASS_KEEPASS_PASSWORD", KEEPASS_PASSWORD);
    env.run(["init"]).assert_success();
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

    // The body: the facts Slack and Teams show.
    let body = &mail.body;
    for fact in [
        "Emergency app signed in with its rotating credential",
        "Severity:   high",
        "Credential: rotating",
        "Result:     success",
        "Source:     servicePrincipalSignIns",
        &format!("Event id:   {id}"),
    ] {
        assert!(body.contains(fact), "{fact:?} not in:\n{body}");
    }
    assert!(body.contains("Key id:"), "{body}");
    assert!(body.contains("treat it as\r\nan incident"), "{body}");
    assert!(body.contains("IP address:"), "{body}");

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
