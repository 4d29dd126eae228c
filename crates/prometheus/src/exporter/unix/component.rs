//! The `prometheus.exporter.unix` component: Alloy's arguments and blocks, the `targets` export, the
//! metrics endpoint, and health that names the collector that failed and why.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use ingot_runtime::component::{ComponentType, Context, HttpRequest, HttpResponse};
use ingot_runtime::health::HealthReporter;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

use super::{
    CpuConfig, DiskConfig, FilesystemConfig, NetdevConfig, SystemdConfig, UnixConfig, UnixExporter,
    IMPLEMENTED_COLLECTORS,
};
use crate::prometheus::exporter::target::{exporter_targets, host_instance};

pub const NAME: &str = "prometheus.exporter.unix";

/// Blocks Alloy accepts for collectors ingot does not implement. They configure nothing that runs (enabling
/// such a collector is refused), so they are accepted and left alone.
const BLOCKS_OF_OTHER_COLLECTORS: &[&str] = &[
    "arp",
    "bcache",
    "ethtool",
    "hwmon",
    "ipvs",
    "ntp",
    "netclass",
    "netstat",
    "perf",
    "powersupply",
    "runit",
    "supervisord",
    "sysctl",
    "tapestats",
    "textfile",
    "vmstat",
];

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub config: UnixConfig,
    /// As Alloy: wraps the endpoint in client_golang's handler instrumentation, adding
    /// `promhttp_metric_handler_requests_in_flight` and `promhttp_metric_handler_requests_total`.
    /// (Alloy registers no Go or process collectors for it.)
    pub include_exporter_metrics: bool,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let defaults = UnixConfig::default();
        let config = UnixConfig {
            set_collectors: d.optional_or("set_collectors", Vec::new())?,
            enable_collectors: d.optional_or("enable_collectors", Vec::new())?,
            disable_collectors: d.optional_or("disable_collectors", Vec::new())?,
            procfs_path: d
                .optional_or::<String>("procfs_path", "/proc".into())?
                .into(),
            sysfs_path: d.optional_or::<String>("sysfs_path", "/sys".into())?.into(),
            rootfs_path: d.optional_or::<String>("rootfs_path", "/".into())?.into(),
            udev_data_path: d
                .optional_or::<String>("udev_data_path", "/run/udev/data".into())?
                .into(),
            cpu: d.block("cpu")?.unwrap_or(defaults.cpu),
            disk: d.block("disk")?.unwrap_or(defaults.disk),
            filesystem: d.block("filesystem")?.unwrap_or(defaults.filesystem),
            netdev: d.block("netdev")?.unwrap_or(defaults.netdev),
            systemd: d.block("systemd")?.unwrap_or(defaults.systemd),
        };
        let include_exporter_metrics = d.optional_or("include_exporter_metrics", false)?;
        for name in BLOCKS_OF_OTHER_COLLECTORS {
            let _: Option<BTreeMap<String, Value>> = d.block(name)?;
        }
        let unsupported = config.collector_selection().unsupported;
        if !unsupported.is_empty() {
            let attr = ["set_collectors", "enable_collectors"]
                .into_iter()
                .find(|a| d.has(a))
                .unwrap_or("set_collectors");
            let names = unsupported
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            let plural = if unsupported.len() > 1 { "s" } else { "" };
            return Err(d.error_at_attr(
                attr,
                format!(
                    "collector{plural} {names} not supported by ingot yet; supported collectors: {}",
                    IMPLEMENTED_COLLECTORS.join(", ")
                ),
            ));
        }
        Ok(Arguments {
            config,
            include_exporter_metrics,
        })
    }
}

impl Decode for CpuConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = CpuConfig::default();
        Ok(CpuConfig {
            guest: d.optional_or("guest", def.guest)?,
            info: d.optional_or("info", def.info)?,
            flags_include: d.optional_or("flags_include", def.flags_include)?,
            bugs_include: d.optional_or("bugs_include", def.bugs_include)?,
        })
    }
}

impl Decode for DiskConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = DiskConfig::default();
        Ok(DiskConfig {
            device_exclude: d.optional_or("device_exclude", def.device_exclude)?,
            device_include: d.optional_or("device_include", def.device_include)?,
        })
    }
}

impl Decode for FilesystemConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = FilesystemConfig::default();
        Ok(FilesystemConfig {
            fs_types_exclude: d.optional_or("fs_types_exclude", def.fs_types_exclude)?,
            mount_points_exclude: d
                .optional_or("mount_points_exclude", def.mount_points_exclude)?,
            mount_timeout: d.optional_or("mount_timeout", def.mount_timeout)?,
        })
    }
}

impl Decode for NetdevConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = NetdevConfig::default();
        Ok(NetdevConfig {
            address_info: d.optional_or("address_info", def.address_info)?,
            device_exclude: d.optional_or("device_exclude", def.device_exclude)?,
            device_include: d.optional_or("device_include", def.device_include)?,
        })
    }
}

impl Decode for SystemdConfig {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let def = SystemdConfig::default();
        Ok(SystemdConfig {
            enable_restarts: d.optional_or("enable_restarts", def.enable_restarts)?,
            start_time: d.optional_or("start_time", def.start_time)?,
            task_metrics: d.optional_or("task_metrics", def.task_metrics)?,
            unit_exclude: d.optional_or("unit_exclude", def.unit_exclude)?,
            unit_include: d.optional_or("unit_include", def.unit_include)?,
        })
    }
}

pub struct Component {
    id: String,
    exporter: Mutex<UnixExporter>,
    health: HealthReporter,
    include_exporter_metrics: AtomicBool,
    handler: HandlerMetrics,
}

/// client_golang's `promhttp.InstrumentMetricHandler` counts. Every scrape here answers 200; the 500
/// and 503 series exist from the start, as client_golang initialises them.
#[derive(Default)]
struct HandlerMetrics {
    in_flight: AtomicU64,
    served_ok: AtomicU64,
}

impl HandlerMetrics {
    /// The handler's error counter, which Alloy's endpoint always serves (its handler options name
    /// a registry, so client_golang registers it there). ingot's handler has no gathering or encoding
    /// step that can fail apart from the collectors, which report through
    /// `node_scrape_collector_success`.
    fn write_errors(body: &mut Vec<u8>) {
        body.extend_from_slice(
            b"# HELP promhttp_metric_handler_errors_total Total number of internal errors encountered by the promhttp metric handler.\n\
              # TYPE promhttp_metric_handler_errors_total counter\n\
              promhttp_metric_handler_errors_total{cause=\"encoding\"} 0\n\
              promhttp_metric_handler_errors_total{cause=\"gathering\"} 0\n",
        );
    }

    /// Appends the two instrumentation families, read while this scrape is in flight and before it
    /// is counted, as the Go handler reports them.
    fn write_requests(&self, body: &mut Vec<u8>) {
        use std::io::Write;
        let _ = write!(
            body,
            "# HELP promhttp_metric_handler_requests_in_flight Current number of scrapes being served.\n\
             # TYPE promhttp_metric_handler_requests_in_flight gauge\n\
             promhttp_metric_handler_requests_in_flight {}\n\
             # HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.\n\
             # TYPE promhttp_metric_handler_requests_total counter\n\
             promhttp_metric_handler_requests_total{{code=\"200\"}} {}\n\
             promhttp_metric_handler_requests_total{{code=\"500\"}} 0\n\
             promhttp_metric_handler_requests_total{{code=\"503\"}} 0\n",
            self.in_flight.load(Ordering::Relaxed),
            self.served_ok.load(Ordering::Relaxed),
        );
    }
}

/// With `set_collectors` empty, Alloy runs its whole default set; ingot runs the part it implements.
/// Dashboards built on the rest (`node_boot_time_seconds`, `node_network_up`, ...) would go blank
/// without a word, so the log names what is missing, once per configuration that changes it.
fn warn_default_absent(id: &str, exporter: &UnixExporter, before: Option<&UnixExporter>) {
    let absent = exporter.default_absent_collectors();
    if absent.is_empty() || before.is_some_and(|b| b.default_absent_collectors() == absent) {
        return;
    }
    tracing::warn!(
        component_id = %id,
        "set_collectors is empty: of Alloy's default collectors ingot runs {}; it does not implement {} yet, so their metrics are absent (list the collectors in set_collectors to silence this)",
        exporter.collectors().join(", "),
        absent.join(", ")
    );
}

impl Component {
    /// Gathers every collector and reports the outcome as the component's health.
    fn scrape(&self) -> Vec<u8> {
        self.handler.in_flight.fetch_add(1, Ordering::Relaxed);
        let mut exporter = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        let mut body = Vec::with_capacity(64 * 1024);
        let errors = exporter.gather_into(&mut body);
        if errors.is_empty() {
            self.health.healthy("all collectors succeeded");
        } else {
            let causes: Vec<String> = errors.iter().map(ToString::to_string).collect();
            self.health.unhealthy(causes.join("; "));
        }
        drop(exporter);
        // Families sort by name in client_golang's output: promhttp_* after every node_*.
        HandlerMetrics::write_errors(&mut body);
        if self.include_exporter_metrics.load(Ordering::Relaxed) {
            self.handler.write_requests(&mut body);
        }
        self.handler.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.handler.served_ok.fetch_add(1, Ordering::Relaxed);
        body
    }
}

impl ComponentType for Component {
    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let exporter = UnixExporter::new(&args.config).map_err(|e| e.to_string())?;
        ctx.exports.init(exporter_targets(
            NAME,
            &ctx.id,
            &ctx.memory_addr,
            &host_instance(),
        ));
        ctx.health
            .healthy("started component; metrics are gathered on each scrape");
        warn_default_absent(&ctx.id, &exporter, None);
        Ok(Component {
            id: ctx.id,
            exporter: Mutex::new(exporter),
            health: ctx.health,
            include_exporter_metrics: AtomicBool::new(args.include_exporter_metrics),
            handler: HandlerMetrics::default(),
        })
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        let exporter = UnixExporter::new(&args.config).map_err(|e| e.to_string())?;
        let mut current = self.exporter.lock().unwrap_or_else(|e| e.into_inner());
        warn_default_absent(&self.id, &exporter, Some(&current));
        *current = exporter;
        self.include_exporter_metrics
            .store(args.include_exporter_metrics, Ordering::Relaxed);
        Ok(())
    }

    fn http(&self, request: HttpRequest<'_>) -> Option<HttpResponse> {
        crate::prometheus::exporter::target::metrics_endpoint(&request, || self.scrape())
    }
}
