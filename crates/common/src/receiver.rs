//! The `receiver` capsules: what `prometheus.relabel`, `prometheus.remote_write` and the `loki.*` components
//! export and what `forward_to` lists hold, and the `otelcol.Consumer` capsule of the `otelcol.*`
//! components. They wrap the data planes' receivers so that they can travel through config values (a list
//! of receivers decodes into `Vec<MetricsReceiver>`, `Vec<LogsReceiver>` or `Vec<OtelConsumer>`).

use ingot_prom::sample::Receiver;
use ingot_syntax::capsule_type;

/// Alloy's `MetricsReceiver` (`capsule("prometheus.Receiver")` in type errors).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsReceiver(pub Receiver);

capsule_type!(MetricsReceiver, "prometheus.Receiver");

/// Alloy's `loki.LogsReceiver` (`capsule("loki.LogsReceiver")` in type errors).
#[derive(Clone, Debug, PartialEq)]
pub struct LogsReceiver(pub ingot_logs::LogsReceiver);

capsule_type!(LogsReceiver, "loki.LogsReceiver");

/// Alloy's `otelcol.Consumer` (`capsule("otelcol.Consumer")` in type errors): what `otelcol.*` processors
/// and exporters export as `input` and what `output { traces = [...], metrics = [...], logs = [...] }`
/// lists hold.
#[derive(Clone, Debug, PartialEq)]
pub struct OtelConsumer(pub ingot_otlp::Consumer);

capsule_type!(OtelConsumer, "otelcol.Consumer");

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_prom::sample::{AppendError, Appender, Batch};
    use ingot_syntax::value::{FromValue, Value};
    use std::sync::Arc;

    struct Null;
    impl Appender for Null {
        fn append(&self, _: &Batch) -> Result<(), AppendError> {
            Ok(())
        }
    }

    #[test]
    fn receivers_travel_through_values() {
        let r = MetricsReceiver(Receiver::new(
            "prometheus.remote_write.default",
            Arc::new(Null),
        ));
        let list = Value::array([Value::from(r.clone())]);
        let decoded: Vec<MetricsReceiver> = FromValue::from_value(&list).unwrap();
        assert_eq!(decoded, vec![r]);
        let err =
            <Vec<MetricsReceiver>>::from_value(&Value::array([Value::string("x")])).unwrap_err();
        assert!(
            err.to_string()
                .contains("expected capsule(\"prometheus.Receiver\")"),
            "{err}"
        );
    }

    #[test]
    fn otel_consumers_travel_through_values() {
        struct Nothing;
        impl ingot_otlp::Consume for Nothing {
            fn consume(
                &self,
                _: &ingot_otlp::Data,
                _: Option<&ingot_otlp::Token>,
            ) -> Result<(), ingot_otlp::ConsumeError> {
                Ok(())
            }
        }
        let c = OtelConsumer(ingot_otlp::Consumer::new(
            "otelcol.exporter.debug.default",
            Arc::new(Nothing),
        ));
        let decoded: Vec<OtelConsumer> =
            FromValue::from_value(&Value::array([Value::from(c.clone())])).unwrap();
        assert_eq!(decoded, vec![c]);
        let err = <Vec<OtelConsumer>>::from_value(&Value::array([Value::string("x")])).unwrap_err();
        assert!(
            err.to_string()
                .contains("expected capsule(\"otelcol.Consumer\")"),
            "{err}"
        );
    }
}
