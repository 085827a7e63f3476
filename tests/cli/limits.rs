//! The binary's limits from outside: memory held by slow uploads, a stderr nobody reads or
//! that is full, bounded log lines, the connection limit, the accept queue and the open-files
//! limit. Linux only: they read /proc/PID.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::running::{Running, Stderr};
use crate::util::{TIMEOUT, state_dir};

/// Reads one response (status line, headers, Content-Length body) and returns its status.
fn read_status(reader: &mut impl BufRead) -> u16 {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).expect("a header line");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().expect("a length");
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the body");
    status
}

/// Once the banner is out no thread is left to end on its own later: the world is built on a
/// thread that has ended by then. Built on tokio's blocking pool, its thread lingered 10 s and
/// gave the allocator's pages back when it ended, in the middle of a load run (issue 12).
#[test]
fn once_ready_no_thread_is_left_to_end_later() {
    let server = Running::start(&["--security", "off"], Stderr::Captured);
    let names = server.thread_names();
    // tokio names its workers and its blocking pool's threads alike; in `off` it runs one
    // worker per core the process may use but one (at least one).
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let tokio = names.iter().filter(|n| n.starts_with("tokio-")).count();
    let workers = cores.saturating_sub(1).max(1);
    assert_eq!(
        tokio, workers,
        "{workers} tokio thread(s) on {cores} core(s), no other: {names:?}"
    );
    assert!(
        !names.iter().any(|n| n == "sfstub-build"),
        "the build thread has ended: {names:?}"
    );
}

/// In `token` and `strict` the service calls are answered by the call queue, a thread per
/// core; the runtime's workers only read requests and write answers, and there are half as
/// many (at least one), so that the busy threads do not outnumber the cores twice over.
#[test]
fn the_token_models_answer_on_the_call_queue_beside_half_the_workers() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    for mode in ["token", "strict"] {
        let server = Running::start(&["--security", mode], Stderr::Captured);
        let names = server.thread_names();
        let tokio = names.iter().filter(|n| n.starts_with("tokio-")).count();
        let calls = names.iter().filter(|n| *n == "sfstub-call").count();
        assert_eq!(tokio, (cores / 2).max(1), "{mode}: half a worker per core: {names:?}");
        assert_eq!(calls, cores, "{mode}: a call thread per core: {names:?}");
    }
}

/// `--workers N` sets the runtime's workers in every mode; 0 is refused with a message naming
/// the option.
#[test]
fn workers_are_as_many_as_asked() {
    for (mode, n) in [("off", "3"), ("token", "2")] {
        let server = Running::start(&["--security", mode, "--workers", n], Stderr::Captured);
        let names = server.thread_names();
        let tokio = names.iter().filter(|name| name.starts_with("tokio-")).count();
        assert_eq!(tokio.to_string(), n, "{mode}: --workers {n}: {names:?}");
    }
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_sfstub"))
        .args(["serve", "--workers", "0"])
        .output()
        .expect("sfstub runs");
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--workers"), "{stderr}");
}

#[test]
fn slow_uploads_hold_no_more_memory_than_they_send() {
    let server = Running::start(&[], Stderr::Captured);
    let before = server.status_kb("VmRSS");
    // 8 uploads announce 64 KiB each and send 4 KiB of it one byte at a time.
    let mut uploads: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = server.connect();
            s.set_nodelay(true).expect("nodelay");
            let head = format!(
                "POST /kontrolsaglistehent/1 HTTP/1.1\r\nHost: {}\r\nContent-Type: application/soap+xml\r\nContent-Length: 65536\r\n\r\n",
                server.addr
            );
            s.write_all(head.as_bytes()).expect("the head is written");
            s
        })
        .collect();
    for _ in 0..4096 {
        for s in &mut uploads {
            s.write_all(b" ").expect("a byte is written");
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let after = server.status_kb("VmRSS");
    let held = after.saturating_sub(before);
    eprintln!("RSS {before} KiB before, {after} KiB with 8 × 4 KiB sent a byte at a time: {held} KiB held");
    // 32 KiB of body in all; each piece used to keep a whole read buffer (~4 KiB): ~128 MiB.
    assert!(held < 32 * 1024, "8 slow uploads of 4 KiB hold {held} KiB");
}

/// GET /healthz `count` times on one keep-alive connection; each must be answered in time.
fn keep_alive_healthz(server: &Running, count: usize) {
    let mut stream = server.connect();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    for i in 0..count {
        stream.write_all(request.as_bytes()).expect("the request is written");
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.is_empty() {
            panic!("request {i} got no answer within 10 s: the server is stuck");
        }
        assert!(line.starts_with("HTTP/1.1 200"), "request {i}: {line}");
        let mut rest = String::new();
        while reader.read_line(&mut rest).is_ok() && !rest.ends_with("\r\n\r\n") && rest != "\r\n" {}
        let mut body = [0u8; 3];
        reader.read_exact(&mut body).expect("ok\\n");
    }
}

#[test]
fn a_stderr_nobody_reads_does_not_stop_the_server() {
    let mut server = Running::start(&[], Stderr::Unread);
    // Each request logs a line of ~130 bytes: a 64 KiB pipe is full after ~500, and sfstub's
    // queue (1 MiB) after ~8000 more.
    let started = Instant::now();
    keep_alive_healthz(&server, 12_000);
    eprintln!("12000 requests with stderr unread in {:?}", started.elapsed());
    assert_eq!(server.healthz(Duration::from_secs(10)), Some(200));
    // Now someone reads: the lines that did not fit were counted, and that count is reported.
    let mut pipe = server.unread.take().expect("the unread pipe");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    server.signal("TERM");
    let exit = server.exit_within(TIMEOUT).expect("sfstub exits after SIGTERM");
    assert!(exit.success(), "{exit:?}");
    let log = reader.join().expect("the reader");
    assert!(
        log.contains("log lines dropped (stderr was not read fast enough)"),
        "{log}"
    );
}

#[test]
fn a_full_stderr_neither_stops_nor_panics_the_server() {
    let mut server = Running::start(&[], Stderr::File("/dev/full"));
    assert_eq!(server.healthz(TIMEOUT), Some(200));
    server.signal("TERM");
    let exit = server.exit_within(TIMEOUT).expect("sfstub exits after SIGTERM");
    assert_eq!(exit.code(), Some(0), "{exit:?}");
}

#[test]
fn request_log_lines_stay_short_whatever_the_request() {
    let server = Running::start(&[], Stderr::Captured);
    let name = "A".repeat(900_000);
    let body = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><{name}/></s:Body></s:Envelope>"#
    );
    let (status, fault) = crate::util::post(server.addr, "/kontrolsaglistehent/1", &body);
    assert_eq!(status, 400);
    assert!(fault.len() < 4096, "a {} byte fault", fault.len());
    let path = format!("/{}", "p".repeat(60_000));
    let (status, _) = crate::util::post(server.addr, &path, "x");
    assert_eq!(status, 404);
    assert!(server.stderr_shows("status=404", TIMEOUT), "{}", server.stderr());
    let log = server.stderr();
    let longest = log.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 2048, "a log line of {longest} bytes");
    assert!(log.contains("bytes in all)"), "{log}");
}

#[test]
fn reaching_the_connection_limit_is_logged_and_the_rest_wait() {
    let server = Running::start(&["--max-connections", "2"], Stderr::Captured);
    let open: Vec<TcpStream> = (0..2).map(|_| server.connect()).collect();
    let mut third = server.connect();
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("read timeout");
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    third.write_all(request.as_bytes()).expect("the request is written");
    let mut byte = [0u8; 1];
    assert!(third.read(&mut byte).is_err(), "the third connection was served");
    assert!(
        server.stderr_shows("2 connections open, the limit (--max-connections)", TIMEOUT),
        "{}",
        server.stderr()
    );
    drop(open);
    third.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
    assert_eq!(read_status(&mut BufReader::new(third)), 200);
}

#[test]
fn a_burst_of_connections_waits_in_the_accept_queue() {
    const BURST: usize = 600;
    let server = Running::start(&[], Stderr::Captured);
    // While sfstub is stopped nothing is accepted: the kernel queues connections up to the
    // listen backlog and drops the rest (net.core.somaxconn must allow more than BURST).
    server.signal("STOP");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let addr = server.addr;
    let connected = runtime.block_on(async move {
        let attempts: Vec<_> = (0..BURST)
            .map(|_| {
                tokio::spawn(async move {
                    tokio::time::timeout(Duration::from_millis(2500), tokio::net::TcpStream::connect(addr))
                        .await
                        .ok()
                        .and_then(Result::ok)
                })
            })
            .collect();
        let mut connected = Vec::new();
        for attempt in attempts {
            if let Ok(Some(stream)) = attempt.await {
                connected.push(stream.into_std().expect("a std stream"));
            }
        }
        connected
    });
    server.signal("CONT");
    eprintln!(
        "{} of {BURST} connections queued while sfstub was stopped",
        connected.len()
    );
    assert_eq!(connected.len(), BURST, "connections lost in a burst");
    // Once sfstub runs again, the queued connections are served.
    for mut stream in connected.into_iter().take(5) {
        stream.set_nonblocking(false).expect("blocking");
        stream.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("the request is written");
        assert_eq!(read_status(&mut BufReader::new(stream)), 200);
    }
}

/// `sfstub serve` started by a shell that first runs `limits` (ulimit commands).
fn with_limits(limits: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        &format!("{limits} && exec \"$0\" serve \"$@\""),
        env!("CARGO_BIN_EXE_sfstub"),
    ]);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("SFSTUB_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("SFSTUB_STATE_DIR", state_dir());
    cmd
}

#[test]
fn the_open_files_limit_is_raised_to_the_hard_limit() {
    let server = Running::start_with(with_limits("ulimit -Sn 256"), &[], Stderr::Captured);
    let (soft, hard) = server.open_files_limit();
    assert!(hard > 256, "the test needs a hard limit above 256, not {hard}");
    assert_eq!(soft, hard.min(1 << 20), "soft {soft}, hard {hard}");
}

#[test]
fn the_connection_limit_is_lowered_to_fit_a_low_hard_limit() {
    let server = Running::start_with(with_limits("ulimit -n 100"), &[], Stderr::Captured);
    assert!(
        server.stderr_shows("--max-connections 1000 lowered to 68", TIMEOUT),
        "{}",
        server.stderr()
    );
    assert_eq!(server.healthz(TIMEOUT), Some(200));
}
