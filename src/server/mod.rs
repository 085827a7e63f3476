//! The network side: accept connections (plain or TLS) up to the connection limit, read
//! bodies within the size limit and the body deadline, hand requests to
//! [`crate::http::handle`], and shut down gracefully within the drain deadline.
//!
//! Every way a client can hold on to sfstub is bounded: the TLS handshake
//! ([`HANDSHAKE_TIMEOUT`]), the request head and an idle keep-alive connection
//! ([`HEADER_TIMEOUT`]), the body ([`Options::body_timeout`]), taking the answer
//! ([`Options::send_timeout`]), and the number of connections ([`Options::max_connections`]; more wait
//! in the kernel's accept queue, see [`listen::BACKLOG`]).

mod body;
mod deliver;
mod head;
mod held;
mod io;
pub mod listen;
mod queue;
pub mod signals;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::app::App;
use crate::http::{fault_response, handle_parts, log_request};
use crate::soap::{Fault, SoapVersion};
use crate::tls::PeerCertificate;
use body::BodyError;
pub use listen::bind;
pub use signals::StopSignals;

/// How long a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a request head, and how long a keep-alive connection
/// may sit idle between requests: it is closed between this and 1.25 x this after its last
/// answer was sent (or after it was accepted), see [`head`].
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// How often, at most, a repeated warning (connection limit reached, accept failing) is
/// logged; the ones in between are counted in the next.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// How long to wait after a failed accept (e.g. out of descriptors) before the next.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// How the server treats connections (`--body-timeout`, `--max-connections`,
/// `--drain-timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How long a request body may take to arrive once its head has; then 408 and a fault.
    pub body_timeout: Duration,
    /// The most connections served at once; more wait in the accept queue.
    pub max_connections: usize,
    /// How long open connections may take to finish after a stop is asked for.
    pub drain_timeout: Duration,
    /// How long a client may take none of its answer before it is disconnected (no flag).
    pub send_timeout: Duration,
}

impl Options {
    /// The default body deadline.
    pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default connection limit: fits the common limit of 1024 open files.
    pub const MAX_CONNECTIONS: usize = 1000;
    /// The default drain deadline: half of `docker stop`'s 10 s grace.
    pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
    /// The default (and the binary's) send deadline.
    pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
}

impl Default for Options {
    fn default() -> Self {
        Options {
            body_timeout: Options::BODY_TIMEOUT,
            max_connections: Options::MAX_CONNECTIONS,
            drain_timeout: Options::DRAIN_TIMEOUT,
            send_timeout: Options::SEND_TIMEOUT,
        }
    }
}

/// Serves `app` over plain HTTP on `listener` with the default [`Options`] until `shutdown`
/// completes, then drains open connections for at most [`Options::DRAIN_TIMEOUT`].
pub async fn run(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    serve(listener, app, shutdown, Options::default(), None, handle_parts).await
}

/// [`run`] over HTTPS: each connection's TLS handshake goes through `acceptor` (see
/// [`crate::tls::server_config`]). A failed handshake is logged at info level and the
/// connection dropped. A client certificate reaches [`crate::http::handle`] as a
/// [`PeerCertificate`] request extension.
pub async fn run_tls(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
    acceptor: TlsAcceptor,
) -> std::io::Result<()> {
    serve(
        listener,
        app,
        shutdown,
        Options::default(),
        Some(acceptor),
        handle_parts,
    )
    .await
}

/// [`run`] (or with `tls`, [`run_tls`]) with the given options.
pub async fn run_with(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
    options: Options,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<()> {
    serve(listener, app, shutdown, options, tls, handle_parts).await
}

/// What answers a request, its head and its body, once the body is read: [`handle_parts`], or a
/// stand-in in tests. Head and body are handed over as they are: putting them together into a
/// request and apart again moved the head (~250 bytes) twice more (~60 instructions a request,
/// callgrind on `sfstub serve` under wrk).
type Handler = fn(&App, Parts, Bytes) -> Response<Bytes>;

async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
    options: Options,
    tls: Option<TlsAcceptor>,
    handler: Handler,
) -> std::io::Result<()> {
    let stop = head::Stop::default();
    let queue = call_queue(&app);
    let max = options.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    let mut full = Throttle::new(WARN_EVERY);
    let mut failing = Throttle::new(WARN_EVERY);
    tokio::pin!(shutdown);
    loop {
        // A free slot first: at the limit, new connections wait in the kernel's accept queue.
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if let Some(held) = full.ready() {
                    tracing::warn!(
                        "{max} connections open, the limit (--max-connections): new connections wait until one closes{}",
                        held_back(held)
                    );
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break, // never closed
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    if let Some(held) = failing.ready() {
                        tracing::warn!("accepting a connection failed: {e}{}", held_back(held));
                    }
                    // Out of descriptors or memory: give open connections a moment to close.
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let stream = held::Held::new(stream, options.send_timeout);
        let app = app.clone();
        let queue = queue.clone();
        match &tls {
            None => {
                let (conn, heads) = connection(app, queue, TokioIo::new(stream), None, handler, options);
                let conn = head::HeadDeadline::new(conn, heads, HEADER_TIMEOUT).stopping(stop.watch(), close);
                tokio::spawn(async move {
                    let _slot = slot;
                    ended(peer, conn.await);
                });
            }
            Some(acceptor) => {
                // Watched from here: a stop during the handshake closes the connection after it.
                let watch = stop.watch();
                let accept = acceptor.accept(stream);
                tokio::spawn(async move {
                    let _slot = slot;
                    let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
                        Ok(Ok(s)) => s,
                        // Logged at the default level: a client refused here (no or an
                        // untrusted client certificate, no common protocol) sees only a
                        // closed connection, so the reason must be on sfstub's side.
                        Ok(Err(e)) => {
                            tracing::info!(target: "sfstub::tls", "TLS handshake with {peer} refused: {e}");
                            return;
                        }
                        Err(_) => {
                            tracing::info!(target: "sfstub::tls", "TLS handshake with {peer} timed out after {HANDSHAKE_TIMEOUT:?}");
                            return;
                        }
                    };
                    let certificate = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|certs| certs.first())
                        .map(|c| PeerCertificate(c.to_vec()));
                    let (conn, heads) = connection(app, queue, TokioIo::new(stream), certificate, handler, options);
                    ended(
                        peer,
                        head::HeadDeadline::new(conn, heads, HEADER_TIMEOUT)
                            .stopping(watch, close)
                            .await,
                    );
                });
            }
        }
    }
    drop(listener);
    let drain = options.drain_timeout;
    let open = |slots: &Semaphore| max.saturating_sub(slots.available_permits());
    if open(&slots) > 0 {
        tracing::info!(
            "waiting up to {drain:?} (--drain-timeout) for {} open connection(s) to finish",
            open(&slots)
        );
    }
    tokio::select! {
        () = stop.finished() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(drain) => tracing::warn!(
            "{} connection(s) still open after {drain:?} (--drain-timeout); stopping anyway",
            open(&slots)
        ),
    }
    Ok(())
}

/// The runtime sfstub serves on, with `workers` worker threads: each sends the answers its
/// connections held back when it runs out of work ([`held`]).
pub fn runtime(workers: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .on_thread_park(held::send_held)
        .build()
}

/// How many workers the runtime gets unless `--workers` says: in `off`, where they answer the
/// service calls, one per core the process may use but one (at least one), the core left to
/// the client under test, which on a laptop, a CI runner or in a Docker demo runs beside
/// sfstub; half as many as cores (at least one) in `token` and `strict`, where the call queue
/// has a thread per core of its own ([`call_queue`]) and the workers only read requests and
/// write answers.
///
/// On 2 cores with `wrk -t1 -c32` beside the server (the same request, servers measured in
/// turn): `off` with one worker answered 84 350 / 113 313 / 101 550 requests a second with a
/// p99 of 1.30 / 0.78 / 1.12 ms, with two 93 571 / 101 121 / 104 755 and 1.18 / 2.45 / 2.02 ms
/// (two busy workers and the client on two cores: whichever waits for a core, a request waits
/// with it); bare hyper alike, 102 439 / 136 542 / 156 812 (p99 0.71–5.2 ms) on one worker,
/// 97 243 / 125 246 / 135 444 (1.3–5.8 ms) on two. In `token` and `strict` one worker per core
/// left twice as many busy threads as cores: strict answered 3 569 / 3 653 requests a second
/// with two workers and 3 852 / 3 859 with one, token 3 856 / 3 973 and 4 081 / 4 102, p99
/// alike (runs alternated).
pub fn runtime_workers(mode: crate::security::SecurityMode) -> usize {
    let cores = queue::cores();
    match mode {
        crate::security::SecurityMode::Off => cores.saturating_sub(1).max(1),
        _ => (cores / 2).max(1),
    }
}

/// In `token` and `strict` mode, the queue the service calls are answered from (see
/// [`queue`]); `None` in `off`, or if its threads cannot be started (then every call is
/// answered on the runtime's workers, as in `off`).
fn call_queue(app: &App) -> Option<Arc<queue::CallQueue>> {
    if app.security.mode == crate::security::SecurityMode::Off {
        return None;
    }
    match queue::CallQueue::per_core() {
        Ok(queue) => {
            tracing::debug!(
                "service calls are answered by {} threads in the order they arrive",
                queue.threads()
            );
            Some(Arc::new(queue))
        }
        Err(e) => {
            tracing::warn!("cannot start the threads that answer service calls ({e}): calls are answered as they come");
            None
        }
    }
}

/// Lets a repeated warning through at most once per `every`, counting the ones held back.
struct Throttle {
    every: Duration,
    last: Option<Instant>,
    held: u64,
}

impl Throttle {
    fn new(every: Duration) -> Throttle {
        Throttle {
            every,
            last: None,
            held: 0,
        }
    }

    /// `Some(number held back since the last one)` when the warning may be logged now.
    fn ready(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.last.is_some_and(|last| now.duration_since(last) < self.every) {
            self.held += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.held))
    }
}

fn held_back(held: u64) -> String {
    match held {
        0 => String::new(),
        n => format!(" (and {n} more times since the last such message)"),
    }
}

/// Logs how a connection ended, if not well: `None` when it waited too long for a request head.
fn ended(peer: std::net::SocketAddr, how: Option<Result<(), hyper::Error>>) {
    match how {
        Some(Ok(())) => {}
        Some(Err(e)) => tracing::debug!("connection from {peer}: {e}"),
        None => tracing::debug!("connection from {peer}: no request head within {HEADER_TIMEOUT:?}; closed"),
    }
}

/// One HTTP/1.1 connection over `io`, and what its requests tell its head deadline
/// ([`head::HeadDeadline`], which the caller puts it under); `certificate` (the TLS client's)
/// goes into every request's extensions.
fn connection<I>(
    app: Arc<App>,
    queue: Option<Arc<queue::CallQueue>>,
    io: I,
    certificate: Option<PeerCertificate>,
    handler: Handler,
    options: Options,
) -> (http1::Connection<I, Svc>, Arc<head::Heads>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
{
    let heads = Arc::new(head::Heads::default());
    let service = Svc {
        handling: Arc::new(Handling {
            app,
            queue,
            handler,
            body_timeout: options.body_timeout,
        }),
        certificate,
        heads: heads.clone(),
    };
    let conn = http1::Builder::new()
        // The head deadline is kept by head::HeadDeadline, not by a timer per request.
        .header_read_timeout(None)
        // A client may close its sending side right after the request (`nc -N`, `curl
        // --data @file` through some proxies): it still gets its answer.
        .half_close(true)
        .serve_connection(io, service);
    (conn, heads)
}

/// Asks a connection to finish the request it answers (if any) and close.
fn close<I>(conn: Pin<&mut http1::Connection<I, Svc>>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
{
    conn.graceful_shutdown();
}

/// The per-connection hyper service.
struct Svc {
    /// What answers the connection's requests, shared with each answer: one count taken a
    /// request, where a copy of its parts took the world's and the call queue's.
    handling: Arc<Handling>,
    certificate: Option<PeerCertificate>,
    /// The connection's heads and answers, for its head deadline.
    heads: Arc<head::Heads>,
}

impl hyper::service::Service<Request<Incoming>> for Svc {
    type Response = Response<deliver::OutBody>;
    /// A fault rule's dropped or hung call: hyper closes the connection without an answer.
    type Error = deliver::NoAnswer;
    type Future = Answer;

    fn call(&self, mut request: Request<Incoming>) -> Answer {
        if let Some(c) = &self.certificate {
            request.extensions_mut().insert(c.clone());
        }
        let answering = head::Answering::start(&self.heads);
        Answer::Start(Some((request, answering)), self.handling.clone())
    }
}

/// What answers a connection's request once its body is read.
struct Handling {
    app: Arc<App>,
    queue: Option<Arc<queue::CallQueue>>,
    handler: Handler,
    body_timeout: Duration,
}

/// The answer to one request. The common request, whose body came whole with its head, is
/// answered within the first poll, on the connection's task, without a future of its own;
/// anything else (a body still to come, a call queue, an admin rebuild, a fault rule's
/// delivery) goes on in a boxed future. A boxed `async` answer for every request cost ~600
/// instructions a request: the allocation, and moving its large state in and out (callgrind on
/// `sfstub serve` under wrk).
// The large variant is the point: boxing it would be the allocation this type saves (hyper
// keeps a connection's answer future in one box of its own, made once).
#[allow(clippy::large_enum_variant)]
enum Answer {
    /// Not polled yet: the request, the note that it is being answered, and what answers it.
    Start(Option<(Request<Incoming>, head::Answering)>, Arc<Handling>),
    /// Going on over time.
    Later(Pin<Box<dyn Future<Output = Result<Response<deliver::OutBody>, deliver::NoAnswer>> + Send>>),
}

impl Future for Answer {
    type Output = Result<Response<deliver::OutBody>, deliver::NoAnswer>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let later = match &mut *self {
            Answer::Later(later) => return later.as_mut().poll(cx),
            Answer::Start(start, handling) => {
                let Some((request, answering)) = start.take() else {
                    // Polled again after it gave its answer: hyper never does that.
                    return std::task::Poll::Ready(Err(deliver::NoAnswer("the answer was given already")));
                };
                let (parts, mut body) = request.into_parts();
                let max = handling.app.limits.max_body;
                let started_body = head::hush(
                    cx,
                    |cx| body::start(&mut body, max, cx),
                    |started| matches!(started, body::Started::Whole(_)),
                );
                match started_body {
                    body::Started::Whole(bytes) if handling.queue.is_none() || parts.method != hyper::Method::POST => {
                        if rebuilds(&parts) {
                            let app = handling.app.clone();
                            let handler = handling.handler;
                            Box::pin(async move {
                                let response = rebuild(app, parts, bytes, handler).await;
                                deliver::deliver(response, answering).await
                            }) as Pin<Box<dyn Future<Output = _> + Send>>
                        } else {
                            let response = (handling.handler)(&handling.app, parts, bytes);
                            if !deliver::touched(&response) {
                                drop(answering);
                                return std::task::Poll::Ready(Ok(response.map(|b| deliver::OutBody::Whole(Some(b)))));
                            }
                            Box::pin(deliver::deliver(response, answering))
                        }
                    }
                    started_body => {
                        let started = Instant::now();
                        let app = handling.app.clone();
                        let queue = handling.queue.clone();
                        let (handler, body_timeout) = (handling.handler, handling.body_timeout);
                        Box::pin(async move {
                            let request = (parts, body, started_body);
                            let response = serve_one(app, queue, request, handler, body_timeout, started).await;
                            deliver::deliver(response, answering).await
                        })
                    }
                }
            }
        };
        *self = Answer::Later(later);
        let Answer::Later(later) = &mut *self else {
            unreachable!("set just above")
        };
        later.as_mut().poll(cx)
    }
}

/// True for admin requests that may rebuild the world (adding persons, reset, reload): they
/// run on the blocking pool, so a large world being built never holds up a worker.
fn rebuilds(parts: &Parts) -> bool {
    parts.method != hyper::Method::GET
        && parts.method != hyper::Method::HEAD
        && parts.uri.path().starts_with(crate::admin::PREFIX)
}

/// Answers an admin request that may rebuild the world, on the blocking pool.
async fn rebuild(app: Arc<App>, parts: Parts, body: Bytes, handler: Handler) -> Response<Bytes> {
    match tokio::task::spawn_blocking(move || handler(&app, parts, body)).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!("an admin request failed: {e}");
            let mut r = Response::new(Bytes::from_static(b"sfstub failed to answer this admin request\n"));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

/// The SOAP version of a fault sfstub answers itself (a body too large, late or unreadable; a
/// failed call), guessed from the Content-Type. Looked up only when there is such a fault: the
/// lookup hashes the name, and with the guess cost every request ~160 instructions.
fn fault_version(headers: &hyper::HeaderMap) -> SoapVersion {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    SoapVersion::guess_from_content_type(content_type)
}

/// Answers a request whose body was not there whole at once (or that goes to the call queue):
/// its head, its body and how far [`body::start`] got with it; `started` is when it arrived.
async fn serve_one(
    app: Arc<App>,
    queue: Option<Arc<queue::CallQueue>>,
    (parts, body, started_body): (hyper::http::request::Parts, Incoming, body::Started),
    handler: Handler,
    body_timeout: Duration,
    started: Instant,
) -> Response<Bytes> {
    let max = app.limits.max_body;
    let fault = match body::rest(body, started_body, max, body_timeout).await {
        Ok(bytes) => {
            if rebuilds(&parts) {
                return rebuild(app, parts, bytes, handler).await;
            }
            let Some(queue) = queue.filter(|_| parts.method == hyper::Method::POST) else {
                return handler(&app, parts, bytes);
            };
            let version = fault_version(&parts.headers);
            if let Some(response) = queue.run(move || handler(&app, parts, bytes)).await {
                return response;
            }
            // The panic hook has written what failed and where to the log.
            return fault_response(&Fault::receiver(
                version,
                "sfstub failed while answering this call; its log says where",
            ));
        }
        Err(BodyError::TooLarge) => {
            let mut fault = Fault::sender(
                fault_version(&parts.headers),
                format!("the request body is larger than the limit of {max} bytes (--max-body)"),
            );
            fault.status = Some(StatusCode::PAYLOAD_TOO_LARGE);
            fault
        }
        Err(BodyError::TimedOut) => {
            let mut fault = Fault::sender(
                fault_version(&parts.headers),
                format!("the request body did not arrive within {body_timeout:?} of its head (--body-timeout)"),
            );
            fault.status = Some(StatusCode::REQUEST_TIMEOUT);
            fault
        }
        Err(BodyError::Read(e)) => Fault::sender(
            fault_version(&parts.headers),
            format!("the request body could not be read: {e}"),
        ),
    };
    let mut response = fault_response(&fault);
    // The rest of the body is not read: the connection cannot carry another request.
    response
        .headers_mut()
        .insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    let outcome = format!("fault: {}", fault.reason);
    log_request(
        &parts.method,
        parts.uri.path(),
        response.status(),
        None,
        &outcome,
        started.elapsed(),
        std::time::SystemTime::now(),
    );
    response
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::app::Limits;
    use crate::scenario::Scenario;
    use crate::security::keys::{Identity, KeyMaterial, thumbprint};
    use crate::tls::{ClientAuth, client_config, server_config};

    /// Answers with the thumbprint of the request's `PeerCertificate`, or `none`.
    fn echo_peer(_: &App, parts: Parts, _: Bytes) -> Response<Bytes> {
        let body = match parts.extensions.get::<PeerCertificate>() {
            Some(c) => thumbprint(&c.0),
            None => "none".to_owned(),
        };
        Response::new(Bytes::from(body))
    }

    async fn get(addr: std::net::SocketAddr, keys: &KeyMaterial, client: Option<&Identity>) -> String {
        let config = client_config(std::slice::from_ref(&keys.ca.cert_der), client).unwrap();
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
        let mut tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .unwrap();
        tls.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Answers with the name of the thread that answered, after panicking on a `panic` path.
    fn thread_name(_: &App, parts: Parts, _: Bytes) -> Response<Bytes> {
        assert!(parts.uri.path() != "/panic", "a handler failed");
        Response::new(Bytes::from(std::thread::current().name().unwrap_or("").to_owned()))
    }

    async fn plain(addr: std::net::SocketAddr, head: &str) -> String {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(head.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tcp.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Who answers a POST and a GET, and what a POST whose handler panics gets, in `mode`.
    async fn answered_in(mode: crate::security::SecurityMode) -> (String, String, String) {
        let mut scenario = Scenario::builtin();
        scenario.security.mode = mode;
        let app = Arc::new(App::new(scenario, Limits::default()));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let server = tokio::spawn(serve(listener, app, shutdown, Options::default(), None, thread_name));
        let post =
            |path: &str| format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
        let posted = plain(addr, &post("/kontrolsaglistehent/1")).await;
        let got = plain(addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        let failed = if mode == crate::security::SecurityMode::Off {
            String::new()
        } else {
            let failed = plain(addr, &post("/panic")).await;
            // The thread that met the panic answers the next call.
            let again = plain(addr, &post("/kontrolsaglistehent/1")).await;
            assert!(again.ends_with("\r\n\r\nsfstub-call"), "{again}");
            failed
        };
        let _ = stop.send(());
        server.await.unwrap().unwrap();
        (posted, got, failed)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn token_and_strict_calls_are_answered_from_the_call_queue_and_survive_a_panic() {
        use crate::security::SecurityMode;
        for mode in [SecurityMode::Token, SecurityMode::Strict] {
            let (posted, got, failed) = answered_in(mode).await;
            assert!(
                posted.starts_with("HTTP/1.1 200") && posted.ends_with("\r\n\r\nsfstub-call"),
                "{posted}"
            );
            assert!(
                got.starts_with("HTTP/1.1 200") && !got.ends_with("sfstub-call"),
                "{got}"
            );
            assert!(failed.starts_with("HTTP/1.1 500"), "{failed}");
            assert!(
                failed.contains("sfstub failed while answering this call; its log says where"),
                "{failed}"
            );
        }
        let (posted, _, _) = answered_in(SecurityMode::Off).await;
        assert!(
            posted.starts_with("HTTP/1.1 200") && !posted.ends_with("sfstub-call"),
            "{posted}"
        );
    }

    #[test]
    fn repeated_warnings_are_held_back_and_counted() {
        let mut throttle = Throttle::new(Duration::from_secs(3600));
        assert_eq!(throttle.ready(), Some(0));
        assert_eq!(throttle.ready(), None);
        assert_eq!(throttle.ready(), None);
        throttle.last = throttle.last.and_then(|t| t.checked_sub(Duration::from_secs(3600)));
        assert_eq!(throttle.ready(), Some(2));
    }

    #[tokio::test]
    async fn the_tls_client_certificate_reaches_the_handler_as_a_request_extension() {
        let app = Arc::new(App::new(Scenario::builtin(), Limits::default()));
        let keys = app.keys.clone();
        let config = server_config(&keys, ClientAuth::Optional, None).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let server = tokio::spawn(serve(
            listener,
            app,
            shutdown,
            Options::default(),
            Some(TlsAcceptor::from(config)),
            echo_peer,
        ));
        let with = get(addr, &keys, Some(&keys.client)).await;
        assert!(with.starts_with("HTTP/1.1 200"), "{with}");
        assert!(with.ends_with(&thumbprint(&keys.client.cert_der)), "{with}");
        let without = get(addr, &keys, None).await;
        assert!(without.ends_with("\r\n\r\nnone"), "{without}");
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }
}
