//! The config parser and formatter (see `ingot_fuzz::parse_config`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ingot_fuzz::handle_stack_overflows();
    ingot_fuzz::parse_config(data);
});
