//! What makes nodes and directed edges a graph the engine can run in order: no
//! cycle. Plans (tasks and their dependencies) and workflow definitions (steps
//! and their edges) both ask here, so one place decides it.

use std::collections::HashMap;

/// The nodes `0..nodes` in an order where each comes after every node with an
/// edge into it; or, when the edges form a cycle, one cycle: the nodes along it,
/// each with an edge to the next and the last to the first. Edges out of range
/// are the caller's mistake and are ignored; a repeated edge counts once.
///
/// # Errors
/// The cycle, when there is one.
pub fn order(nodes: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    let mut waiting: Vec<usize> = vec![0; nodes];
    let mut seen = std::collections::HashSet::with_capacity(edges.len());
    for &(from, to) in edges {
        if from < nodes && to < nodes && seen.insert((from, to)) {
            next[from].push(to);
            waiting[to] += 1;
        }
    }
    // Kahn's algorithm; what it cannot order lies on or behind a cycle.
    let mut ready: Vec<usize> = (0..nodes).filter(|&i| waiting[i] == 0).collect();
    ready.reverse();
    let mut order = Vec::with_capacity(nodes);
    while let Some(i) = ready.pop() {
        order.push(i);
        for &d in &next[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(d);
            }
        }
    }
    if order.len() < nodes {
        return Err(cycle(&next, &waiting));
    }
    Ok(order)
}

/// One cycle among the nodes Kahn's algorithm left waiting. Each of those has a
/// waiting node with an edge into it, so walking such edges backwards from any
/// of them must repeat a node; the walk's loop, turned around, is the cycle.
fn cycle(next: &[Vec<usize>], waiting: &[usize]) -> Vec<usize> {
    let mut into: Vec<Vec<usize>> = vec![Vec::new(); next.len()];
    for (from, tos) in next.iter().enumerate() {
        for &to in tos {
            into[to].push(from);
        }
    }
    let Some(start) = (0..next.len()).find(|&i| waiting[i] > 0) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut at_step: HashMap<usize, usize> = HashMap::from([(start, 0)]);
    let mut current = start;
    loop {
        let previous = into[current]
            .iter()
            .copied()
            .find(|&p| waiting[p] > 0)
            .unwrap_or(start);
        if let Some(&step) = at_step.get(&previous) {
            let mut found = path.split_off(step);
            found.reverse();
            return found;
        }
        at_step.insert(previous, path.len());
        path.push(previous);
        current = previous;
    }
}

#[cfg(test)]
mod tests {
    use super::order;

    fn follows_edges(cycle: &[usize], edges: &[(usize, usize)]) -> bool {
        (0..cycle.len()).all(|i| edges.contains(&(cycle[i], cycle[(i + 1) % cycle.len()])))
    }

    #[test]
    fn a_dag_is_ordered_with_each_node_after_its_predecessors() {
        let edges = [(0, 2), (1, 2), (2, 3), (0, 3), (0, 2)];
        let found = order(5, &edges).unwrap();
        assert_eq!(found.len(), 5);
        let at = |n| found.iter().position(|&x| x == n).unwrap();
        assert!(edges.iter().all(|&(a, b)| at(a) < at(b)));
    }

    #[test]
    fn a_cycle_is_named_along_its_edges_without_what_leads_to_it() {
        // 0 -> 1 -> 2 -> 3 -> 1, and 3 -> 4 behind it.
        let edges = [(0, 1), (1, 2), (2, 3), (3, 1), (3, 4)];
        let cycle = order(5, &edges).unwrap_err();
        let mut members = cycle.clone();
        members.sort_unstable();
        assert_eq!(members, [1, 2, 3]);
        assert!(follows_edges(&cycle, &edges), "{cycle:?}");
        assert_eq!(order(1, &[(0, 0)]).unwrap_err(), [0]);
    }
}
