//! Component health, as Alloy models it (healthy, unhealthy, unknown, exited, each with a message and a time),
//! with one difference on purpose: components report failures of their work at run time, not only bad
//! configuration, so that health tells the truth.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HealthState {
    // The order is the priority when several sources disagree: the least healthy wins.
    Healthy,
    Unknown,
    Unhealthy,
    Exited,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Healthy => "healthy",
            HealthState::Unknown => "unknown",
            HealthState::Unhealthy => "unhealthy",
            HealthState::Exited => "exited",
        }
    }

    pub const ALL: [HealthState; 4] = [
        HealthState::Healthy,
        HealthState::Unknown,
        HealthState::Unhealthy,
        HealthState::Exited,
    ];
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub state: HealthState,
    pub message: String,
    pub updated: SystemTime,
}

impl Health {
    pub fn new(state: HealthState, message: impl Into<String>) -> Health {
        Health {
            state,
            message: message.into(),
            updated: SystemTime::now(),
        }
    }

    pub fn unknown() -> Health {
        Health {
            state: HealthState::Unknown,
            message: String::new(),
            updated: SystemTime::UNIX_EPOCH,
        }
    }

    /// The least healthy of several sources; on a tie, the most recent.
    pub fn least_healthy<'a>(sources: impl IntoIterator<Item = &'a Health>) -> Health {
        let mut worst: Option<&Health> = None;
        for h in sources {
            worst = match worst {
                None => Some(h),
                Some(w) if (h.state, h.updated) > (w.state, w.updated) => Some(h),
                keep => keep,
            };
        }
        worst.cloned().unwrap_or_else(Health::unknown)
    }
}

/// What a component holds to report the health of its own work. Cloning shares the same slot.
///
/// Every change of state is logged once (not on every repeat), so that a failing collector or an endpoint
/// that keeps refusing is loud without flooding the log.
#[derive(Clone, Debug)]
pub struct HealthReporter {
    component_id: Arc<str>,
    slot: Arc<Mutex<Health>>,
}

impl HealthReporter {
    pub fn new(component_id: &str) -> HealthReporter {
        // Until the component reports, its own health is a neutral "healthy" at the epoch: any other source
        // wins on a tie, so a component that never reports is as healthy as its life cycle says.
        let initial = Health {
            state: HealthState::Healthy,
            message: String::new(),
            updated: SystemTime::UNIX_EPOCH,
        };
        HealthReporter {
            component_id: component_id.into(),
            slot: Arc::new(Mutex::new(initial)),
        }
    }

    pub fn healthy(&self, message: impl Into<String>) {
        self.set(HealthState::Healthy, message.into());
    }

    pub fn unhealthy(&self, message: impl Into<String>) {
        self.set(HealthState::Unhealthy, message.into());
    }

    pub fn set(&self, state: HealthState, message: String) {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if slot.state == state && slot.message == message {
            return;
        }
        match state {
            HealthState::Unhealthy | HealthState::Exited => {
                tracing::warn!(component = %self.component_id, health = state.as_str(), "{message}")
            }
            _ if slot.state != state => {
                tracing::info!(component = %self.component_id, health = state.as_str(), "{message}")
            }
            _ => {}
        }
        *slot = Health::new(state, message);
    }

    pub fn get(&self) -> Health {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn least_healthy_wins_and_ties_go_to_the_newest() {
        let t = SystemTime::UNIX_EPOCH;
        let h = |state, secs, m: &str| Health {
            state,
            message: m.into(),
            updated: t + Duration::from_secs(secs),
        };
        let combined = Health::least_healthy(&[
            h(HealthState::Healthy, 9, "started"),
            h(HealthState::Unhealthy, 1, "old"),
            h(HealthState::Unhealthy, 5, "new"),
        ]);
        assert_eq!(combined.message, "new");
        assert_eq!(
            Health::least_healthy(&[
                h(HealthState::Exited, 0, "x"),
                h(HealthState::Unhealthy, 9, "y")
            ])
            .state,
            HealthState::Exited
        );
    }

    #[test]
    fn reporter_keeps_the_latest_state() {
        let r = HealthReporter::new("test.a.b");
        assert_eq!(r.get().state, HealthState::Healthy);
        assert_eq!(r.get().updated, SystemTime::UNIX_EPOCH);
        r.unhealthy("collector cpu failed: open /proc/stat: permission denied");
        r.unhealthy("collector cpu failed: open /proc/stat: permission denied");
        assert_eq!(r.get().state, HealthState::Unhealthy);
        r.healthy("all collectors succeeded");
        assert_eq!(r.get().message, "all collectors succeeded");
    }
}
