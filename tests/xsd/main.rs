//! The contract loader and schema validator (`sfstub::xsd`) against the real KOMBIT contracts in
//! `../shared/contracts`, sfstub's own schemas, and xmllint as the reference validator.

#[path = "../support/xmllint.rs"]
mod xmllint;

mod sets;
#[path = "../support/world.rs"]
mod world;

mod corpus;
mod crosscheck;
mod features;
mod loading;
mod model;
