//! The contract engine: sfstub serving SF services from their WSDL/XSD and a scenario.

mod bad_input;
mod dispatch;
mod hostile;
mod indeks;
mod k2017;
mod operations;
mod rules;
mod security;
mod skeletons;
mod support;
#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;
mod wsdl;
#[path = "../support/xmllint.rs"]
mod xmllint;
