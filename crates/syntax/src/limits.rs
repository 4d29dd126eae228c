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

/// How many characters of an expression an error message names: past that, it is cut with `…` (a string keeps
/// its closing quote: `"xxxx…" should be number, got string`). Alloy names the whole expression, however long.
pub const MAX_QUOTED_CHARS: usize = 100;

/// How many characters of a source line an error shows (in its context lines, above the `^`): a longer line is
/// cut to a window that starts 40 characters before the place the error points at, marked with `…`.
pub const MAX_SNIPPET_CHARS: usize = 160;

/// How many characters of a message an error prints, past which it is cut with `…`: a last guard for messages
/// that quote what the configuration holds (a value, a file's content).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// `text` cut after `max` characters, with `…`; a text in quotes (or backquotes) keeps its closing quote.
pub fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let Some((end, _)) = text.char_indices().nth(max) else {
        return text.into();
    };
    let mut out = String::with_capacity(end + 4);
    out.push_str(&text[..end]);
    out.push('…');
    match text.chars().next() {
        Some(q @ ('"' | '`')) if text.len() > 1 && text.ends_with(q) => out.push(q),
        _ => {}
    }
    out.into()
}
