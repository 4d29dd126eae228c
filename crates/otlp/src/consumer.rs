//! Where OTLP data goes: a [`Consumer`] wraps a component's [`Consume`] implementation so that it can
//! travel through config values (Alloy's `otelcol.Consumer`: the `input` export, the `output` block's
//! lists), and [`Fanout`] hands a request to a list of them without losing or doubling any when some are
//! full and others are not.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use ingot_logs::receipt::Token;

use crate::data::{Data, Signal};

/// Why a consumer did not take a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsumeError {
    /// Not now (a queue at its bound): offer it again after `retry_after`. Nothing was taken.
    Full {
        retry_after: Duration,
        reason: String,
    },
    /// Not now, and the sender should not hold on to it here either (a memory limiter above its limit):
    /// a receiver answers its client "try again" at once instead of waiting for room. Nothing was taken.
    Overloaded(String),
    /// Never: the consumer refuses it for good (the sender counts its items as refused, with the reason).
    Refused(String),
}

impl ConsumeError {
    pub fn reason(&self) -> &str {
        match self {
            ConsumeError::Full { reason, .. }
            | ConsumeError::Overloaded(reason)
            | ConsumeError::Refused(reason) => reason,
        }
    }
}

impl fmt::Display for ConsumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// What a component that takes OTLP data implements. `consume` takes the whole request or nothing of it,
/// and never blocks on the network or the disk. A consumer that keeps the data copies what it keeps.
pub trait Consume: Send + Sync {
    /// `token` is the sender's receipt token: a consumer that stores data durably keeps a clone until it is
    /// stored (or [`Token::fail`]s it); one that passes data on hands it to its own consumers; one that
    /// keeps data in memory drops it.
    fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError>;

    /// As [`Consume::consume`], handing the request over: a consumer that keeps it (the batch processor)
    /// moves it instead of copying it. When it is not taken it comes back unchanged with the error, so the
    /// sender can offer it again.
    fn consume_owned(&self, data: Data, token: Option<&Token>) -> Result<(), (ConsumeError, Data)> {
        self.consume(&data, token).map_err(|e| (e, data))
    }
}

/// A component's consumer: Alloy's `otelcol.Consumer`. Equal when it is the same component's.
#[derive(Clone)]
pub struct Consumer {
    name: Arc<str>,
    inner: Arc<dyn Consume>,
}

impl Consumer {
    /// `name` is the owning component's id, for debug output and errors.
    pub fn new(name: impl Into<Arc<str>>, inner: Arc<dyn Consume>) -> Consumer {
        Consumer {
            name: name.into(),
            inner,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
        self.inner.consume(data, token)
    }

    pub fn consume_owned(
        &self,
        data: Data,
        token: Option<&Token>,
    ) -> Result<(), (ConsumeError, Data)> {
        self.inner.consume_owned(data, token)
    }
}

impl PartialEq for Consumer {
    fn eq(&self, other: &Consumer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Consumer({})", self.name)
    }
}

/// The consumers of each signal: the `output` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs {
    pub traces: Vec<Consumer>,
    pub metrics: Vec<Consumer>,
    pub logs: Vec<Consumer>,
}

impl Outputs {
    pub fn of(&self, signal: Signal) -> &[Consumer] {
        match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        }
    }
}

/// How soon a sender answered `Full` because of a held request should try again.
const PENDING_RETRY: Duration = Duration::from_millis(100);

struct Pending {
    data: Data,
    to: Vec<Consumer>,
    token: Option<Token>,
}

/// A consumer that refused a request for good: its name and why.
pub type Refusal = (String, String);

/// What a component that passes data on (a receiver's or processor's `output`) sends through.
///
/// A request every consumer took is done. When none took it and at least one was full, the sender is told
/// [`ConsumeError::Full`] and keeps it (nothing was taken, so nothing is sent twice when it tries again).
/// When some took it and others were full, the fan-out keeps one copy for the full ones (one request per
/// signal at most) and says it was taken; until that copy is delivered, new requests of that signal are
/// answered `Full`, so order is kept and memory stays bounded. [`Fanout::retry_pending`] delivers it (the
/// owner calls it on a timer; the next [`Fanout::send`] tries first too).
pub struct Fanout {
    outputs: RwLock<Outputs>,
    pending: [Mutex<Option<Pending>>; 3],
    observer: OnceLock<Arc<dyn Observer>>,
}

/// Sees each request a [`Fanout`] hands on, once, when it is taken (live debugging). `active` is asked
/// first, so an observer nobody listens to costs a call.
pub trait Observer: Send + Sync {
    fn active(&self) -> bool;
    /// `data` was taken; `to` are the consumers of its signal.
    fn taken(&self, data: &Data, to: &[Consumer]);
}

impl Fanout {
    pub fn new(outputs: Outputs) -> Fanout {
        Fanout {
            outputs: RwLock::new(outputs),
            pending: Default::default(),
            observer: OnceLock::new(),
        }
    }

    /// Sets the observer of what this fan-out hands on (once; later calls are ignored).
    pub fn observe(&self, observer: Arc<dyn Observer>) {
        let _ = self.observer.set(observer);
    }

    pub fn set_outputs(&self, outputs: Outputs) {
        *self.outputs.write().unwrap_or_else(|e| e.into_inner()) = outputs;
    }

    pub fn consumers(&self, signal: Signal) -> Vec<Consumer> {
        self.outputs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .of(signal)
            .to_vec()
    }

    /// Whether a request waits for consumers that were full.
    pub fn has_pending(&self) -> bool {
        self.pending
            .iter()
            .any(|p| p.lock().unwrap_or_else(|e| e.into_inner()).is_some())
    }

    /// Offers `data` to every consumer of its signal. `Ok` with the consumers that refused it for good
    /// (the caller counts them) when it was taken — also when no consumer is configured for the signal,
    /// as in Alloy, where such data goes nowhere; `Err(Full)` when nothing was taken; `Err(Refused)` when
    /// every consumer refused it.
    pub fn send(&self, data: &Data, token: Option<&Token>) -> Result<Vec<Refusal>, ConsumeError> {
        let signal = data.signal();
        let mut refusals = Vec::new();
        let mut pending = self.pending[signal.index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.flush_pending(&mut pending, signal, &mut refusals)?;
        let consumers = self.consumers(signal);
        self.offer(&mut pending, consumers, data, token, refusals)
    }

    /// As [`Fanout::send`], handing `data` over: when its signal has one consumer (and no observer is
    /// listening), that consumer takes it without a copy. When it was not taken, it comes back with the
    /// error.
    pub fn send_owned(
        &self,
        data: Data,
        token: Option<&Token>,
    ) -> Result<Vec<Refusal>, (ConsumeError, Data)> {
        let signal = data.signal();
        let mut refusals = Vec::new();
        let mut pending = self.pending[signal.index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Err(e) = self.flush_pending(&mut pending, signal, &mut refusals) {
            return Err((e, data));
        }
        let consumers = self.consumers(signal);
        let observed = self.observer.get().is_some_and(|o| o.active());
        if consumers.len() != 1 || observed {
            return match self.offer(&mut pending, consumers, &data, token, refusals) {
                Ok(r) => Ok(r),
                Err(e) => Err((e, data)),
            };
        }
        let c = &consumers[0];
        // The same answers as `offer` gives for a single consumer.
        match c.consume_owned(data, token) {
            Ok(()) => Ok(refusals),
            Err((
                ConsumeError::Full {
                    retry_after,
                    reason,
                },
                data,
            )) => Err((
                ConsumeError::Full {
                    retry_after,
                    reason: format!("{}: {reason}", c.name()),
                },
                data,
            )),
            Err((ConsumeError::Overloaded(reason), data)) => Err((
                ConsumeError::Overloaded(format!("{}: {reason}", c.name())),
                data,
            )),
            Err((ConsumeError::Refused(reason), data)) => Err((
                ConsumeError::Refused(format!("{}: {reason}", c.name())),
                data,
            )),
        }
    }

    /// Offers the request held for full consumers of `signal` first: `Full` while they still do not take it.
    fn flush_pending(
        &self,
        pending: &mut Option<Pending>,
        signal: Signal,
        refusals: &mut Vec<Refusal>,
    ) -> Result<(), ConsumeError> {
        if let Some(p) = pending.as_mut() {
            if !flush(p, refusals) {
                return Err(ConsumeError::Full {
                    retry_after: PENDING_RETRY,
                    reason: format!(
                        "waiting for {} to take earlier {}",
                        names(&p.to).join(", "),
                        signal.as_str()
                    ),
                });
            }
            *pending = None;
        }
        Ok(())
    }

    fn offer(
        &self,
        pending: &mut Option<Pending>,
        consumers: Vec<Consumer>,
        data: &Data,
        token: Option<&Token>,
        mut refusals: Vec<Refusal>,
    ) -> Result<Vec<Refusal>, ConsumeError> {
        let mut took = 0;
        let mut full: Vec<(Consumer, Duration, String)> = Vec::new();
        let mut overloaded = 0;
        let mut refused: Vec<Refusal> = Vec::new();
        for c in &consumers {
            match c.consume(data, token) {
                Ok(()) => took += 1,
                Err(ConsumeError::Full {
                    retry_after,
                    reason,
                }) => full.push((c.clone(), retry_after, reason)),
                Err(ConsumeError::Overloaded(reason)) => {
                    overloaded += 1;
                    full.push((c.clone(), PENDING_RETRY, reason));
                }
                Err(ConsumeError::Refused(reason)) => refused.push((c.name().to_string(), reason)),
            }
        }
        if took == 0 && !full.is_empty() {
            let retry_after = full.iter().map(|f| f.1).min().unwrap_or(PENDING_RETRY);
            let reason = full
                .iter()
                .map(|(c, _, why)| format!("{}: {why}", c.name()))
                .collect::<Vec<_>>()
                .join("; ");
            if overloaded == full.len() {
                return Err(ConsumeError::Overloaded(reason));
            }
            return Err(ConsumeError::Full {
                retry_after,
                reason,
            });
        }
        if took == 0 && !refused.is_empty() {
            return Err(ConsumeError::Refused(
                refused
                    .iter()
                    .map(|(n, why)| format!("{n}: {why}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        if !full.is_empty() {
            *pending = Some(Pending {
                data: data.clone(),
                to: full.into_iter().map(|f| f.0).collect(),
                token: token.cloned(),
            });
        }
        refusals.extend(refused);
        if let Some(o) = self.observer.get() {
            if o.active() {
                o.taken(data, &consumers);
            }
        }
        Ok(refusals)
    }

    /// Offers the held requests again: the refusals met, and whether any request is still held.
    pub fn retry_pending(&self) -> (Vec<Refusal>, bool) {
        let mut refusals = Vec::new();
        let mut held = false;
        for slot in &self.pending {
            let mut pending = slot.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(p) = pending.as_mut() {
                if flush(p, &mut refusals) {
                    *pending = None;
                } else {
                    held = true;
                }
            }
        }
        (refusals, held)
    }
}

fn names(consumers: &[Consumer]) -> Vec<String> {
    consumers.iter().map(|c| c.name().to_string()).collect()
}

/// Offers the held request to the consumers still owed it; `true` when none is left.
fn flush(p: &mut Pending, refusals: &mut Vec<Refusal>) -> bool {
    let Pending { data, to, token } = p;
    to.retain(|c| match c.consume(data, token.as_ref()) {
        Ok(()) => false,
        Err(ConsumeError::Full { .. } | ConsumeError::Overloaded(_)) => true,
        Err(ConsumeError::Refused(reason)) => {
            refusals.push((c.name().to_string(), reason));
            false
        }
    });
    to.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Traces;
    use crate::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Sink {
        got: Mutex<usize>,
        full: AtomicBool,
    }

    impl Consume for Sink {
        fn consume(&self, data: &Data, _: Option<&Token>) -> Result<(), ConsumeError> {
            if self.full.load(Ordering::SeqCst) {
                return Err(ConsumeError::Full {
                    retry_after: Duration::from_millis(5),
                    reason: "queue is full".into(),
                });
            }
            *self.got.lock().unwrap() += data.items();
            Ok(())
        }
    }

    fn sink(full: bool) -> Arc<Sink> {
        Arc::new(Sink {
            got: Mutex::new(0),
            full: AtomicBool::new(full),
        })
    }

    fn spans(n: usize) -> Data {
        Data::Traces(Traces {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span::default(); n],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    }

    #[test]
    fn a_full_consumer_gets_the_request_later_and_nobody_gets_it_twice() {
        let a = sink(false);
        let b = sink(true);
        let f = Fanout::new(Outputs {
            traces: vec![Consumer::new("a", a.clone()), Consumer::new("b", b.clone())],
            ..Default::default()
        });
        assert_eq!(f.send(&spans(3), None), Ok(vec![]));
        assert!(f.has_pending());
        // While b owes the first request, new ones wait.
        assert!(matches!(
            f.send(&spans(2), None),
            Err(ConsumeError::Full { .. })
        ));
        b.full.store(false, Ordering::SeqCst);
        assert_eq!(f.retry_pending(), (vec![], false));
        assert_eq!(f.send(&spans(2), None), Ok(vec![]));
        assert_eq!((*a.got.lock().unwrap(), *b.got.lock().unwrap()), (5, 5));
    }

    /// Counts how requests reached it: lent (`consume`) or handed over (`consume_owned`).
    #[derive(Default)]
    struct Keeper {
        lent: Mutex<usize>,
        owned: Mutex<Vec<Data>>,
    }

    impl Consume for Keeper {
        fn consume(&self, _: &Data, _: Option<&Token>) -> Result<(), ConsumeError> {
            *self.lent.lock().unwrap() += 1;
            Ok(())
        }

        fn consume_owned(&self, data: Data, _: Option<&Token>) -> Result<(), (ConsumeError, Data)> {
            self.owned.lock().unwrap().push(data);
            Ok(())
        }
    }

    #[test]
    fn a_single_consumer_is_handed_the_request_and_several_are_lent_it() {
        let k = Arc::new(Keeper::default());
        let f = Fanout::new(Outputs {
            traces: vec![Consumer::new("k", k.clone())],
            ..Default::default()
        });
        assert_eq!(f.send_owned(spans(3), None).map_err(|e| e.0), Ok(vec![]));
        assert_eq!(*k.owned.lock().unwrap(), vec![spans(3)]);
        let (a, b) = (Arc::new(Keeper::default()), Arc::new(Keeper::default()));
        let f = Fanout::new(Outputs {
            traces: vec![Consumer::new("a", a.clone()), Consumer::new("b", b.clone())],
            ..Default::default()
        });
        assert_eq!(f.send_owned(spans(2), None).map_err(|e| e.0), Ok(vec![]));
        assert_eq!((*a.lent.lock().unwrap(), *b.lent.lock().unwrap()), (1, 1));
        assert!(a.owned.lock().unwrap().is_empty() && b.owned.lock().unwrap().is_empty());
    }

    #[test]
    fn a_request_handed_over_comes_back_unchanged_when_it_was_not_taken() {
        let b = sink(true);
        let f = Fanout::new(Outputs {
            traces: vec![Consumer::new("b", b.clone())],
            ..Default::default()
        });
        let (e, back) = f.send_owned(spans(3), None).unwrap_err();
        assert_eq!(e.reason(), "b: queue is full");
        assert!(matches!(e, ConsumeError::Full { .. }));
        assert_eq!(back, spans(3));
        b.full.store(false, Ordering::SeqCst);
        assert_eq!(f.send_owned(back, None).map_err(|e| e.0), Ok(vec![]));
        assert_eq!(*b.got.lock().unwrap(), 3);
    }

    #[test]
    fn all_full_takes_nothing_and_no_consumer_takes_everything() {
        let b = sink(true);
        let f = Fanout::new(Outputs {
            traces: vec![Consumer::new("b", b)],
            ..Default::default()
        });
        let err = f.send(&spans(1), None).unwrap_err();
        assert_eq!(err.reason(), "b: queue is full");
        assert!(!f.has_pending());
        assert_eq!(f.send(&Data::empty(Signal::Logs), None), Ok(vec![]));
    }
}
