//! Loki's push API message, `logproto.PushRequest` (`pkg/push/push.proto` in grafana/loki), encoded and
//! decoded by hand:
//!
//! ```text
//! PushRequest      { repeated StreamAdapter streams = 1; }
//! StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
//! EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
//!                    repeated LabelPairAdapter structuredMetadata = 3; repeated LabelPairAdapter parsed = 4; }
//! LabelPairAdapter { string name = 1; string value = 2; }
//! Timestamp        { int64 seconds = 1; int32 nanos = 2; }
//! ```
//!
//! The encoder writes what `loki.write` sends (the timestamp always present, as gogoproto's non-nullable
//! field writes it; `hash` and `parsed` never); the decoder reads what `loki.source.api` receives, taking
//! lines and label values that are not UTF-8 as Go would keep them, with invalid bytes replaced.

use ingot_logs::Entry;

/// A stream's labels as Loki's clients write them: `{a="1", b="2"}`, sorted, values quoted as Go's
/// `strconv.Quote`, labels starting with `__` left out.
pub fn label_string<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from("{");
    let mut first = true;
    for (n, v) in labels {
        if n.starts_with("__") {
            continue;
        }
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push_str(n);
        out.push('=');
        out.push_str(&ingot_gocompat::strconv::quote(v));
    }
    out.push('}');
    out
}

/// One stream of a request to encode: its label string and its entries.
pub struct StreamRef<'a> {
    pub labels: &'a str,
    pub entries: Vec<&'a Entry>,
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_tag(out: &mut Vec<u8>, field: u32, wire: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn len_field_size(field: u32, len: usize) -> usize {
    varint_len(u64::from(field) << 3) + varint_len(len as u64) + len
}

fn put_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    put_tag(out, field, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// `(seconds, nanos)` of a Unix time in nanoseconds, as `google.protobuf.Timestamp` holds it.
pub fn split_timestamp(ns: i64) -> (i64, i32) {
    (
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) as i32,
    )
}

fn timestamp_size(ns: i64) -> usize {
    let (s, n) = split_timestamp(ns);
    let mut size = 0;
    if s != 0 {
        size += 1 + varint_len(s as u64);
    }
    if n != 0 {
        size += 1 + varint_len(n as i64 as u64);
    }
    size
}

fn pair_size(name: &str, value: &str) -> usize {
    let mut size = 0;
    if !name.is_empty() {
        size += len_field_size(1, name.len());
    }
    if !value.is_empty() {
        size += len_field_size(2, value.len());
    }
    size
}

fn entry_size(e: &Entry) -> usize {
    let mut size = len_field_size(1, timestamp_size(e.timestamp_ns));
    if !e.line.is_empty() {
        size += len_field_size(2, e.line.len());
    }
    for (k, v) in &e.structured_metadata {
        size += len_field_size(3, pair_size(k, v));
    }
    size
}

fn stream_size(s: &StreamRef<'_>) -> usize {
    let mut size = 0;
    if !s.labels.is_empty() {
        size += len_field_size(1, s.labels.len());
    }
    for e in &s.entries {
        size += len_field_size(2, entry_size(e));
    }
    size
}

/// Appends the encoded `PushRequest` of `streams` to `out` (uncompressed).
pub fn encode_push_request(streams: &[StreamRef<'_>], out: &mut Vec<u8>) {
    let total: usize = streams
        .iter()
        .map(|s| len_field_size(1, stream_size(s)))
        .sum();
    out.reserve(total);
    for s in streams {
        put_tag(out, 1, 2);
        put_varint(out, stream_size(s) as u64);
        if !s.labels.is_empty() {
            put_bytes(out, 1, s.labels.as_bytes());
        }
        for e in &s.entries {
            put_tag(out, 2, 2);
            put_varint(out, entry_size(e) as u64);
            put_tag(out, 1, 2);
            put_varint(out, timestamp_size(e.timestamp_ns) as u64);
            let (secs, nanos) = split_timestamp(e.timestamp_ns);
            if secs != 0 {
                put_tag(out, 1, 0);
                put_varint(out, secs as u64);
            }
            if nanos != 0 {
                put_tag(out, 2, 0);
                put_varint(out, nanos as i64 as u64);
            }
            if !e.line.is_empty() {
                put_bytes(out, 2, e.line.as_bytes());
            }
            for (k, v) in &e.structured_metadata {
                put_tag(out, 3, 2);
                put_varint(out, pair_size(k, v) as u64);
                if !k.is_empty() {
                    put_bytes(out, 1, k.as_bytes());
                }
                if !v.is_empty() {
                    put_bytes(out, 2, v.as_bytes());
                }
            }
        }
    }
}

/// A stream as received.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PushStream {
    pub labels: String,
    pub entries: Vec<PushEntry>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PushEntry {
    pub timestamp_ns: i64,
    pub line: String,
    pub structured_metadata: Vec<(String, String)>,
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Cursor<'a> {
        Cursor { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err("unexpected EOF".into());
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("proto: integer overflow".into())
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.varint()?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| self.pos.checked_add(l))
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| "unexpected EOF".to_string())?;
        let b = &self.buf[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    /// Skips a field of wire type `wire`.
    fn skip(&mut self, wire: u64) -> Result<(), String> {
        match wire {
            0 => self.varint().map(|_| ()),
            1 => self.advance(8),
            2 => self.bytes().map(|_| ()),
            5 => self.advance(4),
            w => Err(format!("proto: illegal wireType {w}")),
        }
    }

    fn advance(&mut self, n: usize) -> Result<(), String> {
        if self.pos + n > self.buf.len() {
            return Err("unexpected EOF".into());
        }
        self.pos += n;
        Ok(())
    }

    /// The next field's number and wire type.
    fn tag(&mut self) -> Result<(u64, u64), String> {
        let t = self.varint()?;
        Ok((t >> 3, t & 7))
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn expect_wire(field: u64, wire: u64, want: u64) -> Result<(), String> {
    if wire == want {
        Ok(())
    } else {
        Err(format!(
            "proto: wrong wireType = {wire} for field {}",
            match field {
                1 => "Streams",
                _ => "field",
            }
        ))
    }
}

/// Decodes an uncompressed `PushRequest`. `max_entries` bounds how many entries it may hold (a small body
/// can announce many tiny entries); past it decoding fails.
pub fn decode_push_request(buf: &[u8], max_entries: usize) -> Result<Vec<PushStream>, String> {
    let mut c = Cursor::new(buf);
    let mut streams = Vec::new();
    let mut entries = 0usize;
    while !c.done() {
        let (field, wire) = c.tag()?;
        if field != 1 {
            c.skip(wire)?;
            continue;
        }
        expect_wire(field, wire, 2)?;
        let stream = decode_stream(c.bytes()?, &mut entries, max_entries)?;
        streams.push(stream);
    }
    Ok(streams)
}

fn decode_stream(
    buf: &[u8],
    entries: &mut usize,
    max_entries: usize,
) -> Result<PushStream, String> {
    let mut c = Cursor::new(buf);
    let mut s = PushStream::default();
    while !c.done() {
        let (field, wire) = c.tag()?;
        match (field, wire) {
            (1, 2) => s.labels = text(c.bytes()?),
            (2, 2) => {
                *entries += 1;
                if *entries > max_entries {
                    return Err(format!("the request holds more than {max_entries} entries"));
                }
                s.entries.push(decode_entry(c.bytes()?)?);
            }
            (1 | 2, w) => return Err(format!("proto: wrong wireType = {w} for a stream field")),
            (_, w) => c.skip(w)?,
        }
    }
    Ok(s)
}

fn decode_entry(buf: &[u8]) -> Result<PushEntry, String> {
    let mut c = Cursor::new(buf);
    let mut e = PushEntry::default();
    let (mut secs, mut nanos) = (0i64, 0i64);
    while !c.done() {
        let (field, wire) = c.tag()?;
        match (field, wire) {
            (1, 2) => {
                let mut t = Cursor::new(c.bytes()?);
                while !t.done() {
                    match t.tag()? {
                        (1, 0) => secs = t.varint()? as i64,
                        (2, 0) => nanos = i64::from(t.varint()? as i32),
                        (_, w) => t.skip(w)?,
                    }
                }
            }
            (2, 2) => e.line = text(c.bytes()?),
            (3, 2) => {
                let mut p = Cursor::new(c.bytes()?);
                let (mut name, mut value) = (String::new(), String::new());
                while !p.done() {
                    match p.tag()? {
                        (1, 2) => name = text(p.bytes()?),
                        (2, 2) => value = text(p.bytes()?),
                        (_, w) => p.skip(w)?,
                    }
                }
                e.structured_metadata.push((name, value));
            }
            (1..=3, w) => return Err(format!("proto: wrong wireType = {w} for an entry field")),
            (_, w) => c.skip(w)?,
        }
    }
    e.timestamp_ns = secs.saturating_mul(1_000_000_000).saturating_add(nanos);
    Ok(e)
}

/// The messages written with prost's derive: the reference the hand-written codec is tested against.
#[cfg(test)]
pub mod reference {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PushRequest {
        #[prost(message, repeated, tag = "1")]
        pub streams: Vec<StreamAdapter>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StreamAdapter {
        #[prost(string, tag = "1")]
        pub labels: String,
        #[prost(message, repeated, tag = "2")]
        pub entries: Vec<EntryAdapter>,
        #[prost(uint64, tag = "3")]
        pub hash: u64,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct EntryAdapter {
        #[prost(message, optional, tag = "1")]
        pub timestamp: Option<Timestamp>,
        #[prost(string, tag = "2")]
        pub line: String,
        #[prost(message, repeated, tag = "3")]
        pub structured_metadata: Vec<LabelPairAdapter>,
        #[prost(message, repeated, tag = "4")]
        pub parsed: Vec<LabelPairAdapter>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LabelPairAdapter {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub value: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Timestamp {
        #[prost(int64, tag = "1")]
        pub seconds: i64,
        #[prost(int32, tag = "2")]
        pub nanos: i32,
    }
}

#[cfg(test)]
mod tests {
    use super::reference::*;
    use super::*;
    use ingot_prom::labels::Labels;
    use prost::Message;

    fn entry(ts: i64, line: &str, sm: &[(&str, &str)]) -> Entry {
        let mut e = Entry::new(Labels::empty(), ts, line);
        e.structured_metadata = sm
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        e
    }

    #[test]
    fn the_encoding_is_what_prost_reads_and_writes() {
        let es = [
            entry(1_700_000_000_123_456_789, "hello", &[("trace_id", "abc")]),
            entry(0, "", &[]),
            entry(-1, "before 1970", &[("", "v"), ("k", "")]),
            entry(5, "ünïcode ✓", &[]),
        ];
        let streams = [
            StreamRef {
                labels: r#"{job="a"}"#,
                entries: vec![&es[0], &es[1]],
            },
            StreamRef {
                labels: "",
                entries: vec![&es[2], &es[3]],
            },
        ];
        let mut ours = Vec::new();
        encode_push_request(&streams, &mut ours);
        let decoded = PushRequest::decode(ours.as_slice()).unwrap();
        let ts = |ns: i64| {
            let (seconds, nanos) = split_timestamp(ns);
            Some(Timestamp { seconds, nanos })
        };
        let want = PushRequest {
            streams: vec![
                StreamAdapter {
                    labels: r#"{job="a"}"#.into(),
                    entries: vec![
                        EntryAdapter {
                            timestamp: ts(1_700_000_000_123_456_789),
                            line: "hello".into(),
                            structured_metadata: vec![LabelPairAdapter {
                                name: "trace_id".into(),
                                value: "abc".into(),
                            }],
                            parsed: vec![],
                        },
                        EntryAdapter {
                            timestamp: ts(0),
                            line: String::new(),
                            structured_metadata: vec![],
                            parsed: vec![],
                        },
                    ],
                    hash: 0,
                },
                StreamAdapter {
                    labels: String::new(),
                    entries: vec![
                        EntryAdapter {
                            timestamp: ts(-1),
                            line: "before 1970".into(),
                            structured_metadata: vec![
                                LabelPairAdapter {
                                    name: String::new(),
                                    value: "v".into(),
                                },
                                LabelPairAdapter {
                                    name: "k".into(),
                                    value: String::new(),
                                },
                            ],
                            parsed: vec![],
                        },
                        EntryAdapter {
                            timestamp: ts(5),
                            line: "ünïcode ✓".into(),
                            structured_metadata: vec![],
                            parsed: vec![],
                        },
                    ],
                    hash: 0,
                },
            ],
        };
        assert_eq!(decoded, want);
        // prost writes the same bytes.
        assert_eq!(want.encode_to_vec(), ours);
        // And the decoder reads them back.
        let back = decode_push_request(&ours, 100).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].entries[0].timestamp_ns, 1_700_000_000_123_456_789);
        assert_eq!(back[1].entries[0].timestamp_ns, -1);
        assert_eq!(
            back[0].entries[0].structured_metadata,
            vec![("trace_id".to_string(), "abc".to_string())]
        );
        assert_eq!(back[1].entries[1].line, "ünïcode ✓");
        assert!(decode_push_request(&ours, 3).is_err());
    }

    #[test]
    fn the_decoder_refuses_truncated_input_and_never_panics() {
        let e = entry(1, "line", &[("a", "b")]);
        let mut buf = Vec::new();
        encode_push_request(
            &[StreamRef {
                labels: "{a=\"b\"}",
                entries: vec![&e],
            }],
            &mut buf,
        );
        for cut in 0..buf.len() {
            let _ = decode_push_request(&buf[..cut], 10);
        }
        assert!(decode_push_request(&buf[..buf.len() - 1], 10).is_err());
        // Invalid UTF-8 is kept with replacement characters, as a Go string would hold it.
        let raw = PushRequest {
            streams: vec![StreamAdapter {
                labels: "{}".into(),
                entries: vec![EntryAdapter {
                    timestamp: None,
                    line: "x".into(),
                    structured_metadata: vec![],
                    parsed: vec![],
                }],
                hash: 7,
            }],
        }
        .encode_to_vec();
        let mut bad = raw.clone();
        let at = bad.iter().rposition(|&b| b == b'x').unwrap();
        bad[at] = 0xff;
        let s = decode_push_request(&bad, 10).unwrap();
        assert_eq!(s[0].entries[0].line, "\u{fffd}");
    }

    #[test]
    fn label_strings_are_lokis() {
        let l = Labels::from_pairs(&[("job", "a\"b"), ("__path__", "/x"), ("host", "h\n")]);
        assert_eq!(label_string(l.iter()), r#"{host="h\n", job="a\"b"}"#);
        assert_eq!(label_string(Labels::empty().iter()), "{}");
    }
}
