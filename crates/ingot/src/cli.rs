//! Alloy's command line: `run`, `fmt`, `validate`, with Alloy's flags and messages.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use ingot_runtime::component::Stability;
use ingot_runtime::source;
use ingot_syntax::Diagnostics;

#[derive(Parser)]
#[command(
    name = "ingot",
    about = "One agent per host that runs Grafana Alloy configuration files.",
    disable_version_flag = true
)]
struct Cli {
    /// Print the version and build information, and exit.
    #[arg(short = 'v', long = "version")]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Alloy's `run` flags (Alloy 1.18's `mountRunFlags`), every one accepted; see [`RunFlags::check`] for
/// what each does in ingot. Bool flags read as Go's (pflag): `--flag` alone is true, `--flag=VALUE` takes any
/// of `strconv.ParseBool`'s spellings, and `--flag false` leaves `false` as a positional argument.
#[derive(clap::Args)]
struct RunFlags {
    /// Address to listen for HTTP traffic on (any form Go accepts: `:12345`, `localhost:12345`, `[::1]:12345`).
    #[arg(long = "server.http.listen-addr", default_value = "127.0.0.1:12345")]
    listen_addr: String,
    /// Address to listen for in-memory HTTP traffic on. Change if it collides with a real address.
    #[arg(
        long = "server.http.memory-addr",
        default_value = "alloy.internal:12345"
    )]
    memory_addr: String,
    /// Prefix to serve the HTTP UI (and its web API) at.
    #[arg(long = "server.http.ui-path-prefix", default_value = "/")]
    ui_path_prefix: String,
    /// Enable /debug/pprof profiling endpoints.
    #[arg(long = "server.http.enable-pprof", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", value_parser = go_bool)]
    enable_pprof: bool,
    /// Disable /-/support support bundle retrieval.
    #[arg(long = "server.http.disable-support-bundle", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    disable_support_bundle: bool,
    /// Enable the GraphQL API (experimental in Alloy; ingot has none).
    #[arg(long = "server.http.enable-graphql", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    enable_graphql: bool,
    /// Enable the GraphQL playground UI (experimental in Alloy; ingot has none).
    #[arg(long = "server.http.enable-graphql-playground", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    enable_graphql_playground: bool,
    /// Start in clustered mode (ingot does not cluster: only false is accepted).
    #[arg(long = "cluster.enabled", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    cluster_enabled: bool,
    /// The name to use for this node (clustering only).
    #[arg(long = "cluster.node-name", default_value = "")]
    cluster_node_name: String,
    /// Address to advertise to the cluster (clustering only).
    #[arg(long = "cluster.advertise-address", default_value = "")]
    cluster_advertise_address: String,
    /// Comma-separated list of addresses to join the cluster at (clustering only).
    #[arg(long = "cluster.join-addresses", default_value = "")]
    cluster_join_addresses: String,
    /// List of key-value tuples for discovering peers (clustering only).
    #[arg(long = "cluster.discover-peers", default_value = "")]
    cluster_discover_peers: String,
    /// List of interfaces used to infer an address to advertise (clustering only).
    #[arg(long = "cluster.advertise-interfaces", default_value = "eth0,en0")]
    cluster_advertise_interfaces: Vec<String>,
    /// How often to rejoin the list of peers (clustering only).
    #[arg(long = "cluster.rejoin-interval", default_value = "1m0s", value_parser = go_duration)]
    cluster_rejoin_interval: Duration,
    /// Number of peers to join from the discovered set (clustering only).
    #[arg(long = "cluster.max-join-peers", default_value = "5", value_parser = go_int)]
    cluster_max_join_peers: i64,
    /// The name of the cluster to join (clustering only).
    #[arg(long = "cluster.name", default_value = "")]
    cluster_name: String,
    /// Whether TLS should be used for communication between peers (clustering only).
    #[arg(long = "cluster.enable-tls", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    cluster_enable_tls: bool,
    /// Path to the CA certificate file (clustering only).
    #[arg(long = "cluster.tls-ca-path", default_value = "")]
    cluster_tls_ca_path: String,
    /// Path to the certificate file (clustering only).
    #[arg(long = "cluster.tls-cert-path", default_value = "")]
    cluster_tls_cert_path: String,
    /// Path to the key file (clustering only).
    #[arg(long = "cluster.tls-key-path", default_value = "")]
    cluster_tls_key_path: String,
    /// Server name to use for TLS communication (clustering only).
    #[arg(long = "cluster.tls-server-name", default_value = "")]
    cluster_tls_server_name: String,
    /// Cluster size to wait for before clustered components start (clustering only).
    #[arg(long = "cluster.wait-for-size", default_value = "0", value_parser = go_int)]
    cluster_wait_for_size: i64,
    /// Maximum duration to wait for the cluster size (clustering only).
    #[arg(long = "cluster.wait-timeout", default_value = "0s", value_parser = go_duration)]
    cluster_wait_timeout: Duration,
    #[arg(hide = true)]
    /// Deprecated in Alloy; no effect.
    #[arg(long = "cluster.use-discovery-v1", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    cluster_use_discovery_v1: bool,
    #[command(flatten)]
    config: ConfigFlags,
    /// Disable reporting of enabled components (ingot reports nothing to anyone; accepted for Alloy's command lines).
    #[arg(long = "disable-reporting", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    disable_reporting: bool,
    /// Base directory where components can store data.
    #[arg(long = "storage.path", default_value = "data-alloy/")]
    storage_path: PathBuf,
    /// Process priority on Windows (accepted; no effect on Linux).
    #[arg(long = "windows.priority", default_value = "normal")]
    windows_priority: String,
    /// Enable community components (ingot has none).
    #[arg(long = "feature.community-components.enabled", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    community_components: bool,
    /// Maximum duration to wait for a component to shut down before giving up and logging an error.
    #[arg(
        long = "feature.component-shutdown-deadline",
        default_value = "10m0s",
        value_parser = go_duration
    )]
    component_shutdown_deadline: Duration,
    /// Experimental direct fanout for metric forwarding (ingot always forwards directly).
    #[arg(long = "feature.prometheus.direct-fanout.enabled", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    direct_fanout: bool,
    #[arg(hide = true)]
    /// Deprecated in Alloy; no effect.
    #[arg(long = "feature.prometheus.metric-validation-scheme", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    metric_validation_scheme: bool,
    /// ingot's own: end every scraped series with a staleness marker when a `prometheus.scrape` stops (the
    /// agent stops, or the component leaves the config). Off, as in Prometheus and Alloy: see
    /// docs/push-liveness.md.
    #[arg(long = "feature.prometheus.scrape.stale-markers-on-stop", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    scrape_stale_markers_on_stop: bool,
    /// A file, or a directory whose `*.alloy` files form one configuration (the embedded default when absent).
    path: Option<PathBuf>,
}

/// The flags `run` and `validate` share: the configuration's format and the stability level.
#[derive(clap::Args)]
struct ConfigFlags {
    /// The format of the source file: `alloy` (ingot converts no other format yet).
    #[arg(long = "config.format", default_value = "alloy")]
    format: String,
    /// Enable bypassing errors when converting.
    #[arg(long = "config.bypass-conversion-errors", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
    bypass_conversion_errors: bool,
    /// Extra arguments from the original format used by the converter.
    #[arg(long = "config.extra-args", default_value = "")]
    extra_args: String,
    /// Minimum stability level of features to enable: generally-available, public-preview, experimental.
    #[arg(long = "stability.level", default_value = "generally-available", value_parser = stability_level)]
    stability: Stability,
}

#[derive(Subcommand)]
enum Command {
    /// Run the agent with a configuration file or directory (the embedded default config when absent).
    // A flag given twice takes its last value, as Go's flag package does: Alloy's unit puts $CUSTOM_ARGS before
    // its own --storage.path, and an operator's CUSTOM_ARGS may repeat what the unit sets.
    #[command(args_override_self = true)]
    Run(Box<RunFlags>),
    /// Format a configuration file (Alloy's `fmt`).
    #[command(alias = "format")]
    Fmt {
        /// Write the result to the file instead of standard output.
        #[arg(short = 'w', long = "write")]
        write: bool,
        /// Exit with an error when formatting would change the file.
        #[arg(short = 't', long = "test")]
        test: bool,
        /// The file to format; standard input when absent or `-`.
        file: Option<PathBuf>,
    },
    /// Check a configuration file or directory without running it: no port is bound, no connection made
    /// and no file a component reads at run time is opened.
    Validate {
        #[command(flatten)]
        config: ConfigFlags,
        /// Enable community components (ingot has none).
        #[arg(long = "feature.community-components.enabled", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = go_bool)]
        community_components: bool,
        /// A file, or a directory whose `*.alloy` files form one configuration.
        path: PathBuf,
    },
}

/// `strconv.ParseBool`.
fn go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}

/// `time.ParseDuration`.
fn go_duration(s: &str) -> Result<Duration, String> {
    let nanos = ingot_gocompat::time::parse_duration(s)?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| format!("negative duration {s:?}"))
}

/// `strconv.ParseInt(s, 0, 64)`: decimal, or `0x`, `0o`, `0b` (and a leading `0` for octal).
fn go_int(s: &str) -> Result<i64, String> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let cleaned = digits.replace('_', "");
    let lower = cleaned.to_ascii_lowercase();
    let parsed = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        i64::from_str_radix(&lower[1..], 8)
    } else {
        lower.parse()
    };
    parsed
        .map(|v| if neg { -v } else { v })
        .map_err(|_| format!("strconv.ParseInt: parsing {s:?}: invalid syntax"))
}

/// `--stability.level`, with Alloy's error.
fn stability_level(s: &str) -> Result<Stability, String> {
    Stability::parse(s).ok_or_else(|| format!("invalid stability level {s:?}"))
}

impl ConfigFlags {
    /// ingot reads Alloy syntax only; another format is refused with what to do instead. As in Alloy, the
    /// format applies to a file, not to a directory (whose `*.alloy` files are always Alloy syntax).
    fn check(&self, path: Option<&Path>) -> Result<(), String> {
        if self.format == "alloy" || path.is_some_and(Path::is_dir) {
            return Ok(());
        }
        match self.format.as_str() {
            "otelcol" | "prometheus" | "promtail" | "static" => Err(format!(
                "--config.format={}: ingot cannot convert {} configurations yet; convert it once with `alloy convert --source-format={} <file>` and run ingot on the result",
                self.format, self.format, self.format
            )),
            other => Err(format!(
                "--config.format={other:?}: unsupported format; the supported formats are \"alloy\", \"otelcol\", \"prometheus\", \"promtail\", \"static\""
            )),
        }
    }
}

impl RunFlags {
    /// Refuses what ingot cannot do (with what to do instead), and says which accepted flags have no effect.
    fn check(&self) -> Result<(), String> {
        self.config.check(self.path.as_deref())?;
        let stability = self.config.stability;
        for (set, flag) in [
            (
                self.direct_fanout,
                "feature.prometheus.direct-fanout.enabled",
            ),
            (self.enable_graphql, "server.http.enable-graphql"),
            (
                self.enable_graphql_playground,
                "server.http.enable-graphql-playground",
            ),
        ] {
            if set && stability > Stability::Experimental {
                return Err(format!(
                    "'--{flag}' can only be used at experimental stability level. Use --stability.level=experimental to enable."
                ));
            }
        }
        if self.cluster_enabled {
            return Err(
                "--cluster.enabled=true: ingot does not support clustering; each ingot works on its own. Run without --cluster.enabled (or with --cluster.enabled=false) and give each agent its own targets"
                    .into(),
            );
        }
        for (set, flag) in [
            (self.cluster_use_discovery_v1, "cluster.use-discovery-v1"),
            (
                self.metric_validation_scheme,
                "feature.prometheus.metric-validation-scheme",
            ),
        ] {
            if set {
                eprintln!(
                    "Flag --{flag} has been deprecated, This flag is deprecated and has no effect."
                );
            }
        }
        Ok(())
    }

    /// Accepted flags that change nothing in ingot, named once at start-up so nobody relies on them.
    fn without_effect(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.enable_graphql || self.enable_graphql_playground {
            notes.push("--server.http.enable-graphql: ingot has no GraphQL API".to_string());
        }
        if self.direct_fanout {
            notes.push(
                "--feature.prometheus.direct-fanout.enabled: ingot always forwards samples directly"
                    .to_string(),
            );
        }
        if self.community_components {
            notes.push(
                "--feature.community-components.enabled: ingot has no community components"
                    .to_string(),
            );
        }
        if self.windows_priority != "normal" {
            notes.push("--windows.priority: has no effect on Linux".to_string());
        }
        notes
    }
}

pub fn main() -> ExitCode {
    // As Alloy's (cobra): a bad command line is `Error: ...` and exit status 1; help goes to stdout.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            eprint!("Error: {text}");
            return ExitCode::FAILURE;
        }
    };
    if cli.version {
        println!("{}", ingot::build_info::banner());
        return ExitCode::SUCCESS;
    }
    ingot_syntax::stdlib::set_version(ingot::build_info::VERSION);
    let Some(command) = cli.command else {
        use clap::CommandFactory;
        let _ = Cli::command().print_help();
        return ExitCode::SUCCESS;
    };
    let result = match command {
        Command::Run(flags) => flags.check().and_then(|()| {
            crate::run::run(crate::run::RunArgs {
                notes: flags.without_effect(),
                config: flags.path,
                listen_addr: flags.listen_addr,
                memory_addr: flags.memory_addr,
                ui_path_prefix: flags.ui_path_prefix,
                enable_pprof: flags.enable_pprof,
                disable_support_bundle: flags.disable_support_bundle,
                storage_path: flags.storage_path,
                stability: flags.config.stability,
                component_shutdown_deadline: flags.component_shutdown_deadline,
                features: ingot_runtime::controller::Features {
                    scrape_stale_markers_on_stop: flags.scrape_stale_markers_on_stop,
                },
                cluster_name: flags.cluster_name,
            })
        }),
        Command::Fmt { write, test, file } => fmt(write, test, file.as_deref()),
        Command::Validate { config, path, .. } => config
            .check(Some(&path))
            .and_then(|()| validate(&path, config.stability)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_diagnostics(diags: &Diagnostics) {
    let mut err = std::io::stderr().lock();
    for d in diags.iter() {
        let _ = writeln!(err, "{}", d.render());
    }
}

fn fmt(write: bool, test: bool, file: Option<&Path>) -> Result<(), String> {
    if write && test {
        return Err("cannot use -w/--write and -t/--test at the same time".into());
    }
    let (name, bytes) = match file {
        None => read_stdin(write)?,
        Some(p) if p == Path::new("-") => read_stdin(write)?,
        Some(p) => {
            let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
            if meta.is_dir() {
                return Err("cannot format a directory".into());
            }
            (
                p.display().to_string(),
                std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
            )
        }
    };
    let (parsed, diags) = source::parse_bytes(&name, bytes.clone());
    if diags.has_errors() {
        print_diagnostics(&diags);
        return Err("encountered errors during formatting".into());
    }
    let mut formatted = match ingot_syntax::printer::format_file(&parsed) {
        Ok(text) => text,
        Err(d) => {
            print_diagnostics(&Diagnostics(vec![d]));
            return Err("encountered errors during formatting".into());
        }
    };
    // Like Alloy, the file ends with exactly one newline after the formatted text.
    formatted.push('\n');
    let unchanged = formatted.as_bytes() == bytes.as_slice();
    if test {
        return if unchanged {
            Ok(())
        } else {
            Err(format!("file {name} is not formatted correctly"))
        };
    }
    if !write {
        return std::io::stdout()
            .write_all(formatted.as_bytes())
            .map_err(|e| e.to_string());
    }
    if unchanged {
        return Ok(());
    }
    std::fs::write(&name, formatted).map_err(|e| format!("{name}: {e}"))
}

fn read_stdin(write: bool) -> Result<(String, Vec<u8>), String> {
    if write {
        return Err("cannot use -w with standard input".into());
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(("<stdin>".into(), bytes))
}

fn validate(path: &Path, stability: Stability) -> Result<(), String> {
    let registry = std::sync::Arc::new(ingot::registry::registry());
    let options = ingot_runtime::controller::Options {
        stability,
        ..Default::default()
    };
    let controller = ingot_runtime::controller::Controller::new(registry, options);
    let diags = ingot_runtime::validate::validate_path(&controller, path);
    print_diagnostics(&diags);
    if diags.has_errors() {
        return Err("validation failed".into());
    }
    Ok(())
}
