//! Real SOAP client stacks, generated from the WSDLs `sfstub serve` publishes, call every
//! service: zeep (Python), PHP's SoapClient and JAX-WS (wsimport, Debian's `jaxws`). These are
//! the recipes of README's "Pointing your client at sfstub": the client programs under
//! `clients/` are run as published. `scripts/test` installs the tools (php-cli, php-soap,
//! jaxws, the zeep wheel); a missing tool fails the test with the command that installs it.

mod contracts;
mod jaxws;
mod php;
mod server;
mod zeep;
