//! Restore planning, without I/O: which objects need a restore, which retrieval tiers their class
//! allows, what a restore costs and how long it takes, when the temporary copy expires, and when
//! a poller should look again.
//!
//! The numbers come from AWS's S3 and Glacier documentation (`../shared/docs/restore.md`). Prices
//! differ by region and change, so they live in a [`PriceTable`] that carries its date and can be
//! replaced from a JSON file; estimates are shown as estimates.
//!
//! - *Invariant*: pure functions of their arguments — `now` is always passed in, nothing is read
//!   from the clock, the network or a file.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

const DAY: u64 = 86_400;
const HOUR: u64 = 3_600;
const MINUTE: u64 = 60;
/// AWS bills retrievals per GB of 2^30 bytes.
const GIB: f64 = 1_073_741_824.0;
/// The longest restore S3 accepts, in days.
pub const MAX_RESTORE_DAYS: u32 = 30_000;

/// A retrieval tier: how fast (and how dear) a restore is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Minutes; GLACIER and the Archive Access tier only; AWS may refuse it under load.
    Expedited,
    /// Hours.
    Standard,
    /// The cheapest and slowest.
    Bulk,
}

impl Tier {
    /// Every tier, fastest first.
    pub const ALL: [Tier; 3] = [Tier::Expedited, Tier::Standard, Tier::Bulk];

    /// The name S3 and Glacier use (`Expedited`, `Standard`, `Bulk`).
    pub fn as_aws(self) -> &'static str {
        match self {
            Tier::Expedited => "Expedited",
            Tier::Standard => "Standard",
            Tier::Bulk => "Bulk",
        }
    }

    /// Parses `bulk`, `standard` or `expedited` (any case), as the CLI takes them.
    pub fn parse(text: &str) -> Option<Tier> {
        match text.to_ascii_lowercase().as_str() {
            "expedited" => Some(Tier::Expedited),
            "standard" => Some(Tier::Standard),
            "bulk" => Some(Tier::Bulk),
            _ => None,
        }
    }
}

/// Where archived bytes are, as far as a restore is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveClass {
    /// S3 `GLACIER` (Glacier Flexible Retrieval).
    Glacier,
    /// S3 `DEEP_ARCHIVE`.
    DeepArchive,
    /// `INTELLIGENT_TIERING` in its `ARCHIVE_ACCESS` tier (restores take no Days).
    IntelligentArchiveAccess,
    /// `INTELLIGENT_TIERING` in its `DEEP_ARCHIVE_ACCESS` tier (restores take no Days).
    IntelligentDeepArchiveAccess,
    /// An archive in a legacy Glacier vault (archive-retrieval jobs).
    Vault,
}

impl ArchiveClass {
    /// The class of an S3 object that needs a restore, from its storage class and its
    /// `x-amz-archive-status`; `None` when its bytes are readable as they are (`STANDARD`,
    /// `GLACIER_IR`, Intelligent-Tiering outside its archive tiers, …).
    pub fn of_s3(storage_class: &str, archive_status: Option<&str>) -> Option<ArchiveClass> {
        match storage_class {
            "GLACIER" => Some(ArchiveClass::Glacier),
            "DEEP_ARCHIVE" => Some(ArchiveClass::DeepArchive),
            "INTELLIGENT_TIERING" => match archive_status {
                Some("ARCHIVE_ACCESS") | Some("ARCHIVE") => {
                    Some(ArchiveClass::IntelligentArchiveAccess)
                }
                Some("DEEP_ARCHIVE_ACCESS") | Some("DEEP_ARCHIVE") => {
                    Some(ArchiveClass::IntelligentDeepArchiveAccess)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The tiers a restore of this class may use, fastest first.
    pub fn tiers(self) -> &'static [Tier] {
        match self {
            ArchiveClass::Glacier
            | ArchiveClass::Vault
            | ArchiveClass::IntelligentArchiveAccess => &Tier::ALL,
            ArchiveClass::DeepArchive | ArchiveClass::IntelligentDeepArchiveAccess => {
                &[Tier::Standard, Tier::Bulk]
            }
        }
    }

    /// Whether a restore request of this class carries `Days` (a temporary copy). Intelligent-
    /// Tiering restores move the object back to Frequent Access and must omit it; vault jobs
    /// keep their output for 24 hours instead.
    pub fn takes_days(self) -> bool {
        matches!(self, ArchiveClass::Glacier | ArchiveClass::DeepArchive)
    }

    /// The minimum storage duration billed, in days: deleting or overwriting earlier is billed
    /// for the rest of it.
    pub fn min_storage_days(self) -> u32 {
        match self {
            ArchiveClass::Glacier | ArchiveClass::Vault => 90,
            ArchiveClass::DeepArchive => 180,
            ArchiveClass::IntelligentArchiveAccess | ArchiveClass::IntelligentDeepArchiveAccess => {
                0
            }
        }
    }

    /// How long a restore in `tier` typically takes; `None` when the class does not allow it.
    pub fn eta(self, tier: Tier) -> Option<Eta> {
        let range = |min: u64, max: u64| Eta {
            min: Duration::from_secs(min),
            max: Duration::from_secs(max),
        };
        if !self.tiers().contains(&tier) {
            return None;
        }
        Some(match (self, tier) {
            (_, Tier::Expedited) => range(MINUTE, 5 * MINUTE),
            (
                ArchiveClass::DeepArchive | ArchiveClass::IntelligentDeepArchiveAccess,
                Tier::Standard,
            ) => range(0, 12 * HOUR),
            (
                ArchiveClass::DeepArchive | ArchiveClass::IntelligentDeepArchiveAccess,
                Tier::Bulk,
            ) => range(0, 48 * HOUR),
            (_, Tier::Standard) => range(3 * HOUR, 5 * HOUR),
            (_, Tier::Bulk) => range(5 * HOUR, 12 * HOUR),
        })
    }
}

/// How long a restore typically takes: between `min` and `max` (`min` is zero when AWS gives
/// only an upper bound, "within 12 hours").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eta {
    /// The earliest typical completion after the request.
    pub min: Duration,
    /// The latest typical completion after the request.
    pub max: Duration,
}

/// One price of a [`PriceTable`]: what a restore of `class` in `tier` costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// The class.
    pub class: ArchiveClass,
    /// The tier.
    pub tier: Tier,
    /// Per GB (2^30 bytes) retrieved.
    pub per_gb: f64,
    /// Per 1,000 restore requests.
    pub per_1000_requests: f64,
}

/// Retrieval prices of one region at one date. Serializes to JSON so a user can keep their own
/// (`restore-prices.json`) when AWS changes its list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// The day the prices were taken (`YYYY-MM-DD`).
    pub as_of: String,
    /// The region they apply to.
    pub region: String,
    /// The currency (`USD`).
    pub currency: String,
    /// Where they come from.
    pub source: String,
    /// The prices; a class and tier without one cannot be estimated.
    pub prices: Vec<Price>,
}

impl Default for PriceTable {
    /// The illustrative us-east-1 prices of `restore.md`. Vault retrievals are priced like
    /// GLACIER; Intelligent-Tiering charges no retrieval fee.
    fn default() -> PriceTable {
        let p = |class, tier, per_gb, per_1000_requests| Price {
            class,
            tier,
            per_gb,
            per_1000_requests,
        };
        use ArchiveClass::*;
        PriceTable {
            as_of: "2026-12-03".into(),
            region: "us-east-1".into(),
            currency: "USD".into(),
            source: "illustrative prices of Trove's restore.md; check the current AWS price list"
                .into(),
            prices: vec![
                p(DeepArchive, Tier::Standard, 0.02, 0.10),
                p(DeepArchive, Tier::Bulk, 0.0025, 0.025),
                p(Glacier, Tier::Expedited, 0.03, 10.0),
                p(Glacier, Tier::Standard, 0.01, 0.05),
                p(Glacier, Tier::Bulk, 0.0, 0.025),
                p(Vault, Tier::Expedited, 0.03, 10.0),
                p(Vault, Tier::Standard, 0.01, 0.05),
                p(Vault, Tier::Bulk, 0.0, 0.025),
                p(IntelligentArchiveAccess, Tier::Expedited, 0.0, 0.0),
                p(IntelligentArchiveAccess, Tier::Standard, 0.0, 0.0),
                p(IntelligentArchiveAccess, Tier::Bulk, 0.0, 0.0),
                p(IntelligentDeepArchiveAccess, Tier::Standard, 0.0, 0.0),
                p(IntelligentDeepArchiveAccess, Tier::Bulk, 0.0, 0.0),
            ],
        }
    }
}

impl PriceTable {
    /// The price of `class` in `tier`, if the table has one.
    pub fn price(&self, class: ArchiveClass, tier: Tier) -> Option<&Price> {
        self.prices
            .iter()
            .find(|p| p.class == class && p.tier == tier)
    }

    /// The estimated cost of restoring `objects` objects of `bytes` bytes in all of `class` in
    /// `tier`; `None` without a price.
    pub fn cost(&self, class: ArchiveClass, tier: Tier, objects: u64, bytes: u64) -> Option<f64> {
        let price = self.price(class, tier)?;
        Some(bytes as f64 / GIB * price.per_gb + objects as f64 / 1000.0 * price.per_1000_requests)
    }
}

/// Why an object cannot be restored as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// The class does not offer this tier (no Expedited for Deep Archive).
    #[error("{tier:?} retrieval is not available for {class:?} (allowed: {allowed:?})")]
    TierNotAllowed {
        /// The class.
        class: ArchiveClass,
        /// The tier asked for.
        tier: Tier,
        /// The tiers the class allows.
        allowed: Vec<Tier>,
    },
    /// Days outside 1..=30,000.
    #[error("a restore lasts 1 to {MAX_RESTORE_DAYS} days, not {days}")]
    DaysOutOfRange {
        /// The days asked for.
        days: u32,
    },
    /// The price table has no price for this class and tier.
    #[error("no price for {tier:?} retrieval of {class:?} in the price table")]
    NoPrice {
        /// The class.
        class: ArchiveClass,
        /// The tier.
        tier: Tier,
    },
}

/// What a planner knows of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanObject {
    /// How the plan names it (a key, a path, an archive description).
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its archive class; `None` when its bytes are readable now.
    pub class: Option<ArchiveClass>,
    /// A copy whose bytes can be read now (a local file, an object in a hot class), found by
    /// content identity: restoring is then not needed.
    pub online_copy: Option<String>,
    /// What is known of a restore already asked for.
    pub restore: KnownRestore,
}

/// What is known of an object's restore before planning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KnownRestore {
    /// None asked for, or expired.
    #[default]
    None,
    /// Asked for, not finished.
    InProgress,
    /// A temporary copy is readable until `expiry` (seconds since the Unix epoch, UTC).
    Ready {
        /// The end of the temporary copy.
        expiry: u64,
    },
}

/// What the user asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRequest {
    /// The tier.
    pub tier: Tier,
    /// How long the temporary copy stays (ignored for classes that take no Days).
    pub days: u32,
}

/// What a plan decides for one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Send a restore request.
    Restore {
        /// The object's class.
        class: ArchiveClass,
        /// When the temporary copy would expire (Unix seconds), for classes that take Days.
        expiry: Option<u64>,
    },
    /// Readable now: no archived class, a finished restore that outlives the request, or an
    /// online copy.
    NoRestoreNeeded {
        /// The online copy, or why.
        reason: String,
    },
    /// A restore is already under way; nothing to send.
    AlreadyInProgress,
    /// Refused, with the reason.
    Refused(Refusal),
}

/// One object of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedObject {
    /// The object's name.
    pub name: String,
    /// Its size.
    pub bytes: u64,
    /// What to do.
    pub decision: Decision,
}

/// What restoring the planned objects would cost and take, in one tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierEstimate {
    /// The tier.
    pub tier: Tier,
    /// Objects this tier can restore (the others' classes refuse it).
    pub objects: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The estimated cost in the table's currency (`None` when a price is missing).
    pub cost: Option<f64>,
    /// The slowest typical completion among the objects' classes.
    pub eta: Option<Eta>,
    /// Objects whose class does not allow this tier.
    pub refused: u64,
}

/// A restore plan: per object, what to do; in all, what it costs in the tier asked for and in
/// every other tier, for comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The request.
    pub request: PlanRequest,
    /// Per object.
    pub objects: Vec<PlannedObject>,
    /// The estimate of the tier asked for (objects to restore only).
    pub estimate: TierEstimate,
    /// The same objects in every tier.
    pub by_tier: Vec<TierEstimate>,
    /// The price table's date, to show next to the estimates.
    pub prices_as_of: String,
    /// The currency.
    pub currency: String,
}

/// Plans restoring `objects` as `request` asks, at `now`.
pub fn plan(
    objects: &[PlanObject],
    request: PlanRequest,
    prices: &PriceTable,
    now: SystemTime,
) -> Plan {
    let request_refusal = (request.days == 0 || request.days > MAX_RESTORE_DAYS)
        .then_some(Refusal::DaysOutOfRange { days: request.days });
    let mut planned = Vec::with_capacity(objects.len());
    let mut to_restore: Vec<(ArchiveClass, u64)> = Vec::new();
    for object in objects {
        let decision = decide(object, request, request_refusal.as_ref(), now);
        if let Decision::Restore { class, .. } = &decision {
            to_restore.push((*class, object.bytes));
        }
        planned.push(PlannedObject {
            name: object.name.clone(),
            bytes: object.bytes,
            decision,
        });
    }
    // The tier's estimate and the comparison cover every object that needs a request in some
    // tier, so a refused Expedited still shows what Standard would cost.
    let candidates: Vec<(ArchiveClass, u64)> = objects
        .iter()
        .filter_map(|o| {
            let class = o.class?;
            let needs = o.online_copy.is_none()
                && match o.restore {
                    KnownRestore::None => true,
                    KnownRestore::InProgress => false,
                    KnownRestore::Ready { expiry } => !outlives(expiry, class, request.days, now),
                };
            needs.then_some((class, o.bytes))
        })
        .collect();
    let by_tier: Vec<TierEstimate> = Tier::ALL
        .iter()
        .map(|&tier| estimate(&candidates, tier, prices))
        .collect();
    let mut chosen = estimate(&to_restore, request.tier, prices);
    chosen.refused = candidates.len() as u64 - chosen.objects;
    Plan {
        request,
        objects: planned,
        estimate: chosen,
        by_tier,
        prices_as_of: prices.as_of.clone(),
        currency: prices.currency.clone(),
    }
}

fn decide(
    object: &PlanObject,
    request: PlanRequest,
    request_refusal: Option<&Refusal>,
    now: SystemTime,
) -> Decision {
    let Some(class) = object.class else {
        return Decision::NoRestoreNeeded {
            reason: "not archived".into(),
        };
    };
    if let Some(copy) = &object.online_copy {
        return Decision::NoRestoreNeeded {
            reason: format!("online copy: {copy}"),
        };
    }
    match object.restore {
        KnownRestore::InProgress => return Decision::AlreadyInProgress,
        KnownRestore::Ready { expiry } if outlives(expiry, class, request.days, now) => {
            return Decision::NoRestoreNeeded {
                reason: format!("restored until {}", format_utc(expiry)),
            }
        }
        _ => {}
    }
    if !class.tiers().contains(&request.tier) {
        return Decision::Refused(Refusal::TierNotAllowed {
            class,
            tier: request.tier,
            allowed: class.tiers().to_vec(),
        });
    }
    if class.takes_days() {
        if let Some(refusal) = request_refusal {
            return Decision::Refused(refusal.clone());
        }
    }
    Decision::Restore {
        class,
        expiry: class
            .takes_days()
            .then(|| unix(restore_expiry(now, request.days))),
    }
}

/// Whether a finished restore expiring at `expiry` lasts at least as long as a new one would.
fn outlives(expiry: u64, class: ArchiveClass, days: u32, now: SystemTime) -> bool {
    if !class.takes_days() {
        return expiry > unix(now);
    }
    expiry >= unix(restore_expiry(now, days))
}

fn estimate(objects: &[(ArchiveClass, u64)], tier: Tier, prices: &PriceTable) -> TierEstimate {
    let mut result = TierEstimate {
        tier,
        objects: 0,
        bytes: 0,
        cost: Some(0.0),
        eta: None,
        refused: 0,
    };
    // Costs are summed per class: prices are per class.
    let mut per_class: Vec<(ArchiveClass, u64, u64)> = Vec::new();
    for &(class, bytes) in objects {
        let Some(eta) = class.eta(tier) else {
            result.refused += 1;
            continue;
        };
        result.objects += 1;
        result.bytes += bytes;
        result.eta = Some(match result.eta {
            Some(e) => Eta {
                min: e.min.max(eta.min),
                max: e.max.max(eta.max),
            },
            None => eta,
        });
        match per_class.iter_mut().find(|(c, _, _)| *c == class) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += bytes;
            }
            None => per_class.push((class, 1, bytes)),
        }
    }
    for (class, n, bytes) in per_class {
        result.cost = match (result.cost, prices.cost(class, tier, n, bytes)) {
            (Some(total), Some(c)) => Some(total + c),
            _ => None,
        };
    }
    result
}

/// When a restore of `days` requested at `requested_at` expires: S3 adds the days to the time of
/// the request and rounds up to the next midnight UTC (a request at exactly midnight keeps it).
pub fn restore_expiry(requested_at: SystemTime, days: u32) -> SystemTime {
    let end = unix(requested_at) + u64::from(days) * DAY;
    UNIX_EPOCH + Duration::from_secs(end.div_ceil(DAY) * DAY)
}

/// When a poller should look at a restore again, having last looked at `last_checked`: the
/// interval grows with the time since the request (a quarter of it), from one minute to one
/// hour, and no check comes before the tier's earliest typical completion.
pub fn next_check(
    requested_at: SystemTime,
    last_checked: SystemTime,
    eta: Option<Eta>,
) -> SystemTime {
    let waited = last_checked
        .duration_since(requested_at)
        .unwrap_or(Duration::ZERO);
    let interval = (waited / 4).clamp(Duration::from_secs(MINUTE), Duration::from_secs(HOUR));
    let next = last_checked + interval;
    let earliest = requested_at + eta.map_or(Duration::ZERO, |e| e.min);
    next.max(earliest)
}

/// Seconds since the Unix epoch (0 before it).
pub fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DD HH:MM UTC` of Unix seconds, for messages.
pub fn format_utc(secs: u64) -> String {
    let days = (secs / DAY) as i64;
    let rest = secs % DAY;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / HOUR,
        rest % HOUR / MINUTE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// 2012-01-15 10:30 UTC, AWS's own example.
    const JAN_15_1030: u64 = 1_326_623_400;

    fn object(name: &str, bytes: u64, class: Option<ArchiveClass>) -> PlanObject {
        PlanObject {
            name: name.into(),
            bytes,
            class,
            online_copy: None,
            restore: KnownRestore::None,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn classes_that_need_a_restore() {
        assert_eq!(
            ArchiveClass::of_s3("GLACIER", None),
            Some(ArchiveClass::Glacier)
        );
        assert_eq!(
            ArchiveClass::of_s3("DEEP_ARCHIVE", None),
            Some(ArchiveClass::DeepArchive)
        );
        assert_eq!(ArchiveClass::of_s3("GLACIER_IR", None), None);
        assert_eq!(ArchiveClass::of_s3("STANDARD", None), None);
        assert_eq!(ArchiveClass::of_s3("INTELLIGENT_TIERING", None), None);
        assert_eq!(
            ArchiveClass::of_s3("INTELLIGENT_TIERING", Some("DEEP_ARCHIVE_ACCESS")),
            Some(ArchiveClass::IntelligentDeepArchiveAccess)
        );
        assert!(!ArchiveClass::IntelligentArchiveAccess.takes_days());
        assert!(ArchiveClass::DeepArchive.takes_days());
        assert_eq!(ArchiveClass::DeepArchive.min_storage_days(), 180);
    }

    #[test]
    fn deep_archive_has_no_expedited_tier() {
        assert_eq!(
            ArchiveClass::DeepArchive.tiers(),
            &[Tier::Standard, Tier::Bulk]
        );
        assert_eq!(ArchiveClass::DeepArchive.eta(Tier::Expedited), None);
        assert_eq!(
            ArchiveClass::DeepArchive.eta(Tier::Bulk).map(|e| e.max),
            Some(Duration::from_secs(48 * 3600))
        );
        assert_eq!(
            ArchiveClass::Glacier.eta(Tier::Expedited),
            Some(Eta {
                min: Duration::from_secs(60),
                max: Duration::from_secs(300)
            })
        );
    }

    #[test]
    fn expiry_adds_days_and_rounds_up_to_midnight_utc() {
        // AWS's example: requested 2012-01-15 10:30 with 3 days → 2012-01-19 00:00 UTC.
        let expiry = unix(restore_expiry(at(JAN_15_1030), 3));
        assert_eq!(format_utc(expiry), "2012-01-19 00:00 UTC");
        assert_eq!(expiry, 1_326_931_200);
        // Exactly midnight stays.
        assert_eq!(unix(restore_expiry(at(1_326_585_600), 1)), 1_326_672_000);
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400 + 3_661), "2000-02-29 01:01 UTC");
    }

    #[test]
    fn ten_deep_archive_objects_cost_by_hand() {
        // Ten objects of 2 GiB each: 20 GiB and 10 requests.
        let objects: Vec<PlanObject> = (0..10)
            .map(|i| {
                object(
                    &format!("clip-{i}.mov"),
                    2 * 1_073_741_824,
                    Some(ArchiveClass::DeepArchive),
                )
            })
            .collect();
        let request = PlanRequest {
            tier: Tier::Standard,
            days: 7,
        };
        let plan = plan(&objects, request, &PriceTable::default(), at(JAN_15_1030));
        // Standard: 20 × $0.02 + 10/1000 × $0.10 = $0.40 + $0.001.
        assert_eq!(plan.estimate.objects, 10);
        assert_eq!(plan.estimate.bytes, 20 * 1_073_741_824);
        assert!(
            close(plan.estimate.cost.expect("priced"), 0.401),
            "{plan:?}"
        );
        assert_eq!(
            plan.estimate.eta.map(|e| e.max),
            Some(Duration::from_secs(12 * 3600))
        );
        // Bulk: 20 × $0.0025 + 10/1000 × $0.025 = $0.05 + $0.00025.
        let bulk = &plan.by_tier[2];
        assert_eq!(bulk.tier, Tier::Bulk);
        assert!(close(bulk.cost.expect("priced"), 0.050_25));
        // Expedited is refused for every one of them.
        assert_eq!(plan.by_tier[0].objects, 0);
        assert_eq!(plan.by_tier[0].refused, 10);
        // Each expires 7 days after 2012-01-15 10:30, rounded up: 2012-01-23 00:00.
        match &plan.objects[0].decision {
            Decision::Restore {
                expiry: Some(e), ..
            } => {
                assert_eq!(format_utc(*e), "2012-01-23 00:00 UTC")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(plan.prices_as_of, "2026-12-03");
    }

    #[test]
    fn refusals_avoidance_and_mixed_classes() {
        let mut local = object("b.mov", 1_073_741_824, Some(ArchiveClass::DeepArchive));
        local.online_copy = Some("/media/b.mov".into());
        let mut ready = object("c.mov", 1_073_741_824, Some(ArchiveClass::Glacier));
        // Restored until far beyond the new request's expiry.
        ready.restore = KnownRestore::Ready {
            expiry: JAN_15_1030 + 100 * DAY,
        };
        let mut pending = object("d.mov", 10, Some(ArchiveClass::Glacier));
        pending.restore = KnownRestore::InProgress;
        let objects = vec![
            object("a.mov", 1_073_741_824, Some(ArchiveClass::DeepArchive)),
            local,
            ready,
            pending,
            object("e.mov", 3 * 1_073_741_824, Some(ArchiveClass::Glacier)),
            object("f.mov", 5, None),
        ];
        let request = PlanRequest {
            tier: Tier::Expedited,
            days: 2,
        };
        let plan = plan(&objects, request, &PriceTable::default(), at(JAN_15_1030));
        let decisions: Vec<&Decision> = plan.objects.iter().map(|o| &o.decision).collect();
        assert!(matches!(
            decisions[0],
            Decision::Refused(Refusal::TierNotAllowed {
                class: ArchiveClass::DeepArchive,
                tier: Tier::Expedited,
                ..
            })
        ));
        assert_eq!(
            decisions[1],
            &Decision::NoRestoreNeeded {
                reason: "online copy: /media/b.mov".into()
            }
        );
        assert!(
            matches!(decisions[2], Decision::NoRestoreNeeded { reason } if reason.starts_with("restored until 2012-04-24"))
        );
        assert_eq!(decisions[3], &Decision::AlreadyInProgress);
        assert!(matches!(
            decisions[4],
            Decision::Restore {
                class: ArchiveClass::Glacier,
                ..
            }
        ));
        assert!(matches!(decisions[5], Decision::NoRestoreNeeded { .. }));
        // Expedited: only e.mov, 3 GiB × $0.03 + 1/1000 × $10 = $0.09 + $0.01; a.mov refused.
        assert_eq!(plan.estimate.objects, 1);
        assert_eq!(plan.estimate.refused, 1);
        assert!(close(plan.estimate.cost.expect("priced"), 0.10));
        // Standard would take both: 1 GiB × $0.02 + $0.0001 and 3 GiB × $0.01 + $0.00005.
        let standard = &plan.by_tier[1];
        assert_eq!(standard.objects, 2);
        assert!(close(standard.cost.expect("priced"), 0.020_1 + 0.030_05));
        assert_eq!(
            standard.eta.map(|e| e.max),
            Some(Duration::from_secs(12 * 3600))
        );
        let refusal = Refusal::TierNotAllowed {
            class: ArchiveClass::DeepArchive,
            tier: Tier::Expedited,
            allowed: vec![Tier::Standard, Tier::Bulk],
        };
        assert_eq!(
            refusal.to_string(),
            "Expedited retrieval is not available for DeepArchive (allowed: [Standard, Bulk])"
        );
    }

    #[test]
    fn bad_days_are_refused_but_not_for_intelligent_tiering() {
        let objects = vec![
            object("a", 1, Some(ArchiveClass::Glacier)),
            object("b", 1, Some(ArchiveClass::IntelligentArchiveAccess)),
        ];
        let request = PlanRequest {
            tier: Tier::Bulk,
            days: 0,
        };
        let plan = plan(&objects, request, &PriceTable::default(), at(JAN_15_1030));
        assert_eq!(
            plan.objects[0].decision,
            Decision::Refused(Refusal::DaysOutOfRange { days: 0 })
        );
        assert_eq!(
            plan.objects[1].decision,
            Decision::Restore {
                class: ArchiveClass::IntelligentArchiveAccess,
                expiry: None
            }
        );
    }

    #[test]
    fn a_missing_price_leaves_the_cost_unknown() {
        let mut table = PriceTable::default();
        table.prices.retain(|p| p.class != ArchiveClass::Glacier);
        let objects = vec![object("a", 1, Some(ArchiveClass::Glacier))];
        let request = PlanRequest {
            tier: Tier::Bulk,
            days: 1,
        };
        let plan = plan(&objects, request, &table, at(0));
        assert_eq!(plan.estimate.cost, None);
    }

    #[test]
    fn price_tables_round_trip_through_json() {
        let table = PriceTable::default();
        let json = serde_json::to_string(&table).expect("json");
        assert!(
            json.contains(r#""class":"deep_archive","tier":"bulk","per_gb":0.0025"#),
            "{json}"
        );
        let back: PriceTable = serde_json::from_str(&json).expect("back");
        assert_eq!(back, table);
    }

    #[test]
    fn polling_grows_and_waits_for_the_earliest_completion() {
        let requested = at(JAN_15_1030);
        let eta = ArchiveClass::Glacier.eta(Tier::Standard);
        // Nothing before 3 hours.
        assert_eq!(
            next_check(requested, requested, eta),
            requested + Duration::from_secs(3 * 3600)
        );
        // Expedited: first look after a minute, then a quarter of the time waited.
        let eta = ArchiveClass::Glacier.eta(Tier::Expedited);
        assert_eq!(
            next_check(requested, requested, eta),
            requested + Duration::from_secs(60)
        );
        let later = requested + Duration::from_secs(20 * 60);
        assert_eq!(
            next_check(requested, later, eta),
            later + Duration::from_secs(5 * 60)
        );
        // Capped at an hour.
        let much_later = requested + Duration::from_secs(40 * 3600);
        assert_eq!(
            next_check(requested, much_later, eta),
            much_later + Duration::from_secs(3600)
        );
    }
}
