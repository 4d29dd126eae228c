//! Logging as Alloy's `logging` block configures it: `level` and `format` (`logfmt` or `json`), both
//! changeable on reload. Lines look like Alloy's: `ts=… level=info msg="…" component_id=…`. With
//! `write_to`, each line also goes, as written, to those `loki.*` receivers as an entry labelled
//! `component="alloy"` (Alloy's `lokiWriter`), through a bounded queue that never makes logging wait.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ingot::config_blocks::logging::LoggingConfig;
use ingot_logs::LineForwarder;
use ingot_prom::labels::Labels;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, Registry};

/// Lines waiting for `write_to` at most; past this they are dropped and counted, never waited for.
const WRITE_TO_QUEUE: usize = 4096;

#[derive(Clone)]
pub struct Logging {
    level: Option<reload::Handle<LevelFilter, Registry>>,
    json: Arc<AtomicBool>,
    write_to: Option<Arc<LineForwarder>>,
}

/// Where formatted lines go: standard error, and the `write_to` receivers when there are any.
#[derive(Clone)]
struct Tee {
    write_to: Option<Arc<LineForwarder>>,
}

/// One event's line: collected whole, then written when the formatter is done with it.
struct TeeWriter {
    line: Vec<u8>,
    write_to: Option<Arc<LineForwarder>>,
}

impl std::io::Write for TeeWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for TeeWriter {
    fn drop(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let _ = std::io::stderr().lock().write_all(&self.line);
        if let Some(f) = self.write_to.as_ref().filter(|f| f.is_enabled()) {
            f.offer(&String::from_utf8_lossy(&self.line));
        }
    }
}

impl<'a> MakeWriter<'a> for Tee {
    type Writer = TeeWriter;

    fn make_writer(&'a self) -> TeeWriter {
        TeeWriter {
            line: Vec::with_capacity(256),
            write_to: self.write_to.clone(),
        }
    }
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
        // Alloy labels its own lines `component="alloy"`.
        let write_to = LineForwarder::spawn(
            Labels::from_pairs(&[("component", "alloy")]),
            WRITE_TO_QUEUE,
        )
        .ok()
        .map(Arc::new);
        let fmt_layer = tracing_subscriber::fmt::layer()
            .with_writer(Tee {
                write_to: write_to.clone(),
            })
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
            write_to: if installed { write_to } else { None },
        }
    }

    pub fn apply(&self, config: &LoggingConfig) {
        self.json.store(config.format == "json", Ordering::Relaxed);
        if let Some(f) = &self.write_to {
            f.set_receivers(config.write_to.iter().map(|r| r.0.clone()).collect());
        }
        if let Some(handle) = &self.level {
            let _ = handle.reload(level_filter(&config.level));
        }
    }
}
