//! Typed row ids, so that an asset id is never passed where a location id is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A source: a folder, bucket or vault that Trove indexes.
    SourceId
);
id_type!(
    /// An asset: one media item as users see it, with one or more locations.
    AssetId
);
id_type!(
    /// A location: where one copy of an asset's bytes (or its sidecar) lives.
    LocationId
);
