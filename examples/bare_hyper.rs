//! The baseline of `scripts/bench`: a bare hyper server answering every request with one fixed
//! SOAP body, with as many runtime workers as `sfstub serve --security off` has by default and
//! sfstub's connection settings, reading nothing of the request. It writes each answer the
//! moment it is made, as hyper does; sfstub's workers hold answers until they run out of work
//! (`src/server/held.rs`). The bench hands it the answer sfstub gives to the request it
//! measures (BODY_FILE), so that both send the same bytes and the ratio compares the work
//! behind them; without it, a short KontrolsagListeHent_O with an empty list.
//!
//! `cargo run --release --example bare_hyper -- 127.0.0.1:8099 [BODY_FILE]`

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, header};
use hyper_util::rt::TokioIo;

const BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><KontrolsagListeHent_O xmlns="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysningerSvar><kontekst:TransaktionsId>x</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysningerSvar><KontrolsagListe/></KontrolsagListeHent_O></soap:Body></soap:Envelope>"#;

fn main() -> std::io::Result<()> {
    // As many workers as `sfstub serve --security off` has by default.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(sfstub::server::runtime_workers(sfstub::security::SecurityMode::Off))
        .enable_all()
        .build()?
        .block_on(serve())
}

async fn serve() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8099".to_owned());
    let body = match std::env::args().nth(2) {
        Some(path) => Bytes::from(std::fs::read(&path).map_err(|e| std::io::Error::other(format!("{path}: {e}")))?),
        None => Bytes::from_static(BODY.as_bytes()),
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("bare hyper on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(|_req| {
                let body = body.clone();
                async move {
                    let mut r = Response::new(Full::new(body));
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        "application/soap+xml; charset=utf-8".parse().unwrap(),
                    );
                    Ok::<_, Infallible>(r)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
