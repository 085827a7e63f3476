//! The sfstub binary: parse the command line, load the scenario and the keys, bind, serve.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use sfstub::app::{App, Limits};
use sfstub::cli::{CertsCommand, Cli, Command, GenerateArgs, ServeArgs, TokenArgs};
use sfstub::scenario::Scenario;
use sfstub::security::keys::{self, Identity, KeyMaterial};
use sfstub::security::wss;
use sfstub::services::sf1514_sts::Issuer;
use sfstub::soap::SoapVersion;
use sfstub::world::{self, Cvr, export};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Generate(args) => generate(args),
        Command::Validate(args) => {
            let mut ok = true;
            for file in &args.files {
                match Scenario::load(file, None) {
                    Ok(s) => println!(
                        "{}: ok (scenario {:?}, {} hand-written persons)",
                        file.display(),
                        s.name,
                        s.persons.len()
                    ),
                    Err(e) => {
                        eprintln!("{e}");
                        ok = false;
                    }
                }
            }
            if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Command::Certs(command) => certs(command),
        Command::Token(args) => token(args),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let filter = match tracing_subscriber::EnvFilter::try_new(&args.log) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("sfstub: --log {:?} is not a valid log filter: {e}", args.log);
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| QuietStderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let scenario = match args.scenario.load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sfstub: {e}");
            return ExitCode::from(2);
        }
    };
    let limits = Limits {
        max_body: args.max_body,
        max_depth: usize::from(args.max_depth),
    };
    let keys = match serve_keys(&args) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("sfstub: {e}");
            return ExitCode::from(2);
        }
    };
    let tls = if args.keys.tls {
        match sfstub::tls::server_config(&keys, args.keys.tls_client_auth, args.keys.tls_client_ca.as_deref()) {
            Ok(config) => Some(tokio_rustls::TlsAcceptor::from(config)),
            Err(e) => {
                eprintln!("sfstub: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let mut app = App::with_keys(scenario, limits, Arc::new(keys));
    if let Some(mode) = args.security {
        app.security.mode = mode;
    }
    if let Some(skew) = args.clock_skew {
        app.security.skew = chrono::Duration::seconds(i64::from(skew));
    }
    if tls.is_some() {
        app.scheme = "https";
    }
    if let Some(dir) = &args.contracts {
        match sfstub::contracts::ContractDir::open(dir) {
            Ok(c) => app.contracts = Some(c),
            Err(e) => {
                eprintln!("sfstub: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let app = Arc::new(app);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sfstub: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("sfstub: cannot listen on {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().unwrap_or(args.listen);
        let scheme = if tls.is_some() { "https" } else { "http" };
        // A closed stdout (sfstub serve | head) must not stop the server: ignore write errors.
        let _ = write!(
            std::io::stdout(),
            "{}",
            sfstub::banner(&app, &format!("{scheme}://{addr}"))
        );
        let _ = std::io::stdout().flush();
        let shutdown = sfstub::server::shutdown_signal();
        let served = match tls {
            Some(acceptor) => sfstub::server::run_tls(listener, app, shutdown, acceptor).await,
            None => sfstub::server::run(listener, app, shutdown).await,
        };
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sfstub: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Loads or creates the key material, applies the PEM overrides and TLS names, and prints
/// (on stderr) one line saying where the keys are. Errors are one line.
fn serve_keys(args: &ServeArgs) -> Result<KeyMaterial, String> {
    let overrides = args.keys.overrides()?;
    let (mut keys, source) = keys::load_for_serve(args.keys.state_dir.as_deref()).map_err(|e| e.to_string())?;
    let mut line = source.to_string();
    let given = [
        ("STS", &overrides.sts, &mut keys.sts),
        ("service", &overrides.service, &mut keys.service),
        ("TLS", &overrides.tls, &mut keys.tls),
    ];
    for (what, pair, identity) in given {
        if let Some((cert, key)) = pair {
            *identity = Identity::from_pem_files(cert, key).map_err(|e| e.to_string())?;
            line.push_str(&format!("; {what} certificate from {}", cert.display()));
        }
    }
    if args.keys.tls && overrides.tls.is_none() {
        let mut names = args.keys.tls_name.clone();
        if !args.listen.ip().is_unspecified() && !args.listen.ip().is_loopback() {
            names.push(args.listen.ip().to_string());
        }
        keys.ensure_tls_names(&names).map_err(|e| e.to_string())?;
    }
    eprintln!("sfstub: {line}");
    Ok(keys)
}

fn certs(command: CertsCommand) -> ExitCode {
    match command {
        CertsCommand::Export { dir, state } => {
            let state_dir = state.dir();
            let keys = match KeyMaterial::load_or_create(&state_dir) {
                Ok((keys, created)) => {
                    if created {
                        eprintln!("sfstub: created keys and certificates in {}", state_dir.display());
                    }
                    keys
                }
                Err(e) => {
                    eprintln!("sfstub: {e}");
                    return ExitCode::from(2);
                }
            };
            match keys.export(&dir) {
                Ok(files) => {
                    for f in files {
                        println!("{}", f.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("sfstub: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        CertsCommand::Show { state } => {
            let state_dir = state.dir();
            if !state_dir.join("ca.pem").exists() {
                eprintln!(
                    "sfstub: no certificates in {} yet (sfstub serve or sfstub certs export creates them)",
                    state_dir.display()
                );
                return ExitCode::FAILURE;
            }
            match KeyMaterial::load(&state_dir) {
                Ok(keys) => {
                    println!("{}", state_dir.display());
                    print!("{}", keys.describe());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("sfstub: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn generate(args: GenerateArgs) -> ExitCode {
    let scenario = match args.scenario.load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sfstub: {e}");
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
            eprintln!("sfstub: cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `sfstub token`: a token from the STS for the sample client, or a whole signed request.
fn token(args: TokenArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("sfstub: {message}");
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
            eprintln!("sfstub: {source}");
            keys
        }
        Err(e) => return fail(e.to_string()),
    };
    let app = App::with_keys(scenario, Limits::default(), Arc::new(keys));
    let client = &app.keys.client;
    let issued = sfstub::http::with_context(&app, |ctx| {
        let audiences = app.loaded.audiences();
        let issuer = Issuer {
            ctx,
            audiences: &audiences,
        };
        issuer
            .issue(&args.service, cvr, &client.cert_der, client.info())
            .map(|i| (i, ctx.now))
    });
    let (issued, now) = match issued {
        Ok(x) => x,
        Err(e) => return fail(format!("the STS refuses: {}: {}", e.code, e.reason)),
    };
    let Some(body_file) = &args.envelope else {
        println!("{}", issued.assertion);
        return ExitCode::SUCCESS;
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
    if let Err(e) = sfstub::security::xmltree::Tree::parse(body.as_bytes()) {
        return fail(format!(
            "{} is not one XML element (the operation to put in the Body): {e}",
            body_file.display()
        ));
    }
    let header = match &args.header {
        None => None,
        Some(file) => match std::fs::read_to_string(file) {
            Ok(text) if sfstub::security::xmltree::Tree::parse(text.trim().as_bytes()).is_ok() => {
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
        Ok(xml) => {
            println!("{xml}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("cannot sign the request: {e}")),
    }
}

/// stderr for the request log, ignoring write errors: a reader that went away
/// (`sfstub serve 2>&1 | head`) must not take the server down with it.
struct QuietStderr;

impl Write for QuietStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}
