//! zeep (Python): `clients/zeep/sfstub_zeep.py`, in `off` mode and with tokens from the STS
//! in `token` mode.

use std::process::Command;
use std::time::Duration;

use crate::server::{Server, clients, ok_lines, require, run, state};

fn python() -> Command {
    require(
        "zeep",
        Command::new("python3").args(["-c", "import zeep"]),
        "python3 -m pip install zeep",
    );
    Command::new("python3")
}

const EXPECTED: [&str; 7] = [
    "OK SF1472 1 kontrolsag(er)",
    "OK SF1520 Jens Kjær Jensen",
    "OK SF1500 virksomhed ",
    "OK SF1500 organisation ",
    "OK SF1500 organisationenhed ",
    "OK SF1510 Klasse ",
    "OK SF1510 KlassifikationListeHent 1 klassifikation(er)",
];

#[track_caller]
fn assert_every_service_answered(text: &str) {
    let lines = ok_lines(text);
    assert_eq!(lines.len(), EXPECTED.len(), "{text}");
    for (line, expected) in lines.iter().zip(EXPECTED) {
        assert!(line.starts_with(expected), "{line:?} is not {expected:?}\n{text}");
    }
}

#[test]
fn zeep_clients_from_the_served_wsdls_call_every_service() {
    let server = Server::start(&[]);
    let ran = run(
        python().arg(clients().join("zeep/sfstub_zeep.py")).arg(&server.base),
        Duration::from_secs(240),
    );
    assert!(ran.success, "{}", ran.text);
    assert_every_service_answered(&ran.text);
}

#[test]
fn zeep_with_tokens_from_the_sts_calls_every_service_in_token_mode() {
    let server = Server::start(&["--security", "token"]);
    let (_, client_pem) = state();
    let ran = run(
        python()
            .arg(clients().join("zeep/sfstub_zeep.py"))
            .arg(&server.base)
            .arg("--token")
            .arg(client_pem),
        Duration::from_secs(240),
    );
    assert!(ran.success, "{}", ran.text);
    assert_every_service_answered(&ran.text);
    // Without the token the same client is refused: the token is what made it pass.
    let refused = run(
        python().arg(clients().join("zeep/sfstub_zeep.py")).arg(&server.base),
        Duration::from_secs(240),
    );
    assert!(!refused.success && refused.text.contains("token"), "{}", refused.text);
}
