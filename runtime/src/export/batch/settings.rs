//! The batch span processor's sizes and timings (`OTEL_BSP_*`,
//! `Config::batch`).

use crate::error::ConfigError;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BatchSettings {
    pub(crate) schedule_delay: Duration,
    pub(crate) max_queue_size: usize,
    pub(crate) max_export_batch_size: usize,
    pub(crate) export_timeout: Duration,
}

impl Default for BatchSettings {
    fn default() -> Self {
        BatchSettings {
            schedule_delay: Duration::from_millis(5000),
            max_queue_size: 2048,
            max_export_batch_size: 512,
            export_timeout: Duration::from_millis(30_000),
        }
    }
}

/// The settings the sizes came from, named in errors.
pub(crate) struct SizeSettings {
    pub(crate) queue: &'static str,
    pub(crate) batch: &'static str,
    /// What a batch larger than the queue is told.
    pub(crate) batch_fits: &'static str,
}

impl SizeSettings {
    pub(crate) const ENVIRONMENT: SizeSettings = SizeSettings {
        queue: "OTEL_BSP_MAX_QUEUE_SIZE",
        batch: "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
        batch_fits: "a batch size no larger than OTEL_BSP_MAX_QUEUE_SIZE",
    };
    pub(crate) const BUILDER: SizeSettings = SizeSettings {
        queue: "Config::batch",
        batch: "Config::batch",
        batch_fits: "a batch size no larger than the queue size",
    };
}

/// What a size must be.
pub(crate) const SIZE_EXPECTED: &str = "a whole number greater than zero";

impl BatchSettings {
    /// Both sizes above zero, and a batch that fits in the queue.
    pub(crate) fn check(&self, named: &SizeSettings) -> Result<(), ConfigError> {
        let invalid = |variable, value: usize, expected| {
            Err(ConfigError::InvalidValue { variable, value: value.to_string(), expected })
        };
        if self.max_queue_size == 0 {
            return invalid(named.queue, 0, SIZE_EXPECTED);
        }
        if self.max_export_batch_size == 0 {
            return invalid(named.batch, 0, SIZE_EXPECTED);
        }
        if self.max_export_batch_size > self.max_queue_size {
            return invalid(named.batch, self.max_export_batch_size, named.batch_fits);
        }
        Ok(())
    }
}
