//! JAX-WS (the reference implementation, Metro, from Debian's `jaxws`): one wsimport per WSDL
//! as sfstub serves it, compiled with the client program from `clients/jaxws/`, run once.
//! The SF1520 client is generated from KOMBIT's token WSDL, whose policy turns WS-Addressing
//! on: Metro then refuses any answer without wsa:Action ("MissingAddressingHeaderException").

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::server::{Server, TempDir, clients, ok_lines, require, run, state};

/// The JAX-WS runtime as Debian installs it (Java 11+ has none of its own).
const JAXWS_LIB: &str = "/usr/share/jaxws/lib";

fn classpath(extra: &Path) -> String {
    let jars = [
        "jaxws-rt.jar",
        "jaxws-api.jar",
        "jaxb-api.jar",
        "jaxb-impl.jar",
        "jaxb-core.jar",
    ];
    let mut cp: Vec<String> = jars.iter().map(|j| format!("{JAXWS_LIB}/{j}")).collect();
    cp.push(extra.display().to_string());
    cp.join(":")
}

/// Generates the client of `wsdls` with wsimport, compiles it with `program`, and returns the
/// classes directory.
fn build(dir: &Path, name: &str, wsdls: &[String], program: &str) -> PathBuf {
    let src = dir.join(name).join("src");
    let classes = dir.join(name).join("classes");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&classes).unwrap();
    for wsdl in wsdls {
        // -extension: KOMBIT's støttesystem ports are SOAP 1.2. No -p: the contracts span
        // several namespaces, each its own package.
        let ran = run(
            Command::new("wsimport")
                .args(["-quiet", "-extension", "-Xnocompile", "-s"])
                .arg(&src)
                .arg("-d")
                .arg(&src)
                .arg(wsdl),
            Duration::from_secs(180),
        );
        assert!(ran.success, "wsimport {wsdl}:\n{}", ran.text);
    }
    let mut sources = Vec::new();
    collect_java(&src, &mut sources);
    let ran = run(
        Command::new("javac")
            .args(["-nowarn", "-encoding", "UTF-8", "-cp"])
            .arg(classpath(&classes))
            .arg("-d")
            .arg(&classes)
            .args(&sources)
            .arg(clients().join("jaxws").join(format!("{program}.java"))),
        Duration::from_secs(300),
    );
    assert!(ran.success, "javac {name}:\n{}", ran.text);
    classes
}

fn collect_java(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_java(&path, out);
        } else if path.extension().is_some_and(|e| e == "java") {
            out.push(path);
        }
    }
}

fn java(classes: &Path, program: &str, args: &[&str]) -> String {
    let ran = run(
        Command::new("java")
            .arg("-cp")
            .arg(classpath(classes))
            .arg(program)
            .args(args),
        Duration::from_secs(120),
    );
    assert!(ran.success, "java {program}:\n{}", ran.text);
    ok_lines(&ran.text).join("\n")
}

#[test]
fn jaxws_clients_from_wsimport_call_every_service_and_the_sts() {
    require(
        "wsimport (JAX-WS)",
        Command::new("wsimport").arg("-version"),
        "apt-get install jaxws",
    );
    require(
        "javac",
        Command::new("javac").arg("-version"),
        "apt-get install default-jdk-headless",
    );
    let server = Server::start(&[]);
    let base = &server.base;
    let (_, client_pem) = state();
    let dir = TempDir::new("jaxws");

    let wsdl = format!("{base}/kontrolsaglistehent/1?wsdl");
    let classes = build(
        dir.path(),
        "sf1472",
        std::slice::from_ref(&wsdl),
        "KontrolsagListeHentClient",
    );
    let out = java(
        &classes,
        "KontrolsagListeHentClient",
        &[&wsdl, "29189846", "1507804329"],
    );
    assert_eq!(out, "OK SF1472 1 kontrolsag(er), Fejl: 0");

    let wsdl = format!("{base}/service/CPR/PersonBaseDataExtended/4?wsdl=token");
    let classes = build(dir.path(), "sf1520", std::slice::from_ref(&wsdl), "PersonLookupClient");
    let out = java(&classes, "PersonLookupClient", &[&wsdl, "29189846", "1507804329"]);
    assert_eq!(out, "OK SF1520 Jens Kjær Jensen\nOK SF1520 fault PNR_NOT_FOUND");

    let wsdls: Vec<String> = ["virksomhed", "organisation", "organisationenhed"]
        .iter()
        .map(|o| format!("{base}/organisation/{o}/6?wsdl&policy=none"))
        .collect();
    let classes = build(dir.path(), "sf1500", &wsdls, "OrganisationClient");
    let out = java(&classes, "OrganisationClient", &[base]);
    assert_eq!(
        out,
        "OK SF1500 Virksomhed 3\nOK SF1500 Organisation 3\nOK SF1500 OrganisationEnhed 3"
    );

    let wsdl = format!("{base}/klasse/7?wsdl&policy=none");
    let classes = build(dir.path(), "klasse", std::slice::from_ref(&wsdl), "KlasseClient");
    let out = java(&classes, "KlasseClient", &[&wsdl]);
    assert!(out.starts_with("OK SF1510 Klasse "), "{out}");

    let wsdl = format!("{base}/klassifikationlistehent/2?wsdl");
    let classes = build(
        dir.path(),
        "listehent",
        std::slice::from_ref(&wsdl),
        "KlassifikationListeHentClient",
    );
    let out = java(&classes, "KlassifikationListeHentClient", &[&wsdl]);
    assert_eq!(out, "OK SF1510 KlassifikationListeHent 1 klassifikation(er)");

    let wsdl = format!("{base}/runtime/services/kombittrust/14/certificatemixed?wsdl");
    let classes = build(dir.path(), "sts", std::slice::from_ref(&wsdl), "StsClient");
    let out = java(
        &classes,
        "StsClient",
        &[
            &wsdl,
            client_pem.to_str().unwrap(),
            "http://entityid.kombit.dk/service/kontrolsaglistehent/1",
            "29189846",
        ],
    );
    assert_eq!(out, "OK SF1514 1 token(s)");
}
