//! Scrape targets: Prometheus' `PopulateLabels`, the scrape URL, the start offset within the
//! interval, and Prometheus' duration text (`model.Duration`).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::labels::{Labels, LabelsBuilder};
use crate::relabel::{process, Rule};

/// The scrape config values a target falls back to.
#[derive(Clone, Debug)]
pub struct TargetDefaults<'a> {
    pub job_name: &'a str,
    pub scrape_interval: Duration,
    pub scrape_timeout: Duration,
    pub metrics_path: &'a str,
    pub scheme: &'a str,
    pub params: &'a BTreeMap<String, Vec<String>>,
}

/// Why a target was refused, in Prometheus' words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulateError(pub String);

impl fmt::Display for PopulateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Prometheus 3's `PopulateLabels`: fills `job`, `__scrape_interval__`, `__scrape_timeout__`,
/// `__metrics_path__`, `__scheme__` and `__param_<k>` where absent or empty, applies `rules`, checks
/// the address and durations, deletes `__meta_*` and defaults `instance` to the address. `Ok(None)`
/// when a rule dropped the target.
pub fn populate_labels(
    target: &[(&str, &str)],
    d: &TargetDefaults<'_>,
    rules: &[Rule],
) -> Result<Option<Labels>, PopulateError> {
    let mut lb = LabelsBuilder::new();
    for (n, v) in target {
        lb.set(n, v);
    }
    let interval = format_prom_duration(d.scrape_interval);
    let timeout = format_prom_duration(d.scrape_timeout);
    for (n, v) in [
        ("job", d.job_name),
        ("__scrape_interval__", interval.as_str()),
        ("__scrape_timeout__", timeout.as_str()),
        ("__metrics_path__", d.metrics_path),
        ("__scheme__", d.scheme),
    ] {
        if lb.get(n).unwrap_or("").is_empty() {
            lb.set(n, v);
        }
    }
    for (k, v) in d.params {
        let name = format!("__param_{k}");
        if let Some(first) = v.first() {
            if lb.get(&name).unwrap_or("").is_empty() {
                lb.set(&name, first);
            }
        }
    }
    if !process(rules, &mut lb) {
        return Ok(None);
    }
    let addr = lb.get("__address__").unwrap_or("").to_string();
    if addr.is_empty() {
        return Err(PopulateError("no address".into()));
    }
    if addr.contains('/') {
        return Err(PopulateError(format!(
            "{} is not a valid hostname",
            crate::text_parse::go_quote(addr.as_bytes())
        )));
    }
    let interval = lb.get("__scrape_interval__").unwrap_or("").to_string();
    let interval_d = parse_prom_duration(&interval)
        .map_err(|e| PopulateError(format!("error parsing scrape interval: {e}")))?;
    if interval_d.is_zero() {
        return Err(PopulateError("scrape interval cannot be 0".into()));
    }
    let timeout = lb.get("__scrape_timeout__").unwrap_or("").to_string();
    let timeout_d = parse_prom_duration(&timeout)
        .map_err(|e| PopulateError(format!("error parsing scrape timeout: {e}")))?;
    if timeout_d.is_zero() {
        return Err(PopulateError("scrape timeout cannot be 0".into()));
    }
    if timeout_d > interval_d {
        return Err(PopulateError(format!(
            "scrape timeout cannot be greater than scrape interval ({} > {})",
            crate::text_parse::go_quote(timeout.as_bytes()),
            crate::text_parse::go_quote(interval.as_bytes())
        )));
    }
    lb.retain(|n, _| !n.starts_with("__meta_"));
    if lb.get("instance").unwrap_or("").is_empty() {
        lb.set("instance", &addr);
    }
    Ok(Some(lb.labels()))
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str, out: &mut String) {
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// Go's `url.URL.EscapedPath` for the characters a metrics path can hold.
fn path_escape(s: &str, out: &mut String) {
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'$'
            | b'&'
            | b'+'
            | b','
            | b':'
            | b';'
            | b'='
            | b'@'
            | b'!'
            | b'\''
            | b'('
            | b')'
            | b'*' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// The scrape URL: `__scheme__://__address____metrics_path__?query`, where the query is the config's
/// `params` with the first value of each overridden by its `__param_<k>` label, keys sorted.
pub fn target_url(labels: &Labels, params: &BTreeMap<String, Vec<String>>) -> String {
    let mut q: BTreeMap<&str, Vec<&str>> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect();
    for (n, v) in labels.iter() {
        if let Some(k) = n.strip_prefix("__param_") {
            let e = q.entry(k).or_default();
            if e.is_empty() {
                e.push(v);
            } else {
                e[0] = v;
            }
        }
    }
    let mut url = String::new();
    url.push_str(labels.get("__scheme__").unwrap_or(""));
    url.push_str("://");
    url.push_str(labels.get("__address__").unwrap_or(""));
    let path = labels.get("__metrics_path__").unwrap_or("");
    if !path.is_empty() && !path.starts_with('/') {
        url.push('/');
    }
    path_escape(path, &mut url);
    let mut first = true;
    for (k, vs) in &q {
        for v in vs {
            url.push(if first { '?' } else { '&' });
            first = false;
            query_escape(k, &mut url);
            url.push('=');
            query_escape(v, &mut url);
        }
    }
    url
}

/// 64-bit FNV-1a.
pub fn fnv64a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Prometheus' per-target start offset: the time from `now_ns` to the target's stable phase in the
/// interval, `fnv64a(sprintf("%016d", labels.Hash()) + url) XOR seed`, in `(0, interval]`.
pub fn target_offset(
    labels: &Labels,
    url: &str,
    interval: Duration,
    seed: u64,
    now_ns: i64,
) -> Duration {
    let iv = interval.as_nanos().max(1) as i64;
    let hash = fnv64a(&[format!("{:016}", labels.hash()).as_bytes(), url.as_bytes()]);
    let base = iv - now_ns.rem_euclid(iv);
    let offset = ((hash ^ seed) % iv as u64) as i64;
    let mut next = base + offset;
    if next > iv {
        next -= iv;
    }
    Duration::from_nanos(next as u64)
}

const UNITS: [(&str, u64); 7] = [
    ("y", 1000 * 60 * 60 * 24 * 365),
    ("w", 1000 * 60 * 60 * 24 * 7),
    ("d", 1000 * 60 * 60 * 24),
    ("h", 1000 * 60 * 60),
    ("m", 1000 * 60),
    ("s", 1000),
    ("ms", 1),
];

/// Prometheus' `model.Duration.String()`: `1m`, `1m30s`, `10s`, `1d`, `2w`, `0s`.
pub fn format_prom_duration(d: Duration) -> String {
    let mut ms = d.as_millis() as u64;
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (i, (unit, mult)) in UNITS.iter().enumerate() {
        // Years and weeks only when exact: 90d reads better than 12w6d.
        if i < 2 && ms.checked_rem(*mult) != Some(0) {
            continue;
        }
        let v = ms / mult;
        if v > 0 {
            out.push_str(&format!("{v}{unit}"));
            ms -= v * mult;
        }
    }
    out
}

/// Prometheus' `model.ParseDuration`: units `y w d h m s ms`, each at most once, in that order.
pub fn parse_prom_duration(s: &str) -> Result<Duration, String> {
    match s {
        "0" => return Ok(Duration::ZERO),
        "" => return Err("empty duration string".into()),
        _ => {}
    }
    let invalid = || {
        format!(
            "not a valid duration string: {}",
            crate::text_parse::go_quote(s.as_bytes())
        )
    };
    let mut rest = s;
    let mut total: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        // "ms" must be tried before "m".
        let found = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len());
        let Some((i, (unit, mult))) = found else {
            return Err(invalid());
        };
        rest = &rest[unit.len()..];
        next_unit = i + 1;
        total = n
            .checked_mul(*mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| "duration out of range".to_string())?;
    }
    Ok(Duration::from_millis(total))
}
