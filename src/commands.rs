//! The one-shot commands of the binary: `generate`, `validate`, `certs` and `token`. They
//! print to stdout and return the process's exit code; `serve` lives in `main.rs`.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use crate::app::{App, Limits};
use crate::cli::{CertsCommand, GenerateArgs, TokenArgs, ValidateArgs};
use crate::say;
use crate::scenario::Scenario;
use crate::security::keys::{self, KeyMaterial};
use crate::security::wss;
use crate::services::sf1514_sts::Issuer;
use crate::soap::SoapVersion;
use crate::world::{self, Cvr, export};

/// `sfstub validate`: checks every file, reports every problem, exit 1 if any.
pub fn validate(args: ValidateArgs) -> ExitCode {
    let mut ok = true;
    for file in &args.files {
        match Scenario::load(file, None) {
            Ok(s) => {
                let contracts: Vec<String> = s
                    .contracts
                    .iter()
                    .map(|c| {
                        let operations: std::collections::BTreeSet<&str> =
                            c.operations.iter().map(|o| o.name.as_str()).collect();
                        format!(
                            "{} at {} ({} operations, {} rules)",
                            c.title,
                            c.paths[0],
                            operations.len(),
                            c.rules.len()
                        )
                    })
                    .collect();
                let served = if contracts.is_empty() {
                    String::new()
                } else {
                    format!("; contracts: {}", contracts.join("; "))
                };
                let line = format!(
                    "{}: ok (scenario {:?}, {} hand-written persons{served})\n",
                    file.display(),
                    s.name,
                    s.persons.len()
                );
                if emit(&line) != ExitCode::SUCCESS {
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                say!("{e}");
                ok = false;
            }
        }
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

pub fn certs(command: CertsCommand) -> ExitCode {
    match command {
        CertsCommand::Export { dir, state } => {
            let state_dir = state.dir();
            let keys = match KeyMaterial::load_or_create(&state_dir) {
                Ok((keys, created)) => {
                    if created {
                        say!("sfstub: created keys and certificates in {}", state_dir.display());
                    }
                    keys
                }
                Err(e) => {
                    say!("sfstub: {e}");
                    return ExitCode::from(2);
                }
            };
            match keys.export(&dir) {
                Ok(files) => {
                    let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
                    emit(&list)
                }
                Err(e) => {
                    say!("sfstub: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        CertsCommand::Show { state } => {
            let state_dir = state.dir();
            if !state_dir.join("ca.pem").exists() {
                say!(
                    "sfstub: no certificates in {} yet (sfstub serve or sfstub certs export creates them)",
                    state_dir.display()
                );
                return ExitCode::FAILURE;
            }
            match KeyMaterial::load(&state_dir) {
                Ok(keys) => emit(&format!("{}\n{}", state_dir.display(), keys.describe())),
                Err(e) => {
                    say!("sfstub: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

pub fn generate(args: GenerateArgs) -> ExitCode {
    let scenario = match args.scenario.load() {
        Ok(s) => s,
        Err(e) => {
            say!("sfstub: {e}");
            return ExitCode::from(2);
        }
    };
    let world = world::build(&scenario);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if args.authorities {
        export::write_authorities(&world, args.format, &mut out)
    } else {
        export::write_citizens(&world, args.with_cases, args.format, &mut out)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            say!("sfstub: cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `sfstub token`: a token from the STS for the sample client, or a whole signed request.
pub fn token(args: TokenArgs) -> ExitCode {
    let fail = |message: String| {
        say!("sfstub: {message}");
        ExitCode::from(2)
    };
    let scenario = match args.scenario.load() {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let cvr = match Cvr::parse(&args.cvr) {
        Ok(c) => c,
        Err(e) => return fail(format!("--cvr: {e}")),
    };
    let keys = match keys::load_for_serve(args.state_dir.as_deref()) {
        Ok((keys, source)) => {
            say!("sfstub: {source}");
            keys
        }
        Err(e) => return fail(e.to_string()),
    };
    let mut app = App::with_keys(scenario, Limits::default(), Arc::new(keys));
    if let Some(clock) = args.security_clock {
        app.security.clock = clock;
    }
    let client = &app.keys.client;
    let issued = crate::http::with_context(&app, |ctx| {
        let audiences = app.loaded().audiences();
        let issuer = Issuer {
            ctx,
            audiences: &audiences,
        };
        issuer
            .issue(&args.service, cvr, &client.cert_der, client.info())
            .map(|i| (i, ctx.guard.now()))
    });
    let (issued, now) = match issued {
        Ok(x) => x,
        Err(e) => return fail(format!("the STS refuses: {}: {}", e.code, e.reason)),
    };
    let Some(body_file) = &args.envelope else {
        return emit(&format!("{}\n", issued.assertion));
    };
    let body = if body_file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
    } else {
        std::fs::read_to_string(body_file)
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read {}: {e}", body_file.display())),
    };
    let body = body.trim().trim_start_matches('\u{feff}');
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map(|(_, b)| b.trim()).unwrap_or(body),
        None => body,
    };
    if let Err(e) = crate::security::xmltree::Tree::parse(body.as_bytes()) {
        return fail(format!(
            "{} is not one XML element (the operation to put in the Body): {e}",
            body_file.display()
        ));
    }
    let header = match &args.header {
        None => None,
        Some(file) => match std::fs::read_to_string(file) {
            Ok(text) if crate::security::xmltree::Tree::parse(text.trim().as_bytes()).is_ok() => {
                Some(text.trim().to_owned())
            }
            Ok(_) => return fail(format!("{} is not one XML element (the header to add)", file.display())),
            Err(e) => return fail(format!("cannot read {}: {e}", file.display())),
        },
    };
    let message_id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let request = wss::ClientRequest {
        version: SoapVersion::V12,
        action: &args.action,
        to: &args.to,
        body,
        assertion: &issued.assertion,
        assertion_id: &issued.assertion_id,
        key: &client.key,
        now,
        message_id: &message_id,
        header: header.as_deref(),
    };
    match wss::signed_request(&request) {
        Ok(xml) => emit(&format!("{xml}\n")),
        Err(e) => fail(format!("cannot sign the request: {e}")),
    }
}

/// Writes `text` to stdout: exit 0, also when the reader went away (`sfstub ... | head`); a
/// failed write (a full disk) is reported and gives exit 1. Never panics as `println!` does.
fn emit(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            say!("sfstub: cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}
