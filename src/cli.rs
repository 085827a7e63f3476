//! The command line: flags (each also read from an `SFSTUB_*` environment variable),
//! validated into values before anything binds.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::scenario::{Scenario, ScenarioError, parse_clock};
use crate::security::SecurityMode;
use crate::tls::ClientAuth;
use crate::world::Clock;
use crate::world::export::Format;

/// A local stand-in for KOMBIT's Serviceplatformen: SF1472 KontrolsagListeHent on a
/// deterministic synthetic world.
#[derive(Debug, Parser)]
#[command(name = "sfstub", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the scenario's world over HTTP (HTTPS with --tls).
    Serve(Box<ServeArgs>),
    /// Print the world's citizens (or authorities) as JSON or CSV, to pick test CPR numbers.
    Generate(GenerateArgs),
    /// Check scenario files and report every problem with file, line and field.
    Validate(ValidateArgs),
    /// Export or show sfstub's certificates (export creates them in the state directory if missing).
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Issue a token as the STS would, for trying the token model with curl: prints the
    /// assertion, or with --envelope a complete signed request.
    Token(TokenArgs),
    /// Fetch the conformance report of a running sfstub (for a CI step): exits 1 when it has
    /// findings at the --fail-on level.
    Report(ReportArgs),
    /// Ask the sfstub listening on --listen (the same SFSTUB_LISTEN `serve` reads) whether it
    /// is ready: exit 0 when GET /readyz answers 200, 1 otherwise. For Docker's HEALTHCHECK.
    Healthcheck(HealthcheckArgs),
}

/// `sfstub healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The address sfstub listens on; an unspecified address (0.0.0.0, [::]) is reached on
    /// loopback.
    #[arg(long, env = "SFSTUB_LISTEN", default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// sfstub serves HTTPS (SFSTUB_TLS): only check that the port accepts connections.
    #[arg(long, env = "SFSTUB_TLS", value_parser = clap::builder::BoolishValueParser::new())]
    pub tls: bool,
    /// How long to wait for the answer, in seconds.
    #[arg(long, default_value_t = 3, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=60))]
    pub timeout: u64,
}

/// `sfstub report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The running sfstub's base URL (plain HTTP).
    #[arg(
        long,
        env = "SFSTUB_URL",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    pub url: String,
    /// Exit 1 when the report has a finding of this severity or worse.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "LEVEL")]
    pub fail_on: FailOn,
    /// The report's format on standard output (or in --output).
    #[arg(long, value_enum, default_value_t = ReportFormat::Junit, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The admin token sfstub was started with (sent as Authorization: Bearer).
    #[arg(long, env = "SFSTUB_ADMIN_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub admin_token: Option<String>,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Fail on conformance errors only.
    Error,
    /// Fail on errors and warnings.
    Warning,
}

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// JUnit XML, for the pipeline's test results.
    Junit,
    /// The JSON of GET /__sfstub/report.
    Json,
}

/// `sfstub token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The CVR the token speaks for (the anvenderkontekst), e.g. 29189846 (Viborg Kommune).
    #[arg(long, value_name = "CVR")]
    pub cvr: String,
    /// The service's entity ID (the audience).
    #[arg(long, value_name = "ENTITY_ID", default_value = crate::services::sf1472_kontrolsag::ENTITY_ID)]
    pub service: String,
    /// Where sfstub keeps its keys: use the same as `serve`, so the server trusts the token.
    #[arg(long, env = "SFSTUB_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<std::path::PathBuf>,
    /// Print a complete SOAP 1.2 request in the token model, signed with the sample client's
    /// key, whose Body holds the operation element read from FILE (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub envelope: Option<std::path::PathBuf>,
    /// Another SOAP header for the envelope, one XML element read from FILE, e.g. SF1500's and
    /// SF1510's `RequestHeader` with a `TransactionUUID` (not signed, as their policy says).
    #[arg(long, value_name = "FILE", requires = "envelope")]
    pub header: Option<std::path::PathBuf>,
    /// wsa:To of the envelope.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:8080/kontrolsaglistehent/1",
        requires = "envelope"
    )]
    pub to: String,
    /// Pin the security clock: the token's IssueInstant and lifetime and the envelope's
    /// Timestamp (`now` or an RFC 3339 time). Default: the scenario's security.clock, else
    /// real time — never --clock, which only fixes the world's "today". Give the server the
    /// same setting, or it refuses a token from another time.
    #[arg(long, env = "SFSTUB_SECURITY_CLOCK", value_name = "TIME", value_parser = parse_clock)]
    pub security_clock: Option<Clock>,
    /// wsa:Action of the envelope.
    #[arg(
        long,
        value_name = "ACTION",
        default_value = "http://www.kombit.dk/int/2022/01/01/KontrolsagListeHentService#KontrolsagListeHent",
        requires = "envelope"
    )]
    pub action: String,
}

/// Which scenario to use, shared by `serve` and `generate`.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (YAML). Without it, the built-in default scenario.
    #[arg(long, env = "SFSTUB_SCENARIO", value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Override the scenario's clock, the world's "today" for business dates (case dates, the
    /// henlagt window, ages): `now` or an RFC 3339 time such as 2026-11-22T12:00:00Z. Who exists never depends
    /// on it, and security (Timestamps, tokens) runs on real time unless --security-clock pins it.
    #[arg(long, env = "SFSTUB_CLOCK", value_name = "TIME", value_parser = parse_clock)]
    pub clock: Option<Clock>,
}

impl ScenarioArgs {
    /// Loads and validates the chosen scenario.
    pub fn load(&self) -> Result<Scenario, ScenarioError> {
        match &self.scenario {
            Some(path) => Scenario::load(path, self.clock),
            None => Scenario::parse(
                crate::scenario::DEFAULT_SCENARIO,
                crate::scenario::DEFAULT_SCENARIO_FILE,
                self.clock,
            ),
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Address and port to listen on (localhost means 127.0.0.1). Use 0.0.0.0:8080 to be
    /// reachable from other machines (Docker).
    #[arg(long, env = "SFSTUB_LISTEN", default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// Largest request body accepted, e.g. 1MiB, 512KiB or a number of bytes.
    #[arg(long, env = "SFSTUB_MAX_BODY", default_value = "1MiB", value_parser = parse_size, value_name = "SIZE")]
    pub max_body: usize,
    /// Deepest XML element nesting accepted in a request.
    #[arg(long, env = "SFSTUB_MAX_DEPTH", default_value_t = 64, value_parser = clap::value_parser!(u16).range(8..=1024), value_name = "N")]
    pub max_depth: u16,
    /// Most attributes an XML element of a request may carry, namespace declarations included.
    #[arg(long, env = "SFSTUB_MAX_ATTRIBUTES", default_value_t = 128, value_parser = clap::value_parser!(u16).range(8..=4096), value_name = "N")]
    pub max_attributes: u16,
    /// Most namespace declarations in scope at any XML element of a request (its own and its
    /// ancestors').
    #[arg(long, env = "SFSTUB_MAX_NAMESPACES", default_value_t = 128, value_parser = clap::value_parser!(u16).range(8..=4096), value_name = "N")]
    pub max_namespaces: u16,
    /// Threads that read requests and write answers (default: one per core but one in `off`,
    /// leaving a core to the client under test; half the cores in `token` and `strict`, whose
    /// service calls have threads of their own). At most 1024.
    #[arg(long, env = "SFSTUB_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024), value_name = "N")]
    pub workers: Option<u16>,
    /// Log filter (tracing syntax), e.g. info, warn, sfstub::request=off.
    #[arg(long, env = "SFSTUB_LOG", default_value = "info", value_name = "FILTER")]
    pub log: String,
    /// How strictly callers are checked: off (the caller's CVR as the request states it),
    /// token (a token from sfstub's STS is required) or strict (also the holder-of-key's
    /// message signature, Timestamp and addressing). Overrides the scenario's security.mode.
    #[arg(long, env = "SFSTUB_SECURITY", value_enum, value_name = "MODE")]
    pub security: Option<SecurityMode>,
    /// Whether a service answers a SOAP version its contract does not bind: lenient answers it
    /// in kind; strict refuses it with a SOAP 1.1 VersionMismatch fault (SOAP 1.2 Part 1
    /// Appendix A). SF1500, SF1510 and the STS speak SOAP 1.2 only, SF1520 SOAP 1.1 only, SF1472
    /// both. Default: strict with --security strict, lenient otherwise.
    #[arg(long, env = "SFSTUB_SOAP_VERSION", value_enum, value_name = "CHECK")]
    pub soap_version: Option<crate::soap::VersionCheck>,
    /// Tolerated clock difference in seconds for Timestamps and tokens (default: the
    /// scenario's security.clock_skew, 300).
    #[arg(long, env = "SFSTUB_CLOCK_SKEW", value_name = "SECONDS")]
    pub clock_skew: Option<u32>,
    /// Pin the security clock, against which Timestamps and tokens are judged and at which the
    /// STS issues tokens: `now` or an RFC 3339 time (for reproducible tests). Default: the
    /// scenario's security.clock, else real time. Independent of --clock, which only fixes the
    /// world's "today" (business dates).
    #[arg(long, env = "SFSTUB_SECURITY_CLOCK", value_name = "TIME", value_parser = parse_clock)]
    pub security_clock: Option<Clock>,
    /// How long after its Created a request's wsu:Timestamp is still accepted, in seconds,
    /// beyond the clock skew (strict mode, and the STS in strict mode) [default: the
    /// scenario's security.max_timestamp_age, 300].
    #[arg(long, env = "SFSTUB_MAX_TIMESTAMP_AGE", value_name = "SECONDS")]
    pub max_timestamp_age: Option<u32>,
    /// The longest lifetime (Expires − Created) of a request's wsu:Timestamp, in seconds
    /// [default: the scenario's security.max_timestamp_lifetime, 3600].
    #[arg(long, env = "SFSTUB_MAX_TIMESTAMP_LIFETIME", value_name = "SECONDS")]
    pub max_timestamp_lifetime: Option<u32>,
    /// CA certificates (PEM) whose certificates a service agreement may name by subject
    /// (`agreements[].system`), beside sfstub's own CA and --tls-client-ca. Any other
    /// certificate is pinned by its SHA-256 thumbprint.
    #[arg(long, env = "SFSTUB_CLIENT_CA", value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// A folder holding a vendor's own copy of KOMBIT's contract files (e.g. a newer one):
    /// served at `?wsdl` of SF1520, SF1500, SF1510 Klasse and the STS instead of the copies
    /// sfstub ships, addresses rewritten. A service the folder has no WSDL for keeps the
    /// shipped one (a warning at start says which).
    #[arg(long, env = "SFSTUB_CONTRACTS", value_name = "DIR")]
    pub contracts: Option<std::path::PathBuf>,
    /// Serve another SF service from its WSDL (with the XSDs it imports beside it), for a
    /// quick look: every operation answers a schema-valid generated response, on the path of
    /// the WSDL's address. Repeat for more; a scenario's `contracts:` adds response rules.
    #[arg(
        long = "contract",
        env = "SFSTUB_CONTRACT",
        value_name = "WSDL",
        value_delimiter = ','
    )]
    pub contract: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub instrument: InstrumentArgs,
}

/// The test instrument: journal, admin API, conformance, report.
#[derive(Debug, Args)]
pub struct InstrumentArgs {
    /// Journal entries kept (the oldest are dropped beyond); 0 turns the journal off.
    #[arg(long, env = "SFSTUB_JOURNAL_SIZE", default_value_t = crate::journal::DEFAULT_ENTRIES, value_name = "N")]
    pub journal_size: usize,
    /// Journal bytes kept (bodies, at most 64 KiB each, plus each entry's fields), e.g. 32MiB;
    /// at least 1MiB.
    #[arg(long, env = "SFSTUB_JOURNAL_BYTES", default_value = "32MiB", value_parser = parse_journal_bytes, value_name = "SIZE")]
    pub journal_bytes: usize,
    /// The admin API under /__sfstub/: auto (open on loopback, needs --admin-token elsewhere),
    /// open (to anyone who reaches the port) or off.
    #[arg(long, env = "SFSTUB_ADMIN", value_enum, default_value_t = crate::admin::AdminFlag::Auto, value_name = "MODE")]
    pub admin: crate::admin::AdminFlag,
    /// A secret the admin API requires as Authorization: Bearer TOKEN (prefer the environment
    /// variable: a flag shows in the process list).
    #[arg(long, env = "SFSTUB_ADMIN_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub admin_token: Option<String>,
    /// Request conformance: off, record (findings in the journal, the report and the log) or
    /// strict (also refuse what the platform's validation refuses, with its fault).
    #[arg(long, env = "SFSTUB_CONFORMANCE", value_enum, default_value_t = crate::conformance::Mode::Record, value_name = "MODE")]
    pub conformance: crate::conformance::Mode,
    /// Write the conformance report to FILE when sfstub stops (SIGTERM, SIGINT): JUnit XML, or
    /// JSON when FILE ends in .json.
    #[arg(long, env = "SFSTUB_REPORT", value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Reload the scenario file (--scenario) when its content changes; a broken file keeps
    /// the old world serving (POST /__sfstub/reload does the same on demand). In the
    /// environment: SFSTUB_WATCH=1, true, yes or on.
    #[arg(long, env = "SFSTUB_WATCH", value_parser = clap::builder::BoolishValueParser::new())]
    pub watch: bool,
}

fn parse_journal_bytes(text: &str) -> Result<usize, String> {
    let n = parse_size(text)?;
    if n < crate::journal::MIN_BYTES {
        return Err(format!("{text:?} is below the minimum of 1MiB"));
    }
    Ok(n)
}

/// How long clients may take and how many may connect at once (see the README's "Limits and
/// hardening").
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// How long a request body may take to arrive once its head has, e.g. 30s, 2m or 500ms;
    /// a slower client gets 408 and a SOAP fault, and the connection is closed.
    #[arg(long, env = "SFSTUB_BODY_TIMEOUT", default_value = "30s", value_parser = parse_timeout, value_name = "DURATION")]
    pub body_timeout: Duration,
    /// The most connections served at once (lowered to fit the open-files limit); further
    /// connections wait in the accept queue until one closes.
    #[arg(long, env = "SFSTUB_MAX_CONNECTIONS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    pub max_connections: u32,
    /// How long open connections may take to finish after Ctrl-C, SIGTERM or SIGHUP, e.g. 5s
    /// (0s: not at all); a second signal stops at once. Keep it below your orchestrator's grace
    /// period (docker stop: 10s).
    #[arg(long, env = "SFSTUB_DRAIN_TIMEOUT", default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub drain_timeout: Duration,
}

impl ConnectionArgs {
    /// The server options these flags give.
    pub fn options(&self) -> crate::server::Options {
        crate::server::Options {
            body_timeout: self.body_timeout,
            max_connections: self.max_connections as usize,
            drain_timeout: self.drain_timeout,
            ..crate::server::Options::default()
        }
    }
}

/// Where the keys live, TLS, and PEM files replacing generated certificates.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Directory holding sfstub's CA, signing, TLS and sample client keys and certificates,
    /// created on first start [default: the user's data directory + /sfstub, e.g.
    /// ~/.local/share/sfstub].
    #[arg(long, env = "SFSTUB_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Serve HTTPS instead of HTTP, with the state directory's TLS certificate (issued by its CA).
    /// In the environment: SFSTUB_TLS=1, true, yes or on (0, false, no, off for HTTP).
    #[arg(long, env = "SFSTUB_TLS", value_parser = clap::builder::BoolishValueParser::new())]
    pub tls: bool,
    /// Ask HTTPS clients for a certificate issued by sfstub's CA (or --tls-client-ca).
    #[arg(long, env = "SFSTUB_TLS_CLIENT_AUTH", value_enum, default_value_t = ClientAuth::Off, value_name = "MODE")]
    pub tls_client_auth: ClientAuth,
    /// Also trust client certificates issued by the CA certificates in this PEM file.
    #[arg(long, env = "SFSTUB_TLS_CLIENT_CA", value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,
    /// Extra host names or IP addresses for the generated TLS certificate (beside localhost,
    /// 127.0.0.1 and ::1); repeat or separate with commas.
    #[arg(long, env = "SFSTUB_TLS_NAME", value_name = "NAME", value_delimiter = ',')]
    pub tls_name: Vec<String>,
    /// PEM certificate for signing as the STS (with --sts-key) instead of the generated one.
    #[arg(long, env = "SFSTUB_STS_CERT", value_name = "FILE")]
    pub sts_cert: Option<PathBuf>,
    /// PEM RSA private key (PKCS#8 or PKCS#1) of --sts-cert.
    #[arg(long, env = "SFSTUB_STS_KEY", value_name = "FILE")]
    pub sts_key: Option<PathBuf>,
    /// PEM certificate for signing service responses (with --service-key).
    #[arg(long, env = "SFSTUB_SERVICE_CERT", value_name = "FILE")]
    pub service_cert: Option<PathBuf>,
    /// PEM RSA private key of --service-cert.
    #[arg(long, env = "SFSTUB_SERVICE_KEY", value_name = "FILE")]
    pub service_key: Option<PathBuf>,
    /// PEM certificate (and chain) for HTTPS (with --tls-key).
    #[arg(long, env = "SFSTUB_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM RSA private key of --tls-cert.
    #[arg(long, env = "SFSTUB_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
}

/// Certificate and key files given on the command line, each pair complete.
#[derive(Debug, Clone, Default)]
pub struct PemOverrides {
    pub sts: Option<(PathBuf, PathBuf)>,
    pub service: Option<(PathBuf, PathBuf)>,
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl KeyArgs {
    /// The PEM pairs, or a one-line message naming the flag given without its partner or a TLS
    /// flag given without --tls.
    pub fn overrides(&self) -> Result<PemOverrides, String> {
        fn pair(
            name: &str,
            cert: &Option<PathBuf>,
            key: &Option<PathBuf>,
        ) -> Result<Option<(PathBuf, PathBuf)>, String> {
            match (cert, key) {
                (Some(c), Some(k)) => Ok(Some((c.clone(), k.clone()))),
                (None, None) => Ok(None),
                (Some(_), None) => Err(format!(
                    "--{name}-cert needs --{name}-key (the certificate's private key, PEM)"
                )),
                (None, Some(_)) => Err(format!("--{name}-key needs --{name}-cert (the key's certificate, PEM)")),
            }
        }
        let overrides = PemOverrides {
            sts: pair("sts", &self.sts_cert, &self.sts_key)?,
            service: pair("service", &self.service_cert, &self.service_key)?,
            tls: pair("tls", &self.tls_cert, &self.tls_key)?,
        };
        if !self.tls {
            let tls_only = [
                (self.tls_client_auth != ClientAuth::Off, "--tls-client-auth"),
                (self.tls_client_ca.is_some(), "--tls-client-ca"),
                (!self.tls_name.is_empty(), "--tls-name"),
                (overrides.tls.is_some(), "--tls-cert/--tls-key"),
            ];
            if let Some((_, flag)) = tls_only.iter().find(|(given, _)| *given) {
                return Err(format!("{flag} only applies with --tls (HTTPS)"));
            }
        }
        if self.tls_client_ca.is_some() && self.tls_client_auth == ClientAuth::Off {
            return Err("--tls-client-ca needs --tls-client-auth optional or required".into());
        }
        Ok(overrides)
    }
}

/// `sfstub certs ...`
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Write what a client needs into DIR: ca.pem, sts.pem, service.pem, client.pem,
    /// client-key.pem and README.txt (no other private key).
    Export {
        /// Directory to write into (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        state: StateDirArg,
    },
    /// Print each certificate's subject, issuer, SHA-256 thumbprint and validity.
    Show {
        #[command(flatten)]
        state: StateDirArg,
    },
}

/// `--state-dir` for the `certs` commands.
#[derive(Debug, Args)]
pub struct StateDirArg {
    /// The state directory [default: the user's data directory + /sfstub].
    #[arg(long, env = "SFSTUB_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl StateDirArg {
    /// The given directory, or the default.
    pub fn dir(&self) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(crate::security::keys::default_state_dir)
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Only citizens that have at least one control case.
    #[arg(long, conflicts_with = "authorities")]
    pub with_cases: bool,
    /// List the authorities (UDK, ATP, the 98 municipalities) instead of citizens.
    #[arg(long)]
    pub authorities: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Parses `--listen`: an IP address and port (`127.0.0.1:8080`, `[::1]:8080`), or
/// `localhost:PORT` (127.0.0.1). A bare port or `:PORT` names no address: the message
/// suggests the two a user most likely means.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    if let Ok(addr) = t.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port_only = t.strip_prefix(':').unwrap_or(t);
    if !port_only.is_empty() && port_only.bytes().all(|b| b.is_ascii_digit()) {
        return match port_only.parse::<u16>() {
            Ok(port) => Err(format!(
                "{t:?} is a port without an address: use 127.0.0.1:{port} (this machine only) or \
                 0.0.0.0:{port} (reachable from other machines, as in Docker)"
            )),
            Err(_) => Err(format!("{port_only} is not a port (1 to 65535); e.g. 127.0.0.1:8080")),
        };
    }
    if let Some((host, port)) = t.rsplit_once(':')
        && host.eq_ignore_ascii_case("localhost")
    {
        return port
            .parse::<u16>()
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .map_err(|_| format!("{port:?} is not a port (0 to 65535); e.g. localhost:8080"));
    }
    Err(format!(
        "{t:?} is not an address and port such as 127.0.0.1:8080, 0.0.0.0:8080, [::1]:8080 or localhost:8080"
    ))
}

/// Parses a size: a number of bytes, or with a unit (B, KiB, MiB, GiB; KB/MB/GB are read as
/// binary units too).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: usize = number
        .parse()
        .map_err(|_| format!("{t:?} is not a size such as 1MiB, 512KiB or 65536"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        other => {
            return Err(format!("unknown size unit {other:?}; use B, KiB, MiB or GiB"));
        }
    };
    match n.checked_mul(factor) {
        Some(0) | None => Err(format!("{t:?} is not a usable size")),
        Some(size) => Ok(size),
    }
}

/// The longest duration a flag takes: a day.
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses a duration: a number with a unit (ms, s, m, h), or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let usage = || format!("{t:?} is not a duration such as 30s, 2m, 500ms or 10");
    let n: u64 = number.parse().map_err(|_| usage())?;
    let millis = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" | "min" => n.checked_mul(60 * 1000),
        "h" => n.checked_mul(60 * 60 * 1000),
        _ => return Err(usage()),
    };
    match millis.map(Duration::from_millis) {
        Some(d) if d <= MAX_DURATION => Ok(d),
        _ => Err(format!("{t:?} is longer than a day")),
    }
}

/// [`parse_duration`] for a deadline: zero is refused.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        Duration::ZERO => Err(format!(
            "{:?} is no time at all; give a deadline such as 30s",
            text.trim()
        )),
        d => Ok(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1MiB").unwrap(), 1 << 20);
        assert_eq!(parse_size("512KiB").unwrap(), 512 << 10);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(parse_listen("127.0.0.1:8080").unwrap().to_string(), "127.0.0.1:8080");
        assert_eq!(parse_listen("[::1]:0").unwrap().to_string(), "[::1]:0");
        assert_eq!(parse_listen("localhost:8081").unwrap().to_string(), "127.0.0.1:8081");
        assert_eq!(parse_listen("LOCALHOST:0").unwrap().to_string(), "127.0.0.1:0");
        for port_only in ["8080", ":8080"] {
            let e = parse_listen(port_only).unwrap_err();
            assert!(e.contains("use 127.0.0.1:8080") && e.contains("0.0.0.0:8080"), "{e}");
        }
        assert!(parse_listen("99999").unwrap_err().contains("not a port"));
        assert!(parse_listen("localhost:http").unwrap_err().contains("not a port"));
        assert!(parse_listen("example.org:8080").unwrap_err().contains("127.0.0.1:8080"));
        assert!(parse_listen("").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert!(parse_timeout("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 fortnights").is_err());
        assert!(parse_duration("25h").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
