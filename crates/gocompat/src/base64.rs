//! Go's `encoding/base64` with padding: `StdEncoding` and `URLEncoding`, their `EncodeToString` and
//! `DecodeString`. The work is the `base64` crate's; this module adds Go's rules where they differ from its
//! defaults (carriage returns and newlines are skipped anywhere, unused low bits of the last character are
//! ignored) and Go's error text, `illegal base64 data at input byte N`, with Go's `N`.

use ::base64::alphabet::{self, Alphabet};
use ::base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use ::base64::engine::DecodePaddingMode;
use ::base64::Engine as _;

/// Go's padded encodings, `base64.StdEncoding` and `base64.URLEncoding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// `A–Z a–z 0–9 + /`, padded with `=`.
    Std,
    /// `A–Z a–z 0–9 - _`, padded with `=`.
    Url,
}

/// What Go's non-strict padded decoders accept: exactly the canonical padding, any trailing bits.
const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(true)
    .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
    .with_decode_allow_trailing_bits(true);
const STD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
const URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

impl Encoding {
    fn engine(self) -> &'static GeneralPurpose {
        match self {
            Encoding::Std => &STD,
            Encoding::Url => &URL,
        }
    }

    fn alphabet(self) -> &'static Alphabet {
        match self {
            Encoding::Std => &alphabet::STANDARD,
            Encoding::Url => &alphabet::URL_SAFE,
        }
    }

    /// Go's `EncodeToString`.
    pub fn encode_to_string(self, src: &[u8]) -> String {
        self.engine().encode(src)
    }

    /// Go's `DecodeString`.
    pub fn decode_string(self, s: &str) -> Result<Vec<u8>, String> {
        self.decode(s.as_bytes())
    }

    /// Go's `DecodeString` of a Go string holding any bytes. Go also returns the bytes decoded before an
    /// error; here an error is only the error.
    pub fn decode(self, src: &[u8]) -> Result<Vec<u8>, String> {
        let decoded = if src.iter().any(|&b| b == b'\n' || b == b'\r') {
            let kept: Vec<u8> = src
                .iter()
                .copied()
                .filter(|&b| b != b'\n' && b != b'\r')
                .collect();
            self.engine().decode(kept)
        } else {
            self.engine().decode(src)
        };
        decoded.map_err(|_| {
            let at = self.error_offset(src);
            debug_assert!(at.is_some(), "the base64 crate refused what Go accepts");
            format!("illegal base64 data at input byte {}", at.unwrap_or(0))
        })
    }

    /// Where Go's decoder reports the first error in `src`, or `None` if it accepts `src`. Go reads groups of
    /// four characters, skipping `\r` and `\n`; `=` may end the input after two or three of them.
    fn error_offset(self, src: &[u8]) -> Option<usize> {
        let symbols = self.alphabet().as_str().as_bytes();
        let newline = |b: u8| b == b'\n' || b == b'\r';
        let mut si = 0;
        loop {
            let mut j = 0;
            while j < 4 {
                let Some(&c) = src.get(si) else {
                    // The input ends inside a group: Go points back at the group's start, newlines counted.
                    return (j > 0).then(|| si - j);
                };
                si += 1;
                if symbols.contains(&c) {
                    j += 1;
                    continue;
                }
                if newline(c) {
                    continue;
                }
                if c != b'=' || j < 2 {
                    return Some(si - 1);
                }
                if j == 2 {
                    // A second `=` must follow, newlines allowed between.
                    while src.get(si).is_some_and(|&b| newline(b)) {
                        si += 1;
                    }
                    match src.get(si) {
                        None => return Some(src.len()),
                        Some(b'=') => si += 1,
                        Some(_) => return Some(si - 1),
                    }
                }
                // After the padding only newlines may follow.
                while src.get(si).is_some_and(|&b| newline(b)) {
                    si += 1;
                }
                return (si < src.len()).then_some(si);
            }
        }
    }
}
