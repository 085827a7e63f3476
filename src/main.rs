//! The sfstub binary: parse the command line, load the scenario and the keys, bind, serve.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use sfstub::app::{App, Limits};
use sfstub::cli::{Cli, Command, ServeArgs};
use sfstub::logging::LogQueue;
use sfstub::security::keys::{self, Identity, KeyMaterial};
use sfstub::{commands, say, server};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Generate(args) => commands::generate(args),
        Command::Validate(args) => commands::validate(args),
        Command::Certs(command) => commands::certs(command),
        Command::Token(args) => commands::token(args),
        Command::Report(args) => sfstub::admin::client::report(args),
        Command::Healthcheck(args) => sfstub::admin::client::healthcheck(args),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let filter = match tracing_subscriber::EnvFilter::try_new(&args.log) {
        Ok(f) => f,
        Err(e) => {
            say!("sfstub: --log {:?} is not a valid log filter: {e}", args.log);
            return ExitCode::from(2);
        }
    };
    // Everything sfstub logs from here on goes through the queue, never blocking a request.
    let log = match LogQueue::stderr() {
        Ok(log) => log,
        Err(e) => {
            say!("sfstub: cannot start the log writer: {e}");
            return ExitCode::FAILURE;
        }
    };
    sfstub::logging::install(filter, &log, std::io::stderr().is_terminal());
    let code = serve_with(args, &log);
    log.finish(LOG_FLUSH);
    code
}

/// How long sfstub waits at exit for its last log lines to be taken by stderr.
const LOG_FLUSH: Duration = Duration::from_secs(1);

/// A line on stderr through the log queue.
fn note(log: &LogQueue, line: impl std::fmt::Display) {
    log.push(format!("sfstub: {line}\n").as_bytes());
}

fn serve_with(args: ServeArgs, log: &LogQueue) -> ExitCode {
    let mut scenario = match args.scenario.load() {
        Ok(s) => s,
        Err(e) => {
            note(log, e);
            return ExitCode::from(2);
        }
    };
    for wsdl in &args.contract {
        if let Err(e) = scenario.add_contract_file(wsdl) {
            note(log, e);
            return ExitCode::from(2);
        }
    }
    let limits = Limits {
        max_body: args.max_body,
        max_depth: usize::from(args.max_depth),
        max_attributes: usize::from(args.max_attributes),
        max_namespaces: usize::from(args.max_namespaces),
    };
    let keys = match serve_keys(&args) {
        Ok((k, line)) => {
            note(log, line);
            k
        }
        Err(e) => {
            note(log, e);
            return ExitCode::from(2);
        }
    };
    let tls = if args.keys.tls {
        match sfstub::tls::server_config(&keys, args.keys.tls_client_auth, args.keys.tls_client_ca.as_deref()) {
            Ok(config) => Some(tokio_rustls::TlsAcceptor::from(config)),
            Err(e) => {
                note(log, e);
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    // The port answers (/healthz 200, /readyz and the rest 503) while the world is built.
    let mut app = App::starting(&scenario, limits, Arc::new(keys));
    app.live.set_source(match &args.scenario.scenario {
        Some(path) => sfstub::live::Source::File(path.clone(), args.scenario.clock),
        None => sfstub::live::Source::Builtin(args.scenario.clock),
    });
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
    if let Some(age) = args.max_timestamp_age {
        app.security.max_timestamp_age = chrono::Duration::seconds(i64::from(age));
    }
    if let Some(lifetime) = args.max_timestamp_lifetime {
        app.security.max_timestamp_lifetime = chrono::Duration::seconds(i64::from(lifetime));
    }
    match client_cas(&args) {
        Ok(cas) => app.security.client_cas = cas,
        Err(e) => {
            note(log, e);
            return ExitCode::from(2);
        }
    }
    if tls.is_some() {
        app.scheme = "https";
    }
    if let Some(dir) = &args.contracts {
        match sfstub::contracts::ContractDir::open(dir) {
            Ok(c) => {
                // Requests are checked against the vendor's schemas too: compiled with each
                // world built (App::prepared), once per world. What the folder lacks is
                // noted once the world's services are built, before the banner.
                app.contracts = Some(c);
            }
            Err(e) => {
                note(log, e);
                return ExitCode::from(2);
            }
        }
    }
    if let Err(e) = instrument(&mut app, &args) {
        note(log, e);
        return ExitCode::from(2);
    }
    let report = args.instrument.report.clone();
    let watch = match (args.instrument.watch, &args.scenario.scenario) {
        (false, _) => None,
        (true, Some(path)) => Some(path.clone()),
        (true, None) => {
            note(
                log,
                "--watch needs --scenario FILE: the built-in scenario never changes",
            );
            return ExitCode::from(2);
        }
    };
    let app = Arc::new(app);
    let options = connection_options(&args);
    let runtime = match server::runtime(
        args.workers
            .map_or_else(|| server::runtime_workers(app.security.mode), usize::from),
    ) {
        Ok(r) => r,
        Err(e) => {
            note(log, format_args!("cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match server::bind(args.listen) {
            Ok(l) => l,
            Err(e) => {
                note(log, format_args!("cannot listen on {}: {e}", args.listen));
                return ExitCode::FAILURE;
            }
        };
        // Before the banner: whoever waits for it may send a signal at once.
        let signals = match server::StopSignals::install() {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("cannot listen for stop signals ({e}): Ctrl-C and SIGTERM end sfstub at once");
                None
            }
        };
        let addr = listener.local_addr().unwrap_or(args.listen);
        let scheme = if tls.is_some() { "https" } else { "http" };
        let ready = {
            let app = app.clone();
            let log = log.clone();
            async move {
                // On a thread of its own, ended before sfstub is ready. On the blocking pool,
                // the thread lingered for tokio's keep-alive of 10 s, holding the allocator's
                // pages of all that building freed, and gave them back when it ended: the
                // resident memory fell by 3-4 MiB 10 s after the start, idle or under load.
                // Not joined from the blocking pool either: that thread would do the same.
                let (done, finished) = tokio::sync::oneshot::channel::<()>();
                let built = app.clone();
                let built = match std::thread::Builder::new()
                    .name("sfstub-build".to_owned())
                    .spawn(move || {
                        built.build_world(scenario);
                        let _ = done.send(());
                    }) {
                    // Once built, joining waits only for the thread's ending (its thread-local
                    // destructors); after a panic, `finished` fails and `join` reports it.
                    Ok(building) => {
                        let _ = finished.await;
                        building.join().is_ok()
                    }
                    Err(e) => {
                        tracing::error!("cannot start a thread to build the world: {e}");
                        false
                    }
                };
                if !built {
                    tracing::error!("building the world failed");
                    return std::future::pending().await;
                }
                app.set_ready(true);
                for warning in sfstub::contract_warnings(&app) {
                    note(&log, format_args!("warning: {warning}"));
                }
                // A closed stdout (sfstub serve | head) must not stop the server: ignore write errors.
                let _ = write!(
                    std::io::stdout(),
                    "{}",
                    sfstub::banner(&app, &format!("{scheme}://{addr}"))
                );
                let _ = std::io::stdout().flush();
                if let Some(path) = watch {
                    tracing::info!("watching {} (--watch): a change reloads it", path.display());
                    sfstub::live::watch::run(app, path).await;
                }
                std::future::pending::<()>().await
            }
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let signals = stop_signals(signals, stop, options.drain_timeout);
        let shutdown = async {
            let _ = stopped.await;
        };
        let code = tokio::select! {
            served = server::run_with(listener, app.clone(), shutdown, options, tls) => match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    note(log, e);
                    ExitCode::FAILURE
                }
            },
            // A second signal: stop now; open connections are cut.
            () = signals => ExitCode::SUCCESS,
            () = ready => ExitCode::SUCCESS,
        };
        // The conformance report, once no more requests come (--report).
        match report.as_deref() {
            Some(path) if !write_report(&app, path, log) => ExitCode::FAILURE,
            _ => code,
        }
    })
}

/// Sets up the journal, the admin API and conformance from the flags.
fn instrument(app: &mut App, args: &ServeArgs) -> Result<(), String> {
    let i = &args.instrument;
    app.journal = sfstub::journal::Journal::new(sfstub::journal::Config {
        max_entries: i.journal_size,
        max_bytes: i.journal_bytes,
    });
    app.admin = sfstub::admin::Access::decide(i.admin, i.admin_token.as_deref(), args.listen)?;
    app.conformance = i.conformance;
    if let Some(path) = &i.report {
        if i.journal_size == 0 {
            return Err("--report needs the journal: drop --journal-size 0".into());
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        if !dir.is_dir() {
            return Err(format!(
                "--report {}: the folder {} does not exist",
                path.display(),
                dir.display()
            ));
        }
    }
    Ok(())
}

/// Writes the conformance report on shutdown: JUnit XML, or JSON for a `.json` file; one
/// line on stderr says where and what it holds. False when it could not be written.
fn write_report(app: &App, path: &std::path::Path, log: &LogQueue) -> bool {
    let report = app.journal.report();
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let text = if json {
        serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
    } else {
        report.junit()
    };
    // Write beside the target and rename, so a reader never sees half a report.
    let tmp = path.with_extension("sfstub-tmp");
    match std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => {
            note(
                log,
                format_args!(
                    "report written to {} ({} exchange(s), {} conformance error(s), {} warning(s))",
                    path.display(),
                    report.exchanges,
                    report.errors,
                    report.warnings
                ),
            );
            true
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            note(log, format_args!("cannot write the report to {}: {e}", path.display()));
            false
        }
    }
}

/// The server options from the flags, with the connection limit lowered to fit the
/// open-files limit (raised toward its hard limit first).
fn connection_options(args: &ServeArgs) -> server::Options {
    let mut options = args.connections.options();
    if let Some(files) = server::listen::raise_descriptor_limit() {
        if files.soft != files.before {
            tracing::debug!(
                "open-files limit raised from {} to {} (hard limit {})",
                files.before,
                files.soft,
                files.hard
            );
        }
        let fitted = server::listen::fit_connections(options.max_connections, files.soft);
        if fitted < options.max_connections {
            tracing::warn!(
                "--max-connections {} lowered to {fitted}: the open-files limit is {} (hard limit {}; raise it with ulimit -n)",
                options.max_connections,
                files.soft,
                files.hard
            );
            options.max_connections = fitted;
        }
    }
    options
}

/// Waits for the stop signals: the first (Ctrl-C, SIGTERM, SIGHUP) sends on `stop` for a
/// graceful stop; the second one ends this future, which stops sfstub at once.
async fn stop_signals(signals: Option<server::StopSignals>, stop: tokio::sync::oneshot::Sender<()>, drain: Duration) {
    let Some(mut signals) = signals else {
        let _stop = stop;
        return std::future::pending().await;
    };
    let name = signals.recv().await;
    tracing::info!(
        "{name}: stopping; open connections get up to {drain:?} to finish (--drain-timeout); a second signal stops at once"
    );
    let _ = stop.send(());
    let name = signals.recv().await;
    tracing::warn!("{name} again: stopping at once");
}

/// Loads or creates the key material, applies the PEM overrides and TLS names; returns it with
/// one line saying where the keys are. Errors are one line.
fn serve_keys(args: &ServeArgs) -> Result<(KeyMaterial, String), String> {
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
    Ok((keys, line))
}

/// The CAs whose certificates an agreement may name by subject: `--client-ca` (each must be
/// an RSA CA) and the RSA ones of `--tls-client-ca` (which TLS already trusts).
fn client_cas(args: &ServeArgs) -> Result<Vec<keys::CertInfo>, String> {
    let mut cas = match &args.client_ca {
        Some(file) => keys::read_ca_file(file, false).map_err(|e| format!("--client-ca {e}"))?,
        None => Vec::new(),
    };
    if let Some(file) = &args.keys.tls_client_ca {
        cas.extend(keys::read_ca_file(file, true).map_err(|e| format!("--tls-client-ca {e}"))?);
    }
    Ok(cas)
}
