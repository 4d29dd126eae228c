//! Build information for `ingot --version` and `alloy_build_info`: the git revision and branch the binary
//! was built from, the build date and the compiler. A build outside a git checkout says `unknown`.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    let revision = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let branch = git(&["rev-parse", "--abbrev-ref", "HEAD"]).unwrap_or_default();
    // The date of the source, as reproducible builds define it: SOURCE_DATE_EPOCH when set, else the date of
    // the commit built (the same for every build of it, so a rebuild gives the same binary); empty outside git.
    // Not the clock's time, which would make every build differ. scripts/package-deb does not set
    // SOURCE_DATE_EPOCH for the build: the cc crate reruns C builds (ring, zstd) whenever it changes.
    let build_date = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| git(&["log", "-1", "--format=%ct", "HEAD"]))
        .and_then(|s| s.parse::<i64>().ok())
        .map(format_utc)
        .unwrap_or_default();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=INGOT_REVISION={revision}");
    println!("cargo:rustc-env=INGOT_BRANCH={branch}");
    println!("cargo:rustc-env=INGOT_BUILD_DATE={build_date}");
    println!("cargo:rustc-env=INGOT_RUSTC_VERSION={rustc_version}");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    link_order();
    // The files that move when a commit is made or checked out, wherever git keeps them (a worktree's HEAD is
    // not under ../../.git, and a branch's ref may be packed).
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
}

/// The order of the binary's code: the functions a running agent executes (the scrape path, the HTTP
/// server, the async runtime, the allocator), listed in `link/hot-symbols.txt`, are placed together at the
/// start of `.text`. Linux maps 64 KiB of a file around every page fault, so a few hundred small functions
/// spread over megabytes of code keep most of those megabytes resident; packed together, they keep about
/// their own size. `scripts/link-order` writes the list (what the unix_scrape bench's workload executes,
/// under callgrind) and says when to run it again: a symbol the list names that no longer exists is passed
/// over, so a stale list only costs memory, never correctness.
///
/// Only for optimised builds of the binary for x86_64 Linux with glibc, which rustc (1.90 and later) links
/// with its own lld; other targets link with the system's linker, and GNU ld before 2.43 has no ordering
/// option. `INGOT_LINK_MAP=<path>` also writes the linker's map there, which `scripts/link-order` reads to
/// name the code it saw executed.
fn link_order() {
    println!("cargo:rerun-if-env-changed=INGOT_LINK_MAP");
    println!("cargo:rerun-if-changed=link/hot-symbols.txt");
    let lld = std::env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu");
    let optimised = std::env::var("OPT_LEVEL").is_ok_and(|o| o != "0");
    if !lld || !optimised {
        return;
    }
    if let Some(map) = std::env::var_os("INGOT_LINK_MAP") {
        println!(
            "cargo:rustc-link-arg-bin=ingot=-Wl,-Map={}",
            std::path::Path::new(&map).display()
        );
    }
    let list = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("link/hot-symbols.txt");
    if list.exists() {
        println!(
            "cargo:rustc-link-arg-bin=ingot=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bin=ingot=-Wl,--no-warn-symbol-ordering");
    }
}

/// `%Y-%m-%dT%H:%M:%SZ` for seconds since the epoch (UTC).
fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
