//! sfstub over a real socket: the server from `sfstub::server::run` on 127.0.0.1:0, spoken to
//! with a tiny HTTP/1.1 client, so what is tested is what a SOAP client sees on the wire.

mod bad_input;
mod connections;
mod contracts;
mod hardening;
mod helpers;
mod kontrolsag;
mod soap;
#[path = "../support/world.rs"]
mod world;
