//! `/proc/net/rpc/nfs` (the NFS client) and `/proc/net/rpc/nfsd` (the server), as procfs's `nfs`
//! package parses them.

use crate::ParseError;

/// NFSv2 procedures in the order of the `proc2` line (after its count), as procfs names them.
pub const V2_PROCEDURES: [&str; 18] = [
    "Null", "GetAttr", "SetAttr", "Root", "Lookup", "ReadLink", "Read", "WrCache", "Write",
    "Create", "Remove", "Rename", "Link", "SymLink", "MkDir", "RmDir", "ReadDir", "FsStat",
];

/// NFSv3 procedures in the order of the `proc3` line.
pub const V3_PROCEDURES: [&str; 22] = [
    "Null",
    "GetAttr",
    "SetAttr",
    "Lookup",
    "Access",
    "ReadLink",
    "Read",
    "Write",
    "Create",
    "MkDir",
    "SymLink",
    "MkNod",
    "Remove",
    "RmDir",
    "Rename",
    "Link",
    "ReadDir",
    "ReadDirPlus",
    "FsStat",
    "FsInfo",
    "PathConf",
    "Commit",
];

/// The NFSv4 client operations in the order of the client's `proc4` line.
pub const V4_CLIENT_OPERATIONS: [&str; 59] = [
    "Null",
    "Read",
    "Write",
    "Commit",
    "Open",
    "OpenConfirm",
    "OpenNoattr",
    "OpenDowngrade",
    "Close",
    "Setattr",
    "FsInfo",
    "Renew",
    "SetClientID",
    "SetClientIDConfirm",
    "Lock",
    "Lockt",
    "Locku",
    "Access",
    "Getattr",
    "Lookup",
    "LookupRoot",
    "Remove",
    "Rename",
    "Link",
    "Symlink",
    "Create",
    "Pathconf",
    "StatFs",
    "ReadLink",
    "ReadDir",
    "ServerCaps",
    "DelegReturn",
    "GetACL",
    "SetACL",
    "FsLocations",
    "ReleaseLockowner",
    "Secinfo",
    "FsidPresent",
    "ExchangeID",
    "CreateSession",
    "DestroySession",
    "Sequence",
    "GetLeaseTime",
    "ReclaimComplete",
    "GetDeviceInfo",
    "LayoutGet",
    "LayoutCommit",
    "LayoutReturn",
    "SecinfoNoName",
    "TestStateID",
    "FreeStateID",
    "GetDeviceList",
    "BindConnToSession",
    "DestroyClientID",
    "Seek",
    "Allocate",
    "DeAllocate",
    "LayoutStats",
    "Clone",
];

/// The NFSv4 server operations of the `proc4ops` line, by position (after its count; 0 to 2 are
/// unused), that node_exporter reports; `RelLockOwner`, the 40th, only when the line has it.
pub const V4_SERVER_OPERATIONS: [(usize, &str); 35] = [
    (3, "Access"),
    (4, "Close"),
    (5, "Commit"),
    (6, "Create"),
    (7, "DelegPurge"),
    (8, "DelegReturn"),
    (9, "GetAttr"),
    (10, "GetFH"),
    (11, "Link"),
    (12, "Lock"),
    (13, "Lockt"),
    (14, "Locku"),
    (15, "Lookup"),
    (16, "LookupRoot"),
    (17, "Nverify"),
    (18, "Open"),
    (19, "OpenAttr"),
    (20, "OpenConfirm"),
    (21, "OpenDgrd"),
    (22, "PutFH"),
    (25, "Read"),
    (26, "ReadDir"),
    (27, "ReadLink"),
    (28, "Remove"),
    (29, "Rename"),
    (30, "Renew"),
    (31, "RestoreFH"),
    (32, "SaveFH"),
    (33, "SecInfo"),
    (34, "SetAttr"),
    (35, "SetClientID"),
    (36, "SetClientIDConfirm"),
    (37, "Verify"),
    (38, "Write"),
    (39, "RelLockOwner"),
];

/// The client's statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientStats {
    /// `net`: packets, udp, tcp, tcp connections.
    pub network: [u64; 4],
    /// `rpc`: calls, retransmissions, authentication refreshes.
    pub rpc: [u64; 3],
    pub v2: [u64; 18],
    pub v3: [u64; 22],
    pub v4: [u64; 59],
}

impl Default for ClientStats {
    fn default() -> ClientStats {
        ClientStats {
            network: [0; 4],
            rpc: [0; 3],
            v2: [0; 18],
            v3: [0; 22],
            v4: [0; 59],
        }
    }
}

/// The server's statistics that node_exporter reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStats {
    /// `rc`: hits, misses, nocache.
    pub reply_cache: [u64; 3],
    /// `fh`: the first of five, stale handles.
    pub stale_file_handles: u64,
    /// `io`: read, write.
    pub io: [u64; 2],
    /// `th`: threads.
    pub threads: u64,
    /// `ra`: cache size and not found.
    pub read_ahead: [u64; 2],
    pub network: [u64; 4],
    /// `rpc`: calls, bad, bad format, bad auth, bad client.
    pub rpc: [u64; 5],
    pub v2: [u64; 18],
    pub v3: [u64; 22],
    /// `proc4ops` values by position after the count (40 slots; absent ones 0).
    pub v4_ops: [u64; 40],
    pub wdeleg_getattr: u64,
}

impl Default for ServerStats {
    fn default() -> ServerStats {
        ServerStats {
            reply_cache: [0; 3],
            stale_file_handles: 0,
            io: [0; 2],
            threads: 0,
            read_ahead: [0; 2],
            network: [0; 4],
            rpc: [0; 5],
            v2: [0; 18],
            v3: [0; 22],
            v4_ops: [0; 40],
            wdeleg_getattr: 0,
        }
    }
}

fn values(line: &str, parts: &[&str]) -> Result<Vec<u64>, ParseError> {
    parts
        .iter()
        .map(|p| {
            crate::num::parse_u64_dec(p).ok_or_else(|| {
                ParseError::new(format!(
                    "error parsing NFS metric line {line:?}: strconv.ParseUint: parsing {p:?}: invalid syntax"
                ))
            })
        })
        .collect()
}

fn exact<const N: usize>(what: &str, v: &[u64]) -> Result<[u64; N], ParseError> {
    v.try_into()
        .map_err(|_| ParseError::new(format!("invalid {what} line {v:?}")))
}

/// A `procN` line: its first value counts the rest, which must be at least `min`.
fn procedures<const N: usize>(what: &str, v: &[u64], min: usize) -> Result<[u64; N], ParseError> {
    let count = v[0] as usize;
    if v.len() - 1 != count || count < min {
        return Err(ParseError::new(format!("invalid {what} line {v:?}")));
    }
    let mut out = [0u64; N];
    for (slot, value) in out.iter_mut().zip(&v[1..]) {
        *slot = *value;
    }
    Ok(out)
}

/// procfs's `ParseClientRPCStats`: every line must be one it knows and parse.
pub fn parse_client(text: &str) -> Result<ClientStats, ParseError> {
    let mut s = ClientStats::default();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        if parts.len() < 2 {
            return Err(ParseError::new(format!("invalid NFS metric line {line:?}")));
        }
        let v = values(line, &parts[1..])?;
        match parts[0] {
            "net" => s.network = exact("Network", &v)?,
            "rpc" => s.rpc = exact("RPC", &v)?,
            "proc2" => s.v2 = procedures("V2Stats", &v, 18)?,
            "proc3" => s.v3 = procedures("V3Stats", &v, 22)?,
            "proc4" => {
                if v.len() - 1 != v[0] as usize {
                    return Err(ParseError::new(format!("invalid ClientV4Stats line {v:?}")));
                }
                s.v4 = [0; 59];
                for (slot, value) in s.v4.iter_mut().zip(&v[1..]) {
                    *slot = *value;
                }
            }
            other => {
                return Err(ParseError::new(format!(
                    "unknown NFS metric line {other:?}"
                )))
            }
        }
    }
    Ok(s)
}

/// procfs's `ParseServerRPCStats`.
pub fn parse_server(text: &str) -> Result<ServerStats, ParseError> {
    let mut s = ServerStats::default();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        if parts.len() < 2 {
            return Err(ParseError::new(format!(
                "invalid NFSd metric line {line:?}"
            )));
        }
        let v = if parts[0] == "th" {
            if parts.len() < 3 {
                return Err(ParseError::new(format!(
                    "invalid NFSd th metric line {line:?}"
                )));
            }
            values(line, &parts[1..3])?
        } else {
            values(line, &parts[1..])?
        };
        match parts[0] {
            "rc" => s.reply_cache = exact("ReplyCache", &v)?,
            "fh" => s.stale_file_handles = exact::<5>("FileHandles", &v)?[0],
            "io" => s.io = exact("InputOutput", &v)?,
            "th" => s.threads = v[0],
            "ra" => {
                let ra = exact::<12>("ReadAheadCache", &v)?;
                s.read_ahead = [ra[0], ra[11]];
            }
            "net" => s.network = exact("Network", &v)?,
            "rpc" => s.rpc = exact("RPC", &v)?,
            "proc2" => s.v2 = procedures("V2Stats", &v, 18)?,
            "proc3" => s.v3 = procedures("V3Stats", &v, 22)?,
            "proc4" => {
                if v.len() - 1 != v[0] as usize || v[0] != 2 {
                    return Err(ParseError::new(format!("invalid V4Stats line {v:?}")));
                }
            }
            "proc4ops" => s.v4_ops = procedures("V4Ops", &v, 39)?,
            "wdeleg_getattr" => s.wdeleg_getattr = v[0],
            other => {
                return Err(ParseError::new(format!(
                    "unknown NFSd metric line {other:?}"
                )))
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client() {
        let s = parse_client(
            "net 70 70 69 45\nrpc 1218785755 374636 1218815394\n\
             proc2 18 16 57 74 52 71 73 45 86 0 52 83 61 17 53 50 23 70 82\n\
             proc3 22 0 1061909262 48906 4077635 117661341 5 29391916 2570425 2993289 590 0 0 7815 15 1130 0 3983 92385 13332 2 1 23729\n\
             proc4 48 98 51 54 83 85 23 24 1 28 73 68 83 12 84 39 68 59 58 88 29 74 69 96 21 84 15 53 86 54 66 56 97 36 49 32 85 81 11 58 32 67 13 28 35 90 1 26 1\n",
        )
        .unwrap();
        assert_eq!(s.network, [70, 70, 69, 45]);
        assert_eq!(s.v3[4], 117661341);
        assert_eq!(s.v4[0], 98);
        assert_eq!(s.v4[47], 1);
        assert_eq!(s.v4[58], 0);
        assert!(parse_client("proc2 3 1 2 3\n").is_err());
        assert!(parse_client("bogus 1\n").is_err());
    }

    #[test]
    fn server() {
        let mut ops: Vec<String> = (0..72).map(|_| "0".to_owned()).collect();
        ops[3] = "1098".into();
        ops[39] = "7".into();
        let text = format!(
            "rc 0 6 18622\nfh 0 0 0 0 0\nio 157286400 72864\nth 8 0 0.000 0.000\n\
             ra 32 0 0 0 0 0 0 0 0 0 0 0\nnet 972 55 917 1\nrpc 18628 3 1 2 0\n\
             proc2 18 2 69 0 0 4410 0 0 0 0 0 0 0 0 0 0 0 99 2\n\
             proc3 22 2 112 0 2719 111 0 0 0 0 0 0 0 0 0 0 0 27 216 0 2 1 0\n\
             proc4 2 2 10853\nproc4ops 72 {}\nwdeleg_getattr 15\n",
            ops.join(" ")
        );
        let s = parse_server(&text).unwrap();
        assert_eq!(s.reply_cache, [0, 6, 18622]);
        assert_eq!(s.threads, 8);
        assert_eq!(s.read_ahead, [32, 0]);
        assert_eq!(s.v4_ops[3], 1098);
        assert_eq!(s.v4_ops[39], 7);
        assert_eq!(s.wdeleg_getattr, 15);
        assert!(parse_server("th 8\n").is_err());
        assert!(parse_server("proc4 3 1 2 3\n").is_err());
        assert!(parse_server("proc4ops 38 1\n").is_err());
    }
}
