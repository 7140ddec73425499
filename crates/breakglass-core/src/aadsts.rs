//! Explanations for the `AADSTS` error codes the token endpoint answers with.
//!
//! The token endpoint reports failures as `{"error", "error_description", "error_codes",
//! "timestamp", "trace_id", "correlation_id"}`; `error_codes` carries the AADSTS numbers.
//! This table says in one line what each code breakglass is likely to meet means and what to
//! do about it.

/// One AADSTS code explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AadstsExplanation {
    pub code: u32,
    /// What went wrong, in one line.
    pub meaning: &'static str,
    /// What to do about it, in one line.
    pub action: &'static str,
}

const fn entry(code: u32, meaning: &'static str, action: &'static str) -> AadstsExplanation {
    AadstsExplanation {
        code,
        meaning,
        action,
    }
}

/// Every code this module explains.
pub const TABLE: &[AadstsExplanation] = &[
    entry(
        7000215,
        "the client secret is wrong",
        "send the secret's Value (shown once when it was created), not its Secret ID; check AZURE_CLIENT_SECRET has no stray whitespace",
    ),
    entry(
        7000222,
        "the application's client secret has expired",
        "add a new secret to the app registration (or switch to a certificate) and update AZURE_CLIENT_SECRET",
    ),
    entry(
        700016,
        "no application with this client id exists in this tenant",
        "check AZURE_CLIENT_ID and AZURE_TENANT_ID, and that --cloud points at the cloud where the app is registered",
    ),
    entry(
        90002,
        "the tenant does not exist in this cloud",
        "check AZURE_TENANT_ID (directory id or a verified domain) and that --cloud names the right cloud",
    ),
    entry(
        700027,
        "the certificate that signed the client assertion is not registered on the application",
        "upload the certificate's public part to the app registration, or use the certificate that is registered; if only `x5t` thumbprints match, try the RS256/x5t assertion",
    ),
    entry(
        7000218,
        "the request carried no client credential",
        "set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH",
    ),
    entry(
        7000112,
        "the application is disabled",
        "re-enable the application's service principal in the tenant (Enterprise applications → Properties → Enabled for users to sign in)",
    ),
    entry(
        70011,
        "the requested scope is not valid",
        "ask for one resource with `/.default`, e.g. https://graph.microsoft.com/.default, matching the cloud's Graph endpoint",
    ),
    entry(
        700022,
        "the scope names more than one resource",
        "ask for a single resource's `/.default` scope",
    ),
    entry(
        700023,
        "the scope names no resource",
        "ask for a resource's `/.default` scope, e.g. https://graph.microsoft.com/.default",
    ),
    entry(
        500011,
        "the resource (e.g. Microsoft Graph) was not found in the tenant",
        "check the scope's host matches the cloud's Graph endpoint (--cloud); an admin may need to consent to the app",
    ),
    entry(
        700024,
        "the client assertion is outside its valid time range",
        "check this machine's clock (NTP); the assertion is valid for 10 minutes from now",
    ),
    entry(
        500133,
        "the assertion is not within its valid time range",
        "check this machine's clock (NTP) and retry",
    ),
    entry(
        50013,
        "the client assertion is invalid (signature, audience or claims)",
        "check the assertion's audience is this tenant's token endpoint and the key matches the registered certificate",
    ),
    entry(
        700025,
        "a public client was sent a client credential",
        "use a confidential app registration for client credentials, or sign in with the device code flow without a secret",
    ),
    entry(
        900144,
        "a required request parameter is missing",
        "this is a client bug; report it with the trace id",
    ),
    entry(
        9001023,
        "the grant is not supported on /common, /organizations or /consumers",
        "use the tenant's own id or domain as AZURE_TENANT_ID",
    ),
    entry(
        90055,
        "the token endpoint is throttling this tenant",
        "wait a minute and retry; avoid acquiring tokens in a tight loop",
    ),
    entry(
        7000114,
        "the application is not allowed to use this grant",
        "check the app registration's settings (public client flows, supported account types)",
    ),
    entry(
        53003,
        "Conditional Access blocked the sign-in",
        "sign in from a location/device the policy allows, or use the emergency access account excluded from the policy",
    ),
    entry(
        50076,
        "multi-factor authentication is required",
        "complete MFA interactively (device code sign-in) or use an account/app that is allowed without it",
    ),
    entry(
        50126,
        "the user name or password is wrong",
        "check the credentials of the account signing in",
    ),
    entry(
        50034,
        "the user account does not exist in this tenant",
        "check the user principal name and the tenant",
    ),
    entry(
        50057,
        "the user account is disabled",
        "sign in with an enabled account (e.g. the emergency access account)",
    ),
    entry(
        65001,
        "the application has not been granted consent",
        "have an administrator grant consent to the application's permissions",
    ),
    entry(
        70016,
        "the device code sign-in is still waiting for the user",
        "finish signing in at the verification page with the code shown",
    ),
    entry(
        70019,
        "the device code has expired",
        "start the sign-in again and complete it within the time shown",
    ),
    entry(
        70020,
        "the device code has expired",
        "start the sign-in again and complete it within the time shown",
    ),
    entry(
        70000,
        "the grant is invalid or was declined",
        "start the sign-in again; if the user declined, sign in and approve the request",
    ),
    entry(
        70043,
        "the token or grant has expired due to Conditional Access sign-in frequency",
        "sign in again",
    ),
];

/// The explanation for one AADSTS code, if known.
pub fn explain(code: u32) -> Option<&'static AadstsExplanation> {
    TABLE.iter().find(|entry| entry.code == code)
}

/// The first AADSTS code found in an `error_description` such as
/// `"AADSTS7000215: Invalid client secret provided. …"`.
pub fn code_in_description(description: &str) -> Option<u32> {
    let start = description.find("AADSTS")? + "AADSTS".len();
    let digits: String = description[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The first line of an `error_description`, without the `Trace ID`/`Correlation ID`/
/// `Timestamp` lines the token endpoint appends.
pub fn description_first_line(description: &str) -> &str {
    description
        .split(['\r', '\n'])
        .next()
        .unwrap_or(description)
        .trim()
}

/// The device code flow's `error` values while polling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceCodePollState {
    /// `authorization_pending`: keep polling at the interval.
    Pending,
    /// `slow_down`: keep polling, 5 seconds slower.
    SlowDown,
    /// `expired_token`: the code expired; start over.
    Expired,
    /// `authorization_declined`: the user said no.
    Declined,
    /// `bad_verification_code`: the device code was not recognised.
    BadCode,
    /// Any other error: stop.
    Failed,
}

/// Classifies the `error` value of a device code poll response.
pub fn device_code_poll_state(error: &str) -> DeviceCodePollState {
    match error {
        "authorization_pending" => DeviceCodePollState::Pending,
        "slow_down" => DeviceCodePollState::SlowDown,
        "expired_token" | "code_expired" => DeviceCodePollState::Expired,
        "authorization_declined" | "access_denied" => DeviceCodePollState::Declined,
        "bad_verification_code" => DeviceCodePollState::BadCode,
        _ => DeviceCodePollState::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_required_codes_and_no_duplicates() {
        for code in [
            7000215, 7000222, 700016, 90002, 700027, 7000218, 7000112, 70011, 500011, 700024,
            500133, 50013, 90055, 70016, 70020, 70000,
        ] {
            let entry = explain(code).unwrap_or_else(|| panic!("{code} missing"));
            assert!(!entry.meaning.is_empty() && !entry.action.is_empty());
        }
        for (i, a) in TABLE.iter().enumerate() {
            assert!(
                TABLE[i + 1..].iter().all(|b| b.code != a.code),
                "{} twice",
                a.code
            );
        }
        assert!(
            explain(7000215)
                .unwrap()
                .action
                .contains("not its Secret ID")
        );
        assert_eq!(explain(1), None);
    }

    #[test]
    fn parses_description() {
        let description = "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x\r\nCorrelation ID: y\r\nTimestamp: 2023-05-06 06:03:00Z";
        assert_eq!(code_in_description(description), Some(7000215));
        assert_eq!(
            description_first_line(description),
            "AADSTS7000215: Invalid client secret provided."
        );
        assert_eq!(code_in_description("no code here"), None);
    }

    #[test]
    fn device_code_states() {
        assert_eq!(
            device_code_poll_state("authorization_pending"),
            DeviceCodePollState::Pending
        );
        assert_eq!(
            device_code_poll_state("slow_down"),
            DeviceCodePollState::SlowDown
        );
        assert_eq!(
            device_code_poll_state("expired_token"),
            DeviceCodePollState::Expired
        );
        assert_eq!(
            device_code_poll_state("authorization_declined"),
            DeviceCodePollState::Declined
        );
        assert_eq!(
            device_code_poll_state("invalid_grant"),
            DeviceCodePollState::Failed
        );
    }
}
