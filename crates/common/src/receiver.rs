//! The `receiver` capsules: what `prometheus.relabel`, `prometheus.remote_write` and the `loki.*` components
//! export and what `forward_to` lists hold. They wrap the data planes' receivers so that they can travel
//! through config values (a list of receivers decodes into `Vec<MetricsReceiver>` or `Vec<LogsReceiver>`).

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
}
