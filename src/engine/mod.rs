//! Contracts as data: any SOAP SF service served from its WSDL/XSD and a scenario.
//!
//! A scenario's `contracts:` entry (or `serve --contract WSDL`) names a WSDL; [`prepare`]
//! loads it with every import ([`crate::xsd`]), reads its generation from its messages
//! ([`generation`]: Serviceplatformen SOAP 1.1, støttesystem v6, K2017), builds a skeleton
//! response per operation from the schema ([`skeleton`], [`values`], [`sample`]) and compiles
//! the scenario's `responses:` rules ([`rules`], [`template`], [`world`]), checking every
//! path, placeholder and body against the contract. [`service::ContractService`] then answers
//! like a hand-written service: dispatch by SOAPAction or Body element, the generation's
//! security and conventions, the first rule that applies or the skeleton, and every answer
//! validated against the contract before it is sent.

pub mod generation;
pub mod paths;
pub mod prepare;
pub mod rules;
pub mod sample;
pub mod service;
pub mod skeleton;
pub mod template;
pub mod values;
pub mod world;

pub use prepare::{ContractSpec, Located, Prepared, RuleSpec, prepare, prepare_file};
pub use service::ContractService;
