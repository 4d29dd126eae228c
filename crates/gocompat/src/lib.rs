//! Go compatibility: the few things Go's standard library does that ingot must reproduce exactly, because Alloy
//! and Prometheus show their results to users (error messages, exposition text, values printed in the UI).
//!
//! - [`strconv`]: `Quote`, `QuoteToASCII`, `QuoteRune`, `QuoteRuneToASCII`, `CanBackquote`, `IsPrint` and
//!   `FormatFloat` (formats `e`, `E`, `f`, `g`, `G`, any precision, bitSize 64), with allocation-free writers
//!   for the `'g', -1` form Prometheus' exposition uses.
//! - [`time`]: `Duration.String` and `ParseDuration`, with Go's error texts.
//! - [`regexp`]: `regexp.Compile`'s RE2 syntax read as Go reads it and run on the `regex` crate (what differs
//!   is translated; what cannot match exactly is refused), and `QuoteMeta`.
//! - [`template`]: `text/template` (parsing, execution, Go's predefined functions and `fmt`'s printing) on
//!   dynamic values, with the functions a caller adds.
//! - [`math`]: `math.Pow` with a whole exponent (rounded as Go rounds it).
//! - [`unicode`]: `unicode.IsDigit` (the decimal digits of Unicode 15.0.0) and `unicode.IsSpace`.
//! - [`url`]: `URL.Redacted`, a URL with its password shown as `xxxxx`.
//! - [`jsoniter`]: strings and `map[string]string` as `json-iterator/go`'s standard-library-compatible
//!   configuration writes them (what Alloy marshals journal entries with).
//! - [`base64`]: `base64.StdEncoding`/`URLEncoding`'s `EncodeToString` and `DecodeString`, with Go's error texts.
//!
//! Invariant: every function here returns byte for byte what its Go counterpart returns. This is checked against
//! tables printed by Go 1.26.5 itself (the Go Alloy 1.18 builds with; Unicode 15.0.0): `oracle/main.go` prints them
//! into `tests/data/`, `tests/oracle.rs` compares every line with this crate, and re-runs the program when that Go
//! is installed so the tables cannot go stale. A fix here starts with a line in those tables.
//!
//! This crate depends on no other ingot crate; code that needs one of these behaviours calls it from here rather
//! than keeping a copy.

pub mod base64;
pub mod jsoniter;
pub mod math;
pub mod regexp;
pub mod strconv;
pub mod template;
pub mod time;
pub mod unicode;
pub mod url;
