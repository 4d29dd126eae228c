//! `google.rpc.Status` with its details, as gRPC servers put it in `grpc-status-details-bin` and OTLP/HTTP
//! servers in error bodies, and the one detail OTLP clients act on: `google.rpc.RetryInfo`, the server's
//! "try again after".

use std::time::Duration;

use prost::Message;

#[derive(Clone, PartialEq, Message)]
pub struct Any {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Status {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ProtoDuration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

#[derive(Clone, PartialEq, Message)]
pub struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<ProtoDuration>,
}

pub const RETRY_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RetryInfo";

impl Status {
    /// The `RetryInfo` detail, if the server sent one: `Some(delay)` (zero when it named none).
    pub fn retry_info(&self) -> Option<Duration> {
        self.details
            .iter()
            .find(|d| d.type_url == RETRY_INFO_TYPE)
            .and_then(|d| RetryInfo::decode(d.value.as_slice()).ok())
            .map(|r| {
                r.retry_delay
                    .map(|d| {
                        Duration::from_secs(d.seconds.max(0) as u64)
                            + Duration::from_nanos(d.nanos.max(0) as u64)
                    })
                    .unwrap_or_default()
            })
    }
}

/// A status with a `RetryInfo` detail of `delay` (what ingot's receivers could send; used by tests).
pub fn with_retry_info(code: i32, message: &str, delay: Duration) -> Status {
    let info = RetryInfo {
        retry_delay: Some(ProtoDuration {
            seconds: delay.as_secs() as i64,
            nanos: delay.subsec_nanos() as i32,
        }),
    };
    Status {
        code,
        message: message.to_string(),
        details: vec![Any {
            type_url: RETRY_INFO_TYPE.into(),
            value: info.encode_to_vec(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_info_round_trips() {
        let s = with_retry_info(8, "slow down", Duration::from_millis(1500));
        let back = Status::decode(s.encode_to_vec().as_slice()).unwrap();
        assert_eq!(back.retry_info(), Some(Duration::from_millis(1500)));
        assert_eq!(Status::default().retry_info(), None);
    }
}
