//! Integration tests of trove-glacier against a real Glacier implementation: `moto_server`,
//! started per test, with the fault-injecting proxy in front where a test needs faults.

mod vault;
