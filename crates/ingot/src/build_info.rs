//! What this binary is: its version, the revision and branch it was built from, the build date, the
//! compiler and the platform. `ingot --version` prints it in the layout Alloy (and every Prometheus
//! exporter) prints; `/metrics` serves it as `alloy_build_info` ([`BuildInfoCollector`]).

use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use ingot_runtime::metrics::{AgentCollector, BuildInfo};

/// `v0.1.0`: the workspace version with Alloy's `v` prefix.
pub const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));
/// The short git revision, or `unknown` outside a git checkout.
pub const REVISION: &str = env!("INGOT_REVISION");
/// The git branch, `HEAD` for a detached checkout, empty outside git.
pub const BRANCH: &str = env!("INGOT_BRANCH");
/// `%Y-%m-%dT%H:%M:%SZ`: `SOURCE_DATE_EPOCH`, else the date of the commit built, empty outside git (build.rs).
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

/// `goversion` of `alloy_build_info`: the compiler, in the form Go's `runtime.Version()` has
/// (`go1.26.5`), so `rustc1.95.0`.
pub fn compiler_version() -> String {
    format!("rustc{RUSTC_VERSION}")
}

static BUILD_INFO: Desc = Desc::new(
    "alloy_build_info",
    "A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.",
    MetricType::Gauge,
    &[
        "branch",
        "goarch",
        "goos",
        "goversion",
        "revision",
        "tags",
        "version",
    ],
);

/// `alloy_build_info`, as client_golang's version collector serves it for Alloy, with the values
/// `--version` prints (`goversion` is the compiler's: see [`compiler_version`]).
pub struct BuildInfoCollector {
    goversion: String,
}

impl Default for BuildInfoCollector {
    fn default() -> BuildInfoCollector {
        BuildInfoCollector {
            goversion: compiler_version(),
        }
    }
}

impl AgentCollector for BuildInfoCollector {
    fn collect(&self, set: &mut FamilySet) {
        set.push(
            &BUILD_INFO,
            &[
                BRANCH,
                goarch(),
                std::env::consts::OS,
                &self.goversion,
                REVISION,
                tags(),
                VERSION,
            ],
            1.0,
        );
    }
}

/// The same values for components that label metrics with the build (`node_exporter_build_info`).
pub fn build_info() -> BuildInfo {
    BuildInfo {
        branch: BRANCH.to_owned(),
        goarch: goarch().to_owned(),
        goos: std::env::consts::OS.to_owned(),
        goversion: compiler_version(),
        revision: REVISION.to_owned(),
        tags: tags().to_owned(),
        version: VERSION.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_info_in_alloys_layout() {
        let mut set = FamilySet::new();
        BuildInfoCollector::default().collect(&mut set);
        let want = format!(
            "alloy_build_info{{branch=\"{BRANCH}\",goarch=\"{}\",goos=\"linux\",goversion=\"rustc{RUSTC_VERSION}\",revision=\"{REVISION}\",tags=\"unknown\",version=\"{VERSION}\"}} 1\n",
            goarch()
        );
        let text = set.encode_to_string();
        assert!(text.ends_with(&want), "{text}");
        assert!(text.starts_with("# HELP alloy_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.\n# TYPE alloy_build_info gauge\n"));
    }
}
