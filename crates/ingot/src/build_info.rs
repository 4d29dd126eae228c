//! What this binary is: its version, the revision and branch it was built from, the build date, the
//! compiler and the platform. `ingot --version` prints it in the layout Alloy (and every Prometheus
//! exporter) prints; `/metrics` serves it as `alloy_build_info`.

/// `v0.1.0`: the workspace version with Alloy's `v` prefix.
pub const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));
/// The short git revision, or `unknown` outside a git checkout.
pub const REVISION: &str = env!("INGOT_REVISION");
/// The git branch, `HEAD` for a detached checkout, empty outside git.
pub const BRANCH: &str = env!("INGOT_BRANCH");
/// `%Y-%m-%dT%H:%M:%SZ` from `SOURCE_DATE_EPOCH`, empty otherwise (as in Alloy's non-release builds).
pub const BUILD_DATE: &str = env!("INGOT_BUILD_DATE");
/// The rustc version that built the binary (`1.95.0`).
pub const RUSTC_VERSION: &str = env!("INGOT_RUSTC_VERSION");

/// `linux/amd64`, in Go's GOOS/GOARCH words as Alloy's `platform` line and `alloy_build_info` use them.
pub fn platform() -> String {
    format!("{}/{}", std::env::consts::OS, goarch())
}

/// `std::env::consts::ARCH` in Go's GOARCH word.
pub fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// The `--version` banner, in Prometheus' `version.Print` layout (label padded to 20 columns).
pub fn banner() -> String {
    format!(
        "ingot, version {VERSION} (branch: {BRANCH}, revision: {REVISION})\n  build user:       {}\n  build date:       {BUILD_DATE}\n  rust version:     {RUSTC_VERSION}\n  platform:         {}\n  tags:             {}",
        build_user(),
        platform(),
        tags()
    )
}

/// Cargo features that change what the binary does, for the `tags` line (`unknown` for a plain build, as
/// Go's when no tags were given).
pub fn tags() -> &'static str {
    "unknown"
}

fn build_user() -> &'static str {
    option_env!("INGOT_BUILD_USER").unwrap_or("")
}
