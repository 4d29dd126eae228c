//! The exposition both benches parse: a deterministic 100,000-series body shaped like
//! node_exporter / Go client output.
#![allow(dead_code)]

pub const SERIES: usize = 100_000;

/// A small deterministic PRNG so the body is identical run to run.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Families shaped like node_exporter / Go client output: counters, gauges,
/// histograms with `le`, 3-6 labels per series, values as integers, decimals
/// and exponent forms.
pub fn generate(om: bool) -> (Vec<u8>, usize) {
    let subsystems = [
        "node_cpu",
        "node_disk",
        "node_network",
        "http_server",
        "process",
        "go_gc",
        "grpc_client",
        "db_pool",
    ];
    let things = [
        "seconds",
        "bytes",
        "requests",
        "errors",
        "operations",
        "packets",
        "connections",
    ];
    let label_names = [
        "instance",
        "job",
        "device",
        "mode",
        "method",
        "code",
        "handler",
        "cluster",
        "namespace",
        "pod",
    ];
    let label_values = [
        "sda",
        "eth0",
        "GET",
        "POST",
        "200",
        "404",
        "500",
        "/api/v1/query",
        "/metrics",
        "user",
        "system",
        "idle",
        "iowait",
        "prod-eu-west-1",
        "kube-system",
        "web-7f9c8d6b5-x2x9k",
        "10.0.3.17:9100",
        "node-exporter",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(SERIES * 110);
    let mut samples = 0;
    let mut family = 0;
    while samples < SERIES {
        let name = format!("{}_{}_{}", rng.pick(&subsystems), rng.pick(&things), family);
        family += 1;
        let kind = rng.next() % 3;
        let (type_name, suffix) = match kind {
            0 => ("counter", "_total"),
            1 => ("gauge", ""),
            _ => ("histogram", "_bucket"),
        };
        out.push_str(&format!(
            "# HELP {name} Generated {type_name} family number {family}.\n"
        ));
        out.push_str(&format!("# TYPE {name} {type_name}\n"));
        let n_label = 3 + (rng.next() % 4) as usize;
        let mut names: Vec<&str> = Vec::new();
        while names.len() < n_label - usize::from(kind == 2) {
            let n = rng.pick(&label_names);
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names.sort();
        let per_family = 20 + (rng.next() % 60) as usize;
        for j in 0..per_family {
            if samples >= SERIES {
                break;
            }
            let metric = if om && kind == 0 {
                format!("{name}_total")
            } else {
                format!("{name}{suffix}")
            };
            out.push_str(&metric);
            out.push('{');
            for (k, n) in names.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&format!("{n}=\"{}\"", rng.pick(&label_values)));
            }
            if kind == 2 {
                let les = [
                    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
                    "+Inf",
                ];
                out.push_str(&format!(",le=\"{}\"", les[j % les.len()]));
            }
            out.push_str("} ");
            match rng.next() % 4 {
                0 => out.push_str(&format!("{}", rng.next() % 1_000_000)),
                1 => out.push_str(&format!(
                    "{}.{:03}",
                    rng.next() % 100_000,
                    rng.next() % 1000
                )),
                2 => out.push_str(&format!("{:e}", (rng.next() % 1_000_000) as f64 * 1.37e-9)),
                _ => out.push_str(&format!("{}", (rng.next() % 10_000_000) as f64 / 7.0)),
            }
            out.push('\n');
            samples += 1;
        }
    }
    if om {
        out.push_str("# EOF\n");
    }
    (out.into_bytes(), samples)
}
