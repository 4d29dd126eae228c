//! Encoding write requests: RW 1.0 with a hand-written protobuf encoder that allocates nothing per
//! sample (checked byte for byte against prost in the tests), RW 2.0 through the prost types, and the
//! snappy block format both use.

use std::collections::HashMap;

use prost::Message;

use super::proto::{self, v2};
use crate::labels::Labels;
use crate::sample::{Metadata, Sample};

/// Labels added to every series that does not already carry the name (Prometheus' `external_labels`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExternalLabels(Vec<(String, String)>);

impl ExternalLabels {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> ExternalLabels {
        let mut v: Vec<(String, String)> =
            pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        v.sort();
        v.dedup_by(|a, b| a.0 == b.0);
        ExternalLabels(v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The series' labels merged with these, sorted by name; on a shared name the series wins. Empty values
    /// are left out: Remote Write forbids them and Prometheus treats them as absent.
    pub fn merged<'a>(
        &'a self,
        labels: &'a Labels,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        Merge {
            series: labels.iter().peekable(),
            external: self
                .0
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .peekable(),
        }
        .filter(|(_, v)| !v.is_empty())
    }
}

struct Merge<A: Iterator, B: Iterator> {
    series: std::iter::Peekable<A>,
    external: std::iter::Peekable<B>,
}

impl<'a, A, B> Iterator for Merge<A, B>
where
    A: Iterator<Item = (&'a str, &'a str)>,
    B: Iterator<Item = (&'a str, &'a str)>,
{
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        match (self.series.peek(), self.external.peek()) {
            (Some(s), Some(e)) => match s.0.cmp(e.0) {
                std::cmp::Ordering::Less => self.series.next(),
                std::cmp::Ordering::Greater => self.external.next(),
                std::cmp::Ordering::Equal => {
                    self.external.next();
                    self.series.next()
                }
            },
            (Some(_), None) => self.series.next(),
            (None, _) => self.external.next(),
        }
    }
}

// Protobuf wire helpers. Tags are (field << 3) | wire type; 2 is length-delimited, 1 is 64-bit, 0 varint.

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Size of a length-delimited field with a one-byte tag.
fn delimited_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

fn put_delimited_header(buf: &mut Vec<u8>, tag: u8, len: usize) {
    buf.push(tag);
    put_varint(buf, len as u64);
}

fn put_string(buf: &mut Vec<u8>, tag: u8, s: &str) {
    if s.is_empty() {
        return;
    }
    put_delimited_header(buf, tag, s.len());
    buf.extend_from_slice(s.as_bytes());
}

fn string_field_len(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        delimited_len(s.len())
    }
}

fn label_len(name: &str, value: &str) -> usize {
    string_field_len(name) + string_field_len(value)
}

/// Sample { double value = 1; int64 timestamp = 2; }; proto3 leaves zero values out, as prost and gogo do.
fn sample_len(value: f64, ts: i64) -> usize {
    (if value != 0.0 { 9 } else { 0 })
        + (if ts != 0 {
            1 + varint_len(ts as u64)
        } else {
            0
        })
}

fn put_sample_body(buf: &mut Vec<u8>, value: f64, ts: i64) {
    if value != 0.0 {
        buf.push(0x09);
        buf.extend_from_slice(&value.to_bits().to_le_bytes());
    }
    if ts != 0 {
        buf.push(0x10);
        put_varint(buf, ts as u64);
    }
}

fn labels_body_len<'a>(labels: impl Iterator<Item = (&'a str, &'a str)>) -> usize {
    labels.map(|(n, v)| delimited_len(label_len(n, v))).sum()
}

fn put_labels<'a>(buf: &mut Vec<u8>, tag: u8, labels: impl Iterator<Item = (&'a str, &'a str)>) {
    for (n, v) in labels {
        put_delimited_header(buf, tag, label_len(n, v));
        put_string(buf, 0x0A, n);
        put_string(buf, 0x12, v);
    }
}

/// Appends one `WriteRequest.timeseries` entry (field 1) carrying a single sample, as Prometheus sends them.
pub fn put_v1_series(buf: &mut Vec<u8>, external: &ExternalLabels, sample: &Sample) {
    let labels_len = labels_body_len(external.merged(&sample.labels));
    let s_len = sample_len(sample.value, sample.timestamp_ms);
    let series_len = labels_len + delimited_len(s_len);
    put_delimited_header(buf, 0x0A, series_len);
    put_labels(buf, 0x0A, external.merged(&sample.labels));
    put_delimited_header(buf, 0x12, s_len);
    put_sample_body(buf, sample.value, sample.timestamp_ms);
}

/// Appends one timeseries entry that carries only the sample's exemplar (Prometheus sends exemplars in
/// series entries of their own). Nothing when the sample has no exemplar.
pub fn put_v1_exemplar(buf: &mut Vec<u8>, external: &ExternalLabels, sample: &Sample) {
    let Some(ex) = &sample.exemplar else { return };
    let ts = ex.timestamp_ms.unwrap_or(sample.timestamp_ms);
    let ex_labels = labels_body_len(ex.labels.iter().filter(|(_, v)| !v.is_empty()));
    let ex_len = ex_labels
        + (if ex.value != 0.0 { 9 } else { 0 })
        + (if ts != 0 {
            1 + varint_len(ts as u64)
        } else {
            0
        });
    let series_len = labels_body_len(external.merged(&sample.labels)) + delimited_len(ex_len);
    put_delimited_header(buf, 0x0A, series_len);
    put_labels(buf, 0x0A, external.merged(&sample.labels));
    put_delimited_header(buf, 0x1A, ex_len);
    put_labels(buf, 0x0A, ex.labels.iter().filter(|(_, v)| !v.is_empty()));
    if ex.value != 0.0 {
        buf.push(0x11);
        buf.extend_from_slice(&ex.value.to_bits().to_le_bytes());
    }
    if ts != 0 {
        buf.push(0x18);
        put_varint(buf, ts as u64);
    }
}

/// Appends one `WriteRequest.metadata` entry (field 3).
pub fn put_v1_metadata(buf: &mut Vec<u8>, m: &Metadata) {
    let kind = m.kind as i32 as u64;
    let len = (if kind != 0 { 1 + varint_len(kind) } else { 0 })
        + string_field_len(&m.metric_family)
        + string_field_len(&m.help)
        + string_field_len(&m.unit);
    put_delimited_header(buf, 0x1A, len);
    if kind != 0 {
        buf.push(0x08);
        put_varint(buf, kind);
    }
    put_string(buf, 0x12, &m.metric_family);
    put_string(buf, 0x22, &m.help);
    put_string(buf, 0x2A, &m.unit);
}

/// An RW 1.0 `WriteRequest` with one timeseries per sample (plus exemplar series when asked) and the
/// given metadata, appended to `buf`.
pub fn encode_v1(
    buf: &mut Vec<u8>,
    external: &ExternalLabels,
    samples: &[Sample],
    send_exemplars: bool,
    metadata: &[Metadata],
) {
    for s in samples {
        put_v1_series(buf, external, s);
    }
    if send_exemplars {
        for s in samples {
            put_v1_exemplar(buf, external, s);
        }
    }
    for m in metadata {
        put_v1_metadata(buf, m);
    }
}

/// The family a series belongs to, for looking up its metadata: the name itself, or the name without the
/// suffix a histogram, summary or counter series adds.
pub fn metric_family_of(name: &str) -> impl Iterator<Item = &str> {
    const SUFFIXES: [&str; 6] = ["_bucket", "_count", "_sum", "_total", "_created", "_info"];
    std::iter::once(name).chain(
        SUFFIXES
            .into_iter()
            .filter_map(move |s| name.strip_suffix(s)),
    )
}

/// An RW 2.0 `Request`: strings interned in the symbol table (`symbols[0]` is ""), each sample its own
/// series with its family's metadata when known.
pub fn encode_v2(
    buf: &mut Vec<u8>,
    external: &ExternalLabels,
    samples: &[Sample],
    send_exemplars: bool,
    metadata: &HashMap<String, Metadata>,
) {
    let mut symbols: Vec<String> = vec![String::new()];
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut intern = |s: &str| -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&i) = index.get(s) {
            return i;
        }
        let i = symbols.len() as u32;
        symbols.push(s.to_string());
        index.insert(s.to_string(), i);
        i
    };
    let mut timeseries = Vec::with_capacity(samples.len());
    for s in samples {
        let mut labels_refs = Vec::with_capacity(2 * s.labels.len() + 2 * external.0.len());
        for (n, v) in external.merged(&s.labels) {
            labels_refs.push(intern(n));
            labels_refs.push(intern(v));
        }
        let meta = metric_family_of(s.labels.metric_name()).find_map(|f| metadata.get(f));
        let metadata = meta.map(|m| v2::Metadata {
            r#type: m.kind as i32,
            help_ref: intern(&m.help),
            unit_ref: intern(&m.unit),
        });
        let exemplars = match (&s.exemplar, send_exemplars) {
            (Some(ex), true) => vec![v2::Exemplar {
                labels_refs: ex
                    .labels
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .flat_map(|(n, v)| [intern(n), intern(v)])
                    .collect(),
                value: ex.value,
                timestamp: ex.timestamp_ms.unwrap_or(s.timestamp_ms),
            }],
            _ => Vec::new(),
        };
        timeseries.push(v2::TimeSeries {
            labels_refs,
            samples: vec![v2::Sample {
                value: s.value,
                timestamp: s.timestamp_ms,
                start_timestamp: 0,
            }],
            exemplars,
            metadata,
        });
    }
    let request = v2::Request {
        symbols,
        timeseries,
    };
    // Encoding into a Vec cannot run out of room.
    let _ = request.encode(buf);
}

/// Snappy block format (a varint of the uncompressed length, then the compressed stream); never the framed
/// format, which Remote Write forbids.
pub fn snappy_compress(input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.resize(snap::raw::max_compress_len(input.len()), 0);
    let n = snap::raw::Encoder::new()
        .compress(input, out)
        .expect("the output buffer is sized by max_compress_len");
    out.truncate(n);
}

pub fn snappy_decompress(input: &[u8]) -> Result<Vec<u8>, String> {
    snap::raw::Decoder::new()
        .decompress_vec(input)
        .map_err(|e| format!("snappy: {e}"))
}

/// Decodes an RW 1.0 body (snappy-compressed protobuf), as a receiver would.
pub fn decode_v1(body: &[u8]) -> Result<proto::WriteRequest, String> {
    let raw = snappy_decompress(body)?;
    proto::WriteRequest::decode(raw.as_slice()).map_err(|e| format!("protobuf: {e}"))
}

/// Decodes an RW 2.0 body.
pub fn decode_v2(body: &[u8]) -> Result<v2::Request, String> {
    let raw = snappy_decompress(body)?;
    v2::Request::decode(raw.as_slice()).map_err(|e| format!("protobuf: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{stale_nan, Exemplar, STALE_NAN_BITS};
    use crate::MetricType;

    fn sample(pairs: &[(&str, &str)], ts: i64, value: f64) -> Sample {
        Sample {
            labels: Labels::from_pairs(pairs),
            timestamp_ms: ts,
            value,
            exemplar: None,
        }
    }

    fn label(n: &str, v: &str) -> proto::Label {
        proto::Label {
            name: n.into(),
            value: v.into(),
        }
    }

    #[test]
    fn v1_encoding_matches_known_bytes() {
        let mut buf = Vec::new();
        encode_v1(
            &mut buf,
            &ExternalLabels::default(),
            &[sample(&[("__name__", "up")], 1, 1.0)],
            true,
            &[],
        );
        // WriteRequest{timeseries: [{labels: [{__name__, up}], samples: [{1.0, 1}]}]}, worked out by hand:
        // 0a 1d                     field 1 (timeseries), 29 bytes
        //   0a 0e                   field 1 (labels), 14 bytes
        //     0a 08 "__name__"      name
        //     12 02 "up"            value
        //   12 0b                   field 2 (samples), 11 bytes
        //     09 000000000000f03f   double 1.0
        //     10 01                 timestamp 1
        let expected: &[u8] = &[
            0x0a, 0x1d, 0x0a, 0x0e, 0x0a, 0x08, b'_', b'_', b'n', b'a', b'm', b'e', b'_', b'_',
            0x12, 0x02, b'u', b'p', 0x12, 0x0b, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x01,
        ];
        assert_eq!(buf, expected);
        let reference = proto::WriteRequest {
            timeseries: vec![proto::TimeSeries {
                labels: vec![label("__name__", "up")],
                samples: vec![proto::Sample {
                    value: 1.0,
                    timestamp: 1,
                }],
                exemplars: vec![],
            }],
            metadata: vec![],
        };
        assert_eq!(reference.encode_to_vec(), expected);
    }

    #[test]
    fn metadata_matches_known_bytes() {
        let mut buf = Vec::new();
        let m = Metadata {
            metric_family: "g".into(),
            kind: MetricType::Gauge,
            help: "h".into(),
            unit: String::new(),
        };
        encode_v1(&mut buf, &ExternalLabels::default(), &[], false, &[m]);
        // field 3, 8 bytes: type=2 (08 02), name "g" (12 01 67), help "h" (22 01 68)
        assert_eq!(
            buf,
            [0x1a, 0x08, 0x08, 0x02, 0x12, 0x01, b'g', 0x22, 0x01, b'h']
        );
    }

    #[test]
    fn hand_encoder_agrees_with_prost_and_keeps_order_and_stale_bits() {
        let external = ExternalLabels::new([
            ("cluster".to_string(), "c1".to_string()),
            ("job".to_string(), "ignored-series-wins".to_string()),
            ("Az".to_string(), "z".to_string()),
        ]);
        let mut with_exemplar = sample(
            &[("__name__", "req_total"), ("job", "api")],
            1_700_000_000_123,
            42.5,
        );
        with_exemplar.exemplar = Some(Box::new(Exemplar {
            labels: Labels::from_pairs(&[("trace_id", "abc")]),
            value: 0.25,
            timestamp_ms: Some(1_700_000_000_100),
        }));
        let samples = vec![
            with_exemplar,
            sample(
                &[("__name__", "up"), ("instance", "x:1"), ("job", "api")],
                -5,
                0.0,
            ),
            sample(
                &[("__name__", "up"), ("job", "api")],
                1_700_000_015_000,
                stale_nan(),
            ),
            sample(&[("__name__", "z"), ("empty", "")], 0, -1e300),
        ];
        let meta = vec![Metadata {
            metric_family: "req".into(),
            kind: MetricType::Counter,
            help: "Requests. \u{2713}".into(),
            unit: "requests".into(),
        }];
        let mut buf = Vec::new();
        encode_v1(&mut buf, &external, &samples, true, &meta);
        let decoded = proto::WriteRequest::decode(buf.as_slice()).unwrap();
        assert_eq!(
            decoded.encode_to_vec(),
            buf,
            "prost re-encodes to the same bytes"
        );
        assert_eq!(
            decoded.timeseries.len(),
            5,
            "4 samples and one exemplar series"
        );
        let first = &decoded.timeseries[0];
        assert_eq!(
            first.labels,
            vec![
                label("Az", "z"),
                label("__name__", "req_total"),
                label("cluster", "c1"),
                label("job", "api")
            ]
        );
        for ts in &decoded.timeseries {
            let names: Vec<_> = ts.labels.iter().map(|l| l.name.as_str()).collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted);
            assert!(ts.labels.iter().all(|l| !l.value.is_empty()));
        }
        assert_eq!(decoded.timeseries[1].samples[0].timestamp, -5);
        assert_eq!(
            decoded.timeseries[2].samples[0].value.to_bits(),
            STALE_NAN_BITS
        );
        assert_eq!(
            decoded.timeseries[4].exemplars[0].labels,
            vec![label("trace_id", "abc")]
        );
        assert_eq!(
            decoded.timeseries[4].exemplars[0].timestamp,
            1_700_000_000_100
        );
        assert_eq!(decoded.metadata[0].r#type, MetricType::Counter as i32);
        assert_eq!(decoded.metadata[0].unit, "requests");
    }

    #[test]
    fn v2_uses_a_symbol_table_starting_with_empty() {
        let mut meta = HashMap::new();
        meta.insert(
            "req".to_string(),
            Metadata {
                metric_family: "req".into(),
                kind: MetricType::Counter,
                help: "Requests.".into(),
                unit: String::new(),
            },
        );
        let samples = vec![
            sample(&[("__name__", "req_total"), ("job", "a")], 10, 1.0),
            sample(&[("__name__", "req_total"), ("job", "b")], 10, 2.0),
        ];
        let mut buf = Vec::new();
        encode_v2(&mut buf, &ExternalLabels::default(), &samples, true, &meta);
        let req = v2::Request::decode(buf.as_slice()).unwrap();
        assert_eq!(req.symbols[0], "");
        assert_eq!(req.timeseries.len(), 2);
        let resolve = |refs: &[u32]| -> Vec<String> {
            refs.iter()
                .map(|&r| req.symbols[r as usize].clone())
                .collect()
        };
        assert_eq!(
            resolve(&req.timeseries[1].labels_refs),
            ["__name__", "req_total", "job", "b"]
        );
        let md = req.timeseries[0].metadata.as_ref().unwrap();
        assert_eq!(md.r#type, MetricType::Counter as i32);
        assert_eq!(req.symbols[md.help_ref as usize], "Requests.");
        // "__name__", "req_total" and "job" are shared between both series.
        assert_eq!(req.symbols.len(), 1 + 3 + 2 + 1);
        // A 1.x receiver decoding this as a WriteRequest sees an empty message, not garbage.
        assert_eq!(
            proto::WriteRequest::decode(buf.as_slice()).unwrap(),
            proto::WriteRequest::default()
        );
    }

    #[test]
    fn snappy_is_the_block_format() {
        let input =
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".repeat(10);
        let mut out = Vec::new();
        snappy_compress(&input, &mut out);
        // The block format starts with the uncompressed length as a varint (680 = 0xa8 0x05); the framed
        // format would start with the stream identifier chunk 0xff 06 00 00 "sNaPpY".
        assert_eq!(&out[..2], &[0xa8, 0x05]);
        assert!(out.len() < input.len() / 5);
        assert_eq!(snappy_decompress(&out).unwrap(), input);
    }
}
