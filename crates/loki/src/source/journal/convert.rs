//! A journal entry as Alloy's journal target makes it a log entry (`tailer.go`'s `formatter`): the line
//! is `MESSAGE` (or every field as JSON, written as json-iterator writes a Go `map[string]string`),
//! the timestamp the entry's wall clock, the labels the component's (`job` and `labels`) plus
//! `__journal_<field in lowercase>` for every field and `__journal_priority_keyword` for `PRIORITY`,
//! relabelled, then without the `__` ones. A field that repeats keeps its last value, as a Go map
//! filled in the entry's order does.
//!
//! Field values may hold any bytes; lines and label values are text in ingot, so bytes that are not
//! UTF-8 become U+FFFD there (JSON escapes them as `\ufffd`, as jsoniter does).

use std::borrow::Cow;
use std::collections::BTreeMap;

use ingot_journal::Entry as JournalEntry;
use ingot_logs::Entry;
use ingot_prom::labels::{Labels, LabelsBuilder};
use ingot_prom::relabel::{process_with, NameScheme, Rule, Scratch};

/// Why an entry was not sent (Alloy's `error` label values of
/// `loki_source_journal_target_parsing_errors_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    NoMessage,
    EmptyLabels,
}

/// Alloy's `makeJournalPriority`: syslog levels 0 to 7 by name; anything else as it is.
pub fn priority_keyword(p: &str) -> &str {
    match p {
        "0" => "emerg",
        "1" => "alert",
        "2" => "crit",
        "3" => "error",
        "4" => "warning",
        "5" => "notice",
        "6" => "info",
        "7" => "debug",
        other => other,
    }
}

/// What converting needs, built once per argument change.
pub struct Converter {
    /// `job` and the configured labels.
    base: Vec<(String, String)>,
    rules: std::sync::Arc<Vec<Rule>>,
    json: bool,
    scratch: Scratch,
    lb: LabelsBuilder,
    name: String,
}

impl Converter {
    pub fn new(
        job: &str,
        labels: &BTreeMap<String, String>,
        rules: std::sync::Arc<Vec<Rule>>,
        json: bool,
    ) -> Converter {
        let mut base = vec![("job".to_string(), job.to_string())];
        for (k, v) in labels {
            match base.iter_mut().find(|(n, _)| n == k) {
                Some(b) => b.1 = v.clone(),
                None => base.push((k.clone(), v.clone())),
            }
        }
        Converter {
            base,
            rules,
            json,
            scratch: Scratch::default(),
            lb: LabelsBuilder::new(),
            name: String::new(),
        }
    }

    pub fn convert(&mut self, e: &JournalEntry, created_us: i64) -> Result<Entry, Dropped> {
        // The fields as a Go map filled in the entry's order: the last value of a name wins.
        let mut fields: BTreeMap<&str, &[u8]> = BTreeMap::new();
        for f in &e.fields {
            fields.insert(f.name.as_str(), f.value.as_slice());
        }
        let line = if self.json {
            let mut out = String::new();
            ingot_gocompat::jsoniter::write_map(
                &mut out,
                fields.iter().map(|(k, v)| (k.as_bytes(), *v)),
            );
            out
        } else {
            match fields.get("MESSAGE") {
                Some(m) => String::from_utf8_lossy(m).into_owned(),
                None => return Err(Dropped::NoMessage),
            }
        };
        let lb = &mut self.lb;
        lb.clear();
        for (k, v) in &self.base {
            lb.set(k, v);
        }
        for (k, v) in &fields {
            let value: Cow<str> = String::from_utf8_lossy(v);
            if *k == "PRIORITY" {
                lb.set("__journal_priority_keyword", priority_keyword(&value));
            }
            self.name.clear();
            self.name.push_str("__journal_");
            self.name.push_str(&k.to_ascii_lowercase());
            lb.set(&self.name, &value);
        }
        if !process_with(&self.rules, lb, &mut self.scratch, NameScheme::Legacy) {
            return Err(Dropped::EmptyLabels);
        }
        lb.retain(|n, v| !n.starts_with("__") && !v.is_empty());
        let labels: Labels = lb.labels();
        if labels.is_empty() {
            return Err(Dropped::EmptyLabels);
        }
        Ok(Entry {
            labels,
            timestamp_ns: (e.position.realtime as i64).saturating_mul(1000),
            line,
            structured_metadata: Vec::new(),
            created_us,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_journal::{Field, Id128, Position};
    use std::sync::Arc;

    fn entry(fields: &[(&str, &[u8])]) -> JournalEntry {
        JournalEntry {
            position: Position {
                seqnum_id: Id128([1; 16]),
                seqnum: 7,
                boot_id: Id128([2; 16]),
                monotonic: 5,
                realtime: 1_700_000_000_123_456,
                xor_hash: 9,
            },
            fields: fields
                .iter()
                .map(|(k, v)| {
                    Arc::new(Field {
                        name: k.to_string(),
                        value: v.to_vec(),
                    })
                })
                .collect(),
        }
    }

    fn rule(src: &str, target: &str) -> Rule {
        Rule::new(ingot_prom::relabel::RuleConfig {
            source_labels: Some(vec![src.into()]),
            target_label: target.into(),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn message_labels_and_priority_keyword_as_alloy() {
        let rules = Arc::new(vec![
            rule("__journal__systemd_unit", "unit"),
            rule("__journal_priority_keyword", "level"),
            rule("__journal_priority", "priority"),
        ]);
        let labels = BTreeMap::from([("component".to_string(), "j".to_string())]);
        let mut c = Converter::new("loki.source.journal.read", &labels, rules, false);
        let e = entry(&[
            ("MESSAGE", b"first"),
            ("_SYSTEMD_UNIT", b"a.service"),
            ("PRIORITY", b"3"),
            ("MESSAGE", b"last \xff wins"),
        ]);
        let out = c.convert(&e, 0).unwrap();
        assert_eq!(out.line, "last \u{fffd} wins");
        assert_eq!(out.timestamp_ns, 1_700_000_000_123_456_000);
        assert_eq!(
            out.labels.to_string(),
            r#"{component="j", job="loki.source.journal.read", level="error", priority="3", unit="a.service"}"#
        );
        assert_eq!(
            c.convert(&entry(&[("PRIORITY", b"6")]), 0),
            Err(Dropped::NoMessage)
        );
        for (p, k) in [("0", "emerg"), ("4", "warning"), ("7", "debug"), ("9", "9")] {
            assert_eq!(priority_keyword(p), k);
        }
    }

    #[test]
    fn json_lines_and_dropped_entries() {
        let mut c = Converter::new("j", &BTreeMap::new(), Arc::new(Vec::new()), true);
        let out = c
            .convert(
                &entry(&[("B", b"<x>"), ("A", b"1"), ("BIN", b"\x00\xff")]),
                0,
            )
            .unwrap();
        assert_eq!(
            out.line,
            r#"{"A":"1","B":"\u003cx\u003e","BIN":"\u0000\ufffd"}"#
        );
        // A rule that drops everything, and one that leaves no label.
        let drop = Rule::new(ingot_prom::relabel::RuleConfig {
            action: ingot_prom::relabel::Action::Drop,
            ..Default::default()
        })
        .unwrap();
        let mut c = Converter::new("j", &BTreeMap::new(), Arc::new(vec![drop]), false);
        assert_eq!(
            c.convert(&entry(&[("MESSAGE", b"x")]), 0),
            Err(Dropped::EmptyLabels)
        );
        let labels = BTreeMap::from([("job".to_string(), String::new())]);
        let mut c = Converter::new("j", &labels, Arc::new(Vec::new()), false);
        assert_eq!(
            c.convert(&entry(&[("MESSAGE", b"x")]), 0),
            Err(Dropped::EmptyLabels)
        );
    }
}
