//! The command line: flags (each also read from an `SFSTUB_*` environment variable),
//! validated into values before anything binds.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::scenario::{Scenario, ScenarioError, parse_clock};
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
    /// Serve the scenario's world over HTTP.
    Serve(ServeArgs),
    /// Print the world's citizens (or authorities) as JSON or CSV, to pick test CPR numbers.
    Generate(GenerateArgs),
    /// Check scenario files and report every problem with file, line and field.
    Validate(ValidateArgs),
}

/// Which scenario to use, shared by `serve` and `generate`.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (YAML). Without it, the built-in default scenario.
    #[arg(long, env = "SFSTUB_SCENARIO", value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Override the scenario's clock: `now` or an RFC 3339 time such as 2026-11-22T12:00:00Z.
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
    /// Address to listen on. Use 0.0.0.0:8080 to be reachable from other machines (Docker).
    #[arg(long, env = "SFSTUB_LISTEN", default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Largest request body accepted, e.g. 1MiB, 512KiB or a number of bytes.
    #[arg(long, env = "SFSTUB_MAX_BODY", default_value = "1MiB", value_parser = parse_size, value_name = "SIZE")]
    pub max_body: usize,
    /// Deepest XML element nesting accepted in a request.
    #[arg(long, env = "SFSTUB_MAX_DEPTH", default_value_t = 64, value_parser = clap::value_parser!(u16).range(8..=1024), value_name = "N")]
    pub max_depth: u16,
    /// Log filter (tracing syntax), e.g. info, warn, sfstub::request=off.
    #[arg(long, env = "SFSTUB_LOG", default_value = "info", value_name = "FILTER")]
    pub log: String,
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
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
