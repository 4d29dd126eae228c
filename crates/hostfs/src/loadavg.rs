//! `/proc/loadavg`.

use crate::num::parse_f64;
use crate::ParseError;

/// The 1, 5 and 15 minute load averages.
pub fn parse(text: &str) -> Result<[f64; 3], ParseError> {
    let mut fields = text.split_ascii_whitespace();
    let mut loads = [0f64; 3];
    let parts: [Option<&str>; 3] = [fields.next(), fields.next(), fields.next()];
    if parts.iter().any(Option::is_none) {
        return Err(ParseError::new("unexpected content"));
    }
    for (slot, part) in loads.iter_mut().zip(parts.into_iter().flatten()) {
        *slot = parse_f64(part).ok_or_else(|| {
            ParseError::new(format!(
                "could not parse load '{part}': strconv.ParseFloat: parsing {part:?}: invalid syntax"
            ))
        })?;
    }
    Ok(loads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_three_loads() {
        assert_eq!(
            parse("0.21 0.37 0.39 1/719 19737\n").unwrap(),
            [0.21, 0.37, 0.39]
        );
        assert!(parse("0.21 0.37\n").is_err());
        assert!(parse("0.21 x 0.39\n").is_err());
    }
}
