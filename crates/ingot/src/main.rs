//! The `ingot` command: CLI wiring only. Everything it does lives in the library crates.

mod cli;
mod logging;
mod run;

fn main() -> std::process::ExitCode {
    cli::main()
}
