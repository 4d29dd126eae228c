//! The evaluator and the stdlib's decoders (see `ingot_fuzz::eval_config`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ingot_fuzz::handle_stack_overflows();
    ingot_fuzz::eval_config(data);
});
