// Copyright (c) 2024-present, fjall-rs
// This source code is licensed under both the Apache 2.0 and MIT License
// (found in the LICENSE-* files in the repository)

// Kommon patch: the version history with its upgrades taken out of the read path.
//
// A version upgrade (flush, compaction) writes and fsyncs the new version file. Doing that while
// holding the history's write lock stalls every read and every memtable insert for the length of
// an fsync. Upgrades here are serialized by a mutex of their own and take the write lock only to
// append the version they already persisted. Old versions taken out of the history are deleted
// (their files, and the tables only they referenced) after the lock is released, for the same
// reason: an unlink can wait for the device.

use super::{dispose_versions, persist_version, SuperVersion, SuperVersions};
use crate::{tree::sealed::SealedMemtables, SeqNo, SequenceNumberCounter};
use std::{
    ops::{Deref, DerefMut},
    path::{Path, PathBuf},
    sync::{
        Arc, LockResult, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
    },
};

/// The list of super versions of a tree, with upgrades serialized apart from readers.
pub struct VersionHistory {
    versions: RwLock<SuperVersions>,

    /// Held by whoever is installing a new version, for the whole upgrade.
    upgrades: Mutex<()>,
}

impl VersionHistory {
    /// Wraps a version history.
    pub fn new(versions: SuperVersions) -> Self {
        Self {
            versions: RwLock::new(versions),
            upgrades: Mutex::default(),
        }
    }

    /// Locks the history for reading.
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, SuperVersions>> {
        self.versions.read()
    }

    /// Locks the history for writing, for changes that never touch the disk version
    /// (memtable rotation, garbage collection of old versions).
    pub fn write(&self) -> LockResult<VersionHistoryWriteGuard<'_>> {
        self.versions
            .write()
            .map(VersionHistoryWriteGuard::new)
            .map_err(|poisoned| {
                PoisonError::new(VersionHistoryWriteGuard::new(poisoned.into_inner()))
            })
    }

    /// Takes the upgrade turn; other upgraders wait, readers and writers do not.
    pub fn upgrader(&self) -> VersionUpgrader<'_> {
        #[expect(clippy::expect_used, reason = "lock is expected to not be poisoned")]
        let turn = self.upgrades.lock().expect("lock is poisoned");

        VersionUpgrader {
            _turn: turn,
            versions: &self.versions,
        }
    }
}

/// The history locked for writing; the versions its [`maintenance`](Self::maintenance) takes out
/// are deleted once the lock is released.
pub struct VersionHistoryWriteGuard<'a> {
    versions: Option<RwLockWriteGuard<'a, SuperVersions>>,
    expired: Vec<(PathBuf, Vec<SuperVersion>)>,
}

impl<'a> VersionHistoryWriteGuard<'a> {
    fn new(versions: RwLockWriteGuard<'a, SuperVersions>) -> Self {
        Self {
            versions: Some(versions),
            expired: vec![],
        }
    }

    /// Takes out the versions no snapshot below `gc_watermark` can read any more; their files
    /// are deleted when this guard is dropped, after the lock.
    pub fn maintenance(&mut self, folder: &Path, gc_watermark: SeqNo) -> crate::Result<()> {
        let expired = self.take_expired(gc_watermark);
        if !expired.is_empty() {
            self.expired.push((folder.to_path_buf(), expired));
        }
        Ok(())
    }
}

impl Deref for VersionHistoryWriteGuard<'_> {
    type Target = SuperVersions;

    fn deref(&self) -> &SuperVersions {
        #[expect(clippy::expect_used, reason = "only taken in drop")]
        self.versions.as_ref().expect("guard is alive")
    }
}

impl DerefMut for VersionHistoryWriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut SuperVersions {
        #[expect(clippy::expect_used, reason = "only taken in drop")]
        self.versions.as_mut().expect("guard is alive")
    }
}

impl Drop for VersionHistoryWriteGuard<'_> {
    fn drop(&mut self) {
        drop(self.versions.take());

        for (folder, expired) in std::mem::take(&mut self.expired) {
            if let Err(e) = dispose_versions(&folder, expired) {
                log::warn!(
                    "Failed to delete old versions in {}: {e:?}",
                    folder.display()
                );
            }
        }
    }
}

/// The right to install new versions, held by one flush, compaction, clear or ingestion at a time.
///
/// While it is held, the disk version cannot change under its holder; only memtable rotations
/// (which add a sealed memtable and a new active one) and the removal of old versions can happen.
pub struct VersionUpgrader<'a> {
    _turn: MutexGuard<'a, ()>,
    versions: &'a RwLock<SuperVersions>,
}

impl VersionUpgrader<'_> {
    fn write(&self) -> RwLockWriteGuard<'_, SuperVersions> {
        #[expect(clippy::expect_used, reason = "lock is expected to not be poisoned")]
        self.versions.write().expect("lock is poisoned")
    }

    /// The latest super version.
    pub fn latest_version(&self) -> SuperVersion {
        #[expect(clippy::expect_used, reason = "lock is expected to not be poisoned")]
        self.versions
            .read()
            .expect("lock is poisoned")
            .latest_version()
    }

    /// Installs a version that holds the same data as the latest one, arranged differently
    /// (a flush or a compaction), persisting it without blocking readers.
    ///
    /// `f` may remove sealed memtables but must keep the active memtable: a rotation that
    /// happens while the version is persisted is carried into it.
    pub fn upgrade_version<F: FnOnce(&SuperVersion) -> crate::Result<SuperVersion>>(
        &mut self,
        tree_path: &Path,
        f: F,
        seqno: &SequenceNumberCounter,
        visible_seqno: &SequenceNumberCounter,
    ) -> crate::Result<()> {
        let seqno = seqno.next();
        let base = self.latest_version();

        let mut next_version = f(&base)?;
        next_version.seqno = seqno;
        log::trace!("Next version seqno={}", next_version.seqno);

        persist_version(tree_path, &next_version.version)?;

        let mut versions = self.write();
        let latest = versions.latest_version();

        if !Arc::ptr_eq(&latest.active_memtable, &base.active_memtable)
            && Arc::ptr_eq(&next_version.active_memtable, &base.active_memtable)
        {
            next_version.sealed_memtables = Arc::new(rebase_sealed(
                &base.sealed_memtables,
                &next_version.sealed_memtables,
                &latest.sealed_memtables,
            ));
            next_version.active_memtable = latest.active_memtable;
        }

        versions.append_version(next_version);
        drop(versions);

        visible_seqno.fetch_max(seqno + 1);

        Ok(())
    }

    /// Installs a version that changes what a snapshot reads (clear, bulk ingestion), keeping
    /// readers out until it is persisted, as upstream does for every upgrade.
    pub fn upgrade_version_exclusive<F: FnOnce(&SuperVersion) -> crate::Result<SuperVersion>>(
        &mut self,
        tree_path: &Path,
        f: F,
        seqno: SeqNo,
        visible_seqno: &SequenceNumberCounter,
    ) -> crate::Result<()> {
        self.write()
            .upgrade_version_with_seqno(tree_path, f, seqno, visible_seqno)
    }

    /// Removes the versions no snapshot below `gc_watermark` can read any more, deleting their
    /// files after the lock is released.
    pub fn maintenance(&mut self, folder: &Path, gc_watermark: SeqNo) -> crate::Result<()> {
        let expired = self.write().take_expired(gc_watermark);
        dispose_versions(folder, expired)
    }
}

/// The sealed memtables of `latest` without those the upgrade removed from `base`.
fn rebase_sealed(
    base: &SealedMemtables,
    upgraded: &SealedMemtables,
    latest: &SealedMemtables,
) -> SealedMemtables {
    base.iter()
        .map(|memtable| memtable.id())
        .filter(|id| !upgraded.contains(id))
        .fold(latest.clone(), |sealed, id| sealed.remove(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{version::Version, Memtable};
    use test_log::test;

    #[test]
    fn upgrade_keeps_a_rotation_made_while_persisting() -> crate::Result<()> {
        let dir = tempfile::tempdir()?;
        let history = VersionHistory::new(SuperVersions::new(Version::new(
            0,
            crate::TreeType::Standard,
        )));

        // Seal memtable 0, as a flush would find it
        {
            let mut versions = history.write().expect("lock is poisoned");
            let mut copy = versions.latest_version();
            let sealed = copy.active_memtable.clone();
            copy.sealed_memtables = Arc::new(copy.sealed_memtables.add(sealed));
            copy.active_memtable = Arc::new(Memtable::new(1));
            versions.replace_latest_version(copy);
        }

        let seqno = SequenceNumberCounter::default();
        let visible = SequenceNumberCounter::default();
        let mut upgrader = history.upgrader();

        upgrader.upgrade_version(
            dir.path(),
            |current| {
                // A rotation lands while the flush persists its version
                let mut versions = history.write().expect("lock is poisoned");
                let mut copy = versions.latest_version();
                let sealed = copy.active_memtable.clone();
                copy.sealed_memtables = Arc::new(copy.sealed_memtables.add(sealed));
                copy.active_memtable = Arc::new(Memtable::new(2));
                versions.replace_latest_version(copy);
                drop(versions);

                let mut copy = current.clone();
                copy.version = Version::new(1, crate::TreeType::Standard);
                copy.sealed_memtables = Arc::new(copy.sealed_memtables.remove(0));
                Ok(copy)
            },
            &seqno,
            &visible,
        )?;
        drop(upgrader);

        let latest = history.read().expect("lock is poisoned").latest_version();
        assert_eq!(1, latest.version.id());
        assert_eq!(2, latest.active_memtable.id());
        assert_eq!(
            vec![1],
            latest
                .sealed_memtables
                .iter()
                .map(|memtable| memtable.id())
                .collect::<Vec<_>>(),
        );
        assert_eq!(1, visible.get());

        Ok(())
    }

    #[test]
    fn old_versions_are_deleted_after_the_lock_is_released() -> crate::Result<()> {
        let dir = tempfile::tempdir()?;
        let history = VersionHistory::new(SuperVersions::new(Version::new(
            0,
            crate::TreeType::Standard,
        )));
        persist_version(dir.path(), &Version::new(0, crate::TreeType::Standard))?;

        let seqno = SequenceNumberCounter::default();
        let visible = SequenceNumberCounter::default();
        for id in 1..=2 {
            history.upgrader().upgrade_version(
                dir.path(),
                |current| {
                    let mut copy = current.clone();
                    copy.version = Version::new(id, crate::TreeType::Standard);
                    Ok(copy)
                },
                &seqno,
                &visible,
            )?;
        }

        let mut versions = history.write().expect("lock is poisoned");
        versions.maintenance(dir.path(), SeqNo::MAX)?;
        assert_eq!(1, versions.len());
        assert!(
            dir.path().join("v0").try_exists()?,
            "deleted under the lock"
        );
        drop(versions);

        assert!(!dir.path().join("v0").try_exists()?);
        assert!(!dir.path().join("v1").try_exists()?);
        assert!(dir.path().join("v2").try_exists()?);

        Ok(())
    }

    /// Writes, rotations, flushes, compactions and reads all at once: no write is ever unreadable,
    /// and the tree reopens with all of them.
    #[test]
    fn concurrent_flushes_and_compactions_lose_nothing() -> crate::Result<()> {
        use crate::{compaction::Leveled, AbstractTree, Config};
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

        const KEYS: u64 = 20_000;

        let dir = tempfile::tempdir()?;
        let seqno = SequenceNumberCounter::default();
        let visible = SequenceNumberCounter::default();
        let tree = Config::new(dir.path(), seqno.clone(), visible.clone()).open()?;
        let written = AtomicU64::new(0);
        let done = AtomicBool::new(false);
        let key = |i: u64| format!("key-{i:08}");

        std::thread::scope(|scope| -> crate::Result<()> {
            let writer = scope.spawn(|| {
                for i in 0..KEYS {
                    tree.insert(key(i), i.to_be_bytes(), seqno.next());
                    visible.fetch_max(seqno.get());
                    written.store(i + 1, Ordering::Release);
                    if i % 500 == 499 {
                        tree.rotate_memtable();
                    }
                }
                done.store(true, Ordering::Release);
            });

            let maintainer = scope.spawn(|| -> crate::Result<()> {
                let strategy = Arc::new(Leveled::default());
                while !done.load(Ordering::Acquire) {
                    {
                        let lock = tree.get_flush_lock();
                        tree.flush(&lock, 0)?;
                    }
                    tree.compact(strategy.clone(), 0)?;
                }
                Ok(())
            });

            let reader = scope.spawn(|| -> crate::Result<u64> {
                let mut reads = 0;
                let mut i = 0u64;
                while !done.load(Ordering::Acquire) {
                    let upto = written.load(Ordering::Acquire);
                    if upto == 0 {
                        continue;
                    }
                    i = (i + 7919) % upto;
                    let value = tree.get(key(i), visible.get())?;
                    assert_eq!(
                        Some(i.to_be_bytes().as_slice()),
                        value.as_deref(),
                        "key {i}"
                    );
                    reads += 1;
                }
                Ok(reads)
            });

            writer.join().expect("writer panicked");
            maintainer.join().expect("maintainer panicked")?;
            assert!(reader.join().expect("reader panicked")? > 0);
            Ok(())
        })?;

        tree.flush_active_memtable(0)?;
        assert!(tree.table_count() > 0);
        drop(tree);

        let tree = Config::new(dir.path(), seqno.clone(), visible.clone()).open()?;
        for i in 0..KEYS {
            assert_eq!(
                Some(i.to_be_bytes().as_slice()),
                tree.get(key(i), SeqNo::MAX)?.as_deref(),
                "key {i} after reopening",
            );
        }

        Ok(())
    }
}
