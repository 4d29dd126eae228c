//! node_exporter's `wifi` collector: WiFi interfaces, the access point each is associated with
//! and its stations, from nl80211 (see `ingot_hostfs::nl80211`).

use ingot_hostfs::nl80211::{mac_text, Interface, Nl80211, Station};
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::exporter::NO_DATA;
use super::{Collector, UnixConfig};

const FREQUENCY: Desc = Desc::new(
    "node_wifi_interface_frequency_hertz",
    "The current frequency a WiFi interface is operating at, in hertz.",
    MetricType::Gauge,
    &["device"],
);
const STATION_INFO: Desc = Desc::new(
    "node_wifi_station_info",
    "Labeled WiFi interface station information as provided by the operating system.",
    MetricType::Gauge,
    &["device", "bssid", "ssid", "mode"],
);

macro_rules! station {
    ($name:literal, $kind:ident, $help:literal) => {
        Desc::new(
            concat!("node_wifi_station_", $name),
            $help,
            MetricType::$kind,
            &["device", "mac_address"],
        )
    };
}

const CONNECTED: Desc = station!(
    "connected_seconds_total",
    Counter,
    "The total number of seconds a station has been connected to an access point."
);
const INACTIVE: Desc = station!(
    "inactive_seconds",
    Gauge,
    "The number of seconds since any wireless activity has occurred on a station."
);
const RX_BITRATE: Desc = station!(
    "receive_bits_per_second",
    Gauge,
    "The current WiFi receive bitrate of a station, in bits per second."
);
const TX_BITRATE: Desc = station!(
    "transmit_bits_per_second",
    Gauge,
    "The current WiFi transmit bitrate of a station, in bits per second."
);
const RX_BYTES: Desc = station!(
    "receive_bytes_total",
    Counter,
    "The total number of bytes received by a WiFi station."
);
const TX_BYTES: Desc = station!(
    "transmit_bytes_total",
    Counter,
    "The total number of bytes transmitted by a WiFi station."
);
const SIGNAL: Desc = station!(
    "signal_dbm",
    Gauge,
    "The current WiFi signal strength, in decibel-milliwatts (dBm)."
);
const TX_RETRIES: Desc = station!(
    "transmit_retries_total",
    Counter,
    "The total number of times a station has had to retry while sending a packet."
);
const TX_FAILED: Desc = station!(
    "transmit_failed_total",
    Counter,
    "The total number of times a station has failed to send a packet."
);
const BEACON_LOSS: Desc = station!(
    "beacon_loss_total",
    Counter,
    "The total number of times a station has detected a beacon loss."
);
const TX_PACKETS: Desc = station!(
    "transmitted_packets_total",
    Counter,
    "The total number of packets transmitted by a station."
);
const RX_PACKETS: Desc = station!(
    "received_packets_total",
    Counter,
    "The total number of packets received by a station."
);

pub(super) struct WifiCollector;

impl WifiCollector {
    pub(super) fn new(_config: &UnixConfig) -> WifiCollector {
        WifiCollector
    }
}

/// node_exporter's `bssStatusMode`.
fn mode(status: u32) -> &'static str {
    match status {
        0 | 1 => "client",
        2 => "ad-hoc",
        _ => "unknown",
    }
}

fn go_text(err: &std::io::Error) -> String {
    ingot_hostfs::errno::go_error_text(err)
}

/// The station's samples, converted as node_exporter (through Go's `time.Duration`) converts them.
pub(super) fn push_station(out: &mut FamilySet, device: &str, s: &Station) {
    let mac = mac_text(&s.mac);
    let labels = [device, mac.as_str()];
    let inactive = f64::from(s.inactive / 1000) + f64::from((s.inactive % 1000) * 1_000_000) / 1e9;
    for (desc, v) in [
        (&CONNECTED, f64::from(s.connected)),
        (&INACTIVE, inactive),
        (&RX_BITRATE, s.rx_bitrate as f64),
        (&TX_BITRATE, s.tx_bitrate as f64),
        (&RX_BYTES, s.rx_bytes as f64),
        (&TX_BYTES, s.tx_bytes as f64),
        (&SIGNAL, f64::from(s.signal)),
        (&TX_RETRIES, f64::from(s.tx_retries)),
        (&TX_FAILED, f64::from(s.tx_failed)),
        (&BEACON_LOSS, f64::from(s.beacon_loss)),
        (&TX_PACKETS, f64::from(s.tx_packets)),
        (&RX_PACKETS, f64::from(s.rx_packets)),
    ] {
        out.push(desc, &labels, v);
    }
}

fn update_interface(out: &mut FamilySet, nl: &mut Nl80211, ifi: &Interface) -> Result<(), String> {
    out.push(
        &FREQUENCY,
        &[&ifi.name],
        f64::from(ifi.frequency) * 1000.0 * 1000.0,
    );
    // A statistic an interface does not have comes back as ENOENT: left out, as node_exporter does.
    match nl.bss(ifi) {
        Ok(Some(bss)) => out.push(
            &STATION_INFO,
            &[
                &ifi.name,
                &mac_text(&bss.bssid),
                &bss.ssid,
                mode(bss.status),
            ],
            1.0,
        ),
        Ok(None) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(format!(
                "failed to retrieve BSS for device {}: {}",
                ifi.name,
                go_text(&e)
            ))
        }
    }
    match nl.stations(ifi) {
        Ok(stations) => {
            for s in &stations {
                push_station(out, &ifi.name, s);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(format!(
                "failed to retrieve station info for device {:?}: {}",
                ifi.name,
                go_text(&e)
            ))
        }
    }
    Ok(())
}

impl Collector for WifiCollector {
    fn name(&self) -> &'static str {
        "wifi"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        // As node_exporter: a new connection each gather.
        let mut nl = match Nl80211::open() {
            Ok(nl) => nl,
            // No cfg80211 in the kernel (no nl80211 family), or not allowed to ask.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                return Err(NO_DATA.into())
            }
            Err(e) => return Err(format!("failed to access wifi data: {}", go_text(&e))),
        };
        let interfaces = nl
            .interfaces()
            .map_err(|e| format!("failed to retrieve wifi interfaces: {}", go_text(&e)))?;
        for ifi in interfaces.iter().filter(|i| !i.name.is_empty()) {
            update_interface(out, &mut nl, ifi)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_samples_convert_as_node_exporter() {
        let mut out = FamilySet::new();
        let station = Station {
            mac: vec![0x01, 0x02, 0x03, 0x04, 0x05, 0x06],
            connected: 30,
            inactive: 400,
            rx_bytes: 1_234_567,
            tx_bytes: 345_678,
            signal: -52,
            rx_packets: 8,
            tx_packets: 9,
            tx_retries: 10,
            tx_failed: 2,
            beacon_loss: 1,
            rx_bitrate: 128_000_000,
            tx_bitrate: 164_000_000,
        };
        push_station(&mut out, "wlan0", &station);
        let text = out.encode_to_string();
        for line in [
            "node_wifi_station_connected_seconds_total{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 30\n",
            "node_wifi_station_inactive_seconds{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 0.4\n",
            "node_wifi_station_signal_dbm{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} -52\n",
            "node_wifi_station_receive_bits_per_second{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 1.28e+08\n",
            "node_wifi_station_transmit_bytes_total{device=\"wlan0\",mac_address=\"01:02:03:04:05:06\"} 345678\n",
            "# TYPE node_wifi_station_beacon_loss_total counter\n",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert_eq!(mode(1), "client");
        assert_eq!(mode(2), "ad-hoc");
        assert_eq!(mode(7), "unknown");
    }
}
