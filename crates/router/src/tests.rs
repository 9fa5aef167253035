use proptest::prelude::*;

use super::*;

fn router(paths: &[&str]) -> Router {
    let mut r = Router::new();
    for (i, p) in paths.iter().enumerate() {
        r.insert(p, i).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    r
}

fn find<'a>(
    r: &'a Router,
    paths: &[&'a str],
    path: &str,
) -> Option<(&'a str, Vec<(String, String)>)> {
    r.find(path).map(|m| {
        (
            paths[m.resource],
            m.params
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    })
}

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[test]
fn most_specific_wins_with_backtracking() {
    let paths = [
        "/",
        "/pets",
        "/pets/{petId}",
        "/pets/mine",
        "/a/{id}/c",
        "/a/b/d",
        "/files/{path+}",
        "/{proxy+}",
    ];
    let r = router(&paths);
    assert_eq!(find(&r, &paths, "/"), Some(("/", vec![])));
    assert_eq!(find(&r, &paths, "/pets"), Some(("/pets", vec![])));
    assert_eq!(find(&r, &paths, "/pets/"), Some(("/pets", vec![])));
    assert_eq!(find(&r, &paths, "/pets/mine"), Some(("/pets/mine", vec![])));
    assert_eq!(
        find(&r, &paths, "/pets/7"),
        Some(("/pets/{petId}", p(&[("petId", "7")])))
    );
    assert_eq!(
        find(&r, &paths, "/a/b/c"),
        Some(("/a/{id}/c", p(&[("id", "b")])))
    );
    assert_eq!(find(&r, &paths, "/a/b/d"), Some(("/a/b/d", vec![])));
    assert_eq!(
        find(&r, &paths, "/files/x/y/z.txt"),
        Some(("/files/{path+}", p(&[("path", "x/y/z.txt")])))
    );
    // Greedy needs at least one segment; `/files` falls to the root proxy.
    assert_eq!(
        find(&r, &paths, "/files"),
        Some(("/{proxy+}", p(&[("proxy", "files")])))
    );
    assert_eq!(
        find(&r, &paths, "/pets/7/toys/"),
        Some(("/{proxy+}", p(&[("proxy", "pets/7/toys/")])))
    );
    assert_eq!(
        find(&r, &paths, "/x%2Fy"),
        Some(("/{proxy+}", p(&[("proxy", "x%2Fy")])))
    );
}

#[test]
fn misses() {
    let paths = ["/pets", "/pets/{petId}"];
    let r = router(&paths);
    assert_eq!(find(&r, &paths, "/"), None);
    assert_eq!(find(&r, &paths, "/dogs"), None);
    assert_eq!(find(&r, &paths, "/pets/1/2"), None);
    assert_eq!(find(&r, &paths, "/pets//"), None);
    assert_eq!(find(&r, &paths, "//pets"), None);
    assert_eq!(find(&r, &paths, "pets"), None);
    assert_eq!(find(&r, &paths, ""), None);
}

#[test]
fn insert_errors() {
    let mut r = Router::new();
    r.insert("/a/{x}", 0).unwrap();
    assert!(matches!(
        r.insert("/a/{y}", 1),
        Err(RouteError::Conflict(_))
    ));
    assert!(matches!(
        r.insert("/a/{x}", 1),
        Err(RouteError::Conflict(_))
    ));
    assert!(matches!(
        r.insert("/a/{p+}/b", 1),
        Err(RouteError::InvalidPath(_))
    ));
    assert!(matches!(r.insert("a", 1), Err(RouteError::InvalidPath(_))));
    assert!(matches!(
        r.insert("/a//b", 1),
        Err(RouteError::InvalidPath(_))
    ));
    assert!(matches!(
        r.insert("/a/b{c}", 1),
        Err(RouteError::InvalidPath(_))
    ));
    r.insert("/{p+}", 2).unwrap();
    assert!(matches!(r.insert("/{q+}", 3), Err(RouteError::Conflict(_))));
}

// --- Differential test against an obviously-correct reference -------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Static,
    Param,
    Greedy,
}

/// Reference: a pattern matches if its segments line up with the path's; among matches the one
/// whose sequence of segment kinds is lexicographically smallest (static < param < greedy) wins.
fn reference(patterns: &[String], path: &str) -> Option<usize> {
    let rest = path.strip_prefix('/')?;
    let segs: Vec<&str> = if rest.is_empty() {
        vec![]
    } else {
        rest.split('/').collect()
    };
    let mut best: Option<(Vec<Kind>, usize)> = None;
    for (i, pattern) in patterns.iter().enumerate() {
        if let Some(kinds) = matches(pattern, &segs)
            && best.as_ref().is_none_or(|(b, _)| kinds < *b)
        {
            best = Some((kinds, i));
        }
    }
    best.map(|(_, i)| i)
}

fn matches(pattern: &str, segs: &[&str]) -> Option<Vec<Kind>> {
    let pat: Vec<&str> = match pattern.strip_prefix('/')? {
        "" => vec![],
        r => r.split('/').collect(),
    };
    let mut kinds = Vec::new();
    for (i, ps) in pat.iter().enumerate() {
        if ps.ends_with("+}") {
            // Greedy: at least one segment; the remainder may be anything (even empty segments).
            return (segs.len() > i && !(segs.len() == i + 1 && segs[i].is_empty())).then(|| {
                kinds.push(Kind::Greedy);
                kinds
            });
        }
        let seg = segs.get(i)?;
        if seg.is_empty() {
            return None;
        }
        if ps.starts_with('{') {
            kinds.push(Kind::Param);
        } else if ps == seg {
            kinds.push(Kind::Static);
        } else {
            return None;
        }
    }
    // One trailing slash is ignored for non-greedy matches.
    let extra = &segs[pat.len().min(segs.len())..];
    let ok = extra.is_empty() || (extra == [""] && !pat.is_empty());
    ok.then_some(kinds)
}

fn arb_pattern() -> impl Strategy<Value = String> {
    let seg = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("{x}".to_string()),
    ];
    (proptest::collection::vec(seg, 0..4), any::<bool>()).prop_map(|(segs, greedy)| {
        let mut s = String::new();
        for seg in segs {
            s.push('/');
            s.push_str(&seg);
        }
        if greedy {
            s.push_str("/{g+}");
        }
        if s.is_empty() { "/".to_string() } else { s }
    })
}

fn arb_path() -> impl Strategy<Value = String> {
    let seg = prop_oneof![Just("a"), Just("b"), Just("c"), Just(""),];
    proptest::collection::vec(seg, 0..5).prop_map(|segs| format!("/{}", segs.join("/")))
}

proptest! {
    #[test]
    fn agrees_with_reference(patterns in proptest::collection::vec(arb_pattern(), 1..8), path in arb_path()) {
        // Keep only patterns the router accepts (the reference has no notion of conflicts):
        // sibling parameters always share the name `x` here, so only exact duplicates conflict.
        let mut r = Router::new();
        let mut kept = Vec::new();
        for pat in patterns {
            if r.insert(&pat, kept.len()).is_ok() {
                kept.push(pat);
            }
        }
        let got = r.find(&path).map(|m| m.resource);
        prop_assert_eq!(got, reference(&kept, &path), "patterns {:?} path {:?}", kept, path);
    }

    #[test]
    fn never_panics(path in ".{0,64}") {
        let r = router(&["/", "/a/{b}", "/{p+}"]);
        let _ = r.find(&path);
    }
}
