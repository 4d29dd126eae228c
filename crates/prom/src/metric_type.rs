//! The type of a metric family, one enum for every place that names it: the text parsers' `# TYPE`
//! lines, the samples' [`Metadata`](crate::sample::Metadata), the Remote Write messages and the
//! exposition writer.

use std::fmt;
use std::str::FromStr;

/// Prometheus' `model.MetricType`.
///
/// The discriminants are Remote Write's `MetricMetadata.MetricType` numbers (RW 2.0 uses the same
/// numbers with a `METRIC_TYPE_` prefix), so the protobuf field is `kind as i32`; the derive makes it
/// the `enumeration` of the prost messages in [`crate::remote_write::proto`].
///
/// Three spellings: [`as_str`](MetricType::as_str) is the model string (`unknown`, also OpenMetrics'
/// `# TYPE` word), [`text_type`](MetricType::text_type) the word the text format 0.0.4 writes
/// (`untyped`), and the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MetricType {
    /// `unknown` in the model and OpenMetrics, `untyped` in the text format 0.0.4. The default.
    Unknown = 0,
    Counter = 1,
    Gauge = 2,
    Histogram = 3,
    GaugeHistogram = 4,
    Summary = 5,
    Info = 6,
    Stateset = 7,
}

impl MetricType {
    /// Every type, in protobuf number order.
    pub const ALL: [MetricType; 8] = [
        MetricType::Unknown,
        MetricType::Counter,
        MetricType::Gauge,
        MetricType::Histogram,
        MetricType::GaugeHistogram,
        MetricType::Summary,
        MetricType::Info,
        MetricType::Stateset,
    ];

    /// Prometheus' `model.MetricType` string, as remote-write metadata, the metadata API and
    /// OpenMetrics' `# TYPE` lines spell it: `unknown` for the text format's `untyped`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricType::Unknown => "unknown",
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::Stateset => "stateset",
        }
    }

    /// The word the text format 0.0.4 writes on the `# TYPE` line.
    ///
    /// That format knows five types: `untyped` stands for unknown; a gauge histogram is written as a
    /// `histogram`, as `expfmt` writes one; info and stateset, which have no word of their own, are
    /// written as `gauge`, as client_python writes them in this format.
    pub const fn text_type(self) -> &'static str {
        match self {
            MetricType::Unknown => "untyped",
            MetricType::Counter => "counter",
            MetricType::Gauge | MetricType::Info | MetricType::Stateset => "gauge",
            MetricType::Histogram | MetricType::GaugeHistogram => "histogram",
            MetricType::Summary => "summary",
        }
    }

    /// The type a model string names (`unknown`, `counter`, ..., as [`as_str`](MetricType::as_str)
    /// writes them; these are also OpenMetrics' `# TYPE` words). Case matters, as in Prometheus.
    pub fn from_model_str(s: &[u8]) -> Option<MetricType> {
        Some(match s {
            b"unknown" => MetricType::Unknown,
            b"counter" => MetricType::Counter,
            b"gauge" => MetricType::Gauge,
            b"histogram" => MetricType::Histogram,
            b"gaugehistogram" => MetricType::GaugeHistogram,
            b"summary" => MetricType::Summary,
            b"info" => MetricType::Info,
            b"stateset" => MetricType::Stateset,
            _ => return None,
        })
    }

    /// The type a text format 0.0.4 `# TYPE` word names: `counter`, `gauge`, `histogram`, `summary`,
    /// or `untyped` (unknown). Prometheus' parser accepts no other word.
    pub fn from_text_type(s: &[u8]) -> Option<MetricType> {
        Some(match s {
            b"counter" => MetricType::Counter,
            b"gauge" => MetricType::Gauge,
            b"histogram" => MetricType::Histogram,
            b"summary" => MetricType::Summary,
            b"untyped" => MetricType::Unknown,
            _ => return None,
        })
    }

    /// Types that carry a start timestamp through `_created` in OpenMetrics.
    pub fn has_created(self) -> bool {
        matches!(
            self,
            MetricType::Counter | MetricType::Summary | MetricType::Histogram
        )
    }

    /// Whether a sample of this type is a set of buckets, a sum and a count.
    pub fn is_histogram(self) -> bool {
        matches!(self, MetricType::Histogram | MetricType::GaugeHistogram)
    }
}

impl fmt::Display for MetricType {
    /// The model string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no metric type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMetricType(pub String);

impl fmt::Display for UnknownMetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown metric type {:?}", self.0)
    }
}

impl std::error::Error for UnknownMetricType {}

impl FromStr for MetricType {
    type Err = UnknownMetricType;

    /// Parses the model string (see [`MetricType::from_model_str`]).
    fn from_str(s: &str) -> Result<MetricType, UnknownMetricType> {
        MetricType::from_model_str(s.as_bytes()).ok_or_else(|| UnknownMetricType(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_remote_writes() {
        // prompb/types.proto: UNKNOWN = 0 ... STATESET = 7, in this order.
        let names = [
            "unknown",
            "counter",
            "gauge",
            "histogram",
            "gaugehistogram",
            "summary",
            "info",
            "stateset",
        ];
        for (i, t) in MetricType::ALL.into_iter().enumerate() {
            assert_eq!(t as i32, i as i32);
            assert_eq!(MetricType::try_from(i as i32), Ok(t));
            assert_eq!(t.as_str(), names[i]);
        }
        assert!(MetricType::try_from(8).is_err());
        assert_eq!(MetricType::default(), MetricType::Unknown);
    }

    #[test]
    fn model_strings_round_trip() {
        for t in MetricType::ALL {
            assert_eq!(MetricType::from_model_str(t.as_str().as_bytes()), Some(t));
            assert_eq!(t.as_str().parse::<MetricType>(), Ok(t));
            assert_eq!(t.to_string(), t.as_str());
        }
        assert_eq!(MetricType::from_model_str(b"untyped"), None);
        assert_eq!(MetricType::from_model_str(b"Counter"), None);
        assert_eq!(
            "nope".parse::<MetricType>(),
            Err(UnknownMetricType("nope".into()))
        );
    }

    #[test]
    fn text_words() {
        let written: Vec<&str> = MetricType::ALL.iter().map(|t| t.text_type()).collect();
        assert_eq!(
            written,
            [
                "untyped",
                "counter",
                "gauge",
                "histogram",
                "histogram",
                "summary",
                "gauge",
                "gauge"
            ]
        );
        // Every word written parses back, to the same type where the format has one for it.
        for t in MetricType::ALL {
            let back = MetricType::from_text_type(t.text_type().as_bytes()).unwrap();
            assert_eq!(back.text_type(), t.text_type());
        }
        for t in [
            MetricType::Unknown,
            MetricType::Counter,
            MetricType::Gauge,
            MetricType::Histogram,
            MetricType::Summary,
        ] {
            assert_eq!(
                MetricType::from_text_type(t.text_type().as_bytes()),
                Some(t)
            );
        }
        for word in ["unknown", "gaugehistogram", "info", "stateset", "Gauge", ""] {
            assert_eq!(MetricType::from_text_type(word.as_bytes()), None, "{word}");
        }
    }
}
