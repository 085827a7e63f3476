//! Contracts as data: any SOAP SF service served from its WSDL/XSD and a scenario.
//!
//! This part generates messages: a skeleton response per operation from the compiled schema
//! ([`skeleton`], [`values`], [`sample`]), as templates ([`template`]) whose values may come
//! from the request ([`paths`]) and the world ([`world`]).

pub mod paths;
pub mod sample;
pub mod skeleton;
pub mod template;
pub mod values;
pub mod world;
