//! Properties that hold for every input, beside the fixed cases of `oracle.rs`.

use ingot_gocompat::base64::Encoding;
use ingot_gocompat::{strconv, time};
use proptest::prelude::*;

proptest! {
    #[test]
    fn durations_round_trip(nanos in any::<i64>()) {
        let text = time::format_duration(nanos);
        prop_assert_eq!(time::parse_duration(&text), Ok(nanos), "{}", text);
    }

    #[test]
    fn shortest_floats_parse_back(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        for fmt in ['e', 'f', 'g', 'E', 'G'] {
            let text = strconv::format_float(f, fmt, -1);
            let back: f64 = text.parse().unwrap();
            prop_assert_eq!(back.to_bits(), bits, "{} '{}'", text, fmt);
        }
    }

    #[test]
    fn base64_round_trips(data in proptest::collection::vec(any::<u8>(), 0..64), cut in any::<prop::sample::Index>()) {
        for enc in [Encoding::Std, Encoding::Url] {
            let text = enc.encode_to_string(&data);
            prop_assert_eq!(enc.decode_string(&text), Ok(data.clone()));
            // Go skips newlines anywhere.
            let mut wrapped = text.clone();
            wrapped.insert_str(cut.index(text.len() + 1), "\r\n");
            prop_assert_eq!(enc.decode_string(&wrapped), Ok(data.clone()));
        }
    }

    #[test]
    fn quoting_any_bytes_gives_printable_text(data in proptest::collection::vec(any::<u8>(), 0..32)) {
        let q = strconv::quote_bytes(&data);
        prop_assert!(q.starts_with('"') && q.ends_with('"') && q.len() >= 2);
        prop_assert!(q.chars().all(strconv::is_print), "{}", q);
        if let Ok(s) = std::str::from_utf8(&data) {
            prop_assert!(strconv::quote_to_ascii(s).bytes().all(|b| (0x20..0x7f).contains(&b)));
        }
    }
}

/// Go formats any precision (Alloy's `string.format` allows up to a million); past an f64's exact digits
/// the rest are zeros. Rust's own formatter stops at 65535: this must not panic, and must pad as Go does.
#[test]
fn huge_precisions_are_padded_with_zeros() {
    use ingot_gocompat::strconv::format_float;
    let f = format_float(1.5, 'f', 70_000);
    assert_eq!(f.len(), 2 + 70_000);
    assert!(f.starts_with("1.5000") && f.ends_with('0'));
    let e = format_float(1.5, 'e', 65_536);
    assert!(
        e.starts_with("1.5000") && e.ends_with("e+00"),
        "{}",
        &e[e.len() - 8..]
    );
    assert_eq!(e.len(), "1.".len() + 65_536 + "e+00".len());
    let g = format_float(0.1, 'g', 70_000);
    // Go: %g keeps the significant digits and drops trailing zeros (checked with go1.26.5).
    assert_eq!(
        g,
        "0.1000000000000000055511151231257827021181583404541015625"
    );
    let x = format_float(f64::MIN_POSITIVE / 4.0, 'f', 2000);
    assert!(x.starts_with("0.000"));
    assert_eq!(x.len(), 2002);
}
