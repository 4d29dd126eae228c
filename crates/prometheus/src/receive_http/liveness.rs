//! The relay's `up` for pushing hosts: which hosts deliver, which have gone silent, which stopped on
//! purpose. Pure bookkeeping on a clock the caller passes in (milliseconds since the epoch), so every rule
//! is tested without waiting.
//!
//! The rules (docs/push-liveness.md explains why):
//!
//! * A host is the `(job, instance)` of an `up` series it pushes. It becomes known with its first `up`
//!   sample that is not a staleness marker.
//! * The relay owns `up` for known hosts: the host's own `up` samples are taken out of the stream and the
//!   relay writes `up` itself, with the relay's clock as timestamp and the host's newest `up` value (1, or 0
//!   when the host's own scrape failed). So `up` timestamps only move forward whatever the host's clock
//!   or backlog, and the `0` the relay writes never collides with a late sample of the host.
//! * Any request carrying a sample of a known host is proof of life, whatever the samples' timestamps: a
//!   backlogged agent replaying its WAL delivers old samples, a dead one delivers nothing. Requests the
//!   relay then fails to forward (it answers 500) count too: the sender was there.
//! * A host heard from within `down_after` is up. Past `down_after` of silence the relay writes `up` 0, and
//!   repeats it on every check so that the series stays current (as a pull-mode scrape would).
//! * A host whose `up` ends with a staleness marker stopped on purpose (a clean shutdown, or its target
//!   was removed): the relay writes a staleness marker for `up`, never 0.
//! * Past `forget_after` of silence a down host's `up` gets a staleness marker and the host is forgotten;
//!   a stopped host is forgotten then too.

use std::collections::HashMap;
use std::time::Duration;

use ingot_prom::labels::Labels;
use ingot_prom::sample::{is_stale_nan, stale_nan, Sample};

/// The `liveness` block's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Silence after which a host's `up` becomes 0.
    pub down_after: Duration,
    /// Silence after which a host is forgotten (its `up` ends with a staleness marker).
    pub forget_after: Duration,
    /// How often hosts are checked, and how often a down host's `up` 0 is written again.
    pub check_interval: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            down_after: Duration::from_secs(120),
            forget_after: Duration::from_secs(24 * 3600),
            check_interval: Duration::from_secs(15),
        }
    }
}

/// While a host keeps delivering, its `up` is written at most this often (a busy host sends many
/// requests a second; one `up` sample a second is plenty).
const MIN_UP_WRITE_GAP_MS: i64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Delivering within `down_after`.
    Up,
    /// Silent for `down_after` or more: `up` is 0.
    Down,
    /// Its `up` ended with a staleness marker: stopped on purpose, `up` is stale.
    Stopped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Up => "up",
            State::Down => "down",
            State::Stopped => "stopped",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Host {
    pub job: String,
    pub instance: String,
    /// The `up` series as the host sends it (with its target and external labels).
    pub up_labels: Labels,
    pub state: State,
    /// The host's newest `up` value and its (host) timestamp.
    pub value: f64,
    pub value_ts: i64,
    /// Relay clock: the last request that carried one of the host's samples.
    pub last_seen_ms: i64,
    /// The newest sample timestamp the host has delivered (any series): how far behind it is.
    pub newest_sample_ms: i64,
    /// Relay clock: since when it is down or stopped.
    pub since_ms: i64,
    /// The timestamp of the last `up` sample the relay wrote for it.
    last_written_ms: i64,
    /// Whether the last written sample carries `value` (a change of value is written at once).
    written_value: f64,
}

impl Host {
    /// A timestamp for the next `up` sample: now, but never at or before the previous one.
    fn next_ts(&mut self, now_ms: i64) -> i64 {
        let ts = now_ms.max(self.last_written_ms + 1);
        self.last_written_ms = ts;
        ts
    }

    fn up_sample(&mut self, value: f64, now_ms: i64) -> Sample {
        let ts = self.next_ts(now_ms);
        self.written_value = value;
        Sample {
            labels: self.up_labels.clone(),
            timestamp_ms: ts,
            value,
            exemplar: None,
        }
    }
}

/// What the debug page shows of the hosts: counts, and the first hosts in full.
#[derive(Clone, Debug)]
pub struct Summary {
    pub up: usize,
    pub down: usize,
    pub stopped: usize,
    pub shown: Vec<Host>,
}

/// Counters for the component's debug metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub went_down: u64,
    pub came_back: u64,
    pub stopped: u64,
    pub forgotten: u64,
    pub up_samples_written: u64,
}

#[derive(Debug, Default)]
pub struct Tracker {
    config: Config,
    hosts: HashMap<(String, String), Host>,
    counters: Counters,
}

fn host_key(labels: &Labels) -> Option<(&str, &str)> {
    let job = labels.get("job").filter(|v| !v.is_empty())?;
    let instance = labels.get("instance").filter(|v| !v.is_empty())?;
    Some((job, instance))
}

impl Tracker {
    pub fn new(config: Config) -> Tracker {
        Tracker {
            config,
            hosts: HashMap::new(),
            counters: Counters::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The known hosts, in no order (one pass, no allocation).
    pub fn host_iter(&self) -> impl Iterator<Item = &Host> {
        self.hosts.values()
    }

    /// The known hosts, sorted by job and instance.
    pub fn hosts(&self) -> Vec<&Host> {
        let mut v: Vec<&Host> = self.hosts.values().collect();
        v.sort_by(|a, b| (&a.job, &a.instance).cmp(&(&b.job, &b.instance)));
        v
    }

    /// A bounded copy for the debug page, taken in one pass: the number of hosts in each state, and the
    /// first `limit` hosts in the order a person wants them (down first, then stopped, then up; by job and
    /// instance within each). With 100,000 hosts it copies `limit` of them, never all, so the lock it is
    /// taken under is held for one scan.
    pub fn summary(&self, limit: usize) -> Summary {
        use std::collections::BinaryHeap;
        fn rank(s: State) -> u8 {
            match s {
                State::Down => 0,
                State::Stopped => 1,
                State::Up => 2,
            }
        }
        let mut counts = [0usize; 3];
        // A max-heap of the best `limit` so far: its top is the worst of them, replaced by anything better.
        let mut best: BinaryHeap<(u8, &str, &str)> = BinaryHeap::with_capacity(limit + 1);
        for h in self.hosts.values() {
            counts[rank(h.state) as usize] += 1;
            if limit == 0 {
                continue;
            }
            let key = (rank(h.state), h.job.as_str(), h.instance.as_str());
            if best.len() < limit {
                best.push(key);
            } else if best.peek().is_some_and(|top| key < *top) {
                best.pop();
                best.push(key);
            }
        }
        let mut shown: Vec<Host> = best
            .into_iter()
            .filter_map(|(_, job, instance)| {
                self.hosts
                    .get(&(job.to_string(), instance.to_string()))
                    .cloned()
            })
            .collect();
        shown.sort_by(|a, b| {
            (rank(a.state), &a.job, &a.instance).cmp(&(rank(b.state), &b.job, &b.instance))
        });
        Summary {
            down: counts[0],
            stopped: counts[1],
            up: counts[2],
            shown,
        }
    }

    pub fn count(&self, state: State) -> usize {
        self.hosts.values().filter(|h| h.state == state).count()
    }

    /// One request's samples arrived at `now_ms`: takes the hosts' `up` samples out of `samples` and
    /// returns the `up` samples the relay writes in their place.
    pub fn observe(&mut self, samples: &mut Vec<Sample>, now_ms: i64) -> Vec<Sample> {
        let mut ups = Vec::new();
        samples.retain(|s| {
            let is_host_up = s.labels.metric_name() == "up" && host_key(&s.labels).is_some();
            if is_host_up {
                ups.push(s.clone());
            }
            !is_host_up
        });
        // A request may carry several `up` samples of one host (a backlog): apply them in time order.
        ups.sort_by_key(|s| s.timestamp_ms);
        let mut out = Vec::new();
        let mut touched: Vec<(String, String)> = Vec::new();
        for s in &ups {
            let Some((job, instance)) = host_key(&s.labels) else {
                continue;
            };
            let key = (job.to_string(), instance.to_string());
            let stale = is_stale_nan(s.value);
            let host = match self.hosts.get_mut(&key) {
                Some(h) => h,
                None => {
                    let state = if stale { State::Stopped } else { State::Up };
                    if stale {
                        // A host the relay never saw alive (the relay restarted since): end its `up` anyway.
                        self.counters.stopped += 1;
                    }
                    self.hosts.insert(
                        key.clone(),
                        Host {
                            job: key.0.clone(),
                            instance: key.1.clone(),
                            up_labels: s.labels.clone(),
                            state,
                            value: s.value,
                            value_ts: s.timestamp_ms,
                            last_seen_ms: now_ms,
                            newest_sample_ms: s.timestamp_ms,
                            since_ms: now_ms,
                            last_written_ms: i64::MIN,
                            written_value: f64::NAN,
                        },
                    );
                    let h = self.hosts.get_mut(&key).expect("just inserted");
                    if stale {
                        out.push(h.up_sample(stale_nan(), now_ms));
                    } else {
                        touched.push(key);
                    }
                    continue;
                }
            };
            // Arrival decides, never the sample's timestamp: a host's `up` samples arrive in the order it
            // scraped them (one series, one queue), so the newest arrival is the newest value. A sample
            // stamped in the future (a bad clock) must not make every later value look old.
            host.value_ts = s.timestamp_ms;
            host.newest_sample_ms = host.newest_sample_ms.max(s.timestamp_ms);
            if s.labels != host.up_labels {
                // Same host, other labels (an external label changed): end the old series.
                let old = std::mem::replace(&mut host.up_labels, s.labels.clone());
                let ts = host.next_ts(now_ms);
                out.push(Sample {
                    labels: old,
                    timestamp_ms: ts,
                    value: stale_nan(),
                    exemplar: None,
                });
                host.written_value = f64::NAN;
            }
            if stale {
                if host.state != State::Stopped {
                    host.state = State::Stopped;
                    host.since_ms = now_ms;
                    host.last_seen_ms = now_ms;
                    self.counters.stopped += 1;
                    out.push(host.up_sample(stale_nan(), now_ms));
                }
                continue;
            }
            host.value = s.value;
            host.last_seen_ms = now_ms;
            if host.state != State::Up {
                if host.state == State::Down {
                    self.counters.came_back += 1;
                }
                host.state = State::Up;
                host.since_ms = now_ms;
                // Written below even if one was written this very second.
                host.written_value = f64::NAN;
            }
            touched.push(key);
        }

        // Every other sample of a known host is proof of life too, whatever its timestamp.
        let mut last: Option<(String, String)> = None;
        for s in samples.iter() {
            let Some((job, instance)) = host_key(&s.labels) else {
                continue;
            };
            if let Some((j, i)) = &last {
                if j == job && i == instance {
                    if let Some(h) = self.hosts.get_mut(&(j.clone(), i.clone())) {
                        h.newest_sample_ms = h.newest_sample_ms.max(s.timestamp_ms);
                    }
                    continue;
                }
            }
            let key = (job.to_string(), instance.to_string());
            if let Some(h) = self.hosts.get_mut(&key) {
                h.newest_sample_ms = h.newest_sample_ms.max(s.timestamp_ms);
                if h.state != State::Stopped {
                    h.last_seen_ms = now_ms;
                    if h.state == State::Down {
                        // Delivering again (a backlog, say) before its own `up` arrived.
                        h.state = State::Up;
                        h.since_ms = now_ms;
                        h.written_value = f64::NAN;
                        self.counters.came_back += 1;
                    }
                    touched.push(key.clone());
                }
            }
            last = Some(key);
        }

        touched.sort();
        touched.dedup();
        for key in touched {
            let Some(h) = self.hosts.get_mut(&key) else {
                continue;
            };
            if h.state != State::Up {
                continue;
            }
            let changed = h.written_value.to_bits() != h.value.to_bits();
            if changed || now_ms - h.last_written_ms >= MIN_UP_WRITE_GAP_MS {
                out.push(h.up_sample(h.value, now_ms));
            }
        }
        self.counters.up_samples_written += out.len() as u64;
        out
    }

    /// Decommissions a host: its `up` ends with a staleness marker (unless it already has) and the relay
    /// forgets it, so it is neither 0 nor absent-and-alerting afterwards; it comes back with its next
    /// delivery. `None` when the relay does not know the host.
    pub fn forget(&mut self, job: &str, instance: &str, now_ms: i64) -> Option<Vec<Sample>> {
        let mut host = self
            .hosts
            .remove(&(job.to_string(), instance.to_string()))?;
        self.counters.forgotten += 1;
        let mut out = Vec::new();
        if host.state != State::Stopped {
            out.push(host.up_sample(stale_nan(), now_ms));
            self.counters.up_samples_written += 1;
        }
        Some(out)
    }

    /// The periodic check at `now_ms`: hosts silent for `down_after` go down (`up` 0, written again on every
    /// check), hosts silent for `forget_after` are forgotten (a down host's `up` ends with a staleness
    /// marker). Returns the samples to write.
    pub fn check(&mut self, now_ms: i64) -> Vec<Sample> {
        let down_after = self.config.down_after.as_millis() as i64;
        let forget_after = self.config.forget_after.as_millis() as i64;
        let mut out = Vec::new();
        let mut forget = Vec::new();
        for (key, h) in self.hosts.iter_mut() {
            let silent = now_ms - h.last_seen_ms;
            match h.state {
                State::Up if silent >= down_after => {
                    h.state = State::Down;
                    h.since_ms = now_ms;
                    self.counters.went_down += 1;
                    out.push(h.up_sample(0.0, now_ms));
                }
                State::Up => {}
                State::Down if silent >= forget_after => {
                    out.push(h.up_sample(stale_nan(), now_ms));
                    forget.push(key.clone());
                }
                State::Down => out.push(h.up_sample(0.0, now_ms)),
                State::Stopped if now_ms - h.since_ms >= forget_after => forget.push(key.clone()),
                State::Stopped => {}
            }
        }
        for key in forget {
            self.hosts.remove(&key);
            self.counters.forgotten += 1;
        }
        self.counters.up_samples_written += out.len() as u64;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    fn sample(name: &str, job: &str, instance: &str, ts: i64, value: f64) -> Sample {
        Sample {
            labels: Labels::from_pairs(&[("__name__", name), ("instance", instance), ("job", job)]),
            timestamp_ms: ts,
            value,
            exemplar: None,
        }
    }

    fn up(instance: &str, ts: i64, value: f64) -> Sample {
        sample("up", "integrations/unix", instance, ts, value)
    }

    fn load(instance: &str, ts: i64) -> Sample {
        sample("node_load1", "integrations/unix", instance, ts, 0.5)
    }

    fn tracker() -> Tracker {
        Tracker::new(Config {
            down_after: Duration::from_secs(10),
            forget_after: Duration::from_secs(60),
            check_interval: Duration::from_secs(1),
        })
    }

    /// The written `up` samples as (instance, timestamp, value or "stale").
    fn written(samples: &[Sample]) -> Vec<(String, i64, String)> {
        samples
            .iter()
            .map(|s| {
                assert_eq!(s.labels.metric_name(), "up");
                let v = if is_stale_nan(s.value) {
                    "stale".to_string()
                } else {
                    s.value.to_string()
                };
                (
                    s.labels.get("instance").unwrap().to_string(),
                    s.timestamp_ms,
                    v,
                )
            })
            .collect()
    }

    fn w(instance: &str, ts: i64, v: &str) -> (String, i64, String) {
        (instance.to_string(), ts, v.to_string())
    }

    #[test]
    fn the_hosts_up_is_replaced_by_the_relays_at_arrival_time() {
        let mut t = tracker();
        // The host's clock is 5 s behind the relay's: the relay's timestamps are used.
        let mut batch = vec![up("a", 95 * S, 1.0), load("a", 95 * S)];
        let out = t.observe(&mut batch, 100 * S);
        assert_eq!(batch, vec![load("a", 95 * S)], "the host's up is taken out");
        assert_eq!(written(&out), vec![w("a", 100 * S, "1")]);
        // Within a second: nothing new written (same value); a changed value is written at once.
        let out = t.observe(&mut vec![up("a", 96 * S, 1.0)], 100 * S + 500);
        assert!(out.is_empty(), "{out:?}");
        let out = t.observe(&mut vec![up("a", 97 * S, 0.0)], 100 * S + 600);
        assert_eq!(written(&out), vec![w("a", 100 * S + 600, "0")]);
        assert_eq!(
            t.count(State::Up),
            1,
            "a host whose own scrape failed is still delivering"
        );
    }

    #[test]
    fn silence_turns_up_to_zero_and_delivery_brings_it_back() {
        let mut t = tracker();
        t.observe(&mut vec![up("a", 100 * S, 1.0)], 100 * S);
        t.observe(&mut vec![up("b", 100 * S, 1.0)], 100 * S);
        assert!(t.check(105 * S).is_empty());
        t.observe(&mut vec![up("b", 106 * S, 1.0)], 106 * S);
        // a: 10 s of silence → 0; b heard 4 s ago → nothing.
        assert_eq!(written(&t.check(110 * S)), vec![w("a", 110 * S, "0")]);
        assert_eq!(t.count(State::Down), 1);
        // Written again on every check while down.
        assert_eq!(written(&t.check(111 * S)), vec![w("a", 111 * S, "0")]);
        // a is back: 1 at arrival time.
        let out = t.observe(&mut vec![up("a", 112 * S, 1.0)], 112 * S);
        assert_eq!(written(&out), vec![w("a", 112 * S, "1")]);
        assert_eq!(t.count(State::Down), 0);
        assert_eq!(t.counters().went_down, 1);
        assert_eq!(t.counters().came_back, 1);
    }

    #[test]
    fn a_backlog_with_old_timestamps_is_proof_of_life() {
        let mut t = tracker();
        t.observe(&mut vec![up("a", 100 * S, 1.0)], 100 * S);
        // The host's pushes fail for 9 s, then its WAL replays samples up to 9 s old.
        let mut backlog = vec![load("a", 101 * S), load("a", 102 * S)];
        let out = t.observe(&mut backlog, 109 * S);
        assert_eq!(backlog.len(), 2, "other series pass through untouched");
        assert_eq!(written(&out), vec![w("a", 109 * S, "1")]);
        // Still up 9 s after that, although its newest sample is 17 s old by then.
        assert!(t.check(118 * S).is_empty());
        assert_eq!(t.count(State::Up), 1);
        // Within a request the newest `up` is the host's value; across requests the newest arrival is
        // (a host's `up` samples arrive in scrape order), whatever the timestamps say.
        let out = t.observe(
            &mut vec![up("a", 120 * S, 0.0), up("a", 103 * S, 1.0)],
            120 * S,
        );
        assert_eq!(written(&out), vec![w("a", 120 * S, "0")]);
        let out = t.observe(&mut vec![up("a", 104 * S, 1.0)], 125 * S);
        assert_eq!(written(&out), vec![w("a", 125 * S, "1")]);
    }

    #[test]
    fn a_clean_stop_ends_up_with_a_marker_never_zero() {
        let mut t = tracker();
        t.observe(&mut vec![up("a", 100 * S, 1.0)], 100 * S);
        let mut last = vec![up("a", 101 * S, stale_nan()), load("a", 101 * S)];
        let out = t.observe(&mut last, 101 * S + 10);
        assert_eq!(written(&out), vec![w("a", 101 * S + 10, "stale")]);
        assert_eq!(t.count(State::Stopped), 1);
        // Long silence afterwards: no 0, and forgotten after forget_after without another marker.
        assert!(t.check(150 * S).is_empty());
        assert!(t.check(161 * S + 10).is_empty());
        assert!(t.hosts().is_empty());
        // A stopped host's late samples do not revive it; its next `up` does.
        let mut t = tracker();
        t.observe(&mut vec![up("a", 100 * S, 1.0)], 100 * S);
        t.observe(&mut vec![up("a", 101 * S, stale_nan())], 101 * S);
        assert!(t.observe(&mut vec![load("a", 100 * S)], 102 * S).is_empty());
        assert_eq!(t.count(State::Stopped), 1);
        let out = t.observe(&mut vec![up("a", 130 * S, 1.0)], 130 * S);
        assert_eq!(written(&out), vec![w("a", 130 * S, "1")]);
    }

    #[test]
    fn a_dead_host_is_forgotten_with_a_staleness_marker() {
        let mut t = tracker();
        t.observe(&mut vec![up("a", 100 * S, 1.0)], 100 * S);
        assert_eq!(written(&t.check(110 * S)), vec![w("a", 110 * S, "0")]);
        assert_eq!(written(&t.check(160 * S)), vec![w("a", 160 * S, "stale")]);
        assert!(t.hosts().is_empty());
        assert_eq!(t.counters().forgotten, 1);
    }

    #[test]
    fn timestamps_only_move_forward() {
        let mut t = tracker();
        t.observe(&mut vec![up("a", 100 * S, 1.0)], 100 * S);
        // Two changes within one millisecond, and a check in the same millisecond.
        let a = t.observe(&mut vec![up("a", 101 * S, 0.0)], 100 * S);
        let b = t.observe(&mut vec![up("a", 102 * S, 1.0)], 100 * S);
        assert_eq!(written(&a), vec![w("a", 100 * S + 1, "0")]);
        assert_eq!(written(&b), vec![w("a", 100 * S + 2, "1")]);
    }

    #[test]
    fn series_without_job_or_instance_are_not_hosts() {
        let mut t = tracker();
        let mut batch = vec![
            Sample {
                labels: Labels::from_pairs(&[("__name__", "up"), ("job", "x")]),
                timestamp_ms: 1,
                value: 1.0,
                exemplar: None,
            },
            sample("up", "x", "", 1, 1.0),
        ];
        let out = t.observe(&mut batch, 100 * S);
        assert!(out.is_empty());
        assert_eq!(batch.len(), 2, "passed through");
        assert!(t.hosts().is_empty());
    }

    #[test]
    fn a_changed_label_set_ends_the_old_series() {
        let mut t = tracker();
        t.observe(&mut vec![up("a", 100 * S, 1.0)], 100 * S);
        let mut relabelled = up("a", 101 * S, 1.0);
        relabelled.labels = Labels::from_pairs(&[
            ("__name__", "up"),
            ("env", "prod"),
            ("instance", "a"),
            ("job", "integrations/unix"),
        ]);
        let out = t.observe(&mut vec![relabelled], 102 * S);
        assert_eq!(out.len(), 2);
        assert!(is_stale_nan(out[0].value) && out[0].labels.get("env").is_none());
        assert_eq!(out[1].labels.get("env"), Some("prod"));
        assert_eq!(out[1].value, 1.0);
    }

    #[test]
    fn a_forgotten_host_ends_its_up_once_and_comes_back_with_its_next_delivery() {
        let mut t = tracker();
        let mut batch = vec![up("a", S, 1.0), load("a", S)];
        t.observe(&mut batch, S);
        let out = t.forget("integrations/unix", "a", 2 * S).expect("known");
        assert_eq!(out.len(), 1);
        assert!(is_stale_nan(out[0].value), "{out:?}");
        assert!(t.hosts().is_empty());
        assert_eq!(t.forget("integrations/unix", "a", 3 * S), None);
        // Forgotten: no 0 later.
        assert!(t.check(1000 * S).is_empty());
        // Delivering again makes it known again.
        let mut batch = vec![up("a", 1001 * S, 1.0)];
        let ups = t.observe(&mut batch, 1001 * S);
        assert_eq!(ups.len(), 1);
        assert_eq!(t.hosts().len(), 1);
    }

    #[test]
    fn a_future_dated_up_does_not_stick() {
        let mut t = tracker();
        let year_3000 = 32_503_680_000 * S;
        let mut batch = vec![up("a", year_3000, 1.0)];
        t.observe(&mut batch, S);
        // The host's own up 0 afterwards, stamped now: it is what the host says now.
        let mut batch = vec![up("a", 2 * S, 0.0)];
        let ups = t.observe(&mut batch, 2 * S);
        assert_eq!(ups.len(), 1);
        assert_eq!(ups[0].value, 0.0, "{ups:?}");
        assert_eq!(
            ups[0].timestamp_ms,
            2 * S,
            "the relay's clock, not the sample's"
        );
        // And its end-of-run marker still ends it.
        let mut batch = vec![up("a", 3 * S, stale_nan())];
        let ups = t.observe(&mut batch, 3 * S);
        assert!(ups.iter().any(|s| is_stale_nan(s.value)), "{ups:?}");
        assert_eq!(t.hosts()[0].state, State::Stopped);
    }

    #[test]
    fn the_summary_counts_every_host_and_lists_the_first_down_ones_first() {
        let mut t = tracker();
        let mut batch: Vec<Sample> = (0..10_000)
            .map(|i| up(&format!("h{i:05}"), S, 1.0))
            .collect();
        t.observe(&mut batch, S);
        // Three go silent: after down_after they are down.
        let mut alive: Vec<Sample> = (3..10_000)
            .map(|i| up(&format!("h{i:05}"), 100 * S, 1.0))
            .collect();
        t.observe(&mut alive, 100 * S);
        t.check(100 * S);
        let s = t.summary(5);
        assert_eq!((s.up, s.down, s.stopped), (9_997, 3, 0));
        let shown: Vec<(&str, State)> = s
            .shown
            .iter()
            .map(|h| (h.instance.as_str(), h.state))
            .collect();
        assert_eq!(
            shown,
            [
                ("h00000", State::Down),
                ("h00001", State::Down),
                ("h00002", State::Down),
                ("h00003", State::Up),
                ("h00004", State::Up),
            ]
        );
        assert!(t.summary(0).shown.is_empty());
    }
}
