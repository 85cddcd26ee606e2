//! The container image and the Kubernetes base, checked with real tools (installed by
//! scripts/install-tools.sh): hadolint on the Dockerfile, `kubectl kustomize` rendering,
//! kubernetes-validate (strict) for the built-in kinds, the Prometheus Operator CRD schemas for
//! ServiceMonitor and PrometheusRule, generated manifests in step with their sources, and the
//! hardening of the rendered Deployment. No Docker engine runs here: the image is not built.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn venv(tool: &str) -> PathBuf {
    repo(".venv/bin").join(tool)
}

fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str], input: &str) -> (bool, String, String) {
    common::run_with_stdin(program, args, input)
}

fn rendered() -> String {
    let (ok, out, err) = run("kubectl", &["kustomize", "deploy/kubernetes"], "");
    assert!(ok, "kubectl kustomize: {err}");
    out
}

/// The rendered objects as JSON, through PyYAML from the venv.
fn rendered_objects() -> Vec<Value> {
    let (ok, out, err) = run(
        venv("python"),
        &[
            "-c",
            "import sys, yaml, json; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))",
        ],
        &rendered(),
    );
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_dockerfile_passes_hadolint_without_findings() {
    let (ok, out, err) = run(venv("hadolint"), &["Dockerfile"], "");
    assert!(ok && out.trim().is_empty(), "hadolint:\n{out}{err}");
}

#[test]
fn the_dockerfile_copies_only_what_the_dockerignore_lets_in() {
    let dockerfile = std::fs::read_to_string(repo("Dockerfile")).unwrap();
    let ignore = std::fs::read_to_string(repo(".dockerignore")).unwrap();
    for line in dockerfile
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for source in &parts[1..parts.len() - 1] {
            assert!(repo(source).exists(), "{source} does not exist");
            let allowed = format!("!{}", source.trim_end_matches('/'));
            assert!(
                ignore.lines().any(|l| l.trim_end_matches('/') == allowed),
                "{source} is not let in by .dockerignore"
            );
        }
    }
    assert!(dockerfile.contains("USER 65532:65532") && dockerfile.contains("EXPOSE 9911"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/proxy911-exporter\"]"));
}

#[test]
fn generated_manifests_match_their_sources() {
    common::assert_generated_in_step(
        "deploy/kubernetes/generate.py",
        "deploy/kubernetes",
        &["prometheusrule.yaml", "grafana-dashboards.yaml"],
    );
}

#[test]
fn every_rendered_object_is_valid_for_current_kubernetes() {
    let manifests = rendered();
    for version in ["1.31", "1.37"] {
        let (ok, out, err) = run(
            venv("kubernetes-validate"),
            &["--strict", "-k", version, "-"],
            &manifests,
        );
        let report = format!("{out}{err}");
        assert!(ok, "kubernetes {version}:\n{report}");
        assert_eq!(report.matches("passed for resource").count(), 5, "{report}");
    }
}

#[test]
fn the_prometheus_operator_objects_match_their_crd_schemas() {
    let objects = serde_json::to_string(&rendered_objects()).unwrap();
    let (ok, out, err) = run("node", &["scripts/crd-validate/validate.mjs"], &objects);
    assert!(ok, "CRD validation:\n{out}{err}");
    assert!(
        out.contains("valid: ServiceMonitor/proxy911-exporter")
            && out.contains("valid: PrometheusRule/proxy911-exporter")
    );
}

#[test]
fn the_rendered_deployment_is_hardened() {
    let objects = rendered_objects();
    let deployment = objects
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("a Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let security = &container["securityContext"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
    for kind in ["requests", "limits"] {
        assert!(
            container["resources"][kind]["cpu"].is_string()
                && container["resources"][kind]["memory"].is_string(),
            "{kind}"
        );
    }
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/-/healthy");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/-/ready");
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args.contains(&"--api.app-key-file=/etc/proxy911/app_key"));
    assert!(args.contains(&"--admin.token-file=/etc/proxy911/admin_token"));
    assert!(
        args.iter()
            .any(|a| a.starts_with("--admin.listen-address=127.0.0.1:")),
        "admin stays on loopback"
    );
    assert!(
        pod["volumes"][0]["secret"]["secretName"].is_string(),
        "secrets come from a Secret, as files"
    );
    assert!(
        !rendered().to_lowercase().contains("app_key: "),
        "no secret value in the manifests"
    );

    let service = objects.iter().find(|o| o["kind"] == "Service").unwrap();
    let ports: Vec<i64> = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [9911], "the admin port is not exposed");
    let dashboards = objects.iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    assert_eq!(dashboards["metadata"]["labels"]["grafana_dashboard"], "1");
    assert!(objects.iter().any(|o| o["kind"] == "NetworkPolicy"));
}
