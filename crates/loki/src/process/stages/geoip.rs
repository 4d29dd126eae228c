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
use crate::process::pipeline::{in_place_stage, InPlace, PEntry};
use crate::process::value::{get_string, Extracted, Value};

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
            tracing::error!(
                stage = "geoip",
                source,
                total,
                since_last_log = since,
                "{}: {detail}",
                c.message()
            );
        } else {
            tracing::debug!(
                stage = "geoip",
                source,
                total,
                since_last_log = since,
                "{}: {detail}",
                c.message()
            );
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

impl GeoIp {
    fn lookup(&mut self, x: &mut Extracted) {
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
                self.log
                    .note(Condition::NotFound, &self.cfg.source, &format_args!("{ip}"));
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
                    self.log
                        .note(Condition::NotFound, &self.cfg.source, &format_args!("{ip}"));
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
                    x.insert(key.as_str(), super::json::simplify_json(&json));
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

// Never drops, holds or adds an entry: the pipeline runs it in place.
in_place_stage!(GeoIp);

impl InPlace for GeoIp {
    fn apply(&mut self, e: &mut PEntry) -> bool {
        self.lookup(&mut e.extracted);
        true
    }
}

#[cfg(test)]
mod tests {
    //! The databases are written by MaxMind's own Perl writer (`tests/peers/mmdb_writer.pl`, Debian's
    //! libmaxmind-db-writer-perl) and what they hold is read back with libmaxminddb's `mmdblookup`
    //! (Debian's mmdb-bin): the expected values come from that oracle, not from the Rust reader.

    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::{Condition, GeoIp};
    use crate::process::args::StageConfig;
    use crate::process::stages::testing::*;
    use crate::process::value::{get_string, Value};

    struct Dbs {
        dir: tempfile::TempDir,
        lookup: PathBuf,
    }

    impl Dbs {
        fn path(&self, name: &str) -> String {
            self.dir.path().join(name).display().to_string()
        }
    }

    fn dbs() -> Dbs {
        let perl = ingot_testkit::require_binary("perl", "perl");
        let lookup = ingot_testkit::require_binary("mmdblookup", "mmdb-bin");
        let ok = Command::new(&perl)
            .args(["-MMaxMind::DB::Writer::Tree", "-e", "1"])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "MaxMind's Perl writer is not installed; this test writes its databases with it. Install it \
             with: sudo apt-get install -y libmaxmind-db-writer-perl   (or run ./scripts/test)"
        );
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/mmdb_writer.pl");
        let out = Command::new(&perl)
            .arg(&script)
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mmdb_writer.pl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Dbs { dir, lookup }
    }

    /// What `mmdblookup` finds at `path` in the record of `ip`: `None` when the address or the path is not
    /// there; otherwise the value as the extracted map would hold it.
    fn oracle(d: &Dbs, db: &str, ip: &str, path: &[&str]) -> Option<Value> {
        let out = Command::new(&d.lookup)
            .args(["--file", &d.path(db), "--ip", ip])
            .args(path)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("Could not find an entry") || err.contains("lookup path does not match") {
            return None;
        }
        assert!(out.status.success(), "mmdblookup {ip} {path:?}: {err}");
        let text = text.trim();
        let (value, kind) = text.rsplit_once(' ').unwrap();
        Some(match kind {
            "<utf8_string>" => Value::from(value.trim_matches('"')),
            "<double>" | "<uint16>" | "<uint32>" => Value::Num(value.parse().unwrap()),
            "<boolean>" => Value::Bool(value == "true"),
            other => panic!("mmdblookup gave {other}: {text}"),
        })
    }

    /// `oracle`, as Alloy sets it: empty strings are not set.
    fn expect(d: &Dbs, db: &str, ip: &str, path: &[&str]) -> Option<Value> {
        oracle(d, db, ip, path).filter(|v| *v != Value::from(""))
    }

    fn stage(d: &Dbs, db: &str, body: &str) -> String {
        format!(
            "stage.json {{ expressions = {{ ip = \"\" }} }}\nstage.geoip {{\n  db = {:?}\n  source = \"ip\"\n{body}\n}}",
            d.path(db)
        )
    }

    fn run(cfg: &str, ip: &str) -> crate::process::value::Extracted {
        let out = run_line(cfg, &format!("{{\"ip\":{ip:?}}}"));
        assert_eq!(out.len(), 1, "the entry goes on");
        out[0].extracted.clone()
    }

    fn geoip_keys(x: &crate::process::value::Extracted) -> Vec<String> {
        let mut k: Vec<String> = x
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| k.starts_with("geoip_"))
            .collect();
        k.sort();
        k
    }

    /// Every City field against what mmdblookup reads at its path (the most specific subdivision is the
    /// last one); latitude and longitude to the 6 decimals mmdblookup prints.
    fn check_city(d: &Dbs, ip: &str, lookup_ip: &str) {
        let x = run(&stage(d, "city.mmdb", "db_type = \"city\""), ip);
        let subs = (0..8)
            .take_while(|i| {
                oracle(
                    d,
                    "city.mmdb",
                    lookup_ip,
                    &["subdivisions", &i.to_string(), "iso_code"],
                )
                .is_some()
            })
            .count();
        let last = subs.saturating_sub(1).to_string();
        let fields: Vec<(&str, Vec<&str>)> = vec![
            ("geoip_city_name", vec!["city", "names", "en"]),
            ("geoip_country_name", vec!["country", "names", "en"]),
            ("geoip_country_code", vec!["country", "iso_code"]),
            ("geoip_continent_name", vec!["continent", "names", "en"]),
            ("geoip_continent_code", vec!["continent", "code"]),
            ("geoip_postal_code", vec!["postal", "code"]),
            ("geoip_timezone", vec!["location", "time_zone"]),
            (
                "geoip_subdivision_name",
                vec!["subdivisions", &last, "names", "en"],
            ),
            (
                "geoip_subdivision_code",
                vec!["subdivisions", &last, "iso_code"],
            ),
        ];
        for (key, path) in &fields {
            let want = if subs == 0 && path[0] == "subdivisions" {
                None
            } else {
                expect(d, "city.mmdb", lookup_ip, path)
            };
            assert_eq!(x.get(key).cloned(), want, "{ip}: {key}");
        }
        let lat = oracle(d, "city.mmdb", lookup_ip, &["location", "latitude"]);
        let lon = oracle(d, "city.mmdb", lookup_ip, &["location", "longitude"]);
        let zero = Some(Value::Num(0.0));
        if lat.as_ref().unwrap_or(&Value::Num(0.0)) == &Value::Num(0.0)
            && lon.as_ref().unwrap_or(&Value::Num(0.0)) == &Value::Num(0.0)
        {
            assert!(!x.contains_key("geoip_location_latitude"), "{ip}");
            assert!(!x.contains_key("geoip_location_longitude"), "{ip}");
        } else {
            for (key, want) in [
                ("geoip_location_latitude", lat),
                ("geoip_location_longitude", lon),
            ] {
                let (Some(Value::Num(got)), Value::Num(want)) =
                    (x.get(key), want.or(zero.clone()).unwrap())
                else {
                    panic!("{ip}: {key} is {:?}", x.get(key))
                };
                assert!((got - want).abs() < 1e-6, "{ip}: {key} {got} vs {want}");
            }
        }
        let expected_keys = fields.len() + 2;
        assert!(geoip_keys(&x).len() <= expected_keys);
        assert_eq!(x["ip"], Value::from(ip));
    }

    #[test]
    fn city_ipv4_ipv6_and_ipv4_in_ipv6() {
        let d = dbs();
        // IPv4 in the IPv6 tree, every field present.
        check_city(&d, "81.2.69.160", "81.2.69.160");
        let x = run(&stage(&d, "city.mmdb", "db_type = \"city\""), "81.2.69.160");
        assert_eq!(geoip_keys(&x).len(), 11, "{x:?}");
        assert_eq!(x["geoip_subdivision_code"], Value::from("WBK"));
        assert_eq!(
            get_string(&x["geoip_location_latitude"]).unwrap(),
            "51.5142"
        );
        // IPv6: names only in German, location 0,0 and an empty time zone: not set.
        check_city(&d, "2a02:cf40::17", "2a02:cf40::17");
        let x = run(
            &stage(&d, "city.mmdb", "db_type = \"city\""),
            "2a02:cf40::17",
        );
        assert_eq!(
            geoip_keys(&x),
            [
                "geoip_continent_code",
                "geoip_continent_name",
                "geoip_country_code",
                "geoip_country_name",
                "geoip_subdivision_code",
                "geoip_subdivision_name"
            ]
        );
        // One coordinate off zero: both are set.
        check_city(&d, "2001:db8:1::5", "2001:db8:1::5");
        let x = run(
            &stage(&d, "city.mmdb", "db_type = \"city\""),
            "2001:db8:1::5",
        );
        assert_eq!(x["geoip_location_latitude"], Value::Num(0.0));
        // An IPv4-mapped IPv6 address is looked up as IPv4, as maxminddb-golang does.
        check_city(&d, "::ffff:81.2.69.160", "81.2.69.160");
    }

    #[test]
    fn asn_and_country() {
        let d = dbs();
        let cfg = stage(&d, "asn.mmdb", "db_type = \"asn\"");
        for ip in ["1.128.0.1", "12.81.92.7"] {
            let x = run(&cfg, ip);
            for (key, field) in [
                ("geoip_autonomous_system_number", "autonomous_system_number"),
                (
                    "geoip_autonomous_system_organization",
                    "autonomous_system_organization",
                ),
            ] {
                assert_eq!(
                    x.get(key).cloned(),
                    expect(&d, "asn.mmdb", ip, &[field]),
                    "{ip} {key}"
                );
            }
        }
        let x = run(&cfg, "1.128.0.1");
        assert_eq!(
            get_string(&x["geoip_autonomous_system_number"]).unwrap(),
            "1221"
        );
        assert!(!run(&cfg, "12.81.92.7").contains_key("geoip_autonomous_system_organization"));
        // An IPv6 address in an IPv4-only database: a lookup error, the entry goes on unchanged.
        assert!(geoip_keys(&run(&cfg, "2001:218::1")).is_empty());

        let cfg = stage(&d, "country.mmdb", "db_type = \"country\"");
        for ip in ["2.125.160.216", "2001:218::1"] {
            let x = run(&cfg, ip);
            for (key, path) in [
                ("geoip_country_name", &["country", "names", "en"][..]),
                ("geoip_country_code", &["country", "iso_code"]),
                ("geoip_continent_name", &["continent", "names", "en"]),
                ("geoip_continent_code", &["continent", "code"]),
            ] {
                let want = expect(&d, "country.mmdb", ip, path);
                assert!(want.is_some());
                assert_eq!(x.get(key).cloned(), want, "{ip} {key}");
            }
            // A Country record has no city, even where the data holds one.
            assert_eq!(geoip_keys(&x).len(), 4, "{x:?}");
        }
    }

    #[test]
    fn not_found_and_bad_sources_pass_unchanged() {
        let d = dbs();
        let cfg = stage(&d, "city.mmdb", "db_type = \"city\"");
        assert_eq!(oracle(&d, "city.mmdb", "9.9.9.9", &[]), None);
        for line in [
            r#"{"ip":"9.9.9.9"}"#,
            r#"{"ip":"2001:4860::8888"}"#,
            r#"{"ip":"not an ip"}"#,
            r#"{"ip":"01.2.69.160"}"#,
            r#"{"ip":"fe80::1%eth0"}"#,
            r#"{"ip":""}"#,
            r#"{"ip":5}"#,
            r#"{"ip":null}"#,
            r#"{"ip":true}"#,
            "not json, so no ip",
        ] {
            let out = run_line(&cfg, line);
            assert_eq!(out.len(), 1, "{line}");
            assert_eq!(out[0].line, line);
            assert!(geoip_keys(&out[0].extracted).is_empty(), "{line}");
        }
    }

    #[test]
    fn conditions_are_counted() {
        let d = dbs();
        let stages = decode(&stage(&d, "city.mmdb", "db_type = \"city\"")).unwrap();
        let StageConfig::GeoIp(c) = &stages[1] else {
            panic!("{stages:?}")
        };
        let mut s: GeoIp = c.build();
        let mut out = Vec::new();
        let mut feed = |s: &mut GeoIp, ip: Option<Value>| {
            let mut e = entry(&[], "line");
            if let Some(ip) = ip {
                e.extracted.insert("ip", ip);
            }
            crate::process::pipeline::Stage::process(s, e, &mut out);
        };
        for _ in 0..3 {
            feed(&mut s, Some(Value::from("bogus")));
        }
        feed(&mut s, None);
        feed(&mut s, Some(Value::Null));
        feed(&mut s, Some(Value::from("9.9.9.9")));
        feed(&mut s, Some(Value::from("81.2.69.1")));
        let total = |c: Condition| s.log.total[c.index()];
        assert_eq!(total(Condition::NotAnIp), 3);
        assert_eq!(total(Condition::SourceMissing), 1);
        assert_eq!(total(Condition::SourceNotString), 1);
        assert_eq!(total(Condition::NotFound), 1);
        assert_eq!(total(Condition::LookupFailed), 0);
        // Logged when first met, then only counted.
        assert_eq!(s.log.unlogged[Condition::NotAnIp.index()], 2);
        assert_eq!(out.len(), 7);
    }

    #[test]
    fn custom_lookups() {
        let d = dbs();
        let cfg = stage(
            &d,
            "city.mmdb",
            r#"  db_type = "city"
  custom_lookups = {
    city_de = "city.names.de",
    sub = "subdivisions[-1].iso_code",
    geoname = "city.geoname_id",
    radius = "location.accuracy_radius",
    postal = "",
    tags = "tags",
    missing = "nope.nothing",
    upper = "upper(country.iso_code)",
  }"#,
        );
        let ip = "81.2.69.160";
        let x = run(&cfg, ip);
        assert_eq!(
            x.get("city_de").cloned(),
            oracle(&d, "city.mmdb", ip, &["city", "names", "de"])
        );
        assert_eq!(
            x.get("sub").cloned(),
            oracle(&d, "city.mmdb", ip, &["subdivisions", "1", "iso_code"])
        );
        assert_eq!(
            x.get("geoname").cloned(),
            oracle(&d, "city.mmdb", ip, &["city", "geoname_id"])
        );
        assert_eq!(get_string(&x["geoname"]).unwrap(), "2643743");
        assert_eq!(
            x.get("radius").cloned(),
            oracle(&d, "city.mmdb", ip, &["location", "accuracy_radius"])
        );
        // An empty expression is the key; objects and arrays are kept as JSON text.
        assert_eq!(
            x["postal"],
            Value::from(format!(
                "{{\"code\":\"{}\"}}",
                get_string(&oracle(&d, "city.mmdb", ip, &["postal", "code"]).unwrap()).unwrap()
            ))
        );
        assert_eq!(x["tags"], Value::from(r#"["a","b"]"#));
        assert!(!x.contains_key("missing"));
        assert_eq!(x["upper"], Value::from("GB"));
        assert_eq!(x["geoip_city_name"], Value::from("London"));

        // Without db_type; a boolean; an address not there runs the expressions over no record.
        let cfg = stage(
            &d,
            "city.mmdb",
            r#"  custom_lookups = { eu = "country.is_in_european_union", lit = "'always'", code = "country.iso_code" }"#,
        );
        let x = run(&cfg, "2a02:cf40::1");
        assert_eq!(
            x.get("eu").cloned(),
            oracle(
                &d,
                "city.mmdb",
                "2a02:cf40::1",
                &["country", "is_in_european_union"]
            )
        );
        assert_eq!(x["code"], Value::from("DE"));
        assert!(geoip_keys(&x).is_empty());
        let x = run(&cfg, "9.9.9.9");
        assert_eq!(x["lit"], Value::from("always"));
        assert!(!x.contains_key("code") && !x.contains_key("eu"));
    }

    #[test]
    fn alloy_messages_and_database_errors() {
        let d = dbs();
        let city = d.path("city.mmdb");
        let cases = [
            (
                r#"db = "", source = "ip", db_type = "city""#.to_string(),
                "db path cannot be empty",
            ),
            (
                format!(r#"db = {city:?}, source = "", db_type = "city""#),
                "source cannot be empty",
            ),
            (
                format!(r#"db = {city:?}, source = "ip""#),
                "db type or values need to be set",
            ),
            (
                format!(r#"db = {city:?}, source = "ip", db_type = "fake""#),
                "db type should be either city or asn",
            ),
            (
                format!(
                    r#"db = {city:?}, source = "ip", custom_lookups = {{ field = ".-badlookup" }}"#
                ),
                "could not compile JMES expression",
            ),
            (
                r#"source = "ip", db_type = "city""#.to_string(),
                "missing required attribute \"db\"",
            ),
            (
                format!(r#"db = {city:?}, db_type = "city""#),
                "missing required attribute \"source\"",
            ),
        ];
        for (attrs, want) in cases {
            let text = format!("stage.geoip {{\n  {}\n}}", attrs.replace(", ", "\n  "));
            let e = error(&text);
            assert!(e.contains(want), "{text}\n{e}");
            assert!(e.contains("test.alloy:"), "{e}");
        }
        // Accepted: Alloy's valid configs (custom_lookups alone, an empty map with no type, country).
        for attrs in [
            format!(r#"db = {city:?}, source = "ip", custom_lookups = {{ field = "lookup" }}"#),
            format!(r#"db = {city:?}, source = "ip", custom_lookups = {{}}"#),
            format!(r#"db = {city:?}, source = "ip", db_type = "country""#),
        ] {
            let text = format!("stage.geoip {{\n  {}\n}}", attrs.replace(", ", "\n  "));
            decode(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
        }
        // A database that is missing, not a regular file, or not a MaxMind database: an error at `db`
        // naming the file and the cause.
        let junk = d.dir.path().join("junk.mmdb");
        std::fs::write(&junk, b"this is not a database").unwrap();
        let missing = d.dir.path().join("missing.mmdb");
        for (path, why) in [
            (missing.display().to_string(), "No such file or directory"),
            (d.dir.path().display().to_string(), "not a regular file"),
            (junk.display().to_string(), "is not a MaxMind database"),
        ] {
            let text = format!(
                "stage.geoip {{\n  db = {path:?}\n  source = \"ip\"\n  db_type = \"city\"\n}}"
            );
            let e = error(&text);
            assert!(
                e.contains("test.alloy:2:") && e.contains(&path) && e.contains(why),
                "{e}"
            );
        }
    }
}
