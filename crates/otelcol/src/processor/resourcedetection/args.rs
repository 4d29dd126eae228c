//! `otelcol.processor.resourcedetection`'s arguments (Alloy's `processor/resourcedetection`):
//! `detectors` (default `["env"]`), `override` (default true), `timeout` (5s), the `system` block
//! (`hostname_sources` default `["dns", "os"]`, `resource_attributes` with one block per attribute and
//! its `enabled`), `output`.

use std::time::Duration;

use ingot_otlp::Outputs;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::config::{debug_metrics, output_block, Warnings};

/// Detectors Alloy has and ingot does not (they query cloud metadata services or orchestrators).
const ELSEWHERE: [&str; 25] = [
    "ec2",
    "ecs",
    "eks",
    "elasticbeanstalk",
    "lambda",
    "akamai",
    "azure",
    "aks",
    "consul",
    "docker",
    "digitalocean",
    "gcp",
    "heroku",
    "hetzner",
    "openshift",
    "k8snode",
    "kubeadm",
    "dynatrace",
    "openstacknova",
    "oraclecloud",
    "scaleway",
    "upcloud",
    "vultr",
    "tencent_cvm",
    "alibaba_ecs",
];

/// The `system` detector's attributes and whether each is on (Alloy's defaults: `host.name` and
/// `os.type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct System {
    pub hostname_sources: Vec<String>,
    pub host_name: bool,
    pub os_type: bool,
    pub host_arch: bool,
    pub host_id: bool,
}

impl Default for System {
    fn default() -> System {
        System {
            hostname_sources: vec!["dns".into(), "os".into()],
            host_name: true,
            os_type: true,
            host_arch: false,
            host_id: false,
        }
    }
}

struct Enabled(bool);

impl Decode for Enabled {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Enabled(d.required("enabled")?))
    }
}

struct ResourceAttributes(Vec<(String, bool)>);

const SYSTEM_ATTRIBUTES: [&str; 17] = [
    "host.arch",
    "host.cpu.cache.l2.size",
    "host.cpu.family",
    "host.cpu.model.id",
    "host.cpu.model.name",
    "host.cpu.stepping",
    "host.cpu.vendor.id",
    "host.id",
    "host.interface",
    "host.ip",
    "host.mac",
    "host.name",
    "os.build.id",
    "os.description",
    "os.name",
    "os.type",
    "os.version",
];

impl Decode for ResourceAttributes {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut out = Vec::new();
        for name in SYSTEM_ATTRIBUTES {
            if let Some(e) = d.block::<Enabled>(name)? {
                out.push((name.to_string(), e.0));
            }
        }
        Ok(ResourceAttributes(out))
    }
}

impl Decode for System {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut s = System::default();
        s.hostname_sources = d.optional_or("hostname_sources", s.hostname_sources.clone())?;
        for src in &s.hostname_sources {
            if !["os", "dns", "cname", "lookup"].contains(&src.as_str()) {
                return Err(d.error_at_attr(
                    "hostname_sources",
                    format!("invalid hostname source: {src}"),
                ));
            }
        }
        if let Some(ra) = d.block::<ResourceAttributes>("resource_attributes")? {
            for (name, on) in ra.0 {
                match name.as_str() {
                    "host.name" => s.host_name = on,
                    "os.type" => s.os_type = on,
                    "host.arch" => s.host_arch = on,
                    "host.id" => s.host_id = on,
                    other if on => {
                        return Err(d.error(format!("system.resource_attributes.{other} is not supported by ingot yet: the system detector gives host.name, os.type, host.arch and host.id")))
                    }
                    _ => {}
                }
            }
        }
        Ok(s)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub detectors: Vec<String>,
    pub override_: bool,
    pub system: System,
    pub output: Outputs,
    pub warnings: Warnings,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let detectors: Vec<String> = d.optional_or("detectors", vec!["env".to_string()])?;
        let override_ = d.optional_or("override", true)?;
        let timeout: Duration = d.optional_or("timeout", Duration::from_secs(5))?;
        let system: System = d.block("system")?.unwrap_or_default();
        let output = output_block(d)?;
        debug_metrics(d, &mut warnings)?;
        let _ = timeout;
        for det in &detectors {
            match det.as_str() {
                "env" | "system" => {}
                other if ELSEWHERE.contains(&other) => {
                    return Err(d.error_at_attr("detectors", format!("the {other} detector is not supported by ingot: it detects env and system only")))
                }
                other => return Err(d.error_at_attr("detectors", format!("invalid detector {other:?}"))),
            }
        }
        Ok(Arguments {
            detectors,
            override_,
            system,
            output,
            warnings,
        })
    }
}
