//! The contexts' order, checked on the source: a context may use the kernel and
//! the contexts before it (`registry` → `workspace` → `tracker` → `log`), never a
//! later one, nor the wiring above them all. Tests may use anything.

use std::path::Path;

const CONTEXTS: [&str; 7] = [
    "registry",
    "workspace",
    "tracker",
    "log",
    "planning",
    "operations",
    "squads",
];
const WIRING: [&str; 3] = ["crate::services", "crate::ports", "crate::catalog"];

fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            found.push(path);
        }
    }
}

/// The source without its inline `mod tests { … }` (by convention the file's end);
/// a `mod tests;` of its own file is skipped with that file.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests {")
        .map_or(text, |at| &text[..at])
}

/// Whether `code` names `path` (`crate::x`), directly or in a `crate::{…}` group.
fn uses(code: &str, path: &str) -> bool {
    let name = path.trim_start_matches("crate::");
    code.contains(path)
        || code.split("crate::{").skip(1).any(|group| {
            group
                .split('}')
                .next()
                .unwrap_or_default()
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|word| word == name)
        })
}

#[test]
fn a_context_uses_only_the_kernel_and_the_contexts_before_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (position, context) in CONTEXTS.iter().enumerate() {
        let mut files = vec![src.join(format!("{context}.rs"))];
        sources(&src.join(context), &mut files);
        let forbidden: Vec<String> = CONTEXTS[position + 1..]
            .iter()
            .map(|later| format!("crate::{later}"))
            .chain(WIRING.iter().map(|w| (*w).to_owned()))
            .collect();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = without_tests(&text);
            for word in &forbidden {
                assert!(
                    !uses(code, word),
                    "{} uses {word}, which comes after {context}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn grouped_imports_are_seen_too() {
    assert!(uses("use crate::{log, tracker};", "crate::tracker"));
    assert!(!uses("use crate::{logs, tracking};", "crate::log"));
    assert!(uses("crate::log::Event", "crate::log"));
}

#[test]
fn only_an_inline_test_module_is_left_out() {
    let declared = "#[cfg(test)]\nmod tests;\nuse crate::log::Event;\n";
    assert!(uses(without_tests(declared), "crate::log"));
    let inline = "use crate::x;\n#[cfg(test)]\nmod tests {\n    use crate::log::Event;\n}\n";
    assert!(!uses(without_tests(inline), "crate::log"));
}
