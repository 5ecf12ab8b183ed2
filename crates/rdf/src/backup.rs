//! Backups of a whole store: every entry of one consistent snapshot (documents, dictionary,
//! indexes and the other components' keyspaces: accounts, queues, records), in a simple framed
//! file, and their restore into an empty folder. The N-Quads dump (documents only) is for
//! moving data to other tools; this is for getting a server back as it was.
//!
//! Format: the line `kommon-backup 1\n`; then, per entry, the key's length (u32, big endian),
//! the key, the value's length, the value; then a zero-length key, the entry count (u64) and a
//! SipHash-1-3 of every byte before it (u128), so that a truncated or altered file is refused
//! before anything is written.

use crate::StoreError;
use crate::store::{QuadStore, StoreOptions};
use siphasher::sip128::{Hasher128, SipHasher13};
use std::hash::Hasher;
use std::io::{Read, Write};
use std::path::Path;

const MAGIC: &[u8] = b"kommon-backup 1\n";

/// What a backup or a restore went through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackupStats {
    /// Entries.
    pub entries: u64,
    /// Bytes of the file.
    pub bytes: u64,
}

struct Hashing<W> {
    inner: W,
    hasher: SipHasher13,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.hasher.write(data);
        self.bytes += data.len() as u64;
        self.inner.write_all(data)
    }
}

impl QuadStore {
    /// Writes every entry of one consistent moment of the store to `out`.
    pub fn backup(&self, out: impl Write) -> Result<BackupStats, StoreError> {
        let io = |e: std::io::Error| StoreError::Corrupted(format!("writing the backup: {e}"));
        let mut w = Hashing {
            inner: std::io::BufWriter::new(out),
            hasher: SipHasher13::new(),
            bytes: 0,
        };
        w.put(MAGIC).map_err(io)?;
        let reader = self.inner().snapshot();
        let mut entries = 0u64;
        for entry in reader.prefix([]) {
            let (k, v) = entry.into_inner()?;
            if k.is_empty() || k.len() > u32::MAX as usize || v.len() > u32::MAX as usize {
                return Err(StoreError::Corrupted(
                    "an entry too large to back up".into(),
                ));
            }
            w.put(&(k.len() as u32).to_be_bytes()).map_err(io)?;
            w.put(&k).map_err(io)?;
            w.put(&(v.len() as u32).to_be_bytes()).map_err(io)?;
            w.put(&v).map_err(io)?;
            entries += 1;
        }
        w.put(&0u32.to_be_bytes()).map_err(io)?;
        w.put(&entries.to_be_bytes()).map_err(io)?;
        let digest = w.hasher.finish128().as_u128();
        w.inner.write_all(&digest.to_be_bytes()).map_err(io)?;
        w.inner.flush().map_err(io)?;
        Ok(BackupStats {
            entries,
            bytes: w.bytes + 16,
        })
    }

    /// Restores a backup into the folder `path`, which must hold no store yet (or an empty
    /// one). The file is read and checked whole before anything is written.
    pub fn restore(
        path: impl AsRef<Path>,
        options: &StoreOptions,
        mut input: impl Read,
    ) -> Result<BackupStats, StoreError> {
        let bad = |why: &str| StoreError::Corrupted(format!("not a complete Kommon backup: {why}"));
        let mut data = Vec::new();
        input
            .read_to_end(&mut data)
            .map_err(|e| StoreError::Corrupted(format!("reading the backup: {e}")))?;
        if !data.starts_with(MAGIC) {
            return Err(bad("it does not start with « kommon-backup 1 »"));
        }
        if data.len() < MAGIC.len() + 4 + 8 + 16 {
            return Err(bad("it is too short"));
        }
        let (body, digest) = data.split_at(data.len() - 16);
        let mut hasher = SipHasher13::new();
        hasher.write(body);
        if hasher.finish128().as_u128().to_be_bytes() != digest {
            return Err(bad("its checksum does not match (truncated or altered)"));
        }
        let mut pos = MAGIC.len();
        let mut entries: Vec<(&[u8], &[u8])> = Vec::new();
        let take = |pos: &mut usize, n: usize| -> Result<&[u8], StoreError> {
            let s = body
                .get(*pos..*pos + n)
                .ok_or_else(|| bad("an entry is cut"))?;
            *pos += n;
            Ok(s)
        };
        loop {
            let len = u32::from_be_bytes(take(&mut pos, 4)?.try_into().unwrap_or([0; 4])) as usize;
            if len == 0 {
                break;
            }
            let k = take(&mut pos, len)?;
            let vlen = u32::from_be_bytes(take(&mut pos, 4)?.try_into().unwrap_or([0; 4])) as usize;
            let v = take(&mut pos, vlen)?;
            entries.push((k, v));
        }
        let count = u64::from_be_bytes(take(&mut pos, 8)?.try_into().unwrap_or([0; 8]));
        if count != entries.len() as u64 || pos != body.len() {
            return Err(bad("its entry count does not match"));
        }
        let store = QuadStore::open(path, options)?;
        if store.inner().live().prefix([]).take(2).count() > 1 {
            return Err(StoreError::Corrupted(
                "the folder already holds data: restore into an empty folder".into(),
            ));
        }
        store.raw_load(&entries)?;
        store.flush()?;
        Ok(BackupStats {
            entries: count,
            bytes: data.len() as u64,
        })
    }
}
