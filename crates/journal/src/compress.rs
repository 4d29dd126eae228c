//! DATA payloads compressed by journald: XZ (systemd before 246's default), LZ4 (a `le64` of the
//! decompressed size, then one LZ4 block, as systemd's `compress_blob_lz4` writes it) and ZSTD (one
//! frame). Every decoder stops at `limit` bytes of output, so a hostile object cannot make the reader
//! allocate more than that.

use std::io::{self, Read, Write};

use crate::format::{OBJECT_COMPRESSED_LZ4, OBJECT_COMPRESSED_XZ, OBJECT_COMPRESSED_ZSTD};

/// Which compression an object's flags name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    None,
    Xz,
    Lz4,
    Zstd,
}

impl Method {
    /// `Err` with the flags when they name no known method or more than one.
    pub fn from_flags(flags: u8) -> Result<Method, u8> {
        match flags & (OBJECT_COMPRESSED_XZ | OBJECT_COMPRESSED_LZ4 | OBJECT_COMPRESSED_ZSTD) {
            0 if flags == 0 => Ok(Method::None),
            OBJECT_COMPRESSED_XZ if flags == OBJECT_COMPRESSED_XZ => Ok(Method::Xz),
            OBJECT_COMPRESSED_LZ4 if flags == OBJECT_COMPRESSED_LZ4 => Ok(Method::Lz4),
            OBJECT_COMPRESSED_ZSTD if flags == OBJECT_COMPRESSED_ZSTD => Ok(Method::Zstd),
            _ => Err(flags),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::None => "none",
            Method::Xz => "XZ",
            Method::Lz4 => "LZ4",
            Method::Zstd => "ZSTD",
        }
    }
}

/// Decompresses `src` (a DATA payload) with `method`, into at most `limit` bytes.
pub fn decompress(method: Method, src: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    match method {
        Method::None => Ok(src.to_vec()),
        Method::Lz4 => {
            if src.len() < 8 {
                return Err("LZ4 payload shorter than its size prefix".into());
            }
            let mut size = [0u8; 8];
            size.copy_from_slice(&src[..8]);
            let size = u64::from_le_bytes(size);
            if size > limit as u64 {
                return Err(format!(
                    "LZ4 payload of {size} bytes, more than the {limit} bytes a field may have"
                ));
            }
            let out = lz4_flex::block::decompress(&src[8..], size as usize)
                .map_err(|e| format!("LZ4: {e}"))?;
            if out.len() as u64 != size {
                return Err(format!(
                    "LZ4: {} bytes decompressed, {size} announced",
                    out.len()
                ));
            }
            Ok(out)
        }
        Method::Zstd => {
            let mut dec = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
                src,
                (limit as u64).max(1 << 20),
            )
            .map_err(|e| format!("ZSTD: {e}"))?;
            let mut out = Vec::new();
            let n = (&mut dec)
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("ZSTD: {e}"))?;
            if n > limit {
                return Err(format!(
                    "ZSTD payload of more than the {limit} bytes a field may have"
                ));
            }
            Ok(out)
        }
        Method::Xz => {
            let mut out = Limited {
                buf: Vec::new(),
                limit,
            };
            let mut input = io::BufReader::new(src);
            lzma_rs::xz_decompress(&mut input, &mut out).map_err(|e| match e {
                lzma_rs::error::Error::IoError(io) if io.kind() == io::ErrorKind::OutOfMemory => {
                    format!("XZ payload of more than the {limit} bytes a field may have")
                }
                e => format!("XZ: {e}"),
            })?;
            Ok(out.buf)
        }
    }
}

/// A writer that refuses to grow past its limit.
struct Limited {
    buf: Vec<u8>,
    limit: usize,
}

impl Write for Limited {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.buf.len() + b.len() > self.limit {
            return Err(io::Error::new(io::ErrorKind::OutOfMemory, "over the limit"));
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lz4_as_systemd_frames_it() {
        let text = b"MESSAGE="
            .iter()
            .chain([b'x'; 3000].iter())
            .copied()
            .collect::<Vec<u8>>();
        let mut src = (text.len() as u64).to_le_bytes().to_vec();
        src.extend(lz4_flex::block::compress(&text));
        assert_eq!(decompress(Method::Lz4, &src, 1 << 20).unwrap(), text);
        // An announced size past the limit is refused before anything is allocated.
        let mut big = (u64::MAX).to_le_bytes().to_vec();
        big.extend_from_slice(&src[8..]);
        assert!(decompress(Method::Lz4, &big, 1 << 20).is_err());
        // Shorter than announced.
        let mut short = (text.len() as u64 + 5).to_le_bytes().to_vec();
        short.extend_from_slice(&src[8..]);
        assert!(decompress(Method::Lz4, &short, 1 << 20).is_err());
        assert!(decompress(Method::Lz4, &src[..5], 1 << 20).is_err());
        assert!(decompress(Method::Lz4, &src, 100).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for m in [Method::Xz, Method::Lz4, Method::Zstd] {
            for junk in [&b""[..], b"\x28\xb5\x2f\xfd", b"\xfd7zXZ\0", &[0xff; 64]] {
                assert!(decompress(m, junk, 1 << 16).is_err(), "{m:?} {junk:?}");
            }
        }
    }

    #[test]
    fn flags_name_one_method() {
        assert_eq!(Method::from_flags(0), Ok(Method::None));
        assert_eq!(Method::from_flags(1), Ok(Method::Xz));
        assert_eq!(Method::from_flags(2), Ok(Method::Lz4));
        assert_eq!(Method::from_flags(4), Ok(Method::Zstd));
        assert_eq!(Method::from_flags(3), Err(3));
        assert_eq!(Method::from_flags(8), Err(8));
    }
}
