//! node_exporter's `perf` collector: hardware, software and cache counters of `perf_event_open`
//! on each CPU, and tracepoints (see `ingot_hostfs::perf`), with Alloy's `perf` block.
//!
//! Counters are opened on the first gather (building the component opens nothing) and kept. As
//! in node_exporter, an event the kernel or the machine does not offer is left out (VMs usually
//! have no hardware PMU); unlike node_exporter, which says nothing, ingot names those events and
//! the reason in the component's health message and its log, and fails the collector when no
//! counter at all could be opened.

use ingot_hostfs::perf::{self, Counter, TracepointGroup};
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, ConfigError, IntText, UnixConfig};

macro_rules! counter {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_perf_", $name),
            $help,
            MetricType::Counter,
            &["cpu"],
        )
    };
}

/// An event node_exporter reports: its name in the `*_profilers` lists, its perf type and
/// config, and its family.
struct Event {
    name: &'static str,
    kind: u32,
    config: u64,
    desc: Desc,
}

const fn cache(id: u64, op: u64, result: u64) -> u64 {
    id | (op << 8) | (result << 16)
}

const L1D: u64 = 0;
const L1I: u64 = 1;
const LL: u64 = 2;
const DTLB: u64 = 3;
const ITLB: u64 = 4;
const BPU: u64 = 5;
const READ: u64 = 0;
const WRITE: u64 = 1;
const ACCESS: u64 = 0;
const MISS: u64 = 1;

const HARDWARE: &[Event] = &[
    Event {
        name: "CpuCycles",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 0,
        desc: counter!("cpucycles_total", "Number of CPU cycles (frequency scaled)"),
    },
    Event {
        name: "CpuInstr",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 1,
        desc: counter!("instructions_total", "Number of CPU instructions"),
    },
    Event {
        name: "CacheRef",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 2,
        desc: counter!(
            "cache_refs_total",
            "Number of cache references (non frequency scaled)"
        ),
    },
    Event {
        name: "CacheMisses",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 3,
        desc: counter!("cache_misses_total", "Number of cache misses"),
    },
    Event {
        name: "BranchInstr",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 4,
        desc: counter!(
            "branch_instructions_total",
            "Number of CPU branch instructions"
        ),
    },
    Event {
        name: "BranchMisses",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 5,
        desc: counter!("branch_misses_total", "Number of CPU branch misses"),
    },
    Event {
        name: "StalledCyclesFrontend",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 7,
        desc: counter!(
            "stalled_cycles_frontend_total",
            "Number of stalled frontend CPU cycles"
        ),
    },
    Event {
        name: "StalledCyclesBackend",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 8,
        desc: counter!(
            "stalled_cycles_backend_total",
            "Number of stalled backend CPU cycles"
        ),
    },
    Event {
        name: "RefCpuCycles",
        kind: perf::PERF_TYPE_HARDWARE,
        config: 9,
        desc: counter!("ref_cpucycles_total", "Number of CPU cycles"),
    },
];

const SOFTWARE: &[Event] = &[
    Event {
        name: "PageFault",
        kind: perf::PERF_TYPE_SOFTWARE,
        config: 2,
        desc: counter!("page_faults_total", "Number of page faults"),
    },
    Event {
        name: "ContextSwitch",
        kind: perf::PERF_TYPE_SOFTWARE,
        config: 3,
        desc: counter!("context_switches_total", "Number of context switches"),
    },
    Event {
        name: "CpuMigration",
        kind: perf::PERF_TYPE_SOFTWARE,
        config: 4,
        desc: counter!("cpu_migrations_total", "Number of CPU process migrations"),
    },
    Event {
        name: "MinorFault",
        kind: perf::PERF_TYPE_SOFTWARE,
        config: 5,
        desc: counter!("minor_faults_total", "Number of minor page faults"),
    },
    Event {
        name: "MajorFault",
        kind: perf::PERF_TYPE_SOFTWARE,
        config: 6,
        desc: counter!("major_faults_total", "Number of major page faults"),
    },
];

const CACHE: &[Event] = &[
    Event {
        name: "L1DataReadHit",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(L1D, READ, ACCESS),
        desc: counter!(
            "cache_l1d_read_hits_total",
            "Number L1 data cache read hits"
        ),
    },
    Event {
        name: "L1DataReadMiss",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(L1D, READ, MISS),
        desc: counter!(
            "cache_l1d_read_misses_total",
            "Number L1 data cache read misses"
        ),
    },
    Event {
        name: "L1DataWriteHit",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(L1D, WRITE, ACCESS),
        desc: counter!(
            "cache_l1d_write_hits_total",
            "Number L1 data cache write hits"
        ),
    },
    Event {
        name: "L1InstrReadMiss",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(L1I, READ, MISS),
        desc: counter!(
            "cache_l1_instr_read_misses_total",
            "Number instruction L1 instruction read misses"
        ),
    },
    Event {
        name: "InstrTLBReadHit",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(ITLB, READ, ACCESS),
        desc: counter!(
            "cache_tlb_instr_read_hits_total",
            "Number instruction TLB read hits"
        ),
    },
    Event {
        name: "InstrTLBReadMiss",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(ITLB, READ, MISS),
        desc: counter!(
            "cache_tlb_instr_read_misses_total",
            "Number instruction TLB read misses"
        ),
    },
    Event {
        name: "DataTLBReadHit",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(DTLB, READ, ACCESS),
        desc: counter!(
            "cache_tlb_data_read_hits_total",
            "Number of data TLB read hits"
        ),
    },
    Event {
        name: "DataTLBReadMiss",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(DTLB, READ, MISS),
        desc: counter!(
            "cache_tlb_data_read_misses_total",
            "Number of data TLB read misses"
        ),
    },
    Event {
        name: "DataTLBWriteHit",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(DTLB, WRITE, ACCESS),
        desc: counter!(
            "cache_tlb_data_write_hits_total",
            "Number of data TLB write hits"
        ),
    },
    Event {
        name: "DataTLBWriteMiss",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(DTLB, WRITE, MISS),
        desc: counter!(
            "cache_tlb_data_write_misses_total",
            "Number of data TLB write misses"
        ),
    },
    Event {
        name: "LLReadHit",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(LL, READ, ACCESS),
        desc: counter!("cache_ll_read_hits_total", "Number last level read hits"),
    },
    Event {
        name: "LLReadMiss",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(LL, READ, MISS),
        desc: counter!(
            "cache_ll_read_misses_total",
            "Number last level read misses"
        ),
    },
    Event {
        name: "LLWriteHit",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(LL, WRITE, ACCESS),
        desc: counter!("cache_ll_write_hits_total", "Number last level write hits"),
    },
    Event {
        name: "LLWriteMiss",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(LL, WRITE, MISS),
        desc: counter!(
            "cache_ll_write_misses_total",
            "Number last level write misses"
        ),
    },
    Event {
        name: "BPUReadHit",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(BPU, READ, ACCESS),
        desc: counter!("cache_bpu_read_hits_total", "Number BPU read hits"),
    },
    Event {
        name: "BPUReadMiss",
        kind: perf::PERF_TYPE_HW_CACHE,
        config: cache(BPU, READ, MISS),
        desc: counter!("cache_bpu_read_misses_total", "Number BPU read misses"),
    },
];

/// Names in a `*_profilers` list that node_exporter does not know (it logs and skips them).
pub(super) fn unknown_profilers(config: &super::PerfConfig) -> Vec<String> {
    let mut unknown = Vec::new();
    for (list, table, attr) in [
        (&config.hardware_profilers, HARDWARE, "hardware_profilers"),
        (&config.software_profilers, SOFTWARE, "software_profilers"),
        (&config.cache_profilers, CACHE, "cache_profilers"),
    ] {
        for name in list {
            if !table.iter().any(|e| e.name == name) {
                unknown.push(format!("perf.{attr}: unknown profiler {name:?} is skipped (node_exporter skips it too)"));
            }
        }
    }
    unknown
}

/// The events of `table` a list selects; an empty list, or one naming no known event, selects
/// them all (node_exporter's mask of 0 means "all").
fn selected<'a>(table: &'a [Event], list: &[String]) -> Vec<&'a Event> {
    let chosen: Vec<&Event> = table
        .iter()
        .filter(|e| list.iter().any(|n| n == e.name))
        .collect();
    if chosen.is_empty() {
        table.iter().collect()
    } else {
        chosen
    }
}

/// node_exporter's `perfCPUFlagToCPUs`: `1,3-5`, with strides as `0-8:2`.
fn parse_cpus(flag: &str) -> Result<Vec<i32>, String> {
    let int = |s: &str| {
        s.parse::<i32>()
            .map_err(|_| format!("strconv.Atoi: parsing {s:?}: invalid syntax"))
    };
    let mut cpus = Vec::new();
    for subset in flag.split(',') {
        if !subset.contains('-') {
            cpus.push(int(subset)?);
            continue;
        }
        let (range, stride) = match subset.split_once(':') {
            Some((range, stride)) if !stride.contains(':') => (range, int(stride)?),
            Some(_) => (subset, 1),
            None => (subset, 1),
        };
        let bounds: Vec<&str> = range.split('-').collect();
        let [start, end] = bounds.as_slice() else {
            return Err(format!("invalid flag value {flag:?}"));
        };
        let (start, end) = (int(start)?, int(end)?);
        if stride <= 0 {
            return Err(format!("invalid flag value {flag:?}"));
        }
        let mut cpu = start;
        while cpu <= end {
            cpus.push(cpu);
            cpu += stride;
        }
    }
    Ok(cpus)
}

/// Counters opened for one event on each CPU.
struct Opened {
    desc: &'static Desc,
    counters: Vec<(i32, Counter)>,
}

pub(super) struct PerfCollector {
    cpus: Option<Vec<i32>>,
    /// `(subsystem, event)`.
    tracepoints: Vec<(String, String)>,
    events: Vec<&'static Event>,
    opened: Option<Vec<Opened>>,
    groups: Vec<(i32, TracepointGroup)>,
    /// Events that could not be opened, and why; for the health message.
    warnings: Vec<String>,
    tracepoint_names: Vec<String>,
}

impl PerfCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<PerfCollector, ConfigError> {
        let p = &config.perf;
        let cpus = if p.cpus.is_empty() {
            None
        } else {
            Some(parse_cpus(&p.cpus).map_err(|e| ConfigError(format!("perf.cpus: {e}")))?)
        };
        let mut tracepoints = Vec::new();
        for t in &p.tracepoint {
            let parts: Vec<&str> = t.split(':').collect();
            let [subsystem, event] = parts.as_slice() else {
                return Err(ConfigError(format!(
                    "perf.tracepoint: invalid tracepoint config {t}"
                )));
            };
            tracepoints.push(((*subsystem).to_owned(), (*event).to_owned()));
        }
        let mut events = Vec::new();
        if !p.disable_hardware_profilers {
            events.extend(selected(HARDWARE, &p.hardware_profilers));
        }
        if !p.disable_software_profilers {
            events.extend(selected(SOFTWARE, &p.software_profilers));
        }
        if !p.disable_cache_profilers {
            events.extend(selected(CACHE, &p.cache_profilers));
        }
        Ok(PerfCollector {
            cpus,
            tracepoint_names: tracepoints
                .iter()
                .map(|(s, e)| format!("node_perf_{s}_{e}"))
                .collect(),
            tracepoints,
            events,
            opened: None,
            groups: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// Opens every counter; fails when none could be opened (or a tracepoint group could not).
    fn open(&mut self) -> Result<(), String> {
        let cpus: Vec<i32> = match &self.cpus {
            Some(c) => c.clone(),
            None => (0..perf::usable_cpu_count() as i32).collect(),
        };
        if !self.tracepoints.is_empty() {
            let mut ids = Vec::with_capacity(self.tracepoints.len());
            for (subsystem, event) in &self.tracepoints {
                ids.push(perf::tracepoint_id(subsystem, event)?);
            }
            let mut groups = Vec::with_capacity(cpus.len());
            for &cpu in &cpus {
                let group = TracepointGroup::open(&ids, cpu).map_err(|e| {
                    format!(
                        "perf tracepoints on CPU {cpu}: {}",
                        perf::explain_open_error(&e)
                    )
                })?;
                groups.push((cpu, group));
            }
            self.groups = groups;
        }
        let mut opened = Vec::new();
        let mut failures: Vec<(&'static str, String)> = Vec::new();
        let mut first_error = None;
        for event in &self.events {
            let mut counters = Vec::with_capacity(cpus.len());
            for &cpu in &cpus {
                match Counter::open(event.kind, event.config, cpu) {
                    Ok(c) => counters.push((cpu, c)),
                    Err(e) => {
                        let why = perf::explain_open_error(&e);
                        if !failures.iter().any(|(n, _)| *n == event.name) {
                            failures.push((event.name, why.clone()));
                        }
                        first_error.get_or_insert(format!("{} on CPU {cpu}: {why}", event.name));
                    }
                }
            }
            if !counters.is_empty() {
                opened.push(Opened {
                    desc: &event.desc,
                    counters,
                });
            }
        }
        if let (true, true, Some(first)) = (opened.is_empty(), self.groups.is_empty(), first_error)
        {
            return Err(format!("perf: no counter could be opened: {first}"));
        }
        self.warnings.clear();
        // One line per reason, naming the events it kept out.
        let mut reasons: Vec<(String, Vec<&str>)> = Vec::new();
        for (name, why) in failures {
            match reasons.iter_mut().find(|(w, _)| *w == why) {
                Some((_, names)) => names.push(name),
                None => reasons.push((why, vec![name])),
            }
        }
        for (why, names) in reasons {
            let warning = format!(
                "events {} are not collected: perf_event_open: {why}",
                names.join(", ")
            );
            tracing::warn!("{warning}");
            self.warnings.push(warning);
        }
        self.opened = Some(opened);
        Ok(())
    }
}

impl Collector for PerfCollector {
    fn name(&self) -> &'static str {
        "perf"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        if self.opened.is_none() {
            self.open()?;
        }
        for opened in self.opened.iter().flatten() {
            for (cpu, counter) in &opened.counters {
                let value = counter
                    .read()
                    .map_err(|e| ingot_hostfs::errno::go_error_text(&e))?;
                out.push(
                    opened.desc,
                    &[IntText::new(i64::from(*cpu)).as_str()],
                    value as f64,
                );
            }
        }
        for (cpu, group) in &mut self.groups {
            let values = group
                .read()
                .map_err(|e| ingot_hostfs::errno::go_error_text(&e))?;
            let cpu = IntText::new(i64::from(*cpu));
            for (name, ((subsystem, event), value)) in self
                .tracepoint_names
                .iter()
                .zip(self.tracepoints.iter().zip(values))
            {
                let help = format!("Perf tracepoint {subsystem}:{event}");
                out.family_with(name, &help, MetricType::Counter, &["cpu"])
                    .push(&[cpu.as_str()], *value as f64);
            }
        }
        Ok(())
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpus("1").unwrap(), [1]);
        assert_eq!(parse_cpus("1,3-5").unwrap(), [1, 3, 4, 5]);
        assert_eq!(parse_cpus("1-10:5").unwrap(), [1, 6]);
        assert!(parse_cpus("a").is_err());
        assert!(parse_cpus("1-2-3").is_err());
    }

    #[test]
    fn profiler_lists() {
        let none: Vec<String> = Vec::new();
        assert_eq!(selected(SOFTWARE, &none).len(), 5);
        let one = vec!["ContextSwitch".to_owned()];
        let chosen = selected(SOFTWARE, &one);
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].desc.name, "node_perf_context_switches_total");
        let bogus = vec!["Bogus".to_owned()];
        assert_eq!(selected(SOFTWARE, &bogus).len(), 5);
        let config = super::super::PerfConfig {
            software_profilers: vec!["Bogus".into(), "PageFault".into()],
            ..Default::default()
        };
        let unknown = unknown_profilers(&config);
        assert_eq!(unknown.len(), 1);
        assert!(unknown[0].contains("\"Bogus\""), "{unknown:?}");
    }

    #[test]
    fn bad_tracepoints_and_cpus_are_config_errors() {
        let mut config = UnixConfig::default();
        config.perf.tracepoint = vec!["sched_switch".into()];
        assert!(PerfCollector::new(&config).is_err());
        config.perf.tracepoint.clear();
        config.perf.cpus = "x".into();
        assert!(PerfCollector::new(&config).is_err());
    }
}
