//! What this build is: version, git revision, build date, compiler and platform, as `--version`
//! prints them (in the style of Prometheus' `version.Print`) and as
//! `proxy911_exporter_build_info` labels them. The values come from `build.rs`.

/// The crate version, e.g. `0.1.0`.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The short git revision the binary was built from, or `unknown`.
pub const REVISION: &str = env!("PROXY911_GIT_REVISION");
/// When it was built, UTC, `YYYYMMDD-HH:MM:SS` (`SOURCE_DATE_EPOCH` for reproducible releases).
pub(crate) const BUILD_DATE: &str = env!("PROXY911_BUILD_DATE");
/// `rustc --version` of the compiler that built it.
pub(crate) const RUST_VERSION: &str = env!("PROXY911_RUST_VERSION");

/// The compiler's release alone (`1.95.0`), for a label.
pub(crate) fn rust_release() -> &'static str {
    RUST_VERSION
        .split_whitespace()
        .nth(1)
        .unwrap_or(RUST_VERSION)
}

/// `linux/amd64` and the like: the names Go and the release tarballs use.
pub fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{}/{arch}", std::env::consts::OS)
}

/// The text of `--version`.
pub fn print(program: &str) -> String {
    format!(
        "{program}, version {VERSION} (revision: {REVISION})\n  build date:       {BUILD_DATE}\n  rust version:     {RUST_VERSION}\n  platform:         {}\n",
        platform()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_text_reads_like_prometheus_version_print() {
        let text = print("proxy911-exporter");
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!("proxy911-exporter, version {VERSION} (revision: {REVISION})")
        );
        assert!(lines.next().unwrap().starts_with("  build date:       "));
        assert!(lines
            .next()
            .unwrap()
            .starts_with("  rust version:     rustc "));
        assert_eq!(lines.next().unwrap(), "  platform:         linux/amd64");
    }

    #[test]
    fn the_rust_release_is_a_bare_version_number() {
        let release = rust_release();
        assert!(release.split('.').count() >= 3, "{release}");
        assert!(
            release.starts_with(|c: char| c.is_ascii_digit()),
            "{release}"
        );
    }

    #[test]
    fn build_date_has_prometheus_format() {
        let b = BUILD_DATE.as_bytes();
        assert_eq!(b.len(), 17, "{BUILD_DATE}");
        assert_eq!(b[8], b'-');
        assert!(b[..8].iter().all(u8::is_ascii_digit), "{BUILD_DATE}");
    }
}
