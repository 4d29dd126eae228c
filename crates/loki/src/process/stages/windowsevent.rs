//! `stage.windowsevent`: reads a Windows event message (`source`, default `message`) into extracted values:
//! its first section (sections are separated by an empty CRLF line) as `Description`, then `Key: value`
//! lines, keys prefixed by their section title (`Logon Information:` gives `Logon Information_Logon Type`
//! before spaces are removed), a line without `:` continuing the previous value after a comma. Tabs, CR, LF
//! (and in keys, spaces) are removed. An empty key is refused with `drop_invalid_labels`, else made `_`;
//! a key already extracted gets `_extracted` unless `overwrite_existing`. An entry whose source value has
//! no text is dropped, as in Alloy.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{get_string, Extracted, Value};

use super::eventlogmessage::sanitize_label_name;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub source: String,
    pub drop_invalid_labels: bool,
    pub overwrite_existing: bool,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let source: String = d.optional_or("source", "message".to_string())?;
        let drop_invalid_labels = d.optional_or("drop_invalid_labels", false)?;
        let overwrite_existing = d.optional_or("overwrite_existing", false)?;
        // Alloy checks the name with the UTF-8 rule: anything but "".
        if source.is_empty() {
            return Err(d.error_at_attr("source", "invalid label name: "));
        }
        Ok(Config {
            source,
            drop_invalid_labels,
            overwrite_existing,
        })
    }
}

impl Config {
    pub fn build(&self) -> WindowsEvent {
        WindowsEvent(self.clone())
    }
}

pub struct WindowsEvent(Config);

impl WindowsEvent {
    fn key(&self, raw: &str, extracted: &Extracted) -> Option<String> {
        let mut k: String = raw
            .chars()
            .filter(|c| !matches!(c, '\t' | '\r' | '\n' | ' '))
            .collect();
        if k.is_empty() {
            if self.0.drop_invalid_labels {
                return None;
            }
            k = sanitize_label_name(&k);
        }
        if extracted.contains_key(&k) && !self.0.overwrite_existing {
            k.push_str("_extracted");
        }
        Some(k)
    }

    fn value(raw: &str) -> String {
        let v: String = raw
            .chars()
            .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
            .collect();
        v.trim().to_string()
    }
}

impl Stage for WindowsEvent {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let Some(v) = e.extracted.get(&self.0.source) else {
            out.push(e);
            return;
        };
        let text = match get_string(v) {
            Ok(s) => s,
            Err(_) => {
                tracing::warn!(stage = "windowsevent", "invalid label value parsed");
                return;
            }
        };
        for (i, section) in text.split("\r\n\r\n").enumerate() {
            if i == 0 {
                if let Some(k) = self.key("Description", &e.extracted) {
                    e.extracted.insert(k, Value::from(Self::value(section)));
                }
                continue;
            }
            let lines: Vec<&str> = section.split("\r\n").collect();
            let mut j = 0;
            let mut prefix = String::new();
            while j < lines.len() {
                let Some((k, v)) = lines[j].split_once(':') else {
                    j += 1;
                    continue;
                };
                j += 1;
                if v.is_empty() {
                    // A section title: it prefixes the keys of the section, when it is the first line.
                    if j == 1 {
                        prefix = k.to_string();
                    }
                    continue;
                }
                let mut value = v.to_string();
                while j < lines.len() && !lines[j].is_empty() && !lines[j].contains(':') {
                    value.push(',');
                    value.push_str(lines[j]);
                    j += 1;
                }
                let full = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}_{k}")
                };
                if let Some(key) = self.key(&full, &e.extracted) {
                    e.extracted.insert(key, Value::from(Self::value(&value)));
                }
            }
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's windowsevent_test.go (a logon event).
    #[test]
    fn extracts_sections() {
        let msg = "An account was successfully logged on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n\tAccount Name:\t\tDESKTOP$\r\n\r\nLogon Information:\r\n\tLogon Type:\t\t5\r\n\tVirtual Account:\t\tNo\r\n\r\nProcess Information:\r\n\tProcess Name:\t\tC:\\Windows\\services.exe\r\n\r\nPrivileges:\t\tSeA\r\n\t\t\tSeB";
        let (mut p, _) = pipeline("stage.windowsevent {}");
        let mut e = entry(&[], "x");
        e.extracted.insert("message".to_string(), Value::from(msg));
        let mut out = Vec::new();
        p.run(e, &mut out);
        let x = &out[0].extracted;
        assert_eq!(
            x["Description"],
            Value::from("An account was successfully logged on.")
        );
        assert_eq!(x["Subject_SecurityID"], Value::from("S-1-5-18"));
        assert_eq!(x["LogonInformation_LogonType"], Value::from("5"));
        assert_eq!(
            x["ProcessInformation_ProcessName"],
            Value::from("C:\\Windows\\services.exe")
        );
        assert_eq!(x["Privileges"], Value::from("SeA,SeB"));
    }
}
