//! Walking a plan's graph downstream: what depends, directly or not, on a task.

use std::collections::{HashMap, VecDeque};

use crate::id::TaskId;
use crate::tracker::Task;

/// The indexes of every task that depends on `from`, directly or through
/// others, in breadth-first order (each once).
#[must_use]
pub fn downstream(tasks: &[Task], from: TaskId) -> Vec<usize> {
    let mut dependents: HashMap<TaskId, Vec<usize>> = HashMap::new();
    for (i, task) in tasks.iter().enumerate() {
        for dep in task
            .execution()
            .map(|e| e.depends_on.as_slice())
            .unwrap_or_default()
        {
            dependents.entry(*dep).or_default().push(i);
        }
    }
    let mut seen = vec![false; tasks.len()];
    let mut order = Vec::new();
    let mut queue = VecDeque::from([from]);
    while let Some(id) = queue.pop_front() {
        for &i in dependents.get(&id).map(Vec::as_slice).unwrap_or_default() {
            if !seen[i] {
                seen[i] = true;
                order.push(i);
                queue.push_back(tasks[i].id());
            }
        }
    }
    order
}

/// The indexes of every task `from` depends on, directly or through others,
/// in breadth-first order (each once).
#[must_use]
pub fn upstream(tasks: &[Task], from: TaskId) -> Vec<usize> {
    let index: HashMap<TaskId, usize> =
        tasks.iter().enumerate().map(|(i, t)| (t.id(), i)).collect();
    let mut seen = vec![false; tasks.len()];
    let mut order = Vec::new();
    let mut queue = VecDeque::from([from]);
    while let Some(id) = queue.pop_front() {
        let Some(&at) = index.get(&id) else { continue };
        for dep in tasks[at]
            .execution()
            .map(|e| e.depends_on.as_slice())
            .unwrap_or_default()
        {
            if let Some(&i) = index.get(dep)
                && !seen[i]
            {
                seen[i] = true;
                order.push(i);
                queue.push_back(*dep);
            }
        }
    }
    order
}
