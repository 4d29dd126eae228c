//! Limits on what one configuration may ask of the agent. Users read about them in `docs/limits.md`.
//!
//! Every walk over a syntax tree (parsing, evaluation, formatting, finding references, comparing, dropping)
//! recurses once per level of nesting. Go grows its goroutine stacks, so Alloy's parser has no nesting limit; a
//! Rust thread has a fixed stack (2 MiB for tokio's blocking threads, which run `/-/reload` and SIGHUP reloads),
//! and overflowing it aborts the whole process. So ingot refuses nesting past [`MAX_NESTING_DEPTH`], with one
//! error at the place where the limit is passed, long before a stack could run out: in a debug build (the
//! largest frames) the deepest configuration allowed needs at most about 700 KiB of stack to parse, format and
//! evaluate (`{a = {a = ...}}`, the costliest shape), and `tests/nesting_limit.rs` runs every shape at the limit
//! on 1 MiB. A release build needs far less.

/// How deeply a configuration may nest, counted in levels of the syntax tree: each block inside a block, each
/// `(`, `[` and `{`, each unary operator, each call, and each binary operator or accessor (`.name`, `[i]`)
/// wrapping the expression before it (`a.b.c` is two levels, `1 + 2 + 3` is two, `-(-x)` is three).
///
/// Configurations nest a few levels (a block in a block, a list of objects); 200 leaves room for generated
/// ones while keeping every walk over the tree far from the end of a 2 MiB stack.
pub const MAX_NESTING_DEPTH: u32 = 200;

/// The message of the error a configuration nested past [`MAX_NESTING_DEPTH`] gets.
pub fn nesting_message() -> String {
    format!("nesting exceeds ingot's limit of {MAX_NESTING_DEPTH} levels")
}

/// How deeply a value decoded from JSON or YAML (`encoding.from_json`, `json_path`, `encoding.from_yaml`, the
/// YAML files of `discovery.file`) may nest: arrays and objects inside each other, in YAML counting what aliases
/// stand for. Go's decoders stop at 10,000; real documents nest a few levels. A value written in a
/// configuration around one decoded from JSON can nest [`MAX_NESTING_DEPTH`] more, and every walk over values
/// (comparing, printing, encoding, dropping) stays well within a 2 MiB stack at that depth (see
/// `tests/nesting_limit.rs`).
pub const MAX_DECODE_DEPTH: usize = 200;
