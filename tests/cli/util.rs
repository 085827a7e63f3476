//! Running the sfstub binary: with a timeout, a clean environment and temporary scenario files.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The pinned clock of every test.
pub const CLOCK: &str = "2026-11-22T12:00:00Z";

/// Generous: only here so a binary that never exits fails the test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A state directory for the keys of this test process, so no test writes keys into the
/// user's data directory; every run of the binary shares it (and so the same keys).
pub fn state_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| std::env::temp_dir().join(format!("sfstub-cli-state-{}", std::process::id())))
}

/// `sfstub` with `args`, none of the caller's `SFSTUB_*` variables, and the test state dir.
pub fn sfstub(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sfstub"));
    cmd.args(args);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("SFSTUB_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("SFSTUB_STATE_DIR", state_dir());
    cmd
}

/// What a finished run printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics with both streams unless the run succeeded.
    pub fn assert_success(&self) -> &Output {
        assert!(
            self.status.success(),
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout_text(),
            self.stderr
        );
        self
    }
}

/// Runs `cmd` to completion (stdin closed), killing it and failing after [`TIMEOUT`].
pub fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sfstub binary starts");
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let status = wait_with_timeout(&mut child, TIMEOUT).unwrap_or_else(|| {
        let _ = child.kill();
        let _ = child.wait();
        panic!("sfstub did not exit within {TIMEOUT:?}: {cmd:?}");
    });
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: String::from_utf8_lossy(&err_reader.join().expect("stderr reader")).into_owned(),
    }
}

/// Waits for `child` for at most `timeout`.
pub fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A scenario file under the temp directory with a unique name, removed on drop.
pub struct TempFile {
    pub path: PathBuf,
}

impl TempFile {
    pub fn new(name: &str, contents: &str) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("sfstub-cli-{}-{n}-{name}", std::process::id()));
        let mut f = std::fs::File::create(&path).expect("the temp file is created");
        f.write_all(contents.as_bytes()).expect("the temp file is written");
        TempFile { path }
    }

    pub fn arg(&self) -> &str {
        self.path.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The repository's default scenario file.
pub fn default_yaml() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/default.yaml").to_owned()
}

/// A SOAP 1.2 KontrolsagListeHent request from Københavns Kommune about Jens (1507804329).
pub fn good_request(transaktions_id: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">
  <s:Body>
    <k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" revision="1">
      <h:HovedOplysninger xmlns:h="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">
        <h:TransaktionsId>{transaktions_id}</h:TransaktionsId>
        <h:TransaktionsTid>2026-11-22T10:15:00Z</h:TransaktionsTid>
        <h:AuthorityContext><h:MunicipalityCVR>64942212</h:MunicipalityCVR></h:AuthorityContext>
      </h:HovedOplysninger>
      <k:KontrolsagSoegKriterie>
        <k:PersonCPRNummer>1507804329</k:PersonCPRNummer>
        <k:Hjemmel>UDBL_11A_STK2</k:Hjemmel>
      </k:KontrolsagSoegKriterie>
    </k:KontrolsagListeHent_I>
  </s:Body>
</s:Envelope>
"#
    )
}

/// POSTs `body` to `path` with `Connection: close` and returns the status code and body.
pub fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("the server accepts connections");
    stream.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
    stream.set_write_timeout(Some(TIMEOUT)).expect("write timeout");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("the request is written");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("the response arrives");
    let response = String::from_utf8(response).expect("a UTF-8 response");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    (status, body.to_owned())
}

/// GETs `path` with `Connection: close` and returns the status code and body.
pub fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("the server accepts connections");
    stream.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("the request is written");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("the response arrives");
    let response = String::from_utf8(response).expect("a UTF-8 response");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    (status, body.to_owned())
}

/// The number written just before `word` in `text` (e.g. `412` in "412 control cases").
pub fn number_before(text: &str, word: &str) -> usize {
    let at = text.find(word).unwrap_or_else(|| panic!("{word:?} not in {text:?}"));
    let digits: String = text[..at]
        .trim_end()
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .chars()
        .rev()
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number before {word:?} in {text:?}"))
}
