//! Logging a condition once per change, with counts: a sender that meets the same failure for every
//! request (a full queue, an endpoint down) logs it when it starts, keeps counting quietly, and logs
//! again when the condition changes or clears, with how many items it affected in between. (Alloy's users
//! know the alternative: one "sending queue is full" line per request.)

use std::sync::Mutex;
use std::time::Instant;

struct Current {
    what: String,
    items: u64,
    times: u64,
    since: Instant,
}

#[derive(Default)]
pub struct ConditionLog {
    current: Mutex<Option<Current>>,
}

impl ConditionLog {
    /// The condition `what` affected `items`: logged (as a warning) when it differs from the last one.
    pub fn fail(&self, component: &str, what: &str, items: usize) {
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match cur.as_mut() {
            Some(c) if c.what == what => {
                c.items += items as u64;
                c.times += 1;
            }
            _ => {
                if let Some(prev) = cur.take() {
                    log_end(component, &prev, "changed");
                }
                tracing::warn!(component = %component, items, "{what}");
                *cur = Some(Current {
                    what: what.to_string(),
                    items: items as u64,
                    times: 1,
                    since: Instant::now(),
                });
            }
        }
    }

    /// Whatever failed works again: logged once, with the totals.
    pub fn ok(&self, component: &str) {
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(prev) = cur.take() {
            log_end(component, &prev, "cleared");
        }
    }

    /// The condition in force, if any.
    pub fn current(&self) -> Option<String> {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|c| c.what.clone())
    }
}

fn log_end(component: &str, c: &Current, how: &str) {
    tracing::info!(
        component = %component,
        items = c.items,
        times = c.times,
        duration = %ingot_gocompat::time::format_std_duration(c.since.elapsed()),
        "condition {how} (it had affected {} items in {} requests): {}",
        c.items,
        c.times,
        c.what
    );
}
