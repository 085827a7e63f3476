//! `sfstub serve | head`: when whoever reads sfstub's output goes away, the server keeps
//! serving (writes to a closed pipe are ignored, never a panic).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Stdio;

use crate::util::{CLOCK, good_request, post, sfstub};

#[test]
fn the_server_keeps_serving_after_its_output_pipes_close() {
    let mut child = sfstub(&["serve", "--listen", "127.0.0.1:0", "--clock", CLOCK])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sfstub serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a banner").unwrap();
    let second = lines.next().expect("an endpoint line").unwrap();
    assert!(first.starts_with("sfstub"), "{first}");
    let url = second
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL");
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // The reader goes away: both pipes close.
    drop(lines);
    drop(child.stderr.take());
    for i in 0..3 {
        let (status, body) = post(
            addr,
            "/kontrolsaglistehent/1",
            &good_request(&format!("after-close-{i}")),
        );
        assert_eq!(status, 200, "request {i} after the pipes closed: {body}");
    }
    let _ = child.kill();
    let _ = child.wait();
}
