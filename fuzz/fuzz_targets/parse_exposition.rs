//! The scrape parsers must never panic, whatever a target sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ingot_prom::text_parse::{OpenMetricsParser, PromParser};

fuzz_target!(|data: &[u8]| {
    let mut p = PromParser::new(data);
    while let Ok(Some(_)) = p.next_entry() {}
    let mut p = OpenMetricsParser::new(data);
    while let Ok(Some(_)) = p.next_entry() {}
});
