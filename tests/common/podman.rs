//! The real image, run with podman as users run it: the image built by
//! `scripts/build-image.sh` (`localhost/proxy911-exporter:dev`, or `PROXY911_TEST_IMAGE`),
//! podman with the project's containers.conf, containers removed when their handle drops.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// The image under test.
pub fn image() -> String {
    std::env::var("PROXY911_TEST_IMAGE")
        .unwrap_or_else(|_| "localhost/proxy911-exporter:dev".to_string())
}

/// `podman` with the project's containers.conf (as the scripts use it).
pub fn podman() -> tokio::process::Command {
    let mut command = tokio::process::Command::new("podman");
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/podman/containers.conf");
    if std::env::var_os("CONTAINERS_CONF").is_none() && Path::new("/usr/sbin/runc").exists() {
        command.env("CONTAINERS_CONF", conf);
    }
    command.kill_on_drop(true);
    command
}

/// Runs podman to the end; panics with its stderr when it cannot be started at all.
pub async fn run(args: &[&str]) -> Output {
    podman()
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("podman {args:?}: {e} (scripts/install-tools.sh installs it)"))
}

/// Fails the test, pointing at the script, when the image has not been built.
pub async fn require_image() -> String {
    let image = image();
    let out = run(&["image", "exists", &image]).await;
    assert!(
        out.status.success(),
        "{image} is not built: run scripts/build-image.sh (scripts/test.sh does)"
    );
    image
}

/// A container started detached; removed (forcibly) when dropped.
pub struct Container {
    pub name: String,
}

/// The hardening of every run: read-only root, every capability dropped, user 65532, and the
/// host's network (this sandbox has no bridge networking; the exporter binds loopback ports).
pub const HARDENED: &[&str] = &[
    "--read-only",
    "--cap-drop",
    "ALL",
    "--user",
    "65532:65532",
    "--security-opt",
    "no-new-privileges",
    "--network",
    "host",
];

impl Container {
    /// `podman run -d` with [`HARDENED`], `options` (volumes, env), the image, then `args`.
    pub async fn start(options: &[&str], args: &[&str]) -> Container {
        let image = require_image().await;
        let name = format!("proxy911-test-{}-{}", std::process::id(), unique());
        let mut all = vec!["run", "-d", "--name", &name];
        all.extend_from_slice(HARDENED);
        all.extend_from_slice(options);
        all.push(&image);
        all.extend_from_slice(args);
        let out = run(&all).await;
        assert!(
            out.status.success(),
            "podman run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Container { name }
    }

    /// `podman inspect` of the container, one field by Go template.
    pub async fn inspect(&self, format: &str) -> String {
        let out = run(&["inspect", "--format", format, &self.name]).await;
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Its stdout and stderr so far, apart.
    pub async fn logs(&self) -> (String, String) {
        let out = run(&["logs", &self.name]).await;
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `podman stop -t 10`: SIGTERM, then SIGKILL after 10 s. Returns the exit code.
    pub async fn stop(&self) -> i64 {
        let out = run(&["stop", "-t", "10", &self.name]).await;
        assert!(
            out.status.success(),
            "podman stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.inspect("{{.State.ExitCode}}").await.parse().unwrap()
    }

    /// Waits until the container has exited (at most `limit`); its exit code.
    pub async fn wait(&self, limit: Duration) -> i64 {
        let out = tokio::time::timeout(limit, run(&["wait", &self.name]))
            .await
            .expect("the container exits");
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let mut command = std::process::Command::new("podman");
        let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/podman/containers.conf");
        if std::env::var_os("CONTAINERS_CONF").is_none() && Path::new("/usr/sbin/runc").exists() {
            command.env("CONTAINERS_CONF", conf);
        }
        let _ = command
            .args(["rm", "-f", "-t", "0", &self.name])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A directory of the test's own, readable by the container's user (65532), removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!(
            "proxy911-container-{name}-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch { dir }
    }

    /// Writes `contents` to `name` with `mode`; returns its path.
    pub fn file(&self, name: &str, contents: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
