//! The second pass of a definition's check: the rules a schema cannot say
//! (which fields each type of node takes, fan-out and fan-in, one start, no
//! cycle, predicates over nodes that run before, members of the squad).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Definition, Fallback, Node, NodeType, Predicate, Problem};
use crate::squads::SquadMember;

/// The fields only some types of node take, with those types.
const TYPED_FIELDS: [(&str, &[NodeType]); 10] = [
    ("role", &[NodeType::Agent]),
    ("assistant_id", &[NodeType::Agent]),
    ("instructions", &[NodeType::Agent, NodeType::Approval]),
    ("max_retries", &[NodeType::Agent]),
    ("on_failure", &[NodeType::Agent]),
    ("approver_email", &[NodeType::Approval]),
    ("decision_schema", &[NodeType::Approval]),
    ("timeout_seconds", &[NodeType::Approval]),
    ("on_timeout", &[NodeType::Approval]),
    ("timeout_decision", &[NodeType::Approval]),
];

fn present(node: &Node, field: &str) -> bool {
    match field {
        "role" => node.role.is_some(),
        "assistant_id" => node.assistant_id.is_some(),
        "instructions" => node.instructions.is_some(),
        "max_retries" => node.max_retries.is_some(),
        "on_failure" => node.on_failure.is_some(),
        "approver_email" => node.approver_email.is_some(),
        "decision_schema" => node.decision_schema.is_some(),
        "timeout_seconds" => node.timeout_seconds.is_some(),
        "on_timeout" => node.on_timeout.is_some(),
        "timeout_decision" => node.timeout_decision.is_some(),
        _ => false,
    }
}

pub(super) struct Rules<'a> {
    d: &'a Definition,
    /// `None` for a template, whose roles name no squad's members yet.
    members: Option<&'a [SquadMember]>,
    index: HashMap<&'a str, usize>,
    pub(super) problems: Vec<Problem>,
}

impl<'a> Rules<'a> {
    pub(super) fn new(d: &'a Definition, members: Option<&'a [SquadMember]>) -> Self {
        Self {
            d,
            members,
            index: HashMap::with_capacity(d.nodes.len()),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(field, message));
    }

    pub(super) fn check(&mut self) {
        for (i, node) in self.d.nodes.iter().enumerate() {
            if node.id == "input" {
                self.problem(
                    format!("definition.nodes[{i}].id"),
                    "'input' names the execution's input in paths; choose another id",
                );
            }
            if self.index.insert(node.id.as_str(), i).is_some() {
                self.problem(
                    format!("definition.nodes[{i}].id"),
                    format!("duplicate node id '{}'", node.id),
                );
            }
            self.node(i, node);
        }
        if let Some(schema) = &self.d.input_schema {
            self.schema("definition.input_schema", schema);
        }
        let edges = self.edges();
        self.shape(&edges);
        match crate::graph::order(self.d.nodes.len(), &edges) {
            Err(cycle) => {
                let names: Vec<&str> = cycle.iter().map(|&i| self.d.nodes[i].id.as_str()).collect();
                self.problem(
                    "definition.edges",
                    format!(
                        "the edges form a cycle (each leads to the next): {} -> {}",
                        names.join(" -> "),
                        names[0]
                    ),
                );
            }
            Ok(order) => self.predicates(&edges, &order),
        }
        if let Some(output) = &self.d.output
            && !self.index.contains_key(output.as_str())
        {
            self.problem(
                "definition.output",
                format!("no node has the id '{output}'"),
            );
        }
    }

    fn node(&mut self, i: usize, node: &Node) {
        let at = |field: &str| format!("definition.nodes[{i}].{field}");
        for (field, types) in TYPED_FIELDS {
            if present(node, field) && !types.contains(&node.node_type) {
                let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
                self.problem(
                    at(field),
                    format!("only {} nodes take it", names.join(" and ")),
                );
            }
        }
        match node.node_type {
            NodeType::Agent => self.agent(i, node),
            NodeType::Approval => self.approval(i, node),
            NodeType::Condition | NodeType::Parallel | NodeType::Join => {}
        }
    }

    fn agent(&mut self, i: usize, node: &Node) {
        let at = |field: &str| format!("definition.nodes[{i}].{field}");
        match (&node.role, node.assistant_id) {
            (None, None) => self.problem(
                at("role"),
                "an agent node names its squad member by role or by assistant_id",
            ),
            (Some(_), Some(_)) => self.problem(
                at("assistant_id"),
                "an agent node names its member by role or by assistant_id, not both",
            ),
            (_, _) if self.members.is_none() => {}
            (Some(role), None) => {
                if !self
                    .members
                    .unwrap_or_default()
                    .iter()
                    .any(|m| m.role == *role)
                {
                    self.problem(
                        at("role"),
                        format!("no member of the squad has the role '{role}'"),
                    );
                }
            }
            (None, Some(assistant)) => {
                if !self
                    .members
                    .unwrap_or_default()
                    .iter()
                    .any(|m| m.assistant_id == assistant)
                {
                    self.problem(
                        at("assistant_id"),
                        format!("assistant {assistant} is not a member of the squad"),
                    );
                }
            }
        }
        if node
            .instructions
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            self.problem(at("instructions"), "an agent node needs instructions");
        }
    }

    fn approval(&mut self, i: usize, node: &Node) {
        let at = |field: &str| format!("definition.nodes[{i}].{field}");
        match &node.approver_email {
            None => self.problem(at("approver_email"), "an approval node names who decides"),
            Some(email) if !plausible_email(email) => {
                self.problem(at("approver_email"), "must be an email address");
            }
            Some(_) => {}
        }
        if node.timeout_seconds.is_none() {
            self.problem(at("timeout_seconds"), "an approval node needs a timeout");
        }
        let Some(schema) = &node.decision_schema else {
            self.problem(
                at("decision_schema"),
                "an approval node needs a JSON Schema for its decision",
            );
            return;
        };
        let validator = self.schema(&at("decision_schema"), schema);
        match (node.on_timeout, &node.timeout_decision) {
            (Some(Fallback::Continue), None) => self.problem(
                at("timeout_decision"),
                "on_timeout: continue needs the decision to continue with",
            ),
            (Some(Fallback::Continue), Some(decision)) => {
                if validator.is_some_and(|v| !v.is_valid(decision)) {
                    self.problem(at("timeout_decision"), "does not match decision_schema");
                }
            }
            (_, Some(_)) => self.problem(
                at("timeout_decision"),
                "is only taken with on_timeout: continue",
            ),
            (_, None) => {}
        }
    }

    /// Whether `schema` is a JSON Schema describing an object; a problem if not.
    /// `schema` compiled, if it is a JSON Schema describing an object that
    /// compiles (a reference to nothing, a pattern that is no regex, do not); a
    /// problem if not.
    fn schema(&mut self, field: &str, schema: &Value) -> Option<jsonschema::Validator> {
        if let Err(e) = crate::registry::check_input_schema(schema) {
            let message = match e {
                crate::Error::Validation { message, .. } => message,
                other => other.to_string(),
            };
            self.problem(field, message);
            return None;
        }
        match jsonschema::validator_for(schema) {
            Ok(validator) => Some(validator),
            Err(e) => {
                self.problem(field, format!("does not compile: {}", e.masked()));
                None
            }
        }
    }

    /// The edges between known nodes, as indexes; a problem for each other one.
    fn edges(&mut self) -> Vec<(usize, usize)> {
        let mut known = Vec::with_capacity(self.d.edges.len());
        let mut seen = HashSet::new();
        for (j, edge) in self.d.edges.iter().enumerate() {
            let from = self.index.get(edge.from.as_str()).copied();
            let to = self.index.get(edge.to.as_str()).copied();
            if from.is_none() {
                self.problem(
                    format!("definition.edges[{j}].from"),
                    format!("no node has the id '{}'", edge.from),
                );
            }
            if to.is_none() {
                self.problem(
                    format!("definition.edges[{j}].to"),
                    format!("no node has the id '{}'", edge.to),
                );
            }
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            if !seen.insert((from, to)) {
                self.problem(
                    format!("definition.edges[{j}]"),
                    format!("repeats the edge {} -> {}", edge.from, edge.to),
                );
            }
            if edge.when.is_some() && self.d.nodes[from].node_type != NodeType::Condition {
                self.problem(
                    format!("definition.edges[{j}].when"),
                    "only edges out of a condition node carry when",
                );
            }
            known.push((from, to));
        }
        known
    }

    /// One start, and fan-out and fan-in only where the node types say so.
    fn shape(&mut self, edges: &[(usize, usize)]) {
        let n = self.d.nodes.len();
        let mut outgoing = vec![0usize; n];
        let mut incoming = vec![0usize; n];
        for &(from, to) in edges {
            outgoing[from] += 1;
            incoming[to] += 1;
        }
        for (i, node) in self.d.nodes.iter().enumerate() {
            let at = || format!("definition.nodes[{i}]");
            let (out, inn) = (outgoing[i], incoming[i]);
            match node.node_type {
                NodeType::Parallel if out < 2 => {
                    self.problem(at(), "a parallel node fans out to at least two nodes");
                }
                NodeType::Join if inn < 2 => {
                    self.problem(at(), "a join node joins at least two incoming edges");
                }
                NodeType::Condition if out == 0 => {
                    self.problem(at(), "a condition node needs outgoing edges to choose from");
                }
                NodeType::Agent | NodeType::Approval | NodeType::Join if out > 1 => self.problem(
                    at(),
                    format!(
                        "has {out} outgoing edges; fan out through a parallel or condition node"
                    ),
                ),
                NodeType::Agent | NodeType::Approval | NodeType::Parallel | NodeType::Condition
                    if inn > 1 =>
                {
                    self.problem(
                        at(),
                        format!("has {inn} incoming edges; fan in through a join node"),
                    );
                }
                _ => {}
            }
            if node.node_type == NodeType::Condition {
                let defaults = self
                    .d
                    .edges
                    .iter()
                    .filter(|e| e.from == node.id && e.when.is_none())
                    .count();
                if defaults > 1 {
                    self.problem(
                        at(),
                        format!(
                            "{defaults} of its edges carry no when; at most one (the default) may"
                        ),
                    );
                }
            }
        }
        let starts: Vec<&str> = (0..n)
            .filter(|&i| incoming[i] == 0)
            .map(|i| self.d.nodes[i].id.as_str())
            .collect();
        if starts.len() > 1 {
            self.problem(
                "definition.nodes",
                format!(
                    "has {} starts (nodes no edge leads to): {}; a workflow has one",
                    starts.len(),
                    starts.join(", ")
                ),
            );
        }
    }

    /// Each predicate tests one thing, of the input or of a node that runs before
    /// its condition.
    fn predicates(&mut self, edges: &[(usize, usize)], order: &[usize]) {
        let n = self.d.nodes.len();
        let mut before: Vec<HashSet<usize>> = vec![HashSet::new(); n];
        for &i in order {
            let mut mine = HashSet::new();
            for &(from, to) in edges {
                if to == i {
                    mine.insert(from);
                    mine.extend(before[from].iter().copied());
                }
            }
            before[i] = mine;
        }
        for (j, edge) in self.d.edges.iter().enumerate() {
            let (Some(when), Some(&from)) = (&edge.when, self.index.get(edge.from.as_str())) else {
                continue;
            };
            let at = format!("definition.edges[{j}].when");
            if tests(when) != 1 {
                self.problem(
                    at.clone(),
                    "sets exactly one of equals, not_equals, in, exists, greater_than, less_than",
                );
            }
            let mut path = when.path.split('.');
            let head = path.next().unwrap_or_default();
            if head == "input" {
                continue;
            }
            let runs_before = self
                .index
                .get(head)
                .is_some_and(|h| before[from].contains(h));
            if !runs_before {
                self.problem(
                    format!("{at}.path"),
                    format!("starts with '{head}', which is neither input nor a node that runs before '{}'", edge.from),
                );
            } else if path.next() != Some("output") {
                self.problem(
                    format!("{at}.path"),
                    format!("names a node's output: '{head}.output…'"),
                );
            }
        }
    }
}

fn tests(p: &Predicate) -> usize {
    [
        p.equals.is_some(),
        p.not_equals.is_some(),
        p.one_of.is_some(),
        p.exists.is_some(),
        p.greater_than.is_some(),
        p.less_than.is_some(),
    ]
    .into_iter()
    .filter(|&set| set)
    .count()
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
        && !domain.contains('@')
}
