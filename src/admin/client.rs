//! `sfstub healthcheck`: asks a running sfstub's `/readyz`, for Docker's HEALTHCHECK.
//!
//! `sfstub report`: fetches a running sfstub's conformance report over plain HTTP/1.1 (a few
//! lines over a `TcpStream`, no HTTP client dependency), writes it as JUnit XML or JSON, and
//! exits 1 when it has findings at the `--fail-on` level, for a CI step.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{FailOn, HealthcheckArgs, ReportArgs, ReportFormat};
use crate::conformance::Severity;
use crate::journal::Report;

/// How long connecting, sending and reading may each take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read.
const MAX_ANSWER: u64 = 256 * 1024 * 1024;

/// Runs `sfstub report`: 0 without findings at the level, 1 with, 2 when no report was had.
pub fn report(args: ReportArgs) -> ExitCode {
    let report = match fetch(&args.url, args.admin_token.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sfstub report: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match args.format {
        ReportFormat::Junit => report.junit(),
        ReportFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
    };
    let written = match &args.output {
        Some(path) => std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write the report: {e}"))
        }
    };
    if let Err(e) = written {
        eprintln!("sfstub report: {e}");
        return ExitCode::from(2);
    }
    let level = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
    };
    let fails = report.fails_at(level);
    eprintln!(
        "sfstub report: {} exchange(s), {} conformance error(s), {} warning(s) (--fail-on {}){}",
        report.exchanges,
        report.errors,
        report.warnings,
        level.name(),
        if fails { ": failing" } else { "" }
    );
    if fails { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// Fetches the JSON report from the sfstub at `url` (its base URL, or the report's URL).
pub fn fetch(url: &str, token: Option<&str>) -> Result<Report, String> {
    let (host, port, path) = split_url(url)?;
    let path = if path.contains("/__sfstub/report") {
        path.split('?').next().unwrap_or("").to_owned()
    } else {
        format!("{}/__sfstub/report", path.trim_end_matches('/'))
    };
    let addr = (host.trim_matches(|c| c == '[' || c == ']'), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("cannot connect to {url}: {e}"))?;
    let _ = stream.set_read_timeout(Some(TIMEOUT));
    let _ = stream.set_write_timeout(Some(TIMEOUT));
    let mut request = format!(
        "GET {path}?format=json HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: sfstub-report/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(t) = token {
        if t.contains(['\r', '\n']) {
            return Err("the admin token holds a line break".into());
        }
        request.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the request to {url}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .map_err(|e| format!("cannot read the answer from {url}: {e}"))?;
    let (status, body) = parse_answer(&answer)?;
    if status != 200 {
        let why = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().chars().take(300).collect());
        return Err(format!("{url} answered {status}: {why}"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{url} did not answer with an sfstub report: {e}"))
}

/// `http://host[:port][/path]` → host, port, path.
fn split_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = match url.split_once("://") {
        Some(("http", rest)) => rest,
        Some((scheme, _)) => {
            return Err(format!(
                "{url}: sfstub report speaks plain http, not {scheme}; point it at a plain HTTP listener"
            ));
        }
        None => url,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, String::new()),
    };
    if authority.is_empty() {
        return Err(format!("{url} names no host"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (
            h.to_owned(),
            p.parse::<u16>().map_err(|_| format!("{url}: {p:?} is not a port"))?,
        ),
        _ => (authority.to_owned(), 80),
    };
    Ok((host, port, path))
}

/// The status and body of an HTTP/1.1 answer (Content-Length, chunked, or up to the close).
fn parse_answer(answer: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the answer is not HTTP (no header end)")?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("the answer has no HTTP status line")?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            }
        }
    }
    let body = &answer[end + 4..];
    let body = if chunked {
        dechunk(body)?
    } else {
        match length {
            Some(n) if n <= body.len() => body[..n].to_vec(),
            Some(_) => return Err("the answer ends before its Content-Length".into()),
            None => body.to_vec(),
        }
    };
    Ok((status, body))
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(body.len());
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line is cut")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("{size_text:?} is not a chunk size"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 {
            return Err("a chunk is cut".into());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

/// Runs `sfstub healthcheck`: 0 when the sfstub on `--listen` answers `GET /readyz` with 200
/// (with `--tls`: when its port accepts a connection), 1 otherwise, with one line saying why.
pub fn healthcheck(args: HealthcheckArgs) -> ExitCode {
    match check_health(args.listen, args.tls, Duration::from_secs(args.timeout)) {
        Ok(line) => {
            println!("sfstub healthcheck: {line}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("sfstub healthcheck: {why}");
            ExitCode::from(1)
        }
    }
}

/// The address to reach a server listening on `listen`: loopback for an unspecified address.
pub fn reachable(listen: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    std::net::SocketAddr::new(ip, listen.port())
}

fn check_health(listen: std::net::SocketAddr, tls: bool, timeout: Duration) -> Result<String, String> {
    let addr = reachable(listen);
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    if tls {
        return Ok(format!("{addr} accepts connections (HTTPS: the port only is checked)"));
    }
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let request = format!(
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: sfstub-healthcheck/{}\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send to {addr}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut answer)
        .map_err(|e| format!("no answer from {addr} within {timeout:?}: {e}"))?;
    let (status, body) = parse_answer(&answer)?;
    let body = String::from_utf8_lossy(&body)
        .trim()
        .chars()
        .take(300)
        .collect::<String>();
    match status {
        200 => Ok(body),
        _ => Err(format!("http://{addr}/readyz answered {status}: {body}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            split_url("http://127.0.0.1:8080").unwrap(),
            ("127.0.0.1".into(), 8080, "".into())
        );
        assert_eq!(
            split_url("http://[::1]:9/x/").unwrap(),
            ("[::1]".into(), 9, "/x/".into())
        );
        assert_eq!(split_url("localhost").unwrap(), ("localhost".into(), 80, "".into()));
        assert!(split_url("https://x").unwrap_err().contains("plain http"));
        assert!(split_url("http://x:port").is_err());
    }

    #[test]
    fn answers() {
        let (s, b) = parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!((s, b.as_slice()), (200, b"{}".as_slice()));
        let (_, b) =
            parse_answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n1\r\n \r\n0\r\n\r\n")
                .unwrap();
        assert_eq!(b, b"{} ");
        assert!(parse_answer(b"garbage").is_err());
    }
}
