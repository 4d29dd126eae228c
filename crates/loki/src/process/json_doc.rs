//! A JSON document read once, its strings borrowed from the line where they hold no escapes: what
//! `stage.json` reads fields from without building a tree of owned values. Objects keep their members in
//! order; a name given twice is found at its last occurrence, as Go's decoding into a map keeps the last.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Clone, Debug, PartialEq)]
pub enum Doc<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Doc<'a>>),
    Obj(Vec<(Cow<'a, str>, Doc<'a>)>),
}

impl<'a> Doc<'a> {
    /// The member `name` of an object (its last occurrence); `None` for anything else.
    pub fn get(&self, name: &str) -> Option<&Doc<'a>> {
        match self {
            Doc::Obj(m) => m.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Element `i` of an array, negative from the end; `None` for anything else.
    pub fn index(&self, i: i64) -> Option<&Doc<'a>> {
        match self {
            Doc::Arr(a) => {
                let i = if i < 0 { a.len() as i64 + i } else { i };
                usize::try_from(i).ok().and_then(|i| a.get(i))
            }
            _ => None,
        }
    }

    /// The object's members with each name once (at its last value), in order of first appearance.
    pub fn members(&self) -> Vec<(&str, &Doc<'a>)> {
        let Doc::Obj(m) = self else { return Vec::new() };
        let mut out: Vec<(&str, &Doc<'a>)> = Vec::with_capacity(m.len());
        for (k, v) in m {
            match out.iter_mut().find(|(n, _)| *n == k.as_ref()) {
                Some(slot) => slot.1 = v,
                None => out.push((k.as_ref(), v)),
            }
        }
        out
    }

    /// Go's `json.Marshal` of the decoded value: object keys sorted, HTML characters escaped.
    pub fn marshal(&self, out: &mut String) {
        use crate::process::value::{push_json_float, push_json_string};
        match self {
            Doc::Null => out.push_str("null"),
            Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Doc::Num(n) => push_json_float(out, *n),
            Doc::Str(s) => push_json_string(out, s),
            Doc::Arr(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.marshal(out);
                }
                out.push(']');
            }
            Doc::Obj(_) => {
                let mut m = self.members();
                m.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (k, v)) in m.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_string(out, k);
                    out.push(':');
                    v.marshal(out);
                }
                out.push('}');
            }
        }
    }

    /// The document as `serde_json` holds it (for what the fast paths do not cover).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Doc::Null => serde_json::Value::Null,
            Doc::Bool(b) => serde_json::Value::Bool(*b),
            Doc::Num(n) => serde_json::Number::from_f64(*n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Doc::Str(s) => serde_json::Value::String(s.to_string()),
            Doc::Arr(a) => serde_json::Value::Array(a.iter().map(Doc::to_json).collect()),
            Doc::Obj(_) => serde_json::Value::Object(
                self.members()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Reads `text` as one JSON value (nothing but whitespace after it).
pub fn parse(text: &str) -> Result<Doc<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = Doc::deserialize(&mut de)?;
    de.end()?;
    Ok(doc)
}

/// How many members [`parse_fields`] can keep.
pub const FIELDS: usize = 8;

/// Reads `text` as [`parse`] does and keeps only the members of a top-level object named in `names`
/// (their last occurrence, in `slots` at the name's index; at most [`FIELDS`]). `Ok` when `text` is an
/// object or `null` (no members), `Err` when [`parse`] fails or gives anything else. Every other value is
/// read as [`parse`] reads it (the same deserializer calls), so the same texts are accepted.
pub fn parse_fields<'a>(
    text: &'a str,
    names: &[String],
    slots: &mut [Option<Doc<'a>>; FIELDS],
) -> Result<(), serde_json::Error> {
    debug_assert!(names.len() <= FIELDS);
    let mut de = serde_json::Deserializer::from_str(text);
    de::DeserializeSeed::deserialize(Fields { names, slots }, &mut de)?;
    de.end()
}

/// The top level of [`parse_fields`].
struct Fields<'s, 'a> {
    names: &'s [String],
    slots: &'s mut [Option<Doc<'a>>; FIELDS],
}

impl<'de> de::DeserializeSeed<'de> for Fields<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Fields<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    // Go decodes a JSON null into a map as an empty map.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<Key<'de>>()? {
            match self.names.iter().position(|n| *n == k.0) {
                Some(i) => self.slots[i] = Some(map.next_value()?),
                None => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(())
    }
}

/// A value read as [`Doc`] reads it (the same deserializer calls) and not kept.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_string<E: de::Error>(self, _: String) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Key<'de>>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Doc<'de>, E> {
        Ok(Doc::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Doc<'de>, E> {
        Ok(Doc::Num(n as f64))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Doc<'de>, E> {
        Ok(Doc::Num(n as f64))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Doc<'de>, E> {
        Ok(Doc::Num(n))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc<'de>, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Doc::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc<'de>, A::Error> {
        let mut v = Vec::with_capacity(8);
        while let Some(k) = map.next_key::<Key<'de>>()? {
            v.push((k.0, map.next_value()?));
        }
        Ok(Doc::Obj(v))
    }
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc<'de>, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

/// An object key, borrowed when it can be.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON texts, most of them valid, some cut short or with a character put in, with names given
    /// twice, escaped, nested, and strings with escapes (a lone surrogate among them).
    fn texts() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            r#""a""#,
            r#""b""#,
            r#""c""#,
            r#""\u0061""#,
            r#""a.b""#,
            r#""é""#,
            r#""""#,
        ]);
        let leaf = prop::sample::select(vec![
            "null",
            "true",
            "false",
            "0",
            "-1.5e3",
            "18446744073709551616",
            r#""x""#,
            r#""\n\u00e9""#,
            r#""\ud800""#,
            r#""<&>""#,
            "[]",
            "{}",
        ])
        .prop_map(str::to_string);
        let value = leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((key.clone(), inner), 0..5).prop_map(|m| {
                    let members: Vec<String> =
                        m.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        });
        let junk = prop::sample::select(vec!['"', ',', '}', '\\', '\u{1}', ' ', 'x', ':']);
        (value, any::<u16>(), 0..4u8, junk).prop_map(|(text, at, how, c)| {
            let at = usize::from(at) % (text.len() + 1);
            let at = (0..=at)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            match how {
                0 => text[..at].to_string(),
                1 => format!("{}{c}{}", &text[..at], &text[at..]),
                _ => text,
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        // parse_fields accepts exactly what parse accepts as an object (or null), and keeps for each
        // name what the document holds at its last occurrence.
        #[test]
        fn fields_are_what_the_document_holds(text in texts()) {
            let names: Vec<String> =
                ["a", "b", "a.b", "é", "", "zz"].iter().map(|s| s.to_string()).collect();
            let mut slots: [Option<Doc<'_>>; FIELDS] = Default::default();
            let fast = parse_fields(&text, &names, &mut slots);
            let doc = match parse(&text) {
                Ok(Doc::Null) => Ok(Doc::Obj(Vec::new())),
                Ok(d @ Doc::Obj(_)) => Ok(d),
                _ => Err(()),
            };
            prop_assert_eq!(fast.is_ok(), doc.is_ok(), "{}", text);
            if let Ok(doc) = doc {
                for (i, n) in names.iter().enumerate() {
                    prop_assert_eq!(slots[i].as_ref(), doc.get(n), "{} in {}", n, text);
                }
            }
        }
    }

    #[test]
    fn reads_and_marshals_as_go() {
        let d = parse(r#"{"b":[1,2.5,"x\n"],"a":{"z":null,"y":true},"b":{"k":"<"}}"#).unwrap();
        assert_eq!(d.get("b").unwrap().get("k"), Some(&Doc::Str("<".into())));
        let mut s = String::new();
        d.marshal(&mut s);
        assert_eq!(s, r#"{"a":{"y":true,"z":null},"b":{"k":"\u003c"}}"#);
        assert!(matches!(d.get("a"), Some(Doc::Obj(_))));
        assert!(parse("{} x").is_err());
        assert!(parse("{\"a\":}").is_err());
        let d = parse("[1,2,3]").unwrap();
        assert_eq!(d.index(-1), Some(&Doc::Num(3.0)));
        assert_eq!(d.index(3), None);
    }
}
