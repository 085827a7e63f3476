//! Who is calling: the one place that turns what a request carries into a [`Caller`].
//!
//! Services never look at headers or context elements themselves; they get a `Caller`. Today
//! sfstub knows the context security model (the caller's CVR in
//! `AuthorityContext/MunicipalityCVR`); the token model (SF1514) plugs in here.

pub mod dsig;
pub mod keys;
pub mod xmltree;

use crate::soap::{Fault, SoapVersion};
use crate::world::Cvr;

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityModel {
    /// `AuthorityContext/MunicipalityCVR` in the request, trusted as sent.
    AuthorityContext,
}

/// The authority calling a service, as far as the security layer could establish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub cvr: Cvr,
    pub model: SecurityModel,
}

/// What a request carried that may identify its caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    /// The text of `AuthorityContext/MunicipalityCVR`, if present.
    pub authority_context: Option<&'a str>,
}

/// Determines the caller, or the fault the platform would send.
pub fn identify(version: SoapVersion, credentials: Credentials<'_>) -> Result<Caller, Fault> {
    let Some(text) = credentials.authority_context else {
        return Err(Fault::sender(
            version,
            "Security model for the called operation was not provided. The following are supported: \
             [AuthorityContext] (put the caller's CVR in HovedOplysninger/AuthorityContext/MunicipalityCVR)",
        ));
    };
    let cvr = Cvr::parse(text).map_err(|e| {
        Fault::sender(
            version,
            format!("AuthorityContext/MunicipalityCVR is not a valid CVR number: {e}"),
        )
    })?;
    Ok(Caller {
        cvr,
        model: SecurityModel::AuthorityContext,
    })
}
