//! sfstub: a local, offline stand-in for KOMBIT's Serviceplatformen.
//!
//! Data flows one way: [`server`] (hyper) → [`http::handle`] (routing) →
//! [`soap::parse_envelope`] → [`security`] (who is calling) → a service in [`services`]
//! (rules applied to the immutable [`world::World`]) → XML → HTTP response.

#![recursion_limit = "256"]

/// mimalloc serves every allocation of `serve`, the tests and the examples (feature
/// `mimalloc`, on by default): see `Cargo.toml`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod admin;
pub mod app;
pub mod cli;
pub mod clip;
pub mod commands;
pub mod conformance;
pub mod contracts;
pub mod engine;
pub mod face;
pub mod faults;
pub mod http;
pub mod journal;
pub mod live;
pub mod logging;
pub mod memo;
pub mod metrics;
pub mod scenario;
pub mod security;
pub mod server;
pub mod services;
pub mod soap;
pub mod tls;
pub mod world;
pub mod xsd;

/// The startup banner: scenario, counts, endpoints and a hint where to find test citizens.
pub fn banner(app: &app::App, base: &str) -> String {
    let loaded = &app.loaded();
    let w = &loaded.world;
    let mut s = format!(
        "sfstub {} — scenario {:?} (seed {}, clock {}): {} authorities ({} municipalities, UDK {}, ATP), {} citizens ({} with cases), {} control cases\n",
        env!("CARGO_PKG_VERSION"),
        w.name,
        w.seed,
        match w.clock {
            world::Clock::Now => "now".to_owned(),
            world::Clock::Fixed(t) => t.to_rfc3339(),
        },
        w.authorities.len(),
        w.municipalities().count(),
        w.authority(w.udk).cvr,
        w.citizens.len(),
        w.citizens_with_cases(),
        w.cases.len(),
    );
    let rest = [
        ("SF1514 STS, REST (JSON)", services::sf1514_rest::WSTRUST_PATH),
        ("SF1514 STS, OAuth (JWT)", services::sf1514_rest::OAUTH_PATH),
    ];
    let titles = loaded
        .services
        .iter()
        .map(|s| s.title())
        .chain(rest.iter().map(|r| r.0));
    let width = titles.map(|t| t.chars().count()).max().unwrap_or(0);
    for service in &loaded.services {
        let url = format!("{base}{}", service.paths()[0]);
        match app.serves_wsdl(service.as_ref()) {
            true => s.push_str(&format!("  {:<width$} {url}   ({url}?wsdl)\n", service.title())),
            false => s.push_str(&format!("  {:<width$} {url}\n", service.title())),
        }
    }
    for (title, path) in rest {
        s.push_str(&format!("  {title:<width$} {base}{path}\n"));
    }
    s.push_str(&format!(
        "  security: {} (--security off|token|strict) on {}; service agreements: {}\n",
        app.security.mode.name(),
        match app.security.clock {
            world::Clock::Now => "real time".to_owned(),
            world::Clock::Fixed(t) => format!("a pinned clock, {}", t.to_rfc3339()),
        },
        if loaded.scenario.agreements.0.is_some() {
            "from the scenario"
        } else {
            "every municipality and UDK"
        }
    ));
    s.push_str(&format!(
        "  SOAP version: {} (--soap-version lenient|strict; strict refuses a version a service's contract does not bind)\n",
        app.soap_version_check().name()
    ));
    for warning in contract_warnings(app) {
        s.push_str(&format!("  warning: {warning}\n"));
    }
    s.push_str(&admin_line(app, base));
    s.push_str(&match app.admin {
        admin::Access::Off => {
            format!("  in a browser: {base}/ (the services; --admin off hides the citizens, Try it and the traffic)\n")
        }
        _ => format!("  in a browser: {base}/ (the citizens, what each caller sees, Try it, the traffic)\n"),
    });
    s.push_str("  try: sfstub generate --with-cases | head -40\n");
    s
}

/// What `--contracts DIR` does not cover: one line per service whose WSDL the folder lacks
/// (sfstub then serves its shipped copy of KOMBIT's contract). Printed at start on stderr and
/// in the banner.
pub fn contract_warnings(app: &app::App) -> Vec<String> {
    let Some(dir) = &app.contracts else {
        return Vec::new();
    };
    app.loaded()
        .services
        .iter()
        .filter_map(|service| {
            let official = service.official()?;
            if dir.serves(&official) {
                return None;
            }
            let wanted: Vec<&str> = official
                .variants
                .iter()
                .filter_map(|v| v.vendor.first().copied())
                .collect();
            Some(format!(
                "--contracts {} holds no {} for {}: its ?wsdl serves sfstub's shipped copy of KOMBIT's contract",
                dir.root().display(),
                wanted.join(" or "),
                service.title()
            ))
        })
        .collect()
}

/// The banner's line on the test instrument: admin API, journal, conformance.
fn admin_line(app: &app::App, base: &str) -> String {
    let journal = match app.journal.config() {
        c if c.max_entries == 0 => "journal off".to_owned(),
        c => format!(
            "journal {} entries / {} MiB",
            c.max_entries,
            c.max_bytes / (1024 * 1024)
        ),
    };
    let admin = match app.admin {
        admin::Access::Off => "admin API off".to_owned(),
        ref a => format!("admin API {base}{}/ ({})", admin::PREFIX, a.describe()),
    };
    format!(
        "  {admin}; {journal}; conformance {} (--conformance off|record|strict)\n",
        app.conformance.name()
    )
}
