//! Every service sfstub serves, by title, paths and kind, known without building a world: what
//! a fault rule's `match.service` is checked against when a scenario is read. A test holds it
//! to the services a loaded scenario prepares.

use super::sf1510_klassifikation::{klasse, listehent};
use super::{sf1472_kontrolsag as sf1472, sf1500_organisation as sf1500, sf1514_rest, sf1514_sts, sf1520_cpr};

/// The conventions a service follows, which decide the faults it can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// KOMBIT's 2017 generation: errors in `HovedOplysningerSvar/SvarReaktion/Fejl`.
    K2017,
    /// A Serviceplatformen service: `ServiceplatformFault`.
    Serviceplatform,
    /// A støttesystem service (SF1500, SF1510 Klasse): `StandardRetur`.
    Stoettesystem,
    /// The SOAP STS.
    Sts,
    /// The STS's REST and OAuth variants (JSON errors).
    StsRest,
}

/// One served service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// As in the banner and the journal.
    pub title: &'static str,
    pub paths: &'static [&'static str],
    pub kind: Kind,
}

/// Every service, in the banner's order.
pub const SERVICES: [Entry; 11] = [
    Entry {
        title: "SF1472 KontrolsagListeHent",
        paths: &sf1472::PATHS,
        kind: Kind::K2017,
    },
    Entry {
        title: "SF1520 CPR replika opslag v4",
        paths: &[sf1520_cpr::PATH_V4],
        kind: Kind::Serviceplatform,
    },
    Entry {
        title: "SF1520 CPR replika opslag v5",
        paths: &[sf1520_cpr::PATH_V5],
        kind: Kind::Serviceplatform,
    },
    Entry {
        title: "SF1510 Klasse v7",
        paths: &klasse::PATHS,
        kind: Kind::Stoettesystem,
    },
    Entry {
        title: "SF1510 KlassifikationListeHent",
        paths: &listehent::PATHS,
        kind: Kind::K2017,
    },
    Entry {
        title: "SF1500 Virksomhed v6",
        paths: sf1500::Objekt::Virksomhed.paths(),
        kind: Kind::Stoettesystem,
    },
    Entry {
        title: "SF1500 Organisation v6",
        paths: sf1500::Objekt::Organisation.paths(),
        kind: Kind::Stoettesystem,
    },
    Entry {
        title: "SF1500 OrganisationEnhed v6",
        paths: sf1500::Objekt::OrganisationEnhed.paths(),
        kind: Kind::Stoettesystem,
    },
    Entry {
        title: "SF1514 Security Token Service",
        paths: &[sf1514_sts::PATH],
        kind: Kind::Sts,
    },
    Entry {
        title: "SF1514 STS, REST (JSON)",
        paths: &[sf1514_rest::WSTRUST_PATH],
        kind: Kind::StsRest,
    },
    Entry {
        title: "SF1514 STS, OAuth (JWT)",
        paths: &[sf1514_rest::OAUTH_PATH],
        kind: Kind::StsRest,
    },
];

/// The entry with this title.
pub fn by_title(title: &str) -> Option<&'static Entry> {
    SERVICES.iter().find(|e| e.title == title)
}

/// The services `text` names: an endpoint path (starting with `/`, trailing slash ignored),
/// else part of the title, case-insensitive (`text` in lower case).
pub fn matching(text: &str) -> impl Iterator<Item = &'static Entry> + '_ {
    SERVICES.iter().filter(move |e| names(text, e.title, e.paths))
}

/// True when `text` (lower case) names the service with this title and paths.
pub fn names(text: &str, title: &str, paths: &[&str]) -> bool {
    if text.starts_with('/') {
        let text = text.trim_end_matches('/');
        paths.iter().any(|p| p.eq_ignore_ascii_case(text))
    } else {
        title.to_ascii_lowercase().contains(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_lists_every_service_a_scenario_prepares() {
        let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
        let loaded = app.loaded();
        for s in &loaded.services {
            let entry = by_title(s.title()).unwrap_or_else(|| panic!("{} is not in the catalogue", s.title()));
            assert_eq!(entry.paths, s.paths(), "{}", s.title());
            assert_eq!(entry.kind == Kind::K2017, s.k2017(), "{}", s.title());
        }
        assert_eq!(
            loaded.services.len() + 2,
            SERVICES.len(),
            "the REST STS variants besides"
        );
    }

    #[test]
    fn services_are_named_by_part_of_the_title_or_a_path() {
        let titles = |t: &str| matching(t).map(|e| e.title).collect::<Vec<_>>();
        assert_eq!(titles("sf1472"), ["SF1472 KontrolsagListeHent"]);
        assert_eq!(titles("sf1514").len(), 3);
        assert_eq!(
            titles("/service/cpr/personbasedataextended/4/"),
            ["SF1520 CPR replika opslag v4"]
        );
        assert!(titles("sf9999").is_empty());
    }
}
