//! node_exporter's `hwmon` collector: the sensors of `/sys/class/hwmon/*` (lm-sensors' view),
//! one family per sensor type and property, named and scaled as node_exporter 1.12 names them.

use ingot_hostfs::hwmon::{self, SensorData};
use ingot_hostfs::num::parse_f64;
use ingot_hostfs::sysfs::to_valid_utf8;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::config::{optional_regex, DeviceFilter};
use super::exporter::NO_DATA;
use super::{Collector, ConfigError, UnixConfig};

const CHIP_NAMES: Desc = Desc::new(
    "node_hwmon_chip_names",
    "Annotation metric for human-readable chip names",
    MetricType::Gauge,
    &["chip", "chip_name"],
);
const SENSOR_LABEL: Desc = Desc::new(
    "node_hwmon_sensor_label",
    "Label for given chip and sensor",
    MetricType::Gauge,
    &["chip", "sensor", "label"],
);
const BEEP_ENABLED: Desc = Desc::new(
    "node_hwmon_beep_enabled",
    "Hardware beep enabled",
    MetricType::Gauge,
    &["chip", "sensor"],
);
const VRM: Desc = Desc::new(
    "node_hwmon_voltage_regulator_version",
    "Hardware voltage regulator",
    MetricType::Gauge,
    &["chip", "sensor"],
);
const UPDATE_INTERVAL: Desc = Desc::new(
    "node_hwmon_update_interval_seconds",
    "Hardware monitor update interval",
    MetricType::Gauge,
    &["chip", "sensor"],
);

const LABELS: &[&str] = &["chip", "sensor"];

pub(super) struct HwmonCollector {
    class_dir: std::path::PathBuf,
    chip_filter: DeviceFilter,
    data: SensorData,
    name: String,
    help: String,
    buf: Vec<u8>,
}

impl HwmonCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<HwmonCollector, ConfigError> {
        Ok(HwmonCollector {
            class_dir: config.sysfs_path.join("class/hwmon"),
            chip_filter: DeviceFilter::new(
                optional_regex("hwmon.chip_exclude", &config.hwmon.chip_exclude)?,
                optional_regex("hwmon.chip_include", &config.hwmon.chip_include)?,
            ),
            data: SensorData::new(),
            name: String::new(),
            help: String::new(),
            buf: Vec::new(),
        })
    }

    fn update_chip(
        &mut self,
        out: &mut FamilySet,
        dir: &std::path::Path,
        chip: &str,
    ) -> Result<(), String> {
        self.data.clear();
        hwmon::collect_sensor_data(dir, &mut self.data, &mut self.buf)
            .map_err(|e| e.to_string())?;
        let device = dir.join("device");
        if std::fs::metadata(&device).is_ok() {
            hwmon::collect_sensor_data(&device, &mut self.data, &mut self.buf)
                .map_err(|e| e.to_string())?;
        }
        if let Some(chip_name) = hwmon::human_readable_name(dir, &mut self.buf) {
            out.push(&CHIP_NAMES, &[chip, &chip_name], 1.0);
        }
        for (sensor, props) in &self.data {
            let sensor_type = hwmon::explode_sensor_filename(sensor).map_or("", |(t, _, _)| t);
            let labels = [chip, sensor.as_str()];
            if let Some(label) = props.get("label") {
                let label = to_valid_utf8(label.as_bytes());
                out.push(&SENSOR_LABEL, &[chip, sensor, &label], 1.0);
            }
            let bare = props.get("");
            match sensor_type {
                "beep_enable" => {
                    let on = bare.is_some_and(|v| v == "1");
                    out.push(&BEEP_ENABLED, &labels, if on { 1.0 } else { 0.0 });
                    continue;
                }
                "vrm" => {
                    if let Some(v) = bare.and_then(|v| parse_f64(v)) {
                        out.push(&VRM, &labels, v);
                    }
                    continue;
                }
                "update_interval" => {
                    if let Some(v) = bare.and_then(|v| parse_f64(v)) {
                        out.push(&UPDATE_INTERVAL, &labels, v * 0.001);
                    }
                    continue;
                }
                _ => {}
            }
            for (element, value) in props {
                if element == "label" {
                    continue;
                }
                let Some(value) = parse_f64(value) else {
                    continue;
                };
                self.name.clear();
                self.name.push_str("node_hwmon_");
                self.name.push_str(sensor_type);
                if element == "input" {
                    if bare.is_some() {
                        self.name.push_str("_input");
                    }
                } else if !element.is_empty() {
                    self.name.push('_');
                    self.name.push_str(&hwmon::clean_name(element));
                }
                let Some(metric) = sensor_metric(sensor_type, element, value) else {
                    continue;
                };
                self.name.push_str(metric.suffix);
                self.help.clear();
                metric.help.write(&mut self.help, sensor_type, element);
                let family = out.family_with(&self.name, &self.help, metric.kind, LABELS);
                if metric.label_as_sensor {
                    let Some(label) = props.get("label") else {
                        continue;
                    };
                    family.push(&[chip, &hwmon::clean_name(label)], metric.value);
                } else {
                    family.push(&labels, metric.value);
                }
            }
        }
        Ok(())
    }
}

/// How one sensor property becomes a sample.
struct SensorMetric {
    suffix: &'static str,
    help: Help,
    kind: MetricType,
    value: f64,
    /// GPU frequency: the sensor label is the cleaned `label` file instead of the sensor name.
    label_as_sensor: bool,
}

enum Help {
    /// `Hardware sensor <element> status (<type>)`.
    Status,
    /// Fixed text.
    Fixed(&'static str),
    /// `<text> (<element>)`, with `input` for the bare file.
    Element(&'static str),
    /// `Hardware monitor <type> element <element>`.
    Fallback,
}

impl Help {
    fn write(&self, out: &mut String, sensor_type: &str, element: &str) {
        match self {
            Help::Status => {
                out.push_str("Hardware sensor ");
                out.push_str(element);
                out.push_str(" status (");
                out.push_str(sensor_type);
                out.push(')');
            }
            Help::Fixed(text) => out.push_str(text),
            Help::Element(text) => {
                out.push_str(text);
                out.push_str(" (");
                out.push_str(if element.is_empty() && sensor_type == "temp" {
                    "input"
                } else {
                    element
                });
                out.push(')');
            }
            Help::Fallback => {
                out.push_str("Hardware monitor ");
                out.push_str(sensor_type);
                out.push_str(" element ");
                out.push_str(element);
            }
        }
    }
}

/// node_exporter's mapping of a sensor type and property to unit, scale and help.
fn sensor_metric(sensor_type: &str, element: &str, v: f64) -> Option<SensorMetric> {
    let m = |suffix, help, kind, value| {
        Some(SensorMetric {
            suffix,
            help,
            kind,
            value,
            label_as_sensor: false,
        })
    };
    use MetricType::{Counter, Gauge};
    match (sensor_type, element) {
        (_, "fault" | "alarm") => m("", Help::Status, Gauge, v),
        (_, "beep") => m(
            "_enabled",
            Help::Fixed("Hardware monitor sensor has beeping enabled"),
            Gauge,
            v,
        ),
        ("in" | "cpu", _) => m(
            "_volts",
            Help::Element("Hardware monitor for voltage"),
            Gauge,
            v * 0.001,
        ),
        ("temp", e) if e != "type" => m(
            "_celsius",
            Help::Element("Hardware monitor for temperature"),
            Gauge,
            v * 0.001,
        ),
        ("curr", _) => m(
            "_amps",
            Help::Element("Hardware monitor for current"),
            Gauge,
            v * 0.001,
        ),
        ("energy", _) => m(
            "_joule_total",
            Help::Element("Hardware monitor for joules used so far"),
            Counter,
            v / 1_000_000.0,
        ),
        ("power", "accuracy") => m(
            "",
            Help::Fixed("Hardware monitor power meter accuracy, as a ratio"),
            Gauge,
            v / 1_000_000.0,
        ),
        ("power", "average_interval" | "average_interval_min" | "average_interval_max") => m(
            "_seconds",
            Help::Element("Hardware monitor power usage update interval"),
            Gauge,
            v * 0.001,
        ),
        ("power", _) => m(
            "_watt",
            Help::Element("Hardware monitor for power usage in watts"),
            Gauge,
            v / 1_000_000.0,
        ),
        ("humidity", _) => m(
            "",
            Help::Element("Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage)"),
            Gauge,
            v / 1_000_000.0,
        ),
        ("fan", "input" | "min" | "max" | "target") => m(
            "_rpm",
            Help::Element("Hardware monitor for fan revolutions per minute"),
            Gauge,
            v,
        ),
        ("freq", "input") => Some(SensorMetric {
            suffix: "_freq_mhz",
            help: Help::Fixed("Hardware monitor for GPU frequency in MHz"),
            kind: Gauge,
            value: v / 1_000_000.0,
            label_as_sensor: true,
        }),
        _ => m("", Help::Fallback, Gauge, v),
    }
}

impl Collector for HwmonCollector {
    fn name(&self) -> &'static str {
        "hwmon"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let chips = match hwmon::chips(&self.class_dir) {
            Ok(chips) => chips,
            Err(e) if e.is_not_found() => return Err(NO_DATA.into()),
            Err(e) => return Err(e.to_string()),
        };
        // As node_exporter: a chip that cannot be read does not stop the others; the last
        // failure is the collector's.
        let mut last_error = None;
        for (chip, label) in chips {
            if self.chip_filter.ignored(&label) {
                continue;
            }
            if let Err(e) = self.update_chip(out, &chip.dir, &label) {
                last_error = Some(e);
            }
        }
        last_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn write(root: &Path, rel: &str, content: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn gather(root: &Path, hwmon: super::super::HwmonConfig) -> Result<String, String> {
        let config = UnixConfig {
            sysfs_path: root.to_owned(),
            hwmon,
            ..UnixConfig::default()
        };
        let mut c = HwmonCollector::new(&config).unwrap();
        let mut set = FamilySet::new();
        c.update(&mut set)?;
        Ok(set.encode_to_string())
    }

    #[test]
    fn absent_class_is_no_data() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(gather(dir.path(), Default::default()).unwrap_err(), NO_DATA);
    }

    #[test]
    fn units_labels_and_chip_filters() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "class/hwmon/hwmon0/name", "coretemp\n");
        write(root, "class/hwmon/hwmon0/temp1_input", "41500\n");
        write(root, "class/hwmon/hwmon0/temp1_label", "Core 0\n");
        write(root, "class/hwmon/hwmon0/fan1_input", "1200\n");
        write(root, "class/hwmon/hwmon0/fan1_pulses", "2\n");
        write(root, "class/hwmon/hwmon0/in0_input", "1024\n");
        write(root, "class/hwmon/hwmon0/in0_alarm", "0\n");
        write(root, "class/hwmon/hwmon0/power1_average", "15000000\n");
        write(root, "class/hwmon/hwmon0/freq1_input", "1500000000\n");
        write(root, "class/hwmon/hwmon0/freq1_label", "sclk\n");
        write(root, "class/hwmon/hwmon0/temp2_input", "not a number\n");
        write(root, "class/hwmon/hwmon1/name", "acpitz\n");
        write(root, "class/hwmon/hwmon1/temp1_input", "30000\n");
        let text = gather(root, Default::default()).unwrap();
        for line in [
            "node_hwmon_chip_names{chip=\"coretemp\",chip_name=\"coretemp\"} 1\n",
            "# HELP node_hwmon_temp_celsius Hardware monitor for temperature (input)\n",
            "node_hwmon_temp_celsius{chip=\"coretemp\",sensor=\"temp1\"} 41.5\n",
            "node_hwmon_sensor_label{chip=\"coretemp\",label=\"Core 0\",sensor=\"temp1\"} 1\n",
            "node_hwmon_fan_rpm{chip=\"coretemp\",sensor=\"fan1\"} 1200\n",
            "# HELP node_hwmon_fan_pulses Hardware monitor fan element pulses\n",
            "node_hwmon_in_volts{chip=\"coretemp\",sensor=\"in0\"} 1.024\n",
            "# HELP node_hwmon_in_alarm Hardware sensor alarm status (in)\n",
            "node_hwmon_power_average_watt{chip=\"coretemp\",sensor=\"power1\"} 15\n",
            "node_hwmon_freq_freq_mhz{chip=\"coretemp\",sensor=\"sclk\"} 1500\n",
            "node_hwmon_temp_celsius{chip=\"acpitz\",sensor=\"temp1\"} 30\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("sensor=\"temp2\""), "{text}");
        let only_acpi = gather(
            root,
            super::super::HwmonConfig {
                chip_include: "^acpi".into(),
                chip_exclude: String::new(),
            },
        )
        .unwrap();
        assert!(only_acpi.contains("chip=\"acpitz\""));
        assert!(!only_acpi.contains("chip=\"coretemp\""), "{only_acpi}");
    }
}
