//! The Prometheus translation rules for names (the collector-contrib's `pkg/translator/prometheus`, with
//! its `NormalizeName` gate on, as in Alloy): a metric's name split into alphanumeric tokens, its unit
//! appended (`s` → `seconds`, `By` → `bytes`, `m/s` → `meters_per_second`, annotations in braces skipped)
//! unless the name already has it, `total` for monotonic sums, `ratio` for gauges of unit `1`; labels
//! with every other character as `_` and `key_` before a leading digit.

/// `unitMap`: OTLP (UCUM) units and their Prometheus words.
fn unit_word(unit: &str) -> &str {
    match unit {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        other => other,
    }
}

/// `perUnitMap`: the unit after `/`, singular.
fn per_unit_word(unit: &str) -> &str {
    match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        other => other,
    }
}

fn alnum(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric()
}

/// Tokens of alphanumeric runs (Go's `strings.FieldsFunc` with "not a letter or digit").
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !alnum(c))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// `CleanUpString`.
fn clean(s: &str) -> String {
    tokens(s).join("_")
}

/// What kind of metric a name is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    MonotonicSum,
    Other,
}

/// `BuildCompliantName` without a namespace.
pub fn metric_name(name: &str, unit: &str, kind: Kind, add_suffixes: bool) -> String {
    let out = if add_suffixes {
        let mut t = tokens(name);
        let mut parts = unit.splitn(2, '/');
        let main = parts.next().unwrap_or("").trim();
        if !main.is_empty() && !main.contains(['{', '}']) {
            let word = clean(unit_word(main));
            if !word.is_empty() && !t.contains(&word) {
                t.push(word);
            }
        }
        if let Some(per) = parts.next().map(str::trim) {
            if !per.is_empty() && !per.contains(['{', '}']) {
                let word = clean(per_unit_word(per));
                if !word.is_empty() && !t.contains(&word) {
                    t.push("per".into());
                    t.push(word);
                }
            }
        }
        if kind == Kind::MonotonicSum {
            t.retain(|x| x != "total");
            t.push("total".into());
        }
        if unit == "1" && kind == Kind::Gauge {
            t.retain(|x| x != "ratio");
            t.push("ratio".into());
        }
        t.join("_")
    } else {
        // `RemovePromForbiddenRunes`: `_` and `:` stay.
        name.split(|c: char| !alnum(c) && c != '_' && c != ':')
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("_")
    };
    match out.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("_{out}"),
        _ => out,
    }
}

/// `NormalizeLabel`.
pub fn label_name(label: &str) -> String {
    if label.is_empty() {
        return String::new();
    }
    let out: String = label
        .chars()
        .map(|c| if alnum(c) { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("key_{out}")
    } else if out.starts_with('_') && !out.starts_with("__") {
        format!("key{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_translation_rules() {
        let n = |name, unit, kind| metric_name(name, unit, kind, true);
        assert_eq!(
            n("http.server.duration", "s", Kind::Other),
            "http_server_duration_seconds"
        );
        assert_eq!(
            n("http.server.requests", "1", Kind::MonotonicSum),
            "http_server_requests_total"
        );
        assert_eq!(
            n("requests.total.count", "{request}", Kind::MonotonicSum),
            "requests_count_total"
        );
        assert_eq!(n("queue.bytes", "By", Kind::Gauge), "queue_bytes");
        assert_eq!(
            n("cpu.utilization", "1", Kind::Gauge),
            "cpu_utilization_ratio"
        );
        assert_eq!(n("speed", "m/s", Kind::Gauge), "speed_meters_per_second");
        assert_eq!(n("9lives", "", Kind::Gauge), "_9lives");
        assert_eq!(metric_name("a.b:c", "s", Kind::Gauge, false), "a_b:c");
        assert_eq!(label_name("http.method"), "http_method");
        assert_eq!(label_name("0xid"), "key_0xid");
        assert_eq!(label_name("_private"), "key_private");
        assert_eq!(label_name("__reserved"), "__reserved");
    }
}
