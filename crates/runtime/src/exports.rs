//! Component exports: the values other components read through references. Publishing a changed value wakes
//! the controller, which re-evaluates only the dependants of that component.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use ingot_syntax::value::Value;
use tokio::sync::mpsc;

/// A component's exports changed: which component, and when (its dependants' wait is measured from
/// then).
#[derive(Clone, Debug)]
pub struct Changed {
    pub id: Arc<str>,
    pub at: Instant,
}

/// A component's handle to publish its exports.
#[derive(Clone)]
pub struct ExportsPublisher {
    id: Arc<str>,
    slot: Arc<Mutex<Value>>,
    changed: mpsc::UnboundedSender<Changed>,
}

impl ExportsPublisher {
    pub fn new(id: &str, changed: mpsc::UnboundedSender<Changed>) -> ExportsPublisher {
        ExportsPublisher {
            id: id.into(),
            slot: Arc::new(Mutex::new(Value::Null)),
            changed,
        }
    }

    /// Sets the exports. Equal exports are not a change and wake nobody.
    pub fn publish(&self, value: Value) {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if *slot == value {
            return;
        }
        *slot = value;
        drop(slot);
        // The controller may be gone during shutdown; then nobody needs to know.
        let _ = self.changed.send(Changed {
            id: self.id.clone(),
            at: Instant::now(),
        });
    }

    pub fn get(&self) -> Value {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sets the exports at build time, before anyone depends on them (no notification).
    pub fn init(&self, value: Value) {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = value;
    }
}
