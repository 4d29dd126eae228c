//! `stage.decolorize`: removes ANSI escape sequences (colours, cursor moves) from the line, with the
//! pattern Alloy takes from `acarl005/stripansi`.

use std::sync::OnceLock;

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::pipeline::{PEntry, Stage};

#[derive(Clone, Debug, PartialEq)]
pub struct Config;

impl Decode for Config {
    fn decode(_d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Config)
    }
}

impl Config {
    pub fn build(&self) -> Decolorize {
        Decolorize
    }
}

pub struct Decolorize;

fn ansi() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        ingot_gocompat::regexp::compile(
            "[\u{1b}\u{9b}][[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\u{7})|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))",
        )
        .expect("the ANSI pattern compiles")
    })
}

impl Stage for Decolorize {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        if let std::borrow::Cow::Owned(s) = ansi().replace_all(&e.line, "") {
            e.line = s;
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    // Alloy's decolorize_test.go.
    #[test]
    fn strips_ansi() {
        let out = run_line(
            "stage.decolorize {}",
            "\u{1b}[0;32mgreen\u{1b}[0m and \u{1b}[1;31mred\u{1b}[0m \u{1b}]0;title\u{7}done",
        );
        assert_eq!(out[0].line, "green and red done");
        assert_eq!(run_line("stage.decolorize {}", "plain")[0].line, "plain");
    }
}
