//! The running `loki.source.file`: the positions file is read when the component is built, and one
//! thread ([`Worker`]) reads every file from `start` until the component stops, when it saves the
//! positions one last time.

use std::sync::{Arc, Mutex};

use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;

use super::args::Arguments;
use super::positions::{convert_legacy, Damaged, Positions};
use super::worker::{Shared, Worker};

pub const NAME: &str = "loki.source.file";

pub struct Component {
    ctx: Context,
    shared: Arc<Shared>,
    /// The positions read at build, handed to the thread at start.
    prepared: Mutex<Option<(Positions, Option<Damaged>)>>,
}

fn warn_without_effect(id: &str, warnings: &[String]) {
    for w in warnings {
        tracing::warn!(component = %id, "{w}");
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        warn_without_effect(&ctx.id, &args.warnings);
        let mut prepared = None;
        if !ctx.validate_only {
            std::fs::create_dir_all(&ctx.data_path).map_err(|e| {
                format!(
                    "mkdir {}: {}",
                    ctx.data_path.display(),
                    ingot_local::file_match::io_error_text(&e)
                )
            })?;
            let path = ctx.data_path.join("positions.yml");
            if !args.legacy_positions_file.is_empty() {
                match convert_legacy(std::path::Path::new(&args.legacy_positions_file), &path) {
                    Ok(m) => tracing::info!(component = %ctx.id, "{m}"),
                    Err(m) => tracing::error!(component = %ctx.id, "{m}"),
                }
            }
            let (positions, damaged) = Positions::load(&path);
            if let Some(d) = &damaged {
                // Kept aside for a look; the next save writes a good file in its place.
                let aside = ctx.data_path.join("positions.yml.damaged");
                let kept = std::fs::copy(&path, &aside).is_ok();
                tracing::error!(
                    component = %ctx.id,
                    "{}; on_positions_file_error = {:?} applies to every file{}",
                    d.0,
                    args.on_positions_file_error.as_str(),
                    if kept { format!(" (the damaged file is kept as {})", aside.display()) } else { String::new() }
                );
            }
            prepared = Some((positions, damaged));
        }
        Ok(Component {
            shared: Arc::new(Shared::new(Arc::new(args))),
            ctx,
            prepared: Mutex::new(prepared),
        })
    }

    fn start(self: &Arc<Self>) {
        let Some((positions, damaged)) = self
            .prepared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        let worker = Worker::new(
            self.ctx.id.clone(),
            self.shared.clone(),
            self.ctx.health.clone(),
            positions,
            damaged,
        );
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("loki.source.file".into())
            .spawn(move || {
                worker.run();
                let _ = done_tx.send(());
            });
        if let Err(e) = spawned {
            self.ctx
                .health
                .unhealthy(format!("cannot start the reading thread: {e}"));
            return;
        }
        let shared = self.shared.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            shutdown.cancelled().await;
            shared
                .stopping
                .store(true, std::sync::atomic::Ordering::Relaxed);
            shared
                .control
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .stop = true;
            shared.wake.notify_all();
            // The thread saves the positions on its way out.
            let _ = done_rx.await;
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        warn_without_effect(&self.ctx.id, &args.warnings);
        let mut c = self
            .shared
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        c.args = Arc::new(args);
        c.version += 1;
        drop(c);
        self.shared.wake.notify_all();
        Ok(())
    }

    fn debug_info(&self) -> Option<Value> {
        let status = self
            .shared
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let targets = status.files.values().map(|f| {
            let mut fields = vec![
                ("path", Value::string(f.path.as_str())),
                ("labels", Value::string(f.labels.as_str())),
                ("is_running", Value::Bool(f.running)),
                ("read_offset", Value::int(f.read_offset as i64)),
                ("state", Value::string(f.state)),
            ];
            if let Some(e) = &f.error {
                fields.push(("error", Value::string(e.as_str())));
            }
            if let Some(n) = &f.note {
                fields.push(("note", Value::string(n.as_str())));
            }
            if let Some(b) = &f.blocked {
                fields.push(("waiting_for_receiver", Value::string(b.as_str())));
            }
            Value::object(fields)
        });
        let mut fields = vec![("targets_info", Value::array(targets))];
        if !status.problems.is_empty() {
            fields.push((
                "problems",
                Value::array(status.problems.iter().map(|p| Value::string(p.as_str()))),
            ));
        }
        if status.dropped_entries > 0 {
            fields.push((
                "entries_refused_by_receivers",
                Value::int(status.dropped_entries as i64),
            ));
        }
        Some(Value::object(fields))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        self.shared.metrics.collect()
    }
}
