//! Removing objects so that they can come back: what `dupes remove` asks of a bucket.
//!
//! - In a bucket with versioning **enabled**, [`Bucket::delete_current`] leaves a delete marker
//!   and the version stays; deleting the marker ([`Bucket::delete_version`]) brings it back.
//! - Elsewhere (versioning never enabled, or suspended — where a delete would replace the `null`
//!   version for good), the object is first copied to another key ([`Bucket::copy_to_key`]),
//!   then deleted; the way back is the copy in the other direction.
//!
//! - *Invariant*: archived objects are never copied (S3 would refuse without a restore): the
//!   copy is refused before anything is sent.
//! - *Invariant*: a delete is sent once, never retried, since a retried delete in a versioned
//!   bucket can leave a second marker that one undo does not remove.

use aws_sdk_s3::types::BucketVersioningStatus;

use crate::download::{COPY_LIMIT, MULTIPART_COPY_PART};
use crate::error::{classify, xml_element};
use crate::object::{ObjectHead, StorageClass};
use crate::retry::{retry, Counters};
use crate::{Bucket, Result};

/// The versioning state of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// Versioning is on: deletes leave delete markers.
    Enabled,
    /// Versioning was on and is suspended: deletes replace the `null` version.
    Suspended,
    /// Versioning was never enabled: deletes are final.
    Off,
}

impl Bucket {
    /// The bucket's versioning state (`GetBucketVersioning`).
    pub async fn versioning(&self) -> Result<Versioning> {
        let counters = Counters::default();
        retry(&self.retry, None, &counters, || async {
            match self
                .client
                .get_bucket_versioning()
                .bucket(&*self.name)
                .send()
                .await
            {
                Ok(out) => Ok(match out.status() {
                    Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
                    Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
                    _ => Versioning::Off,
                }),
                Err(err) => {
                    // A 200 answer the SDK cannot parse: moto names the root element
                    // `GetBucketVersioningResponse`, not `VersioningConfiguration`. Its
                    // `Status` is all that is needed.
                    let body = err
                        .raw_response()
                        .filter(|raw| raw.status().as_u16() == 200)
                        .and_then(|raw| raw.body().bytes())
                        .map(|b| String::from_utf8_lossy(b).into_owned());
                    match body {
                        Some(body) => Ok(versioning_of(&body)),
                        None => Err(classify(err, self.target(None))),
                    }
                }
            }
        })
        .await
    }

    /// Deletes the current version of `key` (`DeleteObject` without a version). In a versioned
    /// bucket this leaves a delete marker, whose version id is returned; elsewhere `None`. Sent
    /// once, never retried.
    pub async fn delete_current(&self, key: &str) -> Result<Option<String>> {
        let out = self
            .client
            .delete_object()
            .bucket(&*self.name)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(e, self.target(Some(key))))?;
        Ok(if out.delete_marker() == Some(true) {
            out.version_id().map(str::to_owned)
        } else {
            None
        })
    }

    /// Deletes one version of `key` for good (a delete marker, to bring the version under it
    /// back). Deleting a version that is already gone succeeds.
    pub async fn delete_version(&self, key: &str, version_id: &str) -> Result<()> {
        let counters = Counters::default();
        retry(&self.retry, None, &counters, || async {
            self.client
                .delete_object()
                .bucket(&*self.name)
                .key(key)
                .version_id(version_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(e, self.target(Some(key))))
        })
        .await
    }

    /// Copies the object `head` describes (its version, when the HEAD named one) to `dest` in
    /// this bucket, in `class`, with its metadata — by CopyObject up to 5 GiB (only if its ETag
    /// is still the HEAD's), by a multipart copy above. Refuses an archived object
    /// ([`Error::InvalidObjectState`]) without a request.
    pub async fn copy_to_key(
        &self,
        head: &ObjectHead,
        dest: &str,
        class: &StorageClass,
    ) -> Result<()> {
        self.refuse_archived(head)?;
        if head.size > COPY_LIMIT {
            return self
                .copy_multipart(head, dest, class, MULTIPART_COPY_PART)
                .await;
        }
        let if_match = head.etag.as_ref().map(|e| format!("\"{e}\""));
        self.copy_object_to(head, dest, class, if_match).await
    }
}

/// The versioning state a `GetBucketVersioning` answer's body states.
fn versioning_of(body: &str) -> Versioning {
    match xml_element(body, "Status").as_deref() {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        _ => Versioning::Off,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioning_is_read_from_either_root_element() {
        let moto = r#"<?xml version="1.0" encoding="utf-8"?>
<GetBucketVersioningResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></GetBucketVersioningResponse>"#;
        assert_eq!(versioning_of(moto), Versioning::Enabled);
        let aws =
            r#"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"#;
        assert_eq!(versioning_of(aws), Versioning::Suspended);
        assert_eq!(versioning_of("<VersioningConfiguration/>"), Versioning::Off);
    }
}
