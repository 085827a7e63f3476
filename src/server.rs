//! The network side: accept connections (plain or TLS), read bodies within the size limit, hand
//! requests to [`crate::http::handle`], and shut down gracefully.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::app::App;
use crate::http::{fault_response, handle};
use crate::soap::{Fault, SoapVersion};
use crate::tls::PeerCertificate;

/// How long open connections may take to finish after shutdown is asked for.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// Serves `app` over plain HTTP on `listener` until `shutdown` completes, then drains open
/// connections for at most [`DRAIN_DEADLINE`].
pub async fn run(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    serve(listener, app, shutdown, None, handle).await
}

/// [`run`] over HTTPS: each connection's TLS handshake goes through `acceptor` (see
/// [`crate::tls::server_config`]). A failed handshake is logged at info level and the
/// connection dropped. A client certificate reaches [`handle`] as a
/// [`PeerCertificate`] request extension.
pub async fn run_tls(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
    acceptor: TlsAcceptor,
) -> std::io::Result<()> {
    serve(listener, app, shutdown, Some(acceptor), handle).await
}

/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What answers a request once its body is read: [`handle`], or a stand-in in tests.
type Handler = fn(&App, Request<Bytes>) -> Response<Bytes>;

async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
    tls: Option<TlsAcceptor>,
    handler: Handler,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                match &tls {
                    None => {
                        let conn = graceful.watch(connection(app, TokioIo::new(stream), None, handler));
                        tokio::spawn(async move {
                            if let Err(e) = conn.await {
                                tracing::debug!("connection from {peer}: {e}");
                            }
                        });
                    }
                    Some(acceptor) => {
                        let accept = acceptor.accept(stream);
                        let watcher = graceful.watcher();
                        tokio::spawn(async move {
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
                            let conn = connection(app, TokioIo::new(stream), certificate, handler);
                            if let Err(e) = watcher.watch(conn).await {
                                tracing::debug!("connection from {peer}: {e}");
                            }
                        });
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(DRAIN_DEADLINE) => tracing::warn!("connections still open after {DRAIN_DEADLINE:?}; stopping anyway"),
    }
    Ok(())
}

/// One HTTP/1.1 connection over `io`; `certificate` (the TLS client's) goes into every
/// request's extensions.
fn connection<I>(
    app: Arc<App>,
    io: I,
    certificate: Option<PeerCertificate>,
    handler: Handler,
) -> http1::Connection<I, Svc>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
{
    let service = Svc {
        app,
        certificate,
        handler,
    };
    http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(io, service)
}

/// The per-connection hyper service.
struct Svc {
    app: Arc<App>,
    certificate: Option<PeerCertificate>,
    handler: Handler,
}

impl hyper::service::Service<Request<Incoming>> for Svc {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        if let Some(c) = &self.certificate {
            request.extensions_mut().insert(c.clone());
        }
        let app = self.app.clone();
        let handler = self.handler;
        Box::pin(async move { Ok(serve_one(&app, request, handler).await) })
    }
}

async fn serve_one(app: &App, request: Request<Incoming>, handler: Handler) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let max = app.limits.max_body;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let version = SoapVersion::guess_from_content_type(content_type);
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(version, max);
    }
    let bytes = match Limited::new(body, max).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return too_large(version, max);
        }
        Err(e) => {
            let fault = Fault::sender(version, format!("the request body could not be read: {e}"));
            return fault_response(&fault).map(Full::new);
        }
    };
    handler(app, Request::from_parts(parts, bytes)).map(Full::new)
}

fn too_large(version: SoapVersion, max: usize) -> Response<Full<Bytes>> {
    let mut fault = Fault::sender(
        version,
        format!("the request body is larger than the limit of {max} bytes (--max-body)"),
    );
    fault.status = Some(StatusCode::PAYLOAD_TOO_LARGE);
    fault_response(&fault).map(Full::new)
}

/// Resolves on SIGINT or SIGTERM (`docker stop`).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
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
    fn echo_peer(_: &App, request: Request<Bytes>) -> Response<Bytes> {
        let body = match request.extensions().get::<PeerCertificate>() {
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
