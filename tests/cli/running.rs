//! A running `sfstub serve` whose stderr the test chooses (read into memory, never read, or a
//! file such as /dev/full), with signals, its memory and its open-files limit from /proc.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::util::{CLOCK, TIMEOUT, sfstub, wait_with_timeout};

/// What happens to the server's stderr.
pub enum Stderr {
    /// Read continuously into memory.
    Captured,
    /// A pipe nobody reads (a stuck log collector).
    Unread,
    /// Written to this file, e.g. /dev/full.
    File(&'static str),
}

/// A running `sfstub serve --listen 127.0.0.1:0 --clock CLOCK ARGS`, killed on drop.
pub struct Running {
    pub child: Child,
    pub addr: SocketAddr,
    captured: Arc<Mutex<Vec<u8>>>,
    /// The unread pipe, kept open (and unread) while the server runs.
    pub unread: Option<ChildStderr>,
}

impl Running {
    pub fn start(args: &[&str], stderr: Stderr) -> Running {
        Running::start_with(sfstub(&["serve"]), args, stderr)
    }

    /// Like [`Running::start`] from `cmd` (e.g. a shell that sets limits, then `exec`s sfstub).
    pub fn start_with(mut cmd: std::process::Command, args: &[&str], stderr: Stderr) -> Running {
        cmd.args(["--listen", "127.0.0.1:0", "--clock", CLOCK])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        match &stderr {
            Stderr::Captured | Stderr::Unread => cmd.stderr(Stdio::piped()),
            Stderr::File(path) => cmd.stderr(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .expect("the stderr file opens"),
            ),
        };
        let mut child = cmd.spawn().expect("sfstub serve starts");
        let captured = Arc::new(Mutex::new(Vec::new()));
        let mut unread = None;
        if let Some(mut pipe) = child.stderr.take() {
            match stderr {
                Stderr::Captured => {
                    let sink = Arc::clone(&captured);
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 8192];
                        while let Ok(n @ 1..) = pipe.read(&mut buf) {
                            sink.lock().expect("the capture").extend_from_slice(&buf[..n]);
                        }
                    });
                }
                _ => unread = Some(pipe),
            }
        }
        let addr = banner_addr(&mut child);
        Running {
            child,
            addr,
            captured,
            unread,
        }
    }

    /// What the server wrote to stderr so far (with [`Stderr::Captured`]).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.captured.lock().expect("the capture")).into_owned()
    }

    /// Waits until stderr contains `text`; false after `wait`.
    pub fn stderr_shows(&self, text: &str, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if self.stderr().contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stderr().contains(text)
    }

    /// Sends `signal` (e.g. "TERM", "HUP", "STOP") with kill(1).
    pub fn signal(&self, signal: &str) {
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit, at most `wait`.
    pub fn exit_within(&mut self, wait: Duration) -> Option<ExitStatus> {
        wait_with_timeout(&mut self.child, wait)
    }

    /// A /proc/PID/status field in kB (VmRSS, VmHWM).
    pub fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {status}"))
    }

    /// The names of the process's threads (/proc/PID/task/*/comm, at most 15 bytes each).
    pub fn thread_names(&self) -> Vec<String> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.child.id())).expect("/proc/PID/task");
        let mut names: Vec<String> = tasks
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .map(|name| name.trim_end().to_owned())
            .collect();
        names.sort();
        names
    }

    /// The soft and hard "Max open files" of the process.
    pub fn open_files_limit(&self) -> (u64, u64) {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.child.id())).expect("/proc/PID/limits");
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .expect("a Max open files line");
        let numbers: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        (numbers[0], numbers[1])
    }

    /// A TCP connection with generous timeouts.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr, TIMEOUT).expect("the server accepts connections");
        stream.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
        stream.set_write_timeout(Some(TIMEOUT)).expect("write timeout");
        stream
    }

    /// GET /healthz on a fresh connection: the status code, or None without an answer within
    /// `wait`.
    pub fn healthz(&self, wait: Duration) -> Option<u16> {
        let mut stream = self.connect();
        stream.set_read_timeout(Some(wait)).expect("read timeout");
        let request = format!(
            "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).ok()?;
        line.split(' ').nth(1)?.parse().ok()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads stdout up to the banner's last line and returns the address it shows; stdout is then
/// drained in the background.
fn banner_addr(child: &mut Child) -> SocketAddr {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + TIMEOUT;
    let mut addr = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("no banner within {TIMEOUT:?}: exit {:?}", child.wait());
        };
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            let host = url.trim_start_matches("http://").split('/').next().unwrap_or("");
            addr = addr.or_else(|| host.parse().ok());
        }
        if line.contains("sfstub generate --with-cases") {
            return addr.expect("the banner shows the address");
        }
    }
}
