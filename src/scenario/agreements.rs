//! Service agreements (serviceaftaler) in scenarios: who may call which service.

use crate::world::{Cvr, Sector, World};

/// Service agreements (serviceaftaler): who may call which service. Without a list, every
/// municipality and Udbetaling Danmark may call every service.
#[derive(Debug, Clone, Default)]
pub struct Agreements(pub Option<Vec<Agreement>>);

/// One service agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// The authority, or `None` for `cvr: "*"` (anyone).
    pub cvr: Option<Cvr>,
    /// Entity IDs of the services, or `*` for all.
    pub services: Vec<String>,
    /// Only this user system may act for the CVR: its certificate's subject or SHA-256
    /// thumbprint (hex). Checked in the token model.
    pub system: Option<String>,
}

impl Agreements {
    /// Whether `cvr` may call the service `entity_id`, acting through the user system with
    /// this certificate subject and thumbprint (token model). The error explains the refusal.
    pub fn check(
        &self,
        world: &World,
        cvr: Cvr,
        entity_id: &str,
        system: Option<&str>,
        thumbprint: Option<&[u8; 32]>,
    ) -> Result<(), String> {
        let name = || {
            world
                .authority_by_cvr(cvr)
                .map(|a| format!("CVR {cvr} ({})", world.authority(a).name))
                .unwrap_or_else(|| format!("CVR {cvr}"))
        };
        let Some(list) = &self.0 else {
            let allowed = world
                .authority_by_cvr(cvr)
                .is_some_and(|a| matches!(world.authority(a).sector, Sector::Udk | Sector::Kommune));
            return if allowed {
                Ok(())
            } else {
                Err(format!(
                    "{} has no service agreement for {entity_id}: without an `agreements` list in the scenario only the municipalities and Udbetaling Danmark have one",
                    name()
                ))
            };
        };
        let for_service: Vec<&Agreement> = list
            .iter()
            .filter(|a| a.cvr.is_none_or(|c| c == cvr) && a.services.iter().any(|s| s == "*" || s == entity_id))
            .collect();
        if for_service.is_empty() {
            return Err(format!(
                "no service agreement in the scenario lets {} use {entity_id}",
                name()
            ));
        }
        let hex = thumbprint.map(|t| t.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let system_matches = |pinned: &str| {
            system.is_some_and(|s| s == pinned) || hex.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(pinned))
        };
        match for_service.iter().find(|a| {
            a.system
                .as_deref()
                .is_none_or(|p| system.is_none() || system_matches(p))
        }) {
            Some(_) => Ok(()),
            None => Err(format!(
                "the service agreement for {} and {entity_id} names the user system {}, but the token's certificate is {}",
                name(),
                for_service
                    .iter()
                    .filter_map(|a| a.system.as_deref())
                    .collect::<Vec<_>>()
                    .join(" or "),
                system.unwrap_or("unknown")
            )),
        }
    }
}
