//! SF1510 Klassifikation: Klasse v7 (`/klasse/7`) and KlassifikationListeHent v2
//! (`/klassifikationlistehent/2`) on the world SF1472 serves. Every response the tests
//! produce is validated with xmllint: Klasse v7 against KOMBIT's published schemas in
//! `../shared/contracts/sf1510-klasse-v7`, KlassifikationListeHent against the XSD sfstub
//! publishes for it (no public one exists).

mod helpers;
mod klasse;
mod listehent;
mod resolves;
mod security;
#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;
#[path = "../support/xmllint.rs"]
mod xmllint;
