//! What the `loki.*` components show on a live debugging stream, in Alloy's words: `loki.relabel` each
//! entry with its labels before and after (`entry: .., labels: .. => ..` or `=> <dropped>`),
//! `loki.process` each entry in (`[IN]: ...`, counted 0 in the graph) and out (`[OUT]: ...`). Labels print
//! as Prometheus' `model.LabelSet.String()`, timestamps as Go's `time.RFC3339Nano` (in UTC: ingot's
//! entries carry no time zone), structured metadata as `json.Marshal` of a `map[string]string`.

use ingot_gocompat::time::{format, Location, Time};
use ingot_logs::Entry;
use ingot_prom::labels::Labels;

/// `model.LabelSet.String()`: `{name="value", ...}`, the `name="value"` strings sorted as strings.
pub fn label_set(labels: &Labels) -> String {
    let mut pairs: Vec<String> = labels
        .iter()
        .map(|(n, v)| format!("{n}={}", ingot_gocompat::strconv::quote(v)))
        .collect();
    pairs.sort();
    format!("{{{}}}", pairs.join(", "))
}

/// `time.Unix(0, ns).UTC().Format(time.RFC3339Nano)`.
pub fn rfc3339_nano(ns: i64) -> String {
    let t = Time {
        unix: ns.div_euclid(1_000_000_000),
        nsec: ns.rem_euclid(1_000_000_000) as u32,
        loc: Location::Utc,
    };
    format(&t, "2006-01-02T15:04:05.999999999Z07:00")
}

/// The structured metadata as Loki's `LabelsAdapter.MarshalJSON` writes it.
pub fn structured_metadata(entry: &Entry) -> String {
    let mut out = String::new();
    ingot_gocompat::jsoniter::write_map(
        &mut out,
        entry
            .structured_metadata
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes())),
    );
    out
}

/// `loki.process`' line for an entry in (`[IN]`) or out (`[OUT]`).
pub fn process_line(direction: &str, entry: &Entry) -> String {
    format!(
        "[{direction}]: timestamp: {}, entry: {}, labels: {}, structured_metadata: {}",
        rfc3339_nano(entry.timestamp_ns),
        entry.line,
        label_set(&entry.labels),
        structured_metadata(entry)
    )
}

/// `loki.relabel`'s line for an entry: its labels after relabelling, or `None` when it was dropped.
pub fn relabel_line(entry: &Entry, after: Option<&Labels>) -> String {
    match after {
        Some(after) => format!(
            "entry: {}, labels: {} => {}",
            entry.line,
            label_set(&entry.labels),
            label_set(after)
        ),
        None => format!(
            "entry: {}, labels: {} => <dropped>",
            entry.line,
            label_set(&entry.labels)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_written_as_alloys() {
        let mut e = Entry::new(
            Labels::from_pairs(&[("job", "x"), ("a1", "q\"")]),
            1_700_000_000_120_000_000,
            "hello",
        );
        e.structured_metadata = vec![("trace_id".into(), "<t>".into())];
        assert_eq!(
            process_line("IN", &e),
            r#"[IN]: timestamp: 2023-11-14T22:13:20.12Z, entry: hello, labels: {a1="q\"", job="x"}, structured_metadata: {"trace_id":"\u003ct\u003e"}"#
        );
        // `a1=` sorts before `a=` as strings ('1' < '=').
        let l = Labels::from_pairs(&[("a", "1"), ("a1", "2")]);
        assert_eq!(label_set(&l), r#"{a1="2", a="1"}"#);
        assert_eq!(rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            relabel_line(&e, None),
            r#"entry: hello, labels: {a1="q\"", job="x"} => <dropped>"#
        );
    }
}
