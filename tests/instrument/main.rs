//! sfstub as a test instrument, over a real socket: the journal and its filters and bounds, the
//! admin API and its access rule, the OpenAPI document held to the routes, the conformance
//! findings, and the CI report (JUnit validated against Jenkins' schema, written on SIGTERM).

mod access;
mod bounds;
mod conformance;
mod harness;
mod journal;
mod openapi;
mod report;
mod schema;
#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;
#[path = "../support/xmllint.rs"]
mod xmllint;
