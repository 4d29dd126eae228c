//! What every `prometheus.exporter.*` component exports: one scrape target pointing at its own metrics
//! endpoint, at the in-memory address, exactly as Alloy builds it.

use std::sync::Arc;

use ingot_runtime::component::{HttpReply, HttpRequest, HttpResponse};
use ingot_runtime::single_flight::SingleFlight;
use ingot_syntax::value::Value;

/// The gathers of one exporter: one at a time, shared by every request that arrives while it runs, so
/// that scrapers piling up on a slow peer cost one gather and no thread each.
pub type Gathers = Arc<SingleFlight<Arc<Vec<u8>>>>;

/// Every exporter serves its metrics at `<component path>/metrics` and nothing else: the body comes from
/// `gather`, run off the reactor when that path is asked for and no gather is in flight already.
pub fn metrics_endpoint(
    request: &HttpRequest<'_>,
    gathers: &Gathers,
    gather: impl FnOnce() -> Vec<u8> + Send + 'static,
) -> Option<HttpReply> {
    if request.path != "/metrics" {
        return None;
    }
    let gathers = gathers.clone();
    Some(HttpReply::Later(Box::pin(async move {
        match gathers.run(move || Arc::new(gather())).await {
            Some(body) => HttpResponse {
                status: 200,
                content_type: "text/plain; version=0.0.4; charset=utf-8".into(),
                body: body.as_ref().clone(),
            },
            None => HttpResponse::text(500, "gathering metrics failed: the exporter panicked\n"),
        }
    })))
}

/// The `instance` label of host exporters: `$HOSTNAME`, else the system host name, else `unknown` (Alloy's
/// order).
pub fn host_instance() -> String {
    if let Ok(h) = std::env::var("HOSTNAME") {
        if !h.is_empty() {
            return h;
        }
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The `targets` export: a list with one target for component `id` of type `name` (`prometheus.exporter.unix`).
pub fn exporter_targets(name: &str, id: &str, memory_addr: &str, instance: &str) -> Value {
    let job = format!("integrations/{}", name.rsplit('.').next().unwrap_or(name));
    let target = Value::object([
        ("__address__", Value::string(memory_addr)),
        ("__scheme__", Value::string("http")),
        (
            "__metrics_path__",
            Value::string(format!("/api/v0/component/{id}/metrics")),
        ),
        ("job", Value::string(job)),
        ("instance", Value::string(instance)),
        ("__meta_component_name", Value::string(name)),
        ("__meta_component_id", Value::string(id)),
    ]);
    Value::object([("targets", Value::array([target]))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_match_alloys_shape() {
        let exports = exporter_targets(
            "prometheus.exporter.unix",
            "prometheus.exporter.unix.localhost",
            "alloy.internal:12345",
            "host-1",
        );
        let targets = exports.get("targets").and_then(Value::as_array).unwrap();
        assert_eq!(targets.len(), 1);
        let field = |k: &str| {
            targets[0]
                .get(k)
                .and_then(Value::as_str)
                .unwrap()
                .to_string()
        };
        assert_eq!(field("__address__"), "alloy.internal:12345");
        assert_eq!(field("__scheme__"), "http");
        assert_eq!(
            field("__metrics_path__"),
            "/api/v0/component/prometheus.exporter.unix.localhost/metrics"
        );
        assert_eq!(field("job"), "integrations/unix");
        assert_eq!(field("instance"), "host-1");
        assert_eq!(field("__meta_component_name"), "prometheus.exporter.unix");
        assert_eq!(
            field("__meta_component_id"),
            "prometheus.exporter.unix.localhost"
        );
    }
}
