//! Sample values as client_golang's text encoder prints them: Go's `strconv.FormatFloat(v, 'g', -1, 64)`
//! (implemented, and checked against Go, in `ingot_gocompat::strconv`) after client_golang's own short cuts.

/// Appends the text client_golang writes for a sample value.
///
/// client_golang short-cuts 0, 1 and -1 before calling `FormatFloat`, which is why `-0.0` prints
/// as `0` rather than Go's `-0`.
pub fn write_sample_value(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 {
        out.push(b'0');
    } else if v == 1.0 {
        out.push(b'1');
    } else if v == -1.0 {
        out.extend_from_slice(b"-1");
    } else {
        write_go_float(out, v);
    }
}

/// Appends `strconv.FormatFloat(v, 'g', -1, 64)`, without allocating.
pub use ingot_gocompat::strconv::append_float_g as write_go_float;

/// `strconv.FormatFloat(v, 'g', -1, 64)` as a new `String`; convenient for tests and for label values.
pub fn format_go_float(v: f64) -> String {
    ingot_gocompat::strconv::format_float(v, 'g', -1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(v: f64) -> String {
        let mut out = Vec::new();
        write_sample_value(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    /// Every sample value in node_exporter's golden file was printed by Go; parsing it and
    /// printing it again must give the same bytes.
    #[test]
    fn round_trips_every_value_go_printed() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/node_exporter/e2e-output.txt");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "missing {}",
                path.display()
            );
            eprintln!("note: skipped, no {}", path.display());
            return;
        };
        let mut checked = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let printed = line.rsplit(' ').next().unwrap();
            let v: f64 = match printed {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                other => other.parse().unwrap(),
            };
            assert_eq!(sample(v), printed, "line {line}");
            checked += 1;
        }
        assert!(checked > 3000, "only {checked} values");
    }

    #[test]
    fn client_golang_shortcuts() {
        assert_eq!(sample(-0.0), "0");
        assert_eq!(sample(0.0), "0");
        assert_eq!(sample(1.0), "1");
        assert_eq!(sample(-1.0), "-1");
        assert_eq!(sample(0.01), "0.01");
    }
}
