//! The scrape parsers and scrape cache (see `ingot_fuzz::parse_exposition`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ingot_fuzz::handle_stack_overflows();
    ingot_fuzz::parse_exposition(data);
});
