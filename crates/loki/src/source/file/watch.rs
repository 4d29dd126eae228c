//! Change notices from the kernel (inotify) for the directories of the files read.
//!
//! Without them every idle file costs a `stat` at each poll (Alloy's `file_watch` default: every
//! 250 ms), which for a few hundred quiet files is most of what the component costs. With a notice for
//! each change in the files' directories, a file is looked at as soon as it changes, and an idle file
//! that is covered by a notice is looked at only every [`WATCHED_LOOK`] as a safety net (a change the
//! kernel does not report: a write through a shared mapping, a directory renamed above the one
//! watched).
//!
//! Invariants:
//! - Notices only bring looks forward; what a look finds is decided by the reader as before. A missed
//!   or spurious notice costs latency or one `stat`, never a line.
//! - A file is covered only when both its path's directory and the directory of the file its path
//!   resolves to (through symbolic links) are watched, on a file system whose changes the kernel
//!   reports (not NFS, SMB, FUSE, 9p, Ceph, /proc or /sys): others are polled as before.
//! - What the listening thread holds is bounded ([`MAX_PENDING`]); past it, or when the kernel's own
//!   queue overflows, every file is looked at.

use std::collections::{HashMap, HashSet};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::fd::OwnedFd;
use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

use super::positions::PosKey;
use super::worker::Shared;

/// How often an idle file covered by notices is looked at anyway.
pub const WATCHED_LOOK: Duration = Duration::from_secs(5);
/// How long the listening thread lets notices gather after it passed some on: a file written line by
/// line wakes the reader at most this often (Alloy's default poll period), not once per write. The first
/// change after a quiet spell is passed on at once.
pub const GATHER: Duration = Duration::from_millis(250);
/// Distinct changed names held for the reader at most; past it the reader looks at every file.
const MAX_PENDING: usize = 4096;
/// How long a file that could not be covered waits before it is tried again.
const RETRY_COVER: Duration = Duration::from_secs(60);
/// How often the listening thread checks that it should go on when nothing changes.
const STOP_CHECK: Duration = Duration::from_secs(1);

/// File systems whose changes inotify does not see (made elsewhere) or does not report.
const UNREPORTED_FS: &[i64] = &[
    0x6969,      // NFS
    0x517B,      // SMB
    0xFF53_4D42, // CIFS
    0xFE53_4D42, // SMB2
    0x6573_5546, // FUSE
    0x0102_1997, // 9p
    0x00C3_6400, // Ceph
    0x5346_414F, // AFS
    0x6B41_4653, // kAFS
    0x0116_1970, // GFS2
    0x7461_636F, // OCFS2
    0x0BD0_0BD0, // Lustre
    0x9FA0,      // proc
    0x6265_6572, // sysfs
];

/// What the listening thread found since the reader last looked.
#[derive(Default)]
struct Pending {
    /// Names changed in a watched directory: (watch, name).
    names: HashSet<(i32, Vec<u8>)>,
    /// Watched directories themselves gone, moved or unmounted.
    dirs: HashSet<i32>,
    /// The kernel's queue or ours overflowed: every file is looked at.
    everything: bool,
}

/// Shared between the reader and the listening thread.
struct Notices {
    pending: Mutex<Pending>,
    any: AtomicBool,
    stop: AtomicBool,
    /// The listening thread gave up: nothing is covered any more.
    failed: AtomicBool,
}

/// What the notices ask of the reader.
pub struct Changed {
    /// Look at every file now.
    pub everything: bool,
    /// Look at these files now.
    pub files: Vec<PosKey>,
    /// Look at these files now, looking their whole path up again (a directory on it changed).
    pub relook: Vec<PosKey>,
}

enum Cover {
    /// Notices for the file come through these (watch, name) pairs.
    Yes(Vec<(i32, Vec<u8>)>),
    /// Not covered; tried again after this.
    No(Instant),
}

/// The reader's side: which directories are watched and which files each notice is about.
pub struct Watch {
    fd: Arc<OwnedFd>,
    notices: Arc<Notices>,
    /// Watched directories and their watch descriptors, both ways.
    by_dir: HashMap<PathBuf, i32>,
    dirs: HashMap<i32, PathBuf>,
    /// (watch, name) -> the files that name is.
    interest: HashMap<(i32, Vec<u8>), Vec<PosKey>>,
    covers: HashMap<PosKey, Cover>,
    /// Why watching failed, said once.
    warned: bool,
    id: String,
}

impl Watch {
    /// Starts listening; `None` (said in the log) when the kernel refuses an inotify instance, in which
    /// case every file is polled as Alloy does.
    pub fn start(id: &str, shared: Arc<Shared>) -> Option<Watch> {
        let fd = match inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC) {
            Ok(fd) => Arc::new(fd),
            Err(e) => {
                tracing::warn!(component = %id, "no change notices from the kernel (inotify: {e}); files are polled every file_watch period");
                return None;
            }
        };
        let notices = Arc::new(Notices {
            pending: Mutex::new(Pending::default()),
            any: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            failed: AtomicBool::new(false),
        });
        let (thread_fd, thread_notices) = (fd.clone(), notices.clone());
        // The kernel keeps 15 bytes of a name: this thread is counted with the reading thread.
        let spawned = std::thread::Builder::new()
            .name("loki.source.file watch".into())
            .spawn(move || listen(&thread_fd, &thread_notices, &shared));
        if let Err(e) = spawned {
            tracing::warn!(component = %id, "no change notices (cannot start a thread: {e}); files are polled every file_watch period");
            return None;
        }
        Some(Watch {
            fd,
            notices,
            by_dir: HashMap::new(),
            dirs: HashMap::new(),
            interest: HashMap::new(),
            covers: HashMap::new(),
            warned: false,
            id: id.to_string(),
        })
    }

    /// Notices are waiting for the reader.
    pub fn has_changes(&self) -> bool {
        self.notices.any.load(Ordering::Acquire)
    }

    /// Whether notices cover the file at `key.path`, watching its directories if they are not yet.
    pub fn covers(&mut self, key: &PosKey, now: Instant) -> bool {
        if self.notices.failed.load(Ordering::Acquire) {
            return false;
        }
        match self.covers.get(key) {
            Some(Cover::Yes(_)) => return true,
            Some(Cover::No(retry)) if now < *retry => return false,
            _ => {}
        }
        let cover = match self.watch_dirs_of(&key.path) {
            Some(pairs) => {
                for p in &pairs {
                    let keys = self.interest.entry(p.clone()).or_default();
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
                Cover::Yes(pairs)
            }
            None => Cover::No(now + RETRY_COVER),
        };
        let yes = matches!(cover, Cover::Yes(_));
        self.covers.insert(key.clone(), cover);
        yes
    }

    /// Forgets what covers the file (it was opened again, or its target is gone): the next
    /// [`Watch::covers`] looks its path up again.
    pub fn forget(&mut self, key: &PosKey) {
        if let Some(Cover::Yes(pairs)) = self.covers.remove(key) {
            for p in pairs {
                if let Some(keys) = self.interest.get_mut(&p) {
                    keys.retain(|k| k != key);
                    if keys.is_empty() {
                        self.interest.remove(&p);
                    }
                }
            }
            self.unwatch_unused();
        }
    }

    /// Takes what changed since the last call.
    pub fn take(&mut self) -> Option<Changed> {
        if !self.notices.any.swap(false, Ordering::AcqRel) {
            return None;
        }
        let pending = std::mem::take(
            &mut *self
                .notices
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        let mut changed = Changed {
            everything: pending.everything,
            files: Vec::new(),
            relook: Vec::new(),
        };
        if changed.everything {
            return Some(changed);
        }
        for name in &pending.names {
            if let Some(keys) = self.interest.get(name) {
                changed.files.extend(keys.iter().cloned());
            }
        }
        for wd in pending.dirs {
            // The directory is gone or moved: its watch is of no use any more, and the files under it
            // are looked up again from their paths.
            let affected: Vec<PosKey> = self
                .interest
                .iter()
                .filter(|((w, _), _)| *w == wd)
                .flat_map(|(_, keys)| keys.iter().cloned())
                .collect();
            for k in &affected {
                self.forget(k);
            }
            if let Some(dir) = self.dirs.remove(&wd) {
                self.by_dir.remove(&dir);
                let _ = inotify::remove_watch(&*self.fd, wd);
            }
            changed.relook.extend(affected);
        }
        Some(changed)
    }

    /// Watches the directory of `path` and that of the file it resolves to; the (watch, name) pairs
    /// through which its changes come, or `None` when it cannot be covered.
    fn watch_dirs_of(&mut self, path: &str) -> Option<Vec<(i32, Vec<u8>)>> {
        let p = Path::new(path);
        let mut pairs = vec![self.watch_name(p)?];
        if let Ok(real) = std::fs::canonicalize(p) {
            if real != p {
                let pair = self.watch_name(&real)?;
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
        Some(pairs)
    }

    fn watch_name(&mut self, p: &Path) -> Option<(i32, Vec<u8>)> {
        let (dir, name) = (p.parent()?, p.file_name()?);
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let wd = match self.by_dir.get(dir) {
            Some(wd) => *wd,
            None => {
                let wd = self.watch_dir(dir)?;
                self.by_dir.insert(dir.to_path_buf(), wd);
                self.dirs.insert(wd, dir.to_path_buf());
                wd
            }
        };
        Some((wd, name.as_bytes().to_vec()))
    }

    fn watch_dir(&mut self, dir: &Path) -> Option<i32> {
        // `f_type`'s width differs between architectures.
        #[allow(clippy::unnecessary_cast)]
        match rustix::fs::statfs(dir) {
            Ok(fs) if UNREPORTED_FS.contains(&(fs.f_type as i64)) => return None,
            Ok(_) => {}
            // A directory that is not there yet: the file is polled until it is.
            Err(_) => return None,
        }
        let flags = WatchFlags::MODIFY
            | WatchFlags::ATTRIB
            | WatchFlags::CLOSE_WRITE
            | WatchFlags::CREATE
            | WatchFlags::DELETE
            | WatchFlags::MOVED_FROM
            | WatchFlags::MOVED_TO
            | WatchFlags::DELETE_SELF
            | WatchFlags::MOVE_SELF
            | WatchFlags::ONLYDIR;
        match inotify::add_watch(&*self.fd, dir, flags) {
            Ok(wd) => Some(wd),
            Err(e) => {
                if !self.warned {
                    self.warned = true;
                    let hint = if e == rustix::io::Errno::NOSPC {
                        " (the kernel's limit fs.inotify.max_user_watches is reached)"
                    } else {
                        ""
                    };
                    tracing::warn!(component = %self.id, dir = %dir.display(), "no change notices for this directory: {e}{hint}; its files are polled every file_watch period");
                }
                None
            }
        }
    }

    /// Stops watching directories no file needs any more.
    fn unwatch_unused(&mut self) {
        let used: HashSet<i32> = self.interest.keys().map(|(wd, _)| *wd).collect();
        let unused: Vec<i32> = self
            .dirs
            .keys()
            .filter(|wd| !used.contains(wd))
            .copied()
            .collect();
        for wd in unused {
            if let Some(dir) = self.dirs.remove(&wd) {
                self.by_dir.remove(&dir);
            }
            let _ = inotify::remove_watch(&*self.fd, wd);
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.notices.stop.store(true, Ordering::Release);
    }
}

/// The listening thread: passes the kernel's notices on to the reader and wakes it.
fn listen(fd: &OwnedFd, notices: &Notices, shared: &Shared) {
    let mut buf = [MaybeUninit::<u8>::uninit(); 8192];
    let timeout = rustix::event::Timespec {
        tv_sec: STOP_CHECK.as_secs() as _,
        tv_nsec: 0,
    };
    while !notices.stop.load(Ordering::Acquire) {
        let mut fds = [rustix::event::PollFd::new(fd, rustix::event::PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(
                    "change notices stopped (poll: {e}); files are polled every file_watch period"
                );
                everything(notices, shared);
                return;
            }
        }
        let mut got = false;
        let mut failed = false;
        {
            let mut pending = notices.pending.lock().unwrap_or_else(|e| e.into_inner());
            let mut reader = inotify::Reader::new(fd, &mut buf);
            loop {
                let event = match reader.next() {
                    Ok(ev) => ev,
                    Err(rustix::io::Errno::WOULDBLOCK) => break,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => {
                        tracing::warn!("change notices stopped (read: {e}); files are polled every file_watch period");
                        failed = true;
                        break;
                    }
                };
                got = true;
                let flags = event.events();
                if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                    pending.everything = true;
                    continue;
                }
                if flags.intersects(
                    ReadFlags::DELETE_SELF
                        | ReadFlags::MOVE_SELF
                        | ReadFlags::IGNORED
                        | ReadFlags::UNMOUNT,
                ) {
                    pending.dirs.insert(event.wd());
                    continue;
                }
                if let Some(name) = event.file_name() {
                    if pending.names.len() >= MAX_PENDING {
                        pending.everything = true;
                        pending.names.clear();
                    } else if !pending.everything {
                        pending.names.insert((event.wd(), name.to_bytes().to_vec()));
                    }
                }
            }
        }
        if failed {
            everything(notices, shared);
            return;
        }
        if got {
            wake(notices, shared);
            std::thread::sleep(GATHER);
        }
    }
}

fn everything(notices: &Notices, shared: &Shared) {
    notices.failed.store(true, Ordering::Release);
    notices
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .everything = true;
    wake(notices, shared);
}

/// Marks notices waiting and wakes the reader. The reader checks the mark under the control lock
/// before it waits, and this notifies under that lock, so a notice is never lost between the two.
fn wake(notices: &Notices, shared: &Shared) {
    notices.any.store(true, Ordering::Release);
    let _guard = shared.control.lock().unwrap_or_else(|e| e.into_inner());
    shared.wake.notify_all();
}
