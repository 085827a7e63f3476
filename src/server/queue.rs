//! The call queue: in `token` and `strict` mode every service call costs at least one RSA
//! signature (0.25–0.5 ms of a core) and the work around it, so the calls are answered by a
//! few threads of their own, one per core, strictly in the order they arrived.
//!
//! Answered on the runtime's workers instead, a call waits for whatever the scheduler runs
//! before it: each worker takes its own connections' calls, steals from the other at random,
//! and looks for new requests only between them, so with 32 connections waiting some calls
//! overtook others many times and the slowest hundredth took ~1.7–1.9 times the mean. In arrival
//! order every call waits for the calls ahead of it and no longer: the latency at a given
//! load is the queue's length, the same for all. The workers keep what is quick (reading
//! requests, writing answers, timers); the context model's calls, which cost microseconds,
//! stay on them, where a hand-over would cost more than the call.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};

type Job = Box<dyn FnOnce() + Send>;

/// The cores the process may use (at least one).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// A first-in, first-out queue of work served by a fixed set of threads. The threads end
/// when the queue is dropped, after the work already queued.
pub struct CallQueue {
    jobs: mpsc::Sender<Job>,
    /// The threads' shared end of the queue: each holds it while it runs.
    queued: Weak<Mutex<mpsc::Receiver<Job>>>,
}

impl CallQueue {
    /// A queue served by `threads` threads (at least one) named `sfstub-call`.
    pub fn start(threads: usize) -> std::io::Result<CallQueue> {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let shared = Arc::new(Mutex::new(receiver));
        for _ in 0..threads.max(1) {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("sfstub-call".to_owned())
                .spawn(move || serve(&shared))?;
        }
        Ok(CallQueue {
            jobs,
            queued: Arc::downgrade(&shared),
        })
    }

    /// One thread per core the process may use.
    pub fn per_core() -> std::io::Result<CallQueue> {
        CallQueue::start(cores())
    }

    /// How many threads serve the queue.
    pub fn threads(&self) -> usize {
        self.queued.strong_count()
    }

    /// Queues `work` behind the work queued before it; the future answers what it returned
    /// once one of the queue's threads has run it, or `None` if it panicked (the panic hook
    /// reports it; the thread goes on with the next).
    pub fn run<T, F>(&self, work: F) -> impl Future<Output = Option<T>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if let Ok(value) = catch_unwind(AssertUnwindSafe(work)) {
                let _ = answer.send(value);
            }
        });
        // The threads hold the receiving end until the queue is dropped: sending cannot fail
        // while `&self` lives. Were they all gone, `job` is dropped and the answer is `None`
        // as for a panic, never a hang.
        let _ = self.jobs.send(job);
        async move { answered.await.ok() }
    }
}

fn serve(queued: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, not while running it.
        let next = match queued.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match next {
            Ok(job) => job(),
            Err(mpsc::RecvError) => return, // the queue is dropped and empty
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::sync_channel;

    use super::*;

    #[tokio::test]
    async fn work_runs_in_the_order_it_was_queued() {
        let queue = CallQueue::start(1).unwrap();
        // Hold the one thread until every job is queued.
        let (release, held) = sync_channel::<()>(0);
        let first = queue.run(move || held.recv().is_ok());
        let order = Arc::new(Mutex::new(Vec::new()));
        let runs: Vec<_> = (0..50)
            .map(|i| {
                let order = order.clone();
                queue.run(move || order.lock().unwrap().push(i))
            })
            .collect();
        release.send(()).unwrap();
        assert_eq!(first.await, Some(true));
        for run in runs {
            assert_eq!(run.await, Some(()));
        }
        assert_eq!(*order.lock().unwrap(), (0..50).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_panic_answers_none_and_the_thread_serves_the_next() {
        let queue = CallQueue::start(1).unwrap();
        let panicked = queue.run(|| -> u32 { panic!("a call failed") }).await;
        assert_eq!(panicked, None);
        assert_eq!(queue.run(|| 7).await, Some(7));
    }

    #[tokio::test]
    async fn every_thread_serves() {
        // Two jobs that each wait for the other can only finish on two threads.
        let queue = CallQueue::start(2).unwrap();
        let (a_tx, a_rx) = sync_channel::<()>(1);
        let (b_tx, b_rx) = sync_channel::<()>(1);
        // Bounded: on one thread the first would wait in vain and fail, not hang.
        let wait = std::time::Duration::from_secs(10);
        let a = queue.run(move || {
            a_tx.send(()).unwrap();
            b_rx.recv_timeout(wait).is_ok()
        });
        let b = queue.run(move || {
            b_tx.send(()).unwrap();
            a_rx.recv_timeout(wait).is_ok()
        });
        assert_eq!(tokio::join!(a, b), (Some(true), Some(true)));
    }

    #[tokio::test]
    async fn the_threads_end_when_the_queue_is_dropped_after_the_work_queued() {
        let queue = CallQueue::start(2).unwrap();
        assert_eq!(queue.threads(), 2);
        let (release, held) = sync_channel::<()>(0);
        let (done, finished) = mpsc::channel::<u32>();
        let mut held = Some(held);
        for i in 0..3 {
            let held = held.take();
            let done = done.clone();
            // The answer is not awaited: the work runs all the same.
            drop(queue.run(move || {
                if let Some(h) = held {
                    let _ = h.recv();
                }
                done.send(i).unwrap();
            }));
        }
        let queued = queue.queued.clone();
        drop(queue);
        drop(done);
        release.send(()).unwrap();
        let mut ran: Vec<u32> = finished.iter().collect();
        ran.sort_unstable();
        assert_eq!(ran, [0, 1, 2], "the work queued before the drop ran");
        // Each thread lets go of the queue as it ends; bounded wait for them to get there.
        for _ in 0..5000 {
            if queued.strong_count() == 0 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        panic!("{} thread(s) still serve a dropped queue", queued.strong_count());
    }
}
