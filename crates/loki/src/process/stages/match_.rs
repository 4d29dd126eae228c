//! `stage.match`: entries whose labels and line match `selector` (LogQL: a stream selector and line filters,
//! see [`crate::process::logql`]) go through the nested `stage.*` blocks (`action = "keep"`, the default),
//! or are dropped (`action = "drop"`, counted in `loki_process_dropped_lines_total` with
//! `drop_counter_reason`, default `match_stage`); other entries pass unchanged. `pipeline_name` is accepted
//! and, as in Alloy, not used.

use std::sync::Arc;
use std::time::Instant;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::{build_pipeline, decode_stages, invalid, StageConfig};
use crate::process::logql::{self, Selector};
use crate::process::metrics::Metrics;
use crate::process::pipeline::{PEntry, Pipeline, Stage};

#[derive(Clone, Debug)]
pub struct Config {
    pub selector_text: String,
    pub selector: Selector,
    pub stages: Vec<StageConfig>,
    pub drop: bool,
    pub pipeline_name: String,
    pub reason: String,
}

impl PartialEq for Config {
    fn eq(&self, o: &Config) -> bool {
        self.selector_text == o.selector_text
            && self.stages == o.stages
            && self.drop == o.drop
            && self.pipeline_name == o.pipeline_name
            && self.reason == o.reason
    }
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let selector_text: String = d.required("selector")?;
        let action: String = d.optional_or("action", String::new())?;
        let pipeline_name: String = d.optional_or("pipeline_name", String::new())?;
        let reason: String = d.optional_or("drop_counter_reason", String::new())?;
        let stages = decode_stages(d)?;
        if selector_text.is_empty() {
            return Err(d.error_at_attr(
                "selector",
                invalid("selector statement required for match stage"),
            ));
        }
        let drop = match action.as_str() {
            "" | "keep" => false,
            "drop" => true,
            _ => {
                return Err(d.error_at_attr(
                    "action",
                    invalid("match stage action should be 'keep' or 'drop'"),
                ))
            }
        };
        if !drop && stages.is_empty() {
            return Err(d.error(invalid(
                "match stage requires at least one additional stage to be defined in '- stages'",
            )));
        }
        if drop && !stages.is_empty() {
            return Err(d.error(invalid(
                "match stage configured to drop entries cannot contains stages",
            )));
        }
        let selector = logql::parse(&selector_text).map_err(|e| {
            let e = if e.starts_with("error parsing pipeline") {
                e
            } else {
                format!("invalid selector syntax for match stage: {e}")
            };
            d.error_at_attr("selector", invalid(e))
        })?;
        Ok(Config {
            selector_text,
            selector,
            stages,
            drop,
            pipeline_name,
            reason: if reason.is_empty() {
                "match_stage".to_string()
            } else {
                reason
            },
        })
    }
}

impl Config {
    pub fn build(&self, metrics: &Arc<Metrics>) -> Match {
        Match {
            selector: self.selector.clone(),
            pipeline: (!self.drop).then(|| build_pipeline(&self.stages, metrics)),
            reason: self.reason.clone(),
            metrics: metrics.clone(),
        }
    }
}

pub struct Match {
    selector: Selector,
    /// The nested stages (`None` for `action = "drop"`).
    pipeline: Option<Pipeline>,
    reason: String,
    metrics: Arc<Metrics>,
}

impl Stage for Match {
    fn process(&mut self, e: PEntry, out: &mut Vec<PEntry>) {
        if !self.selector.matches(&e.labels, &e.line) {
            out.push(e);
            return;
        }
        match &mut self.pipeline {
            Some(p) => p.run(e, out),
            None => self.metrics.dropped(&self.reason),
        }
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<PEntry>) {
        if let Some(p) = &mut self.pipeline {
            p.run_tick(now, out);
        }
    }

    fn flush(&mut self, out: &mut Vec<PEntry>) {
        if let Some(p) = &mut self.pipeline {
            p.run_flush(out);
        }
    }

    fn saturated(&self) -> bool {
        self.pipeline.as_ref().is_some_and(Pipeline::saturated)
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    const CFG: &str = r#"
        stage.json { expressions = { app = "" } }
        stage.labels { values = { app = "" } }
        stage.match {
            selector = "{app=\"loki\"}"
            stage.json { expressions = { msg = "message" } }
            stage.output { source = "msg" }
        }
        stage.match {
            selector = "{app=\"promtail\"} |~ \".*noisy.*\""
            action = "drop"
            drop_counter_reason = "promtail_noise"
        }
    "#;

    // Alloy's match_test.go: nested stages for one app, drop for another's noisy lines.
    #[test]
    fn keep_runs_nested_stages_and_drop_counts() {
        let (mut p, m) = pipeline(CFG);
        let mut out = Vec::new();
        p.run(entry(&[], r#"{"app":"loki","message":"hello"}"#), &mut out);
        p.run(
            entry(&[], r#"{"app":"promtail","message":"a noisy line"}"#),
            &mut out,
        );
        p.run(
            entry(&[], r#"{"app":"promtail","message":"quiet"}"#),
            &mut out,
        );
        p.run(entry(&[], r#"{"app":"other","message":"x"}"#), &mut out);
        let lines: Vec<&str> = out.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(
            lines,
            [
                "hello",
                r#"{"app":"promtail","message":"quiet"}"#,
                r#"{"app":"other","message":"x"}"#
            ]
        );
        assert_eq!(m.dropped_count("promtail_noise"), 1);
    }

    #[test]
    fn errors() {
        assert!(
            error("stage.match {\nselector = \"\"\naction = \"drop\"\n}")
                .contains("selector statement required for match stage")
        );
        assert!(
            error("stage.match {\nselector = \"{a=\\\"b\\\"}\"\naction = \"x\"\n}")
                .contains("match stage action should be 'keep' or 'drop'")
        );
        assert!(
            error("stage.match {\nselector = \"{a=\\\"b\\\"}\"\n}").contains(
                "match stage requires at least one additional stage to be defined in '- stages'"
            )
        );
        assert!(error("stage.match {\nselector = \"{a=\\\"b\\\"}\"\naction = \"drop\"\nstage.output { source = \"a\" }\n}")
            .contains("match stage configured to drop entries cannot contains stages"));
        let e = error("stage.match {\nselector = \"{a}\"\naction = \"drop\"\n}");
        assert!(e.contains("test.alloy:2:12"), "{e}");
        assert!(e.contains("invalid stage config invalid selector syntax for match stage: parse error at line 1, col 3: syntax error: unexpected }, expecting = or != or =~ or !~"), "{e}");
        // A nested stage's error is reported where it is.
        let e = error(
            "stage.match {\nselector = \"{a=\\\"b\\\"}\"\nstage.regex { expression = \"(\" }\n}",
        );
        assert!(e.contains("test.alloy:3:28"), "{e}");
    }
}
