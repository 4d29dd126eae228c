//! Reading a WAL in chunks off the async workers: an endpoint hands its [`Reader`] to a blocking thread,
//! which reads up to a chunk of records and gives the reader back with them, so file reads never run on
//! the async workers and a large backlog is handed over piece by piece.

use crate::{Position, Read, Reader};

/// How much one read on a blocking thread takes before handing the records over.
const READ_CHUNK_RECORDS: usize = 256;
const READ_CHUNK_BYTES: usize = 4 << 20;

/// How a chunk of reads ended.
pub enum ChunkEnd {
    /// The chunk filled up; more may be there.
    More,
    /// Everything committed so far was read.
    End,
}

/// Reads up to a chunk of records on a blocking thread, and gives the reader back with the records (each
/// with the position after it).
pub async fn read_chunk(
    mut reader: Reader,
) -> (Reader, Vec<(Vec<u8>, Position)>, std::io::Result<ChunkEnd>) {
    let position = reader.position();
    let wal = reader.wal().clone();
    if position >= wal.end() {
        return (reader, Vec::new(), Ok(ChunkEnd::End));
    }
    let joined = tokio::task::spawn_blocking(move || {
        let mut records = Vec::new();
        let mut bytes = 0;
        let outcome = loop {
            if records.len() >= READ_CHUNK_RECORDS || bytes >= READ_CHUNK_BYTES {
                break Ok(ChunkEnd::More);
            }
            let mut payload = Vec::new();
            match reader.next(&mut payload) {
                Ok(Read::Record(end)) => {
                    bytes += payload.len();
                    records.push((payload, end));
                }
                Ok(Read::End) => break Ok(ChunkEnd::End),
                Err(e) => break Err(e),
            }
        };
        (reader, records, outcome)
    })
    .await;
    match joined {
        Ok(chunk) => chunk,
        // The blocking pool is shutting down: start again where this chunk started; what was not handed
        // over stays in the WAL.
        Err(e) => (
            wal.reader(position),
            Vec::new(),
            Err(std::io::Error::other(format!(
                "reading on a blocking thread: {e}"
            ))),
        ),
    }
}
