//! PHP SoapClient: `clients/php/sfstub_soapclient.php`, in `off` mode and with tokens from the
//! STS in `token` mode.

use std::process::Command;
use std::time::Duration;

use crate::server::{Server, clients, ok_lines, require, run, state};

const EXPECTED: [&str; 9] = [
    "OK SF1472 1 kontrolsag(er)",
    "OK SF1520 Jens Kjær Jensen",
    "OK SF1520 fault PNR not found",
    "OK SF1500 virksomhed ",
    "OK SF1500 organisation ",
    "OK SF1500 organisationenhed ",
    "OK SF1510 Klasse ",
    "OK SF1510 KlassifikationListeHent",
    "OK SF1514 token issued",
];

fn php(server: &Server, token: bool) -> crate::server::Ran {
    require(
        "php with the soap extension",
        Command::new("php").args(["-r", "exit(class_exists('SoapClient') ? 0 : 1);"]),
        "apt-get install php-cli php-soap",
    );
    let (_, client_pem) = state();
    let mut command = Command::new("php");
    command
        .arg(clients().join("php/sfstub_soapclient.php"))
        .arg(&server.base)
        .arg(client_pem);
    if token {
        command.arg("--token");
    }
    run(&mut command, Duration::from_secs(240))
}

#[track_caller]
fn assert_every_service_answered(text: &str) {
    let lines = ok_lines(text);
    assert_eq!(lines.len(), EXPECTED.len(), "{text}");
    for (line, expected) in lines.iter().zip(EXPECTED) {
        assert!(line.starts_with(expected), "{line:?} is not {expected:?}\n{text}");
    }
}

#[test]
fn php_soapclients_from_the_served_wsdls_call_every_service_and_the_sts() {
    let server = Server::start(&[]);
    let ran = php(&server, false);
    assert!(ran.success, "{}", ran.text);
    assert_every_service_answered(&ran.text);
}

#[test]
fn php_soapclients_with_tokens_from_the_sts_call_every_service_in_token_mode() {
    let server = Server::start(&["--security", "token"]);
    let ran = php(&server, true);
    assert!(ran.success, "{}", ran.text);
    assert_every_service_answered(&ran.text);
    let refused = php(&server, false);
    assert!(!refused.success && refused.text.contains("token"), "{}", refused.text);
}
