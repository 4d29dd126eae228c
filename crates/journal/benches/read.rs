//! Reading a journal from start to end: ingot's reader beside libsystemd's (journalctl, the peer,
//! in the same run on the same file). The file is written by Debian's `systemd-journal-remote` (ZSTD,
//! keyed hash, compact): 200,000 entries of 12 fields like journald's (host, unit, boot, pid, a
//! 100-byte message...). Printed: entries/s and CPU per 100,000 entries for both, and the ratio.
//!
//! `cargo bench -p ingot-journal --bench read` (`JOURNAL_BENCH_ENTRIES=n` for another size)

use std::process::Command;
use std::time::{Duration, Instant};

use ingot_journal::{Journal, JournalReader, Options, Paths, SeekTo};
use ingot_testkit::journal::{export_entry, export_format, journal_remote, journalctl_path};

fn main() {
    let n: u64 = std::env::var("JOURNAL_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("system.journal");
    let units = [
        "cron.service",
        "sshd.service",
        "nginx.service",
        "systemd-logind.service",
    ];
    let mut input = Vec::new();
    let start = 1_700_000_000_000_000u64;
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let entries: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let msg = format!(
                    "request {i} handled in {} ms for client 10.0.{}.{} path /api/v1/items/{}",
                    i % 977,
                    i % 256,
                    i % 199,
                    i * 7
                );
                let pid = (1000 + i % 50).to_string();
                let prio = (i % 8).to_string();
                export_entry(
                    start + i * 1000,
                    1_000_000 + i * 1000,
                    "0123456789abcdef0123456789abcdef",
                    &[
                        ("MESSAGE", msg.as_str()),
                        ("PRIORITY", prio.as_str()),
                        ("_SYSTEMD_UNIT", units[(i % 4) as usize]),
                        ("_PID", pid.as_str()),
                        ("_UID", "0"),
                        ("_GID", "0"),
                        ("_COMM", "app"),
                        ("_EXE", "/usr/bin/app"),
                        ("_HOSTNAME", "host-1"),
                        ("_TRANSPORT", "journal"),
                        ("SYSLOG_IDENTIFIER", "app"),
                        ("_MACHINE_ID", "3d1219c7c4c5404aaa1f6d2a48adfda4"),
                    ],
                )
            })
            .collect();
        input.extend(export_format(&entries));
    }
    let t = Instant::now();
    journal_remote(&file, &input, &[], &[]);
    // journal-remote rotates its file when the hash tables fill, as journald does: read the directory.
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    let size: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "journal: {n} entries in {files} files, {:.1} MiB, written by systemd-journal-remote in {:.1} s",
        size as f64 / (1 << 20) as f64,
        t.elapsed().as_secs_f64()
    );

    // Twice each, the second run counted (the file is in the page cache for both).
    let mut ours = (Duration::ZERO, Duration::ZERO);
    for _ in 0..2 {
        let cpu0 = ingot_testkit::cost::self_cpu_time();
        let t = Instant::now();
        let mut j = Journal::new(
            Paths::Directory(dir.path().to_path_buf()),
            Vec::new(),
            Options::default(),
        );
        j.seek(SeekTo::Head);
        let mut count = 0u64;
        let mut bytes = 0usize;
        while let Some(e) = j.next_entry() {
            count += 1;
            bytes += e.fields.len();
        }
        assert_eq!(count, n);
        assert!(bytes > 0);
        ours = (t.elapsed(), ingot_testkit::cost::self_cpu_time() - cpu0);
    }
    let mut theirs = (Duration::ZERO, Duration::ZERO);
    for _ in 0..2 {
        // The shell's children times (fields 16 and 17 of its stat) hold journalctl's CPU once it was
        // waited for.
        let script = format!(
            "{} --directory {} -o export > /dev/null; cat /proc/$$/stat",
            journalctl_path().display(),
            dir.path().display()
        );
        let t = Instant::now();
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        let wall = t.elapsed();
        let stat = String::from_utf8_lossy(&out.stdout);
        let rest = stat.rsplit(')').next().unwrap();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let tick = 100.0;
        let cpu = (f[13].parse::<f64>().unwrap() + f[14].parse::<f64>().unwrap()) / tick;
        theirs = (wall, Duration::from_secs_f64(cpu));
    }
    let per = |d: Duration| d.as_secs_f64() * 1e3 * 100_000.0 / n as f64;
    println!(
        "ingot-journal:      {:>10.0} entries/s, {:>6.1} ms CPU per 100,000 entries",
        n as f64 / ours.0.as_secs_f64(),
        per(ours.1)
    );
    println!(
        "journalctl -o export: {:>8.0} entries/s, {:>6.1} ms CPU per 100,000 entries (libsystemd, peer)",
        n as f64 / theirs.0.as_secs_f64(),
        per(theirs.1)
    );
    println!(
        "CPU ratio ingot / journalctl: {:.2}",
        ours.1.as_secs_f64() / theirs.1.as_secs_f64().max(1e-9)
    );

    // Idle: 50 archived files and the active one, looked at every 250 ms (what the component does when
    // nothing is written) for 10 s.
    let idle = tempfile::tempdir().unwrap();
    let small: Vec<_> = (0..20)
        .map(|i| {
            export_entry(
                start + i * 1000,
                1_000 + i,
                "0123456789abcdef0123456789abcdef",
                &[("MESSAGE", "x")],
            )
        })
        .collect();
    let one = idle.path().join("one.journal");
    journal_remote(&one, &export_format(&small), &[], &[]);
    for k in 0..50 {
        std::fs::copy(
            &one,
            idle.path().join(format!(
                "system@{k:032x}-0000000000000001-0000000000000001.journal"
            )),
        )
        .unwrap();
    }
    std::fs::rename(&one, idle.path().join("system.journal")).unwrap();
    let mut j = Journal::new(
        Paths::Directory(idle.path().to_path_buf()),
        Vec::new(),
        Options::default(),
    );
    j.seek(SeekTo::Tail);
    while j.next_entry().is_some() {}
    std::thread::sleep(Duration::from_millis(1100));
    let cpu0 = ingot_testkit::cost::self_cpu_time();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        j.refresh();
        assert!(j.next_entry().is_none());
        std::thread::sleep(Duration::from_millis(250));
    }
    let cpu = ingot_testkit::cost::self_cpu_time() - cpu0;
    println!(
        "idle, 51 files looked at every 250 ms: {:.3}% of a core",
        cpu.as_secs_f64() / t.elapsed().as_secs_f64() * 100.0
    );
}
