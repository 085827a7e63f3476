//! Connections: keep-alive, pipelining, many clients at once, shutdown.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::helpers::{HttpRequest, TestApp, read_response, spawn_app};
use crate::soap::{KontrolsagListeHentI, Soap, expect_answer, expect_sender_fault_12};

const ENDPOINT: &str = "/kontrolsaglistehent/1";

/// A SOAP 1.2 request with its own transaction id.
fn request(id: &str) -> HttpRequest {
    let body = KontrolsagListeHentI {
        transaktions_id: Some(id.into()),
        ..Default::default()
    }
    .envelope(Soap::V12);
    HttpRequest::new("POST", ENDPOINT)
        .header("Content-Type", "application/soap+xml")
        .body(body)
}

fn write(stream: &mut TcpStream, app: &TestApp, request: &HttpRequest) {
    stream
        .write_all(&request.to_bytes(&app.addr.to_string(), false))
        .expect("the request is written");
}

#[test]
fn two_requests_on_one_keep_alive_connection_are_both_answered() {
    let app = spawn_app();
    let mut stream = app.connect();
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    for id in ["first", "second", "third"] {
        write(&mut stream, &app, &request(id));
        let response = read_response(&mut reader, false);
        assert_ne!(
            response.header("Connection").map(str::to_ascii_lowercase).as_deref(),
            Some("close")
        );
        let doc = expect_answer(&response, Soap::V12);
        assert_eq!(doc.text("TransaktionsId"), id);
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let app = spawn_app();
    let mut stream = app.connect();
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut both = request("one").to_bytes(&app.addr.to_string(), false);
    both.extend_from_slice(&request("two").to_bytes(&app.addr.to_string(), false));
    stream.write_all(&both).expect("both requests are written");
    for id in ["one", "two"] {
        let doc = expect_answer(&read_response(&mut reader, false), Soap::V12);
        assert_eq!(doc.text("TransaktionsId"), id);
    }
}

#[test]
fn a_fault_keeps_the_connection_usable() {
    let app = spawn_app();
    let mut stream = app.connect();
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let bad = HttpRequest::new("POST", ENDPOINT)
        .header("Content-Type", "application/soap+xml")
        .body("<oops>");
    write(&mut stream, &app, &bad);
    expect_sender_fault_12(&read_response(&mut reader, false));
    write(&mut stream, &app, &request("after-the-fault"));
    let doc = expect_answer(&read_response(&mut reader, false), Soap::V12);
    assert_eq!(doc.text("TransaktionsId"), "after-the-fault");
}

#[test]
fn many_clients_at_once_are_all_answered() {
    let app = spawn_app();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..16)
            .map(|i| {
                let app = &app;
                scope.spawn(move || {
                    let id = format!("client-{i}");
                    let doc = expect_answer(&app.send(&request(&id)), Soap::V12);
                    assert_eq!(doc.text("TransaktionsId"), id);
                })
            })
            .collect();
        for w in workers {
            w.join().expect("every client gets its answer");
        }
    });
}

#[test]
fn the_server_stops_when_asked_and_refuses_new_connections() {
    let app = spawn_app();
    let addr = app.addr;
    // An idle keep-alive connection must not keep the server from stopping.
    let mut idle = app.connect();
    write(&mut idle, &app, &HttpRequest::new("GET", "/healthz"));
    let response = read_response(&mut BufReader::new(idle.try_clone().expect("a second handle")), false);
    assert_eq!(response.status, 200);
    app.stop().expect("server::run returns Ok");
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).is_err(),
        "the listener is closed after shutdown"
    );
}

#[test]
fn a_client_that_expects_100_continue_gets_it_and_then_the_answer() {
    let app = spawn_app();
    let mut stream = app.connect();
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let full = request("continued")
        .header("Expect", "100-continue")
        .to_bytes(&app.addr.to_string(), true);
    let split = full.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    stream.write_all(&full[..split]).expect("the head is written");
    let interim = read_response(&mut reader, true);
    assert_eq!(interim.status, 100, "{interim:?}");
    stream.write_all(&full[split..]).expect("the body is written");
    let doc = expect_answer(&read_response(&mut reader, false), Soap::V12);
    assert_eq!(doc.text("TransaktionsId"), "continued");
}

#[test]
fn an_oversized_request_that_expects_100_continue_is_refused_before_the_body() {
    let app = crate::helpers::spawn_app_with_limits(sfstub::app::Limits {
        max_body: 4096,
        ..Default::default()
    });
    let mut stream = app.connect();
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let head = format!(
        "POST {ENDPOINT} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/soap+xml\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        app.addr
    );
    stream.write_all(head.as_bytes()).expect("the head is written");
    // The final answer comes without the client ever sending the megabyte.
    let response = read_response(&mut reader, false);
    assert_eq!(response.status, 413);
    crate::soap::expect_fault(&response, Soap::V12);
}
