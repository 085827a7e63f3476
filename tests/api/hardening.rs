//! What a client cannot do to sfstub: hold a connection with a body that never arrives or an
//! answer it never takes, occupy more than the connection limit, make a fault quote a huge
//! element name back; and what it may do: close its sending side right after the request.

use std::io::{BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use sfstub::server::Options;

use crate::helpers::{HttpRequest, TestApp, read_response, spawn_app, spawn_app_with_options};
use crate::soap::{Soap, expect_answer, expect_fault, expect_sender_fault_12, good_request};

const ENDPOINT: &str = "/kontrolsaglistehent/1";

/// The options of the tests: short deadlines so they finish quickly.
fn options() -> Options {
    Options {
        body_timeout: Duration::from_millis(500),
        send_timeout: Duration::from_millis(500),
        ..Options::default()
    }
}

/// Reads from `stream` for `wait`: true if the server sent anything (or closed).
fn answers_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).expect("read timeout");
    let mut byte = [0u8; 1];
    let answered = match stream.read(&mut byte) {
        Ok(_) => true,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(_) => true,
    };
    stream
        .set_read_timeout(Some(crate::helpers::IO_TIMEOUT))
        .expect("read timeout");
    answered
}

/// A GET /healthz written on a fresh connection (keep-alive), without reading the answer.
fn healthz_on(app: &TestApp) -> TcpStream {
    let mut stream = app.connect();
    stream
        .write_all(&HttpRequest::new("GET", "/healthz").to_bytes(&app.addr.to_string(), false))
        .expect("the request is written");
    stream
}

#[test]
fn a_request_followed_by_a_half_close_is_answered() {
    // printf 'GET /healthz ...' | nc -N: the request, then at once the end of the sending side.
    let app = spawn_app();
    let mut stream = app.connect();
    stream
        .write_all(&HttpRequest::new("GET", "/healthz").to_bytes(&app.addr.to_string(), false))
        .expect("the request is written");
    stream.shutdown(Shutdown::Write).expect("half-close");
    let response = read_response(&mut BufReader::new(stream), false);
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "ok\n");
}

#[test]
fn a_soap_request_followed_by_a_half_close_is_answered() {
    let app = spawn_app();
    let mut stream = app.connect();
    let request = HttpRequest::new("POST", ENDPOINT)
        .header("Content-Type", "application/soap+xml")
        .body(good_request());
    stream
        .write_all(&request.to_bytes(&app.addr.to_string(), false))
        .expect("the request is written");
    stream.shutdown(Shutdown::Write).expect("half-close");
    expect_answer(&read_response(&mut BufReader::new(stream), false), Soap::V12);
}

#[test]
fn a_body_that_stops_arriving_gets_408_and_a_fault_after_the_body_timeout() {
    let app = spawn_app_with_options(options());
    let mut stream = app.connect();
    let head = format!(
        "POST {ENDPOINT} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/soap+xml\r\nContent-Length: 1000\r\n\r\n<soap:Envelope",
        app.addr
    );
    stream.write_all(head.as_bytes()).expect("the head is written");
    let started = Instant::now();
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let response = read_response(&mut reader, false);
    assert_eq!(response.status, 408, "{}", String::from_utf8_lossy(&response.body));
    assert_eq!(response.header("Connection"), Some("close"));
    let fault = expect_fault(&response, Soap::V12);
    assert_eq!(fault.code, "Sender");
    assert!(fault.reason.contains("--body-timeout"), "{fault:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    // And the connection is closed.
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    assert!(rest.is_empty());
}

#[test]
fn a_body_trickling_in_is_cut_off_at_the_body_timeout_too() {
    let app = spawn_app_with_options(options());
    let mut stream = app.connect();
    let head = format!(
        "POST {ENDPOINT} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/soap+xml\r\nContent-Length: 1000\r\n\r\n",
        app.addr
    );
    stream.write_all(head.as_bytes()).expect("the head is written");
    // One byte every 50 ms: each arrives well within any idle timeout, the whole never does.
    let mut answered = false;
    for _ in 0..200 {
        if stream.write_all(b" ").is_err() || answers_within(&mut stream, Duration::from_millis(50)) {
            answered = true;
            break;
        }
    }
    assert!(
        answered,
        "10 s of trickle and no answer: there is no deadline on the whole body"
    );
}

#[test]
fn connections_beyond_the_limit_wait_until_one_closes() {
    let app = spawn_app_with_options(Options {
        max_connections: 2,
        ..options()
    });
    // Two keep-alive connections, each answered once and left open: the limit is used up.
    let mut open: Vec<TcpStream> = (0..2)
        .map(|_| {
            let stream = healthz_on(&app);
            let response = read_response(&mut BufReader::new(stream.try_clone().expect("a clone")), false);
            assert_eq!(response.status, 200);
            stream
        })
        .collect();
    let mut third = healthz_on(&app);
    assert!(
        !answers_within(&mut third, Duration::from_millis(700)),
        "a third connection was served beyond --max-connections 2"
    );
    drop(open.pop());
    let response = read_response(&mut BufReader::new(third), false);
    assert_eq!(
        response.status, 200,
        "the waiting connection is served once a slot frees"
    );
}

#[test]
fn a_client_that_never_takes_its_answers_is_disconnected_and_frees_its_slot() {
    let app = spawn_app_with_options(Options {
        max_connections: 1,
        ..options()
    });
    // Pipeline WSDL requests (tens of KB each) and read nothing: the socket buffers fill up.
    let mut greedy = app.connect();
    greedy
        .set_write_timeout(Some(Duration::from_millis(200)))
        .expect("write timeout");
    let request = HttpRequest::new("GET", "/kontrolsaglistehent/1?wsdl").to_bytes(&app.addr.to_string(), false);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && greedy.write_all(&request).is_ok() {}
    // The server gives up on it after the send timeout, and the one slot serves someone else.
    let mut other = healthz_on(&app);
    assert!(
        answers_within(&mut other, Duration::from_secs(20)),
        "a client that never reads holds the only connection slot for good"
    );
    drop(greedy);
}

#[test]
fn a_huge_element_name_is_quoted_short_in_the_fault() {
    let app = spawn_app();
    let name = "A".repeat(900_000);
    for body in [
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><{name}/></s:Body></s:Envelope>"#
        ),
        format!(r#"<{name} xmlns="http://www.w3.org/2003/05/soap-envelope"/>"#),
        format!(r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:{name}/></s:Envelope>"#),
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><{name}:x/></s:Body></s:Envelope>"#
        ),
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><{name}></B></s:Body></s:Envelope>"#
        ),
    ] {
        let response = app.post_soap12(ENDPOINT, body);
        let fault = expect_sender_fault_12(&response);
        assert!(
            response.body.len() < 4096,
            "a {} byte fault: {}…",
            response.body.len(),
            &fault.reason[..200]
        );
        assert!(fault.reason.contains("bytes in all)"), "{}", fault.reason);
    }
}
