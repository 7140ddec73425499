//! The reports of a run across tenants for people and auditors, through the binary against
//! three simulators (one passing, one with findings, one whose operator secret is wrong):
//! `audit --format html` as one page whose summary links to each tenant's section, and
//! `evidence --out DIR` as a folder per tenant with a summary and one `SHA256SUMS` of all.

use std::path::Path;
use std::process::Command;

use crate::common::TenantGraph;
use crate::test_tenants::{Simulated, passing, tenants_env};

/// Every value of `attribute="…"` in `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            &rest[..rest.find('"').expect("a closed attribute")]
        })
        .collect()
}

/// Each tenant's section of the page, by its id: from its `<section` to the next.
fn sections(html: &str) -> Vec<(String, &str)> {
    let starts: Vec<usize> = html.match_indices("<section").map(|(at, _)| at).collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(html.len());
            let text = &html[start..end];
            let id = attribute_values(text, "id")[0].to_string();
            (id, text)
        })
        .collect()
}

fn assert_links_resolve(html: &str) {
    let ids = attribute_values(html, "id");
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an id is used twice: {ids:?}");
    for href in attribute_values(html, "href") {
        if let Some(target) = href.strip_prefix('#') {
            assert!(ids.contains(&target), "href=\"{href}\" has no target");
        }
    }
}

fn app_id(tenant: &Simulated) -> String {
    TenantGraph::new(tenant.simulator()).emergency_app()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Three tenants: `passing`, `findings` and `refused` (its operator secret is wrong).
fn three_tenants() -> (Simulated, Simulated, Simulated) {
    let passing = passing();
    let findings = Simulated::new("findings", "1a2b3c4d-0000-4000-8000-0000000000c2", |_| {});
    findings.env.run(["apply", "--yes"]).assert_success();
    let refused = Simulated::new("refused", "1a2b3c4d-0000-4000-8000-0000000000c3", |_| {});
    (passing, findings, refused)
}

#[test]
fn the_html_audit_across_tenants_is_one_page_with_a_linked_summary() {
    let (passing, findings, refused) = three_tenants();
    let (mut env, file) = tenants_env(&[&passing, &findings, &refused]);
    env.set_env(&refused.secret_variable(), "not-the-operator-secret");
    let file = file.display().to_string();
    let page = env.root().join("report.html");
    let audit = |extra: &[&str]| {
        let mut args = vec!["--tenants", file.as_str(), "audit", "--fail-on", "critical"];
        args.extend_from_slice(extra);
        env.run(&args)
    };

    let written = audit(&["--format", "html", "--out", page.to_str().unwrap()]);
    written.assert_code(13);
    assert!(written.stdout.is_empty(), "{written}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(!html.contains("not-the-operator-secret"));
    assert_links_resolve(&html);

    // The summary comes first: a row per tenant, each name linking to its section.
    let summary = &html[..html.find("<section").expect("sections")];
    assert_eq!(summary.matches("<tr><td><a href=").count(), 3, "{summary}");
    for (name, result) in [
        ("passing", "passed"),
        ("findings", "FAILED"),
        ("refused", "not read: sign-in refused"),
    ] {
        let row = format!("<a href=\"#tenant-{name}\">{name}</a>");
        let at = summary.find(&row).unwrap_or_else(|| panic!("{row}"));
        let row_text = &summary[at..at + summary[at..].find("</tr>").unwrap()];
        assert!(row_text.contains(result), "{name}: {row_text}");
    }

    // Each tenant's ids (its tenant id and its emergency app's) only in its own section.
    let sections = sections(&html);
    let ids: Vec<&str> = sections.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["tenant-passing", "tenant-findings", "tenant-refused"]);
    let own = [
        (&passing, Some(app_id(&passing))),
        (&findings, Some(app_id(&findings))),
        (&refused, None),
    ];
    for (id, text) in &sections {
        for (tenant, app) in &own {
            let mine = *id == format!("tenant-{}", tenant.name);
            assert_eq!(
                text.contains(tenant.tenant_id),
                mine,
                "{} in {id}",
                tenant.name
            );
            // A tenant's passes show no evidence, so its app id may be absent even at home.
            if let Some(app) = app {
                assert!(
                    mine || !text.contains(app.as_str()),
                    "{}'s app in {id}",
                    tenant.name
                );
            }
        }
    }
    let (_, refused_section) = &sections[2];
    assert!(
        refused_section.contains("Not read") && refused_section.contains("AADSTS"),
        "the reason: {refused_section}"
    );
    assert!(sections[1].1.contains("<h2>Critical ("), "the full audit");

    // `--format json` is the document `--output json` prints.
    let json = audit(&["--format", "json"]);
    json.assert_code(13);
    let document = json.json();
    let printed = audit(&["--output", "json"]).json();
    assert_eq!(document["overall"], printed["overall"]);
    for (a, b) in document["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .zip(printed["tenants"].as_array().unwrap())
    {
        assert_eq!(a["name"], b["name"]);
        assert_eq!(a["status"], b["status"]);
        assert_eq!(a["report"]["counts"], b["report"]["counts"]);
    }

    let sarif = audit(&["--format", "sarif"]);
    sarif.assert_code(2);
    assert!(sarif.stderr.contains("one tenant's audit"), "{sarif}");
}

fn sha256sum_check(dir: &Path) -> String {
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(dir)
        .output()
        .expect("sha256sum");
    let stdout = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(check.status.success(), "{stdout}");
    stdout
}

#[test]
fn the_evidence_across_tenants_is_a_folder_per_tenant_under_one_checked_summary() {
    let (passing, findings, refused) = three_tenants();
    let (mut env, file) = tenants_env(&[&passing, &findings, &refused]);
    env.set_env(&refused.secret_variable(), "not-the-operator-secret");
    let file = file.display().to_string();
    let dir = env.root().join("evidence");
    let out = dir.to_str().unwrap();

    let run = env.run([
        "--tenants",
        file.as_str(),
        "evidence",
        "--out",
        out,
        "--output",
        "json",
    ]);
    run.assert_code(13);
    let report = run.json();
    assert_eq!(report["overall"], "some-failed");
    for tenant in [&passing, &findings] {
        let folder = dir.join(tenant.name);
        for name in [
            "audit.json",
            "audit.html",
            "audit.sarif",
            "breakglass.toml",
            "manifest.json",
        ] {
            assert!(folder.join(name).is_file(), "{}/{name}", tenant.name);
        }
        // Each tenant's folder checks on its own too.
        sha256sum_check(&folder);
        let audit = std::fs::read_to_string(folder.join("audit.json")).unwrap();
        assert!(audit.contains(tenant.tenant_id));
    }
    assert!(
        !dir.join("refused").exists(),
        "no folder for a tenant not read"
    );

    let summary = std::fs::read_to_string(dir.join("summary.html")).unwrap();
    assert_links_resolve(&summary);
    for tenant in [&passing, &findings] {
        let href = format!("href=\"{}/audit.html\"", tenant.name);
        assert!(summary.contains(&href), "{href}");
    }
    assert!(summary.contains("3 tenant(s): 2 written, 0 failed, 1 not read."));
    assert!(summary.contains("href=\"#tenant-refused\""));
    assert!(summary.contains("id=\"tenant-refused\"") && summary.contains("AADSTS"));
    let summary_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary_json["tenants"][0]["report"]["folder"], "passing");
    assert_eq!(summary_json["tenants"][2]["status"], "unreadable");

    // One SHA256SUMS at the top covers every file of every folder.
    let checked = sha256sum_check(&dir);
    for name in [
        "summary.html",
        "summary.json",
        "passing/audit.html",
        "passing/SHA256SUMS",
        "findings/manifest.json",
    ] {
        assert!(
            checked.contains(&format!("{name}: OK")),
            "{name}: {checked}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["missing"][0]
            .as_str()
            .unwrap()
            .starts_with("refused")
    );

    let zip = env.run(["--tenants", file.as_str(), "evidence", "--out", "pack.zip"]);
    zip.assert_code(2);
    assert!(zip.stderr.contains("not one .zip"), "{zip}");
}
