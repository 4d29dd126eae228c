//! What `otelcol.exporter.otlp` and `otelcol.exporter.otlphttp` share as components: the [`Sender`] as
//! the `input` export, its queue (opened on disk when the exporter starts, if `storage` is set), the
//! senders' tasks (started again when `num_consumers` changes), the queue's saved position, and the
//! metrics and debug info.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ingot_common::receiver::OtelConsumer;
use ingot_otlp::Consumer;
use ingot_runtime::component::{Context, DebugMetric};
use ingot_syntax::value::Value;
use tokio_util::sync::CancellationToken;

use super::persistent::PersistentQueue;
use super::sender::{Dispatch, Sender, Settings};
use crate::metrics::otel_id;

/// How often a queue on disk saves how far it has sent.
const SAVE_INTERVAL: Duration = Duration::from_secs(1);

pub struct Queued {
    ctx: Context,
    pub sender: Arc<Sender>,
    dispatch: Arc<Dispatch>,
    /// The running senders: their stop token and how many there are.
    workers: Mutex<Option<(CancellationToken, usize)>>,
    storage: Option<crate::storage::file::StorageHandler>,
}

impl Queued {
    /// Builds the sender and publishes `input`. `otel_type` is the collector's type (`otlp`, `otlphttp`).
    pub fn build(ctx: &Context, otel_type: &str, settings: Settings) -> Queued {
        let dispatch = Arc::new(Dispatch::default());
        let storage = settings
            .queue
            .storage
            .clone()
            .filter(|_| settings.queue.enabled);
        let sender = Arc::new(Sender::new(
            &ctx.id,
            otel_id(otel_type, &ctx.id),
            settings,
            ctx.health.clone(),
            dispatch.clone(),
        ));
        if storage.is_none() {
            sender.set_store(None);
        }
        let input = Consumer::new(ctx.id.clone(), sender.clone());
        ctx.exports
            .init(Value::object([("input", Value::from(OtelConsumer(input)))]));
        Queued {
            ctx: ctx.clone(),
            sender,
            dispatch,
            workers: Mutex::new(None),
            storage,
        }
    }

    /// Opens the queue on disk (if any) and starts the senders.
    pub fn start(&self) {
        if tokio::runtime::Handle::try_current().is_err() {
            self.ctx
                .health
                .unhealthy("internal error: started outside the async runtime");
            return;
        }
        if let Some(storage) = &self.storage {
            let dir = storage.queue_dir(&self.ctx.id);
            let read_ahead = self.sender.settings().queue.num_consumers * 2;
            match PersistentQueue::open(&dir, storage.fsync, self.dispatch.clone(), read_ahead) {
                Ok(q) => {
                    self.sender.set_store(Some(q.clone()));
                    let shutdown = self.ctx.shutdown.clone();
                    self.ctx.tasks.spawn(async move {
                        let mut tick = tokio::time::interval(SAVE_INTERVAL);
                        loop {
                            tokio::select! {
                                _ = tick.tick() => q.save(),
                                _ = shutdown.cancelled() => break,
                            }
                        }
                        // Let the senders record what they finished, then save and sync off the reactor.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        let _ = tokio::task::spawn_blocking(move || q.close()).await;
                    });
                }
                Err(e) => {
                    // Nothing is taken (senders are told to try again) until the queue opens.
                    let msg =
                        format!("the sending queue cannot be opened, nothing is accepted: {e}");
                    tracing::error!(component = %self.ctx.id, "{msg}");
                    self.ctx.health.unhealthy(msg);
                    return;
                }
            }
        }
        self.start_workers();
    }

    fn start_workers(&self) {
        let n = self.sender.settings().queue.num_consumers;
        let stop = self.ctx.shutdown.child_token();
        self.sender.start(&self.ctx.tasks, stop.clone());
        *self.workers.lock().unwrap_or_else(|e| e.into_inner()) = Some((stop, n));
    }

    /// Applies new settings; the queue keeps its content. The queue's place cannot move while it runs.
    pub fn update(&self, settings: Settings) -> Result<(), String> {
        let storage = settings
            .queue
            .storage
            .clone()
            .filter(|_| settings.queue.enabled);
        if storage.as_ref().map(|s| s.queue_dir(&self.ctx.id))
            != self.storage.as_ref().map(|s| s.queue_dir(&self.ctx.id))
        {
            return Err("sending_queue.storage (or enabled with storage) cannot change while ingot runs: the queue's data would be stranded; restart ingot to apply it".into());
        }
        let n = settings.queue.num_consumers;
        self.sender.set_settings(settings);
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((stop, running)) = workers.as_ref() {
            if *running != n {
                stop.cancel();
                *workers = None;
                drop(workers);
                self.start_workers();
            }
        }
        Ok(())
    }

    pub fn debug_info(&self) -> Option<Value> {
        Some(self.sender.debug_info())
    }

    pub fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        self.sender.metrics(&mut out);
        out
    }
}
