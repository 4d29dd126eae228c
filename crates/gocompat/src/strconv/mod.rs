//! Go's `strconv`: quoting ([`quote`], [`quote_bytes`], [`quote_to_ascii`], [`quote_rune`],
//! [`quote_rune_to_ascii`], [`can_backquote`]), [`is_print`], and float formatting ([`format_float`],
//! [`append_float`], [`push_float`], and the `'g', -1` writers [`append_float_g`] and [`push_float_g`]);
//! parsing ([`parse_int`], [`atoi`], [`parse_float`]).

mod atoi;
mod ftoa;
mod is_print_table;
mod quote;

/// `strconv.Unquote` for `"..."` and `'...'` literals (UTF-8 results only).
pub use crate::template::unquote;
pub use atoi::{atoi, parse_float, parse_int};
pub use ftoa::{append_float, append_float_g, format_float, push_float, push_float_g};
pub use quote::{
    can_backquote, is_print, quote, quote_bytes, quote_rune, quote_rune_to_ascii, quote_to_ascii,
};
