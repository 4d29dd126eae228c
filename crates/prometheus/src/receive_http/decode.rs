//! A Remote Write request into data-plane samples: the content type picks the message (RW 1.0
//! `prometheus.WriteRequest` or RW 2.0 `io.prometheus.write.v2.Request`), the body is snappy-compressed
//! protobuf. Failures carry the HTTP status Prometheus' receiver answers with and the reason.

use ingot_prom::labels::{Labels, LabelsBuilder};
use ingot_prom::remote_write::decode::{decode_v1, decode_v2, DecodeError, Limits};
use ingot_prom::remote_write::proto::Label;
use ingot_prom::remote_write::Protocol;
use ingot_prom::sample::Sample;

#[derive(Debug, Default)]
pub struct Decoded {
    pub samples: Vec<Sample>,
    /// Exemplars are not forwarded (see the component's docs).
    pub exemplars_dropped: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: String,
}

fn refuse(status: u16, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason: reason.into(),
    }
}

/// Which message the `Content-Type` announces: none or `application/x-protobuf` is RW 1.0, a `proto`
/// parameter names the message.
pub fn protocol_of(content_type: Option<&str>) -> Result<Protocol, Refusal> {
    let Some(ct) = content_type.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Protocol::V1);
    };
    let mut parts = ct.split(';').map(str::trim);
    let media = parts.next().unwrap_or("");
    if !media.eq_ignore_ascii_case("application/x-protobuf") {
        return Err(refuse(
            415,
            format!("unsupported Content-Type {ct:?}: expected application/x-protobuf"),
        ));
    }
    for p in parts {
        if let Some((k, v)) = p.split_once('=') {
            if k.trim().eq_ignore_ascii_case("proto") {
                let v = v.trim().trim_matches('"');
                return Protocol::from_message_name(v).ok_or_else(|| {
                    refuse(
                        415,
                        format!("unsupported remote write protobuf message {v:?}"),
                    )
                });
            }
        }
    }
    Ok(Protocol::V1)
}

fn labels_from(pairs: impl Iterator<Item = (String, String)>) -> Result<Labels, String> {
    let mut b = LabelsBuilder::new();
    for (n, v) in pairs {
        if n.is_empty() {
            return Err("a label with an empty name".into());
        }
        // Remote Write forbids empty values; Prometheus treats them as absent.
        if !v.is_empty() {
            b.push_unchecked(&n, &v);
        }
    }
    if let Some(dup) = b.duplicate_name() {
        return Err(format!("duplicate label name {dup:?}"));
    }
    let labels = b.labels();
    if labels.metric_name().is_empty() {
        return Err(format!("series {labels} has no __name__"));
    }
    Ok(labels)
}

/// The bounds a request is decoded within (see [`ingot_prom::remote_write::decode`]): bodies are at most
/// [`MAX_BODY_BYTES`], decompress to at most four times that, and hold at most a million elements.
pub const LIMITS: Limits = Limits {
    max_decompressed: 4 * MAX_BODY_BYTES,
    max_elements: 1_000_000,
};

/// Largest request body read. Remote Write batches are far smaller (Alloy and Prometheus send 2,000
/// samples per request by default, some tens of kilobytes); a larger body is answered 413.
pub const MAX_BODY_BYTES: usize = 8 << 20;

fn refusal(e: DecodeError) -> Refusal {
    match e {
        DecodeError::TooLarge(m) => refuse(413, m),
        DecodeError::Invalid(m) => refuse(400, m),
    }
}

/// Decodes a request body sent with `content_type` and `content_encoding`, within [`LIMITS`].
pub fn decode_request(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &[u8],
    accepted: &[Protocol],
) -> Result<Decoded, Refusal> {
    if let Some(enc) = content_encoding.map(str::trim).filter(|e| !e.is_empty()) {
        if !enc.eq_ignore_ascii_case("snappy") {
            return Err(refuse(
                415,
                format!("unsupported Content-Encoding {enc:?}: only snappy is accepted"),
            ));
        }
    }
    let protocol = protocol_of(content_type)?;
    if !accepted.contains(&protocol) {
        let name = match protocol {
            Protocol::V1 => Protocol::V1_NAME,
            Protocol::V2 => Protocol::V2_NAME,
        };
        return Err(refuse(
            415,
            format!("remote write message {name:?} is not accepted by this receiver (accepted_remote_write_protobuf_messages)"),
        ));
    }
    let mut out = Decoded::default();
    match protocol {
        Protocol::V1 => {
            let req = decode_v1(body, &LIMITS).map_err(refusal)?;
            for ts in req.timeseries {
                out.exemplars_dropped += ts.exemplars.len();
                if ts.samples.is_empty() {
                    continue;
                }
                let labels = labels_from(
                    ts.labels
                        .into_iter()
                        .map(|Label { name, value }| (name, value)),
                )
                .map_err(|e| refuse(400, e))?;
                for s in ts.samples {
                    out.samples.push(Sample {
                        labels: labels.clone(),
                        timestamp_ms: s.timestamp,
                        value: s.value,
                        exemplar: None,
                    });
                }
            }
        }
        Protocol::V2 => {
            let req = decode_v2(body, &LIMITS).map_err(refusal)?;
            let sym = |i: u32| -> Result<String, Refusal> {
                req.symbols.get(i as usize).cloned().ok_or_else(|| {
                    refuse(
                        400,
                        format!(
                            "symbol reference {i} out of range ({} symbols)",
                            req.symbols.len()
                        ),
                    )
                })
            };
            for ts in &req.timeseries {
                out.exemplars_dropped += ts.exemplars.len();
                if ts.samples.is_empty() {
                    continue;
                }
                if ts.labels_refs.len() % 2 != 0 {
                    return Err(refuse(400, "odd number of label references"));
                }
                let mut pairs = Vec::with_capacity(ts.labels_refs.len() / 2);
                for p in ts.labels_refs.chunks(2) {
                    pairs.push((sym(p[0])?, sym(p[1])?));
                }
                let labels = labels_from(pairs.into_iter()).map_err(|e| refuse(400, e))?;
                for s in &ts.samples {
                    out.samples.push(Sample {
                        labels: labels.clone(),
                        timestamp_ms: s.timestamp,
                        value: s.value,
                        exemplar: None,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_prom::remote_write::encode::{encode_v1, encode_v2, snappy_compress};
    use ingot_prom::remote_write::ExternalLabels;
    use ingot_prom::sample::{is_stale_nan, stale_nan};

    fn s(name: &str, ts: i64, v: f64) -> Sample {
        Sample {
            labels: Labels::from_pairs(&[("__name__", name), ("job", "j")]),
            timestamp_ms: ts,
            value: v,
            exemplar: None,
        }
    }

    fn v1_body(samples: &[Sample]) -> Vec<u8> {
        let mut raw = Vec::new();
        encode_v1(&mut raw, &ExternalLabels::default(), samples, false, &[]);
        let mut out = Vec::new();
        snappy_compress(&raw, &mut out);
        out
    }

    #[test]
    fn v1_and_v2_round_trip_with_staleness_markers() {
        let samples = vec![s("up", 1000, 1.0), s("x", 1001, stale_nan())];
        let d = decode_request(
            Some("application/x-protobuf"),
            Some("snappy"),
            &v1_body(&samples),
            &[Protocol::V1],
        )
        .unwrap();
        assert_eq!(d.samples.len(), 2);
        assert_eq!(d.samples[0], samples[0]);
        assert!(is_stale_nan(d.samples[1].value));

        let mut raw = Vec::new();
        encode_v2(
            &mut raw,
            &ExternalLabels::default(),
            &samples,
            false,
            &Default::default(),
        );
        let mut body = Vec::new();
        snappy_compress(&raw, &mut body);
        let ct = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
        let d = decode_request(
            Some(ct),
            Some("snappy"),
            &body,
            &[Protocol::V1, Protocol::V2],
        )
        .unwrap();
        assert_eq!(d.samples[0], samples[0]);
        // Not accepted unless listed.
        let err = decode_request(Some(ct), None, &body, &[Protocol::V1]).unwrap_err();
        assert_eq!(err.status, 415, "{err:?}");
    }

    #[test]
    fn bad_bodies_and_headers_are_refused_with_the_reason() {
        let err = decode_request(None, None, b"not snappy at all", &[Protocol::V1]).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.reason.contains("snappy"), "{}", err.reason);
        let err = decode_request(Some("text/plain"), None, b"", &[Protocol::V1]).unwrap_err();
        assert_eq!(err.status, 415);
        let err = decode_request(None, Some("gzip"), b"", &[Protocol::V1]).unwrap_err();
        assert_eq!(err.status, 415);
        // Valid snappy, invalid protobuf.
        let mut body = Vec::new();
        snappy_compress(&[0xff, 0xff, 0xff], &mut body);
        let err = decode_request(None, None, &body, &[Protocol::V1]).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.reason.contains("protobuf"), "{}", err.reason);
        // A series without a name.
        let nameless = Sample {
            labels: Labels::from_pairs(&[("job", "j")]),
            timestamp_ms: 1,
            value: 1.0,
            exemplar: None,
        };
        let err = decode_request(None, None, &v1_body(&[nameless]), &[Protocol::V1]).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.reason.contains("__name__"), "{}", err.reason);
    }
}
