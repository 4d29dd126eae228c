//! nginx's `stub_status` page:
//!
//! ```text
//! Active connections: 1
//! server accepts handled requests
//!  6 6 7
//! Reading: 0 Writing: 1 Waiting: 0
//! ```
//!
//! Read as the standalone exporter's `fmt.Fscanf` template reads it: blanks are flexible, but the four lines
//! and their words must be there.

/// The numbers of one stub_status page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StubStatus {
    pub active: u64,
    pub accepts: u64,
    pub handled: u64,
    pub requests: u64,
    pub reading: u64,
    pub writing: u64,
    pub waiting: u64,
}

/// Parses the page; the error says which part did not match, in words.
pub fn parse_stub_status(text: &str) -> Result<StubStatus, String> {
    let mut lines = text.lines();
    let mut next = |what: &str| {
        lines
            .next()
            .map(str::split_whitespace)
            .ok_or_else(|| format!("the page ends before the {what} line"))
    };
    let number = |word: Option<&str>, what: &str| -> Result<u64, String> {
        let word = word.ok_or_else(|| format!("{what} is missing"))?;
        word.parse()
            .map_err(|_| format!("{what} is {word:?}, not a number"))
    };
    let expect =
        |words: &mut std::str::SplitWhitespace<'_>, want: &str, line: &str| match words.next() {
            Some(w) if w == want => Ok(()),
            Some(w) => Err(format!("the {line} line has {w:?} where {want:?} belongs")),
            None => Err(format!("the {line} line lacks {want:?}")),
        };

    let mut l1 = next("\"Active connections\"")?;
    expect(&mut l1, "Active", "first")?;
    expect(&mut l1, "connections:", "first")?;
    let active = number(l1.next(), "the active connection count")?;

    let mut l2 = next("\"server accepts handled requests\"")?;
    for w in ["server", "accepts", "handled", "requests"] {
        expect(&mut l2, w, "second")?;
    }

    let mut l3 = next("counters")?;
    let accepts = number(l3.next(), "the accepts counter")?;
    let handled = number(l3.next(), "the handled counter")?;
    let requests = number(l3.next(), "the requests counter")?;

    let mut l4 = next("\"Reading: Writing: Waiting:\"")?;
    expect(&mut l4, "Reading:", "fourth")?;
    let reading = number(l4.next(), "Reading")?;
    expect(&mut l4, "Writing:", "fourth")?;
    let writing = number(l4.next(), "Writing")?;
    expect(&mut l4, "Waiting:", "fourth")?;
    let waiting = number(l4.next(), "Waiting")?;

    Ok(StubStatus {
        active,
        accepts,
        handled,
        requests,
        reading,
        writing,
        waiting,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nginx_output_with_its_trailing_blanks() {
        let page = "Active connections: 1 \nserver accepts handled requests\n 6 6 7 \nReading: 0 Writing: 1 Waiting: 0 \n";
        assert_eq!(
            parse_stub_status(page).unwrap(),
            StubStatus {
                active: 1,
                accepts: 6,
                handled: 6,
                requests: 7,
                reading: 0,
                writing: 1,
                waiting: 0
            }
        );
    }

    #[test]
    fn says_what_does_not_match() {
        let html = "<html><head><title>Welcome to nginx!</title></head></html>\n";
        let err = parse_stub_status(html).unwrap_err();
        assert!(err.contains("\"Active\""), "{err}");
        let truncated = "Active connections: 1\nserver accepts handled requests\n";
        assert!(parse_stub_status(truncated)
            .unwrap_err()
            .contains("ends before the counters line"));
        let bad = "Active connections: x\n";
        assert!(parse_stub_status(bad).unwrap_err().contains("not a number"));
    }
}
