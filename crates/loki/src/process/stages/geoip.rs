//! `stage.geoip`: looks the IP address in the extracted value `source` up in a MaxMind database (`db`) and
//! sets `geoip_*` extracted values from a City, ASN or Country record (`db_type`), and/or values chosen by
//! JMESPath over the whole record (`custom_lookups`). The entry always goes on: a source that is missing,
//! not text or not an IP, an address the database does not hold and a record that does not decode leave
//! the extracted map as it was (counted and logged once per condition, then summarised at most once a
//! minute, rather than Alloy's line per entry).
//!
//! The database is read into memory once, when the config loads (Alloy maps it): a missing or unreadable
//! file, or one that is not a MaxMind database, is a config error at the stage, naming the file.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use maxminddb::{geoip2, Reader};

use crate::process::jmespath::{self, Expr};
use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{get_string, marshal_json, Extracted, Value};

// Alloy's errors (`stages/geoip.go`), word for word.
const EMPTY_DB: &str = "db path cannot be empty";
const EMPTY_SOURCE: &str = "source cannot be empty";
const BAD_DB_TYPE: &str = "db type should be either city or asn";
const NO_TYPE_NOR_VALUES: &str = "db type or values need to be set";
const BAD_JMES: &str = "could not compile JMES expression";

/// Which record `db_type` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbType {
    City,
    Asn,
    Country,
}

/// The database's bytes, shared by the config and the stages built from it.
#[derive(Clone)]
struct Bytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Clone)]
pub struct Config {
    pub db: String,
    pub source: String,
    pub db_type: Option<DbType>,
    /// `None` when `custom_lookups` is not set (Alloy's nil map), which with no `db_type` is an error.
    pub custom_lookups: Option<Vec<(String, Expr)>>,
    bytes: Bytes,
    reader: Arc<Reader<Bytes>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("geoip")
            .field("db", &self.db)
            .field("source", &self.source)
            .field("db_type", &self.db_type)
            .field(
                "custom_lookups",
                &self
                    .custom_lookups
                    .as_ref()
                    .map(|l| l.iter().map(|(k, e)| (k, e.as_str())).collect::<Vec<_>>()),
            )
            .field("db_bytes", &self.bytes.0.len())
            .finish()
    }
}

impl PartialEq for Config {
    // The database's contents count: a reload after the file was replaced under the same path must
    // rebuild the stage with the new data.
    fn eq(&self, o: &Config) -> bool {
        format!("{self:?}") == format!("{o:?}")
            && (Arc::ptr_eq(&self.bytes.0, &o.bytes.0) || self.bytes.0 == o.bytes.0)
    }
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let db: String = d.required("db")?;
        let source: String = d.required("source")?;
        let db_type_text: String = d.optional_or("db_type", String::new())?;
        let lookups: Option<BTreeMap<String, String>> = d.optional("custom_lookups")?;
        // Alloy's order of checks (`validateGeoIPConfig`), then the database.
        if db.is_empty() {
            return Err(d.error_at_attr("db", EMPTY_DB));
        }
        if source.is_empty() {
            return Err(d.error_at_attr("source", EMPTY_SOURCE));
        }
        if db_type_text.is_empty() && lookups.is_none() {
            return Err(d.error(NO_TYPE_NOR_VALUES));
        }
        let db_type = match db_type_text.as_str() {
            "" => None,
            "city" => Some(DbType::City),
            "asn" => Some(DbType::Asn),
            "country" => Some(DbType::Country),
            _ => return Err(d.error_at_attr("db_type", BAD_DB_TYPE)),
        };
        let custom_lookups = match lookups {
            None => None,
            Some(map) => {
                let mut out = Vec::with_capacity(map.len());
                for (key, expr) in map {
                    let text = if expr.is_empty() { &key } else { &expr };
                    match jmespath::compile(text) {
                        Ok(e) => out.push((key, e)),
                        Err(err) => {
                            return Err(d.error_at_attr(
                                "custom_lookups",
                                format!("{BAD_JMES}: {key} = {text:?}: {err}"),
                            ))
                        }
                    }
                }
                Some(out)
            }
        };
        let (bytes, reader) = open(&db).map_err(|e| d.error_at_attr("db", e))?;
        Ok(Config {
            db,
            source,
            db_type,
            custom_lookups,
            bytes,
            reader: Arc::new(reader),
        })
    }
}

/// Reads the database at `path` whole and checks its metadata.
fn open(path: &str) -> Result<(Bytes, Reader<Bytes>), String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read MaxMind database {path:?}: {e}"))?;
    // A FIFO or a device would be read without end.
    if !meta.is_file() {
        return Err(format!(
            "cannot read MaxMind database {path:?}: not a regular file"
        ));
    }
    let data =
        std::fs::read(path).map_err(|e| format!("cannot read MaxMind database {path:?}: {e}"))?;
    let bytes = Bytes(Arc::new(data));
    let reader = Reader::from_source(bytes.clone())
        .map_err(|e| format!("{path:?} is not a MaxMind database: {e}"))?;
    Ok((bytes, reader))
}

impl Config {
    pub fn build(&self) -> GeoIp {
        GeoIp {
            cfg: self.clone(),
            log: ConditionLog::default(),
        }
    }
}

/// What can keep a lookup from setting values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Condition {
    SourceMissing,
    SourceNotString,
    NotAnIp,
    NotFound,
    LookupFailed,
}

impl Condition {
    const ALL: usize = 5;

    fn index(self) -> usize {
        self as usize
    }

    fn message(self) -> &'static str {
        match self {
            Condition::SourceMissing => "source does not exist in the set of extracted values",
            Condition::SourceNotString => "failed to convert source value to string",
            Condition::NotAnIp => "source is not an ip",
            Condition::NotFound => "ip not found in the database",
            Condition::LookupFailed => "unable to get record for the ip",
        }
    }

    /// Alloy's level for each (`not found` is silent in Alloy: debug here).
    fn is_error(self) -> bool {
        matches!(self, Condition::NotAnIp | Condition::LookupFailed)
    }
}

/// How often a condition that keeps happening is summarised.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// Each condition logged when first met, then counted and summarised at most once per
/// [`SUMMARY_EVERY`] while it keeps happening: a stream of lines without an IP makes a few log lines, not
/// one per entry.
#[derive(Default)]
struct ConditionLog {
    total: [u64; Condition::ALL],
    /// Met since the last line logged about it, and when that was.
    unlogged: [u64; Condition::ALL],
    logged_at: [Option<Instant>; Condition::ALL],
}

impl ConditionLog {
    fn note(&mut self, c: Condition, source: &str, detail: &dyn std::fmt::Display) {
        let i = c.index();
        self.total[i] += 1;
        self.unlogged[i] += 1;
        let now = Instant::now();
        if let Some(at) = self.logged_at[i] {
            if now.duration_since(at) < SUMMARY_EVERY {
                return;
            }
        }
        let (total, since) = (self.total[i], self.unlogged[i]);
        self.unlogged[i] = 0;
        self.logged_at[i] = Some(now);
        if c.is_error() {
            tracing::error!(stage = "geoip", source, total, since_last_log = since, "{}: {detail}", c.message());
        } else {
            tracing::debug!(stage = "geoip", source, total, since_last_log = since, "{}: {detail}", c.message());
        }
    }
}

pub struct GeoIp {
    cfg: Config,
    log: ConditionLog,
}

/// `net.ParseIP` then maxminddb-golang's `To4`: an IPv4-mapped IPv6 address is looked up as IPv4.
fn parse_ip(text: &str) -> Option<IpAddr> {
    match text.parse::<IpAddr>().ok()? {
        IpAddr::V6(v6) => Some(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        }),
        v4 => Some(v4),
    }
}

fn set_str(x: &mut Extracted, key: &str, v: Option<&str>) {
    if let Some(v) = v.filter(|v| !v.is_empty()) {
        x.insert(key, Value::from(v));
    }
}

/// A JMESPath result as the extracted map holds it: scalars as they are, objects and arrays as their JSON
/// text (Alloy keeps the decoded Go map or slice; see the docs).
fn simplify(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        other => {
            let mut s = String::new();
            marshal_json(other, &mut s);
            Value::from(s)
        }
    }
}

impl GeoIp {
    fn apply(&mut self, x: &mut Extracted) {
        let source = self.cfg.source.as_str();
        let Some(v) = x.get(source) else {
            self.log
                .note(Condition::SourceMissing, source, &"no such extracted value");
            return;
        };
        let text = match get_string(v) {
            Ok(t) => t,
            Err(e) => {
                self.log.note(Condition::SourceNotString, source, &e);
                return;
            }
        };
        let Some(ip) = parse_ip(&text) else {
            self.log
                .note(Condition::NotAnIp, source, &format_args!("{text:?}"));
            return;
        };
        if let Some(t) = self.cfg.db_type {
            if !self.typed(t, ip, x) {
                return;
            }
        }
        if self.cfg.custom_lookups.is_some() {
            self.custom(ip, x);
        }
    }

    /// The `db_type` record's values; false when the lookup failed (Alloy then skips `custom_lookups`).
    fn typed(&mut self, t: DbType, ip: IpAddr, x: &mut Extracted) -> bool {
        let reader = self.cfg.reader.clone();
        let found = match reader.lookup(ip) {
            Ok(r) => r,
            Err(e) => return self.failed(t, ip, &e),
        };
        let decoded = match t {
            DbType::City => found.decode::<geoip2::City>().map(|r| {
                r.map(|c| {
                    city(&c, x);
                })
            }),
            DbType::Asn => found.decode::<geoip2::Asn>().map(|r| {
                r.map(|a| {
                    if let Some(n) = a.autonomous_system_number.filter(|n| *n != 0) {
                        x.insert("geoip_autonomous_system_number", Value::Num(f64::from(n)));
                    }
                    set_str(
                        x,
                        "geoip_autonomous_system_organization",
                        a.autonomous_system_organization,
                    );
                })
            }),
            DbType::Country => found.decode::<geoip2::Country>().map(|r| {
                r.map(|c| {
                    set_str(x, "geoip_country_name", c.country.names.english);
                    set_str(x, "geoip_country_code", c.country.iso_code);
                    set_str(x, "geoip_continent_name", c.continent.names.english);
                    set_str(x, "geoip_continent_code", c.continent.code);
                })
            }),
        };
        match decoded {
            Ok(Some(())) => true,
            // Alloy decodes into an empty record and sets nothing.
            Ok(None) => {
                self.log.note(
                    Condition::NotFound,
                    &self.cfg.source,
                    &format_args!("{ip}"),
                );
                true
            }
            Err(e) => self.failed(t, ip, &e),
        }
    }

    fn failed(&mut self, t: DbType, ip: IpAddr, e: &maxminddb::MaxMindDbError) -> bool {
        let kind = match t {
            DbType::City => "City",
            DbType::Asn => "ASN",
            DbType::Country => "Country",
        };
        self.log.note(
            Condition::LookupFailed,
            &self.cfg.source,
            &format_args!("{kind} record for {ip}: {e}"),
        );
        false
    }

    fn custom(&mut self, ip: IpAddr, x: &mut Extracted) {
        let reader = self.cfg.reader.clone();
        // Alloy decodes into a nil `any` when the address is not there, and still runs the expressions.
        let record = match reader
            .lookup(ip)
            .and_then(|r| r.decode::<serde_json::Value>())
        {
            Ok(Some(r)) => r,
            Ok(None) => {
                if self.cfg.db_type.is_none() {
                    self.log.note(
                        Condition::NotFound,
                        &self.cfg.source,
                        &format_args!("{ip}"),
                    );
                }
                serde_json::Value::Null
            }
            Err(e) => {
                self.log.note(
                    Condition::LookupFailed,
                    &self.cfg.source,
                    &format_args!("record for {ip}: {e}"),
                );
                return;
            }
        };
        let var = match ::jmespath::Variable::try_from(&record) {
            Ok(v) => Arc::new(v),
            Err(e) => {
                self.log.note(
                    Condition::LookupFailed,
                    &self.cfg.source,
                    &format_args!("record for {ip}: {e}"),
                );
                return;
            }
        };
        let Some(lookups) = &self.cfg.custom_lookups else {
            return;
        };
        for (key, expr) in lookups {
            match expr.search(var.clone()) {
                Ok(r) if r.is_null() => {
                    tracing::debug!(stage = "geoip", key = %key, "failed find a result with JMES expression")
                }
                Ok(r) => {
                    let json = serde_json::to_value(&*r).unwrap_or(serde_json::Value::Null);
                    x.insert(key.as_str(), simplify(&json));
                }
                Err(e) => {
                    tracing::debug!(stage = "geoip", key = %key, "failed to search JMES expression: {e}")
                }
            }
        }
    }
}

/// Alloy's `populateExtractedWithCityData`: English names, the most specific subdivision, the location
/// only when it is not 0,0.
fn city(c: &geoip2::City<'_>, x: &mut Extracted) {
    set_str(x, "geoip_city_name", c.city.names.english);
    set_str(x, "geoip_country_name", c.country.names.english);
    set_str(x, "geoip_country_code", c.country.iso_code);
    set_str(x, "geoip_continent_name", c.continent.names.english);
    set_str(x, "geoip_continent_code", c.continent.code);
    set_str(x, "geoip_postal_code", c.postal.code);
    set_str(x, "geoip_timezone", c.location.time_zone);
    let lat = c.location.latitude.unwrap_or(0.0);
    let lon = c.location.longitude.unwrap_or(0.0);
    if lat != 0.0 || lon != 0.0 {
        x.insert("geoip_location_latitude", Value::Num(lat));
        x.insert("geoip_location_longitude", Value::Num(lon));
    }
    if let Some(s) = c.subdivisions.last() {
        set_str(x, "geoip_subdivision_name", s.names.english);
        set_str(x, "geoip_subdivision_code", s.iso_code);
    }
}

impl Stage for GeoIp {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        self.apply(&mut e.extracted);
        out.push(e);
    }
}
