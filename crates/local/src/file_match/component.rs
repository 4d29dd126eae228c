//! The running `local.file_match`: matches its path targets now (so dependants see the files at once),
//! then every `sync_period` and whenever its arguments change, on a blocking thread.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ingot_common::targets::targets_value;
use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::value::Value;
use tokio::sync::Notify;

use super::args::Arguments;
use super::matcher::match_files;

pub const NAME: &str = "local.file_match";

type Target = BTreeMap<String, String>;

struct Shared {
    ctx: Context,
    args: Mutex<Arguments>,
    /// Wakes the sync loop when the arguments change.
    changed: Notify,
}

pub struct Component {
    shared: Arc<Shared>,
}

/// Every file the path targets match now: one target each, and what got in the way.
pub fn targets(args: &Arguments) -> (Vec<Target>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let now = SystemTime::now();
    for t in &args.path_targets {
        let m = match_files(t);
        problems.extend(m.problems);
        for f in m.files {
            if !args.ignore_older_than.is_zero() {
                let old = f.modified.is_some_and(|mt| {
                    now.duration_since(mt)
                        .is_ok_and(|age| age > args.ignore_older_than)
                });
                if old {
                    continue;
                }
            }
            let mut target = t.clone();
            target.insert("__path__".into(), f.path);
            out.push(target);
        }
    }
    (out, problems)
}

impl Shared {
    fn sync(&self) {
        let args = self.args.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (found, problems) = targets(&args);
        if problems.is_empty() {
            self.ctx
                .health
                .healthy(format!("{} files matched", found.len()));
        } else {
            self.ctx.health.unhealthy(format!(
                "{} files matched; cannot match in: {}",
                found.len(),
                problems.join("; ")
            ));
        }
        self.ctx
            .exports
            .publish(Value::object([("targets", targets_value(&found))]));
    }
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let shared = Arc::new(Shared {
            ctx,
            args: Mutex::new(args),
            changed: Notify::new(),
        });
        // Validating reads no directory: the targets are empty.
        if shared.ctx.validate_only {
            shared
                .ctx
                .exports
                .init(Value::object([("targets", targets_value(&[]))]));
        } else {
            let args = shared
                .args
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let (found, _) = targets(&args);
            shared
                .ctx
                .exports
                .init(Value::object([("targets", targets_value(&found))]));
        }
        Ok(Component { shared })
    }

    fn start(self: &Arc<Self>) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            loop {
                let s = shared.clone();
                let _ = tokio::task::spawn_blocking(move || s.sync()).await;
                let period = shared
                    .args
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .sync_period
                    .max(Duration::from_millis(1));
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = shared.changed.notified() => {}
                    _ = shared.ctx.shutdown.cancelled() => return,
                }
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        *self.shared.args.lock().unwrap_or_else(|e| e.into_inner()) = args;
        self.shared.changed.notify_one();
        Ok(())
    }
}
