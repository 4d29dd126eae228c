//! Families named after the fields of a file (`node_vmstat_<field>`, `node_netstat_<proto>_<field>`):
//! what a collector derives from a field's name (whether its regex selects it, the family's name and
//! help) is computed once and kept by the field's position, since the kernel prints the same fields
//! in the same order on every read. A scrape then compares each name with the kept one instead of
//! running a regex and formatting two strings per line.

/// What a collector derived from one field name: `None` when the field is not exported.
struct Field {
    key: String,
    family: Option<(String, String)>,
}

#[derive(Default)]
pub(super) struct FieldMemo {
    fields: Vec<Field>,
}

impl FieldMemo {
    pub(super) fn new() -> FieldMemo {
        FieldMemo::default()
    }

    /// The family name and help for the field `key` at position `index` of the file, from the memo
    /// or, when the field there is new, from `derive` (which returns `None` to skip the field).
    /// `key` is what identifies the field (for netstat, protocol and name together).
    pub(super) fn get(
        &mut self,
        index: usize,
        key: &str,
        derive: impl FnOnce() -> Option<(String, String)>,
    ) -> Option<(&str, &str)> {
        if index >= self.fields.len() {
            self.fields.resize_with(index + 1, || Field {
                key: String::new(),
                family: None,
            });
        }
        let field = &mut self.fields[index];
        if field.key != key || field.key.is_empty() {
            field.key.clear();
            field.key.push_str(key);
            field.family = derive();
        }
        field
            .family
            .as_ref()
            .map(|(name, help)| (name.as_str(), help.as_str()))
    }

    /// What [`FieldMemo::get`] last derived for position `index`.
    pub(super) fn family(&self, index: usize) -> Option<(&str, &str)> {
        self.fields
            .get(index)?
            .family
            .as_ref()
            .map(|(name, help)| (name.as_str(), help.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_once_per_position_and_again_when_the_field_changes() {
        let mut memo = FieldMemo::new();
        let calls = std::cell::Cell::new(0);
        let get = |memo: &mut FieldMemo, i, key: &str| {
            memo.get(i, key, || {
                calls.set(calls.get() + 1);
                (key != "skip").then(|| (format!("n_{key}"), format!("h {key}")))
            })
            .map(|(n, h)| (n.to_owned(), h.to_owned()))
        };
        assert_eq!(
            get(&mut memo, 0, "a"),
            Some(("n_a".to_owned(), "h a".to_owned()))
        );
        assert_eq!(get(&mut memo, 1, "skip"), None);
        assert_eq!(get(&mut memo, 0, "a").unwrap().0, "n_a");
        assert_eq!(get(&mut memo, 1, "skip"), None);
        // A field moved: derived afresh.
        assert_eq!(get(&mut memo, 1, "b").unwrap().0, "n_b");
        assert_eq!(get(&mut memo, 3, "c").unwrap().0, "n_c");
        assert_eq!(calls.get(), 4);
        assert_eq!(memo.family(1), Some(("n_b", "h b")));
    }
}
