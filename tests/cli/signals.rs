//! Stopping `sfstub serve`: SIGTERM, SIGINT and SIGHUP stop it gracefully within the drain
//! deadline (default 5 s, below `docker stop`'s 10 s), and a second signal stops it at once.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::running::{Running, Stderr};
use crate::util::{TIMEOUT, good_request, sfstub};

/// `sfstub serve` started through coreutils' `env` with SIGHUP's handling set by `flag`
/// (`--default-signal=HUP` or `--ignore-signal=HUP`): what sfstub does with SIGHUP depends on
/// what it inherits, and a test run under `nohup` must not decide it.
fn serve_with_sighup(flag: &str) -> std::process::Command {
    let plain = sfstub(&["serve"]);
    let mut cmd = std::process::Command::new("env");
    cmd.arg(flag).arg(plain.get_program()).args(plain.get_args());
    for (var, value) in plain.get_envs() {
        match value {
            Some(value) => cmd.env(var, value),
            None => cmd.env_remove(var),
        };
    }
    cmd
}

/// A client in the middle of a request: the head and half of the body, sent once sfstub has
/// read the head (it asks for the body with `100 Continue`). Returns the rest of the body.
fn half_a_request(server: &Running) -> (TcpStream, String) {
    let body = good_request("in-flight");
    let mut stream = server.connect();
    let head = format!(
        "POST /kontrolsaglistehent/1 HTTP/1.1\r\nHost: {}\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        server.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("the head is written");
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut interim = String::new();
    reader.read_line(&mut interim).expect("an interim answer");
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim:?}");
    reader.read_line(&mut interim).expect("the end of the interim answer");
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first.as_bytes()).expect("half the body is written");
    (stream, rest.to_owned())
}

#[test]
fn a_stuck_client_delays_the_exit_by_the_drain_timeout_only() {
    let mut server = Running::start(&[], Stderr::Captured);
    let (_stuck, _) = half_a_request(&server);
    let started = Instant::now();
    server.signal("TERM");
    let exit = server.exit_within(TIMEOUT).expect("sfstub exits after SIGTERM");
    let took = started.elapsed();
    eprintln!("exit {took:?} after SIGTERM with one stuck client");
    assert!(exit.success(), "{exit:?}");
    // The default drain deadline is 5 s: below docker stop's 10 s grace, with room to spare.
    assert!(took < Duration::from_secs(9), "exit took {took:?}");
    assert!(
        took >= Duration::from_secs(4),
        "the stuck client was not given its drain time: {took:?}"
    );
    assert!(
        server.stderr().contains("1 connection(s) still open after 5s"),
        "{}",
        server.stderr()
    );
}

#[test]
fn the_drain_timeout_comes_from_the_environment() {
    let mut server = Running::start_with(
        {
            let mut cmd = crate::util::sfstub(&["serve"]);
            cmd.env("SFSTUB_DRAIN_TIMEOUT", "1s");
            cmd
        },
        &[],
        Stderr::Captured,
    );
    let (_stuck, _) = half_a_request(&server);
    let started = Instant::now();
    server.signal("TERM");
    let exit = server.exit_within(TIMEOUT).expect("sfstub exits after SIGTERM");
    assert!(exit.success(), "{exit:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert!(server.stderr().contains("still open after 1s"), "{}", server.stderr());
}

#[test]
fn a_second_signal_stops_at_once() {
    let mut server = Running::start(&[], Stderr::Captured);
    let (_stuck, _) = half_a_request(&server);
    server.signal("TERM");
    assert!(server.stderr_shows("SIGTERM: stopping", TIMEOUT), "{}", server.stderr());
    let started = Instant::now();
    server.signal("INT");
    let exit = server.exit_within(TIMEOUT).expect("sfstub exits");
    let took = started.elapsed();
    eprintln!("exit {took:?} after the second signal");
    assert!(
        took < Duration::from_secs(3),
        "the second signal took {took:?} to stop sfstub"
    );
    assert!(exit.success(), "{exit:?}");
    assert!(
        server.stderr().contains("SIGINT again: stopping at once"),
        "{}",
        server.stderr()
    );
}

#[test]
fn sighup_stops_gracefully_and_a_request_in_flight_is_answered() {
    let mut server = Running::start_with(serve_with_sighup("--default-signal=HUP"), &[], Stderr::Captured);
    let (mut client, rest) = half_a_request(&server);
    server.signal("HUP");
    assert!(server.stderr_shows("SIGHUP: stopping", TIMEOUT), "{}", server.stderr());
    client
        .write_all(rest.as_bytes())
        .expect("the rest of the body is written");
    let mut status = String::new();
    BufReader::new(client).read_line(&mut status).expect("an answer");
    assert!(status.starts_with("HTTP/1.1 200"), "{status:?}");
    let exit = server.exit_within(TIMEOUT).expect("sfstub exits after SIGHUP");
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn a_sighup_ignored_at_start_stays_ignored() {
    // As `nohup sfstub serve` starts it: the terminal closing must not stop sfstub.
    let mut server = Running::start_with(serve_with_sighup("--ignore-signal=HUP"), &[], Stderr::Captured);
    server.signal("HUP");
    // An ignored signal is dropped when sent: by the time SIGTERM is seen, SIGHUP is gone.
    server.signal("TERM");
    assert!(server.stderr_shows("SIGTERM: stopping", TIMEOUT), "{}", server.stderr());
    let exit = server.exit_within(TIMEOUT).expect("sfstub exits after SIGTERM");
    assert!(exit.success(), "{exit:?}");
    assert!(!server.stderr().contains("SIGHUP"), "{}", server.stderr());
}
