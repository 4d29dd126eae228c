//! The `ingot` command: CLI wiring only. Everything it does lives in the library crates.

mod cli;
mod logging;
mod run;

fn main() -> std::process::ExitCode {
    // Before any thread starts: a few threads that mostly wait need no arena each.
    ingot_hostfs::sys::limit_malloc_arenas(2);
    cli::main()
}
