//! Reloading the scenario: on demand and with `--watch`; a broken file keeps the old world;
//! added persons survive; requests during reloads always see one whole world; `/readyz`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sfstub::live::Source;

use crate::harness::*;

const NEW: &str = "0202902345";

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("steer-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The default scenario, with one more person (`extra`) when given.
fn scenario_text(extra: Option<&str>) -> String {
    let mut text = sfstub::scenario::DEFAULT_SCENARIO.to_owned();
    if let Some(cpr) = extra {
        let marker = "persons:\n";
        let at = text.find(marker).expect("the default scenario has persons") + marker.len();
        text.insert_str(
            at,
            &format!("  - cpr: \"{cpr}\"\n    name: Ny Person\n    kommune: \"0101\"\n    cases:\n      - {{ holder: UDK, theme: SAMLIV, benefit: BOERNETILSKUD, status: AABEN, opened: -10d }}\n"),
        );
    }
    text
}

fn cases_for(s: &Server, cpr: &str) -> usize {
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, cpr))
        .text()
        .matches("<Kontrolsag>")
        .count()
}

#[test]
fn a_reload_serves_the_new_file_and_keeps_the_added_persons() {
    let d = dir("good");
    let file = d.join("s.yaml");
    std::fs::write(&file, scenario_text(None)).unwrap();
    let clock = sfstub::scenario::parse_clock(crate::world::CLOCK).unwrap();
    let s = serve(|app| app.live.set_source(Source::File(file.clone(), Some(clock))));
    let added = s.post("/__sfstub/persons", &[], r#"{"cpr": "0101901234", "kommune": "0101", "cases": [{"holder": "UDK", "theme": "SAMLIV", "benefit": "BOERNETILSKUD", "status": "AABEN", "opened": "-3d"}]}"#);
    assert_eq!(added.status, 201, "{}", added.text());
    assert_eq!(cases_for(&s, NEW), 0);
    std::fs::write(&file, scenario_text(Some(NEW))).unwrap();
    let a = s.post("/__sfstub/reload", &[], "");
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["reloaded"], file.display().to_string());
    assert_eq!(cases_for(&s, NEW), 1, "the new file's person");
    assert_eq!(cases_for(&s, "0101901234"), 1, "the added person survives");
    assert_eq!(s.get("/__sfstub/persons/0202902345").json()["origin"], "scenario");
}

#[test]
fn a_broken_file_keeps_the_old_world_and_the_answer_names_file_line_and_field() {
    let d = dir("broken");
    let file = d.join("s.yaml");
    std::fs::write(&file, scenario_text(Some(NEW))).unwrap();
    let s = serve(|app| app.live.set_source(Source::File(file.clone(), None)));
    assert_eq!(s.post("/__sfstub/reload", &[], "").status, 200);
    assert_eq!(cases_for(&s, NEW), 1);
    std::fs::write(
        &file,
        "name: broken\npopulation:\n  citizens: lots\npersons:\n  - cpr: \"3213901234\"\n    kommune: \"0101\"\n",
    )
    .unwrap();
    let a = s.post("/__sfstub/reload", &[], "");
    assert_eq!(a.status, 422, "{}", a.text());
    let body = a.json();
    assert_eq!(body["field"], "population.citizens");
    assert_eq!(body["problems"][0]["line"], 3);
    let text = body["text"].as_str().unwrap();
    assert!(text.contains(&format!("{}:3:", file.display())), "{text}");
    assert_eq!(cases_for(&s, NEW), 1, "the old world keeps serving");
    std::fs::remove_file(&file).unwrap();
    let a = s.post("/__sfstub/reload", &[], "");
    assert_eq!(a.status, 422);
    assert!(a.json()["error"].as_str().unwrap().contains("old world keeps serving"));
    assert_eq!(cases_for(&s, NEW), 1);
    let metrics = s.get("/__sfstub/metrics").text();
    assert!(
        metrics.contains(r#"sfstub_reloads_total{result="failed"} 2"#),
        "{metrics}"
    );
}

#[test]
fn requests_during_reloads_always_see_one_whole_world() {
    let d = dir("flip");
    let file = d.join("s.yaml");
    let (with, without) = (scenario_text(Some(NEW)), scenario_text(None));
    std::fs::write(&file, &with).unwrap();
    let s = serve(|app| app.live.set_source(Source::File(file.clone(), None)));
    let addr = s.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reloader = {
        let stop = stop.clone();
        let file = file.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 40 {
                std::fs::write(&file, if n % 2 == 0 { &without } else { &with }).unwrap();
                let a = send(addr, "POST", "/__sfstub/reload", &[], b"");
                assert_eq!(a.status, 200, "{}", a.text());
                n += 1;
            }
            n
        })
    };
    // Jens (one UDK case) is in both files; the new person in one. Every answer is whole.
    for _ in 0..60 {
        let jens = s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS)).text();
        assert_eq!(jens.matches("<Kontrolsag>").count(), 1, "{jens}");
        let n = cases_for(&s, NEW);
        assert!(n <= 1);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reloader.join().unwrap() > 0);
}

/// A running `sfstub serve` (the binary), killed on drop.
struct Binary {
    child: std::process::Child,
    addr: std::net::SocketAddr,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Binary {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfstub"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--clock",
            crate::world::CLOCK,
            "--log",
            "warn",
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sfstub serve starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("a banner").expect("stdout");
        if let Some(i) = line.find("http://") {
            let rest = &line[i + "http://".len()..];
            break rest[..rest.find('/').unwrap()].parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Binary { child, addr }
}

#[test]
fn watch_reloads_the_file_when_it_changes_and_keeps_the_old_world_when_it_breaks() {
    let d = dir("watch");
    let file = d.join("s.yaml");
    std::fs::write(&file, scenario_text(None)).unwrap();
    let path = file.display().to_string();
    let b = start(&["--scenario", &path, "--watch"]);
    assert_eq!(send(b.addr, "GET", "/readyz", &[], b"").status, 200);
    let count = |cpr: &str| {
        send(
            b.addr,
            "POST",
            "/kontrolsaglistehent/1",
            &[("Content-Type", "application/soap+xml")],
            kontrolsag(KOEBENHAVN, cpr).as_bytes(),
        )
        .text()
        .matches("<Kontrolsag>")
        .count()
    };
    assert_eq!(count(NEW), 0);
    let until = |want: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if count(NEW) == want {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    std::fs::write(&file, scenario_text(Some(NEW))).unwrap();
    assert!(until(1), "the change is picked up");
    std::fs::write(&file, "name: [broken\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(count(NEW), 1, "a broken file keeps the old world");
    let metrics = send(b.addr, "GET", "/__sfstub/metrics", &[], b"").text();
    assert!(
        metrics.contains(r#"sfstub_reloads_total{result="failed"}"#),
        "{metrics}"
    );
    std::fs::write(&file, scenario_text(None)).unwrap();
    assert!(until(0), "and the next good version is served");
}

#[test]
fn watch_needs_a_scenario_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_sfstub"))
        .args(["serve", "--listen", "127.0.0.1:0", "--watch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--watch needs --scenario FILE"));
}

#[test]
fn readyz_answers_only_once_the_world_is_built() {
    let scenario = crate::world::scenario();
    let app = sfstub::app::App::starting(
        &scenario,
        sfstub::app::Limits::default(),
        sfstub::security::keys::KeyMaterial::ephemeral_shared(),
    );
    let get = |path: &str| {
        let request = http::Request::get(path).body(bytes::Bytes::new()).unwrap();
        sfstub::http::handle(&app, request)
    };
    assert_eq!(get("/healthz").status(), 200);
    assert_eq!(get("/readyz").status(), 503);
    assert_eq!(get("/readyz").headers()["retry-after"], "1");
    let soap = http::Request::post("/kontrolsaglistehent/1")
        .body(bytes::Bytes::from(kontrolsag(KOEBENHAVN, JENS)))
        .unwrap();
    assert_eq!(sfstub::http::handle(&app, soap).status(), 503);
    app.build(scenario);
    assert_eq!(get("/readyz").status(), 200);
    let body = String::from_utf8(get("/readyz").body().to_vec()).unwrap();
    assert!(body.starts_with("ready: scenario \"default\""), "{body}");
}
