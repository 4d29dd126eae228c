//! `loki.source.journal` in a controller with a recording sink, on journal files Debian's
//! `systemd-journal-remote` writes (journalctl is the reference for what they hold): lines, labels and
//! `__journal_*` relabelling as Alloy makes them, `max_age`, `matches`, `format_as_json`, the cursor kept
//! in Alloy's positions file across restarts (and an Alloy-written one resumed, a legacy one converted),
//! back-pressure that loses nothing, and health naming a missing directory.

mod support;

use std::path::Path;
use std::time::Duration;

use ingot_runtime::health::HealthState;
use ingot_testkit::journal::{
    export_entry, get, journal_remote, journalctl_export, now_us, Fields, LiveWriter,
};
use support::*;

const WAIT: Duration = Duration::from_secs(20);
const BOOT: &str = "0123456789abcdef0123456789abcdef";
const HOUR_US: u64 = 3_600_000_000;

/// Entries `from..to`, a second apart ending `end_ago` before now, with a unit and a priority each.
fn numbered(from: u64, to: u64, start_us: u64) -> Vec<Fields> {
    let units = ["a.service", "b.service", "sshd.service"];
    (from..to)
        .map(|i| {
            let msg = format!("seq={i} message");
            let prio = (i % 8).to_string();
            export_entry(
                start_us + i * 1_000_000,
                1_000_000 + i * 1_000_000,
                BOOT,
                &[
                    ("MESSAGE", msg.as_str()),
                    ("PRIORITY", prio.as_str()),
                    ("_SYSTEMD_UNIT", units[(i % 3) as usize]),
                    ("_TRANSPORT", "journal"),
                    ("SYSLOG_IDENTIFIER", "app"),
                ],
            )
        })
        .collect()
}

fn write_journal(file: &Path, entries: &[Fields]) {
    journal_remote(
        file,
        &ingot_testkit::journal::export_format(entries),
        &[],
        &[],
    );
}

fn config(id: &str, dir: &Path, extra: &str) -> String {
    format!(
        r#"
test.logs "{id}" {{}}

loki.relabel "{id}" {{
  forward_to = []
  rule {{
    source_labels = ["__journal__systemd_unit"]
    target_label  = "unit"
  }}
  rule {{
    source_labels = ["__journal_priority_keyword"]
    target_label  = "level"
  }}
}}

loki.source.journal "{id}" {{
  path          = "{}"
  forward_to    = [test.logs.{id}.receiver]
  relabel_rules = loki.relabel.{id}.rules
  labels        = {{ component = "loki.source.journal" }}
  {extra}
}}
"#,
        dir.display()
    )
}

fn positions(storage: &Path, id: &str) -> String {
    std::fs::read_to_string(storage.join(format!("loki.source.journal.{id}/positions.yml")))
        .unwrap_or_default()
}

fn cursor_of(e: &Fields) -> String {
    String::from_utf8(get(e, "__CURSOR").unwrap().to_vec()).unwrap()
}

fn text(e: &Fields, k: &str) -> String {
    String::from_utf8_lossy(get(e, k).unwrap()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_labels_max_age_and_the_cursor_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let jdir = dir.path().join("journal");
    std::fs::create_dir(&jdir).unwrap();
    let file = jdir.join("system.journal");
    let now = now_us();
    // Ten entries from eight hours ago (older than max_age's 7h), then forty from the last hour.
    let mut all = numbered(0, 10, now - 8 * HOUR_US);
    all.extend(numbered(10, 50, now - HOUR_US));
    write_journal(&file, &all);
    let theirs = journalctl_export(&["--file", file.to_str().unwrap()]);
    let id = "read";
    let sink = format!("test.logs.{id}");
    let agent = Agent::start(&storage);
    agent.apply(&config(id, &jdir, ""));
    wait_for(WAIT, "forty entries", || entry_count(&sink) == 40).await;
    let got = entries(&sink);
    for (e, t) in got.iter().zip(&theirs[10..]) {
        assert_eq!(e.line, text(t, "MESSAGE"));
        let rt: i64 = text(t, "__REALTIME_TIMESTAMP").parse().unwrap();
        assert_eq!(e.timestamp_ns, rt * 1000);
        let prio: usize = text(t, "PRIORITY").parse().unwrap();
        let level = [
            "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
        ][prio];
        assert_eq!(
            e.labels.to_string(),
            format!(
                r#"{{component="loki.source.journal", job="loki.source.journal.{id}", level="{level}", unit="{}"}}"#,
                text(t, "_SYSTEMD_UNIT")
            )
        );
    }
    assert_eq!(
        agent.metric("loki_source_journal_target_lines_total", None),
        Some(40.0)
    );
    assert_eq!(
        agent.health(&format!("loki.source.journal.{id}")).message,
        "journal tailer is running"
    );
    agent.stop().await;

    // The cursor of the last entry, in Alloy's layout (labels "" as Alloy's journal target writes
    // them), marked as delivered for ingot.
    let last = cursor_of(&theirs[49]);
    assert_eq!(
        positions(&storage, id),
        format!(
            "positions:\n  ? path: cursor-loki.source.journal.{id}\n    labels: \"\"\n  : {last}\ningot_after_cursor:\n  ? path: cursor-loki.source.journal.{id}\n    labels: \"\"\n  : \"true\"\n"
        )
    );

    // Written while stopped (the writer appends to the same file): only those arrive after a restart.
    write_journal(&file, &numbered(50, 60, now - HOUR_US));
    let agent = Agent::start(&storage);
    agent.apply(&config(id, &jdir, ""));
    wait_for(WAIT, "the new entries", || entry_count(&sink) == 50).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(seqs(&entries(&sink)), (10..60).collect::<Vec<_>>());
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_alloy_wrote_resume_at_their_entry_and_legacy_ones_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    let jdir = dir.path().join("journal");
    std::fs::create_dir(&jdir).unwrap();
    let file = jdir.join("system.journal");
    write_journal(&file, &numbered(0, 30, now_us() - HOUR_US));
    let theirs = journalctl_export(&["--file", file.to_str().unwrap()]);

    // What Alloy's positions package writes for its journal target: it saves the cursor before it
    // hands the entry on, and starts again at that entry; so does ingot with a file Alloy wrote.
    let storage = dir.path().join("data");
    let id = "fromalloy";
    let pos = storage.join(format!("loki.source.journal.{id}"));
    std::fs::create_dir_all(&pos).unwrap();
    std::fs::write(
        pos.join("positions.yml"),
        format!(
            "positions:\n  ? path: cursor-loki.source.journal.{id}\n    labels: \"\"\n  : {}\n",
            cursor_of(&theirs[19])
        ),
    )
    .unwrap();
    let agent = Agent::start(&storage);
    agent.apply(&config(id, &jdir, ""));
    let sink = format!("test.logs.{id}");
    wait_for(WAIT, "entries 19 to 29", || entry_count(&sink) == 11).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(seqs(&entries(&sink)), (19..30).collect::<Vec<_>>());
    agent.stop().await;

    // Promtail's (or the static agent's) positions file, converted by `legacy_position`.
    let id = "legacy";
    let legacy = dir.path().join("promtail-positions.yaml");
    std::fs::write(
        &legacy,
        format!(
            "positions:\n  /var/log/other.log: \"10\"\n  cursor-journal_job: {}\n",
            cursor_of(&theirs[24])
        ),
    )
    .unwrap();
    let agent = Agent::start(&storage);
    agent.apply(&config(
        id,
        &jdir,
        &format!(
            "legacy_position {{\n    file = \"{}\"\n    name = \"journal_job\"\n  }}",
            legacy.display()
        ),
    ));
    let sink = format!("test.logs.{id}");
    wait_for(WAIT, "entries 24 to 29", || entry_count(&sink) == 6).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(seqs(&entries(&sink)), (24..30).collect::<Vec<_>>());
    agent.stop().await;
    let text = positions(&storage, id);
    assert!(
        text.starts_with(&format!(
            "positions:\n  ? path: cursor-loki.source.journal.{id}\n    labels: \"\"\n  : {}\n",
            cursor_of(&theirs[29])
        )),
        "{text}"
    );
    assert!(
        !text.contains("'{}'"),
        "the converted entry is replaced: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_receiver_holds_reading_back_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let jdir = dir.path().join("journal");
    std::fs::create_dir(&jdir).unwrap();
    let file = jdir.join("system.journal");
    let id = "full";
    let sink = format!("test.logs.{id}");
    set_full(&sink, true);
    let start = now_us() - HOUR_US;
    let mut w = LiveWriter::start(&file);
    w.send(&numbered(0, 1, start));
    wait_for(WAIT, "the journal file", || file.exists()).await;
    let agent = Agent::start(&storage);
    agent.apply(&config(id, &jdir, ""));
    // The writer keeps writing while the receiver is full.
    for k in 0..30 {
        w.send(&numbered(1 + k * 100, 1 + (k + 1) * 100, start));
    }
    wait_for(WAIT, "offers refused", || refused_batches(&sink) >= 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(entry_count(&sink), 0);
    let info = agent.debug_info(&format!("loki.source.journal.{id}"));
    assert!(
        info.get("waiting_for_receiver")
            .and_then(|v| v.as_str().map(str::to_owned))
            .is_some_and(|w| w.contains("test sink full")),
        "{info:?}"
    );
    // Nothing was stored: no cursor is saved.
    tokio::time::sleep(ingot_loki::source::journal::SAVE_INTERVAL).await;
    assert!(!positions(&storage, id).contains("cursor-"));
    set_full(&sink, false);
    wait_for(WAIT, "every entry", || entry_count(&sink) == 3001).await;
    w.send(&numbered(3001, 3101, start));
    wait_for(WAIT, "the later entries", || entry_count(&sink) == 3101).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seqs(&entries(&sink)), (0..3101).collect::<Vec<_>>());
    agent.stop().await;
    w.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matches_and_format_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let jdir = dir.path().join("journal");
    std::fs::create_dir(&jdir).unwrap();
    let file = jdir.join("system.journal");
    let mut all = numbered(0, 60, now_us() - HOUR_US);
    // Fields JSON must escape as Go does, and a binary one.
    all[3].push(("NOTE".into(), b"<b> & \"q\"\n\x08".to_vec()));
    all[3].push(("BIN".into(), b"\x00\xff\xfe".to_vec()));
    write_journal(&file, &all);
    let matches = "_SYSTEMD_UNIT=a.service _SYSTEMD_UNIT=sshd.service PRIORITY=3";
    let mut args = vec!["--file", file.to_str().unwrap()];
    args.extend(matches.split(' '));
    let theirs = journalctl_export(&args);
    assert!(theirs.len() > 5, "{}", theirs.len());
    let id = "json";
    let agent = Agent::start(&storage);
    agent.apply(&config(
        id,
        &jdir,
        &format!("matches = \"{matches}\"\n  format_as_json = true"),
    ));
    let sink = format!("test.logs.{id}");
    wait_for(WAIT, "the matching entries", || {
        entry_count(&sink) == theirs.len()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = entries(&sink);
    assert_eq!(got.len(), theirs.len());
    for (e, t) in got.iter().zip(&theirs) {
        let mut want = String::from("{");
        let mut fields: Vec<(&String, &Vec<u8>)> = t
            .iter()
            .filter(|(k, _)| !k.starts_with("__"))
            .map(|(k, v)| (k, v))
            .collect();
        fields.sort();
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                want.push(',');
            }
            ingot_gocompat::jsoniter::write_string(&mut want, k.as_bytes());
            want.push(':');
            ingot_gocompat::jsoniter::write_string(&mut want, v);
        }
        want.push('}');
        assert_eq!(e.line, want);
        assert_eq!(e.labels.get("level"), Some("error"));
    }
    // The entry with escapes, written by hand: it matches (unit a.service, priority 3).
    let three = got
        .iter()
        .find(|e| e.line.contains("seq=3 "))
        .expect("entry 3");
    assert!(
        three.line.contains(r#""BIN":"\u0000\ufffd\ufffd""#)
            && three
                .line
                .contains(r#""NOTE":"\u003cb\u003e \u0026 \"q\"\n\u0008""#),
        "{}",
        three.line
    );
    agent.stop().await;
    // A bad `matches` is refused, naming the attribute.
    let agent = Agent::start(&storage);
    let err = agent.refused(&config(
        "bad",
        &jdir,
        "matches = \"_SYSTEMD_UNIT nginx.service\"",
    ));
    assert!(
        err.contains("Error parsing journal reader 'matches' config value"),
        "{err}"
    );
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_directory_is_unhealthy_until_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("data");
    let jdir = dir.path().join("not-yet");
    let id = "missing";
    let cid = format!("loki.source.journal.{id}");
    let agent = Agent::start(&storage);
    agent.apply(&config(id, &jdir, ""));
    wait_for(WAIT, "unhealthy", || {
        let h = agent.health(&cid);
        h.state == HealthState::Unhealthy
            && h.message == format!("open {}: no such file or directory", jdir.display())
    })
    .await;
    std::fs::create_dir(&jdir).unwrap();
    write_journal(
        &jdir.join("system.journal"),
        &numbered(0, 5, now_us() - HOUR_US),
    );
    let sink = format!("test.logs.{id}");
    wait_for(WAIT, "the entries", || entry_count(&sink) == 5).await;
    wait_for(WAIT, "healthy", || {
        agent.health(&cid).state == HealthState::Healthy
    })
    .await;
    agent.stop().await;
}
