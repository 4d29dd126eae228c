//! udev's database files, `/run/udev/data/b<major>:<minor>`.

/// The device properties (`E:KEY=VALUE` lines) of one udev data file, borrowed from its text.
#[derive(Debug, Default, Clone)]
pub struct UdevProperties<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> UdevProperties<'a> {
    pub fn parse(text: &'a str) -> UdevProperties<'a> {
        let mut props = UdevProperties::default();
        props.fill(text);
        props
    }

    /// Replaces the content with `text`'s properties, reusing the allocation.
    pub fn fill(&mut self, text: &'a str) {
        self.pairs.clear();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("E:") {
                if let Some((k, v)) = rest.split_once('=') {
                    self.pairs.push((k, v));
                }
            }
        }
    }

    /// The value of `key`; like a Go map filled line by line, a repeated key keeps the last.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    /// The value of `key`, or "" when absent (a Go map's zero value).
    pub fn value(&self, key: &str) -> &'a str {
        self.get(key).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Empties the list and releases the borrow of its text, keeping the allocation for the
    /// next file.
    pub fn recycle<'b>(self) -> UdevProperties<'b> {
        let mut pairs = self.pairs;
        pairs.clear();
        // Collecting an emptied vector into one of the same layout reuses its buffer.
        UdevProperties {
            pairs: pairs.into_iter().map(|_| ("", "")).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_properties() {
        let text = "S:disk/by-id/x\nE:ID_MODEL=SuperMicro_SSD\nE:ID_ATA=1\nE:EMPTY=\nE:ID_ATA=2\nG:systemd\n";
        let p = UdevProperties::parse(text);
        assert_eq!(p.get("ID_MODEL"), Some("SuperMicro_SSD"));
        assert_eq!(p.get("ID_ATA"), Some("2"));
        assert_eq!(p.get("EMPTY"), Some(""));
        assert_eq!(p.get("S"), None);
        assert_eq!(p.value("missing"), "");
    }
}
