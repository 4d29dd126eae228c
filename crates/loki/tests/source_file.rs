//! `loki.source.file` in a controller with a recording sink: labels, positions kept across a restart in
//! Alloy's format (and an Alloy-written file resumed), back-pressure (a full receiver loses nothing and
//! holds the position back), partial lines, encodings, compressed files, damaged positions files.

mod support;

use std::io::Write;
use std::time::Duration;

use ingot_runtime::health::HealthState;
use support::*;

const WAIT: Duration = Duration::from_secs(15);

fn config(id: &str, targets: &str, extra: &str) -> String {
    config_polled(id, targets, extra, ("20ms", "50ms"))
}

/// A recording sink fed by a `loki.source.file` with the given `file_watch` periods (min, max).
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

fn append(path: &std::path::Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn lines(id: &str) -> Vec<String> {
    entries(id).into_iter().map(|e| e.line).collect()
}

fn positions_text(storage: &std::path::Path, id: &str) -> String {
    std::fs::read_to_string(storage.join(format!("loki.source.file.{id}/positions.yml")))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_positions_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    append(&log, "one\ntwo\r\nthree\n");
    let logs = log.to_str().unwrap();
    let id = "basic";
    let cfg = config(
        id,
        &format!(r#"[{{ __path__ = "{logs}", job = "app", __meta_x = "hidden" }}]"#),
        "",
    );
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    let sink = format!("test.logs.{id}");
    wait_for(WAIT, "three lines", || entry_count(&sink) == 3).await;
    let got = entries(&sink);
    assert_eq!(lines(&sink), ["one", "two", "three"]);
    assert_eq!(got[0].labels.get("job"), Some("app"));
    assert_eq!(got[0].labels.get("filename"), Some(logs));
    assert_eq!(got[0].labels.get("__meta_x"), None);
    assert_eq!(got[0].labels.len(), 2);
    wait_for(WAIT, "metrics", || {
        agent.metric("loki_source_file_read_bytes_total", Some(logs)) == Some(15.0)
    })
    .await;
    assert_eq!(
        agent.metric("loki_source_file_read_lines_total", Some(logs)),
        Some(3.0)
    );
    assert_eq!(
        agent.metric("loki_source_file_files_active_total", None),
        Some(1.0)
    );
    let info = agent.debug_info(&format!("loki.source.file.{id}"));
    let t = &info.get("targets_info").unwrap().as_array().unwrap()[0];
    assert_eq!(t.get("labels").unwrap().as_str(), Some(r#"{job="app"}"#));
    assert_eq!(t.get("is_running").unwrap().as_bool(), Some(true));
    agent.stop().await;

    // Saved on stop, in Alloy's layout.
    let text = positions_text(&storage, id);
    assert!(
        text.starts_with(&format!(
            "positions:\n  ? path: {logs}\n    labels: '{{job=\"app\"}}'\n  : \"15\"\n"
        )),
        "{text}"
    );

    // Written while stopped; read from where it stopped after the restart.
    append(&log, "four\n");
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    wait_for(WAIT, "the fourth line", || entry_count(&sink) == 4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(lines(&sink), ["one", "two", "three", "four"]);
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alloy_positions_file_is_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("syslog");
    append(&log, "old 1\nold 2\nnew 1\nnew 2\n");
    let logs = log.to_str().unwrap();
    let id = "fromalloy";
    // What Alloy's positions package (yaml.v2) writes, by hand: Alloy read the first two lines (12 bytes).
    let pdir = storage.join(format!("loki.source.file.{id}"));
    std::fs::create_dir_all(&pdir).unwrap();
    std::fs::write(
        pdir.join("positions.yml"),
        format!(
            "positions:\n  ? path: {logs}\n    labels: '{{instance=\"h1\", job=\"integrations/node_exporter\"}}'\n  : \"12\"\n"
        ),
    )
    .unwrap();
    let agent = Agent::start(&storage);
    agent.apply(&config(
        id,
        &format!(
            r#"[{{ __path__ = "{logs}", job = "integrations/node_exporter", instance = "h1" }}]"#
        ),
        "",
    ));
    let sink = format!("test.logs.{id}");
    wait_for(WAIT, "the new lines", || entry_count(&sink) == 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(lines(&sink), ["new 1", "new 2"]);
    agent.stop().await;
    // Still Alloy's layout for Alloy to read (ingot's signature section is a key Alloy ignores).
    let text = positions_text(&storage, id);
    assert!(text.starts_with(&format!("positions:\n  ? path: {logs}\n    labels: '{{instance=\"h1\", job=\"integrations/node_exporter\"}}'\n  : \"24\"\ningot_signatures:\n")), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_receiver_loses_nothing_and_holds_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    let id = "full";
    let sink = format!("test.logs.{id}");
    set_full(&sink, true);
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!("seq={i} x\n"));
    }
    append(&log, &text);
    let agent = Agent::start(&storage);
    agent.apply(&config(
        id,
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
    ));
    wait_for(WAIT, "refusals", || refused_batches(&sink) >= 5).await;
    assert_eq!(entry_count(&sink), 0);
    // Nothing taken: the position stays at the start.
    wait_for(WAIT, "positions saved", || {
        positions_text(&storage, id).contains(": \"0\"")
    })
    .await;
    let info = agent.debug_info(&format!("loki.source.file.{id}"));
    let t = &info.get("targets_info").unwrap().as_array().unwrap()[0];
    assert!(t
        .get("waiting_for_receiver")
        .and_then(|v| v.as_str())
        .is_some_and(|w| w.contains("test sink full")));
    set_full(&sink, false);
    wait_for(WAIT, "every line", || entry_count(&sink) == 5000).await;
    let (missing, dups) = missing_and_duplicates(&seqs(&entries(&sink)), 5000);
    assert!(missing.is_empty() && dups == 0, "{missing:?} {dups}");
    assert_eq!(seqs(&entries(&sink)), (0..5000).collect::<Vec<_>>());
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_without_newline_waits() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    append(&log, "whole\npart");
    let id = "partial";
    let sink = format!("test.logs.{id}");
    let agent = Agent::start(&storage);
    agent.apply(&config(
        id,
        &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
        "",
    ));
    wait_for(WAIT, "the whole line", || entry_count(&sink) == 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(lines(&sink), ["whole"]);
    append(&log, "ial\n");
    wait_for(WAIT, "the completed line", || entry_count(&sink) == 2).await;
    assert_eq!(lines(&sink), ["whole", "partial"]);
    // A line that never gets its newline is sent after the bounded wait.
    append(&log, "no newline");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(entry_count(&sink), 2);
    wait_for(
        ingot_loki::source::file::PARTIAL_LINE_WAIT + WAIT,
        "the unterminated line",
        || entry_count(&sink) == 3,
    )
    .await;
    assert_eq!(lines(&sink)[2], "no newline");
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encodings_and_byte_order_marks() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let le = dir.path().join("le.log");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(
        "h\u{e9}llo\r\nw\u{f6}rld\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    std::fs::write(&le, bytes).unwrap();
    let latin = dir.path().join("latin.log");
    std::fs::write(&latin, b"caf\xe9\n").unwrap();
    let agent = Agent::start(&storage);
    agent.apply(&format!(
        "{}{}",
        config(
            "utf16",
            &format!(r#"[{{ __path__ = "{}" }}]"#, le.display()),
            ""
        ),
        config(
            "latin",
            &format!(r#"[{{ __path__ = "{}" }}]"#, latin.display()),
            r#"encoding = "ISO-8859-1""#
        ),
    ));
    wait_for(WAIT, "utf-16 lines", || entry_count("test.logs.utf16") == 2).await;
    assert_eq!(lines("test.logs.utf16"), ["h\u{e9}llo", "w\u{f6}rld"]);
    wait_for(WAIT, "latin-1 line", || entry_count("test.logs.latin") == 1).await;
    assert_eq!(lines("test.logs.latin"), ["caf\u{e9}"]);
    agent.stop().await;
}

fn compress(format: &str, data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    match format {
        "gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "z" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        _ => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_files_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let mut cfg = String::new();
    for format in ["gz", "z", "bz2"] {
        let mut text = String::new();
        for i in 0..1000 {
            text.push_str(&format!("seq={i} {format}\n"));
        }
        text.push_str("last line without newline");
        std::fs::write(
            dir.path().join(format!("a.log.{format}")),
            compress(format, text.as_bytes()),
        )
        .unwrap();
        cfg.push_str(&config(
            &format!("c{format}"),
            &format!(
                r#"[{{ __path__ = "{}/*.{format}" }}]"#,
                dir.path().display()
            ),
            &format!(
                r#"file_match {{
    enabled     = true
    sync_period = "100ms"
  }}
  decompression {{
    enabled = true
    format  = "{format}"
  }}"#
            ),
        ));
    }
    // A gzip file cut short (still being written): read once it is whole.
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!("seq={i} late\n"));
    }
    let whole = compress("gz", text.as_bytes());
    std::fs::write(dir.path().join("b.log.gz"), &whole[..whole.len() / 2]).unwrap();
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    for format in ["gz", "z", "bz2"] {
        let sink = format!("test.logs.c{format}");
        wait_for(WAIT, "every line", || entry_count(&sink) >= 1001).await;
    }
    std::fs::write(dir.path().join("b.log.gz"), &whole).unwrap();
    wait_for(WAIT, "the completed file", || {
        entry_count("test.logs.cgz") >= 2001
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for format in ["gz", "z", "bz2"] {
        let got = entries(&format!("test.logs.c{format}"));
        let a: Vec<_> = got
            .iter()
            .filter(|e| e.labels.get("filename").unwrap().contains("a.log"))
            .cloned()
            .collect();
        let (missing, dups) = missing_and_duplicates(&seqs(&a), 1000);
        assert!(
            missing.is_empty() && dups == 0,
            "{format}: {missing:?} {dups}"
        );
        assert_eq!(a.last().unwrap().line, "last line without newline");
        assert_eq!(a.len(), 1001, "{format}");
    }
    let b: Vec<_> = entries("test.logs.cgz")
        .into_iter()
        .filter(|e| e.labels.get("filename").unwrap().contains("b.log"))
        .collect();
    let (missing, dups) = missing_and_duplicates(&seqs(&b), 1000);
    assert!(missing.is_empty() && dups == 0, "b: {missing:?} {dups}");
    agent.stop().await;
    // Restarted: nothing is read again.
    let before: Vec<usize> = ["gz", "z", "bz2"]
        .iter()
        .map(|f| entry_count(&format!("test.logs.c{f}")))
        .collect();
    let agent = Agent::start(&storage);
    agent.apply(&cfg);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after: Vec<usize> = ["gz", "z", "bz2"]
        .iter()
        .map(|f| entry_count(&format!("test.logs.c{f}")))
        .collect();
    assert_eq!(before, after);
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_positions_follow_on_positions_file_error() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let log = dir.path().join("app.log");
    append(&log, "a\nb\n");
    for (id, policy, want) in [
        ("dbeg", "restart_from_beginning", vec!["a", "b", "c"]),
        ("dend", "restart_from_end", vec!["c"]),
        ("dskip", "skip", vec![]),
    ] {
        let pdir = storage.join(format!("loki.source.file.{id}"));
        std::fs::create_dir_all(&pdir).unwrap();
        // A file cut short by a crash: NUL bytes.
        std::fs::write(
            pdir.join("positions.yml"),
            b"positions:\n  ? path: \0\0\0\0\0",
        )
        .unwrap();
        let agent = Agent::start(&storage);
        agent.apply(&config(
            id,
            &format!(r#"[{{ __path__ = "{}" }}]"#, log.display()),
            &format!(r#"on_positions_file_error = "{policy}""#),
        ));
        tokio::time::sleep(Duration::from_millis(300)).await;
        append(&log, "c\n");
        let sink = format!("test.logs.{id}");
        if !want.is_empty() {
            wait_for(WAIT, policy, || entry_count(&sink) == want.len()).await;
        } else {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(lines(&sink), want, "{policy}");
        // The damaged file is kept aside and replaced by a good one.
        assert!(pdir.join("positions.yml.damaged").exists());
        agent.stop().await;
        assert!(positions_text(&storage, id).starts_with("positions:"));
        std::fs::write(&log, "a\nb\n").unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_directory_is_unhealthy_and_a_missing_file_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let missing_dir = dir.path().join("nodir/app.log");
    let later = dir.path().join("later.log");
    let id = "missing";
    let agent = Agent::start(&storage);
    agent.apply(&config(
        id,
        &format!(
            r#"[{{ __path__ = "{}" }}, {{ __path__ = "{}" }}]"#,
            missing_dir.display(),
            later.display()
        ),
        "",
    ));
    let cid = format!("loki.source.file.{id}");
    wait_for(WAIT, "unhealthy", || {
        let h = agent.health(&cid);
        h.state == HealthState::Unhealthy
            && h.message.contains(&format!(
                "open {}: directory {}: no such file or directory",
                missing_dir.display(),
                dir.path().join("nodir").display()
            ))
    })
    .await;
    append(&later, "hello\n");
    wait_for(WAIT, "the file that appeared", || {
        entry_count(&format!("test.logs.{id}")) == 1
    })
    .await;
    std::fs::create_dir_all(missing_dir.parent().unwrap()).unwrap();
    append(&missing_dir, "there\n");
    wait_for(WAIT, "healthy again", || {
        agent.health(&cid).state == HealthState::Healthy
    })
    .await;
    wait_for(WAIT, "both", || {
        entry_count(&format!("test.logs.{id}")) == 2
    })
    .await;
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_checked_with_alloys_messages() {
    let dir = tempfile::tempdir().unwrap();
    let agent = Agent::start(&dir.path().join("data"));
    let base = r#"test.logs "a" {}
loki.source.file "a" {
  targets    = []
  forward_to = [test.logs.a.receiver]
"#;
    for (extra, want) in [
        (
            r#"on_positions_file_error = "later""#,
            "unknown OnPositionsFileError value: later",
        ),
        (
            r#"encoding = "klingon""#,
            r#"encoding "klingon": ianaindex: invalid encoding name"#,
        ),
        (
            "decompression {\n enabled = true\n format = \"zip\"\n}",
            r#"unsupported compression format: "zip" - please use one of "gz, z, bz2""#,
        ),
        (
            "decompression {\n enabled = true\n}",
            r#"missing required attribute "format""#,
        ),
        (
            "file_match {\n sync_period = \"0s\"\n}",
            "sync period must be greater than 0",
        ),
    ] {
        let err = agent.refused(&format!("{base}{extra}\n}}\n"));
        assert!(err.contains(want), "{extra}: {err}");
    }
    // Accepted with a warning in health: settings compressed files do not use.
    agent.apply(&format!(
        "{base}tail_from_end = true\ndecompression {{\n enabled = true\n format = \"gz\"\n}}\n}}\n"
    ));
    wait_for(WAIT, "the warning in health", || {
        agent
            .health("loki.source.file.a")
            .message
            .contains("tail_from_end has no effect with decompression")
    })
    .await;
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_positions_and_tail_from_end() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    append(&a, "log 1\nlog 2\nlog 3\n");
    append(&b, "old 1\nold 2\n");
    // Promtail's flat format: a.log was read up to its second line.
    let legacy = dir.path().join("legacy.yaml");
    std::fs::write(&legacy, format!("positions:\n  {}: \"12\"\n", a.display())).unwrap();
    let agent = Agent::start(&storage);
    agent.apply(&format!(
        "{}{}",
        config(
            "legacy",
            &format!(r#"[{{ __path__ = "{}", foo = "bar" }}]"#, a.display()),
            &format!(r#"legacy_positions_file = "{}""#, legacy.display()),
        ),
        config(
            "tail",
            &format!(r#"[{{ __path__ = "{}" }}]"#, b.display()),
            "tail_from_end = true",
        ),
    ));
    wait_for(WAIT, "the legacy file's unread line", || {
        entry_count("test.logs.legacy") == 1
    })
    .await;
    assert_eq!(lines("test.logs.legacy"), ["log 3"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    append(&b, "new 1\n");
    wait_for(WAIT, "the new line", || entry_count("test.logs.tail") == 1).await;
    assert_eq!(lines("test.logs.tail"), ["new 1"]);
    agent.stop().await;
}

/// With polls 30 s apart, only the kernel's change notices can bring these lines in within seconds:
/// an append to a file idle for a while, a file that appears, a file read through a symbolic link into
/// another directory, and a rename-and-create rotation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_noticed_without_waiting_for_the_poll() {
    const SOON: Duration = Duration::from_secs(3);
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    for d in ["plain", "links", "real", "later"] {
        std::fs::create_dir(dir.path().join(d)).unwrap();
    }
    let plain = dir.path().join("plain/app.log");
    let real = dir.path().join("real/target.log");
    let link = dir.path().join("links/app.log");
    let later = dir.path().join("later/app.log");
    append(&plain, "p1\n");
    append(&real, "s1\n");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let id = "notices";
    let targets = format!(
        r#"[{{ __path__ = "{}" }}, {{ __path__ = "{}" }}, {{ __path__ = "{}" }}]"#,
        plain.display(),
        link.display(),
        later.display()
    );
    let agent = Agent::start(&storage);
    agent.apply(&config_polled(id, &targets, "", ("30s", "30s")));
    let sink = format!("test.logs.{id}");
    wait_for(WAIT, "the first lines", || entry_count(&sink) == 2).await;
    // Idle for a while: the files' next polls are far away.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let arrived = |want: &'static str| {
        let sink = sink.clone();
        move || lines(&sink).iter().any(|l| l == want)
    };
    append(&plain, "p2\n");
    wait_for(SOON, "an append to an idle file", arrived("p2")).await;
    append(&real, "s2\n");
    wait_for(SOON, "an append through a symbolic link", arrived("s2")).await;
    append(&later, "l1\n");
    wait_for(SOON, "a file that appeared", arrived("l1")).await;
    std::fs::rename(&plain, dir.path().join("plain/app.log.1")).unwrap();
    append(&plain, "p3\n");
    wait_for(SOON, "the new file after a rotation", arrived("p3")).await;
    assert_eq!(entry_count(&sink), 6, "{:?}", lines(&sink));
    agent.stop().await;
}
