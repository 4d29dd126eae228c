//! The config parser and formatter must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let (file, diags) = ingot_syntax::parser::parse_file(ingot_syntax::SourceFile::new("fuzz.alloy", text));
    if !diags.has_errors() {
        let _ = ingot_syntax::printer::format_file(&file);
    }
});
