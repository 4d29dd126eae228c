//! The `include` and `exclude` blocks (Alloy's `MatchProperties`): `match_type` `strict` or `regexp`, and
//! the properties an item must all meet: `services` (the resource's `service.name`), `span_names`,
//! `span_kinds`, `log_bodies`, `log_severity_texts`, `metric_names`, `attribute`, `resource` and `library`
//! blocks. Within a property any listed value may match; every listed attribute must be present (and equal,
//! or match as a regexp, when it has a value).

use ingot_otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use ingot_otlp::Outputs;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

use super::actions::any_from;
use crate::config::Warnings;

#[derive(Clone, Debug)]
pub enum Pattern {
    Strict(String),
    Regexp(regex::Regex),
}

impl Pattern {
    fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Strict(p) => p == s,
            Pattern::Regexp(r) => r.is_match(s),
        }
    }
}

#[derive(Clone, Debug)]
pub enum ValueMatch {
    Strict(AnyValue),
    Regexp(regex::Regex),
}

#[derive(Clone, Debug, Default)]
pub struct MatchProperties {
    pub services: Vec<Pattern>,
    pub span_names: Vec<Pattern>,
    pub span_kinds: Vec<Pattern>,
    pub log_bodies: Vec<Pattern>,
    pub log_severity_texts: Vec<Pattern>,
    pub metric_names: Vec<Pattern>,
    pub attributes: Vec<(String, Option<ValueMatch>)>,
    pub resources: Vec<(String, Option<ValueMatch>)>,
    pub libraries: Vec<(Pattern, Option<Pattern>)>,
    pub warnings: Warnings,
}

impl PartialEq for MatchProperties {
    fn eq(&self, other: &MatchProperties) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

struct RawAttr(String, Option<Value>);

impl Decode for RawAttr {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(RawAttr(d.required("key")?, d.optional("value")?))
    }
}

struct RawLibrary(String, Option<String>);

impl Decode for RawLibrary {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(RawLibrary(d.required("name")?, d.optional("version")?))
    }
}

struct RegexpCache;

impl Decode for RegexpCache {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let _: Option<bool> = d.optional("cache_enabled")?;
        let _: Option<i64> = d.optional("cache_max_num_entries")?;
        Ok(RegexpCache)
    }
}

struct Severity;

impl Decode for Severity {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let _: Option<Value> = d.optional("min")?;
        let _: Option<bool> = d.optional("match_undefined")?;
        Err(d.error("log_severity is not supported by ingot's attributes processor yet: match on log_severity_texts"))
    }
}

impl Decode for MatchProperties {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let match_type: String = d.required("match_type")?;
        let regexp = match match_type.as_str() {
            "strict" => false,
            "regexp" => true,
            other => {
                return Err(d.error_at_attr(
                    "match_type",
                    format!("unrecognized match_type: '{other}', valid types are: [regexp strict]"),
                ))
            }
        };
        let mut warnings = Warnings::new();
        if d.block::<RegexpCache>("regexp")?.is_some() {
            warnings.push("regexp (its cache settings) has no effect: ingot compiles each pattern once and needs no cache".into());
        }
        let _: Option<Severity> = d.block("log_severity")?;
        let pattern =
            |d: &mut BodyDecoder<'_, '_>, name: &str, p: String| -> Result<Pattern, Failed> {
                if regexp {
                    regex::Regex::new(&p).map(Pattern::Regexp).map_err(|e| {
                        d.error_at_attr(name, format!("error parsing regexp {p:?}: {e}"))
                    })
                } else {
                    Ok(Pattern::Strict(p))
                }
            };
        let list = |d: &mut BodyDecoder<'_, '_>, name: &str| -> Result<Vec<Pattern>, Failed> {
            let v: Vec<String> = d.optional_or(name, Vec::new())?;
            v.into_iter().map(|p| pattern(d, name, p)).collect()
        };
        let services = list(d, "services")?;
        let span_names = list(d, "span_names")?;
        let log_bodies = list(d, "log_bodies")?;
        let log_severity_texts = list(d, "log_severity_texts")?;
        let metric_names = list(d, "metric_names")?;
        let span_kinds = list(d, "span_kinds")?;
        let attrs = |d: &mut BodyDecoder<'_, '_>,
                     name: &str|
         -> Result<Vec<(String, Option<ValueMatch>)>, Failed> {
            let raw: Vec<RawAttr> = d.blocks(name)?;
            raw.into_iter()
                .map(|RawAttr(k, v)| {
                    let m = match v {
                        None => None,
                        Some(Value::String(s)) if regexp => {
                            Some(ValueMatch::Regexp(regex::Regex::new(&s).map_err(|e| {
                                d.error(format!("error parsing regexp {s:?}: {e}"))
                            })?))
                        }
                        Some(_) if regexp => {
                            return Err(d.error(format!(
                            "{name} {k:?}: match_type=regexp is only supported for string values"
                        )))
                        }
                        Some(v) => Some(ValueMatch::Strict(any_from(&v).ok_or_else(|| {
                            d.error(format!(
                                "{name} {k:?}: unsupported value type {}",
                                v.type_name()
                            ))
                        })?)),
                    };
                    Ok((k, m))
                })
                .collect()
        };
        let attributes = attrs(d, "attribute")?;
        let resources = attrs(d, "resource")?;
        let raw: Vec<RawLibrary> = d.blocks("library")?;
        let mut libraries = Vec::new();
        for RawLibrary(n, v) in raw {
            let n = pattern(d, "library", n)?;
            let v = match v {
                Some(v) => Some(pattern(d, "library", v)?),
                None => None,
            };
            libraries.push((n, v));
        }
        Ok(MatchProperties {
            services,
            span_names,
            span_kinds,
            log_bodies,
            log_severity_texts,
            metric_names,
            attributes,
            resources,
            libraries,
            warnings,
        })
    }
}

/// What an item offers to matching.
pub struct Item<'a> {
    pub resource: &'a [KeyValue],
    pub scope: Option<&'a InstrumentationScope>,
    pub attributes: &'a [KeyValue],
    /// Span name, log body (as text) or metric name.
    pub name: Option<&'a str>,
    pub span_kind: Option<i32>,
    pub severity_text: Option<&'a str>,
}

fn string_of(v: &AnyValue) -> Option<&str> {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn attrs_match(want: &[(String, Option<ValueMatch>)], have: &[KeyValue]) -> bool {
    want.iter().all(|(k, m)| {
        let Some(v) = have
            .iter()
            .find(|kv| &kv.key == k)
            .and_then(|kv| kv.value.as_ref())
        else {
            return false;
        };
        match m {
            None => true,
            Some(ValueMatch::Strict(w)) => w == v,
            Some(ValueMatch::Regexp(r)) => string_of(v).is_some_and(|s| r.is_match(s)),
        }
    })
}

fn any(list: &[Pattern], s: Option<&str>) -> bool {
    list.is_empty() || s.is_some_and(|s| list.iter().any(|p| p.matches(s)))
}

/// `SPAN_KIND_SERVER` and the pdata name `Server`, for a span kind number.
fn kind_names(kind: i32) -> [&'static str; 2] {
    match kind {
        1 => ["SPAN_KIND_INTERNAL", "Internal"],
        2 => ["SPAN_KIND_SERVER", "Server"],
        3 => ["SPAN_KIND_CLIENT", "Client"],
        4 => ["SPAN_KIND_PRODUCER", "Producer"],
        5 => ["SPAN_KIND_CONSUMER", "Consumer"],
        _ => ["SPAN_KIND_UNSPECIFIED", "Unspecified"],
    }
}

impl MatchProperties {
    pub fn matches(&self, item: &Item<'_>, signal: ingot_otlp::Signal) -> bool {
        use ingot_otlp::Signal;
        let service = item
            .resource
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_ref())
            .and_then(string_of);
        let names = match signal {
            Signal::Traces => any(&self.span_names, item.name),
            Signal::Logs => any(&self.log_bodies, item.name),
            Signal::Metrics => any(&self.metric_names, item.name),
        };
        names
            && any(&self.services, service)
            && any(&self.log_severity_texts, item.severity_text)
            && (self.span_kinds.is_empty()
                || item.span_kind.is_some_and(|k| {
                    kind_names(k)
                        .iter()
                        .any(|n| self.span_kinds.iter().any(|p| p.matches(n)))
                }))
            && attrs_match(&self.attributes, item.attributes)
            && attrs_match(&self.resources, item.resource)
            && (self.libraries.is_empty()
                || item.scope.is_some_and(|s| {
                    self.libraries.iter().any(|(n, v)| {
                        n.matches(&s.name) && v.as_ref().is_none_or(|v| v.matches(&s.version))
                    })
                }))
    }

    /// Refuses properties that mean nothing for a signal the processor has consumers for (as the
    /// collector refuses to build that signal's processor).
    pub fn check(&self, block: &str, outputs: &Outputs) -> Result<(), String> {
        let span_only =
            !self.span_names.is_empty() || !self.span_kinds.is_empty() || !self.services.is_empty();
        let log_only = !self.log_bodies.is_empty() || !self.log_severity_texts.is_empty();
        let metric_only = !self.metric_names.is_empty();
        if !outputs.traces.is_empty() && (log_only || metric_only) {
            return Err(format!("{block}: log_bodies, log_severity_texts and metric_names cannot be used with traces"));
        }
        if !outputs.logs.is_empty() && (span_only || metric_only) {
            return Err(format!("{block}: services, span_names, span_kinds and metric_names cannot be used with logs"));
        }
        if !outputs.metrics.is_empty() && (span_only || log_only) {
            return Err(format!("{block}: services, span_names, span_kinds, log_bodies and log_severity_texts cannot be used with metrics"));
        }
        let any_set = span_only
            || log_only
            || metric_only
            || !self.attributes.is_empty()
            || !self.resources.is_empty()
            || !self.libraries.is_empty();
        if !any_set {
            return Err(format!("{block}: at least one property (services, span_names, span_kinds, log_bodies, log_severity_texts, metric_names, attribute, resource or library) must be specified"));
        }
        Ok(())
    }
}
