//! Matching child elements against a content model, one element at a time.
//!
//! XML Schema requires content models to be deterministic (Unique Particle Attribution), so
//! the next element always belongs to at most one particle: the matcher walks the particle
//! tree greedily with a small state per group (occurrences so far, the current child), and
//! never backtracks. Each step costs at most the size of the content model, so a document
//! costs its length times a schema-bounded factor.

use super::model::{ElementId, MaxOccurs, Particle, QName, SchemaSet, Term, Wildcard};

/// The most names listed in an "expected one of" message.
const MAX_EXPECTED: usize = 12;

/// The state of one particle.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Completed occurrences (for an element or wildcard: occurrences).
    count: u32,
    /// Whether an occurrence of a group is in progress.
    started: bool,
    /// In a sequence: the current child; in a choice: the branch taken.
    idx: usize,
    /// A sequence's or choice's current child state (one), or an `all` group's (one each).
    children: Vec<State>,
}

impl State {
    /// Back to the state of a fresh particle, keeping the storage of its child states.
    #[inline]
    pub fn reset(&mut self) {
        self.count = 0;
        self.started = false;
        self.idx = 0;
        self.children.clear();
    }
}

/// What an element matched.
#[derive(Debug, Clone, Copy)]
pub enum Matched<'s> {
    /// An element declaration (the particle's, or a member of its substitution group).
    Element(ElementId),
    /// A wildcard.
    Any(&'s Wildcard),
}

/// Feeds element `{ns}local` to particle `p` in state `st`. On `None` the state is unchanged.
pub fn feed<'s>(set: &'s SchemaSet, p: &'s Particle, st: &mut State, ns: &str, local: &str) -> Option<Matched<'s>> {
    match &p.term {
        Term::Element(_) | Term::Any(_) => {
            let m = occurrence(set, p, st.count, ns, local)?;
            st.count += 1;
            Some(m)
        }
        Term::Sequence(children) => {
            if st.started {
                let idx = st.idx;
                match feed_child(set, &children[idx], &mut st.children[0], ns, local) {
                    Ok(m) => return Some(m),
                    Err(false) => return None,
                    Err(true) => {}
                }
                if let Some((j, fresh, m)) = scan(set, children, idx + 1, ns, local) {
                    st.idx = j;
                    set_child(st, fresh);
                    return Some(m);
                }
                if !children[idx + 1..].iter().all(emptiable) || !p.max.allows_more(st.count + 1) {
                    return None;
                }
                let (j, fresh, m) = scan(set, children, 0, ns, local)?;
                st.count += 1;
                st.idx = j;
                set_child(st, fresh);
                Some(m)
            } else {
                if !p.max.allows_more(st.count) {
                    return None;
                }
                let (j, fresh, m) = scan(set, children, 0, ns, local)?;
                st.started = true;
                st.idx = j;
                set_child(st, fresh);
                Some(m)
            }
        }
        Term::Choice(children) => {
            if st.started {
                let idx = st.idx;
                match feed_child(set, &children[idx], &mut st.children[0], ns, local) {
                    Ok(m) => return Some(m),
                    Err(true) if p.max.allows_more(st.count + 1) => {}
                    Err(_) => return None,
                }
                let (b, fresh, m) = branch(set, children, ns, local)?;
                st.count += 1;
                st.idx = b;
                set_child(st, fresh);
                Some(m)
            } else {
                if !p.max.allows_more(st.count) {
                    return None;
                }
                let (b, fresh, m) = branch(set, children, ns, local)?;
                st.started = true;
                st.idx = b;
                set_child(st, fresh);
                Some(m)
            }
        }
        Term::All(children) => {
            if !st.started && !p.max.allows_more(st.count) {
                return None;
            }
            if st.children.len() != children.len() {
                st.children = vec![State::default(); children.len()];
            }
            for (i, c) in children.iter().enumerate() {
                if let Some(m) = feed(set, c, &mut st.children[i], ns, local) {
                    st.started = true;
                    return Some(m);
                }
            }
            None
        }
    }
}

/// Feeds element `{ns}local` to `p`, the current child of a group, in state `st`: what it
/// matched, or (state unchanged) whether `p` may end there. An element or wildcard child is
/// fed without a call (what [`feed`] and [`satisfied`] do for one).
#[inline(always)]
fn feed_child<'s>(
    set: &'s SchemaSet,
    p: &'s Particle,
    st: &mut State,
    ns: &str,
    local: &str,
) -> Result<Matched<'s>, bool> {
    if let Term::Element(_) | Term::Any(_) = &p.term {
        return match occurrence(set, p, st.count, ns, local) {
            Some(m) => {
                st.count += 1;
                Ok(m)
            }
            None => Err(st.count >= p.min),
        };
    }
    match feed(set, p, st, ns, local) {
        Some(m) => Ok(m),
        None => Err(satisfied(p, st)),
    }
}

/// The state of a child that has just matched its first element.
enum Fresh {
    /// An element or wildcard, matched once.
    Leaf,
    /// A group, in this state.
    Group(State),
}

/// Makes `fresh` the one current child state, reusing the storage.
#[inline(always)]
fn set_child(st: &mut State, fresh: Fresh) {
    match st.children.first_mut() {
        Some(c) => {
            match fresh {
                Fresh::Leaf => {
                    c.reset();
                    c.count = 1;
                }
                Fresh::Group(s) => *c = s,
            }
            st.children.truncate(1);
        }
        None => st.children.push(match fresh {
            Fresh::Leaf => State {
                count: 1,
                ..State::default()
            },
            Fresh::Group(s) => s,
        }),
    }
}

/// The first child from `from` on that accepts the element, passing over emptiable ones.
fn scan<'s>(
    set: &'s SchemaSet,
    children: &'s [Particle],
    from: usize,
    ns: &str,
    local: &str,
) -> Option<(usize, Fresh, Matched<'s>)> {
    for (j, c) in children.iter().enumerate().skip(from) {
        if let Some(m) = first(set, c, ns, local) {
            return Some((j, m.0, m.1));
        }
        if !emptiable(c) {
            return None;
        }
    }
    None
}

fn branch<'s>(
    set: &'s SchemaSet,
    children: &'s [Particle],
    ns: &str,
    local: &str,
) -> Option<(usize, Fresh, Matched<'s>)> {
    children
        .iter()
        .enumerate()
        .find_map(|(b, c)| first(set, c, ns, local).map(|(fresh, m)| (b, fresh, m)))
}

/// Feeds element `{ns}local` to a fresh particle `p`: its state after, and what matched. An
/// element or wildcard is matched at once, without a state fed through [`feed`].
#[inline(always)]
fn first<'s>(set: &'s SchemaSet, p: &'s Particle, ns: &str, local: &str) -> Option<(Fresh, Matched<'s>)> {
    if let Term::Element(_) | Term::Any(_) = &p.term {
        let m = occurrence(set, p, 0, ns, local)?;
        return Some((Fresh::Leaf, m));
    }
    let mut fresh = State::default();
    feed(set, p, &mut fresh, ns, local).map(|m| (Fresh::Group(fresh), m))
}

/// Element `{ns}local` as one more occurrence of the element or wildcard particle `p`, which
/// has matched `count` times so far. (Inlined: called for every element; as a call it cost the
/// request check ~160 instructions more, callgrind on examples/request_cost.)
#[inline(always)]
fn occurrence<'s>(set: &'s SchemaSet, p: &'s Particle, count: u32, ns: &str, local: &str) -> Option<Matched<'s>> {
    if !p.max.allows_more(count) {
        return None;
    }
    leaf_match(set, &p.term, ns, local)
}

#[inline(always)]
fn leaf_match<'s>(set: &'s SchemaSet, term: &'s Term, ns: &str, local: &str) -> Option<Matched<'s>> {
    match term {
        Term::Element(id) => {
            let decl = set.element(*id);
            if decl.name.is(ns, local) {
                return Some(Matched::Element(*id));
            }
            set.substitutes(*id)
                .iter()
                .find(|m| set.element(**m).name.is(ns, local))
                .map(|m| Matched::Element(*m))
        }
        Term::Any(w) => w.admits(ns).then_some(Matched::Any(w)),
        _ => None,
    }
}

/// Whether a particle may match nothing at all.
pub fn emptiable(p: &Particle) -> bool {
    p.min == 0 || term_emptiable(&p.term)
}

fn term_emptiable(t: &Term) -> bool {
    match t {
        Term::Element(_) | Term::Any(_) => false,
        Term::Sequence(c) | Term::All(c) => c.iter().all(emptiable),
        Term::Choice(c) => c.iter().any(emptiable),
    }
}

/// Whether the particle may end in state `st`.
pub fn satisfied(p: &Particle, st: &State) -> bool {
    let enough = |done: u32| done >= p.min || term_emptiable(&p.term);
    match &p.term {
        Term::Element(_) | Term::Any(_) => st.count >= p.min,
        _ if !st.started => enough(st.count),
        Term::Sequence(children) => {
            satisfied(&children[st.idx], &st.children[0])
                && children[st.idx + 1..].iter().all(emptiable)
                && enough(st.count + 1)
        }
        Term::Choice(children) => satisfied(&children[st.idx], &st.children[0]) && enough(st.count + 1),
        Term::All(children) => children.iter().zip(&st.children).all(|(c, s)| satisfied(c, s)) && enough(st.count + 1),
    }
}

/// What may come next in a content model: an element (by its declaration's name) or a
/// wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next<'s> {
    /// An element.
    Element(&'s QName),
    /// An element a wildcard admits.
    Any(&'s Wildcard),
}

impl Next<'_> {
    /// How messages name it: the element's local name, or the wildcard described.
    pub fn describe(self) -> String {
        match self {
            Next::Element(q) => q.local.clone(),
            Next::Any(w) => describe_wildcard(w),
        }
    }
}

/// Names that could come next in state `st` (`None`: a fresh particle), for messages.
pub fn expected(set: &SchemaSet, p: &Particle, st: Option<&State>, out: &mut Vec<String>) {
    let mut next = Vec::new();
    expected_next(set, p, st, &mut next);
    for n in next {
        push(out, n.describe());
    }
}

/// The required names still missing when the content ends in state `st`.
pub fn missing(set: &SchemaSet, p: &Particle, st: &State, out: &mut Vec<String>) {
    let mut next = Vec::new();
    missing_next(set, p, st, &mut next);
    for n in next {
        push(out, n.describe());
    }
}

/// What could come next in state `st` (`None`: a fresh particle), at most
/// [`MAX_EXPECTED`] entries.
pub fn expected_next<'s>(set: &'s SchemaSet, p: &'s Particle, st: Option<&State>, out: &mut Vec<Next<'s>>) {
    if out.len() >= MAX_EXPECTED {
        return;
    }
    let fresh = State::default();
    let st = st.unwrap_or(&fresh);
    match &p.term {
        Term::Element(id) => {
            if p.max.allows_more(st.count) {
                push_next(out, Next::Element(&set.element(*id).name));
            }
        }
        Term::Any(w) => {
            if p.max.allows_more(st.count) {
                push_next(out, Next::Any(w));
            }
        }
        Term::Sequence(children) => {
            let mut from = 0;
            if st.started {
                let idx = st.idx;
                expected_next(set, &children[idx], Some(&st.children[0]), out);
                if !satisfied(&children[idx], &st.children[0]) {
                    return;
                }
                from = idx + 1;
            } else if !p.max.allows_more(st.count) {
                return;
            }
            for c in &children[from..] {
                expected_next(set, c, None, out);
                if !emptiable(c) {
                    return;
                }
            }
            if st.started && p.max.allows_more(st.count + 1) {
                for c in children {
                    expected_next(set, c, None, out);
                    if !emptiable(c) {
                        return;
                    }
                }
            }
        }
        Term::Choice(children) => {
            if st.started {
                expected_next(set, &children[st.idx], Some(&st.children[0]), out);
                if !satisfied(&children[st.idx], &st.children[0]) || !p.max.allows_more(st.count + 1) {
                    return;
                }
            } else if !p.max.allows_more(st.count) {
                return;
            }
            for c in children {
                expected_next(set, c, None, out);
            }
        }
        Term::All(children) => {
            for (i, c) in children.iter().enumerate() {
                expected_next(set, c, st.children.get(i), out);
            }
        }
    }
}

/// The required elements still missing when the content ends in state `st`.
pub fn missing_next<'s>(set: &'s SchemaSet, p: &'s Particle, st: &State, out: &mut Vec<Next<'s>>) {
    if satisfied(p, st) || out.len() >= MAX_EXPECTED {
        return;
    }
    match &p.term {
        Term::Element(id) => push_next(out, Next::Element(&set.element(*id).name)),
        Term::Any(w) => push_next(out, Next::Any(w)),
        Term::Sequence(children) if st.started => {
            missing_next(set, &children[st.idx], &st.children[0], out);
            if let Some(c) = children[st.idx + 1..].iter().find(|c| !emptiable(c)) {
                missing_next(set, c, &State::default(), out);
            }
        }
        Term::Choice(children) if st.started => missing_next(set, &children[st.idx], &st.children[0], out),
        Term::All(children) if st.started => {
            for (c, s) in children.iter().zip(&st.children) {
                missing_next(set, c, s, out);
            }
        }
        _ => expected_next(set, p, None, out),
    }
}

fn push_next<'s>(out: &mut Vec<Next<'s>>, next: Next<'s>) {
    if out.len() < MAX_EXPECTED && !out.contains(&next) {
        out.push(next);
    }
}

/// Whether any element particle of the model has local name `local`.
pub fn mentions(set: &SchemaSet, p: &Particle, local: &str, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    match &p.term {
        Term::Element(id) => {
            set.element(*id).name.local == local
                || set.substitutes(*id).iter().any(|m| set.element(*m).name.local == local)
        }
        Term::Any(_) => false,
        Term::Sequence(c) | Term::Choice(c) | Term::All(c) => c.iter().any(|c| mentions(set, c, local, depth + 1)),
    }
}

fn push(out: &mut Vec<String>, name: String) {
    if out.len() < MAX_EXPECTED && !out.contains(&name) {
        out.push(name);
    }
}

fn describe_wildcard(w: &Wildcard) -> String {
    use super::model::NamespaceConstraint::*;
    match &w.namespaces {
        Any => "any element".to_owned(),
        Not(list) => format!(
            "an element of a namespace other than {}",
            list.iter()
                .filter(|n| !n.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Only(list) => format!("an element of {}", list.join(", ")),
    }
}

/// An occurrence bound as written in a schema (`1`, `unbounded`).
pub fn bound(max: MaxOccurs) -> String {
    match max {
        MaxOccurs::Bounded(n) => n.to_string(),
        MaxOccurs::Unbounded => "unbounded".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{
        ElementId, MaxOccurs, NamespaceConstraint, Particle, ProcessContents, QName, SchemaSet, Term, Wildcard,
    };
    use super::super::source::Source;
    use super::State;

    /// The matcher as it was before element and wildcard children were fed in place, to
    /// check the matcher against.
    mod reference {
        use super::super::{Matched, State, emptiable, occurrence, term_emptiable};
        use crate::xsd::model::{Particle, SchemaSet, Term};

        pub fn feed<'s>(
            set: &'s SchemaSet,
            p: &'s Particle,
            st: &mut State,
            ns: &str,
            local: &str,
        ) -> Option<Matched<'s>> {
            match &p.term {
                Term::Element(_) | Term::Any(_) => {
                    let m = occurrence(set, p, st.count, ns, local)?;
                    st.count += 1;
                    Some(m)
                }
                Term::Sequence(children) => {
                    if st.started {
                        let idx = st.idx;
                        if let Some(m) = feed(set, &children[idx], &mut st.children[0], ns, local) {
                            return Some(m);
                        }
                        if !satisfied(&children[idx], &st.children[0]) {
                            return None;
                        }
                        if let Some((j, fresh, m)) = scan(set, children, idx + 1, ns, local) {
                            st.idx = j;
                            set_child(st, fresh);
                            return Some(m);
                        }
                        if !children[idx + 1..].iter().all(emptiable) || !p.max.allows_more(st.count + 1) {
                            return None;
                        }
                        let (j, fresh, m) = scan(set, children, 0, ns, local)?;
                        st.count += 1;
                        st.idx = j;
                        set_child(st, fresh);
                        Some(m)
                    } else {
                        if !p.max.allows_more(st.count) {
                            return None;
                        }
                        let (j, fresh, m) = scan(set, children, 0, ns, local)?;
                        st.started = true;
                        st.idx = j;
                        set_child(st, fresh);
                        Some(m)
                    }
                }
                Term::Choice(children) => {
                    if st.started {
                        let idx = st.idx;
                        if let Some(m) = feed(set, &children[idx], &mut st.children[0], ns, local) {
                            return Some(m);
                        }
                        if !satisfied(&children[idx], &st.children[0]) || !p.max.allows_more(st.count + 1) {
                            return None;
                        }
                        let (b, fresh, m) = branch(set, children, ns, local)?;
                        st.count += 1;
                        st.idx = b;
                        set_child(st, fresh);
                        Some(m)
                    } else {
                        if !p.max.allows_more(st.count) {
                            return None;
                        }
                        let (b, fresh, m) = branch(set, children, ns, local)?;
                        st.started = true;
                        st.idx = b;
                        set_child(st, fresh);
                        Some(m)
                    }
                }
                Term::All(children) => {
                    if !st.started && !p.max.allows_more(st.count) {
                        return None;
                    }
                    if st.children.len() != children.len() {
                        st.children = vec![State::default(); children.len()];
                    }
                    for (i, c) in children.iter().enumerate() {
                        if let Some(m) = feed(set, c, &mut st.children[i], ns, local) {
                            st.started = true;
                            return Some(m);
                        }
                    }
                    None
                }
            }
        }

        /// Makes `fresh` the one current child state, reusing the storage.
        #[inline(always)]
        fn set_child(st: &mut State, fresh: State) {
            match st.children.first_mut() {
                Some(c) => {
                    *c = fresh;
                    st.children.truncate(1);
                }
                None => st.children.push(fresh),
            }
        }

        /// The first child from `from` on that accepts the element, passing over emptiable ones.
        fn scan<'s>(
            set: &'s SchemaSet,
            children: &'s [Particle],
            from: usize,
            ns: &str,
            local: &str,
        ) -> Option<(usize, State, Matched<'s>)> {
            for (j, c) in children.iter().enumerate().skip(from) {
                if let Some(m) = first(set, c, ns, local) {
                    return Some((j, m.0, m.1));
                }
                if !emptiable(c) {
                    return None;
                }
            }
            None
        }

        fn branch<'s>(
            set: &'s SchemaSet,
            children: &'s [Particle],
            ns: &str,
            local: &str,
        ) -> Option<(usize, State, Matched<'s>)> {
            children
                .iter()
                .enumerate()
                .find_map(|(b, c)| first(set, c, ns, local).map(|(fresh, m)| (b, fresh, m)))
        }

        /// Feeds element `{ns}local` to a fresh particle `p`: its state after, and what matched. An
        /// element or wildcard is matched at once, without a state fed through [`feed`].
        #[inline(always)]
        fn first<'s>(set: &'s SchemaSet, p: &'s Particle, ns: &str, local: &str) -> Option<(State, Matched<'s>)> {
            if let Term::Element(_) | Term::Any(_) = &p.term {
                let m = occurrence(set, p, 0, ns, local)?;
                let state = State {
                    count: 1,
                    ..State::default()
                };
                return Some((state, m));
            }
            let mut fresh = State::default();
            feed(set, p, &mut fresh, ns, local).map(|m| (fresh, m))
        }

        pub fn satisfied(p: &Particle, st: &State) -> bool {
            let enough = |done: u32| done >= p.min || term_emptiable(&p.term);
            match &p.term {
                Term::Element(_) | Term::Any(_) => st.count >= p.min,
                _ if !st.started => enough(st.count),
                Term::Sequence(children) => {
                    satisfied(&children[st.idx], &st.children[0])
                        && children[st.idx + 1..].iter().all(emptiable)
                        && enough(st.count + 1)
                }
                Term::Choice(children) => satisfied(&children[st.idx], &st.children[0]) && enough(st.count + 1),
                Term::All(children) => {
                    children.iter().zip(&st.children).all(|(c, s)| satisfied(c, s)) && enough(st.count + 1)
                }
            }
        }
    }

    /// A content model to build: (minOccurs, maxOccurs (`None`: unbounded), term).
    #[derive(Debug, Clone)]
    enum Shape {
        Element(usize),
        Any,
        Sequence(Vec<(u32, Option<u32>, Shape)>),
        Choice(Vec<(u32, Option<u32>, Shape)>),
        All(Vec<(u32, Option<u32>, Shape)>),
    }

    fn build(ids: &[ElementId], (min, max, shape): &(u32, Option<u32>, Shape)) -> Particle {
        let kids = |c: &Vec<(u32, Option<u32>, Shape)>| c.iter().map(|c| build(ids, c)).collect();
        Particle {
            min: *min,
            max: max.map_or(MaxOccurs::Unbounded, |m| MaxOccurs::Bounded(m.max(*min).max(1))),
            term: match shape {
                Shape::Element(i) => Term::Element(ids[*i]),
                Shape::Any => Term::Any(Wildcard {
                    namespaces: NamespaceConstraint::Only(vec!["urn:o".to_owned()]),
                    process: ProcessContents::Lax,
                }),
                Shape::Sequence(c) => Term::Sequence(kids(c)),
                Shape::Choice(c) => Term::Choice(kids(c)),
                Shape::All(c) => Term::All(kids(c)),
            },
        }
    }

    const ELEMENTS: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns:t="urn:t">
  <xs:element name="a"/><xs:element name="b"/><xs:element name="c"/><xs:element name="s" substitutionGroup="t:a"/>
</xs:schema>"#;

    /// Random content models (deterministic or not) fed random names: what matched, the
    /// state after each step and whether it may end there are the reference matcher's.
    #[test]
    fn the_matcher_is_the_reference_one() {
        use proptest::prelude::*;
        let set = SchemaSet::load(&Source::memory([("t.xsd", ELEMENTS)]), &["t.xsd"]).expect("the schema loads");
        let ids: Vec<ElementId> = ["a", "b", "c", "s"]
            .iter()
            .map(|n| set.global_element(&QName::new("urn:t", *n)).expect("declared"))
            .collect();
        let occurs = || (0..3u32, prop_oneof![Just(None), (1..4u32).prop_map(Some)]);
        let leaf = (
            occurs(),
            prop_oneof![(0..3usize).prop_map(Shape::Element), Just(Shape::Any)],
        )
            .prop_map(|((min, max), s)| (min, max, s));
        let model = leaf.prop_recursive(4, 24, 4, move |inner| {
            (occurs(), 0..3u8, proptest::collection::vec(inner, 1..4)).prop_map(|((min, max), kind, c)| {
                let term = match kind {
                    0 => Shape::Sequence(c),
                    1 => Shape::Choice(c),
                    _ => Shape::All(c),
                };
                (min, max, term)
            })
        });
        let names = proptest::collection::vec(0..5usize, 0..12);
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 4000,
            ..Default::default()
        });
        runner
            .run(&(model, names), |(shape, names)| {
                let p = build(&ids, &shape);
                let (mut mine, mut theirs) = (State::default(), State::default());
                for n in names {
                    let (ns, local) = match n {
                        0 => ("urn:t", "a"),
                        1 => ("urn:t", "b"),
                        2 => ("urn:t", "c"),
                        3 => ("urn:t", "s"),
                        _ => ("urn:o", "x"),
                    };
                    let m = super::feed(&set, &p, &mut mine, ns, local);
                    let r = reference::feed(&set, &p, &mut theirs, ns, local);
                    prop_assert_eq!(format!("{m:?}"), format!("{r:?}"));
                    prop_assert_eq!(format!("{mine:?}"), format!("{theirs:?}"));
                    prop_assert_eq!(super::satisfied(&p, &mine), reference::satisfied(&p, &theirs));
                }
                Ok(())
            })
            .unwrap();
    }
}
