//! `[conditional_access] exclude_from_policies` through the real binary: off, nothing
//! changes; on, `plan` lists one change per policy, `apply` adds the exclusion group (and,
//! for workload identity policies, the emergency app) without losing what others added,
//! converges after a kill at every policy change, reports a policy that refuses and goes
//! on, and names the permission an operator lacks.

use std::time::{Duration, Instant};

use breakglass_sim::FaultRule;
use serde_json::{Value, json};

use crate::common::{
    InProcessSimulator, TenantGraph, TestEnv, edited_default_tenant, initialised,
    operator_permissions, policy_list_patch,
};

const KEEPASS_PASSWORD: &str = "correct horse battery staple";
const POLICIES: &str = "identity/conditionalAccess/policies";

/// The seeded tenant with, if `may_write`, an operator allowed to change Conditional Access,
/// plus a disabled Conditional Access policy that blocks every workload identity of the
/// tenant (see [`enable_workload_policy`]).
fn workspace(may_write: bool, option: bool) -> (TestEnv, InProcessSimulator) {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        if may_write {
            operator_permissions(tenant).push(json!("Policy.ReadWrite.ConditionalAccess"));
        }
        tenant["conditionalAccessPolicies"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "displayName": "Block workload identities outside trusted locations",
                "state": "disabled",
                "includeServicePrincipals": ["ServicePrincipalsInMyTenant"],
                "grant": ["block"]
            }));
    });
    let (env, simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    set_option(&env, option);
    (env, simulator)
}

fn set_option(env: &TestEnv, on: bool) {
    let path = env.root().join("breakglass.toml");
    let text = std::fs::read_to_string(&path).expect("breakglass.toml");
    let (from, to) = if on {
        (
            "exclude_from_policies = false",
            "exclude_from_policies = true",
        )
    } else {
        (
            "exclude_from_policies = true",
            "exclude_from_policies = false",
        )
    };
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

/// What these tests look up in the tenant, besides the common reads.
trait Probe {
    fn policies(&self) -> Vec<Value>;
    fn policy(&self, name: &str) -> Value;
    fn group_id(&self, nickname: &str) -> String;
    fn emergency_sp_id(&self) -> String;
}

impl Probe for TenantGraph {
    fn policies(&self) -> Vec<Value> {
        self.list(POLICIES, "")
    }

    fn policy(&self, name: &str) -> Value {
        self.policies()
            .into_iter()
            .find(|p| p["displayName"] == name)
            .unwrap_or_else(|| panic!("no policy {name}"))
    }

    fn group_id(&self, nickname: &str) -> String {
        self.list("groups", &format!("mailNickname eq '{nickname}'"))[0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn emergency_sp_id(&self) -> String {
        self.emergency_sp()["id"].as_str().unwrap().to_string()
    }
}

/// Switches the workload identity policy on, excluding the operator's own app as its
/// owner would, and keeping the exclusions it has.
fn enable_workload_policy(probe: &TenantGraph, simulator: &InProcessSimulator) {
    let policy = probe.policy("Block workload identities outside trusted locations");
    let operator = &probe.list(
        "servicePrincipals",
        &format!("appId eq '{}'", simulator.operator().client_id),
    )[0];
    let mut excluded = excluded_apps(&policy);
    excluded.push(operator["id"].as_str().unwrap().to_string());
    probe.patch(&format!("{POLICIES}/{}", policy["id"].as_str().unwrap()), {
        let mut body = policy_list_patch(
            &policy,
            "clientApplications",
            "excludeServicePrincipals",
            json!(excluded),
        );
        body["state"] = json!("enabled");
        body
    });
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn excluded_groups(policy: &Value) -> Vec<String> {
    strings(&policy["conditions"]["users"]["excludeGroups"])
}

fn excluded_apps(policy: &Value) -> Vec<String> {
    strings(&policy["conditions"]["clientApplications"]["excludeServicePrincipals"])
}

fn is_workload(policy: &Value) -> bool {
    !strings(&policy["conditions"]["clientApplications"]["includeServicePrincipals"]).is_empty()
}

/// Every policy excludes the group exactly once (those for users) or the app exactly once
/// (those for workload identities).
fn assert_all_excluded(probe: &TenantGraph, context: &str) {
    let group = probe.group_id("breakglass-emergency-access");
    let sp = probe.emergency_sp_id();
    for policy in probe.policies() {
        let (list, ours) = if is_workload(&policy) {
            (excluded_apps(&policy), &sp)
        } else {
            (excluded_groups(&policy), &group)
        };
        assert_eq!(
            list.iter().filter(|id| *id == ours).count(),
            1,
            "{context}: {policy:#}"
        );
    }
}

fn plan_kinds(env: &TestEnv) -> Vec<String> {
    let output = env.run(["plan", "--output", "json"]);
    output.assert_success();
    output.json()["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_string())
        .collect()
}

fn spawn_apply(env: &TestEnv) -> std::process::Child {
    env.spawn_quiet(["apply", "--yes", "--quiet"])
}

/// Waits until the simulator holds an answer; false when apply ended first.
fn wait_for_hold(simulator: &InProcessSimulator, child: &mut std::process::Child) -> bool {
    let started = Instant::now();
    loop {
        if simulator.held_answers() > 0 {
            return true;
        }
        if let Some(status) = child.try_wait().expect("poll") {
            assert!(status.success(), "apply failed on its own");
            return false;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "apply neither finished nor reached the held change"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn off_by_default_nothing_changes_but_a_note() {
    let (env, simulator) = workspace(true, false);
    let output = env.run(["plan", "--output", "json"]);
    output.assert_success();
    let plan = output.json();
    assert_eq!(plan["changes"], 12, "{plan:#}");
    assert!(
        plan["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["message"]
                .as_str()
                .unwrap()
                .starts_with("4 Conditional Access policies do not exclude")),
        "{plan:#}"
    );
    let before = TenantGraph::new(&simulator).policies();
    env.run(["apply", "--yes"]).assert_success();
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    let after = TenantGraph::new(&simulator).policies();
    assert_eq!(before, after, "no policy was touched");
    // So the workload identity policy, once on, blocks the emergency app: the drill fails.
    enable_workload_policy(&TenantGraph::new(&simulator), &simulator);
    let drill = env.run(["drill", "--log-wait", "0"]);
    drill.assert_code(8);
    assert!(drill.stdout.contains("53003"), "{drill}");
}

#[test]
fn on_every_policy_excludes_the_group_or_the_app_and_the_drill_sees_it() {
    let (env, simulator) = workspace(true, true);
    let kinds = plan_kinds(&env);
    assert_eq!(kinds.len(), 16, "{kinds:?}");
    // Three policies for users (enabled, enabled, report-only), one for workload identities,
    // after everything else.
    assert_eq!(
        &kinds[12..],
        [
            "excludeGroupFromPolicy",
            "excludeGroupFromPolicy",
            "excludeGroupFromPolicy",
            "excludeAppFromPolicy"
        ]
    );
    let human = env.run(["plan"]);
    assert!(
        human.stdout.contains(
            "~ exclude the emergency access group from Conditional Access policy \"Require MFA for all users\" (report-only)"
        ),
        "{human}"
    );

    let applied = env.run(["apply", "--yes", "--output", "json"]);
    applied.assert_success();
    assert_eq!(applied.json()["applied"].as_array().map(Vec::len), Some(16));
    let probe = TenantGraph::new(&simulator);
    assert_all_excluded(&probe, "after apply");
    env.run(["plan", "--detailed-exitcode"]).assert_code(0);
    let again = env.run(["apply", "--yes"]);
    again.assert_success();
    assert!(again.stdout.contains("Nothing to do"), "{again}");

    // The PATCHes are in the audit log as Conditional Access changes.
    let audits = probe.list(
        "auditLogs/directoryAudits",
        "activityDisplayName eq 'Update Conditional Access policy'",
    );
    assert_eq!(audits.len(), 4, "{audits:#?}");

    // drill keeps reporting, and now finds every policy excludes the users; and the
    // emergency app signs in although a policy blocks every other workload identity.
    enable_workload_policy(&probe, &simulator);
    let drill = env.run(["drill", "--log-wait", "0", "--output", "json"]);
    drill.assert_success();
    let report = drill.json();
    let rotating = report["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "rotating")
        .unwrap();
    assert_eq!(rotating["proven"], true, "{rotating:#}");
    for user in report["users"].as_array().unwrap() {
        let check = user["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "conditionalAccess")
            .unwrap();
        assert_eq!(check["status"], "pass", "{user:#}");
    }

    // Someone removes the exclusion: plan sees the drift, apply restores it.
    let group = probe.group_id("breakglass-emergency-access");
    let policy = probe.policy("Require MFA for administrators");
    let id = policy["id"].as_str().unwrap();
    probe.patch(
        &format!("{POLICIES}/{id}"),
        policy_list_patch(&policy, "users", "excludeGroups", json!([])),
    );
    assert_eq!(plan_kinds(&env), ["excludeGroupFromPolicy"]);
    env.run(["apply", "--yes"]).assert_success();
    assert_eq!(
        excluded_groups(&probe.policy("Require MFA for administrators")),
        [group]
    );
}

#[test]
fn an_exclusion_added_by_someone_else_during_apply_is_kept() {
    let (env, simulator) = workspace(true, false);
    env.run(["apply", "--yes"]).assert_success();
    set_option(&env, true);
    let probe = TenantGraph::new(&simulator);
    let service_desk = probe.group_id("servicedesk");
    // Hold the answer to apply's first policy change; apply has read every policy by then.
    simulator.set_faults(vec![FaultRule {
        method: Some("PATCH".into()),
        path_prefix: Some(format!("/v1.0/{POLICIES}")),
        hold_nth_change: Some(1),
        ..FaultRule::default()
    }]);
    let mut child = spawn_apply(&env);
    assert!(wait_for_hold(&simulator, &mut child), "apply was held");
    // Meanwhile an administrator excludes Service Desk from the legacy-auth policy.
    let legacy = probe.policy("Block legacy authentication");
    let id = legacy["id"].as_str().unwrap().to_string();
    probe.patch(
        &format!("{POLICIES}/{id}"),
        policy_list_patch(&legacy, "users", "excludeGroups", json!([service_desk])),
    );
    simulator.set_faults(Vec::new());
    let status = child.wait().expect("apply ends");
    assert!(status.success(), "apply finished");
    let group = probe.group_id("breakglass-emergency-access");
    let kept = excluded_groups(&probe.policy("Block legacy authentication"));
    assert!(
        kept.contains(&service_desk) && kept.contains(&group),
        "both exclusions: {kept:?}"
    );
    assert_all_excluded(&probe, "after a concurrent edit");
}

#[test]
fn apply_killed_at_every_policy_change_converges() {
    let (env, simulator) = workspace(true, false);
    env.run(["apply", "--yes"]).assert_success();
    set_option(&env, true);
    let probe = TenantGraph::new(&simulator);
    let mut n = 1;
    loop {
        // Start from policies that exclude nothing of ours.
        for policy in probe.policies() {
            let id = policy["id"].as_str().unwrap();
            let body = if is_workload(&policy) {
                policy_list_patch(
                    &policy,
                    "clientApplications",
                    "excludeServicePrincipals",
                    json!([]),
                )
            } else {
                policy_list_patch(&policy, "users", "excludeGroups", json!([]))
            };
            probe.patch(&format!("{POLICIES}/{id}"), body);
        }
        simulator.set_faults(vec![FaultRule {
            path_prefix: Some("/v1.0/".into()),
            hold_nth_change: Some(n),
            ..FaultRule::default()
        }]);
        let mut child = spawn_apply(&env);
        let killed = wait_for_hold(&simulator, &mut child);
        if killed {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
        simulator.set_faults(Vec::new());
        env.run(["apply", "--yes"]).assert_success();
        let plan = env.run(["plan", "--detailed-exitcode"]);
        assert_eq!(
            plan.code,
            Some(0),
            "not converged after a kill at {n}:\n{plan}"
        );
        assert_all_excluded(&probe, &format!("after a kill at change {n}"));
        if !killed {
            assert_eq!(n, 5, "four policy changes, then none to kill");
            break;
        }
        n += 1;
    }
}

#[test]
fn a_policy_that_refuses_is_reported_and_the_others_are_changed() {
    let (env, simulator) = workspace(true, false);
    env.run(["apply", "--yes"]).assert_success();
    set_option(&env, true);
    let probe = TenantGraph::new(&simulator);
    let refusing = probe.policy("Block legacy authentication");
    let id = refusing["id"].as_str().unwrap().to_string();
    simulator.set_faults(vec![FaultRule {
        method: Some("PATCH".into()),
        path_prefix: Some(format!("/v1.0/{POLICIES}/{id}")),
        status: Some(400),
        ..FaultRule::default()
    }]);
    let output = env.run(["apply", "--yes"]);
    output.assert_code(1);
    assert!(
        output.stderr.contains("refused") && output.stderr.contains("Block legacy authentication"),
        "{output}"
    );
    assert!(output.stderr.contains("skip_policies"), "{output}");
    assert!(
        !output.stderr.contains("run `breakglass apply` again"),
        "everything but the refused policy was done: a rerun would only be refused again\n{output}"
    );
    let group = probe.group_id("breakglass-emergency-access");
    for policy in probe.policies() {
        if is_workload(&policy) {
            continue;
        }
        let expected: Vec<String> = if policy["id"] == id.as_str() {
            vec![]
        } else {
            vec![group.clone()]
        };
        assert_eq!(excluded_groups(&policy), expected, "{policy:#}");
    }
    assert_eq!(plan_kinds(&env), ["excludeGroupFromPolicy"]);
    // Once the policy accepts the change, a rerun finishes.
    simulator.set_faults(Vec::new());
    env.run(["apply", "--yes"]).assert_success();
    assert_all_excluded(&probe, "after the rerun");
}

#[test]
fn an_operator_without_the_permission_is_told_which_one() {
    // The seeded operator may read policies (Policy.Read.All) but not change them.
    let (env, simulator) = workspace(false, true);
    let kinds = plan_kinds(&env);
    assert_eq!(kinds.len(), 16, "plan works with read access: {kinds:?}");
    let output = env.run(["apply", "--yes"]);
    output.assert_code(5);
    assert!(
        output.stderr.contains("Policy.ReadWrite.ConditionalAccess"),
        "{output}"
    );
    assert!(
        output.stderr.contains("run `breakglass apply` again"),
        "{output}"
    );
    // Everything but the policies was made; nothing half-done stands in a rerun's way.
    assert_eq!(
        plan_kinds(&env),
        [
            "excludeGroupFromPolicy",
            "excludeGroupFromPolicy",
            "excludeGroupFromPolicy",
            "excludeAppFromPolicy"
        ]
    );
    let probe = TenantGraph::new(&simulator);
    for policy in probe.policies() {
        assert!(
            excluded_groups(&policy).is_empty() && excluded_apps(&policy).is_empty(),
            "{policy:#}"
        );
    }
}

#[test]
fn an_operator_who_cannot_read_policies_cannot_plan_them() {
    let env = TestEnv::new();
    let tenant = edited_default_tenant(&env, "tenant.json", |tenant| {
        operator_permissions(tenant).retain(|p| p != "Policy.Read.All");
    });
    let (env, _simulator) = initialised(env, Some(&tenant), KEEPASS_PASSWORD);
    // Off, the policies are not needed and nothing is said about them (the one note is about
    // the app management policy, which the same permission reads).
    let plan = env.run(["plan", "--output", "json"]);
    plan.assert_success();
    let notices = plan.json()["notices"].clone();
    let messages: Vec<&str> = notices
        .as_array()
        .expect("notices")
        .iter()
        .filter_map(|n| n["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .all(|m| m.starts_with("the app management policy")),
        "{plan}"
    );
    set_option(&env, true);
    let output = env.run(["plan"]);
    output.assert_code(5);
    assert!(output.stderr.contains("Policy.Read.All"), "{output}");
    assert!(output.stderr.contains("exclude_from_policies"), "{output}");
}

#[test]
fn apply_keeps_everything_else_a_policy_assigns() {
    let (env, simulator) = workspace(true, true);
    let probe = TenantGraph::new(&simulator);
    // An administrator's richer assignments: a user left out, guests included, a role left
    // out, and for workload identities a custom security attribute filter.
    let someone = probe.list("users", "")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admins = probe.policy("Require MFA for administrators");
    let mut users = admins["conditions"]["users"].clone();
    users["excludeUsers"] = json!([someone]);
    users["excludeRoles"] = json!(["fe930be7-5e62-47db-91af-98c3a49a38b1"]);
    users["includeGuestsOrExternalUsers"] = json!({
        "guestOrExternalUserTypes": "b2bCollaborationGuest,b2bCollaborationMember",
        "externalTenants": {
            "@odata.type": "#microsoft.graph.conditionalAccessAllExternalTenants",
            "membershipKind": "all"
        }
    });
    let admins_path = format!("{POLICIES}/{}", admins["id"].as_str().unwrap());
    probe.patch(&admins_path, json!({"conditions": {"users": users}}));
    let workload = probe.policy("Block workload identities outside trusted locations");
    let filter =
        json!({"mode": "exclude", "rule": "CustomSecurityAttribute.Ops_Tier -eq \"automation\""});
    probe.patch(
        &format!("{POLICIES}/{}", workload["id"].as_str().unwrap()),
        policy_list_patch(
            &workload,
            "clientApplications",
            "servicePrincipalFilter",
            filter.clone(),
        ),
    );

    env.run(["apply", "--yes"]).assert_success();

    let group = probe.group_id("breakglass-emergency-access");
    let mut expected = users;
    expected["excludeGroups"] = json!([group]);
    assert_eq!(
        probe.policy("Require MFA for administrators")["conditions"]["users"],
        expected,
        "only the exclusion group was added"
    );
    let workload = probe.policy("Block workload identities outside trusted locations");
    assert_eq!(
        workload["conditions"]["clientApplications"]["servicePrincipalFilter"],
        filter
    );
    assert_eq!(excluded_apps(&workload), [probe.emergency_sp_id()]);
    assert_eq!(
        strings(&workload["conditions"]["clientApplications"]["includeServicePrincipals"]),
        ["ServicePrincipalsInMyTenant"]
    );
}
