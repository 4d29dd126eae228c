//! The running `loki.source.journal`: the positions file is read when the component is built, and one
//! thread ([`Worker`]) reads the journal from `start` until the component stops, when it saves the
//! cursor one last time.

use std::sync::{Arc, Mutex};

use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_syntax::value::Value;

use super::args::Arguments;
use super::worker::{default_reader, ReaderFactory, Shared, Worker};
use crate::source::file::positions::{convert_legacy_journal, Positions};

pub const NAME: &str = "loki.source.journal";

pub struct Component {
    ctx: Context,
    shared: Arc<Shared>,
    /// The positions read at build (and why they could not be), handed to the thread at start.
    prepared: Mutex<Option<(Positions, Option<String>)>>,
    factory: ReaderFactory,
}

impl Component {
    /// Builds the component with another journal reader (tests).
    pub fn build_with(
        ctx: Context,
        args: Arguments,
        factory: ReaderFactory,
    ) -> Result<Component, String> {
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
            if let Some(legacy) = &args.legacy_position {
                match convert_legacy_journal(
                    std::path::Path::new(&legacy.file),
                    &legacy.name,
                    &path,
                    &ctx.id,
                ) {
                    Ok(m) => tracing::info!(component = %ctx.id, "{m}"),
                    Err(m) => tracing::error!(component = %ctx.id, "{m}"),
                }
            }
            let (positions, damaged) = Positions::load(&path);
            let problem = damaged.map(|d| {
                // Alloy refuses to start on a damaged positions file; ingot reads from max_age ago and
                // keeps the damaged file aside for a look.
                let aside = ctx.data_path.join("positions.yml.damaged");
                let kept = std::fs::copy(&path, &aside).is_ok();
                let msg = format!(
                    "{}; reading the journal from max_age ago{}",
                    d.0,
                    if kept {
                        format!(" (the damaged file is kept as {})", aside.display())
                    } else {
                        String::new()
                    }
                );
                tracing::error!(component = %ctx.id, "{msg}");
                msg
            });
            prepared = Some((positions, problem));
        }
        Ok(Component {
            shared: Arc::new(Shared::new(Arc::new(args))),
            ctx,
            prepared: Mutex::new(prepared),
            factory,
        })
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        Component::build_with(ctx, args, Arc::new(default_reader))
    }

    fn start(self: &Arc<Self>) {
        let Some((positions, problem)) = self
            .prepared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return;
        };
        let shared = self.shared.clone();
        let health = self.ctx.health.clone();
        let id = self.ctx.id.clone();
        let factory = self.factory.clone();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        // The reader is made on the thread: opening a journal reads directories and files.
        let spawned = std::thread::Builder::new()
            .name("loki.source.journal".into())
            .spawn(move || {
                Worker::new(id, shared, health, positions, problem, factory).run();
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
                .control
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .stop = true;
            shared.wake.notify_all();
            // The thread saves the cursor on its way out.
            let _ = done_rx.await;
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
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
        let s = self
            .shared
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut fields = vec![(
            "cursor",
            Value::string(s.cursor.as_deref().unwrap_or_default()),
        )];
        if !s.problems.is_empty() {
            fields.push((
                "problems",
                Value::array(s.problems.iter().map(|p| Value::string(p.as_str()))),
            ));
        }
        if let Some(w) = &s.waiting {
            fields.push(("waiting_for_receiver", Value::string(w.as_str())));
        }
        if s.refused_entries > 0 {
            fields.push((
                "entries_refused_by_receivers",
                Value::int(s.refused_entries as i64),
            ));
        }
        if s.bad_entries > 0 {
            fields.push((
                "unreadable_entries_passed_over",
                Value::int(s.bad_entries as i64),
            ));
        }
        Some(Value::object(fields))
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        self.shared.metrics.collect()
    }
}
