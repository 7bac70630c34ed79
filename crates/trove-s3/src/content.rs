//! Reading an object's bytes in order, for callers that hash them as they arrive (duplicate
//! finding compares objects whose ETag is no hash of their content). Nothing is written to disk.
//!
//! - One GET with `If-Match` (and the version when known), so the bytes of two versions are never
//!   mixed; a body that breaks off is resumed with a ranged GET from the last byte handed over.
//! - Archived objects are refused before anything is sent, as everywhere in this crate.

use crate::object::ObjectHead;
use crate::{Bucket, Error, Result};

/// Attempts per object when the network fails (the first one included).
const READ_ATTEMPTS: u32 = 6;

impl Bucket {
    /// Streams the bytes of the object `head` describes to `sink`, in order, and returns how
    /// many were read. Refuses an archived object ([`Error::InvalidObjectState`]) without a
    /// request; a changed object (its ETag no longer the HEAD's) is [`Error::ObjectChanged`].
    pub async fn read_object(
        &self,
        head: &ObjectHead,
        sink: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<u64> {
        self.refuse_archived(head)?;
        let key = head.key.as_str();
        let mut offset = 0u64;
        let mut tries = 0;
        while offset < head.size {
            tries += 1;
            match self.read_from(head, offset, sink).await {
                (read, Ok(())) => offset += read,
                (read, Err(err)) => {
                    offset += read;
                    if let Error::Service { status: 412, .. } = err {
                        return Err(Error::ObjectChanged {
                            bucket: self.name().to_owned(),
                            key: key.to_owned(),
                        });
                    }
                    if !err.is_transient() || tries >= READ_ATTEMPTS {
                        return Err(err);
                    }
                    tracing::debug!(key, offset, error = %err, "resuming a read");
                    tokio::time::sleep(self.retry.delay(tries)).await;
                }
            }
        }
        Ok(offset)
    }

    /// One GET from `offset` to the end; returns the bytes handed to `sink`, also when the body
    /// broke off.
    async fn read_from(
        &self,
        head: &ObjectHead,
        offset: u64,
        sink: &mut (dyn FnMut(&[u8]) + Send),
    ) -> (u64, Result<()>) {
        let key = head.key.as_str();
        let out = match self
            .get_version(head, (offset > 0).then(|| format!("bytes={offset}-")))
            .await
        {
            Ok(out) => out,
            Err(e) => return (0, Err(e)),
        };
        // A server that ignored the range sends the whole object: skip what was read before.
        let mut skip = if offset > 0 && out.content_range().is_none() {
            offset
        } else {
            0
        };
        let want = head.size - offset;
        let mut read = 0u64;
        let mut body = out.body;
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    let mut chunk = &chunk[..];
                    if skip > 0 {
                        let n = skip.min(chunk.len() as u64) as usize;
                        chunk = &chunk[n..];
                        skip -= n as u64;
                    }
                    let take = (want - read).min(chunk.len() as u64) as usize;
                    sink(&chunk[..take]);
                    read += take as u64;
                    if read == want {
                        return (read, Ok(()));
                    }
                }
                Ok(None) => {
                    return (read, Err(self.body_ended(key, offset + read, head.size)));
                }
                Err(e) => return (read, Err(self.body_broke(key, &e))),
            }
        }
    }
}
