//! The sfstub binary: parse the command line, load the scenario, bind, serve.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use sfstub::app::{App, Limits};
use sfstub::cli::{Cli, Command, GenerateArgs, ServeArgs};
use sfstub::scenario::Scenario;
use sfstub::world::{self, export};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
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
        .with_writer(std::io::stderr)
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
    let app = Arc::new(App::new(scenario, limits));
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
        print!("{}", sfstub::banner(&app, &format!("http://{addr}")));
        let _ = std::io::stdout().flush();
        match sfstub::server::run(listener, app, sfstub::server::shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sfstub: {e}");
                ExitCode::FAILURE
            }
        }
    })
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
