//! `stage.docker`: reads a line written by Docker's `json-file` driver (`{"log": ..., "stream": ...,
//! "time": ...}`) into the extracted values `output`, `stream` and `timestamp`, the line (`log`), the
//! `stream` label and the timestamp (when `time` is RFC 3339). Keys are matched as Go's `encoding/json`
//! matches struct fields: exactly or ignoring case, the last one winning; a value that is not a string (or
//! null) makes the line not Docker's. A line that is not, or has an empty `log`, passes unchanged.

use std::fmt;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Config;

impl Decode for Config {
    fn decode(_d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Config)
    }
}

impl Config {
    pub fn build(&self) -> Docker {
        Docker
    }
}

pub struct Docker;

#[derive(Default)]
struct DockerLog {
    log: String,
    time: String,
    stream: String,
}

/// Go's `encoding/json` key folding, as far as it matters for three ASCII names: Unicode case folding,
/// with `ſ` (U+017F) folding to `s` and the Kelvin sign to `k`.
fn fold_eq(key: &str, field: &str) -> bool {
    let mut k = key.chars().flat_map(|c| match c {
        '\u{17f}' => 's'.to_lowercase(),
        c => c.to_lowercase(),
    });
    let mut f = field.chars();
    loop {
        match (k.next(), f.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

struct DockerVisitor;

impl<'de> Visitor<'de> for DockerVisitor {
    type Value = Option<DockerLog>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Some(DockerLog::default()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = DockerLog::default();
        let mut type_error = false;
        while let Some(key) = map.next_key::<String>()? {
            let field = ["log", "time", "stream"]
                .into_iter()
                .find(|f| key == *f)
                .or_else(|| {
                    ["log", "time", "stream"]
                        .into_iter()
                        .find(|f| fold_eq(&key, f))
                });
            let v: serde_json::Value = map.next_value()?;
            let Some(field) = field else { continue };
            match v {
                serde_json::Value::String(s) => match field {
                    "log" => out.log = s,
                    "time" => out.time = s,
                    _ => out.stream = s,
                },
                serde_json::Value::Null => {}
                // Go goes on decoding, then reports the error: the line is not used.
                _ => type_error = true,
            }
        }
        Ok((!type_error).then_some(out))
    }

    // Any other JSON value is a type error for Go's decoder.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

fn parse(line: &str) -> Option<DockerLog> {
    let mut de = serde_json::Deserializer::from_str(line);
    let v = (&mut de).deserialize_any(DockerVisitor).ok()?;
    de.end().ok()?;
    v
}

impl Stage for Docker {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let parsed = match parse(&e.line) {
            Some(p) if !p.log.is_empty() => p,
            _ => {
                tracing::debug!(stage = "docker", "not valid docker format");
                out.push(e);
                return;
            }
        };
        e.extracted
            .insert("output".to_string(), Value::from(parsed.log.clone()));
        e.extracted
            .insert("stream".to_string(), Value::from(parsed.stream.clone()));
        e.extracted
            .insert("timestamp".to_string(), Value::from(parsed.time.clone()));
        e.line = parsed.log;
        e.labels.insert("stream".to_string(), parsed.stream);
        if let Ok(t) =
            ingot_gocompat::time::parse("2006-01-02T15:04:05.999999999Z07:00", &parsed.time)
        {
            e.timestamp_ns = super::timestamp::Instant {
                unix: t.unix,
                nsec: t.nsec,
            }
            .nanos();
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's docker_test.go.
    #[test]
    fn parses_docker_lines() {
        let out = run_line(
            "stage.docker {}",
            r#"{"log":"log message\n","stream":"stderr","time":"2019-04-30T02:12:41.8443515Z"}"#,
        );
        let e = &out[0];
        assert_eq!(e.line, "log message\n");
        assert_eq!(e.labels.get("stream").unwrap(), "stderr");
        assert_eq!(e.extracted["output"], Value::from("log message\n"));
        assert_eq!(
            e.extracted["timestamp"],
            Value::from("2019-04-30T02:12:41.8443515Z")
        );
        assert_eq!(e.timestamp_ns, 1_556_590_361_844_351_500);
        // Keys in any case, the last one winning; an unknown time keeps the timestamp.
        let out = run_line(
            "stage.docker {}",
            r#"{"LOG":"a","Log":"b","stream":null,"time":"x"}"#,
        );
        assert_eq!(out[0].line, "b");
        assert_eq!(out[0].labels.get("stream").unwrap(), "");
        assert_eq!(out[0].timestamp_ns, 1_000_000_000);
    }

    #[test]
    fn other_lines_pass() {
        for line in [
            "not json",
            r#"{"log":"","stream":"stdout"}"#,
            r#"{"log":5}"#,
            r#"{"log":"x","stream":1}"#,
            r#"["log"]"#,
            "null",
            r#"{"log":"x"} trailing"#,
        ] {
            let out = run_line("stage.docker {}", line);
            assert_eq!(out[0].line, line);
            assert!(!out[0].labels.contains_key("stream"), "{line}");
        }
    }
}
