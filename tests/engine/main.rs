//! The contract engine: sfstub serving SF services from their WSDL/XSD and a scenario.

mod skeletons;
mod support;
