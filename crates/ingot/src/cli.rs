//! Alloy's command line: `run`, `fmt`, `validate`, with Alloy's flags and messages.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ingot_runtime::component::Stability;
use ingot_runtime::source;
use ingot_syntax::Diagnostics;

#[derive(Parser)]
#[command(
    name = "ingot",
    version,
    about = "One agent per host that runs Grafana Alloy configuration files."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the agent with a configuration file or directory (the embedded default config when absent).
    Run {
        /// Address the HTTP server listens on.
        #[arg(long = "server.http.listen-addr", default_value = "127.0.0.1:12345")]
        listen_addr: String,
        /// Address exporters put in their targets; scraping it is served in memory.
        #[arg(
            long = "server.http.memory-addr",
            default_value = "alloy.internal:12345"
        )]
        memory_addr: String,
        /// Where components keep their state (the remote_write WAL, ...).
        #[arg(long = "storage.path", default_value = "data-alloy/")]
        storage_path: PathBuf,
        /// Minimum stability level of features to allow: experimental, public-preview, generally-available.
        #[arg(long = "stability.level", default_value = "generally-available")]
        stability_level: String,
        /// A file, or a directory whose `*.alloy` files form one configuration.
        path: Option<PathBuf>,
    },
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
    /// Check a configuration file or directory without running it.
    Validate {
        /// Minimum stability level of features to allow.
        #[arg(long = "stability.level", default_value = "generally-available")]
        stability_level: String,
        /// A file, or a directory whose `*.alloy` files form one configuration.
        path: PathBuf,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            listen_addr,
            memory_addr,
            storage_path,
            stability_level,
            path,
        } => stability(&stability_level).and_then(|stability| {
            crate::run::run(crate::run::RunArgs {
                config: path,
                listen_addr,
                memory_addr,
                storage_path,
                stability,
            })
        }),
        Command::Fmt { write, test, file } => fmt(write, test, file.as_deref()),
        Command::Validate {
            path,
            stability_level,
        } => stability(&stability_level).and_then(|s| validate(&path, s)),
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

fn stability(level: &str) -> Result<Stability, String> {
    Stability::parse(level).ok_or_else(|| {
        format!("invalid --stability.level {level:?}: use experimental, public-preview or generally-available")
    })
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
