//! Decoding Remote Write requests from untrusted senders within bounds. A snappy body says how large it
//! will be once decompressed, and protobuf lets a few bytes stand for a whole structure (an empty series is
//! two bytes and a decoded struct of a hundred), so three limits are checked before anything is allocated
//! for the request: the compressed size, the decompressed size announced in the snappy header, and the
//! number of elements (series, labels, samples, exemplars, metadata, symbols) a scan of the protobuf wire
//! counts. Each refusal names its limit.

use prost::Message;

use super::proto::{self, v2};

/// The bounds one request is decoded within.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the decompressed protobuf message.
    pub max_decompressed: usize,
    /// Series, labels, samples, exemplars, metadata entries and symbols together.
    pub max_elements: usize,
}

/// Why a request was not decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Over one of [`Limits`]: the request is too large (HTTP 413).
    TooLarge(String),
    /// Not snappy, or not the protobuf message (HTTP 400).
    Invalid(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLarge(m) | DecodeError::Invalid(m) => f.write_str(m),
        }
    }
}

/// What a field of a message holds, for counting elements without decoding.
#[derive(Clone, Copy)]
enum Field {
    /// A repeated message, each occurrence one element, walked with its own schema.
    Message(&'static [(u32, Field)]),
    /// A string or bytes: one element.
    Leaf,
    /// Packed varints (`labels_refs`): one element per eight values, as each value decodes to 4 bytes
    /// where an element is a struct of tens.
    Packed,
}

const V1_LABEL: &[(u32, Field)] = &[];
const V1_EXEMPLAR: &[(u32, Field)] = &[(1, Field::Message(V1_LABEL))];
const V1_SERIES: &[(u32, Field)] = &[
    (1, Field::Message(V1_LABEL)),
    (2, Field::Message(&[])),
    (3, Field::Message(V1_EXEMPLAR)),
];
const V1_REQUEST: &[(u32, Field)] = &[(1, Field::Message(V1_SERIES)), (3, Field::Message(&[]))];

const V2_EXEMPLAR: &[(u32, Field)] = &[(1, Field::Packed)];
const V2_SERIES: &[(u32, Field)] = &[
    (1, Field::Packed),
    (2, Field::Message(&[])),
    (4, Field::Message(V2_EXEMPLAR)),
    (5, Field::Message(&[])),
];
const V2_REQUEST: &[(u32, Field)] = &[(4, Field::Leaf), (5, Field::Message(V2_SERIES))];

fn varint(buf: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Counts the elements of `buf` (a message of `schema`) into `count`, stopping at `max`. Malformed wire
/// data stops the count; the protobuf decoder then reports it.
fn count(buf: &[u8], schema: &[(u32, Field)], total: &mut usize, max: usize) {
    let mut at = 0;
    while at < buf.len() && *total <= max {
        let Some(key) = varint(buf, &mut at) else {
            return;
        };
        let (number, wire) = ((key >> 3) as u32, key & 7);
        match wire {
            0 => {
                if varint(buf, &mut at).is_none() {
                    return;
                }
            }
            1 => at += 8,
            5 => at += 4,
            2 => {
                let Some(len) = varint(buf, &mut at) else {
                    return;
                };
                let Some(end) = at.checked_add(len as usize).filter(|e| *e <= buf.len()) else {
                    return;
                };
                let body = &buf[at..end];
                match schema.iter().find(|(n, _)| *n == number).map(|(_, f)| *f) {
                    Some(Field::Message(inner)) => {
                        *total += 1;
                        count(body, inner, total, max);
                    }
                    Some(Field::Leaf) => *total += 1,
                    Some(Field::Packed) => *total += body.len() / 8 + 1,
                    None => {}
                }
                at = end;
            }
            _ => return,
        }
    }
}

/// Decompresses `body` after checking the size its snappy header announces.
fn decompress(body: &[u8], limits: &Limits) -> Result<Vec<u8>, DecodeError> {
    let len = snap::raw::decompress_len(body)
        .map_err(|e| DecodeError::Invalid(format!("snappy: {e}")))?;
    if len > limits.max_decompressed {
        return Err(DecodeError::TooLarge(format!(
            "the request decompresses to {len} bytes, over the receiver's limit of {} bytes",
            limits.max_decompressed
        )));
    }
    let mut out = vec![0; len];
    snap::raw::Decoder::new()
        .decompress(body, &mut out)
        .map_err(|e| DecodeError::Invalid(format!("snappy: {e}")))?;
    Ok(out)
}

fn check_elements(raw: &[u8], schema: &[(u32, Field)], limits: &Limits) -> Result<(), DecodeError> {
    let mut total = 0;
    count(raw, schema, &mut total, limits.max_elements);
    if total > limits.max_elements {
        return Err(DecodeError::TooLarge(format!(
            "the request holds more than {} series, labels, samples and other elements, the receiver's limit",
            limits.max_elements
        )));
    }
    Ok(())
}

/// An RW 1.0 body within `limits`.
pub fn decode_v1(body: &[u8], limits: &Limits) -> Result<proto::WriteRequest, DecodeError> {
    let raw = decompress(body, limits)?;
    check_elements(&raw, V1_REQUEST, limits)?;
    proto::WriteRequest::decode(raw.as_slice())
        .map_err(|e| DecodeError::Invalid(format!("protobuf: {e}")))
}

/// An RW 2.0 body within `limits`.
pub fn decode_v2(body: &[u8], limits: &Limits) -> Result<v2::Request, DecodeError> {
    let raw = decompress(body, limits)?;
    check_elements(&raw, V2_REQUEST, limits)?;
    v2::Request::decode(raw.as_slice()).map_err(|e| DecodeError::Invalid(format!("protobuf: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;
    use crate::remote_write::encode::{encode_v1, encode_v2, snappy_compress};
    use crate::remote_write::ExternalLabels;
    use crate::sample::Sample;

    const LIMITS: Limits = Limits {
        max_decompressed: 1 << 20,
        max_elements: 1000,
    };

    fn v1(samples: &[Sample]) -> Vec<u8> {
        let mut raw = Vec::new();
        encode_v1(&mut raw, &ExternalLabels::default(), samples, false, &[]);
        let mut body = Vec::new();
        snappy_compress(&raw, &mut body);
        body
    }

    fn v2(samples: &[Sample]) -> Vec<u8> {
        let mut raw = Vec::new();
        encode_v2(
            &mut raw,
            &ExternalLabels::default(),
            samples,
            false,
            &Default::default(),
        );
        let mut body = Vec::new();
        snappy_compress(&raw, &mut body);
        body
    }

    fn samples(n: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                labels: Labels::from_pairs(&[("__name__", "m"), ("i", &i.to_string())]),
                timestamp_ms: 1,
                value: 1.0,
                exemplar: None,
            })
            .collect()
    }

    #[test]
    fn requests_within_the_limits_decode_as_before() {
        let body = v1(&samples(100));
        assert_eq!(decode_v1(&body, &LIMITS).unwrap().timeseries.len(), 100);
        let body = v2(&samples(100));
        assert_eq!(decode_v2(&body, &LIMITS).unwrap().timeseries.len(), 100);
    }

    #[test]
    fn a_snappy_bomb_is_refused_before_decompressing() {
        // 16 MiB of empty series (`0a 00` repeated) compresses to under a megabyte.
        let raw: Vec<u8> = [0x0a, 0x00].repeat(8 << 20);
        let mut body = Vec::new();
        snappy_compress(&raw, &mut body);
        assert!(body.len() < raw.len() / 16);
        match decode_v1(&body, &LIMITS) {
            Err(DecodeError::TooLarge(m)) => assert!(m.contains("limit of 1048576 bytes"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Within the size limit, the element count stops it.
        let raw: Vec<u8> = [0x0a, 0x00].repeat(5000);
        let mut body = Vec::new();
        snappy_compress(&raw, &mut body);
        match decode_v1(&body, &LIMITS) {
            Err(DecodeError::TooLarge(m)) => assert!(m.contains("more than 1000"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn series_labels_and_samples_all_count() {
        // 100 series of 2 labels and 1 sample: 400 elements; 300 series are 1200.
        let body = v1(&samples(300));
        assert!(matches!(
            decode_v1(&body, &LIMITS),
            Err(DecodeError::TooLarge(_))
        ));
        let body = v2(&samples(300));
        assert!(matches!(
            decode_v2(&body, &LIMITS),
            Err(DecodeError::TooLarge(_))
        ));
    }

    #[test]
    fn garbage_is_invalid_not_a_panic() {
        assert!(matches!(
            decode_v1(b"\xff\xff\xff\xff\xff", &LIMITS),
            Err(DecodeError::Invalid(_))
        ));
    }
}
