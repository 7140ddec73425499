//! Writes a realistic Log Analytics JSON-lines export for benchmarking `breakglass scan`.
//!
//! ```sh
//! cargo run --release -p breakglass-scan --example generate_logs -- \
//!     --out /tmp/logs.jsonl --size-mb 1024 --identities /tmp/ids.json
//! ```
//!
//! Rows are AADServicePrincipalSignInLogs, SigninLogs, AADNonInteractiveUserSignInLogs and
//! AuditLogs with the tables' column names, realistic value sizes, nested dynamic columns
//! (some exported as JSON text, as Log Analytics does for the non-interactive and
//! service-principal tables) and about 2 % of rows with `\uXXXX` escapes in display names.
//! One row in about 1500 touches the emergency identities (in upper or lower case; a few
//! with the app id itself written with an escape). The identities are written as
//! `EmergencyIdentities` JSON, and the number of matching rows is printed on stdout.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::io::{BufWriter, Write};

use breakglass_core::identities::{
    EmergencyIdentities, MonitoredCredential, MonitoredUser, Severity,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const APPS: &[&str] = &[
    "Microsoft Teams",
    "Office 365 Exchange Online",
    "Azure Portal",
    "Microsoft Graph Command Line Tools",
    "contoso-billing-sync",
    "SharePoint Online Web Client Extensibility",
    "Microsoft Authentication Broker",
];
const CITIES: &[&str] = &["Amsterdam", "Seattle", "Oslo", "Dublin", "Utrecht"];
const NAMES: &[&str] = &["Ana", "Bram", "Dev", "Eun-ji", "Femi", "Goran"];
/// Names that Log Analytics exports with `\uXXXX` escapes; picked one time in 100.
const ESCAPED: &[&str] = &[
    "S\\u00e3o Paulo",
    "Z\\u00fcrich",
    "Chlo\\u00e9",
    "Bj\\u00f6rn",
];
const ERRORS: &[(&str, &str)] = &[
    ("0", ""),
    ("0", ""),
    ("0", ""),
    ("0", ""),
    (
        "50126",
        "Invalid username or password or Invalid on-premise username or password.",
    ),
    ("50074", "Strong Authentication is required."),
    ("7000215", "Invalid client secret provided."),
];

fn time(i: u64) -> String {
    let secs = i % 86_400;
    format!(
        "2026-11-20T{:02}:{:02}:{:02}.{:07}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        i % 10_000_000
    )
}

fn location(rng: &mut Rng) -> String {
    let city = if rng.below(100) == 0 {
        rng.pick(ESCAPED)
    } else {
        rng.pick(CITIES)
    };
    format!(
        r#"{{"city":"{city}","state":"","countryOrRegion":"NL","geoCoordinates":{{"altitude":null,"latitude":52.37{},"longitude":4.89{}}}}}"#,
        rng.below(100),
        rng.below(100)
    )
}

/// Quotes a JSON text as a JSON string (for dynamic columns exported as text).
fn as_text(json: &str) -> String {
    serde_json::to_string(json).unwrap_or_default()
}

struct Ids {
    app: String,
    sp: String,
    app_object: String,
    keys: [String; 2],
    users: [(String, String); 2],
    group: String,
}

fn case(rng: &mut Rng, id: &str) -> String {
    if rng.below(4) == 0 {
        id.to_uppercase()
    } else {
        id.to_string()
    }
}

fn sp_row(rng: &mut Rng, i: u64, ids: Option<&Ids>) -> String {
    let (app, sp, key, name) = match ids {
        Some(ids) => {
            let key = if rng.below(10) == 0 {
                rng.guid()
            } else {
                ids.keys[rng.below(2) as usize].clone()
            };
            let mut app = case(rng, &ids.app);
            if rng.below(20) == 0 {
                // The app id with its fifth character written as a JSON escape.
                app = format!("{}\\u00{:02x}{}", &app[..4], app.as_bytes()[4], &app[5..]);
            }
            (
                app,
                case(rng, &ids.sp),
                key,
                "breakglass-emergency".to_string(),
            )
        }
        None => (
            rng.guid(),
            rng.guid(),
            rng.guid(),
            rng.pick(APPS).to_string(),
        ),
    };
    let (code, reason) = ERRORS[rng.below(ERRORS.len() as u64) as usize];
    let ca = as_text(&format!(
        r#"[{{"id":"{}","displayName":"Require compliant workload","enforcedGrantControls":[],"enforcedSessionControls":[],"result":"notApplied"}}]"#,
        rng.guid()
    ));
    format!(
        concat!(
            r#"{{"TenantId":"{tenant}","SourceSystem":"Azure AD","TimeGenerated":"{t}","OperationName":"Sign-in activity","OperationVersion":"1.0","Category":"ServicePrincipalSignInLogs","ResultType":"{code}","ResultSignature":"SUCCESS","ResultDescription":"{reason}","DurationMs":0,"CorrelationId":"{corr}","ResourceGroup":"","Identity":"{name}","Level":"4","Location":"NL","#,
            r#""AppId":"{app}","AuthenticationProcessingDetails":"[{{\"key\":\"Azure AD App Authentication Library\",\"value\":\"Family: MSAL Library: MSAL.Python 1.31.0 Platform: Python\"}}]","ConditionalAccessPolicies":{ca},"ConditionalAccessStatus":"notApplied","FederatedCredentialId":"","Id":"{id}","IPAddress":"203.0.113.{ip}","LocationDetails":{loc},"#,
            r#""ResourceDisplayName":"Microsoft Graph","ResourceIdentity":"00000003-0000-0000-c000-000000000000","ServicePrincipalCredentialKeyId":"{key}","ServicePrincipalCredentialThumbprint":"","ServicePrincipalId":"{sp}","ServicePrincipalName":"{name}","UniqueTokenIdentifier":"{uti}","Type":"AADServicePrincipalSignInLogs","_ItemId":"{item}","#,
            r#""AADTenantId":"{tenant}","Agent":"{{\"agentType\":\"notAgentic\"}}","AppOwnerTenantId":"{tenant}","ClientCredentialType":"clientSecret","CreatedDateTime":"{t}","NetworkLocationDetails":"[]","ResourceOwnerTenantId":"f8cdef31-a31e-4b4a-93e4-5f571e91255a","ResourceServicePrincipalId":"{rsp}","SessionId":"","UserAgent":"python-requests/2.32.3"}}"#
        ),
        tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47",
        t = time(i),
        code = code,
        reason = reason,
        corr = rng.guid(),
        name = name,
        app = app,
        ca = ca,
        id = rng.guid(),
        ip = rng.below(255),
        loc = as_text(&location(rng)),
        key = key,
        sp = sp,
        uti = "xVc9mS0tG0KJ3y8xQk5BAA",
        item = rng.guid(),
        rsp = rng.guid(),
    )
}

fn user_row(rng: &mut Rng, i: u64, user: Option<(String, String)>, interactive: bool) -> String {
    let (uid, upn) = user.unwrap_or_else(|| {
        let n = rng.below(50_000);
        (rng.guid(), format!("user{n}@contoso.com"))
    });
    let first = if rng.below(100) == 0 {
        rng.pick(ESCAPED)
    } else {
        rng.pick(NAMES)
    };
    let (code, reason) = ERRORS[rng.below(5) as usize];
    let mut ca = String::from("[");
    for k in 0..4 {
        if k > 0 {
            ca.push(',');
        }
        let _ = write!(
            ca,
            r#"{{"id":"{}","displayName":"CA00{k} Require MFA for all users","enforcedGrantControls":["Mfa"],"enforcedSessionControls":[],"result":"success","conditionsSatisfied":3,"conditionsNotSatisfied":0}}"#,
            rng.guid()
        );
    }
    ca.push(']');
    let (table, category, loc, ca, status, device) = if interactive {
        (
            "SigninLogs",
            "SignInLogs",
            location(rng),
            ca,
            format!(r#"{{"errorCode":{code},"additionalDetails":"MFA requirement satisfied by claim in the token"}}"#),
            r#"{"deviceId":"","operatingSystem":"Windows10","browser":"Edge 131.0.0","isCompliant":false,"isManaged":false,"trustType":""}"#.to_string(),
        )
    } else {
        (
            "AADNonInteractiveUserSignInLogs",
            "NonInteractiveUserSignInLogs",
            as_text(&location(rng)),
            as_text(&ca),
            as_text(&format!(r#"{{"errorCode":{code}}}"#)),
            as_text(
                r#"{"deviceId":"","operatingSystem":"Ios","browser":"Mobile Safari","isCompliant":false,"isManaged":false,"trustType":""}"#,
            ),
        )
    };
    format!(
        concat!(
            r#"{{"TenantId":"{tenant}","SourceSystem":"Azure AD","TimeGenerated":"{t}","ResourceId":"/tenants/{tenant}/providers/Microsoft.aadiam","OperationName":"Sign-in activity","OperationVersion":"1.0","Category":"{category}","ResultType":"{code}","ResultSignature":"None","ResultDescription":"{reason}","DurationMs":0,"CorrelationId":"{corr}","Resource":"Microsoft.aadiam","ResourceGroup":"Microsoft.aadiam","ResourceProvider":"Microsoft.aadiam","Identity":"{first} Jansen","Level":"4","Location":"NL","#,
            r#""AlternateSignInName":"{upn}","AppDisplayName":"{app}","AppId":"{appid}","AuthenticationDetails":"[{{\"authenticationStepDateTime\":\"{t}\",\"authenticationMethod\":\"Previously satisfied\",\"succeeded\":true,\"authenticationStepResultDetail\":\"First factor requirement satisfied by claim in the token\",\"authenticationStepRequirement\":\"\",\"StatusSequence\":0,\"RequestSequence\":0}}]","AuthenticationMethodsUsed":"","AuthenticationProcessingDetails":"[{{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"}},{{\"key\":\"Is CAE Token\",\"value\":\"True\"}}]","AuthenticationRequirement":"multiFactorAuthentication","AuthenticationRequirementPolicies":"[]","ClientAppUsed":"Browser","ConditionalAccessPolicies":{ca},"ConditionalAccessStatus":"success","CreatedDateTime":"{t}","DeviceDetail":{device},"#,
            r#""IsInteractive":{interactive},"Id":"{id}","IPAddress":"198.51.100.{ip}","IsRisky":false,"LocationDetails":{loc},"MfaDetail":"","NetworkLocationDetails":"[]","OriginalRequestId":"{id}","ProcessingTimeInMilliseconds":"{ms}","RiskDetail":"none","RiskEventTypes":"[]","RiskEventTypes_V2":"[]","RiskLevelAggregated":"none","RiskLevelDuringSignIn":"none","RiskState":"none","ResourceDisplayName":"Windows Azure Service Management API","ResourceIdentity":"797f4846-ba00-4fd7-ba43-dac1f8f63013","ServicePrincipalId":"","Status":{status},"TokenIssuerName":"","TokenIssuerType":"AzureAD","UserAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0","UserDisplayName":"{first} Jansen","UserId":"{uid}","UserPrincipalName":"{upn}","UserType":"Member","SessionId":"{sid}","UniqueTokenIdentifier":"h2bY1mS0tG0KJ3y8xQk5BAA","Type":"{table}"}}"#
        ),
        tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47",
        t = time(i),
        category = category,
        code = code,
        reason = reason,
        corr = rng.guid(),
        first = first,
        upn = upn,
        app = rng.pick(APPS),
        appid = rng.guid(),
        ca = ca,
        device = device,
        interactive = interactive,
        id = rng.guid(),
        ip = rng.below(255),
        loc = loc,
        ms = rng.below(400),
        status = status,
        uid = uid,
        sid = rng.guid(),
        table = table,
    )
}

fn audit_row(rng: &mut Rng, i: u64, target: Option<String>) -> String {
    let matching = target.is_some();
    let target = target.unwrap_or_else(|| rng.guid());
    let activity = if matching {
        rng.pick(&[
            "Add service principal credentials",
            "Update application \\u2013 Certificates and secrets management ",
            "Add member to role",
        ])
    } else {
        rng.pick(&[
            "Update user",
            "Add member to group",
            "Update device",
            "Add user",
        ])
    };
    format!(
        concat!(
            r#"{{"TenantId":"{tenant}","SourceSystem":"Azure AD","TimeGenerated":"{t}","ResourceId":"/tenants/{tenant}/providers/Microsoft.aadiam","OperationName":"{activity}","OperationVersion":"1.0","Category":"Core Directory","ResultSignature":"None","DurationMs":0,"CorrelationId":"{corr}","Resource":"Microsoft.aadiam","ResourceGroup":"Microsoft.aadiam","ResourceProvider":"Microsoft.aadiam","Identity":"admin@contoso.com","Level":"4","Location":"NL","#,
            r#""AdditionalDetails":[{{"key":"User-Agent","value":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}}],"Id":"Directory_{corr}","InitiatedBy":{{"user":{{"id":"{actor}","displayName":null,"userPrincipalName":"admin@contoso.com","ipAddress":"192.0.2.{ip}","roles":[]}}}},"LoggedByService":"Core Directory","Result":"success","ResultReason":"","#,
            r#""TargetResources":[{{"id":"{target}","displayName":null,"type":"ServicePrincipal","modifiedProperties":[{{"displayName":"KeyDescription","oldValue":"[]","newValue":"[\"[KeyIdentifier={key},KeyType=Password,KeyUsage=Verify,DisplayName=rotating]\"]"}},{{"displayName":"Included Updated Properties","oldValue":null,"newValue":"\"KeyDescription\""}}],"administrativeUnits":[]}}],"AADTenantId":"{tenant}","ActivityDisplayName":"{activity}","ActivityDateTime":"{t}","AADOperationType":"Update","Type":"AuditLogs"}}"#
        ),
        tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47",
        t = time(i),
        activity = activity,
        corr = rng.guid(),
        actor = rng.guid(),
        ip = rng.below(255),
        target = target,
        key = rng.guid(),
    )
}

fn main() -> std::io::Result<()> {
    let mut out = None;
    let mut size_mb = 1024u64;
    let mut ids_path = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = args.next(),
            "--size-mb" => size_mb = args.next().and_then(|s| s.parse().ok()).unwrap_or(1024),
            "--identities" => ids_path = args.next(),
            _ => {
                eprintln!("usage: generate_logs --out FILE [--size-mb N] [--identities IDS.json]");
                std::process::exit(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("--out FILE is required");
        std::process::exit(2);
    };
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let ids = Ids {
        app: rng.guid(),
        sp: rng.guid(),
        app_object: rng.guid(),
        keys: [rng.guid(), rng.guid()],
        users: [
            (rng.guid(), "bg-admin1@contoso.onmicrosoft.com".into()),
            (rng.guid(), "bg-admin2@contoso.onmicrosoft.com".into()),
        ],
        group: rng.guid(),
    };
    let identities = EmergencyIdentities {
        tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        app_id: ids.app.clone(),
        application_object_id: ids.app_object.clone(),
        service_principal_id: ids.sp.clone(),
        credentials: vec![
            MonitoredCredential {
                key_id: ids.keys[0].clone(),
                label: "offline".into(),
                kind: "certificate".into(),
                thumbprint: None,
                severity: Severity::Critical,
            },
            MonitoredCredential {
                key_id: ids.keys[1].clone(),
                label: "rotating".into(),
                kind: "secret".into(),
                thumbprint: None,
                severity: Severity::High,
            },
        ],
        users: ids
            .users
            .iter()
            .map(|(id, upn)| MonitoredUser {
                id: id.clone(),
                user_principal_name: upn.clone(),
            })
            .collect(),
        exclusion_group_id: ids.group.clone(),
        temporary_user_marker: "breakglass:temporary:".into(),
    };
    if let Some(path) = ids_path {
        std::fs::write(path, serde_json::to_string_pretty(&identities)?)?;
    }
    let target = size_mb << 20;
    let mut writer = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let (mut written, mut rows, mut matching) = (0u64, 0u64, 0u64);
    while written < target {
        let hit = rng.below(1500) == 0;
        let kind = rng.below(10);
        let row = match kind {
            0..=3 => sp_row(&mut rng, rows, hit.then_some(&ids)),
            4..=5 => {
                let user = hit.then(|| ids.users[rng.below(2) as usize].clone());
                let user = user.map(|(id, upn)| (case(&mut rng, &id), upn));
                user_row(&mut rng, rows, user, true)
            }
            6..=7 => {
                let user = hit.then(|| ids.users[rng.below(2) as usize].clone());
                user_row(&mut rng, rows, user, false)
            }
            _ => {
                let target = hit.then(|| {
                    if rng.below(2) == 0 {
                        case(&mut rng, &ids.sp)
                    } else {
                        ids.app_object.clone()
                    }
                });
                audit_row(&mut rng, rows, target)
            }
        };
        matching += hit as u64;
        writer.write_all(row.as_bytes())?;
        writer.write_all(b"\n")?;
        written += row.len() as u64 + 1;
        rows += 1;
    }
    writer.flush()?;
    println!("{matching}");
    eprintln!("wrote {rows} rows, {written} bytes, {matching} matching, to {out}");
    Ok(())
}
