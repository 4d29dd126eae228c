//! Go's `math.Pow` for a finite, non-zero base and a whole exponent, computed as Go computes it (repeated
//! squaring of the mantissa, exponents kept apart, one final `Ldexp`), so that results off by an ulp from the
//! exact power are off in the same way. Alloy's timestamp stage scales the fraction of a `Unix` time with it.

/// `math.Pow(x, float64(y))` for finite `x != 0`.
pub fn pow_int(x: f64, y: i64) -> f64 {
    if y == 0 || x == 1.0 {
        return 1.0;
    }
    if y == 1 {
        return x;
    }
    if x.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 || x.is_infinite() {
        // Not needed by ingot; Rust's powi gives the same special values.
        return x.powi(y.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
    }
    let mut a1 = 1.0f64;
    let mut ae: i64 = 0;
    let (mut x1, mut xe) = frexp(x);
    let mut i = y.unsigned_abs();
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            // Catastrophic overflow: Ldexp below turns it into 0 or Inf.
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

/// `math.Frexp`: `f = frac × 2^exp` with `|frac|` in [½, 1).
fn frexp(f: f64) -> (f64, i64) {
    if f == 0.0 || f.is_infinite() || f.is_nan() {
        return (f, 0);
    }
    let (f, mut exp) = normalize(f);
    let mut bits = f.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i64 - 1022;
    bits &= !(0x7ff << 52);
    bits |= 1022 << 52;
    (f64::from_bits(bits), exp)
}

/// A subnormal scaled into the normal range, with the power of two it was scaled by.
fn normalize(f: f64) -> (f64, i64) {
    if f.abs() < f64::MIN_POSITIVE {
        (f * (1u64 << 52) as f64, -52)
    } else {
        (f, 0)
    }
}

/// `math.Ldexp`: `frac × 2^exp`, rounding once into the subnormal range as Go does.
fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || frac.is_infinite() || frac.is_nan() {
        return frac;
    }
    let (frac, e) = normalize(frac);
    let mut exp = exp + e;
    let mut bits = frac.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i64 - 1023;
    if exp < -1075 {
        return 0.0f64.copysign(frac);
    }
    if exp > 1023 {
        return if frac < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let mut m = 1.0;
    if exp < -1022 {
        exp += 53;
        m = 1.0 / (1u64 << 53) as f64;
    }
    bits &= !(0x7ff << 52);
    bits |= ((exp + 1023) as u64) << 52;
    m * f64::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten() {
        for k in 0..=22 {
            assert_eq!(pow_int(10.0, k), format!("1e{k}").parse::<f64>().unwrap());
        }
        assert_eq!(pow_int(10.0, -1), 0.1);
        assert_eq!(pow_int(10.0, -3), 1.0 / 1000.0);
        assert_eq!(pow_int(10.0, -400), 0.0);
        assert_eq!(pow_int(10.0, 400), f64::INFINITY);
        assert_eq!(pow_int(2.0, -1074), f64::from_bits(1));
    }
}
