//! Alloy's byte-size values (`units.Base2Bytes`), written as strings in configs: `"1MiB"`, `"512KB"`.

/// `units.Base2Bytes`: `"10MiB"`, `"1MB"` (also 2^20), `"512KB"`, `"100B"`, or a plain number.
pub fn parse_base2_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!(
            "units: invalid Base2Bytes {}",
            ingot_syntax::value::go_quote(s)
        ));
    }
    let n: u64 = s[..digits].parse().map_err(|_| {
        format!(
            "units: invalid Base2Bytes {}",
            ingot_syntax::value::go_quote(s)
        )
    })?;
    let mult: u64 = match &s[digits..] {
        "" | "B" => 1,
        "KB" | "KiB" => 1 << 10,
        "MB" | "MiB" => 1 << 20,
        "GB" | "GiB" => 1 << 30,
        "TB" | "TiB" => 1 << 40,
        "PB" | "PiB" => 1 << 50,
        "EB" | "EiB" => 1 << 60,
        _ => {
            return Err(format!(
                "units: unknown unit {} in {}",
                ingot_syntax::value::go_quote(&s[digits..]),
                ingot_syntax::value::go_quote(s)
            ))
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| "units: overflow".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_powers_of_two() {
        assert_eq!(parse_base2_bytes("1MiB"), Ok(1 << 20));
        assert_eq!(parse_base2_bytes("10MB"), Ok(10 << 20));
        assert_eq!(parse_base2_bytes("100"), Ok(100));
        assert!(parse_base2_bytes("ten").is_err());
        assert!(parse_base2_bytes("1XB").is_err());
    }
}
