//! The sfstub binary: parse the command line, load the scenario and the keys, bind, serve.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use sfstub::app::{App, Limits};
use sfstub::cli::{Cli, Command, ServeArgs};
use sfstub::commands;
use sfstub::security::keys::{self, Identity, KeyMaterial};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Generate(args) => commands::generate(args),
        Command::Validate(args) => commands::validate(args),
        Command::Certs(command) => commands::certs(command),
        Command::Token(args) => commands::token(args),
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
    app.soap_version = args.soap_version;
    if let Some(skew) = args.clock_skew {
        app.security.skew = chrono::Duration::seconds(i64::from(skew));
    }
    if let Some(clock) = args.security_clock {
        app.security.clock = clock;
    }
    if tls.is_some() {
        app.scheme = "https";
    }
    if let Some(dir) = &args.contracts {
        match sfstub::contracts::ContractDir::open(dir) {
            Ok(c) => {
                app.contracts = Some(c);
                for warning in sfstub::contract_warnings(&app) {
                    eprintln!("sfstub: warning: {warning}");
                }
            }
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
