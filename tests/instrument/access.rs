//! Who may use the admin API. A non-loopback address may not exist here, so the rule for
//! addresses beyond loopback is proven through the decision (`Access::decide`, unit-tested in
//! the library) and, over a socket, through the decisions it makes: a locked admin API, a
//! token on loopback (given explicitly to the real binary), and `--admin off`.

use std::net::SocketAddr;

use sfstub::admin::{Access, AdminFlag};

use crate::harness::*;

#[test]
fn beyond_loopback_without_a_token_the_admin_api_is_locked_and_says_how_to_open_it() {
    let beyond: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let s = serve(|app| app.admin = Access::decide(AdminFlag::Auto, None, beyond).unwrap());
    s.get("/");
    for path in [
        "/__sfstub/journal",
        "/__sfstub/",
        "/__sfstub/openapi.json",
        "/__sfstub/unknown",
    ] {
        let a = s.get(path);
        assert_eq!(a.status, 401, "{path}");
        assert_eq!(a.header("WWW-Authenticate"), Some("Bearer realm=\"sfstub admin\""));
        let why = a.json()["error"].as_str().unwrap().to_owned();
        assert!(why.contains("--admin-token") && why.contains("--admin open"), "{why}");
    }
    let a = s.delete("/__sfstub/journal");
    assert_eq!(a.status, 401);
    // The journal still records: the lock is on reading it.
    assert_eq!(s.app.journal.stats().entries, 1);
}

#[test]
fn admin_open_opens_it_beyond_loopback() {
    let beyond: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let s = serve(|app| app.admin = Access::decide(AdminFlag::Open, None, beyond).unwrap());
    assert_eq!(s.get("/__sfstub/journal").status, 200);
}

#[test]
fn with_a_token_only_the_bearer_of_it_gets_in() {
    let beyond: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let s = serve(|app| app.admin = Access::decide(AdminFlag::Auto, Some("tok-7f3a"), beyond).unwrap());
    let get = |auth: Option<&str>| {
        let headers: Vec<(&str, &str)> = auth.map(|a| vec![("Authorization", a)]).unwrap_or_default();
        send(s.addr, "GET", "/__sfstub/journal/count", &headers, b"").status
    };
    assert_eq!(get(None), 401);
    assert_eq!(get(Some("Bearer nope")), 401);
    assert_eq!(get(Some("Bearer tok-7f3")), 401);
    assert_eq!(get(Some("Basic dG9rLTdmM2E=")), 401);
    assert_eq!(get(Some("Bearer tok-7f3a")), 200);
}

#[test]
fn admin_off_makes_the_prefix_an_unknown_path_like_any_other() {
    let s = serve(|app| app.admin = Access::Off);
    let a = s.get("/__sfstub/journal");
    assert_eq!(a.status, 404);
    assert!(
        a.text().starts_with("sfstub serves nothing at /__sfstub/journal"),
        "{}",
        a.text()
    );
    assert_eq!(s.app.journal.stats().entries, 1, "journaled as the unknown path it is");
}

#[test]
fn the_binary_requires_the_token_it_was_given_on_loopback_and_its_banner_says_so() {
    let mut child = crate::report::Binary::start(&["--admin-token", "ci-secret"]);
    assert!(child.banner.contains("bearer token required"), "{}", child.banner);
    assert_eq!(send(child.addr, "GET", "/__sfstub/journal", &[], b"").status, 401);
    let ok = send(
        child.addr,
        "GET",
        "/__sfstub/journal",
        &[("Authorization", "Bearer ci-secret")],
        b"",
    );
    assert_eq!(ok.status, 200);
    child.stop();
}

#[test]
fn the_banner_says_when_the_admin_api_is_off_or_open() {
    let mut off = crate::report::Binary::start(&["--admin", "off"]);
    assert!(off.banner.contains("admin API off"), "{}", off.banner);
    off.stop();
    let mut open = crate::report::Binary::start(&[]);
    assert!(open.banner.contains("/__sfstub/ (open)"), "{}", open.banner);
    open.stop();
}

#[test]
fn contradicting_admin_flags_stop_the_binary_with_one_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sfstub"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin",
            "open",
            "--admin-token",
            "x",
        ])
        .env_remove("SFSTUB_ADMIN")
        .env_remove("SFSTUB_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--admin open and --admin-token contradict"), "{err}");
}
