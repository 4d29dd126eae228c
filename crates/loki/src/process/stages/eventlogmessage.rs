//! `stage.eventlogmessage`: reads a Windows event log message (`source`, default `message`: lines
//! `Key: value` separated by CRLF) into extracted values. A key that is not a valid label name is made
//! one (`_` for each other character), or with `drop_invalid_labels` skipped; a key already extracted gets
//! `_extracted` appended unless `overwrite_existing`. An entry whose source value has no text is dropped,
//! as in Alloy.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{get_string, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub source: String,
    pub drop_invalid_labels: bool,
    pub overwrite_existing: bool,
}

/// Prometheus' legacy label name rule.
pub fn is_legacy_label_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_alphabetic() || b == b'_' || (b.is_ascii_digit() && i > 0))
}

/// `SanitizeFullLabelName`: every character that may not stand there becomes `_` (`""` becomes `_`).
pub fn sanitize_label_name(s: &str) -> String {
    if s.is_empty() {
        return "_".to_string();
    }
    s.char_indices()
        .map(|(i, c)| {
            if c.is_ascii_alphabetic() || c == '_' || (c.is_ascii_digit() && i > 0) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let source: String = d.optional_or("source", "message".to_string())?;
        let drop_invalid_labels = d.optional_or("drop_invalid_labels", false)?;
        let overwrite_existing = d.optional_or("overwrite_existing", false)?;
        if !is_legacy_label_name(&source) {
            return Err(d.error_at_attr("source", format!("invalid label name: {source}")));
        }
        Ok(Config {
            source,
            drop_invalid_labels,
            overwrite_existing,
        })
    }
}

impl Config {
    pub fn build(&self) -> EventLogMessage {
        EventLogMessage(self.clone())
    }
}

pub struct EventLogMessage(Config);

impl Stage for EventLogMessage {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let c = &self.0;
        let Some(v) = e.extracted.get(&c.source) else {
            out.push(e);
            return;
        };
        let text = match get_string(v) {
            Ok(s) => s,
            Err(_) => {
                tracing::warn!(stage = "eventlogmessage", "invalid label value parsed");
                return;
            }
        };
        for line in text.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let mut key = if is_legacy_label_name(key) {
                key.to_string()
            } else if c.drop_invalid_labels {
                continue;
            } else {
                sanitize_label_name(key)
            };
            if e.extracted.contains_key(&key) && !c.overwrite_existing {
                tracing::info!(stage = "eventlogmessage", key = %key, "extracted key already existed, appending _extracted to key");
                key.push_str("_extracted");
            }
            e.extracted.insert(key, Value::from(value.trim()));
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's eventlogmessage_test.go.
    #[test]
    fn extracts_keys() {
        let (mut p, _) = pipeline("stage.eventlogmessage {}");
        let mut e = entry(&[], "x");
        e.extracted.insert(
            "message".to_string(),
            Value::from("Key1: Value 1\r\nKey2: Value2:with colon\r\nno colon here\r\nbad key!: v\r\nmessage: m"),
        );
        let mut out = Vec::new();
        p.run(e, &mut out);
        let x = &out[0].extracted;
        assert_eq!(x["Key1"], Value::from("Value 1"));
        assert_eq!(x["Key2"], Value::from("Value2:with colon"));
        assert_eq!(x["bad_key_"], Value::from("v"));
        assert_eq!(x["message_extracted"], Value::from("m"));
        let (mut p, _) = pipeline(
            "stage.eventlogmessage {\ndrop_invalid_labels = true\noverwrite_existing = true\n}",
        );
        let mut e = entry(&[], "x");
        e.extracted
            .insert("message".to_string(), Value::from("9a: v\r\nmessage: m"));
        let mut out = Vec::new();
        p.run(e, &mut out);
        assert!(!out[0].extracted.contains_key("9a"));
        assert!(!out[0].extracted.contains_key("_a"));
        assert_eq!(out[0].extracted["message"], Value::from("m"));
        // A value with no text drops the entry.
        let mut e = entry(&[], "x");
        e.extracted.insert("message".to_string(), Value::Null);
        let mut out = Vec::new();
        p.run(e, &mut out);
        assert!(out.is_empty());
        assert!(
            error("stage.eventlogmessage { source = \"1x\" }").contains("invalid label name: 1x")
        );
    }
}
