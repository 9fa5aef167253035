//! Time as the pipeline sees it. Signature checks and token expiry compare against this clock, so
//! tests can set it (to a SigV4 test vector's timestamp, say) instead of sleeping or mocking
//! the OS.

use std::time::SystemTime;
#[cfg(any(test, feature = "test-util"))]
use std::{sync::Mutex, time::Duration};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> SystemTime;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stays where it is set. For tests (feature `test-util`): never in the binary.
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug)]
pub struct FixedClock(Mutex<SystemTime>);

#[cfg(any(test, feature = "test-util"))]
impl FixedClock {
    pub fn new(at: SystemTime) -> FixedClock {
        FixedClock(Mutex::new(at))
    }

    pub fn set(&self, at: SystemTime) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0.lock().map_or_else(|_| SystemTime::now(), |t| *t)
    }
}
