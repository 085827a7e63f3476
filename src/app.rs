//! What a running sfstub holds: the loaded scenario (world plus prepared services), swapped
//! whole on a reload or when persons are added, and the limits requests must keep.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;

use crate::scenario::Scenario;
use crate::security::Settings;
use crate::security::keys::KeyMaterial;
use crate::services::Service;
use crate::services::sf1472_kontrolsag::KontrolsagListeHent;
use crate::services::sf1514_sts::Sts;
use crate::world::{self, World};

/// A scenario made ready to serve: its world and every service prepared for it.
pub struct Loaded {
    /// A number no other `Loaded` of this process has: what work kept per world (the request
    /// templates of [`crate::memo`]) is keyed by.
    pub id: u64,
    pub scenario: Scenario,
    pub world: World,
    pub services: Vec<Box<dyn Service>>,
    /// What each service's contract says about requests, for the conformance checks.
    pub profiles: Vec<crate::conformance::Profile>,
    /// The persons added through the admin API, in this world after the scenario's citizens.
    pub added: Vec<crate::scenario::Person>,
    /// The CPR register derived from the world, as SF1520 serves it.
    pub registry: Arc<crate::services::sf1520_cpr::registry::Registry>,
}

/// A new [`Loaded::id`].
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Loaded {
    /// Builds the world and prepares the services. Everything per-scenario happens here.
    pub fn new(scenario: Scenario) -> Loaded {
        Loaded::with_added(scenario, Vec::new()).0
    }

    /// What an app serves while its world is being built: the scenario and an empty world, no
    /// services (only `/healthz` answers until the app is ready, see [`App::starting`]), so
    /// that nothing per-scenario is prepared twice before the port is bound.
    fn placeholder(scenario: Scenario) -> Loaded {
        let (world, _) = world::build_with(&scenario, &[]);
        let registry = Arc::new(crate::services::sf1520_cpr::registry::Registry::derive(&world));
        Loaded {
            id: next_id(),
            scenario,
            world,
            services: Vec::new(),
            profiles: Vec::new(),
            added: Vec::new(),
            registry,
        }
    }

    /// [`Loaded::new`] with persons added through the admin API. An added person whose CPR
    /// number a citizen of the scenario has is left out: the second value lists their indexes
    /// in `added`.
    pub fn with_added(scenario: Scenario, added: Vec<crate::scenario::Person>) -> (Loaded, Vec<usize>) {
        let (world, skipped) = world::build_with(&scenario, &added);
        let added = added
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !skipped.contains(i))
            .map(|(_, p)| p)
            .collect();
        let mut services: Vec<Box<dyn Service>> =
            vec![Box::new(KontrolsagListeHent::new(&world, scenario.sf1472.clone()))];
        // The CPR register is derived once: SF1520 serves it, and contract responses name
        // citizens' addresses from it.
        let registry = std::sync::Arc::new(crate::services::sf1520_cpr::registry::Registry::derive(&world));
        services.extend(crate::services::sf1520_cpr::PersonBaseDataExtended::services_with(
            std::sync::Arc::clone(&registry),
        ));
        services.extend(crate::services::sf1510_klassifikation::services(&world));
        services.extend(crate::services::sf1500_organisation::Organisationssystem::services(
            &world,
        ));
        services.extend(crate::engine::service::services(&scenario.contracts, &registry));
        // The STS issues tokens for every other service, so it is built last.
        let audiences = unique(services.iter().map(|s| s.entity_id()));
        services.push(Box::new(Sts::new(audiences)));
        let mut profiles = crate::conformance::profiles::all(&scenario.sf1472.namespace);
        let mut warnings = Vec::new();
        let schemas = crate::conformance::schema::compile(&services, None, &mut warnings);
        for w in warnings {
            tracing::warn!("{w}");
        }
        for p in &mut profiles {
            p.schema = schemas.get(p.service).cloned();
        }
        let loaded = Loaded {
            id: next_id(),
            scenario,
            world,
            services,
            profiles,
            added,
            registry,
        };
        (loaded, skipped)
    }

    /// Checks requests against the vendor's contract folder (`--contracts DIR`) for each
    /// service whose WSDL it has: compiles those schemas now, once. Returns warnings (a vendor
    /// WSDL that does not load; the shipped copy stays in use).
    pub fn use_contracts(&mut self, dir: &crate::contracts::ContractDir) -> Vec<String> {
        let mut warnings = Vec::new();
        let schemas = crate::conformance::schema::compile(&self.services, Some(dir), &mut warnings);
        for p in &mut self.profiles {
            if let Some(s) = schemas.get(p.service) {
                p.schema = Some(s.clone());
            }
        }
        warnings
    }

    /// The contract profile of `service`, when sfstub knows its contract.
    pub fn profile(&self, service: &dyn Service) -> Option<&crate::conformance::Profile> {
        let title = service.title();
        self.profiles.iter().find(|p| p.service == title)
    }

    /// The entity IDs of the services the STS issues tokens for (all but the STS itself).
    pub fn audiences(&self) -> Vec<&'static str> {
        let sts = crate::security::DEFAULT_STS_ISSUER;
        unique(self.services.iter().map(|s| s.entity_id()).filter(|e| *e != sts))
    }

    /// The service answering on `path` (no trailing slash), if any.
    pub fn service_for(&self, path: &str) -> Option<&dyn Service> {
        self.services
            .iter()
            .find(|s| s.paths().contains(&path))
            .map(|s| s.as_ref())
    }
}

/// The entity IDs in first-seen order, each once (several endpoints may share one).
fn unique(ids: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
    /// The deepest XML nesting accepted.
    pub max_depth: usize,
    /// The most attributes an XML element may carry, namespace declarations included.
    pub max_attributes: usize,
    /// The most namespace declarations in scope at any XML element.
    pub max_namespaces: usize,
}

impl Limits {
    /// What readers of request XML must keep to.
    pub fn xml(&self) -> crate::soap::Limits {
        crate::soap::Limits {
            max_depth: self.max_depth,
            max_attributes: self.max_attributes,
            max_namespaces: self.max_namespaces,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        let xml = crate::soap::Limits::default();
        Limits {
            max_body: 1024 * 1024,
            max_depth: xml.max_depth,
            max_attributes: xml.max_attributes,
            max_namespaces: xml.max_namespaces,
        }
    }
}

/// The state shared by every connection.
pub struct App {
    /// The world and services being served; see [`App::loaded`] and [`App::swap`].
    loaded: ArcSwap<Loaded>,
    /// False until the world is built (`/readyz` answers 503 and requests get 503 until then).
    ready: AtomicBool,
    pub limits: Limits,
    /// The CA, signing, TLS and sample client certificates with their keys.
    pub keys: Arc<KeyMaterial>,
    /// The security mode and its parameters (the scenario's, unless `--security` overrides).
    pub security: Settings,
    /// `https` when serving TLS: the scheme of the addresses in WSDLs and the index.
    pub scheme: &'static str,
    /// The vendor's official contract files (`--contracts DIR`), served at `?wsdl`.
    pub contracts: Option<crate::contracts::ContractDir>,
    /// `--soap-version`: `None` follows the security mode (strict in `strict`, else lenient).
    pub soap_version: Option<crate::soap::VersionCheck>,
    /// Every exchange, bounded (`--journal-size`, `--journal-bytes`).
    pub journal: crate::journal::Journal,
    /// What happens to requests that break their contract (`--conformance`).
    pub conformance: crate::conformance::Mode,
    /// Who may use the admin API under `/__sfstub/` (`--admin`, `--admin-token`).
    pub admin: crate::admin::Access,
    /// Fault and latency rules, from the scenario and added at run time.
    pub faults: crate::faults::Faults,
    /// Requests, latencies and injected faults, for `GET /__sfstub/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// Where the scenario came from and the persons added at run time: what a reload, an
    /// added person or a reset rebuilds the world from.
    pub live: crate::live::Live,
    /// Assertions whose STS signature has been verified (the token model verifies it once
    /// per token).
    pub assertions: crate::security::verified::VerifiedAssertions,
}

impl App {
    /// A snapshot of the world and services being served: a request takes one at its start
    /// and finishes on it, whatever is swapped in meanwhile.
    pub fn loaded(&self) -> Arc<Loaded> {
        self.loaded.load_full()
    }

    /// Serves `loaded` from now on; requests in flight finish on the one they started with.
    pub fn swap(&self, loaded: Arc<Loaded>) {
        self.loaded.store(loaded);
    }

    /// True once the world is built.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Marks the app ready (or not): see [`App::is_ready`].
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}

impl App {
    /// Whether a request in a SOAP version the service does not bind is refused.
    pub fn soap_version_check(&self) -> crate::soap::VersionCheck {
        use crate::soap::VersionCheck;
        self.soap_version.unwrap_or(match self.security.mode {
            crate::security::SecurityMode::Strict => VersionCheck::Strict,
            _ => VersionCheck::Lenient,
        })
    }
}

impl App {
    /// True when `GET <endpoint>?wsdl` of `service` answers with a WSDL: sfstub's own contract,
    /// or KOMBIT's from `--contracts`. The banner and the index advertise only these links.
    pub fn serves_wsdl(&self, service: &dyn Service) -> bool {
        service.contract(None, "http://localhost").is_some()
            || service.official().is_some()
            || service.documents().is_some()
    }

    /// An app serving `scenario` with `limits` and the process's shared in-memory keys
    /// ([`KeyMaterial::ephemeral_shared`], generated on first use): for tests.
    pub fn new(scenario: Scenario, limits: Limits) -> App {
        App::with_keys(scenario, limits, KeyMaterial::ephemeral_shared())
    }

    /// An app that is not ready yet: it answers `/healthz`, and 503 elsewhere, while the world
    /// of `scenario` is built (by [`App::build`]). Settings come from `scenario` at once.
    pub fn starting(scenario: &Scenario, limits: Limits, keys: Arc<KeyMaterial>) -> App {
        let mut empty = scenario.clone();
        empty.population.citizens = 0;
        empty.persons.clear();
        let mut app = App::around(Loaded::placeholder(empty), limits, keys);
        app.set_ready(false);
        app.faults.load_scenario(scenario.seed, scenario.faults.clone());
        app.live = crate::live::Live::new(scenario);
        app
    }

    /// Builds the world of `scenario`, serves it and marks the app ready.
    pub fn build(&self, scenario: Scenario) {
        self.build_world(scenario);
        self.set_ready(true);
    }

    /// Builds the world of `scenario` and serves it, leaving the app as ready or not as it was
    /// (`serve` marks it ready once the thread that built it has ended).
    pub fn build_world(&self, scenario: Scenario) {
        self.swap(self.prepared(Loaded::new(scenario)));
    }

    /// A freshly built world made ready for this app's settings: the schemas of `--contracts
    /// DIR` for request conformance (warnings are logged).
    pub fn prepared(&self, mut loaded: Loaded) -> Arc<Loaded> {
        if let Some(dir) = &self.contracts {
            for warning in loaded.use_contracts(dir) {
                tracing::warn!("{warning}");
            }
        }
        Arc::new(loaded)
    }

    /// An app serving `scenario` with `limits`, signing and serving with `keys`.
    pub fn with_keys(scenario: Scenario, limits: Limits, keys: Arc<KeyMaterial>) -> App {
        App::around(Loaded::new(scenario), limits, keys)
    }

    /// An app serving `loaded`, its settings taken from `loaded`'s scenario.
    fn around(loaded: Loaded, limits: Limits, keys: Arc<KeyMaterial>) -> App {
        let scenario = &loaded.scenario;
        let seconds = |s: u32| chrono::Duration::seconds(i64::from(s));
        let security = Settings {
            mode: scenario.security.mode,
            skew: seconds(scenario.security.clock_skew),
            clock: scenario.security.clock,
            max_timestamp_age: seconds(scenario.security.max_timestamp_age),
            max_timestamp_lifetime: seconds(scenario.security.max_timestamp_lifetime),
            ..Settings::default()
        };
        let faults = crate::faults::Faults::new(scenario.seed, scenario.faults.clone());
        let live = crate::live::Live::new(scenario);
        App {
            loaded: ArcSwap::from_pointee(loaded),
            ready: AtomicBool::new(true),
            limits,
            keys,
            security,
            scheme: "http",
            contracts: None,
            soap_version: None,
            journal: crate::journal::Journal::new(crate::journal::Config::default()),
            conformance: crate::conformance::Mode::default(),
            admin: crate::admin::Access::Open,
            faults,
            metrics: crate::metrics::Metrics::new(),
            live,
            assertions: crate::security::verified::VerifiedAssertions::default(),
        }
    }
}
