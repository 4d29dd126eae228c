//! Bytes to lines: the file's encoding (`encoding`, or a byte order mark), where lines end in that
//! encoding, decoding a line to text, and the decompressing readers of the `decompression` block.

use std::fs::File;
use std::io::{self, Read};

use super::args::Compression;

/// How a file's bytes are text. Alloy resolves `encoding` with Go's IANA index; ingot knows the Unicode
/// encodings, ISO-8859-1 and US-ASCII itself and every other name through the WHATWG encodings
/// (`windows-1252`, `ISO-8859-2`, `Shift_JIS`, `GBK`, `EUC-KR`, ...), which decode those names as Go does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Codec {
    Utf8,
    /// `UTF-16`: big-endian unless a byte order mark says otherwise.
    Utf16Be,
    Utf16Le,
    Latin1,
    Ascii,
    Other(&'static encoding_rs::Encoding),
}

impl Codec {
    /// The codec for an IANA name (`""` is UTF-8), or Go's error for an unknown name.
    pub fn for_name(name: &str) -> Result<Codec, String> {
        let lower = name.trim().to_ascii_lowercase();
        Ok(match lower.as_str() {
            "" | "utf-8" | "utf8" | "csutf8" => Codec::Utf8,
            "utf-16" | "csutf16" | "utf-16be" | "csutf16be" => Codec::Utf16Be,
            "utf-16le" | "csutf16le" => Codec::Utf16Le,
            "iso-8859-1" | "iso_8859-1" | "iso_8859-1:1987" | "iso-ir-100" | "latin1" | "l1"
            | "ibm819" | "cp819" | "csisolatin1" => Codec::Latin1,
            "us-ascii" | "ascii" | "iso646-us" | "ansi_x3.4-1968" | "ansi_x3.4-1986"
            | "iso_646.irv:1991" | "iso-ir-6" | "us" | "ibm367" | "cp367" | "csascii" => {
                Codec::Ascii
            }
            _ => match encoding_rs::Encoding::for_label(lower.as_bytes()) {
                Some(e)
                    if e != encoding_rs::REPLACEMENT
                        && e != encoding_rs::UTF_16BE
                        && e != encoding_rs::UTF_16LE
                        && e != encoding_rs::UTF_8 =>
                {
                    Codec::Other(e)
                }
                _ => {
                    return Err(format!(
                        "encoding {}: ianaindex: invalid encoding name",
                        ingot_syntax::value::go_quote(name)
                    ))
                }
            },
        })
    }

    /// Bytes per code unit: where a newline may start.
    fn unit(self) -> usize {
        match self {
            Codec::Utf16Be | Codec::Utf16Le => 2,
            _ => 1,
        }
    }

    /// The position of the first newline in `buf` (which starts at a character boundary) and its length.
    pub fn find_newline(self, buf: &[u8]) -> Option<usize> {
        match self {
            Codec::Utf16Le => {
                memchr::memchr_iter(b'\n', buf).find(|&i| i % 2 == 0 && buf.get(i + 1) == Some(&0))
            }
            Codec::Utf16Be => {
                memchr::memchr_iter(b'\n', buf).find(|&i| i % 2 == 1 && buf[i - 1] == 0)
            }
            _ => memchr::memchr(b'\n', buf),
        }
        .map(|i| if self.unit() == 2 { i - (i % 2) } else { i })
    }

    /// Newline length in bytes.
    pub fn newline_len(self) -> usize {
        self.unit()
    }

    /// `line` (without its newline, a trailing carriage return removed here) as text. Bytes that are not
    /// valid in the encoding become U+FFFD.
    pub fn decode(self, line: &[u8]) -> String {
        let line = self.strip_cr(line);
        match self {
            Codec::Utf8 => match std::str::from_utf8(line) {
                Ok(s) => s.to_owned(),
                Err(_) => String::from_utf8_lossy(line).into_owned(),
            },
            Codec::Utf16Le | Codec::Utf16Be => {
                let units = line.chunks(2).map(|c| {
                    let (a, b) = (c[0], *c.get(1).unwrap_or(&0));
                    if self == Codec::Utf16Le {
                        u16::from_le_bytes([a, b])
                    } else {
                        u16::from_be_bytes([a, b])
                    }
                });
                char::decode_utf16(units)
                    .map(|r| r.unwrap_or('\u{FFFD}'))
                    .collect()
            }
            Codec::Latin1 => line.iter().map(|&b| b as char).collect(),
            Codec::Ascii => line
                .iter()
                .map(|&b| if b < 0x80 { b as char } else { '\u{FFFD}' })
                .collect(),
            Codec::Other(e) => e.decode_without_bom_handling(line).0.into_owned(),
        }
    }

    fn strip_cr(self, line: &[u8]) -> &[u8] {
        let cr: &[u8] = match self {
            Codec::Utf16Le => b"\r\0",
            Codec::Utf16Be => b"\0\r",
            _ => b"\r",
        };
        line.strip_suffix(cr).unwrap_or(line)
    }
}

/// Alloy's byte order mark handling: a UTF-8 mark is skipped, a UTF-16 mark is skipped and sets the
/// encoding, a UTF-32 mark is skipped. Returns the codec and the first offset past the mark.
pub fn detect_bom(first: &[u8], codec: Codec) -> (Codec, u64) {
    if first.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (Codec::Utf8, 3)
    } else if first.starts_with(&[0xFE, 0xFF]) {
        (Codec::Utf16Be, 2)
    } else if first.starts_with(&[0xFF, 0xFE]) {
        // Alloy tests UTF-16LE before UTF-32LE, whose mark starts the same way.
        (Codec::Utf16Le, 2)
    } else if first.starts_with(&[0x00, 0x00, 0xFE, 0xFF]) {
        (codec, 4)
    } else {
        (codec, 0)
    }
}

/// Whether a file starts like a compressed stream (gzip, bzip2): what a reader of text files must not
/// ship as lines.
pub fn looks_compressed(first: &[u8]) -> Option<&'static str> {
    if first.starts_with(&[0x1F, 0x8B]) {
        Some("gzip")
    } else if first.len() >= 10
        && first.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&first[3])
        && first[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
    {
        Some("bzip2")
    } else {
        None
    }
}

/// A decompressing reader over the whole of `file` from its start (gzip and bzip2 with concatenated
/// members, as Go's readers read them).
pub fn decompressor(file: File, format: Compression) -> Box<dyn Read + Send> {
    let file = io::BufReader::with_capacity(64 * 1024, file);
    match format {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(file)),
        Compression::Zlib => Box::new(flate2::bufread::ZlibDecoder::new(file)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(file)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_as_ianaindex() {
        assert_eq!(Codec::for_name("").unwrap(), Codec::Utf8);
        assert_eq!(Codec::for_name("UTF-16").unwrap(), Codec::Utf16Be);
        assert_eq!(Codec::for_name("utf-16le").unwrap(), Codec::Utf16Le);
        assert_eq!(Codec::for_name("ISO-8859-1").unwrap(), Codec::Latin1);
        assert_eq!(
            Codec::for_name("windows-1252").unwrap(),
            Codec::Other(encoding_rs::WINDOWS_1252)
        );
        assert_eq!(
            Codec::for_name("Shift_JIS").unwrap(),
            Codec::Other(encoding_rs::SHIFT_JIS)
        );
        assert_eq!(
            Codec::for_name("nope").unwrap_err(),
            "encoding \"nope\": ianaindex: invalid encoding name"
        );
    }

    #[test]
    fn lines_split_and_decode_in_their_encoding() {
        let le: Vec<u8> = "a\u{e9}\r\nb\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let c = Codec::Utf16Le;
        let i = c.find_newline(&le).unwrap();
        assert_eq!(c.decode(&le[..i]), "a\u{e9}");
        let rest = &le[i + 2..];
        assert_eq!(c.decode(&rest[..c.find_newline(rest).unwrap()]), "b");
        // U+0A00 in UTF-16LE is [00 0A]: not a newline.
        let tricky: Vec<u8> = "\u{0a00}x\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(Codec::Utf16Le.find_newline(&tricky), Some(4));
        let be: Vec<u8> = "\u{0a0a}\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(Codec::Utf16Be.find_newline(&be), Some(2));
        assert_eq!(Codec::Latin1.decode(b"caf\xe9\r"), "caf\u{e9}");
        assert_eq!(Codec::Utf8.decode(b"ok\xff"), "ok\u{FFFD}");
        assert_eq!(
            detect_bom(&[0xFF, 0xFE, 0x61, 0x00], Codec::Utf8),
            (Codec::Utf16Le, 2)
        );
        assert_eq!(
            detect_bom(b"\xEF\xBB\xBFx", Codec::Latin1),
            (Codec::Utf8, 3)
        );
        assert_eq!(looks_compressed(&[0x1f, 0x8b, 8, 0]), Some("gzip"));
        assert_eq!(looks_compressed(b"plain text\n"), None);
    }
}
