//! node_exporter's `timex` collector: the kernel's clock discipline (`adjtimex(2)`).

use ingot_hostfs::timex::{STA_NANO, TIME_ERROR};
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, NO_DATA};

macro_rules! gauge {
    ($name:literal, $help:literal) => {
        Desc::new(concat!("node_timex_", $name), $help, MetricType::Gauge, &[])
    };
}
macro_rules! counter {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_timex_", $name),
            $help,
            MetricType::Counter,
            &[],
        )
    };
}

const OFFSET: Desc = gauge!(
    "offset_seconds",
    "Time offset in between local system and reference clock."
);
const FREQ: Desc = gauge!(
    "frequency_adjustment_ratio",
    "Local clock frequency adjustment."
);
const MAXERROR: Desc = gauge!("maxerror_seconds", "Maximum error in seconds.");
const ESTERROR: Desc = gauge!("estimated_error_seconds", "Estimated error in seconds.");
const STATUS: Desc = gauge!("status", "Value of the status array bits.");
const CONSTANT: Desc = gauge!("loop_time_constant", "Phase-locked loop time constant.");
const TICK: Desc = gauge!("tick_seconds", "Seconds between clock ticks.");
const PPSFREQ: Desc = gauge!("pps_frequency_hertz", "Pulse per second frequency.");
const JITTER: Desc = gauge!("pps_jitter_seconds", "Pulse per second jitter.");
const SHIFT: Desc = gauge!("pps_shift_seconds", "Pulse per second interval duration.");
const STABIL: Desc = gauge!(
    "pps_stability_hertz",
    "Pulse per second stability, average of recent frequency changes."
);
const JITCNT: Desc = counter!(
    "pps_jitter_total",
    "Pulse per second count of jitter limit exceeded events."
);
const CALCNT: Desc = counter!(
    "pps_calibration_total",
    "Pulse per second count of calibration intervals."
);
const ERRCNT: Desc = counter!(
    "pps_error_total",
    "Pulse per second count of calibration errors."
);
const STBCNT: Desc = counter!(
    "pps_stability_exceeded_total",
    "Pulse per second count of stability limit exceeded events."
);
const TAI: Desc = gauge!(
    "tai_offset_seconds",
    "International Atomic Time (TAI) offset."
);
const SYNC: Desc = gauge!(
    "sync_status",
    "Is clock synchronized to a reliable server (1 = yes, 0 = no)."
);

/// Parts per million with a 16-bit fraction.
const PPM16: f64 = 1_000_000.0 * 65536.0;
const MICRO: f64 = 1_000_000.0;

pub(super) struct TimexCollector;

impl Collector for TimexCollector {
    fn name(&self) -> &'static str {
        "timex"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let t = match ingot_hostfs::timex::adjtimex() {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(NO_DATA.into())
            }
            Err(e) => {
                return Err(format!(
                    "failed to retrieve adjtimex stats: {}",
                    ingot_hostfs::errno::go_error_text(&e)
                ))
            }
        };
        let divisor = if t.status & STA_NANO != 0 {
            1_000_000_000.0
        } else {
            MICRO
        };
        let sync = if t.state == TIME_ERROR { 0.0 } else { 1.0 };
        out.push(&SYNC, &[], sync);
        out.push(&OFFSET, &[], t.offset as f64 / divisor);
        out.push(&FREQ, &[], 1.0 + t.freq as f64 / PPM16);
        out.push(&MAXERROR, &[], t.maxerror as f64 / MICRO);
        out.push(&ESTERROR, &[], t.esterror as f64 / MICRO);
        out.push(&STATUS, &[], f64::from(t.status));
        out.push(&CONSTANT, &[], t.constant as f64);
        out.push(&TICK, &[], t.tick as f64 / MICRO);
        out.push(&PPSFREQ, &[], t.ppsfreq as f64 / PPM16);
        out.push(&JITTER, &[], t.jitter as f64 / divisor);
        out.push(&SHIFT, &[], f64::from(t.shift));
        out.push(&STABIL, &[], t.stabil as f64 / PPM16);
        out.push(&JITCNT, &[], t.jitcnt as f64);
        out.push(&CALCNT, &[], t.calcnt as f64);
        out.push(&ERRCNT, &[], t.errcnt as f64);
        out.push(&STBCNT, &[], t.stbcnt as f64);
        out.push(&TAI, &[], f64::from(t.tai));
        Ok(())
    }
}
