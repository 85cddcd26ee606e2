//! The release: `scripts/release.sh` builds the tarball in the layout of Prometheus' own (one
//! folder: binary, LICENSE, README.md, dashboards, alert rules, example web configuration) and
//! `sha256sums.txt`; the checksums verify, a second build of the same commit is the same bytes, and the binary in it reports the same revision in
//! `--version` and in `proxy911_exporter_build_info`.

mod common;

use std::path::Path;
use std::process::Command;

use common::podman::Scratch;
use common::{free_port, metrics_until};

fn run(program: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_release_tarball_has_prometheus_layout_verifies_and_reports_its_revision() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = Scratch::new("release");
    let dist = scratch.dir.join("dist");
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("proxy911-exporter-{version}.linux-amd64");

    run("scripts/release.sh", &[dist.to_str().unwrap()], repo);
    let again = scratch.dir.join("again");
    run("scripts/release.sh", &[again.to_str().unwrap()], repo);
    let sums = std::fs::read_to_string(dist.join("sha256sums.txt")).unwrap();
    let verified = run("sha256sum", &["-c", "sha256sums.txt"], &dist);
    let listing = run("tar", &["-tzf", &format!("{name}.tar.gz")], &dist);
    run("tar", &["-xzf", &format!("{name}.tar.gz")], &dist);

    assert_eq!(
        std::fs::read_to_string(again.join("sha256sums.txt")).unwrap(),
        sums,
        "two releases of one commit are the same bytes"
    );
    assert_eq!(sums.lines().count(), 1, "{sums}");
    assert!(sums.ends_with(&format!("  {name}.tar.gz\n")), "{sums}");
    assert_eq!(verified.trim(), format!("{name}.tar.gz: OK"));
    let mut files: Vec<&str> = listing.lines().filter(|l| !l.ends_with('/')).collect();
    files.sort();
    assert!(
        listing.lines().all(|l| l.starts_with(&format!("{name}/"))),
        "one folder: {listing}"
    );
    for expected in [
        "proxy911-exporter",
        "LICENSE",
        "README.md",
        "alerts/proxy911.rules.yml",
        "alerts/alertmanager.example.yml",
        "dashboards/proxy911-overview.json",
        "dashboards/proxy911-accounts.json",
        "examples/web-config.yml",
        "examples/multi-target/config.yml",
        "examples/multi-target/keys/team-a",
        "examples/prometheus-multi-target.yml",
    ] {
        let path = format!("{name}/{expected}");
        assert!(files.contains(&path.as_str()), "{path} in {files:?}");
    }

    let binary = dist.join(&name).join("proxy911-exporter");
    let version_text = run(binary.to_str().unwrap(), &["--version"], &dist);
    let first = version_text.lines().next().unwrap();
    let revision = first
        .split("(revision: ")
        .nth(1)
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    assert!(first.starts_with(&format!("proxy911-exporter, version {version} ")));
    assert!(version_text.contains("  build date:       "));
    assert!(version_text.contains("  rust version:     rustc "));

    let port = free_port();
    let mut child = tokio::process::Command::new(&binary)
        .args([
            "--demo",
            "--web.listen-address",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let text = metrics_until(port, |t| t.contains("proxy911_exporter_build_info")).await;
    child.kill().await.unwrap();
    let info = text
        .lines()
        .find(|l| l.starts_with("proxy911_exporter_build_info{"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        info.contains(&format!("revision=\"{revision}\"")),
        "{info} vs {revision}"
    );
}
