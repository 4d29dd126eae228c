//! The running `loki.process`: an appender that runs each batch through the pipeline and hands what comes
//! out to its `forward_to` list through a [`Fanout`].
//!
//! Nothing accepted is lost or doubled: when no receiver can take a batch's output (`Full`), the output is
//! held (one batch at most) and later batches are answered `Full` until it is delivered, so the sender
//! keeps them; a timer offers the held batch again. Lines a stage holds (multiline) keep their senders'
//! receipts open until the joined entry is delivered; they come out on the timer (`max_wait_time`), when
//! the stages change, and when the component stops.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ingot_common::receiver::LogsReceiver;
use ingot_logs::{AppendError, Entry, Fanout, LogsAppender, Token};
use ingot_runtime::component::{ComponentType, Context, DebugMetric, Stability};
use ingot_runtime::livedebugging::DataType;
use ingot_syntax::value::Value;

use super::args::{build_pipeline, Arguments, StageConfig};
use super::metrics::Metrics;
use super::pipeline::{LabelsCache, PEntry, Pipeline, Recycler};

pub const NAME: &str = "loki.process";

/// Entries run through the stages together (see [`Inner::process`]).
const SUB_BATCH: usize = 64;

/// How often held output is offered again and stages are asked for what they release on time.
const TICK: Duration = Duration::from_millis(100);

/// What is waiting for a receiver that was full: entries in order, each batch with its receipt.
#[derive(Default)]
struct Held {
    batches: std::collections::VecDeque<(Vec<Entry>, Option<Token>)>,
}

struct Inner {
    id: String,
    pipeline: Mutex<(Vec<StageConfig>, Pipeline)>,
    labels_cache: Mutex<LabelsCache>,
    recycler: Mutex<Recycler>,
    fanout: Fanout,
    held: Mutex<Held>,
    metrics: Arc<Metrics>,
    debug: ingot_runtime::livedebugging::Publisher,
}

impl Inner {
    /// Offers held batches (oldest first); `true` when none is left.
    fn flush_held(&self) -> bool {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.batches.is_empty() && !self.fanout.has_pending() {
            return true;
        }
        if self.fanout.has_pending() {
            match self.fanout.retry_pending() {
                Ok(refusals) => self.log_refusals(refusals),
                Err(_) => return false,
            }
        }
        while let Some((entries, token)) = held.batches.front() {
            match self.fanout.send(entries, token.as_ref()) {
                Ok(refusals) => {
                    self.log_refusals(refusals);
                    held.batches.pop_front();
                }
                Err(AppendError::Full { .. }) => return false,
                Err(AppendError::Refused(why)) => {
                    tracing::warn!(component = %self.id, "entries dropped: every receiver refused them: {why}");
                    held.batches.pop_front();
                }
            }
        }
        true
    }

    fn log_refusals(&self, refusals: Vec<(String, String)>) {
        for (receiver, why) in refusals {
            tracing::warn!(component = %self.id, receiver = %receiver, "entries dropped: the receiver refused them: {why}");
        }
    }

    /// Hands processed entries on; what no receiver could take yet is held.
    fn deliver(&self, out: Vec<PEntry>, token: Option<&Token>) {
        let mut leaving = Leaving::default();
        {
            // The order `process` takes them in.
            let mut recycler = self.recycler.lock().unwrap_or_else(|e| e.into_inner());
            let mut cache = self.labels_cache.lock().unwrap_or_else(|e| e.into_inner());
            leaving.add(out, token, &mut recycler, &mut cache);
        }
        self.send(leaving, token);
    }

    /// Hands entries that left the stages on; what no receiver could take yet is held.
    fn send(&self, leaving: Leaving, token: Option<&Token>) {
        let Leaving { mut batches, plain } = leaving;
        if !plain.is_empty() {
            batches.push((plain, token.cloned()));
        }
        // Each entry leaving the stages, once (held batches are offered again without a second line).
        if self.debug.active() {
            for entry in batches.iter().flat_map(|(entries, _)| entries) {
                self.debug.publish(DataType::LokiLog, 1, || {
                    crate::livedebug::process_line("OUT", entry)
                });
            }
        }
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for (entries, token) in batches {
            if held.batches.is_empty() {
                match self.fanout.send(&entries, token.as_ref()) {
                    Ok(refusals) => {
                        self.log_refusals(refusals);
                        continue;
                    }
                    Err(AppendError::Refused(why)) => {
                        tracing::warn!(component = %self.id, "entries dropped: every receiver refused them: {why}");
                        continue;
                    }
                    Err(AppendError::Full { .. }) => {}
                }
            }
            held.batches.push_back((entries, token));
        }
    }

    fn process(&self, entries: &[Entry], token: Option<&Token>) -> Result<(), AppendError> {
        if !self.flush_held() {
            return Err(AppendError::Full {
                retry_after: TICK,
                reason: format!(
                    "{}: waiting for its receivers to take earlier entries",
                    self.id
                ),
            });
        }
        let mut out = Vec::with_capacity(SUB_BATCH.min(entries.len()));
        let mut leaving = Leaving {
            batches: Vec::new(),
            plain: Vec::with_capacity(entries.len()),
        };
        {
            let mut p = self.pipeline.lock().unwrap_or_else(|e| e.into_inner());
            if p.1.saturated() {
                return Err(AppendError::Full {
                    retry_after: TICK,
                    reason: format!(
                        "{}: stage.limit holds as many entries as it may until their rate allows them",
                        self.id
                    ),
                });
            }
            let mut recycler = self.recycler.lock().unwrap_or_else(|e| e.into_inner());
            let mut cache = self.labels_cache.lock().unwrap_or_else(|e| e.into_inner());
            // Each entry taken in; Alloy counts it 0 in the graph (only what leaves counts).
            if self.debug.active() {
                for entry in entries {
                    self.debug.publish(DataType::LokiLog, 0, || {
                        crate::livedebug::process_line("IN", entry)
                    });
                }
            }
            // A few entries at a time: each is copied in, run through the stages and turned back into
            // an entry while its memory is in the cache, and the maps it leaves go to the next few.
            // Every stage still takes the entries in order, one at a time, so it sees no difference;
            // the receivers get the whole batch at once, as before.
            let mut batch: Vec<PEntry> = Vec::with_capacity(SUB_BATCH.min(entries.len()));
            for chunk in entries.chunks(SUB_BATCH) {
                batch.extend(chunk.iter().map(|e| {
                    let mut pe = recycler.entry(e);
                    if let Some(t) = token {
                        // A stage that holds the entry (multiline) keeps the sender's receipt open with it.
                        pe.tokens.push(t.clone());
                    }
                    pe
                }));
                out.clear();
                p.1.run_batch(&mut batch, &mut out);
                // Entries of this batch carry only this batch's token: they leave with it.
                for e in &mut out {
                    if let Some(t) = token {
                        if e.tokens.len() == 1 && same_token(&e.tokens[0], t) {
                            e.tokens.clear();
                        }
                    }
                }
                leaving.add(out.drain(..), token, &mut recycler, &mut cache);
            }
        }
        self.send(leaving, token);
        Ok(())
    }

    /// What stages release by now.
    fn tick(&self) {
        let mut out = Vec::new();
        {
            let mut p = self.pipeline.lock().unwrap_or_else(|e| e.into_inner());
            p.1.run_tick(Instant::now(), &mut out);
        }
        if !out.is_empty() {
            self.deliver(out, None);
        }
    }

    /// Everything the stages hold (stop, or new stages).
    fn flush_pipeline(&self, pipeline: &mut Pipeline) {
        let mut out = Vec::new();
        pipeline.run_flush(&mut out);
        if !out.is_empty() {
            self.deliver(out, None);
        }
    }
}

/// Entries that left the stages, in order: batches of entries carrying receipts of lines from earlier
/// batches (multiline), which go alone with those receipts, and the entries since the last of them.
#[derive(Default)]
struct Leaving {
    batches: Vec<(Vec<Entry>, Option<Token>)>,
    plain: Vec<Entry>,
}

impl Leaving {
    fn add(
        &mut self,
        out: impl IntoIterator<Item = PEntry>,
        token: Option<&Token>,
        recycler: &mut Recycler,
        cache: &mut LabelsCache,
    ) {
        for mut p in out {
            if p.tokens.is_empty() {
                self.plain.push(recycler.leave(p, Some(cache)));
            } else {
                let tokens = std::mem::take(&mut p.tokens);
                if !self.plain.is_empty() {
                    self.batches
                        .push((std::mem::take(&mut self.plain), token.cloned()));
                }
                self.batches
                    .push((vec![recycler.leave(p, Some(cache))], Token::join(tokens)));
            }
        }
    }
}

fn same_token(a: &Token, b: &Token) -> bool {
    a.same_as(b)
}

impl LogsAppender for Inner {
    fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
        self.process(entries, None)
    }

    fn append_with(&self, entries: &[Entry], token: &Token) -> Result<(), AppendError> {
        self.process(entries, Some(token))
    }
}

pub struct Component {
    ctx: Context,
    inner: Arc<Inner>,
    receiver: ingot_logs::LogsReceiver,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let metrics = Arc::new(Metrics::default());
        let pipeline = build_pipeline(&args.stages, &metrics);
        let inner = Arc::new(Inner {
            id: ctx.id.clone(),
            pipeline: Mutex::new((args.stages.clone(), pipeline)),
            labels_cache: Mutex::new(LabelsCache::default()),
            recycler: Mutex::new(Recycler::default()),
            fanout: Fanout::new(args.forward_to.iter().map(|r| r.0.clone()).collect()),
            held: Mutex::new(Held::default()),
            metrics,
            debug: ctx.live_debugging.clone(),
        });
        let receiver = ingot_logs::LogsReceiver::new(ctx.id.clone(), inner.clone());
        ctx.exports.init(Value::object([(
            "receiver",
            Value::from(LogsReceiver(receiver.clone())),
        )]));
        ctx.health.healthy("started component");
        Ok(Component {
            ctx,
            inner,
            receiver,
        })
    }

    fn start(self: &Arc<Self>) {
        let inner = self.inner.clone();
        let shutdown = self.ctx.shutdown.clone();
        self.ctx.tasks.spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        inner.flush_held();
                        inner.tick();
                    }
                    _ = shutdown.cancelled() => break,
                }
            }
            // Stopping: what stages hold comes out, and held output gets a last few chances.
            {
                let mut p = inner.pipeline.lock().unwrap_or_else(|e| e.into_inner());
                let mut pipeline = std::mem::take(&mut p.1);
                drop(p);
                inner.flush_pipeline(&mut pipeline);
            }
            for _ in 0..20 {
                if inner.flush_held() {
                    break;
                }
                tokio::time::sleep(TICK).await;
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        self.inner
            .fanout
            .set_receivers(args.forward_to.iter().map(|r| r.0.clone()).collect());
        let old = {
            let mut p = self
                .inner
                .pipeline
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if p.0 == args.stages {
                None
            } else {
                let new = build_pipeline(&args.stages, &self.inner.metrics);
                Some(std::mem::replace(&mut *p, (args.stages.clone(), new)))
            }
        };
        // As Alloy: the old pipeline stops, and what it held goes on.
        if let Some((_, mut old)) = old {
            self.inner.flush_pipeline(&mut old);
        }
        self.ctx.exports.publish(Value::object([(
            "receiver",
            Value::from(LogsReceiver(self.receiver.clone())),
        )]));
        Ok(())
    }

    fn debug_metrics(&self) -> Vec<DebugMetric> {
        let mut out = Vec::new();
        self.inner.metrics.debug_metrics(&mut out);
        out
    }
}
