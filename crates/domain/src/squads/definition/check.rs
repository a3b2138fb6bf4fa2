//! The two passes of a definition's check: the document against its schema,
//! then the rules a schema cannot say. Sizes come first, before any work that
//! grows with the document.

use std::sync::LazyLock;

use serde::Deserialize as _;
use serde_json::Value;

use super::rules::Rules;
use super::{Definition, Problem, SCHEMA};
use crate::squads::SquadMember;

const FIELD: &str = "definition";
/// More problems than this are not listed: a broken document would list one
/// per node.
const PROBLEMS_MAX: usize = 50;

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&SCHEMA)
        .unwrap_or_else(|_| unreachable!("a test compiles the schema"))
});

pub(super) fn definition(
    raw: &Value,
    members: Option<&[SquadMember]>,
) -> Result<Definition, Vec<Problem>> {
    bounds(raw)?;
    // Telling valid from invalid stops at the first problem; only an invalid
    // document pays for listing them all.
    let mut problems: Vec<Problem> = if VALIDATOR.is_valid(raw) {
        Vec::new()
    } else {
        VALIDATOR
            .iter_errors(raw)
            .take(PROBLEMS_MAX)
            .map(|e| Problem::new(field_at(e.instance_path()), e.masked().to_string()))
            .collect()
    };
    // A document whose fields have their types (if not all their bounds) is
    // checked against the rules too, so one answer lists both kinds of problem.
    let definition = match Definition::deserialize(raw) {
        Ok(definition) => definition,
        Err(_) if !problems.is_empty() => return Err(problems),
        Err(e) => {
            return Err(vec![Problem::new(
                FIELD,
                format!("does not match the schema: {e}"),
            )]);
        }
    };
    let mut rules = Rules::new(&definition, members);
    rules.check();
    problems.extend(rules.problems);
    if problems.is_empty() {
        Ok(definition)
    } else {
        problems.truncate(PROBLEMS_MAX);
        Err(problems)
    }
}

/// The limits of a definition, checked before the schema runs over it.
fn bounds(raw: &Value) -> Result<(), Vec<Problem>> {
    let Value::Object(map) = raw else {
        return Err(vec![Problem::new(FIELD, "must be a JSON object")]);
    };
    let count = |key: &str| map.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    let mut problems = Vec::new();
    if count("nodes") > Definition::NODES_MAX {
        problems.push(Problem::new(
            "definition.nodes",
            format!("holds at most {} nodes", Definition::NODES_MAX),
        ));
    }
    if count("edges") > Definition::EDGES_MAX {
        problems.push(Problem::new(
            "definition.edges",
            format!("holds at most {} edges", Definition::EDGES_MAX),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if depth(raw) > Definition::DEPTH_MAX {
        return Err(vec![Problem::new(
            FIELD,
            format!(
                "nests arrays and objects more than {} levels deep",
                Definition::DEPTH_MAX
            ),
        )]);
    }
    if serialized_len(raw) > Definition::BYTES_MAX {
        return Err(vec![Problem::new(
            FIELD,
            format!("must be at most {} bytes", Definition::BYTES_MAX),
        )]);
    }
    nuls(raw, FIELD, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The length of `value` as JSON, counted without keeping the bytes.
fn serialized_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

pub(super) fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Where NUL characters are: PostgreSQL stores none, and no name needs one.
fn nuls(value: &Value, at: &str, problems: &mut Vec<Problem>) {
    if problems.len() >= PROBLEMS_MAX {
        return;
    }
    let found = |problems: &mut Vec<Problem>, at: String| {
        problems.push(Problem::new(at, "must not contain NUL characters"));
    };
    match value {
        Value::String(s) if s.contains('\0') => found(problems, at.to_owned()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nuls(item, &format!("{at}[{i}]"), problems);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if key.contains('\0') {
                    found(problems, at.to_owned());
                } else {
                    nuls(item, &format!("{at}.{key}"), problems);
                }
            }
        }
        _ => {}
    }
}

/// `definition.nodes[2].type` for the JSON pointer `/nodes/2/type`.
fn field_at(location: &jsonschema::paths::Location) -> String {
    let mut field = FIELD.to_owned();
    for segment in location.iter() {
        match segment {
            jsonschema::paths::LocationSegment::Index(i) => field.push_str(&format!("[{i}]")),
            jsonschema::paths::LocationSegment::Property(p) => {
                field.push('.');
                field.push_str(&p);
            }
        }
    }
    field
}
