//! The deadline on a request head ([`super::HEADER_TIMEOUT`]): a connection that waits that
//! long for its next request head (idle between requests, or sending a head slowly) is closed.
//!
//! Kept by one timer per connection that looks at the connection every eighth of the limit,
//! rather than by hyper's `header_read_timeout`, which made, armed and dropped a timer for
//! every request: ~800 instructions a request (callgrind on `sfstub serve` under wrk). Here a
//! request costs two relaxed atomic additions ([`Heads`]) and each poll of the connection one
//! atomic swap. The price is precision: a connection is closed between the limit and 1.25 x
//! the limit after its last answer was sent (or after it was accepted).
//!
//! The same timer's waker tells the connection that sfstub stops ([`Stop`]): a connection asks
//! whether it should finish only when told, instead of on every poll as hyper-util's
//! `GracefulShutdown` did (~400 instructions a request: its `watch::Receiver::changed` polled
//! twice a request; callgrind on `sfstub serve` under wrk).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

/// How often the connection is looked at within the limit.
const LOOKS: u32 = 8;

/// How many looks in a row must find the connection waiting for a head: one more than
/// [`LOOKS`], since the time before the first of them may have been mostly busy.
const QUIET_LOOKS: u32 = LOOKS + 1;

/// What a connection's requests tell its deadline: the heads that arrived and the answers
/// finished (a request is being answered while they differ).
#[derive(Debug, Default)]
pub struct Heads {
    arrived: AtomicU64,
    answered: AtomicU64,
}

impl Heads {
    /// A request head arrived (the service was called).
    pub fn arrived(&self) {
        self.arrived.fetch_add(1, Ordering::Relaxed);
    }

    /// The answer to a request is sent (or was given up).
    fn answered(&self) {
        self.answered.fetch_add(1, Ordering::Relaxed);
    }
}

/// A request being answered, from its head until its answer is sent (or given up): counted as
/// answered when dropped. Held by the call, then by a body sent over time.
#[derive(Debug)]
pub struct Answering(Arc<Heads>);

impl Answering {
    /// Notes that a request head arrived on the connection of `heads`.
    pub fn start(heads: &Arc<Heads>) -> Answering {
        heads.arrived();
        Answering(heads.clone())
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answered();
    }
}

/// Notes that the deadline's timer fired and wakes the connection's task.
#[derive(Debug, Default)]
struct Alarm {
    fired: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for Alarm {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.fired.store(true, Ordering::Release);
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            task.wake();
        }
    }
}

/// A connection's waker, given to hyper in place of its task's: it wakes the task, except for
/// the wake [`hush`] holds back.
struct Relay {
    task: Waker,
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let held = HUSH.with(|hush| match hush.get() {
            Hush::Off => false,
            Hush::On | Hush::Held => {
                hush.set(Hush::Held);
                true
            }
        });
        if !held {
            self.task.wake_by_ref();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hush {
    Off,
    /// A request's body is being taken on this thread.
    On,
    /// ... and it woke its connection.
    Held,
}

thread_local! {
    static HUSH: Cell<Hush> = const { Cell::new(Hush::Off) };
}

/// Ends a [`hush`] also when what it runs panics.
struct HushOff;

impl Drop for HushOff {
    fn drop(&mut self) {
        HUSH.with(|hush| hush.set(Hush::Off));
    }
}

/// Runs `take`, which takes a request's body from hyper's channel with `cx` (a connection's
/// waker, as hyper passes it to the service), without the wake that taking gives the
/// connection's own task when `spared(&result)`: the whole body taken, hyper has stopped
/// reading it, and the wake (hyper's channel wakes its sender when an item is taken) would
/// only poll the connection once more for nothing, ~900 instructions in 5 of 6 requests
/// (callgrind on `sfstub serve` under wrk). Otherwise the wake is given after all.
pub fn hush<R>(cx: &mut Context<'_>, take: impl FnOnce(&mut Context<'_>) -> R, spared: impl FnOnce(&R) -> bool) -> R {
    HUSH.with(|hush| hush.set(Hush::On));
    let off = HushOff;
    let result = take(cx);
    let woke = HUSH.with(|hush| hush.get()) == Hush::Held;
    drop(off);
    if woke && !spared(&result) {
        cx.waker().wake_by_ref();
    }
    result
}

/// Tells open connections that sfstub stops, and waits until they have finished: each
/// connection under a [`HeadDeadline`] made [`HeadDeadline::stopping`] holds a watch of it.
pub struct Stop {
    tx: watch::Sender<()>,
}

/// What a connection watches to learn that sfstub stops: it ends with the watch, which the
/// connection keeps until it is dropped (so that [`Stop::finished`] waits for it).
pub type StopWatch = Pin<Box<dyn Future<Output = watch::Receiver<()>> + Send>>;

impl Default for Stop {
    fn default() -> Stop {
        Stop {
            tx: watch::channel(()).0,
        }
    }
}

impl Stop {
    /// A watch for one connection, to hand to [`HeadDeadline::stopping`]: it tells of a stop
    /// asked for before it was made, too.
    pub fn watch(&self) -> StopWatch {
        let mut rx = self.tx.subscribe();
        Box::pin(async move {
            let _ = rx.changed().await;
            rx
        })
    }

    /// Tells every connection watching to finish, then waits until all of them are dropped.
    pub async fn finished(self) {
        let _ = self.tx.send(());
        self.tx.closed().await;
    }
}

/// How a connection is asked to finish its request in progress and close (hyper's
/// `graceful_shutdown`).
pub type Close<F> = fn(Pin<&mut F>);

/// A connection under the head deadline: its output, or `None` when it waited too long for a
/// request head and was dropped (closed).
pub struct HeadDeadline<F> {
    conn: Pin<Box<F>>,
    /// The task's waker, and the [`Relay`] to it the connection is polled with.
    relay: Option<(Waker, Waker)>,
    /// Until sfstub stops: the watch of its [`Stop`], and how to close the connection then.
    stop: Option<(StopWatch, Close<F>)>,
    /// After the stop: the watch, kept until the connection is dropped.
    stopped: Option<watch::Receiver<()>>,
    heads: Arc<Heads>,
    check: Pin<Box<Sleep>>,
    /// The time between two looks.
    step: Duration,
    alarm: Arc<Alarm>,
    /// The alarm's waker, given to the timer.
    waker: Waker,
    /// The heads that had arrived at the last look.
    seen: u64,
    /// Looks in a row at which no head had arrived and no request was being answered.
    quiet: u32,
}

impl<F: Future> HeadDeadline<F> {
    /// `conn`, closed once it has waited `limit` (to 1.25 x `limit`) for a request head, as
    /// `heads` tells.
    pub fn new(conn: F, heads: Arc<Heads>, limit: Duration) -> HeadDeadline<F> {
        let step = limit / LOOKS;
        let alarm = Arc::new(Alarm {
            // Looked at on the first poll: the timer is registered there.
            fired: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        HeadDeadline {
            conn: Box::pin(conn),
            relay: None,
            stop: None,
            stopped: None,
            heads,
            check: Box::pin(tokio::time::sleep_until(Instant::now() + step)),
            step,
            waker: Waker::from(alarm.clone()),
            alarm,
            seen: 0,
            quiet: 0,
        }
    }

    /// The connection is also closed with `close` once `watch` (of a [`Stop`]) tells that
    /// sfstub stops.
    pub fn stopping(mut self, watch: StopWatch, close: Close<F>) -> HeadDeadline<F> {
        self.stop = Some((watch, close));
        self
    }

    /// Looks at the connection when the timer fired: true when it has waited long enough.
    fn expired(&mut self) -> bool {
        let arrived = self.heads.arrived.load(Ordering::Relaxed);
        let busy = self.heads.answered.load(Ordering::Relaxed) != arrived;
        if busy || arrived != self.seen {
            self.seen = arrived;
            self.quiet = 0;
        } else {
            self.quiet += 1;
        }
        self.quiet >= QUIET_LOOKS
    }
}

impl<F: Future> Future for HeadDeadline<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if !self.relay.as_ref().is_some_and(|(task, _)| task.will_wake(cx.waker())) {
            let relay = Waker::from(Arc::new(Relay {
                task: cx.waker().clone(),
            }));
            self.relay = Some((cx.waker().clone(), relay));
        }
        let this = &mut *self;
        let Some((_, relay)) = &this.relay else {
            unreachable!("set just above")
        };
        let mut relayed = Context::from_waker(relay);
        if let Poll::Ready(out) = this.conn.as_mut().poll(&mut relayed) {
            return Poll::Ready(Some(out));
        }
        // The timer is polled only when it fired (or on the first poll), with a waker of its
        // own that wakes this task: a poll of a registered timer on every poll of the
        // connection cost what this saves.
        while self.alarm.fired.swap(false, Ordering::Acquire) {
            *self.alarm.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
            let waker = self.waker.clone();
            let mut timer = Context::from_waker(&waker);
            if let Some((watch, close)) = self.stop.as_mut()
                && let Poll::Ready(rx) = watch.as_mut().poll(&mut timer)
            {
                let close = *close;
                self.stop = None;
                self.stopped = Some(rx);
                close(self.conn.as_mut());
                let this = &mut *self;
                let Some((_, relay)) = &this.relay else {
                    unreachable!("set at the start")
                };
                if let Poll::Ready(out) = this.conn.as_mut().poll(&mut Context::from_waker(relay)) {
                    return Poll::Ready(Some(out));
                }
            }
            if self.check.as_mut().poll(&mut timer).is_pending() {
                break;
            }
            if self.expired() {
                return Poll::Ready(None);
            }
            let next = self.check.deadline() + self.step;
            self.check.as_mut().reset(next);
            // Polled again at once: registers the timer for the next quarter.
            self.alarm.fired.store(true, Ordering::Relaxed);
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection that never finishes, answering requests (a head arrives, the answer is
    /// sent) at the given times after its start.
    async fn connection(heads: Arc<Heads>, requests: Vec<(Duration, Duration)>) {
        let start = Instant::now();
        for (arrives, answered) in requests {
            tokio::time::sleep_until(start + arrives).await;
            let answering = Answering::start(&heads);
            tokio::time::sleep_until(start + answered).await;
            drop(answering);
        }
        std::future::pending::<()>().await;
    }

    /// When the connection is closed, after its start, for these requests (seconds) and a limit
    /// of 40 s.
    async fn closed_after(requests: &[(u64, u64)]) -> Duration {
        let heads = Arc::new(Heads::default());
        let requests = requests
            .iter()
            .map(|&(a, b)| (Duration::from_secs(a), Duration::from_secs(b)))
            .collect();
        let start = Instant::now();
        let conn = connection(heads.clone(), requests);
        let out = HeadDeadline::new(conn, heads, Duration::from_secs(40)).await;
        assert!(out.is_none(), "the connection ended by itself");
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_waiting_for_a_head_is_closed_after_the_limit_and_not_much_later() {
        // No request at all: closed after nine looks 5 s apart.
        assert_eq!(closed_after(&[]).await, Duration::from_secs(45));
        // Closed 40 to 50 s after the last answer was sent, wherever it falls between looks.
        for requests in [
            &[(5, 6), (39, 41), (79, 95)][..],
            &[(9, 11)],
            &[(1, 4)],
            &[(4, 6)],
            &[(3, 5), (6, 9)],
            // An answer that takes longer than the limit (a delay rule) is not cut off.
            &[(1, 200)],
        ] {
            let last = Duration::from_secs(requests.last().unwrap().1);
            let closed = closed_after(requests).await;
            assert!(
                closed >= last + Duration::from_secs(40) && closed <= last + Duration::from_secs(50),
                "{requests:?}: closed after {closed:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_ends_gives_its_output() {
        let heads = Arc::new(Heads::default());
        let conn = async {
            tokio::time::sleep(Duration::from_secs(100)).await;
            7
        };
        // Busy all along: one request being answered for the whole time.
        let _answering = Answering::start(&heads);
        let out = HeadDeadline::new(conn, heads.clone(), Duration::from_secs(40)).await;
        assert_eq!(out, Some(7));
    }
}
