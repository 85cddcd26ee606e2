//! Kubernetes as written, played: the rendered kustomize base, with a small step that points it
//! at the local image, at the simulator and at free loopback ports and supplies the Secret, run
//! by `podman kube play`. The pod must start with the Deployment's security context, the probes'
//! paths answer, and `/metrics` serves the simulator's data; `podman kube down` after.
//!
//! What podman cannot honour here, and the step therefore changes or leaves to the cluster:
//! - `ports` (podman maps them through bridge networking, which this sandbox lacks): removed,
//!   the pod uses the host's network, and the listen addresses move to free loopback ports;
//! - the `httpGet` probes become health checks that run `curl` inside the container, which a
//!   shell-less image cannot do (and without systemd podman never runs them): the test asks the
//!   probes' paths from outside instead;
//! - a Secret's `data` is mounted as the text written, not base64-decoded, and `stringData` is
//!   ignored (podman 4.3): the step writes the Secret's values plain; the volume's `defaultMode` (0440) and the pod's
//!   `fsGroup` are not applied (the files are 0644, owned by root): the read-only mount and
//!   user 65532 are;
//! - `serviceAccountName` and `automountServiceAccountToken` (no API server), and the kinds
//!   other than the Deployment (Service, NetworkPolicy, ServiceMonitor, PrometheusRule, the
//!   dashboards' ConfigMap): left to the cluster; tests/deploy.rs validates them.

mod common;

use common::podman::{podman, require_image, run, Scratch};
use common::{free_port, http, metrics_until, simulator, value, APP_KEY};
use serde_json::{json, Value};

/// The admin token of the played pod: 32 characters, so that podman takes it as base64.
const ADMIN_TOKEN: &str = "KubePlayAdminToken0123456789abcd";

/// The rendered base as JSON objects (kubectl kustomize, then PyYAML from the venv).
fn rendered_objects() -> Vec<Value> {
    let (ok, yaml, err) =
        common::run_with_stdin("kubectl", &["kustomize", "deploy/kubernetes"], "");
    assert!(ok, "kubectl kustomize: {err}");
    let (ok, out, err) = common::run_with_stdin(
        common::python(),
        &[
            "-c",
            "import sys, yaml, json; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))",
        ],
        &yaml,
    );
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The Deployment pointed at `image`, `api_url` and the ports, with the Secret beside it.
fn playable(image: &str, api_url: &str, port: u16, admin_port: u16) -> (Value, Value) {
    let mut deployment = rendered_objects()
        .into_iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("the base has a Deployment");
    let pod = &mut deployment["spec"]["template"]["spec"];
    pod["hostNetwork"] = json!(true);
    let container = &mut pod["containers"][0];
    container["image"] = json!(image);
    container
        .as_object_mut()
        .unwrap()
        .remove("ports")
        .expect("the base names its port");
    let mut args: Vec<Value> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.as_str().unwrap();
            json!(match a.split_once('=') {
                Some(("--web.listen-address", _)) =>
                    format!("--web.listen-address=127.0.0.1:{port}"),
                Some(("--admin.listen-address", _)) =>
                    format!("--admin.listen-address=127.0.0.1:{admin_port}"),
                _ => a.to_string(),
            })
        })
        .collect();
    args.push(json!(format!("--api.url={api_url}")));
    container["args"] = json!(args);
    for probe in ["livenessProbe", "readinessProbe"] {
        container[probe]["httpGet"]["port"] = json!(port);
    }
    // podman 4.3 mounts a Secret's `data` values as the text written (it checks that the text is
    // base64, but does not decode it) and ignores `stringData`: the values go in plain, each of
    // a length and alphabet that pass as base64. For Kubernetes they would be encoded.
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "proxy911-exporter"},
        "data": {"app_key": APP_KEY, "admin_token": ADMIN_TOKEN}
    });
    (deployment, secret)
}

/// Tears the played pod down (and the Secret it created) even when the test fails.
struct Played {
    file: std::path::PathBuf,
}

impl Drop for Played {
    fn drop(&mut self) {
        let file = self.file.display().to_string();
        podman_blocking(&["kube", "down", &file]);
        remove_leftovers();
    }
}

/// What `kube down` leaves behind: the Secret podman stored, and the named volume it filled
/// from it (which a later play would reuse, stale, rather than fill again).
fn remove_leftovers() {
    podman_blocking(&["secret", "rm", "proxy911-exporter"]);
    podman_blocking(&["volume", "rm", "-f", "proxy911-exporter"]);
}

fn podman_blocking(args: &[&str]) {
    let mut command = std::process::Command::new("podman");
    let conf =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/podman/containers.conf");
    if std::env::var_os("CONTAINERS_CONF").is_none() {
        command.env("CONTAINERS_CONF", conf);
    }
    let _ = command
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

#[tokio::test]
async fn the_rendered_deployment_plays_with_its_security_context_and_serves_metrics() {
    let image = require_image().await;
    remove_leftovers();
    let (_sim, url) = simulator(Some(4)).await;
    let (port, admin_port) = (free_port(), free_port());
    let (deployment, secret) = playable(&image, &url, port, admin_port);
    let scratch = Scratch::new("kube-play");
    let secret_file = scratch.file("secret.json", &secret.to_string(), 0o600);
    let deployment_file = scratch.file("deployment.json", &deployment.to_string(), 0o600);
    let _down_deployment = Played {
        file: deployment_file.clone(),
    };
    let _down_secret = Played {
        file: secret_file.clone(),
    };

    for file in [&secret_file, &deployment_file] {
        let out = podman()
            .args(["kube", "play", "--network", "host"])
            .arg(file)
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "podman kube play {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let text = metrics_until(port, |t| value(t, "proxy911_up", &[]).is_some()).await;
    let status = |path: &'static str| {
        let url = format!("http://127.0.0.1:{port}{path}");
        async move {
            http()
                .get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .ok()
        }
    };
    let healthy = status("/-/healthy").await;
    let ready = status("/-/ready").await;
    let admin_on_loopback = http()
        .get(format!("http://127.0.0.1:{admin_port}/admin/accounts"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok();
    let names = run(&["ps", "-a", "--format", "{{.Names}}"]).await;
    let names = String::from_utf8_lossy(&names.stdout).into_owned();
    let container = names
        .lines()
        .find(|n| n.starts_with("proxy911-exporter-pod") && n.ends_with("-exporter"))
        .unwrap_or_else(|| panic!("the exporter's container runs: {names}"))
        .to_string();
    let logs = run(&["logs", &container]).await;
    let logs = String::from_utf8_lossy(&logs.stderr).into_owned();
    let inspect = run(&["inspect", &container]).await;
    let inspect: Value = serde_json::from_slice(&inspect.stdout).unwrap();
    let inspect = &inspect[0];

    assert_eq!(inspect["State"]["Running"], true, "{logs}");
    assert_eq!(value(&text, "proxy911_up", &[]), Some(1.0), "{logs}");
    assert_eq!(
        common::matching(&text, "proxy911_account_info", &[]).len(),
        4,
        "the simulator's accounts"
    );
    assert_eq!(
        (healthy, ready),
        (Some(200), Some(200)),
        "the probes' paths"
    );
    assert_eq!(
        admin_on_loopback,
        Some(200),
        "the admin API with the Secret's token"
    );
    // The Deployment's security context, as podman applied it.
    assert_eq!(inspect["Config"]["User"], "65532:65532");
    assert_eq!(inspect["HostConfig"]["ReadonlyRootfs"], true);
    assert!(
        inspect["EffectiveCaps"].is_null() || inspect["EffectiveCaps"] == json!([]),
        "every capability dropped: {}",
        inspect["EffectiveCaps"]
    );
    assert!(
        inspect["HostConfig"]["SecurityOpt"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "no-new-privileges"),
        "allowPrivilegeEscalation: false"
    );
    assert_eq!(
        inspect["HostConfig"]["Memory"],
        128 * 1024 * 1024,
        "the memory limit"
    );
}
