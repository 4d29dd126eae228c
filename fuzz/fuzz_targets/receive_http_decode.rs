//! prometheus.receive_http's request decoder (see `ingot_fuzz::receive_http_decode`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ingot_fuzz::handle_stack_overflows();
    ingot_fuzz::receive_http_decode(data);
});
