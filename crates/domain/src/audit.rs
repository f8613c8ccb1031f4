//! The tamper-evident audit chain.
//!
//! Every state-changing use case appends one [`AuditRecord`]. Each record's hash covers its
//! own fields and the previous record's hash (SHA-256 over a length-prefixed encoding), so
//! modifying, deleting or reordering any row breaks every later link. [`ChainVerifier`]
//! walks the rows in sequence order and names the first broken link.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that precedes the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit row, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Position in the chain, starting at 1 with no gaps.
    pub seq: i64,
    /// Instant of the change, microseconds since the Unix epoch.
    pub at_us: i64,
    /// Who acted: an account id, or `system`/`cli:<user>` for unattended changes.
    pub actor: String,
    /// What was done, e.g. `account.create`.
    pub action: String,
    /// Kind of object changed, e.g. `account`.
    pub object_type: String,
    /// Identifier of the object changed.
    pub object_id: String,
    /// SHA-256 of the object before the change, if it existed.
    pub before_digest: Option<String>,
    /// SHA-256 of the object after the change, if it still exists.
    pub after_digest: Option<String>,
    /// Request id of the HTTP request or CLI run.
    pub request_id: Option<String>,
    /// Hash of the previous record.
    pub prev_hash: String,
    /// Hash of this record.
    pub hash: String,
}

fn put(h: &mut Sha256, field: &str) {
    h.update((field.len() as u64).to_be_bytes());
    h.update(field.as_bytes());
}

fn put_opt(h: &mut Sha256, field: Option<&str>) {
    match field {
        None => h.update([0u8]),
        Some(f) => {
            h.update([1u8]);
            put(h, f);
        }
    }
}

/// Computes the hash of a record from its fields and the previous hash.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per hashed column keeps the encoding explicit"
)]
pub fn link_hash(
    prev_hash: &str,
    seq: i64,
    at_us: i64,
    actor: &str,
    action: &str,
    object_type: &str,
    object_id: &str,
    before_digest: Option<&str>,
    after_digest: Option<&str>,
    request_id: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    put(&mut h, "lienthong-audit-v1");
    put(&mut h, prev_hash);
    h.update(seq.to_be_bytes());
    h.update(at_us.to_be_bytes());
    put(&mut h, actor);
    put(&mut h, action);
    put(&mut h, object_type);
    put(&mut h, object_id);
    put_opt(&mut h, before_digest);
    put_opt(&mut h, after_digest);
    put_opt(&mut h, request_id);
    hex::encode(h.finalize())
}

impl AuditRecord {
    /// Recomputes this record's hash from its fields and `prev_hash`.
    pub fn recompute(&self) -> String {
        link_hash(
            &self.prev_hash,
            self.seq,
            self.at_us,
            &self.actor,
            &self.action,
            &self.object_type,
            &self.object_id,
            self.before_digest.as_deref(),
            self.after_digest.as_deref(),
            self.request_id.as_deref(),
        )
    }
}

/// SHA-256 (hex) of a JSON value in canonical form (object keys sorted).
pub fn digest_json(value: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(value.to_string().as_bytes()))
}

/// Why the chain is broken at a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// A sequence number is missing or out of order (a row was deleted or reordered).
    #[error(
        "audit row {found} found where row {expected} was expected (a row was deleted or reordered)"
    )]
    Sequence {
        /// The sequence number expected next.
        expected: i64,
        /// The sequence number found.
        found: i64,
    },
    /// The row does not point at the previous row's hash.
    #[error(
        "audit row {seq} does not follow the previous row's hash (rows were reordered or replaced)"
    )]
    Link {
        /// The row.
        seq: i64,
    },
    /// The row's content does not match its hash.
    #[error("audit row {seq} was modified after it was written")]
    Content {
        /// The row.
        seq: i64,
    },
    /// The chain ends before the recorded head (the last rows were deleted).
    #[error("the audit log ends at row {last} but {head} rows were written")]
    Truncated {
        /// Last row found.
        last: i64,
        /// Rows recorded in the chain head.
        head: i64,
    },
    /// The head hash does not match the last row.
    #[error("the audit chain head does not match row {seq}")]
    Head {
        /// The last row.
        seq: i64,
    },
}

/// Walks audit rows in sequence order and stops at the first broken link.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    /// Checks the next row.
    pub fn push(&mut self, row: &AuditRecord) -> Result<(), ChainBreak> {
        if row.seq != self.next_seq {
            return Err(ChainBreak::Sequence {
                expected: self.next_seq,
                found: row.seq,
            });
        }
        if row.prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq: row.seq });
        }
        if row.recompute() != row.hash {
            return Err(ChainBreak::Content { seq: row.seq });
        }
        self.next_seq += 1;
        self.prev_hash.clone_from(&row.hash);
        Ok(())
    }

    /// Number of rows checked so far.
    pub fn checked(&self) -> i64 {
        self.next_seq - 1
    }

    /// Compares the end of the walk with the stored chain head (`seq`, `hash`).
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        let last = self.checked();
        if last < head_seq {
            return Err(ChainBreak::Truncated {
                last,
                head: head_seq,
            });
        }
        if last != head_seq || self.prev_hash != head_hash {
            return Err(ChainBreak::Head { seq: last });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut r = AuditRecord {
                    seq,
                    at_us: seq * 1000,
                    actor: "system".into(),
                    action: "test.write".into(),
                    object_type: "thing".into(),
                    object_id: format!("t{seq}"),
                    before_digest: None,
                    after_digest: Some("ab".into()),
                    request_id: None,
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = r.recompute();
                prev.clone_from(&r.hash);
                r
            })
            .collect()
    }

    fn verify(rows: &[AuditRecord], head: (i64, &str)) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::default();
        for r in rows {
            v.push(r)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn intact_chain_verifies_and_each_tampering_is_named() {
        let rows = chain(5);
        let head = (5, rows[4].hash.clone());
        assert_eq!(verify(&rows, (head.0, &head.1)), Ok(()));

        let mut modified = rows.clone();
        modified[2].object_id = "other".into();
        assert_eq!(
            verify(&modified, (head.0, &head.1)),
            Err(ChainBreak::Content { seq: 3 })
        );

        let mut deleted = rows.clone();
        deleted.remove(1);
        assert_eq!(
            verify(&deleted, (head.0, &head.1)),
            Err(ChainBreak::Sequence {
                expected: 2,
                found: 3
            })
        );

        let mut reordered = rows.clone();
        reordered.swap(1, 2);
        let (a, b) = (reordered[1].seq, reordered[2].seq);
        reordered[1].seq = b;
        reordered[2].seq = a;
        assert_eq!(
            verify(&reordered, (head.0, &head.1)),
            Err(ChainBreak::Link { seq: 2 })
        );

        let truncated = &rows[..4];
        assert_eq!(
            verify(truncated, (head.0, &head.1)),
            Err(ChainBreak::Truncated { last: 4, head: 5 })
        );
    }
}
