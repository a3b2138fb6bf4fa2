//! Sub-assistant delegation must stay acyclic, or resolving an assistant's tools
//! (and a model following them) would never end.

use std::collections::{HashMap, HashSet};

use crate::id::AssistantId;

/// `from` may delegate to `to`: `from` is linked to a `sub_assistant` tool that
/// names `to`. Inactive links and tools count too: switching one on must not be
/// able to close a loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Delegation {
    pub from: AssistantId,
    pub to: AssistantId,
}

/// The loop that `added` would close in the graph of `existing` delegations, as the
/// assistants along it starting and ending at `added.from`; `None` when it closes
/// none.
#[must_use]
pub fn find_cycle(existing: &[Delegation], added: &[Delegation]) -> Option<Vec<AssistantId>> {
    let mut next: HashMap<AssistantId, Vec<AssistantId>> = HashMap::new();
    for d in existing.iter().chain(added) {
        next.entry(d.from).or_default().push(d.to);
    }
    added.iter().find_map(|d| {
        path(&next, d.to, d.from).map(|mut p| {
            p.insert(0, d.from);
            p
        })
    })
}

/// A path from `start` to `goal`, depth first.
fn path(
    next: &HashMap<AssistantId, Vec<AssistantId>>,
    start: AssistantId,
    goal: AssistantId,
) -> Option<Vec<AssistantId>> {
    let mut seen = HashSet::new();
    let mut stack = vec![(start, vec![start])];
    while let Some((at, trail)) = stack.pop() {
        if at == goal {
            return Some(trail);
        }
        if !seen.insert(at) {
            continue;
        }
        for &to in next.get(&at).into_iter().flatten() {
            let mut longer = trail.clone();
            longer.push(to);
            stack.push((to, longer));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{Delegation, find_cycle};
    use crate::id::AssistantId;

    fn d(from: AssistantId, to: AssistantId) -> Delegation {
        Delegation { from, to }
    }

    #[test]
    fn a_loop_is_found_with_its_path_and_a_tree_is_not() {
        let [a, b, c, x] = [(); 4].map(|()| AssistantId::generate());
        let chain = [d(a, b), d(b, c), d(a, x)];
        assert_eq!(find_cycle(&chain, &[d(x, c)]), None);
        assert_eq!(find_cycle(&chain, &[d(c, a)]), Some(vec![c, a, b, c]));
        assert_eq!(find_cycle(&[], &[d(a, a)]), Some(vec![a, a]));
    }
}
