//! The sending queue on disk (`sending_queue { storage = otelcol.storage.file.x.handler }`): each request
//! is a record of an `ingot-wal` log under the storage directory (`<directory>/<exporter id>/wal`), written
//! on the log's own thread. A request is answered to its sender once it is on disk (the sender's receipt
//! token is held until then), so a receiver's client that got "OK" loses nothing to a SIGKILL that follows.
//!
//! A reader thread reads records in order and hands them to the senders; the position saved beside the
//! log (`position`) is the end of the longest run of requests that are finished (sent, or given up and
//! counted), so a restart sends again exactly what was not finished (a few finished requests after the
//! first unfinished one may go twice: at least once, never lost). Segments before the saved position are
//! removed.
//!
//! Record: `1u8 | signal u8 | items u32 LE | protobuf request`.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ingot_otlp::{Signal, Token};
use ingot_wal::thread::WalThread;
use ingot_wal::{Options, Position, Read, SyncPolicy, Wal};

use super::sender::{Dispatch, Item};

/// Bytes of records that may wait for the log's thread; past it, offers are refused as full.
const WRITE_BACKLOG: u64 = 64 << 20;
const SEGMENT_SIZE: u64 = 8 << 20;

struct Progress {
    /// Positions read and handed out, in log order, and whether each is finished.
    in_order: VecDeque<(Position, bool)>,
    committed: Position,
    saved: Position,
}

pub struct PersistentQueue {
    dir: PathBuf,
    thread: WalThread,
    fsync: bool,
    outstanding: Arc<AtomicU64>,
    tokens: Arc<Mutex<VecDeque<Option<Token>>>>,
    progress: Mutex<Progress>,
    stop: Arc<AtomicBool>,
}

fn encode(signal: Signal, items: usize, body: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(body.len() + 6);
    r.push(1);
    r.push(signal.index() as u8);
    r.extend_from_slice(&(items.min(u32::MAX as usize) as u32).to_le_bytes());
    r.extend_from_slice(body);
    r
}

fn decode(record: &[u8]) -> Option<(Signal, usize, Bytes)> {
    if record.len() < 6 || record[0] != 1 {
        return None;
    }
    let signal = *Signal::ALL.get(record[1] as usize)?;
    let items = u32::from_le_bytes(record[2..6].try_into().ok()?) as usize;
    Some((signal, items, Bytes::copy_from_slice(&record[6..])))
}

impl PersistentQueue {
    /// Opens (or creates) the queue in `dir` and starts its reader, which hands requests to `dispatch`
    /// while it holds fewer than `read_ahead`. Reads the log once to count what it holds.
    pub fn open(
        dir: &Path,
        fsync: bool,
        dispatch: Arc<Dispatch>,
        read_ahead: usize,
    ) -> Result<Arc<PersistentQueue>, String> {
        let wal_dir = dir.join("wal");
        std::fs::create_dir_all(&wal_dir)
            .map_err(|e| format!("creating the queue directory {}: {e}", wal_dir.display()))?;
        if let ingot_wal::ownership::Ownership::Foreign(what) =
            ingot_wal::ownership::inspect(&wal_dir)
                .map_err(|e| format!("reading {}: {e}", wal_dir.display()))?
        {
            return Err(format!(
                "{} holds {what}, not ingot's queue: move it away or point the storage elsewhere",
                wal_dir.display()
            ));
        }
        let (wal, report) = Wal::open(
            &wal_dir,
            Options {
                segment_size: SEGMENT_SIZE,
                sync: if fsync {
                    SyncPolicy::Always
                } else {
                    SyncPolicy::Manual
                },
            },
        )
        .map_err(|e| format!("opening the queue {}: {e}", wal_dir.display()))?;
        let _ = report;
        ingot_wal::ownership::mark(&wal_dir)
            .map_err(|e| format!("marking {}: {e}", wal_dir.display()))?;
        let wal = Arc::new(wal);
        let position_file = dir.join("position");
        let saved = ingot_wal::checkpoint::load_position(&position_file)
            .unwrap_or_else(|e| {
                tracing::warn!(queue = %dir.display(), "the queue's saved position is damaged ({e}); sending the whole log again");
                None
            })
            .unwrap_or_default()
            .max(wal.start());
        // Count what is left to send.
        let mut counter = wal.reader(saved);
        let mut buf = Vec::new();
        let mut left = 0u64;
        while let Ok(Read::Record(_)) = counter.next(&mut buf) {
            if !ingot_wal::is_padding(&buf) {
                left += 1;
            }
        }
        // The senders' reader starts over from the saved position.
        let reader = wal.reader(saved);
        let outstanding = Arc::new(AtomicU64::new(left));
        let tokens: Arc<Mutex<VecDeque<Option<Token>>>> = Arc::default();
        let thread = {
            let tokens = tokens.clone();
            let outstanding = outstanding.clone();
            let dir = dir.display().to_string();
            WalThread::spawn(wal.clone(), "otlp-queue", WRITE_BACKLOG, move |appended| {
                let token = tokens
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop_front()
                    .flatten();
                if let Err(e) = appended.result {
                    outstanding.fetch_sub(1, Ordering::Relaxed);
                    let msg = format!("writing to the queue {dir} failed: {e}");
                    tracing::error!("{msg}");
                    if let Some(t) = token {
                        t.fail(msg);
                    }
                }
            })
            .map_err(|e| format!("starting the queue's thread: {e}"))?
        };
        let stop = Arc::new(AtomicBool::new(false));
        let q = Arc::new(PersistentQueue {
            dir: dir.to_path_buf(),
            thread,
            fsync,
            outstanding,
            tokens,
            progress: Mutex::new(Progress {
                in_order: VecDeque::new(),
                committed: saved,
                saved,
            }),
            stop: stop.clone(),
        });
        let reader_q = Arc::downgrade(&q);
        std::thread::Builder::new()
            .name("otlp-queue-read".into())
            .spawn(move || read_loop(reader, reader_q, dispatch, read_ahead, stop))
            .map_err(|e| format!("starting the queue's reader: {e}"))?;
        if left > 0 {
            tracing::info!(queue = %dir.display(), requests = left, "the sending queue holds requests from before the restart; sending them");
        }
        Ok(q)
    }

    /// Requests on disk (or on their way there) not yet finished.
    pub fn outstanding(&self) -> u64 {
        self.outstanding.load(Ordering::Relaxed)
    }

    /// Queues a request for the log's thread; `token` is held until it is written.
    pub fn offer(
        &self,
        signal: Signal,
        items: usize,
        body: &[u8],
        token: Option<&Token>,
    ) -> Result<(), String> {
        let record = encode(signal, items, body);
        // The token goes in first so that the thread's callback finds it for this record.
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.push_back(token.cloned());
        // Counted before the thread can fail it (its callback takes the count back).
        self.outstanding.fetch_add(1, Ordering::Relaxed);
        match self.thread.append(record, items as u64) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.outstanding.fetch_sub(1, Ordering::Relaxed);
                tokens.pop_back();
                Err(e.to_string())
            }
        }
    }

    /// The request ending at `pos` is finished.
    pub fn done(&self, pos: Position) {
        self.outstanding.fetch_sub(1, Ordering::Relaxed);
        let mut p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = p.in_order.iter_mut().find(|e| e.0 == pos) {
            e.1 = true;
        }
        while let Some(&(pos, true)) = p.in_order.front() {
            p.committed = pos;
            p.in_order.pop_front();
        }
    }

    fn handed_out(&self, pos: Position) {
        self.progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .in_order
            .push_back((pos, false));
    }

    /// Saves the position if it moved and removes the segments before it (on the log's thread).
    pub fn save(&self) {
        let mut p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        if p.committed == p.saved {
            return;
        }
        let pos = p.committed;
        let path = self.dir.join("position");
        let durable = self.fsync;
        let dir = self.dir.display().to_string();
        if self
            .thread
            .submit(move |wal| {
                if !durable {
                    let _ = wal.sync();
                }
                if let Err(e) = ingot_wal::checkpoint::save_position(&path, pos, durable) {
                    tracing::error!(queue = %dir, "saving the queue's position failed: {e}");
                    return;
                }
                if pos.segment > wal.first_segment() {
                    let _ = wal.remove_segments_before(pos.segment);
                }
            })
            .is_ok()
        {
            p.saved = pos;
        }
    }

    /// Stops the reader and saves the position (blocking: call off the reactor).
    pub fn close(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.save();
        let _ = self.thread.run(|wal| wal.sync());
    }
}

fn read_loop(
    mut reader: ingot_wal::Reader,
    queue: std::sync::Weak<PersistentQueue>,
    dispatch: Arc<Dispatch>,
    read_ahead: usize,
    stop: Arc<AtomicBool>,
) {
    let mut buf = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if dispatch.len() >= read_ahead {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        match reader.next(&mut buf) {
            Ok(Read::Record(pos)) => {
                if ingot_wal::is_padding(&buf) {
                    continue;
                }
                let Some(q) = queue.upgrade() else { return };
                match decode(&buf) {
                    Some((signal, items, body)) => {
                        q.handed_out(pos);
                        dispatch.push(Item {
                            signal,
                            items,
                            body,
                            position: Some(pos),
                            token: None,
                        });
                    }
                    None => {
                        tracing::warn!(queue = %q.dir.display(), "skipping an unreadable record in the sending queue");
                        q.handed_out(pos);
                        q.outstanding.fetch_add(1, Ordering::Relaxed);
                        q.done(pos);
                    }
                }
            }
            Ok(Read::End) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                tracing::error!("reading the sending queue failed: {e}");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}
