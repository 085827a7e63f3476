//! The sfstub binary itself, run through `CARGO_BIN_EXE_sfstub`: help and version, `validate`,
//! `serve` (banner, a real request, refusals before binding) and `generate`.

mod generate;
mod help;
mod image;
mod limits;
mod pipes;
mod running;
mod serve;
mod signals;
mod token;
mod util;
mod validate;
