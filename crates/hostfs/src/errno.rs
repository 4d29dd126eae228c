//! Error texts as Go prints them.
//!
//! node_exporter puts `err.Error()` of a failed `statfs` into the `device_error` label, and Go's
//! `syscall.Errno` has its own (lower-case) texts, unlike the C library's `strerror`.

use std::io;

/// Go's `syscall.Errno(n).Error()` on linux.
pub fn go_errno_text(errno: i32) -> String {
    let text = match errno {
        libc::EPERM => "operation not permitted",
        libc::ENOENT => "no such file or directory",
        libc::ESRCH => "no such process",
        libc::EINTR => "interrupted system call",
        libc::EIO => "input/output error",
        libc::ENXIO => "no such device or address",
        libc::E2BIG => "argument list too long",
        libc::EBADF => "bad file descriptor",
        libc::EAGAIN => "resource temporarily unavailable",
        libc::ENOMEM => "cannot allocate memory",
        libc::EACCES => "permission denied",
        libc::EFAULT => "bad address",
        libc::EBUSY => "device or resource busy",
        libc::EEXIST => "file exists",
        libc::ENODEV => "no such device",
        libc::ENOTDIR => "not a directory",
        libc::EISDIR => "is a directory",
        libc::EINVAL => "invalid argument",
        libc::ENFILE => "too many open files in system",
        libc::EMFILE => "too many open files",
        libc::ENOSPC => "no space left on device",
        libc::EROFS => "read-only file system",
        libc::ENAMETOOLONG => "file name too long",
        libc::ENOSYS => "function not implemented",
        libc::ELOOP => "too many levels of symbolic links",
        libc::ENODATA => "no data available",
        libc::ETIME => "timer expired",
        libc::ENOLINK => "link has been severed",
        libc::ECOMM => "communication error on send",
        libc::EPROTO => "protocol error",
        libc::EOVERFLOW => "value too large for defined data type",
        libc::EOPNOTSUPP => "operation not supported",
        libc::ENETDOWN => "network is down",
        libc::ENETUNREACH => "network is unreachable",
        libc::ECONNABORTED => "software caused connection abort",
        libc::ECONNRESET => "connection reset by peer",
        libc::ENOTCONN => "transport endpoint is not connected",
        libc::ESHUTDOWN => "cannot send after transport endpoint shutdown",
        libc::ETIMEDOUT => "connection timed out",
        libc::ECONNREFUSED => "connection refused",
        libc::EHOSTDOWN => "host is down",
        libc::EHOSTUNREACH => "no route to host",
        libc::ESTALE => "stale file handle",
        libc::EREMOTEIO => "remote I/O error",
        libc::EDQUOT => "disk quota exceeded",
        libc::ENOMEDIUM => "no medium found",
        libc::EMEDIUMTYPE => "wrong medium type",
        libc::ECANCELED => "operation canceled",
        libc::EKEYEXPIRED => "key has expired",
        libc::EKEYREVOKED => "key has been revoked",
        libc::EKEYREJECTED => "key was rejected by service",
        libc::ENOKEY => "required key not available",
        _ => return format!("errno {errno}"),
    };
    text.to_owned()
}

/// The text Go would print for an I/O error from a syscall, falling back to Rust's text.
pub fn go_error_text(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(n) => go_errno_text(n),
        None => err.to_string(),
    }
}

/// Whether a request failed with EOPNOTSUPP (the driver or filesystem does not offer it).
pub fn is_not_supported(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::EOPNOTSUPP)
}

/// Whether a read failed because the process or file went away meanwhile (ENOENT, or ESRCH
/// from a dying task's /proc entry).
pub fn is_vanished(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::NotFound || err.raw_os_error() == Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_go_texts() {
        assert_eq!(go_errno_text(libc::ENOENT), "no such file or directory");
        assert_eq!(go_errno_text(libc::EACCES), "permission denied");
        assert_eq!(go_errno_text(libc::ESTALE), "stale file handle");
        assert_eq!(go_errno_text(4242), "errno 4242");
    }
}
