//! Logging as Alloy's `logging` block configures it: `level` and `format` (`logfmt` or `json`), both
//! changeable on reload. Lines look like Alloy's: `ts=… level=info msg="…" component_id=…`.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ingot::config_blocks::logging::LoggingConfig;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, Registry};

#[derive(Clone)]
pub struct Logging {
    level: Option<reload::Handle<LevelFilter, Registry>>,
    json: Arc<AtomicBool>,
}

/// Formats events as logfmt or JSON, switchable at run time.
struct AlloyFormat {
    json: Arc<AtomicBool>,
}

#[derive(Default)]
struct Fields {
    message: String,
    pairs: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        self.record(field, text);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_string());
    }
}

impl Fields {
    fn record(&mut self, field: &Field, text: String) {
        if field.name() == "message" {
            self.message = text;
        } else {
            // `component` is Alloy's `component_id`.
            let key = if field.name() == "component" {
                "component_id"
            } else {
                field.name()
            };
            self.pairs.push((key.to_string(), text));
        }
    }
}

fn logfmt_value(out: &mut String, v: &str) {
    if !v.is_empty()
        && !v
            .chars()
            .any(|c| c == ' ' || c == '"' || c == '=' || c.is_control())
    {
        out.push_str(v);
        return;
    }
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl<S, N> FormatEvent<S, N> for AlloyFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let ts = humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string();
        let level = event.metadata().level().as_str().to_ascii_lowercase();
        let mut line = String::with_capacity(128);
        if self.json.load(Ordering::Relaxed) {
            let mut obj = serde_json::Map::new();
            obj.insert("ts".into(), ts.into());
            obj.insert("level".into(), level.into());
            obj.insert("msg".into(), fields.message.into());
            for (k, v) in fields.pairs {
                obj.insert(k, v.into());
            }
            line.push_str(&serde_json::Value::Object(obj).to_string());
        } else {
            let _ = write!(line, "ts={ts} level={level} msg=");
            logfmt_value(&mut line, &fields.message);
            for (k, v) in &fields.pairs {
                let _ = write!(line, " {k}=");
                logfmt_value(&mut line, v);
            }
        }
        writeln!(writer, "{line}")
    }
}

fn level_filter(level: &str) -> LevelFilter {
    match level {
        "debug" => LevelFilter::DEBUG,
        "warn" => LevelFilter::WARN,
        "error" => LevelFilter::ERROR,
        _ => LevelFilter::INFO,
    }
}

impl Logging {
    pub fn init() -> Logging {
        let defaults = LoggingConfig::default();
        let json = Arc::new(AtomicBool::new(defaults.format == "json"));
        let (filter, handle) = reload::Layer::new(level_filter(&defaults.level));
        let fmt_layer = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .event_format(AlloyFormat { json: json.clone() });
        // A second init (the CLI run twice in one process) keeps the first subscriber and its handles.
        let installed = tracing_subscriber::registry()
            .with(filter)
            .with(fmt_layer)
            .try_init()
            .is_ok();
        Logging {
            level: installed.then_some(handle),
            json,
        }
    }

    pub fn apply(&self, config: &LoggingConfig) {
        self.json.store(config.format == "json", Ordering::Relaxed);
        if let Some(handle) = &self.level {
            let _ = handle.reload(level_filter(&config.level));
        }
    }
}
