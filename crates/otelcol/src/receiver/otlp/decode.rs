//! Request bodies into OTLP data: decompression within a bound, protobuf or OTLP/JSON, and the
//! `google.rpc.Status` answers the collector gives on errors.

use std::io::Read;

use ingot_otlp::{json, Data, Signal};
use prost::Message;

/// Why a body was not accepted: the HTTP status and the message.
#[derive(Debug, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub message: String,
}

impl Rejection {
    pub fn new(status: u16, message: impl Into<String>) -> Rejection {
        Rejection {
            status,
            message: message.into(),
        }
    }
}

/// How the body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Proto,
    Json,
}

impl Format {
    /// The `Content-Type` of a request (parameters ignored): `None` for what OTLP does not take.
    pub fn of(content_type: &str) -> Option<Format> {
        let base = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match base.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Format::Proto),
            "application/json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Proto => "application/x-protobuf",
            Format::Json => "application/json",
        }
    }
}

/// Decompresses `body` as `encoding` says, refusing output past `max` bytes (413).
pub fn decompress(
    encoding: &str,
    allowed: &[String],
    body: &[u8],
    max: u64,
) -> Result<Vec<u8>, Rejection> {
    let encoding = encoding.trim().to_ascii_lowercase();
    let encoding = if encoding == "identity" {
        String::new()
    } else {
        encoding
    };
    if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&encoding)) {
        return Err(Rejection::new(
            400,
            format!("unsupported Content-Encoding: {encoding:?}"),
        ));
    }
    let too_large = || {
        Rejection::new(
            413,
            format!("the decompressed request body is larger than the limit of {max} bytes"),
        )
    };
    let read_bounded = |r: &mut dyn Read| -> Result<Vec<u8>, Rejection> {
        let mut out = Vec::new();
        r.take(max + 1)
            .read_to_end(&mut out)
            .map_err(|e| Rejection::new(400, format!("decompressing the {encoding} body: {e}")))?;
        if out.len() as u64 > max {
            return Err(too_large());
        }
        Ok(out)
    };
    match encoding.as_str() {
        "" => Ok(body.to_vec()),
        "gzip" | "x-gzip" => read_bounded(&mut flate2::read::MultiGzDecoder::new(body)),
        "zlib" => read_bounded(&mut flate2::read::ZlibDecoder::new(body)),
        // Go's collector reads "deflate" with zlib framing too; raw deflate is accepted as a fallback.
        "deflate" => read_bounded(&mut flate2::read::ZlibDecoder::new(body))
            .or_else(|_| read_bounded(&mut flate2::read::DeflateDecoder::new(body))),
        "zstd" => {
            let mut d = zstd::stream::read::Decoder::new(body).map_err(|e| {
                Rejection::new(400, format!("decompressing the zstd body: {e}"))
            })?;
            read_bounded(&mut d)
        }
        "snappy" => {
            let len = snap::raw::decompress_len(body)
                .map_err(|e| Rejection::new(400, format!("decompressing the snappy body: {e}")))?;
            if len as u64 > max {
                return Err(too_large());
            }
            snap::raw::Decoder::new()
                .decompress_vec(body)
                .map_err(|e| Rejection::new(400, format!("decompressing the snappy body: {e}")))
        }
        "x-snappy-framed" => read_bounded(&mut snap::read::FrameDecoder::new(body)),
        other => Err(Rejection::new(
            400,
            format!("unsupported Content-Encoding: {other:?} (ingot decompresses gzip, zstd, zlib, deflate and snappy)"),
        )),
    }
}

/// Decodes an OTLP request body of `signal`.
pub fn decode(signal: Signal, format: Format, body: &[u8]) -> Result<Data, Rejection> {
    match format {
        Format::Proto => Data::decode_proto(signal, body).map_err(|e| {
            Rejection::new(
                400,
                format!(
                    "failed to unmarshal the {} request as protobuf: {e}",
                    signal.as_str()
                ),
            )
        }),
        Format::Json => json::decode(signal, body).map_err(|e| {
            Rejection::new(
                400,
                format!(
                    "failed to unmarshal the {} request as JSON: {e}",
                    signal.as_str()
                ),
            )
        }),
    }
}

/// `google.rpc.Status`, what the collector puts in an error response's body.
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// The gRPC code the collector pairs with an HTTP status.
pub fn grpc_code(status: u16) -> i32 {
    match status {
        400 => 3,  // INVALID_ARGUMENT
        401 => 16, // UNAUTHENTICATED
        413 => 8,  // RESOURCE_EXHAUSTED
        429 => 8,
        503 => 14, // UNAVAILABLE
        _ => 2,    // UNKNOWN
    }
}

/// An error body in the request's format.
pub fn status_body(format: Format, status: u16, message: &str) -> Vec<u8> {
    let s = RpcStatus {
        code: grpc_code(status),
        message: message.to_string(),
    };
    match format {
        Format::Proto => s.encode_to_vec(),
        Format::Json => serde_json::json!({"code": s.code, "message": s.message})
            .to_string()
            .into_bytes(),
    }
}

/// An empty success response (`Export*ServiceResponse` without partial success).
pub fn success_body(format: Format) -> Vec<u8> {
    match format {
        Format::Proto => Vec::new(),
        Format::Json => b"{}".to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn all() -> Vec<String> {
        crate::config::server::DEFAULT_COMPRESSION_ALGORITHMS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn decompresses_within_the_bound() {
        let body = vec![b'a'; 10_000];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(decompress("gzip", &all(), &gz, 10_000).unwrap(), body);
        assert_eq!(
            decompress("gzip", &all(), &gz, 9_999).unwrap_err().status,
            413
        );
        let zs = zstd::bulk::compress(&body, 3).unwrap();
        assert_eq!(decompress("zstd", &all(), &zs, 10_000).unwrap(), body);
        let sn = snap::raw::Encoder::new().compress_vec(&body).unwrap();
        assert_eq!(decompress("snappy", &all(), &sn, 10_000).unwrap(), body);
        assert_eq!(
            decompress("gzip", &all(), b"not gzip", 100)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(decompress("br", &all(), b"", 100).unwrap_err().status, 400);
        assert_eq!(
            decompress("gzip", &["".to_string()], &gz, 10_000)
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn malformed_bodies_are_400_with_the_cause() {
        let r = decode(Signal::Traces, Format::Proto, b"\xff\xff\xff").unwrap_err();
        assert_eq!(r.status, 400);
        assert!(
            r.message
                .starts_with("failed to unmarshal the traces request as protobuf"),
            "{}",
            r.message
        );
        let r = decode(Signal::Logs, Format::Json, b"{\"resourceLogs\":[{").unwrap_err();
        assert!(r.message.contains("as JSON: invalid JSON"), "{}", r.message);
    }
}
