//! The `ingot` command: CLI wiring only. Everything it does lives in the library crates.

mod cli;
mod logging;
mod run;

fn main() -> std::process::ExitCode {
    // Before any thread starts: a few threads that mostly wait need no arena each.
    ingot_hostfs::sys::limit_malloc_arenas(2);
    // As Go's runtime, which Alloy is: the soft descriptor limit up to the hard one, so many clients or
    // targets do not exhaust the default 1,024. Failing leaves the limit as it was.
    let _ = ingot_hostfs::sys::raise_open_files_limit();
    cli::main()
}
