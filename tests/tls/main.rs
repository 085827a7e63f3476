//! HTTPS and key material over real sockets and the real binary: a client trusting only the
//! exported CA, client certificates off/optional/required, state directories created once and
//! never overwritten, exports without secrets.

mod binary;
mod helpers;
mod https;
mod keys;
#[path = "../support/world.rs"]
mod world;
