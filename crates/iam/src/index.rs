//! The action index: which statements can possibly apply to an action.
//!
//! A gateway asks about one action (`execute-api:Invoke`) over and over, while a principal's
//! policies may hold dozens of statements about other services. The index files each statement
//! under its `Action` patterns once, at compile time:
//!
//! * a pattern without wildcards goes into a hash map keyed by the lowercased action;
//! * a pattern with a literal service prefix (`execute-api:*`, `s3:Get*`) goes into a per-service
//!   list, tried only for actions of that service;
//! * any other wildcard pattern (`*`, `*:Get*`) goes into a short list tried for every action;
//! * `NotAction` statements can match almost anything, so they are always candidates and the
//!   evaluator checks their exclusions.
//!
//! Looking an action up yields the candidate statements in document order, each once.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use smallvec::SmallVec;

use crate::glob::{Glob, has_wildcard};
use crate::model::ActionClause;

/// FNV-1a: action names are short, and SipHash's DoS resistance buys nothing for maps built
/// from a policy's own (size-limited) text and probed once per request.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Up to this many candidates are kept on the stack.
pub(crate) type Candidates<R> = SmallVec<[R; 16]>;

#[derive(Clone, Debug)]
pub(crate) struct ActionIndex<R> {
    exact: FnvMap<Box<str>, SmallVec<[R; 2]>>,
    by_service: FnvMap<Box<str>, Vec<(Glob, R)>>,
    wild: Vec<(Glob, R)>,
    not_action: Vec<R>,
    /// True when one statement can sit twice in one bucket, so lookups must dedup even when a
    /// single bucket answered.
    may_repeat: bool,
}

impl<R> Default for ActionIndex<R> {
    fn default() -> Self {
        ActionIndex {
            exact: FnvMap::default(),
            by_service: FnvMap::default(),
            wild: Vec::new(),
            not_action: Vec::new(),
            may_repeat: false,
        }
    }
}

impl<R: Copy + Ord> ActionIndex<R> {
    /// Files a statement (identified by `r`) under its action clause.
    pub(crate) fn insert(&mut self, clause: &ActionClause, r: R) {
        if clause.negated {
            self.not_action.push(r);
            return;
        }
        // Buckets this clause put a wildcard pattern in: two in one bucket can both match, and
        // then the statement would come out twice. (Exact buckets are deduplicated in `finish`.)
        let mut wild_buckets: SmallVec<[Option<String>; 4]> = SmallVec::new();
        for p in clause.patterns.iter() {
            let lc = p.raw.to_lowercase();
            if !has_wildcard(&lc) {
                self.exact.entry(lc.into_boxed_str()).or_default().push(r);
                continue;
            }
            let bucket = match lc.split_once(':') {
                Some((svc, _)) if !has_wildcard(svc) => {
                    self.by_service
                        .entry(svc.into())
                        .or_default()
                        .push((p.glob.clone(), r));
                    Some(svc.to_owned())
                }
                _ => {
                    self.wild.push((p.glob.clone(), r));
                    None
                }
            };
            if wild_buckets.contains(&bucket) {
                self.may_repeat = true;
            }
            wild_buckets.push(bucket);
        }
    }

    /// Removes repeats inside a bucket (`["a:b", "a:b"]`).
    pub(crate) fn finish(&mut self) {
        for v in self.exact.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
    }

    /// Appends the candidate statements for a lowercased action to `out`, in order, once each.
    pub(crate) fn candidates(&self, action_lc: &str, out: &mut Candidates<R>) {
        let start = out.len();
        let mut sources = 0;
        if let Some(v) = self.exact.get(action_lc) {
            out.extend_from_slice(v);
            sources += 1;
        }
        if !self.by_service.is_empty()
            && let Some((svc, _)) = action_lc.split_once(':')
            && let Some(v) = self.by_service.get(svc)
        {
            out.extend(
                v.iter()
                    .filter(|(g, _)| g.is_match(action_lc))
                    .map(|(_, r)| *r),
            );
            sources += 1;
        }
        if !self.wild.is_empty() {
            out.extend(
                self.wild
                    .iter()
                    .filter(|(g, _)| g.is_match(action_lc))
                    .map(|(_, r)| *r),
            );
            sources += 1;
        }
        if !self.not_action.is_empty() {
            out.extend_from_slice(&self.not_action);
            sources += 1;
        }
        if (sources > 1 || self.may_repeat)
            && out.len() - start > 1
            && let Some(found) = out.get_mut(start..)
        {
            // Each bucket is already in document order: a stable sort finds those runs and
            // merges them in linear time.
            found.sort();
            let mut keep = start;
            for i in start..out.len() {
                if i == start || out.get(i) != out.get(keep - 1) {
                    out.swap(keep, i);
                    keep += 1;
                }
            }
            out.truncate(keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ParseOptions, Policy};

    fn candidates(statements: &str, action: &str) -> Vec<u32> {
        let doc = format!(r#"{{"Statement": {statements}}}"#);
        let p = Policy::from_json_str(&doc, &ParseOptions::identity()).unwrap();
        let mut out = super::Candidates::new();
        p.index.candidates(action, &mut out);
        out.to_vec()
    }

    #[test]
    fn each_candidate_once_in_document_order() {
        let s = r#"[
            {"Effect": "Allow", "Action": ["execute-api:*", "execute-api:Inv*", "*"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["execute-api:Invoke", "EXECUTE-API:invoke"], "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "*:Invoke", "Resource": "*"}
        ]"#;
        assert_eq!(candidates(s, "execute-api:invoke"), [0, 1, 3, 4]);
        assert_eq!(candidates(s, "s3:getobject"), [0, 2, 3]);
        assert_eq!(candidates(s, "sts:assumerole"), [0, 3]);
    }
}
