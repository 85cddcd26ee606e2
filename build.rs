//! Records the git revision for `proxy911_exporter_build_info{revision}`: from
//! `PROXY911_GIT_REVISION` if set (container builds without `.git`), else `git rev-parse`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PROXY911_GIT_REVISION");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    let revision = std::env::var("PROXY911_GIT_REVISION")
        .ok()
        .filter(|r| !r.is_empty())
        .or_else(|| {
            let out = Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=PROXY911_GIT_REVISION={revision}");
}
