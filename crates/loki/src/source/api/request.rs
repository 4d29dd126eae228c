//! A push request's body into streams, as Alloy's `loghttp.ParsePushRequest` reads it: `Content-Encoding`
//! none or `snappy` (the body as sent), `gzip` or `deflate` (decompressed first); `Content-Type`
//! `application/json` is Loki's JSON push, anything else protobuf in snappy block compression. Every size is
//! bounded by `max_send_message_size`, before and after decompression; past it the answer is 413 naming the
//! limit (Alloy answers 400 with the same words).

use std::collections::BTreeMap;
use std::io::Read;

use crate::push::{decode_push_request, PushEntry, PushStream};

use super::labels::label_set_string;

/// Most entries one request may carry (a small body can announce many tiny entries).
pub const MAX_ENTRIES: usize = 1_000_000;

#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal {
        status: 400,
        message: message.into(),
    }
}

/// Alloy's `messageSizeLargerErrFmt`, answered 413.
pub fn too_large(size: usize, max: usize) -> Refusal {
    Refusal {
        status: 413,
        message: format!("message size too large than max ({size} vs {max})"),
    }
}

/// Reads all of `r`, failing with 413 past `max` bytes.
fn read_bounded(r: impl Read, max: usize) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let n = r
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| bad(e.to_string()))?;
    if n > max {
        return Err(too_large(n, max));
    }
    Ok(out)
}

/// The media type of a `Content-Type` as Go's `mime.ParseMediaType` gives it: lowercased, parameters
/// dropped; an empty header is an error there too.
fn media_type(content_type: Option<&str>) -> Result<String, Refusal> {
    let ct = content_type.unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if media.is_empty() {
        return Err(bad("mime: no media type"));
    }
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
    };
    match media.split_once('/') {
        Some((a, b)) if valid(a) && valid(b) => Ok(media.to_ascii_lowercase()),
        None if valid(media) => Ok(media.to_ascii_lowercase()),
        _ => Err(bad("mime: expected token after slash")),
    }
}

/// The body after its `Content-Encoding`.
fn decoded_body(
    content_encoding: Option<&str>,
    body: &[u8],
    max: usize,
) -> Result<Vec<u8>, Refusal> {
    match content_encoding.unwrap_or("") {
        "" | "snappy" => Ok(body.to_vec()),
        "gzip" => read_bounded(flate2::read::MultiGzDecoder::new(body), max),
        "deflate" => read_bounded(flate2::read::DeflateDecoder::new(body), max),
        other => Err(bad(format!("Content-Encoding {other:?} not supported"))),
    }
}

/// Decodes a push body into its streams.
pub fn decode_push(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &[u8],
    max: usize,
) -> Result<Vec<PushStream>, Refusal> {
    if body.len() > max {
        return Err(too_large(body.len(), max));
    }
    let body = decoded_body(content_encoding, body, max)?;
    let media = media_type(content_type)?;
    if media == "application/json" {
        return decode_json(&body);
    }
    let size = snap::raw::decompress_len(&body).map_err(|e| bad(format!("snappy: {e}")))?;
    if size > max {
        return Err(too_large(size, max));
    }
    let raw = snap::raw::Decoder::new()
        .decompress_vec(&body)
        .map_err(|e| bad(format!("snappy: {e}")))?;
    decode_push_request(&raw, MAX_ENTRIES).map_err(|e| {
        if e.contains("more than") {
            Refusal {
                status: 413,
                message: e,
            }
        } else {
            bad(e)
        }
    })
}

fn decode_json(body: &[u8]) -> Result<Vec<PushStream>, Refusal> {
    let doc: serde_json::Value = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    let Some(streams) = doc.get("streams") else {
        return Ok(out);
    };
    let streams = match streams {
        serde_json::Value::Null => return Ok(out),
        serde_json::Value::Array(a) => a,
        _ => return Err(bad("streams: expected an array")),
    };
    let mut entries_seen = 0usize;
    for s in streams {
        let mut stream = PushStream::default();
        if let Some(labels) = s.get("stream") {
            let obj = labels
                .as_object()
                .ok_or_else(|| bad("stream: expected an object of labels"))?;
            let mut map = BTreeMap::new();
            for (k, v) in obj {
                let v = v
                    .as_str()
                    .ok_or_else(|| bad(format!("stream: label {k:?} is not a string")))?;
                map.insert(k.clone(), v.to_string());
            }
            stream.labels = label_set_string(&map);
        }
        match s.get("values") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Array(values)) => {
                for v in values {
                    if v.is_null() {
                        continue;
                    }
                    entries_seen += 1;
                    if entries_seen > MAX_ENTRIES {
                        return Err(Refusal {
                            status: 413,
                            message: format!("the request holds more than {MAX_ENTRIES} entries"),
                        });
                    }
                    stream.entries.push(json_entry(v)?);
                }
            }
            Some(_) => return Err(bad("values: expected an array")),
        }
        out.push(stream);
    }
    Ok(out)
}

/// One `[ "<unix ns>", "<line>", {<structured metadata>} ]`.
fn json_entry(v: &serde_json::Value) -> Result<PushEntry, Refusal> {
    let items = v
        .as_array()
        .ok_or_else(|| bad("values: each entry must be an array"))?;
    let mut e = PushEntry::default();
    for (i, item) in items.iter().enumerate() {
        match i {
            0 => {
                let ts = item.as_str().ok_or_else(|| bad("Value is not a string"))?;
                e.timestamp_ns = ts
                    .parse::<i64>()
                    .map_err(|_| bad(format!("Value is not a number: {ts:?}")))?;
            }
            1 => {
                e.line = item
                    .as_str()
                    .ok_or_else(|| bad("Value is not a string"))?
                    .to_string()
            }
            2 => {
                let obj = item.as_object().ok_or_else(|| {
                    bad("Value looks like object, but can't find closing '}' symbol")
                })?;
                for (k, v) in obj {
                    let v = v.as_str().ok_or_else(|| bad("Value is not a string"))?;
                    e.structured_metadata.push((k.clone(), v.to_string()));
                }
            }
            _ => {}
        }
    }
    Ok(e)
}

/// `/loki/api/v1/raw`: one entry per line, `\r\n` or `\n` ended, empty lines skipped.
pub fn raw_lines(body: &[u8]) -> Vec<String> {
    body.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn snappy(b: &[u8]) -> Vec<u8> {
        snap::raw::Encoder::new().compress_vec(b).unwrap()
    }

    #[test]
    fn json_pushes_with_and_without_compression() {
        let body = br#"{"streams":[{"stream":{"job":"a","x":"y"},"values":[["1700000000000000001","one"],["2","two",{"trace_id":"t"}],null]},{"stream":{},"values":null}]}"#;
        let s = decode_push(Some("application/json; charset=utf-8"), None, body, 1 << 20).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].labels, r#"{job="a", x="y"}"#);
        assert_eq!(s[0].entries.len(), 2);
        assert_eq!(s[0].entries[0].timestamp_ns, 1_700_000_000_000_000_001);
        assert_eq!(
            s[0].entries[1].structured_metadata,
            vec![("trace_id".to_string(), "t".to_string())]
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(
            decode_push(Some("application/json"), Some("gzip"), &gz, 1 << 20).unwrap(),
            s
        );
        let mut df = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        df.write_all(body).unwrap();
        let df = df.finish().unwrap();
        assert_eq!(
            decode_push(Some("application/json"), Some("deflate"), &df, 1 << 20).unwrap(),
            s
        );
        // A gzip bomb stops at the limit.
        let big = vec![b' '; 10 << 20];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&big).unwrap();
        let gz = gz.finish().unwrap();
        let r = decode_push(Some("application/json"), Some("gzip"), &gz, 1 << 20).unwrap_err();
        assert_eq!(r.status, 413);
        assert!(r.message.contains("vs 1048576"), "{}", r.message);
    }

    #[test]
    fn bad_bodies_are_400_and_big_ones_413() {
        let r = decode_push(Some("application/json"), Some("br"), b"{}", 100).unwrap_err();
        assert_eq!(r, bad("Content-Encoding \"br\" not supported"));
        assert_eq!(
            decode_push(None, None, b"x", 100).unwrap_err(),
            bad("mime: no media type")
        );
        let r = decode_push(
            Some("application/json"),
            None,
            br#"{"streams":[{"values":[[1,"x"]]}]}"#,
            100,
        )
        .unwrap_err();
        assert_eq!(r.status, 400);
        let r = decode_push(Some("application/x-protobuf"), None, &[0u8; 200], 100).unwrap_err();
        assert_eq!(r, too_large(200, 100));
        // The snappy header announces more than the limit.
        let r = decode_push(
            Some("application/x-protobuf"),
            None,
            &snappy(&[0u8; 5000]),
            1000,
        )
        .unwrap_err();
        assert_eq!(r, too_large(5000, 1000));
        let r =
            decode_push(Some("application/x-protobuf"), None, b"\xff\xff\xff", 1000).unwrap_err();
        assert_eq!(r.status, 400);
    }

    #[test]
    fn raw_bodies_are_lines() {
        assert_eq!(raw_lines(b"a\r\n\nb\nc"), vec!["a", "b", "c"]);
        assert!(raw_lines(b"").is_empty());
    }
}
