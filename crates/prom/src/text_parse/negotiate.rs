//! Scrape content negotiation: the `Accept` header Prometheus sends and the
//! parser it picks from the response `Content-Type` (Prometheus 3 /
//! Alloy: `scrape/scrape.go` `acceptHeader`, `textparse.extractMediaType`).

use std::fmt;
use std::str::FromStr;

/// A scrape protocol name as written in `scrape_protocols` /
/// `fallback_scrape_protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScrapeProtocol {
    PrometheusProto,
    PrometheusText0_0_4,
    PrometheusText1_0_0,
    OpenMetricsText0_0_1,
    OpenMetricsText1_0_0,
}

impl ScrapeProtocol {
    /// Prometheus' default preference order (`DefaultScrapeProtocols`).
    pub const DEFAULT: [ScrapeProtocol; 4] = [
        ScrapeProtocol::OpenMetricsText1_0_0,
        ScrapeProtocol::OpenMetricsText0_0_1,
        ScrapeProtocol::PrometheusText1_0_0,
        ScrapeProtocol::PrometheusText0_0_4,
    ];

    /// Number of known protocols; the first q-value is `0.(N+1)`.
    const KNOWN: usize = 5;

    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => "PrometheusProto",
            ScrapeProtocol::PrometheusText0_0_4 => "PrometheusText0.0.4",
            ScrapeProtocol::PrometheusText1_0_0 => "PrometheusText1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "OpenMetricsText0.0.1",
            ScrapeProtocol::OpenMetricsText1_0_0 => "OpenMetricsText1.0.0",
        }
    }

    /// The media range this protocol contributes to `Accept`.
    pub fn header_value(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::OpenMetricsText1_0_0 => "application/openmetrics-text;version=1.0.0",
        }
    }

    /// The bare media type, used when this protocol is the fallback.
    pub fn media_type(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => "application/vnd.google.protobuf",
            ScrapeProtocol::PrometheusText0_0_4 | ScrapeProtocol::PrometheusText1_0_0 => {
                "text/plain"
            }
            ScrapeProtocol::OpenMetricsText0_0_1 | ScrapeProtocol::OpenMetricsText1_0_0 => {
                "application/openmetrics-text"
            }
        }
    }
}

impl fmt::Display for ScrapeProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol name that is not one of the five Prometheus knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProtocol(pub String);

impl fmt::Display for UnknownProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown scrape protocol {}, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]",
            self.0
        )
    }
}

impl std::error::Error for UnknownProtocol {}

impl FromStr for ScrapeProtocol {
    type Err = UnknownProtocol;

    /// Exact Prometheus names; the underscore spelling (`PrometheusText0_0_4`)
    /// some configs use is accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised = s.replace('_', ".");
        [
            ScrapeProtocol::PrometheusProto,
            ScrapeProtocol::PrometheusText0_0_4,
            ScrapeProtocol::PrometheusText1_0_0,
            ScrapeProtocol::OpenMetricsText0_0_1,
            ScrapeProtocol::OpenMetricsText1_0_0,
        ]
        .into_iter()
        .find(|p| p.as_str() == normalised)
        .ok_or_else(|| UnknownProtocol(s.to_string()))
    }
}

/// Metric-name escaping advertised with the 1.0.0 text formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EscapingScheme {
    /// Prometheus 3's default.
    AllowUtf8,
    /// Alloy's default (`metric_name_escaping_scheme = "underscores"`).
    #[default]
    Underscores,
    Dots,
    Values,
}

impl EscapingScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            EscapingScheme::AllowUtf8 => "allow-utf-8",
            EscapingScheme::Underscores => "underscores",
            EscapingScheme::Dots => "dots",
            EscapingScheme::Values => "values",
        }
    }
}

/// The scrape `Accept` header for `protocols` in preference order: q starts at
/// `0.(N+1)` with N = 5 known protocols and drops by 0.1 per entry; `*/*`
/// takes the next value. The 1.0.0 text formats carry `escaping=`.
pub fn accept_header(protocols: &[ScrapeProtocol], escaping: EscapingScheme) -> String {
    let mut weight = ScrapeProtocol::KNOWN + 1;
    let mut out = String::new();
    for &p in protocols {
        out.push_str(p.header_value());
        if matches!(
            p,
            ScrapeProtocol::PrometheusText1_0_0 | ScrapeProtocol::OpenMetricsText1_0_0
        ) {
            out.push_str(";escaping=");
            out.push_str(escaping.as_str());
        }
        out.push_str(&format!(";q=0.{}", weight));
        out.push(',');
        // Go formats "0.%d"; with more protocols than known it would print
        // "0.0" and then "0.-1"; saturate instead of going negative.
        weight = weight.saturating_sub(1);
    }
    out.push_str(&format!("*/*;q=0.{}", weight));
    out
}

/// Which parser a response needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text 0.0.4 / 1.0.0 ([`super::PromParser`]).
    PromText,
    /// OpenMetrics text ([`super::OpenMetricsParser`]).
    OpenMetrics,
    /// Delimited protobuf `MetricFamily` (not parsed by this module).
    Protobuf,
}

/// The chosen format plus, when the fallback was used, the warning
/// Prometheus logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatSelection {
    pub format: Format,
    pub warning: Option<String>,
}

fn format_of(media_type: &str) -> Option<Format> {
    match media_type {
        "application/openmetrics-text" => Some(Format::OpenMetrics),
        "application/vnd.google.protobuf" => Some(Format::Protobuf),
        "text/plain" => Some(Format::PromText),
        _ => None,
    }
}

/// Picks the parser from a response `Content-Type`, with Prometheus'
/// rules and messages: a blank, unparsable or unknown type uses `fallback`
/// (with a warning) or fails the scrape when there is none.
pub fn select_format(
    content_type: &str,
    fallback: Option<ScrapeProtocol>,
) -> Result<FormatSelection, String> {
    let with_fallback = |warning: String| -> Result<FormatSelection, String> {
        let fb = fallback.expect("checked by caller");
        Ok(FormatSelection {
            format: format_of(fb.media_type()).unwrap_or(Format::PromText),
            warning: Some(warning),
        })
    };
    if content_type.is_empty() {
        return match fallback {
            None => Err("non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target".to_string()),
            Some(fb) => with_fallback(format!(
                "non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol \"{}\"",
                fb.media_type()
            )),
        };
    }
    let media_type = match parse_media_type(content_type) {
        Ok(m) => m,
        Err(mime_err) => {
            return match fallback {
                None => Err(format!(
                    "cannot parse Content-Type {} and no fallback_scrape_protocol for target\n{}",
                    super::go_quote(content_type.as_bytes()),
                    mime_err
                )),
                Some(fb) => with_fallback(format!(
                    "could not parse received Content-Type {}, using fallback_scrape_protocol \"{}\"\n{}",
                    super::go_quote(content_type.as_bytes()),
                    fb.media_type(),
                    mime_err
                )),
            };
        }
    };
    if let Some(format) = format_of(&media_type) {
        return Ok(FormatSelection {
            format,
            warning: None,
        });
    }
    match fallback {
        None => Err(format!(
            "received unsupported Content-Type {} and no fallback_scrape_protocol specified for target",
            super::go_quote(content_type.as_bytes())
        )),
        Some(fb) => with_fallback(format!(
            "received unsupported Content-Type {}, using fallback_scrape_protocol \"{}\"",
            super::go_quote(content_type.as_bytes()),
            fb.media_type()
        )),
    }
}

fn is_token_char(c: char) -> bool {
    (c as u32) > 0x20 && (c as u32) < 0x7f && !"()<>@,;:\\\"/[]?=".contains(c)
}

fn consume_token(s: &str) -> (&str, &str) {
    let end = s.find(|c| !is_token_char(c)).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Go's `mime.ParseMediaType`, reduced to what the choice needs: the
/// lower-cased media type, and the same errors for malformed input.
fn parse_media_type(v: &str) -> Result<String, &'static str> {
    let base = v.split(';').next().unwrap_or("");
    let media_type = base.to_lowercase().trim().to_string();
    let (typ, rest) = consume_token(&media_type);
    if typ.is_empty() {
        return Err("mime: no media type");
    }
    if !rest.is_empty() {
        let Some(sub) = rest.strip_prefix('/') else {
            return Err("mime: expected slash after first token");
        };
        let (subtype, rest) = consume_token(sub);
        if subtype.is_empty() {
            return Err("mime: expected token after slash");
        }
        if !rest.is_empty() {
            return Err("mime: unexpected content after media subtype");
        }
    }
    let mut params = &v[base.len()..];
    let mut seen: Vec<String> = Vec::new();
    loop {
        params = params.trim_start();
        if params.is_empty() {
            break;
        }
        match consume_param(params) {
            Some((key, rest)) => {
                if seen.contains(&key) {
                    return Err("mime: duplicate parameter name");
                }
                seen.push(key);
                params = rest;
            }
            None => {
                if params.trim() == ";" {
                    break;
                }
                return Err("mime: invalid media parameter");
            }
        }
    }
    Ok(media_type)
}

/// One `;key=value` parameter (value a token or quoted string).
fn consume_param(v: &str) -> Option<(String, &str)> {
    let rest = v.strip_prefix(';')?.trim_start();
    let (key, rest) = consume_token(rest);
    if key.is_empty() {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let (value_ok, rest) = if let Some(q) = rest.strip_prefix('"') {
        let mut escaped = false;
        let mut end = None;
        for (i, c) in q.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(i);
                break;
            }
        }
        match end {
            Some(e) => (true, &q[e + 1..]),
            None => (false, rest),
        }
    } else {
        let (tok, r) = consume_token(rest);
        (!tok.is_empty(), r)
    };
    if !value_ok {
        return None;
    }
    Some((key.to_lowercase(), rest))
}
