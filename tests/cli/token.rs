//! `sfstub token` and `serve --security`: a token printed by the binary is accepted by a
//! server sharing its state directory, in token and strict mode.

use crate::serve::Server;
use crate::util::*;

fn operation() -> String {
    let request = good_request("from-sfstub-token");
    let start = request
        .find("<k:KontrolsagListeHent_I")
        .expect("the request has the operation element");
    let end = request.find("</k:KontrolsagListeHent_I>").unwrap() + "</k:KontrolsagListeHent_I>".len();
    request[start..end].replace("<kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext>", "")
}

#[test]
fn token_prints_a_signed_assertion_for_the_cvr_and_service() {
    let out = run(&mut sfstub(&["token", "--cvr", "29189846", "--security-clock", CLOCK]));
    out.assert_success();
    let text = out.stdout_text();
    assert!(text.starts_with("<saml:Assertion"), "{text}");
    assert!(text.contains(">29189846<"), "{text}");
    assert!(text.contains("<saml:Audience>http://entityid.kombit.dk/service/kontrolsaglistehent/1</saml:Audience>"));
    assert!(text.contains("NotOnOrAfter=\"2026-11-22T20:00:00.000Z\""), "{text}");
    // The environment variable pins it the same way.
    let out = run(sfstub(&["token", "--cvr", "29189846"]).env("SFSTUB_SECURITY_CLOCK", CLOCK));
    out.assert_success();
    assert!(
        out.stdout_text().contains("IssueInstant=\"2026-11-22T12:00:00.000Z\""),
        "{}",
        out.stdout_text()
    );
}

/// The instant of `attribute="…"` in `text`.
fn instant(text: &str, attribute: &str) -> chrono::DateTime<chrono::Utc> {
    let start = text
        .find(&format!("{attribute}=\""))
        .unwrap_or_else(|| panic!("no {attribute} in {text}"));
    let value = &text[start + attribute.len() + 2..];
    let value = &value[..value.find('"').unwrap()];
    chrono::DateTime::parse_from_rfc3339(value)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

#[test]
fn a_token_lives_on_real_time_whatever_the_worlds_clock() {
    let before = chrono::Utc::now();
    let out = run(&mut sfstub(&[
        "token",
        "--cvr",
        "29189846",
        "--clock",
        "2020-01-01T00:00:00Z",
    ]));
    out.assert_success();
    let after = chrono::Utc::now();
    let text = out.stdout_text();
    let issued = instant(&text, "IssueInstant");
    assert!(
        issued >= before - chrono::Duration::seconds(1) && issued <= after + chrono::Duration::seconds(1),
        "issued {issued}, real time {before}..{after}"
    );
    assert_eq!(instant(&text, "NotBefore"), issued);
    assert_eq!(instant(&text, "NotOnOrAfter"), issued + chrono::Duration::hours(8));
}

/// The issue's case: a world pinned to another day, strict mode, a client signing at real time.
#[test]
fn a_pinned_world_clock_in_strict_mode_accepts_a_request_signed_at_real_time() {
    let body = TempFile::new("operation.xml", &operation());
    let out = run(&mut sfstub(&["token", "--cvr", "29189846", "--envelope", body.arg()]));
    out.assert_success();
    let server = Server::start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--security",
            "strict",
            "--clock",
            "2020-01-01T12:00:00Z",
        ],
        &[],
    );
    let (status, answer) = post(server.addr, "/kontrolsaglistehent/1", &out.stdout_text());
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("from-sfstub-token</"), "{answer}");
    assert!(server.text().contains("on real time"), "{}", server.text());
}

#[test]
fn a_pinned_security_clock_is_honoured_by_serve_and_token() {
    let body = TempFile::new("operation.xml", &operation());
    let pinned = run(&mut sfstub(&[
        "token",
        "--cvr",
        "29189846",
        "--envelope",
        body.arg(),
        "--security-clock",
        CLOCK,
    ]));
    pinned.assert_success();
    assert!(
        pinned.stdout_text().contains("<wsu:Created>2026-11-22T12:00:00"),
        "{}",
        pinned.stdout_text()
    );
    let real = run(&mut sfstub(&["token", "--cvr", "29189846", "--envelope", body.arg()]));
    real.assert_success();
    let server = Server::start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--security",
            "strict",
            "--security-clock",
            CLOCK,
        ],
        &[],
    );
    assert!(
        server.text().contains("on a pinned clock, 2026-11-22T12:00:00"),
        "{}",
        server.text()
    );
    let (status, answer) = post(server.addr, "/kontrolsaglistehent/1", &pinned.stdout_text());
    assert_eq!(status, 200, "{answer}");
    // A token issued at real time is from the pinned clock's future.
    let (status, answer) = post(server.addr, "/kontrolsaglistehent/1", &real.stdout_text());
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.contains("token rejected (strict mode): the token is not valid before")
            && answer.contains("security clock says 2026-11-22T12:00:00"),
        "{answer}"
    );
    // A bad value is refused naming the flag.
    let out = run(&mut sfstub(&["serve", "--security-clock", "yesterday"]));
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr.contains("--security-clock"), "{}", out.stderr);
}

#[test]
fn token_refuses_a_bad_cvr_and_an_unknown_service() {
    let out = run(&mut sfstub(&["token", "--cvr", "1234"]));
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr.contains("--cvr"), "{}", out.stderr);
    let out = run(&mut sfstub(&[
        "token",
        "--cvr",
        "29189846",
        "--service",
        "http://x.invalid/1",
    ]));
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr.contains("101"), "{}", out.stderr);
}

#[test]
fn an_envelope_from_sfstub_token_passes_strict_mode() {
    let body = TempFile::new("operation.xml", &operation());
    let out = run(&mut sfstub(&["token", "--cvr", "29189846", "--envelope", body.arg()]));
    out.assert_success();
    let envelope = out.stdout_text();
    for mode in ["token", "strict"] {
        let server = Server::start(&["--listen", "127.0.0.1:0", "--security", mode], &[]);
        assert!(
            server.text().contains(&format!("security: {mode}")),
            "{}",
            server.text()
        );
        let (status, answer) = post(server.addr, "/kontrolsaglistehent/1", &envelope);
        assert_eq!(status, 200, "{mode}: {answer}");
        assert!(answer.contains("from-sfstub-token</"), "{answer}");
        assert!(
            answer.contains("RelatesTo"),
            "a signed answer echoes the MessageID: {answer}"
        );
        // Without the token the same server refuses and says why.
        let (status, answer) = post(server.addr, "/kontrolsaglistehent/1", &good_request("no-token"));
        assert_eq!(status, 400, "{answer}");
        assert!(answer.contains(&format!("token rejected ({mode} mode)")), "{answer}");
    }
}

#[test]
fn serve_refuses_an_unknown_security_mode() {
    let out = run(&mut sfstub(&["serve", "--security", "paranoid"]));
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr.contains("--security"), "{}", out.stderr);
}

#[test]
fn an_envelope_with_a_request_header_reaches_sf1500_in_strict_mode() {
    let soeg = TempFile::new(
        "soeg.xml",
        r#"<v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sts="urn:oio:sts:6"><v:AttributListe><v:Egenskab><sts:CVR-NummerTekst>29189420</sts:CVR-NummerTekst></v:Egenskab></v:AttributListe><v:TilstandListe/><v:RelationListe/></v:SoegInput>"#,
    );
    let header = TempFile::new(
        "header.xml",
        r#"<rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f</rh:TransactionUUID></rh:RequestHeader>"#,
    );
    let out = run(&mut sfstub(&[
        "token",
        "--cvr",
        "29189846",
        "--service",
        "http://stoettesystemerne.dk/service/organisation/3",
        "--envelope",
        soeg.arg(),
        "--header",
        header.arg(),
        "--to",
        "http://127.0.0.1:8080/organisation/virksomhed/6",
        "--action",
        "http://kombit.dk/sts/organisation/virksomhed/soeg",
    ]));
    out.assert_success();
    let server = Server::start(&["--listen", "127.0.0.1:0", "--security", "strict"], &[]);
    let (status, answer) = post(server.addr, "/organisation/virksomhed/6", &out.stdout_text());
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains("<sd:StatusKode>20</sd:StatusKode>") || answer.contains("StatusKode>20<"),
        "{answer}"
    );
    assert!(
        answer.contains("7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f"),
        "the TransactionUUID is echoed: {answer}"
    );
    // --header without --envelope is a usage error.
    let out = run(&mut sfstub(&["token", "--cvr", "29189846", "--header", header.arg()]));
    assert_eq!(out.code(), Some(2));
}
