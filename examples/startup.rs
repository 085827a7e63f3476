//! How long `sfstub serve` takes from being started to its first answer, and the memory it
//! took to get there: starts the binary, knocks on its port every 0.2 ms until the answer is
//! 200, reads the process's peak resident memory (VmHWM), stops it. Used by `scripts/bench`.
//!
//! `startup BINARY PORT answer|ready RUNS [ARG...]`
//!
//! - `answer`: the first answer to KontrolsagListeHent (stk. 2, a citizen with a case, UDK
//!   calling, the context model) with a case in it;
//! - `ready`: the first 200 from `/readyz` (the world is built).
//!
//! Prints one line per run (`run N: T ms, peak RSS M MiB`) and then the best and the median.
//! Extra ARGs go to `sfstub serve` after `--listen`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a start may take before the run is given up.
const GIVE_UP: Duration = Duration::from_secs(60);

const SOAP: &str = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/"><soap:Body><k:KontrolsagListeHent_I revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>150780-4329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [binary, port, what, runs, extra @ ..] = args.as_slice() else {
        eprintln!("usage: startup BINARY PORT answer|ready RUNS [ARG...]");
        std::process::exit(2);
    };
    let port: u16 = port.parse().expect("PORT is a port number");
    let runs: usize = runs.parse().expect("RUNS is a number");
    let request = match what.as_str() {
        "answer" => format!(
            "POST /kontrolsaglistehent/1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{SOAP}",
            SOAP.len()
        ),
        "ready" => format!("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
        other => {
            eprintln!("startup: {other:?} is neither answer nor ready");
            std::process::exit(2);
        }
    };
    let mut times = Vec::new();
    for run in 1..=runs {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let answered = loop {
            if started.elapsed() > GIVE_UP {
                break None;
            }
            if let Some(response) = ask(port, &request)
                && response.starts_with("HTTP/1.1 200")
            {
                if what == "answer" && !response.contains("<Kontrolsag>") {
                    eprintln!("startup: the first answer holds no case:\n{response}");
                    break None;
                }
                break Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let peak = peak_rss_mib(child.id());
        let _ = child.kill();
        let _ = child.wait();
        let Some(took) = answered else {
            eprintln!("startup: no answer within {GIVE_UP:?}");
            std::process::exit(1);
        };
        let ms = took.as_secs_f64() * 1e3;
        println!("run {run}: {ms:.1} ms, peak RSS {peak:.0} MiB");
        times.push((ms, peak));
    }
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (best, median) = (times[0], times[times.len() / 2]);
    println!(
        "best {:.1} ms, median {:.1} ms; peak RSS {:.0} MiB (median run)",
        best.0, median.0, median.1
    );
}

/// The answer to `request` on `port`, or `None` while nothing listens (or it answers nothing).
fn ask(port: u16, request: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    Some(String::from_utf8_lossy(&response).into_owned())
}

/// The process's peak resident memory (VmHWM) in MiB; 0 when /proc does not say.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
