//! A counter and a histogram whose per-request writes stay on the recording thread's own cache
//! lines: each keeps [`SHARDS`] copies of its counts, every copy on lines of its own, and a
//! thread always writes the copy its index picks ([`shard`]); a scrape adds the copies up.
//!
//! With `prometheus-client`'s `Counter` (one atomic) and `Histogram` (a lock, the sum, the count
//! and the buckets) both runtime workers wrote the same lines every request, so each request
//! moved the lock's line and the buckets' lines from the other core. Here two threads share a
//! copy only if more threads than [`SHARDS`] record (the adds are atomic, so the counts stay
//! exact then, only the lines move again).
//!
//! Both encode as the crate's own do: [`ShardedCounter`] as a counter of the copies' total,
//! [`ShardedHistogram`] with the same buckets, the count being the buckets' total (every
//! observation lands in exactly one bucket, as in the crate's) and the sum each copy's sum of
//! its observations in order, the copies' sums added in copy order. One thread's observations
//! therefore sum exactly as the crate summed them; observations from several threads are added
//! in a different order than the crate's lock happened to take them, which may round the last
//! digit of the sum differently (the crate's sum then depended on the threads' interleaving).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// How many copies a metric keeps: threads beyond this many share copies.
pub(super) const SHARDS: usize = 8;

/// A value on cache lines of its own (128 bytes: the adjacent-line prefetcher pairs 64-byte
/// lines).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded<T>(T);

/// The copy the calling thread writes: threads are numbered in the order they first record.
pub(super) fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|s| *s)
}

/// A counter with a copy per shard. Clones share the counts.
#[derive(Debug, Default, Clone)]
pub(super) struct ShardedCounter {
    shards: Arc<[Padded<AtomicU64>; SHARDS]>,
}

impl ShardedCounter {
    /// Adds one in shard `shard` (of [`shard`]).
    pub(super) fn inc(&self, shard: usize) {
        self.shards[shard % SHARDS].0.fetch_add(1, Ordering::Relaxed);
    }

    /// The copies' total.
    pub(super) fn get(&self) -> u64 {
        self.shards
            .iter()
            .fold(0u64, |total, s| total.wrapping_add(s.0.load(Ordering::Relaxed)))
    }
}

impl TypedMetric for ShardedCounter {
    const TYPE: MetricType = MetricType::Counter;
}

impl EncodeMetric for ShardedCounter {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_counter::<NoLabelSet, _, u64>(&self.get(), None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// The latency histogram's buckets: the upper bounds of `exponential_buckets(0.000_05, 2.0, 18)`
/// (50 µs to 6.5536 s) and `+Inf`.
pub(super) const BUCKETS: usize = 19;

/// One copy of a histogram's counts.
#[derive(Debug, Default)]
struct HistogramShard {
    /// Observations a bucket took, not cumulative (the encoder adds them up).
    buckets: [AtomicU64; BUCKETS],
    /// The sum of the observations, as `f64` bits.
    sum: AtomicU64,
}

#[derive(Debug)]
struct HistogramInner {
    /// Upper bounds, ascending, the last `+Inf`; only read after the histogram is made.
    bounds: [f64; BUCKETS],
    shards: [Padded<HistogramShard>; SHARDS],
}

/// A histogram with a copy of its counts per shard. Clones share the counts.
#[derive(Debug, Clone)]
pub(super) struct ShardedHistogram {
    inner: Arc<HistogramInner>,
}

impl ShardedHistogram {
    /// A histogram with the upper bounds `bounds` (finite, ascending) and `+Inf`.
    pub(super) fn new(bounds: [f64; BUCKETS - 1]) -> ShardedHistogram {
        let mut all = [f64::INFINITY; BUCKETS];
        all[..BUCKETS - 1].copy_from_slice(&bounds);
        ShardedHistogram {
            inner: Arc::new(HistogramInner {
                bounds: all,
                shards: Default::default(),
            }),
        }
    }

    /// Counts `v` in shard `shard` (of [`shard`]): in the first bucket whose bound is at least
    /// `v` (NaN in the last, as the crate's).
    pub(super) fn observe(&self, shard: usize, v: f64) {
        let bucket = self
            .inner
            .bounds
            .iter()
            .position(|bound| *bound >= v)
            .unwrap_or(BUCKETS - 1);
        let counts = &self.inner.shards[shard % SHARDS].0;
        counts.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        // Only threads sharing this shard contend here; the closure never returns None.
        let _ = counts.sum.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some((f64::from_bits(bits) + v).to_bits())
        });
    }

    /// The sum, the count, and each bucket's bound and count (not cumulative), added up over
    /// the shards.
    pub(super) fn snapshot(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let mut buckets: Vec<(f64, u64)> = self.inner.bounds.iter().map(|b| (*b, 0)).collect();
        let mut sum = 0.0;
        for shard in &self.inner.shards {
            for ((_, count), taken) in buckets.iter_mut().zip(&shard.0.buckets) {
                *count = count.wrapping_add(taken.load(Ordering::Relaxed));
            }
            sum += f64::from_bits(shard.0.sum.load(Ordering::Relaxed));
        }
        let count = buckets.iter().fold(0u64, |n, (_, c)| n.wrapping_add(*c));
        (sum, count, buckets)
    }
}

impl TypedMetric for ShardedHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for ShardedHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let (sum, count, buckets) = self.snapshot();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}
