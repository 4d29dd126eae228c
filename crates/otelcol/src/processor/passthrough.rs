//! What processors that change data and pass it on share: a [`Fanout`] to the `output` consumers, the
//! refusals it meets logged once per change, and a task that offers a request held for full consumers
//! again even when no new request comes.

use std::sync::Arc;
use std::time::Duration;

use ingot_otlp::{ConsumeError, Data, Fanout, Outputs, Token};
use ingot_runtime::component::Context;

use crate::conditions::ConditionLog;

pub struct PassThrough {
    id: String,
    pub fanout: Fanout,
    conditions: ConditionLog,
}

impl PassThrough {
    pub fn new(id: &str, outputs: Outputs) -> Arc<PassThrough> {
        Arc::new(PassThrough {
            id: id.to_string(),
            fanout: Fanout::new(outputs),
            conditions: ConditionLog::default(),
        })
    }

    pub fn send(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
        let refusals = self.fanout.send(data, token)?;
        for (consumer, why) in refusals {
            self.conditions.fail(
                &self.id,
                &format!("{consumer} refused {}: {why}", data.signal().as_str()),
                data.items(),
            );
        }
        Ok(())
    }

    /// Starts the task that retries held requests (stops with the component).
    pub fn start(self: &Arc<Self>, ctx: &Context) {
        let me = self.clone();
        let shutdown = ctx.shutdown.clone();
        ctx.tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.cancelled() => break,
                }
                if me.fanout.has_pending() {
                    for (consumer, why) in me.fanout.retry_pending().0 {
                        me.conditions
                            .fail(&me.id, &format!("{consumer} refused data: {why}"), 0);
                    }
                }
            }
        });
    }
}
