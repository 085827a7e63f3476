//! Answers held back while the worker has work, and sent together when it runs out: the
//! "before sleep" write of event-loop servers such as Redis.
//!
//! A worker that answers each request the moment it is made wakes its client for every
//! answer. Against a client as fast as the server, as bare hyper and `wrk` on two cores, the
//! client is always awake anyway. Against a client faster than the server, as every client of
//! sfstub is, the client reads an answer, sends the next request and falls asleep before the
//! next answer comes; waking it again costs the worker's `write` an interrupt to the other
//! core (on a virtual machine, an exit to the host): measured on two cores with `wrk -t1
//! -c32`, 6.7 µs of system time a request on sfstub's worker against bare hyper's 4.4.
//!
//! So a connection polled on a runtime worker keeps what hyper writes ([`Held`]) and tells
//! hyper it was written; the worker sends all connections' held bytes when it has no task
//! left to poll, just before it waits for the network ([`send_held`], the runtime's
//! `on_thread_park`), or when it has held [`WRITE_LIMIT`] writes. The client then wakes once
//! for many answers. Measured the same way: 4.3 µs of system time a request, and 67 % → 72 %
//! of bare hyper's requests a second (see the README's performance section).
//!
//! What this changes for a client: nothing it could see but the timing. Bytes leave in the
//! order written. An answer waits until its worker runs out of tasks to poll or has held
//! [`WRITE_LIMIT`] writes: behind the other requests that were ready with it, and behind a
//! slow call on the same worker as before. A write that does not fit what a connection may
//! hold ([`HOLD_LIMIT`]), any write while bytes the worker could not send wait
//! ([`Out::stranded`]), and any write of a connection whose task moved to another worker while
//! its bytes wait in the first one's queue go out at once, after what waits, under the send
//! deadline as before ([`super::io::SendTimeout`]); so does anything written on a thread that
//! is not a worker of sfstub's runtime ([`HOLDING`]). Bytes the worker could not send when
//! the connection has ended are sent by a task of their own ([`send_rest`]).

use std::cell::{Cell, RefCell};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::io::SendTimeout;

/// The most bytes a connection holds; a longer write goes out at once (after what is held).
pub const HOLD_LIMIT: usize = 64 * 1024;

/// The most writes a worker holds between two sends: the one that makes this many sends all
/// (a client that pipelines requests without end cannot keep the others' answers waiting).
pub const WRITE_LIMIT: u32 = 64;

/// The most room a connection keeps for what it holds between answers.
const KEPT_ROOM: usize = 16 * 1024;

thread_local! {
    /// Whether this thread is a runtime worker that calls [`send_held`] before it parks: set
    /// by its first call (only a runtime's workers park), so that a thread that never calls
    /// it (a test's runtime, the blocking pool) never holds a byte.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
    /// The connections holding bytes on this thread, each once.
    static QUEUE: RefCell<Vec<Arc<Shared>>> = const { RefCell::new(Vec::new()) };
    /// The writes held on this thread since it last sent them.
    static WRITES: Cell<u32> = const { Cell::new(0) };
}

/// This thread, as [`Out::queued_on`] names it (never 0).
fn this_thread() -> usize {
    QUEUE.with(|q| std::ptr::from_ref(q).addr())
}

/// Sends the bytes held by the connections polled on this thread, and lets them hold from
/// now on: a runtime's `on_thread_park` ([`super::runtime`]). A connection whose client takes
/// less than all is woken to send the rest under its send deadline; one whose socket fails is
/// woken to end with the error.
pub fn send_held() {
    HOLDING.set(true);
    WRITES.set(0);
    let mut queue = QUEUE.with_borrow_mut(std::mem::take);
    for shared in queue.drain(..) {
        let mut out = shared.lock();
        out.queued_on = 0;
        if let Err(e) = out.send_now() {
            out.failed = Some(e);
        }
        if !out.stranded() {
            continue;
        }
        if let Some(waker) = out.waker.take() {
            waker.wake();
        }
        if Arc::strong_count(&shared) == 1 {
            // The connection ended while its bytes were held: the rest is sent by a task.
            drop(out);
            send_rest(shared);
        }
    }
    // The queue's room kept for the next time (nothing is queued while this runs).
    QUEUE.with_borrow_mut(|q| {
        if q.is_empty() {
            *q = queue;
        }
    });
}

/// Sends what `shared` holds under its send deadline, then ends its sending side: for a
/// connection that ended while its bytes waited. Nothing is sent outside a runtime.
fn send_rest(shared: Arc<Shared>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(std::future::poll_fn(move |cx| {
            let mut out = shared.lock();
            ready!(out.drain(cx))?;
            Pin::new(&mut out.write).poll_shutdown(cx)
        }));
    }
}

/// A connection's TCP stream whose writes, on a thread that holds answers, wait for
/// [`send_held`].
pub struct Held {
    read: OwnedReadHalf,
    shared: Arc<Shared>,
}

struct Shared {
    out: Mutex<Out>,
}

/// A connection's writing side and what it holds.
struct Out {
    write: SendTimeout<OwnedWriteHalf>,
    /// The bytes held, of which those from `start` on are still to be sent.
    bytes: Vec<u8>,
    /// How much of `bytes` went already (the worker sent part of them).
    start: usize,
    /// The worker whose [`QUEUE`] the connection is in ([`this_thread`]), or 0.
    queued_on: usize,
    /// Why the worker could not send `bytes`: the connection's next read or write fails so.
    failed: Option<io::Error>,
    /// The connection's task, woken when the worker could not send all.
    waker: Option<Waker>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Out> {
        self.out.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Out {
    /// Whether bytes wait that the worker will not send (it could not), or an error: the
    /// connection's task sends them, or ends with it, before anything else.
    fn stranded(&self) -> bool {
        self.queued_on == 0 && (!self.bytes.is_empty() || self.failed.is_some())
    }

    /// Everything held went: the room is kept for the next answer unless it is large.
    fn emptied(&mut self) {
        self.start = 0;
        if self.bytes.capacity() > KEPT_ROOM {
            self.bytes = Vec::new();
        } else {
            self.bytes.clear();
        }
    }

    /// Sends what is held as far as the socket takes it now: whether all went.
    fn send_now(&mut self) -> io::Result<bool> {
        while self.start < self.bytes.len() {
            match self.write.get_ref().try_write(&self.bytes[self.start..]) {
                Ok(n) => {
                    self.start += n;
                    // The client takes: a deadline a write of its task started is void.
                    self.write.progressed();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        self.emptied();
        Ok(true)
    }

    /// Sends what is held, waiting for the client under the send deadline.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.failed.take() {
            return Poll::Ready(Err(e));
        }
        while self.start < self.bytes.len() {
            let n = ready!(Pin::new(&mut self.write).poll_write(cx, &self.bytes[self.start..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.start += n;
        }
        self.emptied();
        Poll::Ready(Ok(()))
    }
}

impl Held {
    /// Wraps `stream`, whose writes fail after `send_timeout` without progress.
    pub fn new(stream: TcpStream, send_timeout: Duration) -> Held {
        let (read, write) = stream.into_split();
        Held {
            read,
            shared: Arc::new(Shared {
                out: Mutex::new(Out {
                    write: SendTimeout::new(write, send_timeout),
                    bytes: Vec::new(),
                    start: 0,
                    queued_on: 0,
                    failed: None,
                    waker: None,
                }),
            }),
        }
    }

    fn write(&self, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let total = bufs.iter().map(|b| b.len()).sum::<usize>();
        let here = this_thread();
        let mut out = self.shared.lock();
        // Held on a worker, unless bytes wait that the worker could not send, or the
        // connection's bytes wait in another worker's queue (its task moved): then sent now.
        if HOLDING.get()
            && !out.stranded()
            && out.bytes.len() + total <= HOLD_LIMIT
            && (out.queued_on == 0 || out.queued_on == here)
        {
            for b in bufs {
                out.bytes.extend_from_slice(b);
            }
            if !out.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                out.waker = Some(cx.waker().clone());
            }
            if out.queued_on == 0 {
                out.queued_on = here;
                drop(out);
                QUEUE.with_borrow_mut(|q| q.push(self.shared.clone()));
            } else {
                drop(out);
            }
            let writes = WRITES.get() + 1;
            WRITES.set(writes);
            if writes >= WRITE_LIMIT {
                send_held();
            }
            return Poll::Ready(Ok(total));
        }
        ready!(out.drain(cx))?;
        Pin::new(&mut out.write).poll_write_vectored(cx, bufs)
    }
}

impl Drop for Held {
    /// Bytes that wait for the connection's task (the worker could not send them all) are sent
    /// by a task of their own; bytes in a worker's queue are sent by the worker.
    fn drop(&mut self) {
        let stranded = {
            let out = self.shared.lock();
            out.stranded() && out.failed.is_none()
        };
        if stranded {
            send_rest(self.shared.clone());
        }
    }
}

impl AsyncRead for Held {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        {
            // What the worker could not send goes first, under the send deadline (the
            // deadline's timer wakes this task).
            let mut out = this.shared.lock();
            if out.stranded()
                && let Poll::Ready(Err(e)) = out.drain(cx)
            {
                return Poll::Ready(Err(e));
            }
        }
        Pin::new(&mut this.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for Held {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.write(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.write(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut out = self.shared.lock();
        if out.queued_on == this_thread() {
            // Sent by this worker before it parks.
            return Poll::Ready(Ok(()));
        }
        ready!(out.drain(cx))?;
        Pin::new(&mut out.write).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut out = self.shared.lock();
        ready!(out.drain(cx))?;
        Pin::new(&mut out.write).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::time::Instant;

    use tokio::io::AsyncWriteExt;

    use super::*;

    /// A connection to a listener on loopback: the client's end (blocking, a read deadline of
    /// 10 s), and the server's end wrapped with `send_timeout`.
    async fn connected(send_timeout: Duration) -> (std::net::TcpStream, Held) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || std::net::TcpStream::connect(addr).unwrap());
        let (server, _) = listener.accept().await.unwrap();
        let client = client.join().unwrap();
        client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        (client, Held::new(server, send_timeout))
    }

    fn held_bytes(held: &Held) -> Vec<u8> {
        held.shared.lock().bytes.clone()
    }

    #[test]
    fn a_worker_holds_answers_until_it_parks_and_sends_them_in_order() {
        let runtime = super::super::runtime(1).unwrap();
        // Chunks that fit what a connection holds and some that do not, written back to back
        // and with the worker parking in between.
        let chunks: Vec<Vec<u8>> = [10, 3000, HOLD_LIMIT + 1, 5, HOLD_LIMIT, 1, 40_000, 40_000, 7]
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 31 + j % 251) as u8).collect())
            .collect();
        let expected = chunks.concat();
        let (mut client, held_first) = runtime.block_on(async {
            tokio::spawn(async move {
                let (client, mut held) = connected(Duration::from_secs(5)).await;
                // This thread is a worker that parks.
                send_held();
                held.write_all(b"first").await.unwrap();
                held.flush().await.unwrap();
                let held_first = held_bytes(&held);
                tokio::spawn(async move {
                    for (i, chunk) in chunks.iter().enumerate() {
                        held.write_all(chunk).await.unwrap();
                        held.flush().await.unwrap();
                        if i % 3 == 0 {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                    held.shutdown().await.unwrap();
                });
                (client, held_first)
            })
            .await
            .unwrap()
        });
        // Written and flushed as far as hyper can tell, yet held by the worker.
        assert_eq!(held_first, b"first");
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(&got[..5], b"first");
        assert!(
            got[5..] == expected[..],
            "{} bytes, {} expected",
            got.len() - 5,
            expected.len()
        );
    }

    #[test]
    fn held_bytes_a_client_does_not_take_end_the_connection_after_the_send_deadline() {
        let runtime = super::super::runtime(1).unwrap();
        let started = Instant::now();
        let (error, sent, _client) = runtime.block_on(async {
            tokio::spawn(async move {
                let (client, mut held) = connected(Duration::from_millis(200)).await;
                send_held();
                // Chunks the worker holds and sends when it parks, until the client's socket
                // takes no more: the rest waits for the connection's task, which fails after
                // the deadline. The client never reads.
                let chunk = vec![b'x'; HOLD_LIMIT / 2];
                let mut sent = 0usize;
                loop {
                    if let Err(e) = held.write_all(&chunk).await {
                        return (e, sent, client);
                    }
                    sent += chunk.len();
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    assert!(sent < 1 << 30, "a client that reads nothing took 1 GiB");
                }
            })
            .await
            .unwrap()
        });
        assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error}");
        assert!(sent > 0);
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn a_worker_sends_what_it_holds_after_the_write_limit() {
        let runtime = super::super::runtime(1).unwrap();
        let (mut client, held_before, held_after) = runtime.block_on(async {
            tokio::spawn(async move {
                let (client, mut held) = connected(Duration::from_secs(5)).await;
                send_held();
                // All within one poll: the worker does not park in between.
                for _ in 1..WRITE_LIMIT {
                    held.write_all(b"x").await.unwrap();
                }
                let before = held_bytes(&held).len();
                held.write_all(b"y").await.unwrap();
                (client, before, held_bytes(&held).len())
            })
            .await
            .unwrap()
        });
        assert_eq!(held_before, WRITE_LIMIT as usize - 1);
        assert_eq!(held_after, 0);
        let mut got = vec![0; WRITE_LIMIT as usize];
        client.read_exact(&mut got).unwrap();
        assert_eq!(got.iter().filter(|&&b| b == b'x').count(), WRITE_LIMIT as usize - 1);
        assert_eq!(got.last(), Some(&b'y'));
    }

    #[test]
    fn bytes_the_worker_could_not_send_are_sent_after_the_connection_ends() {
        let runtime = super::super::runtime(1).unwrap();
        let (client, sent) = runtime.block_on(async {
            tokio::spawn(async move {
                let (client, mut held) = connected(Duration::from_secs(10)).await;
                send_held();
                // Until the client's socket takes no more of what the worker sends (the
                // client reads nothing yet): the rest waits for the connection's task.
                let mut sent = 0usize;
                loop {
                    let chunk = vec![(sent / 16_000 % 251) as u8; 16_000];
                    held.write_all(&chunk).await.unwrap();
                    sent += chunk.len();
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    if held.shared.lock().stranded() {
                        break;
                    }
                    assert!(sent < 1 << 30, "a client that reads nothing took 1 GiB");
                }
                // The connection ends (as hyper drops it after an error on a later request).
                drop(held);
                (client, sent)
            })
            .await
            .unwrap()
        });
        let got = std::thread::spawn(move || {
            let mut client = client;
            let mut got = Vec::new();
            client.read_to_end(&mut got).map(|_| got)
        })
        .join()
        .unwrap()
        .unwrap();
        assert_eq!(got.len(), sent);
        assert!(
            got.chunks(16_000)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == (i % 251) as u8))
        );
        drop(runtime);
    }

    #[tokio::test]
    async fn a_thread_that_is_not_a_worker_writes_at_once() {
        let (mut client, mut held) = connected(Duration::from_secs(5)).await;
        held.write_all(b"now").await.unwrap();
        assert!(held_bytes(&held).is_empty());
        let got = tokio::task::spawn_blocking(move || {
            let mut got = [0; 3];
            client.read_exact(&mut got).map(|()| got)
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(&got, b"now");
    }
}
