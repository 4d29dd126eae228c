//! node_exporter's `pcidevice` collector (off by default): every device of `/sys/bus/pci/devices`,
//! read as procfs' `PciDevices` reads it (its location and its parent's from the link's target, IDs,
//! PCIe link speed and width, NUMA node, SR-IOV and power management attributes). Device names from a
//! `pci.ids` file (node_exporter's `--collector.pcidevice.names`, off by default) are not offered:
//! Alloy has no argument for them.

use std::path::{Path, PathBuf};

use ingot_gocompat::strconv::quote;
use ingot_hostfs::sysfs::{self, SysError};
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, UnixConfig, NO_DATA};

const LOCATION: &[&str] = &["segment", "bus", "device", "function"];

macro_rules! per_device {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_pcidevice_", $name),
            $help,
            MetricType::Gauge,
            LOCATION,
        )
    };
}

const INFO: Desc = Desc::new(
    "node_pcidevice_info",
    "Non-numeric data from /sys/bus/pci/devices/<location>, value is always 1.",
    MetricType::Gauge,
    &[
        "segment",
        "bus",
        "device",
        "function",
        "parent_segment",
        "parent_bus",
        "parent_device",
        "parent_function",
        "class_id",
        "vendor_id",
        "device_id",
        "subsystem_vendor_id",
        "subsystem_device_id",
        "revision",
    ],
);
const MAX_LINK_TS: Desc = per_device!(
    "max_link_transfers_per_second",
    "Value of maximum link's transfers per second (T/s)"
);
const MAX_LINK_WIDTH: Desc = per_device!(
    "max_link_width",
    "Value of maximum link's width (number of lanes)"
);
const CURRENT_LINK_TS: Desc = per_device!(
    "current_link_transfers_per_second",
    "Value of current link's transfers per second (T/s)"
);
const CURRENT_LINK_WIDTH: Desc = per_device!(
    "current_link_width",
    "Value of current link's width (number of lanes)"
);
const D3COLD_ALLOWED: Desc = per_device!(
    "d3cold_allowed",
    "Whether the PCIe device supports D3cold power state (0/1)."
);
const SRIOV_DRIVERS_AUTOPROBE: Desc = per_device!(
    "sriov_drivers_autoprobe",
    "Whether SR-IOV drivers autoprobe is enabled for the device (0/1)."
);
const SRIOV_NUMVFS: Desc = per_device!(
    "sriov_numvfs",
    "Number of Virtual Functions (VFs) currently enabled for SR-IOV."
);
const SRIOV_TOTALVFS: Desc = per_device!(
    "sriov_totalvfs",
    "Total number of Virtual Functions (VFs) supported by the device."
);
const SRIOV_VF_TOTAL_MSIX: Desc = per_device!(
    "sriov_vf_total_msix",
    "Total number of MSI-X vectors for Virtual Functions."
);
const NUMA_NODE: Desc = per_device!(
    "numa_node",
    "NUMA node number for the PCI device. -1 indicates unknown or not available."
);
const POWER_STATE: Desc = Desc::new(
    "node_pcidevice_power_state",
    "PCIe device power state, one of: D0, D1, D2, D3hot, D3cold, unknown or error.",
    MetricType::Gauge,
    &["segment", "bus", "device", "function", "state"],
);
const POWER_STATES: [&str; 7] = ["D0", "D1", "D2", "D3hot", "D3cold", "unknown", "error"];

/// `segment:bus:device.function`, each hexadecimal.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Location([i64; 4]);

impl Location {
    /// procfs' `parsePciDeviceLocation`.
    fn parse(loc: &str) -> Result<Location, String> {
        let invalid = || format!("invalid location '{loc}'");
        let parts: Vec<&str> = loc.split(':').collect();
        if parts.len() != 3 {
            return Err(invalid());
        }
        let mut fields: Vec<&str> = parts[..2].to_vec();
        fields.extend(parts[2].split('.'));
        if fields.len() != 4 {
            return Err(invalid());
        }
        let mut out = [0i64; 4];
        for (i, what) in ["segment", "bus", "device", "function"].iter().enumerate() {
            out[i] = go_int(fields[i], 16, 32, "ParseInt")
                .map_err(|e| format!("invalid {what}: {e}"))?;
        }
        Ok(Location(out))
    }

    /// The label values: `%04x`, `%02x`, `%02x`, `%x`.
    fn strings(&self) -> [String; 4] {
        let [s, b, d, f] = self.0;
        [
            format!("{s:04x}"),
            format!("{b:02x}"),
            format!("{d:02x}"),
            format!("{f:x}"),
        ]
    }

    fn text(&self) -> String {
        let [s, b, d, f] = self.0;
        format!("{s:04x}:{b:02x}:{d:02x}:{f:x}")
    }
}

/// Go's `strconv.ParseInt`/`ParseUint(s, base, bits)` (`func` names which, for the error), with
/// base 0 taking the base from a `0x`, `0o`, `0b` or `0` prefix. Errors are Go's.
fn go_int(s: &str, base: u32, bits: u32, func: &str) -> Result<i64, String> {
    let err = |what: &str| format!("strconv.{func}: parsing {}: {what}", quote(s));
    let signed = func == "ParseInt";
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') if signed => (true, &s[1..]),
        Some(b'+') if signed => (false, &s[1..]),
        _ => (false, s),
    };
    let (base, digits, underscores) = match base {
        0 => {
            let b = rest.as_bytes();
            if b.len() >= 2 && b[0] == b'0' {
                match b[1].to_ascii_lowercase() {
                    b'x' => (16, &rest[2..], true),
                    b'o' => (8, &rest[2..], true),
                    b'b' => (2, &rest[2..], true),
                    _ => (8, &rest[1..], true),
                }
            } else {
                (10, rest, false)
            }
        }
        b => (b, rest, false),
    };
    if digits.is_empty() && !(base == 8 && rest == "0") {
        return Err(err("invalid syntax"));
    }
    let mut n: u64 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        if c == '_' && underscores {
            continue;
        }
        let Some(d) = c.to_digit(base) else {
            return Err(err("invalid syntax"));
        };
        match n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
        {
            Some(v) => n = v,
            None => overflow = true,
        }
    }
    let limit: u128 = if signed {
        (1u128 << (bits - 1)) - u128::from(!neg)
    } else {
        (1u128 << bits) - 1
    };
    if overflow || u128::from(n) > limit {
        return Err(err("value out of range"));
    }
    Ok(if neg {
        (n as i64).wrapping_neg()
    } else {
        n as i64
    })
}

/// One device, as procfs' `PciDevice` holds it (the attributes node_exporter reports).
#[derive(Debug, Default)]
struct Device {
    location: Option<Location>,
    parent: Option<Location>,
    /// class, vendor, device, subsystem_vendor, subsystem_device, revision.
    ids: [i64; 6],
    numa_node: Option<i64>,
    max_link_speed: Option<f64>,
    max_link_width: Option<f64>,
    current_link_speed: Option<f64>,
    current_link_width: Option<f64>,
    sriov_drivers_autoprobe: Option<bool>,
    sriov_numvfs: Option<i64>,
    sriov_totalvfs: Option<i64>,
    sriov_vf_total_msix: Option<i64>,
    d3cold_allowed: Option<bool>,
    power_state: Option<String>,
}

/// A failure reading the devices: `not_found` when its cause is a file or link that does not exist
/// (node_exporter's `errors.Is(err, os.ErrNotExist)`, which sees through its wrapping).
struct Failure {
    message: String,
    not_found: bool,
}

impl Failure {
    fn parse(message: String) -> Failure {
        Failure {
            message,
            not_found: false,
        }
    }

    fn sys(context: String, e: &SysError) -> Failure {
        Failure {
            message: format!("{context}: {e}"),
            not_found: e.is_not_found(),
        }
    }
}

/// procfs' `parsePciDevice` for `<devices>/<name>`.
fn read_device(devices: &Path, name: &str, buf: &mut Vec<u8>) -> Result<Device, Failure> {
    let path = devices.join(name);
    let target = std::fs::read_link(&path).map_err(|e| Failure {
        message: format!(
            "failed to readlink: readlink {}: {}",
            path.display(),
            ingot_hostfs::errno::go_error_text(&e)
        ),
        not_found: e.kind() == std::io::ErrorKind::NotFound,
    })?;
    let base = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| ".".into())
    };
    let own = base(&target);
    let parent = base(target.parent().unwrap_or(Path::new(".")));
    let location = Location::parse(&own)
        .map_err(|e| Failure::parse(format!("failed to parse device location:<nil> {e}")))?;
    let parent = if parent.starts_with("pci") {
        None
    } else {
        Some(Location::parse(&parent).map_err(|e| {
            Failure::parse(format!(
                "failed to parse parent device location {}: {e}",
                quote(&parent)
            ))
        })?)
    };
    let mut device = Device {
        location: Some(location),
        parent,
        ..Device::default()
    };
    let loc = location.text();
    let read = |f: &str, buf: &mut Vec<u8>| sysfs::read_value(&path.join(f), buf);
    // An optional attribute: `None` when its file does not exist; another failure names the file (quoted)
    // in the words `kind` gives procfs' message for it.
    let optional = |f: &str, buf: &mut Vec<u8>, kind: &dyn Fn(String) -> String| match read(f, buf)
    {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found_unwrapped() => Ok(None),
        Err(e) => Err(Failure::sys(
            kind(quote(&path.join(f).display().to_string())),
            &e,
        )),
    };
    for (i, f) in [
        "class",
        "vendor",
        "device",
        "subsystem_vendor",
        "subsystem_device",
        "revision",
    ]
    .iter()
    .enumerate()
    {
        let name = path.join(f);
        let v = read(f, buf).map_err(|e| {
            Failure::sys(
                format!("failed to read file {}", quote(&name.display().to_string())),
                &e,
            )
        })?;
        device.ids[i] = go_int(&v, 0, 32, "ParseInt")
            .map_err(|e| Failure::parse(format!("failed to parse {f} {} {loc}: {e}", quote(&v))))?;
    }
    for f in [
        "max_link_speed",
        "max_link_width",
        "current_link_speed",
        "current_link_width",
        "numa_node",
    ] {
        let Some(v) = optional(f, buf, &|name| format!("failed to read file {name}"))? else {
            continue;
        };
        if v.is_empty() || v.starts_with("Unknown") {
            continue;
        }
        let bad =
            |e: String| Failure::parse(format!("failed to parse {f} {} {loc}: {e}", quote(&v)));
        match f {
            "max_link_speed" | "current_link_speed" => {
                // "8.0 GT/s PCIe": the number, a space, the unit.
                let Some((number, unit)) = v.split_once(' ') else {
                    return Err(Failure::parse(format!(
                        "invalid value for {f} {} {loc}",
                        quote(&v)
                    )));
                };
                if unit != "GT/s PCIe" {
                    return Err(Failure::parse(format!(
                        "unknown unit for {f} {} {loc}",
                        quote(&v)
                    )));
                }
                let speed = ingot_gocompat::strconv::parse_float(number.trim()).map_err(bad)?;
                if f == "max_link_speed" {
                    device.max_link_speed = Some(speed);
                } else {
                    device.current_link_speed = Some(speed);
                }
            }
            "max_link_width" | "current_link_width" => {
                let width = go_int(&v, 10, 64, "ParseInt").map_err(bad)? as f64;
                if f == "max_link_width" {
                    device.max_link_width = Some(width);
                } else {
                    device.current_link_width = Some(width);
                }
            }
            _ => device.numa_node = Some(go_int(&v, 10, 32, "ParseInt").map_err(bad)?),
        }
    }
    // SR-IOV: optional; offset, stride and vf_device are not reported but must parse, as in procfs.
    for (f, what, base, bits, func) in [
        (
            "sriov_drivers_autoprobe",
            "SR-IOV drivers autoprobe",
            10,
            32,
            "ParseInt",
        ),
        ("sriov_numvfs", "SR-IOV numvfs", 10, 32, "ParseUint"),
        ("sriov_offset", "SR-IOV offset", 10, 32, "ParseUint"),
        ("sriov_stride", "SR-IOV stride", 10, 32, "ParseUint"),
        ("sriov_totalvfs", "SR-IOV totalvfs", 10, 32, "ParseUint"),
        ("sriov_vf_device", "SR-IOV vf device", 16, 32, "ParseUint"),
        (
            "sriov_vf_total_msix",
            "SR-IOV vf total msix",
            10,
            64,
            "ParseUint",
        ),
    ] {
        let Some(v) = optional(f, buf, &|name| {
            format!("failed to read SR-IOV file {name} {loc}")
        })?
        else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        let n = go_int(&v, base, bits, func).map_err(|e| {
            Failure::parse(format!("failed to parse {what} {} {loc}: {e}", quote(&v)))
        })?;
        match f {
            "sriov_drivers_autoprobe" => device.sriov_drivers_autoprobe = Some(n != 0),
            "sriov_numvfs" => device.sriov_numvfs = Some(n),
            "sriov_totalvfs" => device.sriov_totalvfs = Some(n),
            "sriov_vf_total_msix" => device.sriov_vf_total_msix = Some(n),
            _ => {}
        }
    }
    for f in ["d3cold_allowed", "power_state"] {
        let Some(v) = optional(f, buf, &|name| {
            format!("failed to read power management file {name} {loc}")
        })?
        else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        if f == "d3cold_allowed" {
            let n = go_int(&v, 10, 32, "ParseInt").map_err(|e| {
                Failure::parse(format!(
                    "failed to parse d3cold_allowed boolean {} {loc}: {e}",
                    quote(&v)
                ))
            })?;
            device.d3cold_allowed = Some(n != 0);
        } else {
            device.power_state = Some(v);
        }
    }
    Ok(device)
}

pub(super) struct PcideviceCollector {
    devices: PathBuf,
    buf: Vec<u8>,
}

impl PcideviceCollector {
    pub(super) fn new(config: &UnixConfig) -> PcideviceCollector {
        PcideviceCollector {
            devices: config.sysfs_path.join("bus/pci/devices"),
            buf: Vec::new(),
        }
    }

    fn devices(&mut self) -> Result<Vec<Device>, Failure> {
        let entries = sysfs::read_dir(&self.devices).map_err(|e| Failure {
            message: e.to_string(),
            not_found: e.is_not_found(),
        })?;
        let mut devices: Vec<Device> = Vec::with_capacity(entries.len());
        for entry in entries {
            let device = read_device(&self.devices, &entry.name, &mut self.buf)?;
            // procfs keys its map by location: a later device of the same location replaces one.
            devices.retain(|d| d.location != device.location);
            devices.push(device);
        }
        Ok(devices)
    }
}

impl Collector for PcideviceCollector {
    fn name(&self) -> &'static str {
        "pcidevice"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let devices = match self.devices() {
            Ok(d) => d,
            // No PCI bus in sysfs (or a device gone while read): nothing to collect, as node_exporter.
            Err(f) if f.not_found => return Err(NO_DATA.into()),
            Err(f) => return Err(format!("error obtaining PCI device info: {}", f.message)),
        };
        for device in &devices {
            let Some(location) = device.location else {
                continue;
            };
            let loc = location.strings();
            let parent = match device.parent {
                Some(p) => p.strings(),
                None => ["*".into(), "*".into(), "*".into(), "*".into()],
            };
            let [class, vendor, dev, sub_vendor, sub_device, revision] = device.ids;
            let ids = [
                format!("0x{:06x}", class as u32),
                format!("0x{:04x}", vendor as u32),
                format!("0x{:04x}", dev as u32),
                format!("0x{:04x}", sub_vendor as u32),
                format!("0x{:04x}", sub_device as u32),
                format!("0x{:02x}", revision as u32),
            ];
            let info: Vec<&str> = loc
                .iter()
                .chain(&parent)
                .chain(&ids)
                .map(String::as_str)
                .collect();
            out.push(&INFO, &info, 1.0);
            let at = [
                loc[0].as_str(),
                loc[1].as_str(),
                loc[2].as_str(),
                loc[3].as_str(),
            ];
            let flag = |b: Option<bool>| if b == Some(true) { 1.0 } else { 0.0 };
            let count = |n: Option<i64>| n.map_or(0.0, |n| n as f64);
            out.push(
                &MAX_LINK_TS,
                &at,
                device.max_link_speed.map_or(-1.0, |s| s * 1e9),
            );
            out.push(&MAX_LINK_WIDTH, &at, device.max_link_width.unwrap_or(-1.0));
            out.push(
                &CURRENT_LINK_TS,
                &at,
                device.current_link_speed.map_or(-1.0, |s| s * 1e9),
            );
            out.push(
                &CURRENT_LINK_WIDTH,
                &at,
                device.current_link_width.unwrap_or(-1.0),
            );
            out.push(&D3COLD_ALLOWED, &at, flag(device.d3cold_allowed));
            out.push(
                &SRIOV_DRIVERS_AUTOPROBE,
                &at,
                flag(device.sriov_drivers_autoprobe),
            );
            out.push(&SRIOV_NUMVFS, &at, count(device.sriov_numvfs));
            out.push(&SRIOV_TOTALVFS, &at, count(device.sriov_totalvfs));
            out.push(&SRIOV_VF_TOTAL_MSIX, &at, count(device.sriov_vf_total_msix));
            if let Some(state) = &device.power_state {
                for s in POWER_STATES {
                    let v = if s == state { 1.0 } else { 0.0 };
                    out.push(&POWER_STATE, &[at[0], at[1], at[2], at[3], s], v);
                }
            }
            if let Some(node) = device.numa_node.filter(|n| *n != -1) {
                out.push(&NUMA_NODE, &at, node as f64);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_and_go_integers() {
        assert_eq!(
            Location::parse("0000:45:00.1").unwrap().strings(),
            ["0000", "45", "00", "1"]
        );
        assert_eq!(
            Location::parse("pci0000:00").unwrap_err(),
            "invalid location 'pci0000:00'"
        );
        assert_eq!(
            Location::parse("0000:zz:00.0").unwrap_err(),
            "invalid bus: strconv.ParseInt: parsing \"zz\": invalid syntax"
        );
        assert_eq!(go_int("0x060400", 0, 32, "ParseInt"), Ok(0x060400));
        assert_eq!(go_int("010", 0, 32, "ParseInt"), Ok(8));
        assert_eq!(go_int("0", 0, 32, "ParseInt"), Ok(0));
        assert_eq!(go_int("-1", 10, 32, "ParseInt"), Ok(-1));
        assert_eq!(
            go_int("0x80000000", 0, 32, "ParseInt").unwrap_err(),
            "strconv.ParseInt: parsing \"0x80000000\": value out of range"
        );
        assert_eq!(
            go_int("-1", 10, 32, "ParseUint").unwrap_err(),
            "strconv.ParseUint: parsing \"-1\": invalid syntax"
        );
        assert_eq!(go_int("4294967295", 10, 32, "ParseUint"), Ok(4294967295));
        assert_eq!(go_int("ffff", 16, 32, "ParseUint"), Ok(0xffff));
        assert!(go_int("0x", 0, 32, "ParseInt").is_err());
    }
}
