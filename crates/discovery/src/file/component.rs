//! The running `discovery.file`: re-reads its files on a schedule and when they change, keeps each
//! file's last good targets, and reports the files that fail.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ingot_common::targets::targets_value;
use ingot_runtime::component::{ComponentType, Context, Stability};

use super::args::Arguments;
use super::glob::expand_pattern;
use super::targets_file::{read_file, Target};

pub const NAME: &str = "discovery.file";

/// A file's identity for change detection.
type Stamp = (PathBuf, Option<SystemTime>, u64);

#[derive(Default)]
struct State {
    /// Last good targets per file.
    last_good: BTreeMap<PathBuf, Vec<Target>>,
    errors: BTreeMap<PathBuf, String>,
    stamps: Vec<Stamp>,
}

struct Shared {
    ctx: Context,
    args: Mutex<Arguments>,
    state: Mutex<State>,
}

pub struct Component {
    shared: Arc<Shared>,
}

fn stamps(files: &[String]) -> Vec<Stamp> {
    let mut out = Vec::new();
    for p in files {
        for f in expand_pattern(p) {
            let meta = std::fs::metadata(&f).ok();
            out.push((
                f,
                meta.as_ref().and_then(|m| m.modified().ok()),
                meta.map_or(0, |m| m.len()),
            ));
        }
    }
    out
}

impl Shared {
    /// Re-reads every file and publishes the targets.
    fn refresh(&self) {
        let files = self
            .args
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .files
            .clone();
        let now_stamps = stamps(&files);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut good = BTreeMap::new();
        let mut errors = BTreeMap::new();
        for (path, _, _) in &now_stamps {
            match read_file(path) {
                Ok(t) => {
                    good.insert(path.clone(), t);
                }
                Err(e) => {
                    if let Some(prev) = state.last_good.get(path) {
                        good.insert(path.clone(), prev.clone());
                    }
                    errors.insert(path.clone(), e);
                }
            }
        }
        state.last_good = good;
        state.errors = errors;
        state.stamps = now_stamps;
        let targets: Vec<Target> = state.last_good.values().flatten().cloned().collect();
        if state.errors.is_empty() {
            self.ctx.health.healthy(format!(
                "read {} targets from {} files",
                targets.len(),
                state.last_good.len()
            ));
        } else {
            let msgs: Vec<String> = state
                .errors
                .iter()
                .map(|(p, e)| format!("{}: {e}", p.display()))
                .collect();
            self.ctx.health.unhealthy(format!(
                "error reading file (keeping its last good targets): {}",
                msgs.join("; ")
            ));
        }
        drop(state);
        self.ctx
            .exports
            .publish(ingot_syntax::value::Value::object([(
                "targets",
                targets_value(&targets),
            )]));
    }

    fn changed(&self) -> bool {
        let files = self
            .args
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .files
            .clone();
        let now = stamps(&files);
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stamps != now
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
            state: Mutex::new(State::default()),
        });
        // The first read is synchronous so that dependants see the targets at once; the exports are
        // set before anyone depends on them. Validating reads no file: the targets are empty.
        if shared.ctx.validate_only {
            shared.ctx.exports.init(targets_value(&[]));
        } else {
            shared.refresh();
        }
        Ok(Component { shared })
    }

    fn start(self: &Arc<Self>) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let mut last_full = Instant::now();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shared.ctx.shutdown.cancelled() => return,
                }
                let refresh = shared
                    .args
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .refresh_interval;
                let due = !refresh.is_zero() && last_full.elapsed() >= refresh;
                let s = shared.clone();
                let changed = tokio::task::spawn_blocking(move || s.changed())
                    .await
                    .unwrap_or(true);
                if due || changed {
                    let s = shared.clone();
                    let _ = tokio::task::spawn_blocking(move || s.refresh()).await;
                    last_full = Instant::now();
                }
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        *self.shared.args.lock().unwrap_or_else(|e| e.into_inner()) = args;
        self.shared.refresh();
        Ok(())
    }
}
