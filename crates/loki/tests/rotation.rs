//! Rotation with lines of known sequence numbers written at a steady rate while files are rotated by
//! Debian's `logrotate` (rename and create, copytruncate, compression) or by hand (truncation, deletion,
//! replacement with the same inode, a symbolic link retargeted), and 1,000 files matched by one glob.
//! Every number must arrive; duplicates are counted and must stay within the bound each test states.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use support::*;

const WAIT: Duration = Duration::from_secs(30);
const RATE: u64 = 2000;

fn config(id: &str, targets: &str, extra: &str) -> String {
    config_polled(id, targets, extra, ("50ms", "100ms"))
}

/// [`config`] with the file looks `(min_poll_frequency, max_poll_frequency)` apart.
fn config_polled(id: &str, targets: &str, extra: &str, (min, max): (&str, &str)) -> String {
    format!(
        r#"
test.logs "{id}" {{}}

loki.source.file "{id}" {{
  targets    = {targets}
  forward_to = [test.logs.{id}.receiver]
  file_watch {{
    min_poll_frequency = "{min}"
    max_poll_frequency = "{max}"
  }}
  {extra}
}}
"#
    )
}

/// `seq=<n> <what>` lines for `from..to`.
fn numbered(from: u64, to: u64, what: &str) -> String {
    (from..to).map(|i| format!("seq={i} {what}\n")).collect()
}

const FILE_MATCH: &str = r#"file_match {
    enabled     = true
    sync_period = "200ms"
  }"#;

/// Waits for `n` numbered lines in sink `id` (any number inside one of `lossy` may be missing: lines
/// logrotate's copytruncate loses by its own design), then checks that every other number came and
/// returns the count of duplicates.
async fn settle_lossy(id: &str, n: u64, lossy: &[(u64, u64)]) -> u64 {
    let sink = format!("test.logs.{id}");
    let allowed = |s: &u64| lossy.iter().any(|(a, b)| *a <= *s && *s <= *b);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let (missing, dups) = missing_and_duplicates(&seqs(&entries(&sink)), n);
        let missing: Vec<u64> = missing.into_iter().filter(|s| !allowed(s)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id}: {} of {n} lines missing ({dups} duplicates), first {:?}",
            missing.len(),
            &missing[..missing.len().min(20)]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Whatever else arrives late (duplicates) arrives within a few polls.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (missing, dups) = missing_and_duplicates(&seqs(&entries(&sink)), n);
    let lost = missing.len();
    assert!(missing.iter().all(allowed), "{id}: missing {missing:?}");
    if lost > 0 {
        eprintln!(
            "{id}: {lost} lines lost inside logrotate's copy-then-truncate windows {lossy:?}"
        );
    }
    dups
}

async fn settle(id: &str, n: u64) -> u64 {
    settle_lossy(id, n, &[]).await
}

async fn rotate_while_writing(
    id: &str,
    dir: &Path,
    targets: &str,
    extra: &str,
    rotations: usize,
    lossy: bool,
    rotate: impl Fn(&Path),
) -> u64 {
    let storage = dir.join("data");
    let log = dir.join("app.log");
    let writer = Writer::start(&log, RATE);
    let agent = Agent::start(&storage);
    agent.apply(&config(id, targets, extra));
    let mut windows = Vec::new();
    for _ in 0..rotations {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let before = writer.written();
        rotate(dir);
        let after = writer.written();
        if lossy {
            windows.push((before.saturating_sub(2), after + 2));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let n = writer.stop();
    assert!(n > 1000, "the writer wrote {n} lines");
    let dups = settle_lossy(id, n, &windows).await;
    let health = agent.health(&format!("loki.source.file.{id}"));
    assert_eq!(
        health.state,
        ingot_runtime::health::HealthState::Healthy,
        "{}",
        health.message
    );
    agent.stop().await;
    dups
}

fn logrotate_conf(dir: &Path, pattern: &str, options: &str) -> String {
    format!(
        "{}/{pattern} {{\n  rotate 20\n  missingok\n{options}\n}}\n",
        dir.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_and_create_with_logrotate() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let dups = rotate_while_writing(
        "rename",
        dir.path(),
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
        4,
        false,
        |d| logrotate(d, &logrotate_conf(d, "app.log", "  create\n  nocompress")),
    )
    .await;
    assert_eq!(dups, 0);
    assert!(dir.path().join("app.log.4").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copytruncate_with_logrotate_and_the_copies_matched() {
    let dir = tempfile::tempdir().unwrap();
    // The copies are matched too, so that what was written between the last read and the truncation
    // is read from the copy (from where the original was read), not lost.
    let dups = rotate_while_writing(
        "copytrunc",
        dir.path(),
        &format!(r#"[{{ __path__ = "{}/app.log*" }}]"#, dir.path().display()),
        FILE_MATCH,
        4,
        true,
        |d| {
            logrotate(
                d,
                &logrotate_conf(d, "app.log", "  copytruncate\n  nocompress"),
            )
        },
    )
    .await;
    // Lines written in the instant between logrotate's copy and its truncation can be read from both
    // (documented); at 2,000 lines/s that is a few lines per rotation.
    eprintln!("copytruncate: {dups} duplicates");
    assert!(dups <= 4 * 20, "{dups} duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_rotated_files_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let dups = rotate_while_writing(
        "gzrot",
        dir.path(),
        &format!(r#"[{{ __path__ = "{}/app.log*" }}]"#, dir.path().display()),
        FILE_MATCH,
        4,
        false,
        |d| {
            logrotate(
                d,
                &logrotate_conf(d, "app.log", "  create\n  compress\n  delaycompress"),
            )
        },
    )
    .await;
    assert_eq!(dups, 0);
    assert!(dir.path().join("app.log.2.gz").exists());
}

/// `compress` without `delaycompress`: logrotate renames, creates, then compresses the renamed file and
/// removes it at once, while the writer may still append a line to it; the reader keeps it open and
/// reads it to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_at_once_with_logrotate() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let dups = rotate_while_writing(
        "gznow",
        dir.path(),
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
        12,
        false,
        |d| logrotate(d, &logrotate_conf(d, "app.log", "  create\n  compress")),
    )
    .await;
    assert_eq!(dups, 0);
    assert!(dir.path().join("app.log.2.gz").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_and_recreate() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let l = log.clone();
    let dups = rotate_while_writing(
        "recreate",
        dir.path(),
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
        4,
        false,
        // Deleted, then created again (by whoever owns the log), as the writer never creates it itself.
        move |_| {
            std::fs::remove_file(&l).unwrap();
            std::fs::File::create(&l).unwrap();
        },
    )
    .await;
    assert_eq!(dups, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retargeted_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("app.log");
    std::fs::write(dir.path().join("real-0.log"), "").unwrap();
    std::os::unix::fs::symlink("real-0.log", &link).unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let dups = rotate_while_writing(
        "symlink",
        dir.path(),
        &format!(r#"[{{ __path__ = "{}" }}]"#, link.display()),
        "",
        4,
        false,
        |d| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let target = format!("real-{n}.log");
            std::fs::write(d.join(&target), "").unwrap();
            let tmp = d.join("app.log.tmp");
            std::os::unix::fs::symlink(&target, &tmp).unwrap();
            std::fs::rename(&tmp, d.join("app.log")).unwrap();
        },
    )
    .await;
    assert_eq!(dups, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncation_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    let id = "truncate";
    let sink = format!("test.logs.{id}");
    let agent = Agent::start(&storage);
    agent.apply(&config(
        id,
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
    ));
    let writer = Writer::start(&log, RATE);
    for round in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Truncation loses what was not read before it: let the reader catch up first.
        writer.pause(true);
        let n = writer.written();
        wait_for(WAIT, "caught up", || {
            missing_and_duplicates(&seqs(&entries(&sink)), n)
                .0
                .is_empty()
        })
        .await;
        let ino = std::fs::metadata(&log).unwrap().ino();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&log)
            .unwrap()
            .set_len(0)
            .unwrap();
        if round == 1 {
            // Truncated and written past the old size before the next look: the signature of the
            // first bytes tells it is new content.
            writer.pause(false);
            std::thread::sleep(Duration::from_millis(5));
        } else {
            writer.pause(false);
        }
        assert_eq!(std::fs::metadata(&log).unwrap().ino(), ino);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let n = writer.stop();
    assert_eq!(settle(id, n).await, 0);
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_replaced_with_the_same_inode_while_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    let id = "sameino";
    let sink = format!("test.logs.{id}");
    let mut text = String::new();
    for i in 0..100 {
        text.push_str(&format!("seq={i} first file\n"));
    }
    std::fs::write(&log, &text).unwrap();
    let cfg = config(
        id,
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
    );
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    wait_for(WAIT, "the first file", || entry_count(&sink) == 100).await;
    agent.stop().await;
    // Another file in the same inode, longer than the position: Alloy would resume at the old offset.
    let ino = std::fs::metadata(&log).unwrap().ino();
    let mut text = String::new();
    for i in 100..400 {
        text.push_str(&format!("seq={i} second file\n"));
    }
    let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    f.set_len(0).unwrap();
    std::io::Write::write_all(&mut &f, text.as_bytes()).unwrap();
    drop(f);
    assert_eq!(std::fs::metadata(&log).unwrap().ino(), ino);
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    assert_eq!(settle(id, 400).await, 0);
    agent.stop().await;
}

/// Rotated while ingot was stopped, with lines written after the last save: the rotated file (renamed by
/// `create`, or the copy `copytruncate` made) is found beside the path by inode and signature and finished
/// from the saved position before the new file is read (Alloy reads only the new file and loses those
/// lines). Nothing is written during the rotation, so copytruncate loses nothing either. `before` lines
/// are read before the stop: 2,000 give the file a whole signature, 5 only a partial one (its first
/// 300 bytes or so).
async fn rotated_while_stopped(id: &str, options: &str, before: u64) {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    let sink = format!("test.logs.{id}");
    let lines = numbered;
    std::fs::write(&log, lines(0, before, "before the stop")).unwrap();
    let whole = std::fs::metadata(&log).unwrap().len() >= 1024;
    assert_eq!(whole, before >= 2000, "{before} lines");
    let cfg = config(
        id,
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
    );
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    wait_for(WAIT, "the first lines", || {
        entry_count(&sink) == before as usize
    })
    .await;
    agent.stop().await;
    // While stopped: the application writes on, then logrotate rotates and the application goes on.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, lines(before, 2500, "after the stop").as_bytes()).unwrap();
    drop(f);
    logrotate(
        dir.path(),
        &format!(
            "{} {{\n  rotate 5\n{options}\n  nocompress\n}}\n",
            log.display()
        ),
    );
    assert!(dir.path().join("app.log.1").exists());
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, lines(2500, 3000, "in the new file").as_bytes()).unwrap();
    drop(f);
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    assert_eq!(settle(id, 3000).await, 0);
    let order = seqs(&entries(&sink));
    let first_new = order.iter().position(|&s| s >= 2500).unwrap();
    assert!(
        order[first_new..].iter().all(|&s| s >= 2500),
        "the rotated file's lines come before the new file's"
    );
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_renamed_while_stopped_is_finished_first() {
    rotated_while_stopped("renamedstopped", "  create", 2000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_copied_and_truncated_while_stopped_is_finished_from_the_copy() {
    rotated_while_stopped("copiedstopped", "  copytruncate", 2000).await;
}

/// The positions name a file by a partial signature when it was small at the last save: a quiet log, or
/// one just truncated by copytruncate when the agent crashed (what the soak test caught: a SIGKILL a
/// second after a copytruncate, another copytruncate while down, and the copy's lines were lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_copied_and_truncated_while_stopped_is_finished_from_the_copy() {
    rotated_while_stopped("smallcopiedstopped", "  copytruncate", 5).await;
}

/// copytruncate of a small file (under 1,024 bytes: known by a partial signature) between two looks of
/// the reader: the lines written after its last read are only in the copy, found by that signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_copied_and_truncated_between_two_looks_is_finished_from_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    let id = "smallcopied";
    let sink = format!("test.logs.{id}");
    let lines = |from, to| numbered(from, to, "a quiet log");
    std::fs::write(&log, lines(0, 3)).unwrap();
    // One look a second, so that the rotation below happens well between two of them.
    let cfg = config_polled(
        id,
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
        ("1s", "1s"),
    );
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    wait_for(WAIT, "the first lines", || entry_count(&sink) == 3).await;
    // Right after a look: three more lines, logrotate copies and truncates, one line in the new file
    // (shorter than what was read, so the next look sees the truncation).
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, lines(3, 6).as_bytes()).unwrap();
    drop(f);
    logrotate(
        dir.path(),
        &format!(
            "{} {{\n  rotate 5\n  copytruncate\n  nocompress\n}}\n",
            log.display()
        ),
    );
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, lines(6, 7).as_bytes()).unwrap();
    drop(f);
    assert_eq!(settle(id, 7).await, 0);
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_files_by_one_glob() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for f in 0..1000 {
        let mut text = String::new();
        for l in 0..10 {
            text.push_str(&format!("seq={} file {f}\n", f * 100 + l));
        }
        std::fs::write(logs.join(format!("f{f:04}.log")), text).unwrap();
    }
    let id = "thousand";
    let sink = format!("test.logs.{id}");
    let agent = Agent::start(&storage);
    agent.apply(&config(
        id,
        &format!(r#"[{{ __path__ = "{}/*.log" }}]"#, logs.display()),
        FILE_MATCH,
    ));
    wait_for(WAIT, "10,000 lines", || entry_count(&sink) == 10_000).await;
    for f in 0..1000 {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(logs.join(format!("f{f:04}.log")))
            .unwrap();
        writeln!(file, "seq={} file {f}", f * 100 + 10).unwrap();
    }
    wait_for(WAIT, "11,000 lines", || entry_count(&sink) == 11_000).await;
    let got = seqs(&entries(&sink));
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 11_000);
    assert_eq!(
        agent.metric("loki_source_file_files_active_total", None),
        Some(1000.0)
    );
    agent.stop().await;
    let positions =
        std::fs::read_to_string(storage.join(format!("loki.source.file.{id}/positions.yml")))
            .unwrap();
    assert_eq!(positions.matches("? path:").count(), 2000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_from_local_file_match_through_deletion_and_re_creation() {
    // The file is gone for longer than local.file_match's sync period, so its target leaves and comes
    // back: the old file is still read to its end, the new one from its start.
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    let id = "viafm";
    let writer = Writer::start(&log, RATE);
    let agent = Agent::start(&storage);
    agent.apply(&format!(
        r#"
local.file_match "logs" {{
  path_targets = [{{ __path__ = "{}/*.log", job = "app" }}]
  sync_period  = "100ms"
}}
{}"#,
        dir.path().display(),
        config(id, "local.file_match.logs.targets", "")
    ));
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        writer.pause(true);
        std::thread::sleep(Duration::from_millis(5));
        std::fs::rename(&log, dir.path().join("app.old")).unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        // Created again (the writer never creates it itself), then written to.
        std::fs::File::create(&log).unwrap();
        writer.pause(false);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let n = writer.stop();
    assert_eq!(settle(id, n).await, 0);
    let got = entries(&format!("test.logs.{id}"));
    assert!(got.iter().all(|e| e.labels.get("job") == Some("app")));
    agent.stop().await;
}
