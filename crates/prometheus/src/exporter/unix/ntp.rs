//! node_exporter's `ntp` collector (deprecated upstream, still in Alloy's schema): one SNTP query to
//! the local NTP server per scrape, and whether its answer is sane by RFC 5905 and the configured
//! limits.

use std::net::IpAddr;
use std::time::Duration;

use ingot_hostfs::ntp::{LEAP_ADD_SECOND, LEAP_DEL_SECOND};
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, ConfigError, UnixConfig};

macro_rules! gauge {
    ($name:literal, $help:literal) => {
        Desc::new(concat!("node_ntp_", $name), $help, MetricType::Gauge, &[])
    };
}

const STRATUM: Desc = gauge!("stratum", "NTPD stratum.");
const LEAP: Desc = gauge!("leap", "NTPD leap second indicator, 2 bits.");
const RTT: Desc = gauge!("rtt_seconds", "RTT to NTPD.");
const OFFSET: Desc = gauge!("offset_seconds", "ClockOffset between NTP and local clock.");
const REFTIME: Desc = gauge!(
    "reference_timestamp_seconds",
    "NTPD ReferenceTime, UNIX timestamp."
);
const ROOT_DELAY: Desc = gauge!("root_delay_seconds", "NTPD RootDelay.");
const ROOT_DISPERSION: Desc = gauge!("root_dispersion_seconds", "NTPD RootDispersion.");
const SANITY: Desc = gauge!(
    "sanity",
    "NTPD sanity according to RFC5905 heuristics and configured limits."
);

/// Alloy passes no port: node_exporter's default.
const PORT: u16 = 123;
/// node_exporter's query timeout (`ntpdate`'s).
const TIMEOUT: Duration = Duration::from_secs(1);
const DAY_NS: i64 = 86_400 * 1_000_000_000;

pub(super) struct NtpCollector {
    server: String,
    version: u8,
    ttl: i64,
    max_distance_ns: i64,
    tolerance_ns: i64,
    /// The midnight (Unix ns) a leap second was last announced for: the flag is gone right after
    /// it, but smearing servers stay off by up to a second around it.
    leap_midnight: Option<i64>,
}

impl NtpCollector {
    /// Refuses what node_exporter refuses when the collector is created.
    pub(super) fn new(config: &UnixConfig) -> Result<NtpCollector, ConfigError> {
        let c = &config.ntp;
        let loopback = c.server.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !c.server_is_local && !loopback {
            return Err(ConfigError(
                "only IP address of local NTP server is valid for --collector.ntp.server".into(),
            ));
        }
        if !(2..=4).contains(&c.protocol_version) {
            return Err(ConfigError(format!(
                "invalid NTP protocol version {}; must be 2, 3, or 4",
                c.protocol_version
            )));
        }
        Ok(NtpCollector {
            server: c.server.clone(),
            version: c.protocol_version as u8,
            ttl: c.ip_ttl,
            max_distance_ns: duration_ns(c.max_distance),
            tolerance_ns: duration_ns(c.local_offset_tolerance),
            leap_midnight: None,
        })
    }
}

fn duration_ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Go's `Duration.Seconds()`: whole seconds and the remainder converted apart.
fn seconds(ns: i64) -> f64 {
    (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 / 1e9
}

impl Collector for NtpCollector {
    fn name(&self) -> &'static str {
        "ntp"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let resp = ingot_hostfs::ntp::query(&self.server, PORT, self.version, self.ttl, TIMEOUT)
            .map_err(|e| format!("couldn't get SNTP reply: {e}"))?;
        out.push(&STRATUM, &[], f64::from(resp.stratum));
        out.push(&LEAP, &[], f64::from(resp.leap));
        out.push(&RTT, &[], seconds(resp.rtt));
        out.push(&OFFSET, &[], seconds(resp.clock_offset));
        // Go's `Time.Unix() > 0`: times before 1970 (or within its first second) report 0.
        let reftime = if resp.reference_time.div_euclid(1_000_000_000) > 0 {
            resp.reference_time as f64 / 1e9
        } else {
            0.0
        };
        out.push(&REFTIME, &[], reftime);
        out.push(&ROOT_DELAY, &[], seconds(resp.root_delay));
        out.push(&ROOT_DISPERSION, &[], seconds(resp.root_dispersion));

        let mut max_error = self.tolerance_ns;
        if resp.leap == LEAP_ADD_SECOND || resp.leap == LEAP_DEL_SECOND {
            self.leap_midnight = Some(resp.time.div_euclid(DAY_NS) * DAY_NS + DAY_NS);
        }
        if let Some(midnight) = self.leap_midnight {
            if midnight - DAY_NS < resp.time && resp.time < midnight + DAY_NS {
                // Tolerate leap smearing.
                max_error += 1_000_000_000;
            }
        }
        let sane = resp.validate().is_ok()
            && resp.root_distance <= self.max_distance_ns
            && resp.min_error <= max_error;
        out.push(&SANITY, &[], if sane { 1.0 } else { 0.0 });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::unix::NtpConfig;

    fn config(ntp: NtpConfig) -> UnixConfig {
        UnixConfig {
            ntp,
            ..UnixConfig::default()
        }
    }

    #[test]
    fn refuses_what_node_exporter_refuses() {
        let remote = NtpCollector::new(&config(NtpConfig {
            server: "pool.ntp.org".into(),
            ..NtpConfig::default()
        }));
        assert_eq!(
            remote.err().unwrap().0,
            "only IP address of local NTP server is valid for --collector.ntp.server"
        );
        // Certified local: any name goes.
        assert!(NtpCollector::new(&config(NtpConfig {
            server: "ntp.internal".into(),
            server_is_local: true,
            ..NtpConfig::default()
        }))
        .is_ok());
        assert!(NtpCollector::new(&config(NtpConfig {
            server: "::1".into(),
            ..NtpConfig::default()
        }))
        .is_ok());
        let version = NtpCollector::new(&config(NtpConfig {
            protocol_version: 5,
            ..NtpConfig::default()
        }));
        assert_eq!(
            version.err().unwrap().0,
            "invalid NTP protocol version 5; must be 2, 3, or 4"
        );
    }

    #[test]
    fn seconds_as_go_converts_durations() {
        assert_eq!(seconds(1_500_000_000), 1.5);
        assert_eq!(seconds(-58_813_000), -0.058813);
        assert_eq!(seconds(164_182), 0.000164182);
    }
}
