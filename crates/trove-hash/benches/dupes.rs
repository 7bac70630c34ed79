//! The duplicate benchmark (written next).

fn main() {}
