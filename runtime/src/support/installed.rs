//! A value installed for the whole process and read on the hot path: each
//! thread keeps its own copy, checked against a version bumped at each
//! installation, so that a read takes no lock while nothing changes.

use super::locks::recover;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The process's value, if one is installed.
pub(crate) struct Installed<T: ?Sized> {
    value: RwLock<Option<Arc<T>>>,
    /// Bumped at each installation, so that threads drop their copies.
    version: AtomicU64,
}

/// A thread's copy of an [`Installed`] value, as of a version.
pub(crate) struct ThreadCopy<T: ?Sized> {
    version: u64,
    value: Option<Arc<T>>,
}

impl<T: ?Sized> Installed<T> {
    pub(crate) const fn new() -> Self {
        Installed { value: RwLock::new(None), version: AtomicU64::new(0) }
    }

    /// Installs `value` (or removes the installed one); the one replaced.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "installed by the pipeline"))]
    pub(crate) fn set(&self, value: Option<Arc<T>>) -> Option<Arc<T>> {
        let replaced = std::mem::replace(&mut *recover(self.value.write()), value);
        self.version.fetch_add(1, Ordering::Release);
        replaced
    }

    /// The version of the installation now, bumped once the value is in
    /// place: a value read after a version was read is that version's or a
    /// later one's.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The installed value, read under the lock: for where a thread's copy
    /// cannot be used.
    pub(crate) fn read(&self) -> Option<Arc<T>> {
        recover(self.value.read()).clone()
    }
}

impl<T: ?Sized> ThreadCopy<T> {
    /// A copy of nothing, stale against any installation.
    pub(crate) const fn new() -> Self {
        ThreadCopy { version: u64::MAX, value: None }
    }

    /// Whether `installed` changed since this copy was made.
    pub(crate) fn is_stale(&self, installed: &Installed<T>) -> bool {
        self.version != installed.version.load(Ordering::Acquire)
    }

    /// Copies `installed` again if it changed.
    pub(crate) fn refresh(&mut self, installed: &Installed<T>) {
        let version = installed.version.load(Ordering::Acquire);
        if self.version != version {
            self.value = installed.read();
            self.version = version;
        }
    }

    pub(crate) fn value(&self) -> Option<&Arc<T>> {
        self.value.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_follows_each_installation() {
        let installed: Installed<str> = Installed::new();
        let mut copy = ThreadCopy::new();
        copy.refresh(&installed);
        assert!(copy.value().is_none());
        installed.set(Some(Arc::from("first")));
        assert!(copy.is_stale(&installed));
        copy.refresh(&installed);
        assert_eq!(copy.value().map(|value| &**value), Some("first"));
        assert_eq!(installed.set(None).as_deref(), Some("first"));
        copy.refresh(&installed);
        assert!(copy.value().is_none());
    }
}
