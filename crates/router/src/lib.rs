//! The route table: which resource of a REST API a request path belongs to.
//!
//! API Gateway's rules, which this crate follows:
//! - a resource path is `/` or `/`-separated segments, each literal text, a `{param}` (exactly one
//!   non-empty segment), or a trailing greedy `{param+}` (one or more segments, slashes included);
//! - the most specific resource wins: at every segment a literal beats `{param}`, which beats
//!   `{param+}`, and the search backtracks when a more specific branch dead-ends deeper down
//!   (`/a/{id}/c` and `/a/b/d` both exist: `/a/b/c` still finds `/a/{id}/c`);
//! - a greedy parameter never matches zero segments: `/{proxy+}` does not match `/`.
//!
//! One trailing slash is ignored for non-greedy matches (`/pets/` finds `/pets`); a greedy value
//! keeps it. Segments are compared as they appear on the wire (still percent-encoded) and parameter
//! values are returned the same way, so that a value substituted into a backend URI stays encoded.
//!
//! The router knows nothing about methods: picking GET vs ANY on the matched resource is the
//! caller's job, because API Gateway does not fall back to a less specific resource when the
//! method is missing (it answers 403 Missing Authentication Token).

// On the request path: input that reaches this crate comes from clients, so no code path may
// panic on it. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

use smallvec::SmallVec;

pub mod canonical;
pub use canonical::{PathError, canonicalize};

/// Identifies a resource: the index it was inserted with.
pub type ResourceId = usize;

/// Path parameters of a match, in path order: (name, raw value).
pub type Params<'r, 'p> = SmallVec<[(&'r str, &'p str); 4]>;

#[derive(Debug, Default)]
pub struct Router {
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    /// Sorted by segment for binary search.
    statics: Vec<(Box<str>, Node)>,
    param: Option<(Box<str>, Box<Node>)>,
    greedy: Option<(Box<str>, ResourceId)>,
    resource: Option<ResourceId>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Match<'r, 'p> {
    pub resource: ResourceId,
    pub params: Params<'r, 'p>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("invalid resource path {0:?}")]
    InvalidPath(String),
    #[error(
        "resource path {0:?} conflicts with another resource (a duplicate, or a sibling path parameter with another name)"
    )]
    Conflict(String),
}

enum Segment<'a> {
    Static(&'a str),
    Param(&'a str),
    Greedy(&'a str),
}

fn parse_segment(seg: &str) -> Option<Segment<'_>> {
    if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(n) => (n, true),
            None => (inner, false),
        };
        if name.is_empty() || name.contains(['{', '}', '+']) {
            return None;
        }
        return Some(if greedy {
            Segment::Greedy(name)
        } else {
            Segment::Param(name)
        });
    }
    if seg.is_empty() || seg.contains(['{', '}']) {
        return None;
    }
    Some(Segment::Static(seg))
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a resource path such as `/pets/{petId}`.
    pub fn insert(&mut self, path: &str, id: ResourceId) -> Result<(), RouteError> {
        let invalid = || RouteError::InvalidPath(path.to_string());
        let conflict = || RouteError::Conflict(path.to_string());
        let rest = path.strip_prefix('/').ok_or_else(invalid)?;
        let mut node = &mut self.root;
        if rest.is_empty() {
            return set_once(&mut node.resource, id, conflict);
        }
        let segments: Vec<&str> = rest.split('/').collect();
        for (i, seg) in segments.iter().enumerate() {
            match parse_segment(seg).ok_or_else(invalid)? {
                Segment::Static(s) => {
                    let idx = match node.statics.binary_search_by(|(k, _)| (**k).cmp(s)) {
                        Ok(idx) => idx,
                        Err(idx) => {
                            node.statics.insert(idx, (s.into(), Node::default()));
                            idx
                        }
                    };
                    // `idx` is an existing entry or the one just inserted there.
                    node = match node.statics.get_mut(idx) {
                        Some((_, child)) => child,
                        None => return Err(invalid()),
                    };
                }
                Segment::Param(name) => {
                    let (existing, child) = node
                        .param
                        .get_or_insert_with(|| (name.into(), Box::default()));
                    // Two resources at the same level with different parameter names is an
                    // error in API Gateway too ("A sibling ({id}) of this resource already has a
                    // variable path part").
                    if **existing != *name {
                        return Err(conflict());
                    }
                    node = child;
                }
                Segment::Greedy(name) => {
                    if i + 1 != segments.len() {
                        return Err(invalid());
                    }
                    if node.greedy.is_some() {
                        return Err(conflict());
                    }
                    node.greedy = Some((name.into(), id));
                    return Ok(());
                }
            }
        }
        set_once(&mut node.resource, id, conflict)
    }

    /// Finds the resource for a request path (the part after the stage, starting with `/`).
    pub fn find<'r, 'p>(&'r self, path: &'p str) -> Option<Match<'r, 'p>> {
        let rest = path.strip_prefix('/')?;
        let mut params = Params::new();
        if rest.is_empty() {
            return self
                .root
                .resource
                .map(|resource| Match { resource, params });
        }
        let resource = self.root.find(rest, &mut params)?;
        Some(Match { resource, params })
    }
}

fn set_once(
    slot: &mut Option<ResourceId>,
    id: ResourceId,
    conflict: impl Fn() -> RouteError,
) -> Result<(), RouteError> {
    if slot.is_some() {
        return Err(conflict());
    }
    *slot = Some(id);
    Ok(())
}

impl Node {
    /// `rest` is the remaining path after a `/`, non-empty except for a trailing slash.
    fn find<'r, 'p>(&'r self, rest: &'p str, params: &mut Params<'r, 'p>) -> Option<ResourceId> {
        let (seg, tail) = match rest.split_once('/') {
            Some((seg, tail)) => (seg, Some(tail)),
            None => (rest, None),
        };
        // A lone trailing slash ends the path for literal and `{param}` matches.
        let tail = tail.filter(|t| !t.is_empty());
        if !seg.is_empty() {
            if let Ok(idx) = self.statics.binary_search_by(|(k, _)| (**k).cmp(seg))
                && let Some((_, child)) = self.statics.get(idx)
                && let Some(found) = child.descend(tail, params)
            {
                return Some(found);
            }
            if let Some((name, child)) = &self.param {
                let mark = params.len();
                params.push((name, seg));
                if let Some(found) = child.descend(tail, params) {
                    return Some(found);
                }
                params.truncate(mark);
            }
        }
        if let Some((name, id)) = &self.greedy {
            params.push((name, rest));
            return Some(*id);
        }
        None
    }

    fn descend<'r, 'p>(
        &'r self,
        tail: Option<&'p str>,
        params: &mut Params<'r, 'p>,
    ) -> Option<ResourceId> {
        match tail {
            None => self.resource,
            Some(tail) => self.find(tail, params),
        }
    }
}

#[cfg(test)]
mod tests;
