//! A small writer of journal files for tests: the variants Debian's systemd 252 cannot write (DATA
//! objects compressed with LZ4 or XZ) and damaged files. What it writes is checked by
//! `journalctl --verify` and read back by journalctl, so the writer is itself tested against systemd.

use std::collections::HashMap;

use ingot_journal::hash::{jenkins64, siphash24};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Xz,
    Lz4,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub compact: bool,
    pub keyed: bool,
    pub compression: Compression,
    pub file_id: [u8; 16],
    pub machine_id: [u8; 16],
    pub seqnum_id: [u8; 16],
    /// The first entry's seqnum.
    pub first_seqnum: u64,
    /// Payloads at least this long are compressed (journald's default is 512).
    pub compress_threshold: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            compact: false,
            keyed: true,
            compression: Compression::None,
            file_id: [0x11; 16],
            machine_id: [0x22; 16],
            seqnum_id: [0x33; 16],
            first_seqnum: 1,
            compress_threshold: 512,
        }
    }
}

#[derive(Clone, Debug)]
pub struct WEntry {
    pub realtime: u64,
    pub monotonic: u64,
    pub boot_id: [u8; 16],
    pub fields: Vec<(String, Vec<u8>)>,
    /// `None`: the one after the previous entry's (from `Options::first_seqnum`).
    pub seqnum: Option<u64>,
}

struct DataObj {
    offset: u64,
    hash: u64,
    entries: Vec<u64>,
}

struct FieldObj {
    offset: u64,
    hash: u64,
    data: Vec<usize>,
}

fn align8(n: u64) -> u64 {
    (n + 7) & !7
}

pub struct Written {
    pub bytes: Vec<u8>,
    /// Offsets of the entry objects, in order.
    pub entry_offsets: Vec<u64>,
    /// Where the global entry array's items start.
    pub entry_array_items: u64,
}

const HEADER_SIZE: u64 = 264;
const DATA_BUCKETS: u64 = 2047;
const FIELD_BUCKETS: u64 = 333;

pub fn write(opts: &Options, entries: &[WEntry]) -> Written {
    let mut out = vec![0u8; HEADER_SIZE as usize];
    let hash = |p: &[u8]| {
        if opts.keyed {
            siphash24(&opts.file_id, p)
        } else {
            jenkins64(p)
        }
    };
    let mut n_objects = 0u64;
    let mut object = |out: &mut Vec<u8>, kind: u8, flags: u8, body: &[u8]| -> u64 {
        let offset = out.len() as u64;
        let size = 16 + body.len() as u64;
        out.push(kind);
        out.push(flags);
        out.extend_from_slice(&[0u8; 6]);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(body);
        out.resize(align8(out.len() as u64) as usize, 0);
        n_objects += 1;
        offset
    };
    let data_table = object(&mut out, 4, 0, &vec![0u8; (DATA_BUCKETS * 16) as usize]) + 16;
    let field_table = object(&mut out, 5, 0, &vec![0u8; (FIELD_BUCKETS * 16) as usize]) + 16;

    let mut datas: Vec<DataObj> = Vec::new();
    let mut data_by_payload: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut fields: Vec<FieldObj> = Vec::new();
    let mut field_by_name: HashMap<String, usize> = HashMap::new();
    let mut entry_offsets = Vec::new();
    let mut any_compressed = false;
    let payload_start: u64 = if opts.compact { 72 } else { 64 };
    let mut tail = (0u64, 0u64, [0u8; 16]);
    let mut seqnums: Vec<u64> = Vec::new();

    for (n, e) in entries.iter().enumerate() {
        let mut items: Vec<(u64, u64)> = Vec::new();
        let mut xor = 0u64;
        for (name, value) in &e.fields {
            let mut payload = name.as_bytes().to_vec();
            payload.push(b'=');
            payload.extend_from_slice(value);
            let h = hash(&payload);
            xor ^= if opts.keyed { jenkins64(&payload) } else { h };
            let di = match data_by_payload.get(&payload) {
                Some(&i) => i,
                None => {
                    let fi = match field_by_name.get(name) {
                        Some(&i) => i,
                        None => {
                            // FieldObject: hash, next_hash_offset, head_data_offset, payload.
                            let fh = hash(name.as_bytes());
                            let mut body = Vec::new();
                            body.extend_from_slice(&fh.to_le_bytes());
                            body.extend_from_slice(&[0u8; 16]);
                            body.extend_from_slice(name.as_bytes());
                            let off = object(&mut out, 2, 0, &body);
                            fields.push(FieldObj {
                                offset: off,
                                hash: fh,
                                data: Vec::new(),
                            });
                            field_by_name.insert(name.clone(), fields.len() - 1);
                            fields.len() - 1
                        }
                    };
                    let (flags, stored) = if payload.len() >= opts.compress_threshold {
                        match opts.compression {
                            Compression::None => (0u8, payload.clone()),
                            Compression::Lz4 => {
                                let mut s = (payload.len() as u64).to_le_bytes().to_vec();
                                s.extend(lz4_flex::block::compress(&payload));
                                (2u8, s)
                            }
                            Compression::Xz => {
                                let mut s = Vec::new();
                                lzma_rs::xz_compress(&mut &payload[..], &mut s).unwrap();
                                (1u8, s)
                            }
                        }
                    } else {
                        (0u8, payload.clone())
                    };
                    any_compressed |= flags != 0;
                    let mut body = Vec::new();
                    body.extend_from_slice(&h.to_le_bytes());
                    // next_hash, next_field, entry_offset, entry_array_offset, n_entries (+ compact
                    // tail array offset and count): linked up at the end.
                    body.extend_from_slice(&vec![0u8; (payload_start - 24) as usize]);
                    body.extend_from_slice(&stored);
                    let off = object(&mut out, 1, flags, &body);
                    datas.push(DataObj {
                        offset: off,
                        hash: h,
                        entries: Vec::new(),
                    });
                    fields[fi].data.push(datas.len() - 1);
                    data_by_payload.insert(payload.clone(), datas.len() - 1);
                    datas.len() - 1
                }
            };
            items.push((datas[di].offset, datas[di].hash));
        }
        // systemd sorts an entry's items by offset and drops duplicates.
        items.sort();
        items.dedup();
        let seqnum = e.seqnum.unwrap_or(opts.first_seqnum + n as u64);
        seqnums.push(seqnum);
        let mut body = Vec::new();
        body.extend_from_slice(&seqnum.to_le_bytes());
        body.extend_from_slice(&e.realtime.to_le_bytes());
        body.extend_from_slice(&e.monotonic.to_le_bytes());
        body.extend_from_slice(&e.boot_id);
        body.extend_from_slice(&xor.to_le_bytes());
        for (o, h) in &items {
            if opts.compact {
                body.extend_from_slice(&(*o as u32).to_le_bytes());
            } else {
                body.extend_from_slice(&o.to_le_bytes());
                body.extend_from_slice(&h.to_le_bytes());
            }
        }
        let off = object(&mut out, 3, 0, &body);
        entry_offsets.push(off);
        for (o, _) in &items {
            let di = datas.iter().position(|d| d.offset == *o).unwrap();
            datas[di].entries.push(off);
        }
        tail = (e.realtime, e.monotonic, e.boot_id);
    }

    let mut n_entry_arrays = 0u64;
    let mut array = |out: &mut Vec<u8>, offsets: &[u64]| -> u64 {
        let mut body = vec![0u8; 8];
        for o in offsets {
            if opts.compact {
                body.extend_from_slice(&(*o as u32).to_le_bytes());
            } else {
                body.extend_from_slice(&o.to_le_bytes());
            }
        }
        n_entry_arrays += 1;
        let offset = out.len() as u64;
        let size = 16 + body.len() as u64;
        out.push(6);
        out.push(0);
        out.extend_from_slice(&[0u8; 6]);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&body);
        out.resize(align8(out.len() as u64) as usize, 0);
        offset
    };
    let global = if entry_offsets.is_empty() {
        0
    } else {
        array(&mut out, &entry_offsets)
    };
    for d in &datas {
        let at = d.offset as usize + 16;
        // entry_offset, entry_array_offset, n_entries.
        out[at + 24..at + 32].copy_from_slice(&d.entries[0].to_le_bytes());
        if d.entries.len() > 1 {
            let arr = array(&mut out, &d.entries[1..]);
            out[at + 32..at + 40].copy_from_slice(&arr.to_le_bytes());
            if opts.compact {
                out[at + 48..at + 52].copy_from_slice(&(arr as u32).to_le_bytes());
                out[at + 52..at + 56]
                    .copy_from_slice(&((d.entries.len() - 1) as u32).to_le_bytes());
            }
        }
        out[at + 40..at + 48].copy_from_slice(&(d.entries.len() as u64).to_le_bytes());
    }
    n_objects += n_entry_arrays;
    // Hash chains: data by hash, fields by hash; data of a field chained from the field.
    let link = |out: &mut Vec<u8>, table: u64, buckets: u64, items: &[(u64, u64)]| {
        for &(offset, h) in items {
            let b = (table + (h % buckets) * 16) as usize;
            let head = u64::from_le_bytes(out[b..b + 8].try_into().unwrap());
            let tail = u64::from_le_bytes(out[b + 8..b + 16].try_into().unwrap());
            if head == 0 {
                out[b..b + 8].copy_from_slice(&offset.to_le_bytes());
            } else {
                let t = tail as usize + 24;
                out[t..t + 8].copy_from_slice(&offset.to_le_bytes());
            }
            out[b + 8..b + 16].copy_from_slice(&offset.to_le_bytes());
        }
    };
    let data_items: Vec<(u64, u64)> = datas.iter().map(|d| (d.offset, d.hash)).collect();
    link(&mut out, data_table, DATA_BUCKETS, &data_items);
    let field_items: Vec<(u64, u64)> = fields.iter().map(|f| (f.offset, f.hash)).collect();
    link(&mut out, field_table, FIELD_BUCKETS, &field_items);
    for f in &fields {
        // Newest data first, as journald prepends.
        let mut head = 0u64;
        for &di in &f.data {
            let d = datas[di].offset as usize + 16;
            out[d + 16..d + 24].copy_from_slice(&head.to_le_bytes());
            head = datas[di].offset;
        }
        let fo = f.offset as usize + 16;
        out[fo + 16..fo + 24].copy_from_slice(&head.to_le_bytes());
    }

    // The header.
    let mut incompatible = 0u32;
    if any_compressed {
        incompatible |= match opts.compression {
            Compression::Xz => 1,
            Compression::Lz4 => 2,
            Compression::None => 0,
        };
    }
    if opts.keyed {
        incompatible |= 4;
    }
    if opts.compact {
        incompatible |= 16;
    }
    let tail_object = {
        // The last object written.
        let mut at = HEADER_SIZE;
        let mut last = 0;
        while at < out.len() as u64 {
            last = at;
            let size =
                u64::from_le_bytes(out[at as usize + 8..at as usize + 16].try_into().unwrap());
            at += align8(size);
        }
        last
    };
    let h = &mut out[..HEADER_SIZE as usize];
    h[..8].copy_from_slice(b"LPKSHHRH");
    // No compatible flags: systemd 252 knows neither TAIL_ENTRY_BOOT_ID nor SEALED without keys.
    h[12..16].copy_from_slice(&incompatible.to_le_bytes());
    h[16] = 0; // offline
    h[24..40].copy_from_slice(&opts.file_id);
    h[40..56].copy_from_slice(&opts.machine_id);
    h[56..72].copy_from_slice(&tail.2);
    h[72..88].copy_from_slice(&opts.seqnum_id);
    let put = |h: &mut [u8], at: usize, v: u64| h[at..at + 8].copy_from_slice(&v.to_le_bytes());
    let end = out.len() as u64;
    let n = entries.len() as u64;
    let h = &mut out[..HEADER_SIZE as usize];
    put(h, 88, HEADER_SIZE);
    put(h, 96, end - HEADER_SIZE);
    put(h, 104, data_table);
    put(h, 112, DATA_BUCKETS * 16);
    put(h, 120, field_table);
    put(h, 128, FIELD_BUCKETS * 16);
    put(h, 136, tail_object);
    put(h, 144, n_objects);
    put(h, 152, n);
    put(h, 160, seqnums.last().copied().unwrap_or(0));
    put(h, 168, seqnums.first().copied().unwrap_or(0));
    put(h, 176, global);
    put(h, 184, entries.first().map(|e| e.realtime).unwrap_or(0));
    put(h, 192, tail.0);
    put(h, 200, tail.1);
    put(h, 208, datas.len() as u64);
    put(h, 216, fields.len() as u64);
    put(h, 224, 0);
    put(h, 232, n_entry_arrays);
    if opts.compact && global != 0 {
        h[256..260].copy_from_slice(&(global as u32).to_le_bytes());
        h[260..264].copy_from_slice(&(n as u32).to_le_bytes());
    }
    Written {
        bytes: out,
        entry_offsets,
        entry_array_items: global + 24,
    }
}
