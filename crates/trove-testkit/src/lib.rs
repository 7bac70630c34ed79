//! Real servers for Trove's tests, started and stopped by the test that needs them.
//!
//! - [`MotoServer`]: `moto_server` (S3 and other AWS services) from the project's venv, on
//!   127.0.0.1 and a free port, stopped when dropped — and also when the test process dies, since
//!   a watchdog shell kills it once its stdin closes.
//! - [`FaultProxy`]: a small HTTP/1.1 proxy in front of any server that injects the faults moto does
//!   not produce: 503 SlowDown, connections reset mid-response, flipped bytes, wrong-region
//!   redirects, scripted error answers (409 RestoreAlreadyInProgress, …) and rewritten headers
//!   (`x-amz-restore: ongoing-request="true"`); it counts the bytes of every response and records the `Range` of every request.
//!
//! - *Invariant*: a dev-only crate; nothing here is linked into Trove's binaries.
//! - *Invariant*: no server started here outlives the test process.

mod moto;
mod proxy;

pub use moto::{aws_test_env, AwsTestEnv, MotoOptions, MotoServer};
pub use proxy::{FaultProxy, Match, RequestRecord};
