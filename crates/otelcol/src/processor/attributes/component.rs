//! The running `otelcol.processor.attributes`: applies the actions to a copy of each request (only to
//! the items `include`/`exclude` select) and passes it on.

use std::sync::{Arc, RwLock};

use ingot_common::receiver::OtelConsumer;
use ingot_otlp::{Consume, ConsumeError, Consumer, Data, Signal, Token};
use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::value::Value;

use super::actions::apply;
use super::args::Arguments;
use super::matching::Item;
use crate::processor::passthrough::PassThrough;

pub const NAME: &str = "otelcol.processor.attributes";

struct Attributes {
    args: RwLock<Arc<Arguments>>,
    out: Arc<PassThrough>,
}

fn selected(args: &Arguments, item: &Item<'_>, signal: Signal) -> bool {
    args.include
        .as_ref()
        .is_none_or(|m| m.matches(item, signal))
        && !args
            .exclude
            .as_ref()
            .is_some_and(|m| m.matches(item, signal))
}

fn process(args: &Arguments, data: &mut Data) {
    use ingot_otlp::proto::metrics::v1::metric::Data as M;
    match data {
        Data::Traces(t) => {
            for rs in &mut t.resource_spans {
                let resource = rs.resource.clone().unwrap_or_default().attributes;
                for ss in &mut rs.scope_spans {
                    for s in &mut ss.spans {
                        let item = Item {
                            resource: &resource,
                            scope: ss.scope.as_ref(),
                            attributes: &s.attributes,
                            name: Some(&s.name),
                            span_kind: Some(s.kind),
                            severity_text: None,
                        };
                        if selected(args, &item, Signal::Traces) {
                            apply(&args.actions, &mut s.attributes);
                        }
                    }
                }
            }
        }
        Data::Logs(l) => {
            for rl in &mut l.resource_logs {
                let resource = rl.resource.clone().unwrap_or_default().attributes;
                for sl in &mut rl.scope_logs {
                    for r in &mut sl.log_records {
                        let body = r.body.as_ref().map(crate::exporter::debug::text::any);
                        let item = Item {
                            resource: &resource,
                            scope: sl.scope.as_ref(),
                            attributes: &r.attributes,
                            name: body.as_deref(),
                            span_kind: None,
                            severity_text: Some(&r.severity_text),
                        };
                        if selected(args, &item, Signal::Logs) {
                            apply(&args.actions, &mut r.attributes);
                        }
                    }
                }
            }
        }
        Data::Metrics(m) => {
            for rm in &mut m.resource_metrics {
                let resource = rm.resource.clone().unwrap_or_default().attributes;
                for sm in &mut rm.scope_metrics {
                    for metric in &mut sm.metrics {
                        let name = metric.name.clone();
                        let each = |attrs: &mut Vec<_>| {
                            let item = Item {
                                resource: &resource,
                                scope: sm.scope.as_ref(),
                                attributes: attrs,
                                name: Some(&name),
                                span_kind: None,
                                severity_text: None,
                            };
                            if selected(args, &item, Signal::Metrics) {
                                apply(&args.actions, attrs);
                            }
                        };
                        match &mut metric.data {
                            Some(M::Gauge(g)) => g
                                .data_points
                                .iter_mut()
                                .for_each(|p| each(&mut p.attributes)),
                            Some(M::Sum(s)) => s
                                .data_points
                                .iter_mut()
                                .for_each(|p| each(&mut p.attributes)),
                            Some(M::Histogram(h)) => h
                                .data_points
                                .iter_mut()
                                .for_each(|p| each(&mut p.attributes)),
                            Some(M::ExponentialHistogram(h)) => h
                                .data_points
                                .iter_mut()
                                .for_each(|p| each(&mut p.attributes)),
                            Some(M::Summary(s)) => s
                                .data_points
                                .iter_mut()
                                .for_each(|p| each(&mut p.attributes)),
                            None => {}
                        }
                    }
                }
            }
        }
    }
}

impl Consume for Attributes {
    fn consume(&self, data: &Data, token: Option<&Token>) -> Result<(), ConsumeError> {
        let args = self.args.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut copy = data.clone();
        process(&args, &mut copy);
        self.out.send(&copy, token)
    }
}

pub struct Component {
    ctx: Context,
    state: Arc<Attributes>,
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;
    const LIVE_DEBUGGING: bool = true;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let state = Arc::new(Attributes {
            out: PassThrough::new(&ctx.id, args.output.clone()),
            args: RwLock::new(Arc::new(args)),
        });
        crate::livedebug::observe(&state.out.fanout, &ctx.live_debugging);
        let input = Consumer::new(ctx.id.clone(), state.clone());
        ctx.exports
            .init(Value::object([("input", Value::from(OtelConsumer(input)))]));
        ctx.health.healthy("started component");
        Ok(Component { ctx, state })
    }

    fn start(self: &Arc<Self>) {
        self.state.out.start(&self.ctx);
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        for w in &args.warnings {
            tracing::warn!(component = %self.ctx.id, "{w}");
        }
        self.state.out.fanout.set_outputs(args.output.clone());
        *self.state.args.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(args);
        Ok(())
    }
}
