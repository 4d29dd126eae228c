//! `stage.pack`: wraps the line and the extracted values named in `labels` into a JSON object
//! (`{"name":"value",...,"_entry":"line"}`, names sorted), removes those names from the labels, and with
//! `ingest_timestamp` (the default) sets the timestamp to now. A name whose value has no text is left out.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{get_string, push_json_string};

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub labels: Vec<String>,
    pub ingest_timestamp: bool,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Config {
            labels: d.required("labels")?,
            ingest_timestamp: d.optional_or("ingest_timestamp", true)?,
        })
    }
}

impl Config {
    pub fn build(&self) -> Pack {
        Pack(self.clone())
    }
}

pub struct Pack(Config);

impl Stage for Pack {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let mut packed: Vec<(&str, String)> = Vec::new();
        for name in &self.0.labels {
            let Some(v) = e.extracted.get(name) else {
                continue;
            };
            match get_string(v) {
                Ok(s) => {
                    if let Some(slot) = packed.iter_mut().find(|(n, _)| *n == name.as_str()) {
                        slot.1 = s;
                    } else {
                        packed.push((name, s));
                    }
                }
                Err(err) => {
                    tracing::debug!(stage = "pack", key = %name, "value cannot be converted to a string and cannot be packed: {err}")
                }
            }
        }
        packed.sort_by(|a, b| a.0.cmp(b.0));
        let mut line = String::with_capacity(e.line.len() + 32);
        line.push('{');
        for (name, value) in &packed {
            push_json_string(&mut line, name);
            line.push(':');
            push_json_string(&mut line, value);
            line.push(',');
        }
        line.push_str("\"_entry\":");
        push_json_string(&mut line, &e.line);
        line.push('}');
        let names: Vec<String> = packed.iter().map(|(n, _)| n.to_string()).collect();
        for n in names {
            e.labels.remove(&n);
        }
        e.line = line;
        if self.0.ingest_timestamp {
            e.timestamp_ns = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64);
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's pack_test.go.
    #[test]
    fn packs_labels_and_line() {
        let (mut p, _) = pipeline(
            "stage.pack {\nlabels = [\"pod\", \"container\", \"missing\", \"num\"]\ningest_timestamp = false\n}",
        );
        let mut e = entry(
            &[("pod", "p1"), ("container", "c<1>"), ("other", "o")],
            "a \"quoted\" line",
        );
        e.extracted.insert("num".to_string(), Value::Num(1.5));
        let mut out = Vec::new();
        p.run(e, &mut out);
        assert_eq!(
            out[0].line,
            r#"{"container":"c\u003c1\u003e","num":"1.5","pod":"p1","_entry":"a \"quoted\" line"}"#
        );
        assert_eq!(out[0].labels.keys().collect::<Vec<_>>(), ["other"]);
        assert_eq!(out[0].timestamp_ns, 1_000_000_000);
        let out = run_line("stage.pack { labels = [\"x\"] }", "l");
        assert_eq!(out[0].line, r#"{"_entry":"l"}"#);
        assert!(out[0].timestamp_ns > 1_000_000_000);
    }
}
