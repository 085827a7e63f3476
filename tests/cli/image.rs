//! The Docker image's behaviour without a Docker engine: the Dockerfile's final stage and
//! docker-compose.yml are read, and the image's entry command is run the way the image runs it —
//! as its USER (when the test may switch users), with only its ENV and the compose file's
//! environment, the scenario "mounted" where the compose file mounts it, a fresh state volume —
//! then its HEALTHCHECK command is run beside it.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use crate::util::{TIMEOUT, wait_with_timeout};

/// What the final stage of the Dockerfile says.
#[derive(Debug, Default)]
struct Image {
    user: String,
    env: BTreeMap<String, String>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    healthcheck: Vec<String>,
    volumes: Vec<String>,
    exposed: Vec<String>,
    stop_signal: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A JSON-array instruction argument: `["sfstub", "serve"]`.
fn exec_form(text: &str) -> Vec<String> {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{text:?} is not the exec form: {e}"))
}

fn read_image() -> Image {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).expect("the Dockerfile");
    // Continuation lines joined; the last stage only.
    let joined = text.replace("\\\n", " ");
    let stage = joined.rsplit_once("\nFROM ").map(|(_, s)| s).expect("a final stage");
    let mut image = Image::default();
    for line in stage.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        match word {
            "USER" => image.user = rest.to_owned(),
            "ENV" => {
                let (k, v) = rest.split_once('=').expect("ENV key=value");
                image.env.insert(k.to_owned(), v.to_owned());
            }
            "ENTRYPOINT" => image.entrypoint = exec_form(rest),
            "CMD" => image.cmd = exec_form(rest),
            "HEALTHCHECK" => {
                let (_, cmd) = rest.split_once("CMD ").expect("HEALTHCHECK ... CMD [...]");
                image.healthcheck = exec_form(cmd);
            }
            "VOLUME" => image.volumes.push(rest.to_owned()),
            "EXPOSE" => image.exposed.push(rest.to_owned()),
            "STOPSIGNAL" => image.stop_signal = rest.to_owned(),
            _ => {}
        }
    }
    image
}

/// The compose file's sfstub service: environment, ports and volumes.
fn read_compose() -> serde_json::Value {
    let text = std::fs::read_to_string(repo().join("docker-compose.yml")).expect("docker-compose.yml");
    let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("docker-compose.yml is YAML");
    doc["services"]["sfstub"].clone()
}

/// `image_path` inside the container, as a path on this machine: through the compose file's
/// bind mounts (`./scenarios:/scenarios:ro`) or a named volume (`state`).
fn host_path(compose: &serde_json::Value, state: &Path, image_path: &str) -> String {
    for volume in compose["volumes"].as_array().expect("volumes") {
        let spec = volume.as_str().expect("short volume syntax");
        let mut parts = spec.split(':');
        let (source, target) = (parts.next().unwrap(), parts.next().unwrap());
        if let Some(rest) = image_path.strip_prefix(target) {
            let base = match source.strip_prefix("./") {
                Some(dir) => repo().join(dir),
                None => state.to_owned(),
            };
            return format!("{}{rest}", base.display());
        }
    }
    image_path.to_owned()
}

/// The image's command with its environment, as its user.
fn command(image: &Image, argv: &[String], env: &BTreeMap<String, String>) -> Command {
    assert_eq!(argv[0], "sfstub", "the image runs sfstub from PATH");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sfstub"));
    cmd.args(&argv[1..])
        .env_clear()
        .envs(env)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin");
    if is_root() {
        let uid: u32 = image.user.parse().expect("a numeric USER");
        cmd.uid(uid).gid(uid);
    }
    cmd
}

fn is_root() -> bool {
    uid_of("self") == 0
}

/// The real UID of a process, from /proc.
fn uid_of(pid: &str) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|u| u.parse().ok())
        .expect("a Uid line")
}

/// True when a TCP socket listens on 0.0.0.0:`port` (/proc/net/tcp: local address
/// `00000000:PORT`, state `0A`).
fn listens_on_all_addresses(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let local = format!("00000000:{port:04X}");
    table.lines().skip(1).any(|l| {
        let cols: Vec<&str> = l.split_whitespace().collect();
        cols.get(1) == Some(&local.as_str()) && cols.get(3) == Some(&"0A")
    })
}

fn get(addr: SocketAddr, path: &str, accept: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("sfstub accepts");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

#[test]
fn the_image_runs_as_its_user_on_all_addresses_with_the_mounted_scenario_and_passes_its_healthcheck() {
    let image = read_image();
    let compose = read_compose();
    // What the image promises.
    assert_ne!(image.user, "0", "the image runs as a non-root user");
    assert_ne!(image.user, "root");
    assert!(image.user.parse::<u32>().is_ok_and(|u| u > 0), "USER {:?}", image.user);
    assert_eq!(image.env.get("SFSTUB_LISTEN").map(String::as_str), Some("0.0.0.0:8080"));
    assert_eq!(image.exposed, vec!["8080"]);
    assert_eq!(
        image.env.get("SFSTUB_STATE_DIR").map(String::as_str),
        Some("/var/lib/sfstub")
    );
    assert_eq!(image.volumes, vec!["/var/lib/sfstub"]);
    assert_eq!(image.stop_signal, "SIGTERM");
    assert_eq!(image.healthcheck, vec!["sfstub", "healthcheck"]);
    assert_eq!(compose["ports"][0], "8080:8080");
    assert_eq!(compose["environment"]["SFSTUB_ADMIN"], "open");

    // The container's environment: the image's ENV, then the compose file's, paths mounted.
    let state = std::env::temp_dir().join(format!("sfstub-image-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state).unwrap();
    if is_root() {
        let uid: u32 = image.user.parse().unwrap();
        std::os::unix::fs::chown(&state, Some(uid), Some(uid)).expect("the state volume is the user's");
    }
    let mut env = image.env.clone();
    for (k, v) in compose["environment"].as_object().expect("environment") {
        env.insert(k.clone(), v.as_str().expect("a string").to_owned());
    }
    for value in env.values_mut() {
        if value.starts_with('/') {
            *value = host_path(&compose, &state, value);
        }
    }
    // The image's port, 8080, may be taken here: the same address with a port of the system's.
    env.insert("SFSTUB_LISTEN".into(), "0.0.0.0:0".into());
    assert!(
        Path::new(&env["SFSTUB_SCENARIO"]).ends_with("scenarios/demo-tre-myndigheder.yaml"),
        "{}",
        env["SFSTUB_SCENARIO"]
    );

    let argv: Vec<String> = image.entrypoint.iter().chain(&image.cmd).cloned().collect();
    assert_eq!(argv, vec!["sfstub", "serve"]);
    let mut child = command(&image, &argv, &env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the entry command starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + TIMEOUT;
    let mut banner = String::new();
    let port = loop {
        let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("no banner within {TIMEOUT:?}: {banner}\n{err}");
        };
        banner.push_str(&line);
        banner.push('\n');
        if let Some(rest) = line.split_whitespace().find_map(|w| w.strip_prefix("http://0.0.0.0:")) {
            break rest.split('/').next().unwrap().parse::<u16>().expect("a port");
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let pid = child.id().to_string();

    // Non-root, on every address, the mounted scenario, the state volume used.
    if is_root() {
        assert_eq!(
            uid_of(&pid),
            image.user.parse::<u32>().unwrap(),
            "runs as the image's USER"
        );
    } else {
        assert_ne!(uid_of(&pid), 0);
    }
    assert!(listens_on_all_addresses(port), "listens on 0.0.0.0:{port}");
    let (status, index) = get(addr, "/", "text/html");
    assert_eq!(status, 200);
    assert!(index.contains("demo-tre-myndigheder"), "the mounted scenario is served");
    let (status, _) = get(addr, "/__sfstub/ui/people?q=Sofie", "text/html");
    assert_eq!(status, 200, "the compose file opens the admin API and the pages");
    let kept: Vec<_> = std::fs::read_dir(&state).unwrap().collect();
    assert!(!kept.is_empty(), "the keys are kept in the state volume");

    // The HEALTHCHECK command, run the way Docker runs it: in the container, same environment.
    let mut health_env = env.clone();
    health_env.insert("SFSTUB_LISTEN".into(), format!("0.0.0.0:{port}"));
    let health = command(&image, &image.healthcheck, &health_env)
        .stdin(Stdio::null())
        .output()
        .expect("the healthcheck runs");
    assert!(
        health.status.success(),
        "{:?}: {}",
        health.status,
        String::from_utf8_lossy(&health.stderr)
    );
    assert!(String::from_utf8_lossy(&health.stdout).contains("ready: scenario \"demo-tre-myndigheder\""));

    // docker stop: SIGTERM, a clean exit; the healthcheck then fails, saying why.
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let exit = wait_with_timeout(&mut child, TIMEOUT).expect("sfstub exits after SIGTERM");
    assert!(exit.success(), "{exit:?}");
    let health = command(&image, &image.healthcheck, &health_env)
        .stdin(Stdio::null())
        .output()
        .expect("the healthcheck runs");
    assert_eq!(health.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&health.stderr).contains("cannot connect"),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );
    let _ = std::fs::remove_dir_all(&state);
}
