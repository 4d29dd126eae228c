//! The `ingot` command: CLI wiring only. Everything it does lives in the library crates.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
