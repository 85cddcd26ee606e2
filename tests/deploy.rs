//! The container image and the Kubernetes base, checked with real tools (installed by
//! scripts/install-tools.sh): hadolint on the Dockerfile, `kubectl kustomize` rendering,
//! kubernetes-validate (strict) for the built-in kinds, the Prometheus Operator CRD schemas for
//! ServiceMonitor and PrometheusRule, generated manifests in step with their sources, and the
//! hardening of the rendered Deployment. The image itself is built and run by tests/container.rs.
//!
//! The optional TLS component (deploy/kubernetes/components/tls) is rendered with the base from an
//! overlay written to a temporary directory (kustomize refuses an overlay inside the base's own
//! directory), and checked the same way, its Certificate against cert-manager's CRD schema. So is
//! the multi-target component (deploy/kubernetes/components/multi-target): its config file's
//! targets, their app_keys projected from a Secret, a ServiceMonitor `/probe` endpoint per target
//! relabelled into a `target` label, alone and with the TLS component.

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

/// `kubectl kustomize DIR` (DIR relative to the repository, or absolute).
fn render(dir: &str) -> String {
    let (ok, out, err) = run("kubectl", &["kustomize", dir], "");
    assert!(ok, "kubectl kustomize {dir}: {err}");
    out
}

fn rendered() -> String {
    render("deploy/kubernetes")
}

/// YAML documents as JSON values, through PyYAML from the venv.
fn objects_of(manifests: &str) -> Vec<Value> {
    let (ok, out, err) = run(
        venv("python"),
        &[
            "-c",
            "import sys, yaml, json; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))",
        ],
        manifests,
    );
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The rendered objects as JSON.
fn rendered_objects() -> Vec<Value> {
    objects_of(&rendered())
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
    let copies: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("COPY "))
        .collect();
    assert_eq!(copies.len(), 1, "one COPY, the binary: {copies:?}");
    for line in copies {
        let parts: Vec<&str> = line
            .split_whitespace()
            .filter(|p| !p.starts_with("--"))
            .collect();
        for source in &parts[1..parts.len() - 1] {
            let source = source.replace("${OS}", "linux").replace("${ARCH}", "amd64");
            let top = source.split('/').next().unwrap();
            assert!(
                ignore
                    .lines()
                    .any(|l| l.trim_end_matches('/') == format!("!{top}")),
                "{source} is not let in by .dockerignore"
            );
        }
    }
    assert!(dockerfile.contains("USER 65532:65532") && dockerfile.contains("EXPOSE 9911"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/bin/proxy911-exporter\"]"));
    assert!(dockerfile.contains("org.opencontainers.image.revision=\"${REVISION}\""));
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
    let manifests = rendered();
    let objects = objects_of(&manifests);
    assert_deployment_hardened(&objects, &manifests);
    assert_app_key_from_the_base_secret(&objects);

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

/// The hardening of the Deployment, in the base and with any component on top.
fn assert_deployment_hardened(objects: &[Value], manifests: &str) {
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
    let args = strings(&container["args"]);
    assert!(args.contains(&"--admin.token-file=/etc/proxy911/admin_token"));
    assert!(
        args.iter()
            .any(|a| a.starts_with("--admin.listen-address=127.0.0.1:")),
        "admin stays on loopback"
    );
    let secrets_mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/etc/proxy911")
        .expect("the app_key and admin token are mounted at /etc/proxy911");
    assert!(
        volume(pod, secrets_mount["name"].as_str().unwrap())["secret"]["secretName"].is_string(),
        "secrets come from a Secret, as files"
    );
    for mount in container["volumeMounts"].as_array().unwrap() {
        assert_eq!(mount["readOnly"], true, "{mount}");
    }
    assert!(
        !manifests.to_lowercase().contains("app_key: "),
        "no secret value in the manifests"
    );
}

/// The single-target Deployment: its one app_key, a file of the base's Secret.
fn assert_app_key_from_the_base_secret(objects: &[Value]) {
    let container = &find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    assert!(strings(&container["args"]).contains(&"--api.app-key-file=/etc/proxy911/app_key"));
}

/// The pod's volume of that name.
fn volume<'a>(pod: &'a Value, name: &str) -> &'a Value {
    pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no volume {name}"))
}

// ---- The TLS component (deploy/kubernetes/components/tls) ----

/// A scratch directory for overlays, removed on drop.
struct Overlay(PathBuf);

impl Overlay {
    /// An empty directory outside the repository: kustomize refuses an overlay that lives inside
    /// the base it builds on, and takes only relative paths.
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("proxy911-deploy-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Overlay(dir.canonicalize().unwrap())
    }

    /// Writes `SUBDIR/kustomization.yaml`; `{repo}` in `body` becomes the repository's path
    /// relative to that directory.
    fn write(&self, subdir: &str, body: &str) -> String {
        let dir = self.0.join(subdir);
        std::fs::create_dir_all(&dir).unwrap();
        let depth = dir.components().count() - 1;
        let root = repo("").canonicalize().unwrap();
        let relative = format!(
            "{}{}",
            "../".repeat(depth),
            root.strip_prefix("/").unwrap().display()
        );
        std::fs::write(
            dir.join("kustomization.yaml"),
            body.replace("{repo}", &relative),
        )
        .unwrap();
        dir.display().to_string()
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The overlay of the README: the base, with the TLS component.
const TLS_OVERLAY: &str = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {repo}/deploy/kubernetes
components:
  - {repo}/deploy/kubernetes/components/tls
";

/// The base with the TLS component, rendered.
fn rendered_with_tls() -> String {
    let overlay = Overlay::new("tls");
    render(&overlay.write("overlay", TLS_OVERLAY))
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// `NNNh` as hours (the unit the component's durations are written in).
fn hours(duration: &Value) -> u64 {
    let text = duration.as_str().expect("a duration string");
    text.strip_suffix('h')
        .and_then(|h| h.parse().ok())
        .unwrap_or_else(|| panic!("{text} is not in hours"))
}

#[test]
fn the_tls_component_renders_valid_kubernetes_objects() {
    let manifests = rendered_with_tls();
    for version in ["1.31", "1.37"] {
        let (ok, out, err) = run(
            venv("kubernetes-validate"),
            &["--strict", "-k", version, "-"],
            &manifests,
        );
        let report = format!("{out}{err}");
        assert!(ok, "kubernetes {version}:\n{report}");
        // The base's five built-in objects and the web-config ConfigMap.
        assert_eq!(report.matches("passed for resource").count(), 6, "{report}");
        assert!(report.contains("passed for resource configmap/proxy911-exporter-web-config-"));
    }
}

#[test]
fn the_tls_component_custom_resources_match_their_crd_schemas() {
    let objects = objects_of(&rendered_with_tls());
    let validate = |objects: &[Value]| {
        run(
            "node",
            &["scripts/crd-validate/validate.mjs"],
            &serde_json::to_string(objects).unwrap(),
        )
    };
    let (ok, out, err) = validate(&objects);
    assert!(ok, "CRD validation:\n{out}{err}");
    for name in [
        "Certificate/proxy911-exporter",
        "ServiceMonitor/proxy911-exporter",
        "PrometheusRule/proxy911-exporter",
    ] {
        assert!(out.contains(&format!("valid: {name}")), "{name}:\n{out}");
    }

    // The schemas are really applied: a key algorithm cert-manager does not know, or a
    // ServiceMonitor scheme the operator does not know, is refused.
    let mut bad = objects.clone();
    for o in bad.iter_mut().filter(|o| o["kind"] == "Certificate") {
        o["spec"]["privateKey"]["algorithm"] = "DSA".into();
    }
    let (ok, _, err) = validate(&bad);
    assert!(
        !ok && err.contains("Certificate/proxy911-exporter") && err.contains("algorithm"),
        "{err}"
    );
    let mut bad = objects.clone();
    for o in bad.iter_mut().filter(|o| o["kind"] == "ServiceMonitor") {
        o["spec"]["endpoints"][0]["scheme"] = "tls".into();
    }
    let (ok, _, err) = validate(&bad);
    assert!(
        !ok && err.contains("ServiceMonitor/proxy911-exporter") && err.contains("scheme"),
        "{err}"
    );
}

#[test]
fn the_tls_component_serves_https_from_the_certificate_and_keeps_the_hardening() {
    let manifests = rendered_with_tls();
    let objects = objects_of(&manifests);
    assert_deployment_hardened(&objects, &manifests);
    assert_app_key_from_the_base_secret(&objects);

    let service = find(&objects, "Service");
    let namespace = service["metadata"]["namespace"].as_str().unwrap();
    let service_name = service["metadata"]["name"].as_str().unwrap();
    for o in &objects {
        assert_eq!(o["metadata"]["namespace"], namespace, "{}", o["metadata"]);
        assert_eq!(
            o["metadata"]["labels"]["app.kubernetes.io/name"], "proxy911-exporter",
            "{}",
            o["metadata"]
        );
    }

    // The Certificate: the Service's DNS names, an ECDSA key, renewed well before it expires.
    let certificate = find(&objects, "Certificate");
    assert_eq!(certificate["apiVersion"], "cert-manager.io/v1");
    let spec = &certificate["spec"];
    let secret_name = spec["secretName"].as_str().unwrap();
    let dns_names = strings(&spec["dnsNames"]);
    for name in [
        service_name.to_string(),
        format!("{service_name}.{namespace}"),
        format!("{service_name}.{namespace}.svc"),
        format!("{service_name}.{namespace}.svc.cluster.local"),
    ] {
        assert!(
            dns_names.contains(&name.as_str()),
            "{name} in {dns_names:?}"
        );
    }
    assert!(spec["issuerRef"]["name"].is_string());
    assert!(["Issuer", "ClusterIssuer"].contains(&spec["issuerRef"]["kind"].as_str().unwrap()));
    assert_eq!(spec["privateKey"]["algorithm"], "ECDSA");
    assert_eq!(spec["privateKey"]["rotationPolicy"], "Always");
    let (duration, renew_before) = (hours(&spec["duration"]), hours(&spec["renewBefore"]));
    assert!(
        renew_before >= 24 && renew_before * 2 <= duration,
        "renewBefore {renew_before}h of duration {duration}h"
    );
    assert!(strings(&spec["usages"]).contains(&"server auth"));

    // The Deployment mounts the Secret and the web config as whole, read-only volumes.
    let deployment = find(&objects, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let mounts = container["volumeMounts"].as_array().unwrap();
    for mount in mounts {
        assert_eq!(mount["readOnly"], true, "{mount}");
        assert!(
            mount["subPath"].is_null() && mount["subPathExpr"].is_null(),
            "a subPath mount is never updated on renewal: {mount}"
        );
    }
    let mount_of = |volume_name: &str| -> String {
        let mount = mounts
            .iter()
            .find(|m| m["name"] == volume_name)
            .unwrap_or_else(|| panic!("volume {volume_name} is not mounted"));
        mount["mountPath"]
            .as_str()
            .unwrap()
            .trim_end_matches('/')
            .to_string()
    };
    let (tls_volume, tls_dir) = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["secret"]["secretName"] == secret_name)
        .map(|v| (v, mount_of(v["name"].as_str().unwrap())))
        .expect("the certificate's Secret is a volume");
    let secret_files: Vec<&str> = match tls_volume["secret"]["items"].as_array() {
        Some(items) => items.iter().map(|i| i["path"].as_str().unwrap()).collect(),
        None => vec!["tls.crt", "tls.key", "ca.crt"],
    };
    let config_volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["configMap"].is_object())
        .expect("the web config is a ConfigMap volume");
    let config_dir = mount_of(config_volume["name"].as_str().unwrap());

    // PROXY911_WEB_CONFIG_FILE names a file of the mounted ConfigMap (whose generated, hashed
    // name the volume follows).
    let env = container["env"].as_array().expect("env");
    let web_config_file = env
        .iter()
        .find(|e| e["name"] == "PROXY911_WEB_CONFIG_FILE")
        .and_then(|e| e["value"].as_str())
        .expect("PROXY911_WEB_CONFIG_FILE");
    let file_name = web_config_file
        .strip_prefix(&format!("{config_dir}/"))
        .unwrap_or_else(|| panic!("{web_config_file} is not under {config_dir}"));
    let config_map = objects
        .iter()
        .find(|o| {
            o["kind"] == "ConfigMap" && o["metadata"]["name"] == config_volume["configMap"]["name"]
        })
        .expect("the ConfigMap the volume names");
    let web_config_text = config_map["data"][file_name]
        .as_str()
        .unwrap_or_else(|| panic!("{file_name} is not in the ConfigMap"));

    // The web config: only exporter-toolkit keys, the certificate and key from the
    // mounted Secret, HSTS.
    let web_config = &objects_of(web_config_text)[0];
    for key in web_config.as_object().unwrap().keys() {
        assert!(
            [
                "tls_server_config",
                "basic_auth_users",
                "http_server_config"
            ]
            .contains(&key.as_str()),
            "unknown web config key {key}"
        );
    }
    let tls = &web_config["tls_server_config"];
    for key in tls.as_object().unwrap().keys() {
        assert!(
            [
                "cert_file",
                "key_file",
                "client_auth_type",
                "client_ca_file",
                "min_version",
                "max_version"
            ]
            .contains(&key.as_str()),
            "unknown tls_server_config key {key}"
        );
    }
    for (key, file) in [("cert_file", "tls.crt"), ("key_file", "tls.key")] {
        assert_eq!(tls[key], format!("{tls_dir}/{file}"), "{key}");
        assert!(secret_files.contains(&file), "{file} is not mounted");
    }
    let headers = web_config["http_server_config"]["headers"]
        .as_object()
        .expect("http_server_config.headers");
    for name in headers.keys() {
        assert!(
            [
                "Strict-Transport-Security",
                "X-Content-Type-Options",
                "X-Frame-Options",
                "X-XSS-Protection",
                "Content-Security-Policy"
            ]
            .contains(&name.as_str()),
            "exporter-toolkit refuses header {name}"
        );
    }
    assert!(headers["Strict-Transport-Security"]
        .as_str()
        .unwrap()
        .starts_with("max-age="));

    // The probes speak HTTPS, on the same paths.
    for (probe, path) in [
        ("livenessProbe", "/-/healthy"),
        ("readinessProbe", "/-/ready"),
    ] {
        assert_eq!(container[probe]["httpGet"]["scheme"], "HTTPS", "{probe}");
        assert_eq!(container[probe]["httpGet"]["path"], path, "{probe}");
    }

    // Prometheus Operator scrapes over https and verifies the certificate against its CA.
    let monitor = find(&objects, "ServiceMonitor");
    let endpoints = monitor["spec"]["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 1, "the patch keeps the one endpoint");
    let endpoint = &endpoints[0];
    assert_eq!(endpoint["port"], "http-metrics");
    assert_eq!(endpoint["path"], "/metrics");
    assert_eq!(endpoint["scheme"], "https");
    let tls_config = &endpoint["tlsConfig"];
    assert_eq!(tls_config["ca"]["secret"]["name"], secret_name);
    assert_eq!(tls_config["ca"]["secret"]["key"], "ca.crt");
    let server_name = tls_config["serverName"].as_str().expect("serverName");
    assert!(
        dns_names.contains(&server_name),
        "serverName {server_name} is not one of {dns_names:?}"
    );
    assert!(
        tls_config["insecureSkipVerify"].is_null(),
        "the certificate is verified"
    );
}

#[test]
fn the_tls_component_follows_the_namespace_of_the_layer_below() {
    let overlay = Overlay::new("tls-namespace");
    overlay.write(
        "elsewhere",
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: observability
resources:
  - {repo}/deploy/kubernetes
",
    );
    let dir = overlay.write(
        "tls",
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../elsewhere
components:
  - {repo}/deploy/kubernetes/components/tls
",
    );
    let objects = objects_of(&render(&dir));
    for o in &objects {
        assert_eq!(
            o["metadata"]["namespace"], "observability",
            "{}",
            o["metadata"]
        );
    }
    let dns_names = strings(&find(&objects, "Certificate")["spec"]["dnsNames"]);
    assert!(
        dns_names.contains(&"proxy911-exporter.observability.svc")
            && !dns_names.iter().any(|n| n.contains("monitoring")),
        "{dns_names:?}"
    );
    assert_eq!(
        find(&objects, "ServiceMonitor")["spec"]["endpoints"][0]["tlsConfig"]["serverName"],
        "proxy911-exporter.observability.svc"
    );
}

// ---- The multi-target component (deploy/kubernetes/components/multi-target) ----

/// The overlay of the component's README: the base, with the multi-target component.
const MULTI_TARGET_OVERLAY: &str = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {repo}/deploy/kubernetes
components:
  - {repo}/deploy/kubernetes/components/multi-target
";

/// The base with the multi-target component, rendered.
fn rendered_with_multi_target() -> String {
    let overlay = Overlay::new("multi-target");
    render(&overlay.write("overlay", MULTI_TARGET_OVERLAY))
}

/// The targets of the rendered config file, and the paths their app_key files resolve to.
struct Targets {
    /// (name, absolute path of its app_key file), in the file's order.
    app_keys: Vec<(String, String)>,
}

/// Follows `--config.file` to the file of the mounted ConfigMap, and reads its targets.
fn rendered_targets(objects: &[Value]) -> Targets {
    let pod = &find(objects, "Deployment")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let config_file = strings(&container["args"])
        .into_iter()
        .find_map(|a| a.strip_prefix("--config.file="))
        .expect("--config.file")
        .to_string();
    let (config_dir, file_name) = config_file.rsplit_once('/').unwrap();
    let mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == config_dir)
        .unwrap_or_else(|| panic!("nothing is mounted at {config_dir}"));
    let sources = volume(pod, mount["name"].as_str().unwrap())["projected"]["sources"]
        .as_array()
        .expect("the targets' volume is projected");
    let config_map_name = sources
        .iter()
        .find_map(|s| {
            let items = s["configMap"]["items"].as_array()?;
            items
                .iter()
                .any(|i| i["path"] == file_name)
                .then(|| s["configMap"]["name"].as_str().unwrap())
        })
        .unwrap_or_else(|| panic!("no ConfigMap of the volume holds {file_name}"));
    let config_map = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == config_map_name)
        .expect("the ConfigMap the volume names");
    let config = &objects_of(config_map["data"]["config.yml"].as_str().unwrap())[0];
    let app_keys = config["targets"]
        .as_object()
        .expect("targets:")
        .iter()
        .map(|(name, target)| {
            let file = target["app_key_file"].as_str().expect("app_key_file");
            let path = if file.starts_with('/') {
                file.to_string()
            } else {
                format!("{config_dir}/{file}")
            };
            (name.clone(), path)
        })
        .collect();
    Targets { app_keys }
}

#[test]
fn the_multi_target_component_renders_valid_kubernetes_objects() {
    let manifests = rendered_with_multi_target();
    for version in ["1.31", "1.37"] {
        let (ok, out, err) = run(
            venv("kubernetes-validate"),
            &["--strict", "-k", version, "-"],
            &manifests,
        );
        let report = format!("{out}{err}");
        assert!(ok, "kubernetes {version}:\n{report}");
        // The base's five built-in objects and the targets' ConfigMap.
        assert_eq!(report.matches("passed for resource").count(), 6, "{report}");
        assert!(report.contains("passed for resource configmap/proxy911-exporter-targets-"));
    }
}

#[test]
fn the_multi_target_component_custom_resources_match_their_crd_schemas() {
    let objects = objects_of(&rendered_with_multi_target());
    let validate = |objects: &[Value]| {
        run(
            "node",
            &["scripts/crd-validate/validate.mjs"],
            &serde_json::to_string(objects).unwrap(),
        )
    };
    let (ok, out, err) = validate(&objects);
    assert!(ok, "CRD validation:\n{out}{err}");
    for name in [
        "ServiceMonitor/proxy911-exporter",
        "PrometheusRule/proxy911-exporter",
    ] {
        assert!(out.contains(&format!("valid: {name}")), "{name}:\n{out}");
    }

    // The probe endpoints are checked too: a relabeling action the operator does not know is
    // refused.
    let mut bad = objects.clone();
    for o in bad.iter_mut().filter(|o| o["kind"] == "ServiceMonitor") {
        o["spec"]["endpoints"][1]["relabelings"][0]["action"] = "rename".into();
    }
    let (ok, _, err) = validate(&bad);
    assert!(
        !ok && err.contains("ServiceMonitor/proxy911-exporter") && err.contains("action"),
        "{err}"
    );
}

#[test]
fn the_multi_target_component_reads_each_app_key_from_its_secret_and_keeps_the_hardening() {
    let manifests = rendered_with_multi_target();
    let objects = objects_of(&manifests);
    assert_deployment_hardened(&objects, &manifests);

    for o in &objects {
        assert_eq!(
            o["metadata"]["namespace"], "monitoring",
            "{}",
            o["metadata"]
        );
        assert_eq!(
            o["metadata"]["labels"]["app.kubernetes.io/name"], "proxy911-exporter",
            "{}",
            o["metadata"]
        );
    }

    let pod = &find(&objects, "Deployment")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args = strings(&container["args"]);
    assert!(
        !args.iter().any(|a| a.starts_with("--api.app-key-file")),
        "every account is a target, served once, on /probe: {args:?}"
    );
    // The base Secret is still mounted, for the admin token only.
    let base_secret = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["secret"]["secretName"] == "proxy911-exporter")
        .expect("the base Secret");
    let base_keys: Vec<&str> = base_secret["secret"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(base_keys, ["admin_token"]);

    // Whole-volume mounts only: the kubelet never updates a subPath mount.
    for mount in container["volumeMounts"].as_array().unwrap() {
        assert!(
            mount["subPath"].is_null() && mount["subPathExpr"].is_null(),
            "{mount}"
        );
    }

    // The config file names team-a and team-b, each app_key a file of the keys' Secret,
    // projected into the mounted volume.
    let targets = rendered_targets(&objects);
    let names: Vec<&str> = targets.app_keys.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["team-a", "team-b"]);
    let mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| volume(pod, m["name"].as_str().unwrap())["projected"].is_object())
        .unwrap();
    let mount_path = mount["mountPath"].as_str().unwrap();
    let sources = volume(pod, mount["name"].as_str().unwrap())["projected"]["sources"]
        .as_array()
        .unwrap();
    let secret = sources
        .iter()
        .find(|s| s["secret"]["name"] == "proxy911-exporter-target-keys")
        .expect("the Secret proxy911-exporter-target-keys is projected");
    let projected: Vec<String> = secret["secret"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{mount_path}/{}", i["path"].as_str().unwrap()))
        .collect();
    for (name, path) in &targets.app_keys {
        assert!(
            projected.contains(path),
            "{name}'s app_key_file {path} is not one of {projected:?}"
        );
    }
    assert!(projected.contains(&"/etc/proxy911-exporter/targets/keys/team-a".to_string()));
}

#[test]
fn each_service_monitor_probe_endpoint_asks_for_its_target_and_relabels_it_into_a_target_label() {
    let objects = objects_of(&rendered_with_multi_target());
    let base = rendered_objects();
    let base_endpoint = &find(&base, "ServiceMonitor")["spec"]["endpoints"][0];
    let endpoints = find(&objects, "ServiceMonitor")["spec"]["endpoints"]
        .as_array()
        .unwrap()
        .clone();

    // The base's endpoint stays as it was, for the exporter's own metrics.
    assert_eq!(&endpoints[0], base_endpoint);
    assert_eq!(endpoints[0]["path"], "/metrics");

    let mut probed = Vec::new();
    for endpoint in &endpoints[1..] {
        assert_eq!(endpoint["path"], "/probe", "{endpoint}");
        assert_eq!(endpoint["port"], base_endpoint["port"], "{endpoint}");
        assert_eq!(
            endpoint["honorLabels"], base_endpoint["honorLabels"],
            "{endpoint}"
        );
        let target = strings(&endpoint["params"]["target"]);
        assert_eq!(target.len(), 1, "one target per endpoint: {endpoint}");
        assert!(
            endpoint["relabelings"]
                .as_array()
                .unwrap_or_else(|| panic!("no relabelings: {endpoint}"))
                .iter()
                .any(
                    |r| r["sourceLabels"] == serde_json::json!(["__param_target"])
                        && r["targetLabel"] == "target"
                        && ["replace", "Replace"]
                            .contains(&r["action"].as_str().unwrap_or("replace"))
                ),
            "the target parameter becomes the target label: {endpoint}"
        );
        probed.push(target[0].to_string());
    }
    let configured: Vec<String> = rendered_targets(&objects)
        .app_keys
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(probed, configured, "one endpoint per configured target");
}

/// The component README's overlay with the tls component as well, probes over https.
const MULTI_TARGET_TLS_OVERLAY: &str = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {repo}/deploy/kubernetes
components:
  - {repo}/deploy/kubernetes/components/FIRST
  - {repo}/deploy/kubernetes/components/SECOND
patches:
  - target: {kind: ServiceMonitor, name: proxy911-exporter}
    patch: |-
      - {op: add, path: /spec/endpoints/1/scheme, value: https}
      - {op: add, path: /spec/endpoints/1/tlsConfig, value: {serverName: proxy911-exporter.monitoring.svc, ca: {secret: {name: proxy911-exporter-tls, key: ca.crt}}}}
      - {op: add, path: /spec/endpoints/2/scheme, value: https}
      - {op: add, path: /spec/endpoints/2/tlsConfig, value: {serverName: proxy911-exporter.monitoring.svc, ca: {secret: {name: proxy911-exporter-tls, key: ca.crt}}}}
";

#[test]
fn the_multi_target_component_goes_with_the_tls_component_in_either_order() {
    for (first, second) in [("tls", "multi-target"), ("multi-target", "tls")] {
        let overlay = Overlay::new(&format!("{first}-{second}"));
        let manifests = render(
            &overlay.write(
                "overlay",
                &MULTI_TARGET_TLS_OVERLAY
                    .replace("FIRST", first)
                    .replace("SECOND", second),
            ),
        );
        let objects = objects_of(&manifests);
        assert_deployment_hardened(&objects, &manifests);
        let (ok, out, err) = run(
            "node",
            &["scripts/crd-validate/validate.mjs"],
            &serde_json::to_string(&objects).unwrap(),
        );
        assert!(ok, "{first} then {second}:\n{out}{err}");

        let container = &find(&objects, "Deployment")["spec"]["template"]["spec"]["containers"][0];
        assert!(strings(&container["args"])
            .contains(&"--config.file=/etc/proxy911-exporter/targets/config.yml"));
        assert!(container["env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "PROXY911_WEB_CONFIG_FILE"));
        let endpoints = find(&objects, "ServiceMonitor")["spec"]["endpoints"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(endpoints.len(), 3, "{first} then {second}");
        for endpoint in &endpoints {
            assert_eq!(endpoint["scheme"], "https", "{endpoint}");
        }
    }
}
