//! The harness: the real server with TLS on 127.0.0.1:0 in the test's runtime, a TLS client that
//! trusts only the PEM files a test gives it, and temporary directories that clean up.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use sfstub::app::{App, Limits};
use sfstub::security::keys::{Identity, KeyMaterial};
use sfstub::tls::ClientAuth;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use crate::world::{CLOCK, scenario};

/// Generous: only here so a server that never answers fails the test instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A running HTTPS server; asked to stop when dropped.
pub struct TestApp {
    pub addr: SocketAddr,
    pub keys: Arc<KeyMaterial>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `sfstub::server::run_tls` with the process's shared test keys, `client_auth` and an extra
/// client CA, on 127.0.0.1:0.
pub async fn spawn_tls_app(client_auth: ClientAuth, extra_client_ca: Option<&Path>) -> TestApp {
    let app = Arc::new(App::new(scenario(), Limits::default()));
    let keys = app.keys.clone();
    let config = sfstub::tls::server_config(&keys, client_auth, extra_client_ca).expect("the TLS configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("the bound address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(sfstub::server::run_tls(listener, app, shutdown, acceptor));
    TestApp {
        addr,
        keys,
        stop: Some(stop),
    }
}

/// A client trusting only the certificates in the PEM file `trust`, presenting the PEM
/// certificate and key in `client` if given.
pub fn client(trust: &Path, client: Option<(&Path, &Path)>) -> Arc<ClientConfig> {
    let roots: Vec<Vec<u8>> = CertificateDer::pem_file_iter(trust)
        .expect("the trust file opens")
        .map(|c| c.expect("a PEM certificate").to_vec())
        .collect();
    let identity = client.map(|(cert, key)| Identity::from_pem_files(cert, key).expect("the client certificate"));
    sfstub::tls::client_config(&roots, identity.as_ref()).expect("the client configuration")
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Sends `request` (raw HTTP/1.1, with `Connection: close`) over TLS to `addr`, addressed as
/// 127.0.0.1, and reads the reply. A refused handshake or a connection closed without a reply
/// is an error.
pub async fn send(addr: SocketAddr, config: Arc<ClientConfig>, request: &[u8]) -> io::Result<Reply> {
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        let name = ServerName::IpAddress(addr.ip().into());
        let mut tls = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await?;
        tls.write_all(request).await?;
        tls.flush().await?;
        let mut out = Vec::new();
        match tls.read_to_end(&mut out).await {
            Ok(_) => {}
            // Some servers close without close_notify; what was read still counts.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
            Err(e) => return Err(e),
        }
        parse_reply(&out)
    };
    tokio::time::timeout(IO_TIMEOUT, exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply in time"))?
}

fn parse_reply(bytes: &[u8]) -> io::Result<Reply> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no HTTP reply: {text:?}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no status line: {head:?}")))?;
    Ok(Reply {
        status,
        body: body.to_owned(),
    })
}

/// `GET path` as raw HTTP/1.1.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}

/// `POST path` with a SOAP 1.2 body as raw HTTP/1.1.
pub fn post_soap(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The here-document of the README's curl example.
pub fn readme_curl_body() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let start = readme
        .find("--data-binary @- <<'EOF'\n")
        .expect("README has the curl example");
    let rest = &readme[start..];
    let body = &rest[rest.find('\n').expect("a line break") + 1..];
    body[..body.find("\nEOF\n").expect("the here-document ends")].to_owned()
}

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "sfstub-tls-{label}-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        ));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The shared test keys exported into a fresh directory.
pub fn exported(keys: &KeyMaterial) -> TempDir {
    let dir = TempDir::new("export");
    keys.export(dir.path()).expect("export");
    dir
}
