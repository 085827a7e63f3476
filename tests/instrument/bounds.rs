//! The journal never grows past its bounds, whatever the request sizes: in entries, in bytes,
//! and in the memory of the running binary.

use crate::harness::*;
use crate::report::Binary;

#[test]
fn filling_the_journal_past_its_size_keeps_the_newest_entries() {
    let s = serve(|app| {
        app.journal = sfstub::journal::Journal::new(sfstub::journal::Config {
            max_entries: 50,
            max_bytes: sfstub::journal::DEFAULT_BYTES,
        })
    });
    for _ in 0..130 {
        s.get("/");
    }
    let page = s.journal("limit=1000");
    assert_eq!(page["matched"], 50);
    assert_eq!(page["journal"]["entries"], 50);
    assert_eq!(page["journal"]["evicted"], 80);
    assert_eq!(page["journal"]["oldest"], 81);
    assert_eq!(page["journal"]["newest"], 130);
    assert_eq!(s.get("/__sfstub/journal/80").status, 404);
    assert_eq!(s.get("/__sfstub/journal/81").status, 200);
}

#[test]
fn large_bodies_are_cut_at_64_kib_and_the_byte_bound_holds() {
    let s = serve(|app| {
        app.limits.max_body = 4 * 1024 * 1024;
        app.journal = sfstub::journal::Journal::new(sfstub::journal::Config {
            max_entries: 10_000,
            max_bytes: sfstub::journal::MIN_BYTES,
        })
    });
    // Bodies that share nothing with the one before (alike ones would be kept as deltas on it,
    // see `journal::Body`, and weigh little).
    let big = |i: u8| {
        format!(
            "<x>{}</x>",
            char::from(b'a' + i % 26).to_string().repeat(3 * 1024 * 1024)
        )
    };
    for i in 0..40 {
        let a = s.post(
            "/kontrolsaglistehent/1",
            &[("Content-Type", "application/soap+xml")],
            &big(i),
        );
        assert_eq!(a.status, 400);
    }
    let big = big(39);
    let stats = s.get("/__sfstub/").json()["journal"].clone();
    assert!(
        stats["bytes"].as_u64().unwrap() <= sfstub::journal::MIN_BYTES as u64,
        "{stats}"
    );
    assert!(stats["entries"].as_u64().unwrap() < 40, "{stats}");
    let newest = stats["newest"].as_u64().unwrap();
    let e = s.get(&format!("/__sfstub/journal/{newest}")).json();
    assert_eq!(e["request"]["bytes"], big.len());
    assert_eq!(e["request"]["truncated"], true);
    assert_eq!(e["request"]["text"].as_str().unwrap().len(), 64 * 1024);
    let raw = s.get(&format!("/__sfstub/journal/{newest}/request"));
    assert_eq!(raw.body.len(), 64 * 1024);
    assert_eq!(raw.header("X-Sfstub-Truncated"), Some("true"));
}

/// The binary's memory stays flat when the journal is filled many times over with requests of
/// every size on one keep-alive connection: after the first 60 rounds (56 MiB) the next 60
/// add (almost) nothing, and the growth stays near the 4 MiB bound plus what the allocator
/// keeps for reuse (measured with mimalloc: 19–21 MB over the baseline, flat between the
/// halves; with glibc's malloc 7–9 MB). A journal that kept clones of the requests' `Uri` and
/// headers pinned the connection's read buffers and grew 32 MB more; an unbounded one grows by
/// 50 MB per half.
#[test]
fn the_binarys_memory_stays_bounded_when_the_journal_is_filled_with_large_requests() {
    use std::io::{Read, Write};
    let mut b = Binary::start(&["--journal-bytes", "4MiB", "--max-body", "1MiB"]);
    let baseline = b.rss_kib();
    let sizes = [200usize, 3_000, 20_000, 70_000, 900_000];
    let mut stream = std::net::TcpStream::connect(b.addr).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut peaks = [0u64; 2];
    for round in 0..120 {
        for (i, size) in sizes.into_iter().enumerate() {
            // Each body unlike the one before: alike ones would be kept as deltas and weigh
            // little, and the byte bound would not be reached.
            let letter = char::from(b'a' + ((round * sizes.len() + i) % 26) as u8);
            let body = format!("<x>{}</x>", letter.to_string().repeat(size));
            let head = format!(
                "POST /kontrolsaglistehent/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body.as_bytes()).unwrap();
            // Read one response (Content-Length framed).
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while !buf.ends_with(b"\r\n\r\n") {
                stream.read_exact(&mut byte).unwrap();
                buf.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
            let n: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let mut body = vec![0; n];
            stream.read_exact(&mut body).unwrap();
        }
        if round % 5 == 4 {
            let half = &mut peaks[round / 60];
            *half = (*half).max(b.rss_kib());
        }
    }
    let stats: serde_json::Value = serde_json::from_slice(&send(b.addr, "GET", "/__sfstub/", &[], b"").body).unwrap();
    assert!(
        stats["journal"]["bytes"].as_u64().unwrap() <= 4 * 1024 * 1024,
        "{stats}"
    );
    assert!(stats["journal"]["evicted"].as_u64().unwrap() > 0, "{stats}");
    println!(
        "RSS: baseline {baseline} KiB, peak of the first half {} KiB, of the second {} KiB",
        peaks[0], peaks[1]
    );
    assert!(
        peaks[1] <= peaks[0] + 8 * 1024,
        "RSS kept growing: {} KiB, then {} KiB (baseline {baseline} KiB)",
        peaks[0],
        peaks[1]
    );
    assert!(
        peaks[1] < baseline + 28 * 1024,
        "RSS grew by {} KiB for a 4 MiB journal",
        peaks[1] - baseline
    );
    b.stop();
}
