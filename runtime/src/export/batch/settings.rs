//! The batch span processor's sizes and timings (`OTEL_BSP_*`,
//! `Config::batch`).

use crate::error::ConfigError;
use std::time::Duration;

/// The batch processor's settings, for OTLP and for an exporter given to
/// [`Config::span_exporter`](crate::Config::span_exporter): how often it
/// exports, how many spans wait (per recording thread; more are dropped,
/// never waited for), how many go in one request, and how long one export
/// may take. Set in [`Config::batch`](crate::Config::batch), over what the
/// `OTEL_BSP_*` variables said.
///
/// An export thread exports when a thread's queue holds a batch, when the
/// schedule delay has passed, and at a flush or shutdown. Under load it
/// does not wait to be woken: it exports about every millisecond on its
/// own, and a queue that gets half full wakes it. With several export
/// threads ([`BatchSettings::export_threads`]), each serves a share of the
/// recording threads.
///
/// ```
/// use std::time::Duration;
/// let config = tracekit::Config::new()
///     .batch(|batch| batch.schedule_delay(Duration::from_millis(500)).max_queue_size(4096));
/// # let _ = config;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSettings {
    pub(crate) schedule_delay: Duration,
    pub(crate) max_queue_size: usize,
    pub(crate) max_export_batch_size: usize,
    pub(crate) export_timeout: Duration,
    pub(crate) export_threads: usize,
}

impl Default for BatchSettings {
    fn default() -> Self {
        BatchSettings {
            schedule_delay: Duration::from_millis(5000),
            max_queue_size: 2048,
            max_export_batch_size: 512,
            export_timeout: Duration::from_millis(30_000),
            export_threads: default_export_threads(),
        }
    }
}

/// Half the cores, at least two where there are two, at most eight: an
/// export thread spends on a span about what a recording thread does, so
/// a program that records on all its cores at once keeps about half of
/// them recording. A call costs the same whatever the pool's size (its
/// ring names its export thread), and an export thread with nothing to do
/// sleeps, so two cores get two.
fn default_export_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| (cores.get() / 2).max(cores.get().min(2)).min(8))
}

/// The settings the sizes came from, named in errors.
pub(crate) struct SizeSettings {
    pub(crate) queue: &'static str,
    pub(crate) batch: &'static str,
    pub(crate) threads: &'static str,
    /// What a batch larger than the queue is told.
    pub(crate) batch_fits: &'static str,
}

impl SizeSettings {
    pub(crate) const ENVIRONMENT: SizeSettings = SizeSettings {
        queue: "OTEL_BSP_MAX_QUEUE_SIZE",
        batch: "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
        threads: "TRACING_EXPORT_THREADS",
        batch_fits: "a batch size no larger than OTEL_BSP_MAX_QUEUE_SIZE",
    };
    pub(crate) const BUILDER: SizeSettings = SizeSettings {
        queue: "Config::batch",
        batch: "Config::batch",
        threads: "Config::batch",
        batch_fits: "a batch size no larger than the queue size",
    };
}

/// What a size must be.
pub(crate) const SIZE_EXPECTED: &str = "a whole number greater than zero";

/// The most export threads a batch processor starts: beyond a thread for
/// each core that records, more only wait for their turn to send.
const MAX_EXPORT_THREADS: usize = 64;

/// What the number of export threads must be.
pub(crate) const THREADS_EXPECTED: &str = "a whole number from 1 to 64";

impl BatchSettings {
    /// Time between two exports (`OTEL_BSP_SCHEDULE_DELAY`, default 5 s).
    ///
    /// ```
    /// let config = tracekit::Config::new().batch(|batch| batch.schedule_delay(std::time::Duration::from_secs(1)));
    /// # let _ = config;
    /// ```
    pub fn schedule_delay(mut self, delay: Duration) -> Self {
        self.schedule_delay = delay;
        self
    }

    /// Spans waiting for export, per recording thread and kind (calls on
    /// which nothing was recorded wait apart from other spans, so a thread
    /// holds at most twice this many); more are dropped and counted
    /// (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2,048).
    ///
    /// ```
    /// let config = tracekit::Config::new().batch(|batch| batch.max_queue_size(8192));
    /// # let _ = config;
    /// ```
    pub fn max_queue_size(mut self, spans: usize) -> Self {
        self.max_queue_size = spans;
        self
    }

    /// Spans in one export request, at most the queue size
    /// (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
    ///
    /// ```
    /// let config = tracekit::Config::new().batch(|batch| batch.max_export_batch_size(256));
    /// # let _ = config;
    /// ```
    pub fn max_export_batch_size(mut self, spans: usize) -> Self {
        self.max_export_batch_size = spans;
        self
    }

    /// Time one export may take, retries included (`OTEL_BSP_EXPORT_TIMEOUT`,
    /// default 30 s).
    ///
    /// ```
    /// let config = tracekit::Config::new().batch(|batch| batch.export_timeout(std::time::Duration::from_secs(10)));
    /// # let _ = config;
    /// ```
    pub fn export_timeout(mut self, timeout: Duration) -> Self {
        self.export_timeout = timeout;
        self
    }

    /// Threads that export, each serving a share of the threads that record
    /// (`TRACING_EXPORT_THREADS`, default half the cores, at least two
    /// where there are two, at most eight). One export thread spends on a
    /// span about what the thread that recorded it did: where many threads
    /// record at once, more export threads keep up with them. They send to the exporter in turn; each
    /// recording thread's spans go through one of them, in order.
    ///
    /// ```
    /// let config = tracekit::Config::new().batch(|batch| batch.export_threads(4));
    /// # let _ = config;
    /// ```
    pub fn export_threads(mut self, threads: usize) -> Self {
        self.export_threads = threads;
        self
    }

    /// Both sizes above zero, from 1 to 64 export threads, and a batch that
    /// fits in the queue.
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
        if !(1..=MAX_EXPORT_THREADS).contains(&self.export_threads) {
            return invalid(named.threads, self.export_threads, THREADS_EXPECTED);
        }
        if self.max_export_batch_size > self.max_queue_size {
            return invalid(named.batch, self.max_export_batch_size, named.batch_fits);
        }
        Ok(())
    }
}
