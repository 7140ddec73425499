//! Conformance with Microsoft's reference (issue 11, part 5): every operation breakglass sends
//! has a row stating what its reference page documents: the success status, the request
//! properties the page calls required (Entra refuses a request without one with 400), and the
//! answer's properties breakglass reads. The simulator must answer each row as Entra would;
//! where it is kinder, a rehearsal passes and the real day fails.
//!
//! Pages are in microsoftgraph/microsoft-graph-docs-contrib unless a row names another source.
//! Only facts are taken from them: every value sent here is our own.
//!
//! The rows live with their area: `conformance_applications`, `conformance_directory`,
//! `conformance_policies` and `conformance_identity` (token endpoint and Resource Manager).

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::credentials::{TestCert, sign_jwt, test_certificate};
use super::{Harness, harness_with};

/// One operation as its reference page documents it.
pub(super) struct Case {
    /// The method and path template, as the page's "HTTP request" section writes them.
    pub operation: &'static str,
    /// The page that documents the operation.
    pub reference: &'static str,
    pub path: fn(&mut Fixture<'_>) -> String,
    pub body: Option<fn(&mut Fixture<'_>) -> Value>,
    /// The status of success the page's "Response" section names.
    pub status: u16,
    /// Properties the page calls required (`outer/inner` for nested ones); sent without one,
    /// the request must be refused with 400.
    pub required: &'static [&'static str],
    /// Properties of the answer (of its first item, for a collection) that the page (or its
    /// resource's page) documents and breakglass reads.
    pub answers: &'static [&'static str],
}

/// A simulator whose operator may also write Conditional Access and app management policies,
/// so every row can be sent with one token.
pub(super) fn conformance_harness() -> Harness {
    harness_with(&[
        "Policy.Read.All",
        "Policy.ReadWrite.ConditionalAccess",
        "Policy.ReadWrite.ApplicationConfiguration",
    ])
}

/// Checks every row against a fresh fixture and reports all departures at once, so one run
/// lists every place the simulator is kinder than Entra.
pub(super) fn check_rows(h: &Harness, token: &str, rows: &[Case]) {
    let failures: Vec<String> = rows
        .iter()
        .flat_map(|row| check(&mut Fixture::new(h, token), row))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn check(fixture: &mut Fixture<'_>, row: &Case) -> Vec<String> {
    let (method, _) = row.operation.split_once(' ').expect("METHOD /path");
    let method: Method = method.parse().expect("an HTTP method");
    let path = (row.path)(fixture);
    let body = row.body.map(|make| make(fixture));
    let label = format!("{} [{}]", row.operation, row.reference);
    let mut failures = Vec::new();
    for property in row.required {
        let mut partial = body.clone().expect("a required property needs a body");
        assert!(
            without(&mut partial, property),
            "{label}: no `{property}` in the body"
        );
        let (status, answer) = fixture.send(method.clone(), &path, Some(partial));
        if status != StatusCode::BAD_REQUEST {
            failures.push(format!(
                "{label}: without the required `{property}` the simulator answered {status}, Entra 400: {answer}"
            ));
        }
    }
    let (status, answer) = fixture.send(method, &path, body);
    if status.as_u16() != row.status {
        failures.push(format!(
            "{label}: answered {status}, documented {}: {answer}",
            row.status
        ));
        return failures;
    }
    let subject = match answer.get("value") {
        Some(Value::Array(items)) => items.first().cloned().unwrap_or(Value::Null),
        _ => answer.clone(),
    };
    for property in row.answers {
        if subject.pointer(&format!("/{property}")).is_none() {
            failures.push(format!(
                "{label}: the answer lacks the documented `{property}`: {answer}"
            ));
        }
    }
    failures
}

/// Removes `outer/inner` from `body`; false when it was not there.
fn without(body: &mut Value, property: &str) -> bool {
    let (parent, name) = match property.rsplit_once('/') {
        Some((parent, name)) => (format!("/{parent}"), name),
        None => (String::new(), property),
    };
    body.pointer_mut(&parent)
        .and_then(Value::as_object_mut)
        .and_then(|object| object.remove(name))
        .is_some()
}

/// The certificate already on the fixture's certified application (it signs proofs) and the
/// one addKey adds; made once, as RSA keys are slow to make.
fn certificates() -> &'static (TestCert, TestCert) {
    static CERTIFICATES: OnceLock<(TestCert, TestCert)> = OnceLock::new();
    CERTIFICATES.get_or_init(|| (test_certificate(), test_certificate()))
}

/// Directory objects a row needs, made on first use through Graph itself.
pub(super) struct Fixture<'h> {
    h: &'h Harness,
    token: &'h str,
    made: HashMap<&'static str, String>,
}

impl<'h> Fixture<'h> {
    fn new(h: &'h Harness, token: &'h str) -> Fixture<'h> {
        Fixture {
            h,
            token,
            made: HashMap::new(),
        }
    }

    pub fn harness(&self) -> &'h Harness {
        self.h
    }

    pub fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, answer, _) = self.h.graph(self.token, method, path, body);
        (status, answer)
    }

    /// A request the fixture relies on; it must succeed.
    pub fn must(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.send(method.clone(), path, body);
        assert!(status.is_success(), "{method} {path}: {status} {answer}");
        answer
    }

    fn memo(&mut self, name: &'static str, make: fn(&mut Fixture<'h>) -> String) -> String {
        if let Some(value) = self.made.get(name) {
            return value.clone();
        }
        let value = make(self);
        self.made.insert(name, value.clone());
        value
    }

    /// A name no other row has used, so creations never collide.
    pub fn unique(&self, stem: &str) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        format!("{stem}{}", NEXT.fetch_add(1, Ordering::Relaxed))
    }

    pub fn domain(&self) -> &'static str {
        "contososim.onmicrosoft.com"
    }

    /// The object id of a new application.
    pub fn app(&mut self) -> String {
        self.memo("app", |f| {
            let name = f.unique("conformance app ");
            let app = f.must(
                Method::POST,
                "/v1.0/applications",
                Some(json!({ "displayName": name })),
            );
            f.made
                .insert("appId", app["appId"].as_str().unwrap().to_string());
            app["id"].as_str().unwrap().to_string()
        })
    }

    /// The client id of [`Fixture::app`].
    pub fn app_id(&mut self) -> String {
        self.app();
        self.made["appId"].clone()
    }

    /// The service principal of [`Fixture::app`].
    pub fn sp(&mut self) -> String {
        self.memo("sp", |f| {
            let app_id = f.app_id();
            let sp = f.must(
                Method::POST,
                "/v1.0/servicePrincipals",
                Some(json!({ "appId": app_id })),
            );
            sp["id"].as_str().unwrap().to_string()
        })
    }

    /// The key id of a secret on [`Fixture::app`].
    pub fn app_secret(&mut self) -> String {
        self.memo("app secret", |f| {
            let path = format!("/v1.0/applications/{}/addPassword", f.app());
            let secret = f.must(Method::POST, &path, Some(json!({})));
            secret["keyId"].as_str().unwrap().to_string()
        })
    }

    /// The key id of a secret on [`Fixture::sp`].
    pub fn sp_secret(&mut self) -> String {
        self.memo("sp secret", |f| {
            let path = format!("/v1.0/servicePrincipals/{}/addPassword", f.sp());
            let secret = f.must(Method::POST, &path, Some(json!({})));
            secret["keyId"].as_str().unwrap().to_string()
        })
    }

    /// [`Fixture::app`] with a certificate whose key signs [`Fixture::proof`].
    pub fn certified_app(&mut self) -> String {
        self.memo("certified app", |f| {
            let id = f.app();
            let key = STANDARD.encode(&certificates().0.der);
            let certificate =
                json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": key, "displayName": "CN=held"});
            f.must(
                Method::PATCH,
                &format!("/v1.0/applications/{id}"),
                Some(json!({ "keyCredentials": [certificate] })),
            );
            id
        })
    }

    /// The key id of the certificate on [`Fixture::certified_app`].
    pub fn certificate_key_id(&mut self) -> String {
        self.memo("certificate", |f| {
            let path = format!(
                "/v1.0/applications/{}?$select=keyCredentials",
                f.certified_app()
            );
            let app = f.must(Method::GET, &path, None);
            app["keyCredentials"][0]["keyId"]
                .as_str()
                .unwrap()
                .to_string()
        })
    }

    /// A proof of possession for [`Fixture::certified_app`], as addKey and removeKey need.
    pub fn proof(&mut self) -> String {
        let held = &certificates().0;
        let now = jiff::Timestamp::now().as_second();
        let thumbprint = URL_SAFE_NO_PAD.encode(Sha256::digest(&held.der));
        sign_jwt(
            held,
            json!({"alg": "PS256", "typ": "JWT", "x5t#S256": thumbprint}),
            json!({"aud": "00000002-0000-0000-c000-000000000000", "iss": self.certified_app(), "nbf": now, "exp": now + 540}),
        )
    }

    /// The base64 DER of a certificate not yet on any object.
    pub fn new_certificate(&self) -> String {
        STANDARD.encode(&certificates().1.der)
    }

    /// A new cloud-only user.
    pub fn user(&mut self) -> String {
        self.memo("user", |f| f.new_user())
    }

    pub fn new_user(&self) -> String {
        let nickname = self.unique("conformance");
        let user = self.must(
            Method::POST,
            "/v1.0/users",
            Some(json!({
                "accountEnabled": true,
                "displayName": nickname,
                "mailNickname": nickname,
                "userPrincipalName": format!("{nickname}@{}", self.domain()),
                "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "Qz7!conformance-Pass"},
            })),
        );
        user["id"].as_str().unwrap().to_string()
    }

    /// A new security group.
    pub fn group(&mut self) -> String {
        self.memo("group", |f| {
            let nickname = f.unique("conformancegroup");
            let group = f.must(
                Method::POST,
                "/v1.0/groups",
                Some(json!({"displayName": nickname, "mailNickname": nickname, "mailEnabled": false, "securityEnabled": true})),
            );
            group["id"].as_str().unwrap().to_string()
        })
    }

    /// [`Fixture::user`] made a member of [`Fixture::group`]; the member's id.
    pub fn member(&mut self) -> String {
        self.memo("member", |f| {
            let user = f.user();
            let reference = f.reference_to(&format!("directoryObjects/{user}"));
            let path = format!("/v1.0/groups/{}/members/$ref", f.group());
            f.must(Method::POST, &path, Some(reference));
            user
        })
    }

    /// [`Fixture::user`] made an owner of `{collection}/{id}`; the owner's id.
    pub fn owner_of(&mut self, collection: &str, id: &str) -> String {
        let user = self.user();
        let reference = self.reference_to(&format!("directoryObjects/{user}"));
        let path = format!("/v1.0/{collection}/{id}/owners/$ref");
        self.must(Method::POST, &path, Some(reference));
        user
    }

    /// An `@odata.id` body naming `path` under this simulator's Graph.
    pub fn reference_to(&self, path: &str) -> Value {
        json!({ "@odata.id": format!("https://127.0.0.1:9/v1.0/{path}") })
    }

    /// Microsoft Graph's service principal and one of its app roles' id.
    pub fn graph_app_role(&mut self) -> (String, String) {
        let resource = self.memo("graph", |f| {
            let path = format!(
                "/v1.0/servicePrincipals?$filter=appId eq '{}'",
                breakglass_core::roles::MICROSOFT_GRAPH_APP_ID
            );
            let found = f.must(Method::GET, &path.replace(' ', "%20"), None);
            let graph = &found["value"][0];
            let role = graph["appRoles"]
                .as_array()
                .unwrap()
                .iter()
                .find(|role| role["value"] == "User.Read.All")
                .expect("Graph's User.Read.All");
            f.made
                .insert("graph role", role["id"].as_str().unwrap().to_string());
            graph["id"].as_str().unwrap().to_string()
        });
        (resource, self.made["graph role"].clone())
    }

    /// An application permission granted to [`Fixture::sp`]; the assignment's id.
    pub fn app_role_grant(&mut self) -> String {
        self.memo("grant", |f| {
            let (resource, role) = f.graph_app_role();
            let sp = f.sp();
            let grant = f.must(
                Method::POST,
                &format!("/v1.0/servicePrincipals/{sp}/appRoleAssignments"),
                Some(json!({"principalId": sp, "resourceId": resource, "appRoleId": role})),
            );
            grant["id"].as_str().unwrap().to_string()
        })
    }

    /// A tenant-wide Helpdesk Administrator assignment of [`Fixture::user`]; its id.
    pub fn role_assignment(&mut self) -> String {
        self.memo("role assignment", |f| {
            let body = json!({
                "roleDefinitionId": breakglass_core::roles::HELPDESK_ADMINISTRATOR.template_id.to_string(),
                "principalId": f.user(),
                "directoryScopeId": "/",
            });
            let assignment = f.must(
                Method::POST,
                "/v1.0/roleManagement/directory/roleAssignments",
                Some(body),
            );
            assignment["id"].as_str().unwrap().to_string()
        })
    }

    /// A user deleted a moment ago, still restorable.
    pub fn deleted_user(&mut self) -> String {
        self.memo("deleted user", |f| {
            let id = f.new_user();
            f.must(Method::DELETE, &format!("/v1.0/users/{id}"), None);
            id
        })
    }

    /// A Temporary Access Pass of [`Fixture::user`]; the method's id.
    pub fn temporary_access_pass(&mut self) -> String {
        self.memo("pass", |f| {
            let path = format!(
                "/v1.0/users/{}/authentication/temporaryAccessPassMethods",
                f.user()
            );
            let pass = f.must(Method::POST, &path, Some(json!({"lifetimeInMinutes": 60})));
            pass["id"].as_str().unwrap().to_string()
        })
    }

    /// The id of a Conditional Access policy of the seeded tenant.
    pub fn conditional_access_policy(&mut self) -> String {
        self.memo("policy", |f| {
            let policies = f.must(
                Method::GET,
                "/v1.0/identity/conditionalAccess/policies",
                None,
            );
            policies["value"][0]["id"].as_str().unwrap().to_string()
        })
    }

    /// A new custom app management policy that restricts nothing.
    pub fn app_management_policy(&mut self) -> String {
        self.memo("app management policy", |f| {
            let name = f.unique("conformance policy ");
            let policy = f.must(
                Method::POST,
                "/v1.0/policies/appManagementPolicies",
                Some(json!({"displayName": name, "description": "restricts nothing", "isEnabled": true})),
            );
            policy["id"].as_str().unwrap().to_string()
        })
    }
}
