//! Integration tests of trove-s3 against a real S3 implementation: `moto_server`, started per
//! test, with a fault-injecting proxy in front where a test needs faults moto does not produce.

mod errors;
mod faults;
mod inventory;
mod listing;
mod probe;
mod restore;
mod support;
