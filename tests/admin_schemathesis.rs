//! Schemathesis (PyPI, installed in .venv by scripts/install-tools.sh) fuzzes the admin API from
//! its served OpenAPI document, with the simulator upstream. It must find no undocumented status
//! (the 5xx upstream mappings are documented), no schema violation and no wrong content type.

mod common;

use proxy911_exporter::config::AdminConfig;
use secrecy::SecretString;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_undocumented_answer_and_no_schema_violation() {
    let (_sim, url) = common::simulator(None).await;
    let (addr, _) = common::exporter_at(&url, |c| {
        c.admin = Some(AdminConfig::new(SecretString::from(common::ADMIN_TOKEN)))
    })
    .await;
    let schemathesis = common::python().with_file_name("schemathesis");

    let output = tokio::process::Command::new(&schemathesis)
        .args(["run", &format!("http://{addr}/admin/openapi.json")])
        .args(["-H", &format!("Authorization: Bearer {}", common::ADMIN_TOKEN)])
        .args(["--checks", "status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"])
        .args(["--max-examples", "50", "--seed", "911", "--no-color", "--request-timeout", "20"])
        .output()
        .await
        .unwrap_or_else(|e| panic!("{} is required (scripts/install-tools.sh installs it): {e}", schemathesis.display()));
    let report = String::from_utf8_lossy(&output.stdout);

    assert!(
        output.status.success(),
        "schemathesis:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("No issues found"), "{report}");
    assert!(
        !report.contains(common::ADMIN_TOKEN),
        "the token is not echoed in any answer"
    );
}
